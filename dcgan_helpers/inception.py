"""FID (Heusel et al., 2017) and KID (Bińkowski et al., 2018) from InceptionV3's 2048 pool features of 299×299 images.

The features of the real images are computed once per dataset and cached beside the data. Every
result names its sample counts: FID is biased upwards at small counts, so figures are only
comparable at equal counts (FID's authors recommend at least 10,000 samples, bioinf-jku/TTUR).
Simplified: this is Keras' ImageNet InceptionV3, not the 2015 TensorFlow graph of the reference
FID code (which has 1008 classes; pytorch-fid ports it exactly), with Keras' own resizing, so the
figures compare with each other, not exactly with published ones.
"""

import hashlib
import warnings
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from .errors import DataNotFoundError, UsageError
from .files import atomic_path
from .images import to_float, with_channel_axis
from .metrics import feature_statistics, frechet_distance_from_statistics, kernel_distance

__all__ = ["FEATURE_COUNT", "InceptionFeatures", "InceptionScores", "check_sample_count", "inception_input",
           "inception_scores", "reference_features"]

INPUT_SIZE = 299
FEATURE_COUNT = 2048
RECOMMENDED_SAMPLES = 10_000


def inception_input(images) -> tf.Tensor:
    """uint8 or [-1, 1] float images (N, H, W, 1 or 3) → float32 (N, 299, 299, 3) in [-1, 1], the range
    InceptionV3 was trained on; grayscale is repeated into 3 channels; resizing is antialiased."""
    return resized_for_inception(checked_images(images))


def checked_images(images) -> np.ndarray:
    """A batch (N, H, W, 1 or 3) with its channel axis, or a UsageError saying what was expected."""
    images = with_channel_axis(images)
    if images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise UsageError(f"expected images (N, H, W, 1 or 3), got shape {images.shape}")
    return images


def resized_for_inception(images) -> tf.Tensor:
    """The TensorFlow part of ``inception_input``, which also runs inside a ``tf.data`` pipeline."""
    pixels = to_float(images)
    if pixels.shape[-1] == 1:
        pixels = tf.repeat(pixels, 3, axis=-1)
    resized = tf.image.resize(pixels, (INPUT_SIZE, INPUT_SIZE), method="bilinear", antialias=True)
    return tf.clip_by_value(resized, -1.0, 1.0)


class InceptionFeatures:
    """Callable: images → (N, 2048) pool features of InceptionV3.

    ``weights="imagenet"`` downloads Keras' pretrained weights once (internet needed, as on Colab);
    ``weights=None`` builds the same network untrained, which exercises the code but gives
    meaningless distances.
    """

    def __init__(self, weights: str | None = "imagenet"):
        try:
            self.network = keras.applications.InceptionV3(include_top=False, pooling="avg", weights=weights,
                                                     input_shape=(INPUT_SIZE, INPUT_SIZE, 3))
        except Exception as error:  # no network, a proxy, a refused download: all mean "no weights here"
            raise DataNotFoundError(
                f"InceptionV3's ImageNet weights could not be downloaded ({error}); FID and KID need them. "
                "Run where the internet is reachable (e.g. Colab) or use the Fashion-MNIST classifier metric"
            ) from error
        self.name = f"inception_v3_{weights or 'untrained'}"

    def __call__(self, images, batch_size: int = 50) -> np.ndarray:
        """Features of images (uint8 or [-1, 1]), resized batch by batch so only one batch is ever 299×299."""
        batches = tf.data.Dataset.from_tensor_slices(checked_images(images)).batch(batch_size)
        return self.network.predict(batches.map(resized_for_inception), verbose=0)


@dataclass(frozen=True)
class InceptionScores:
    """FID and KID of generated images against real ones, with the counts they come from."""

    fid: float
    kid: float
    kid_std: float
    sample_count: int
    reference_count: int
    extractor: str

    def __str__(self):
        return (f"FID {self.fid:.2f}, KID {self.kid * 1000:.2f} ± {self.kid_std * 1000:.2f} ×10⁻³ "
                f"({self.sample_count:,} samples vs {self.reference_count:,} real images, {self.extractor})")


def check_sample_count(count: int) -> None:
    """Refuse counts that cannot estimate a 2048×2048 covariance; warn below the 10,000 that FID's authors recommend."""
    if count <= FEATURE_COUNT:
        raise UsageError(f"FID needs more than {FEATURE_COUNT} samples (the feature dimension), not {count}; "
                         f"use {RECOMMENDED_SAMPLES:,}, the least FID's authors recommend")
    if count < RECOMMENDED_SAMPLES:
        warnings.warn(f"FID from {count:,} samples is biased upwards; FID's authors recommend "
                      f"{RECOMMENDED_SAMPLES:,} or more", stacklevel=3)


def pixels_digest(images) -> str:
    """A short hash of the images' shape and pixels: the identity of a set of real images."""
    images = np.asarray(images)
    digest = hashlib.sha256(f"{images.dtype} {images.shape}".encode())
    for start in range(0, len(images), 1024):  # in slices, so a memory-mapped set is not copied whole
        digest.update(images[start: start + 1024].tobytes())
    return digest.hexdigest()[:16]


def reference_features(name: str, images, extractor, cache_dir) -> np.ndarray:
    """Features of the real images, computed once and cached as ``<cache_dir>/<extractor>-<name>-<N>-<hash>.npy``.

    The hash is of the images' pixels, so another folder, crop or filter under the same ``name``
    never reuses features of other images.
    """
    path = Path(cache_dir) / f"{extractor.name}-{name}-{len(images)}-{pixels_digest(images)}.npy"
    try:
        return np.load(path)
    except (OSError, ValueError, EOFError):  # not computed yet, or an unreadable file: computed again
        pass
    features = extractor(images).astype(np.float32)
    with atomic_path(path) as temporary:
        np.save(temporary, features)
    return features


def inception_scores(generated, real_features: np.ndarray, extractor) -> InceptionScores:
    """FID and KID of generated images (uint8 or [-1, 1]) against cached real features."""
    check_sample_count(len(generated))
    features = extractor(generated)
    fid = frechet_distance_from_statistics(*feature_statistics(features), *feature_statistics(real_features))
    kid, kid_std = kernel_distance(features, real_features)
    return InceptionScores(fid, kid, kid_std, len(features), len(real_features), extractor.name)
