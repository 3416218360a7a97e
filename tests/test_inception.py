"""FID/KID with InceptionV3: the preprocessing that reaches the network, sample-count rules, cached real features.

The ImageNet weights cannot be downloaded on the test machines, so the network is built untrained
(``weights=None``): the code path is the same, the distances are meaningless.
"""

import numpy as np
import pytest

from dcgan_helpers.errors import DataNotFoundError, UsageError
from dcgan_helpers.inception import (
    FEATURE_COUNT,
    InceptionFeatures,
    check_sample_count,
    inception_input,
    inception_scores,
    reference_features,
)

pytestmark = pytest.mark.kernel


def test_images_reach_inception_as_299_pixel_rgb_in_minus_one_to_one():
    gray = np.zeros((2, 28, 28, 1), np.uint8)
    gray[:, :14] = 255
    batch = inception_input(gray).numpy()
    assert batch.shape == (2, 299, 299, 3) and batch.dtype == np.float32
    assert batch.min() == -1.0 and batch.max() == 1.0
    np.testing.assert_array_equal(batch[..., 0], batch[..., 2])  # grayscale repeated
    colour = inception_input(np.random.default_rng(0).uniform(-1, 1, (1, 64, 64, 3)).astype(np.float32)).numpy()
    assert colour.shape == (1, 299, 299, 3) and colour.min() >= -1 and colour.max() <= 1
    with pytest.raises(UsageError, match="expected images"):
        inception_input(np.zeros((2, 8, 8, 2)))


def test_untrained_inception_gives_2048_pool_features():
    extractor = InceptionFeatures(weights=None)
    features = extractor(np.zeros((3, 32, 32, 3), np.uint8), batch_size=2)
    assert features.shape == (3, FEATURE_COUNT) and extractor.name == "inception_v3_untrained"


def test_missing_weights_give_a_clear_error(monkeypatch):
    import keras

    def refuse(**kwargs):
        raise OSError("no route to host")

    monkeypatch.setattr(keras.applications, "InceptionV3", refuse)
    with pytest.raises(DataNotFoundError, match="could not be downloaded .* Colab"):
        InceptionFeatures()


def test_sample_counts_are_refused_below_the_feature_dimension_and_warned_below_10000():
    with pytest.raises(UsageError, match="more than 2048 samples"):
        check_sample_count(2048)
    with pytest.warns(UserWarning, match="biased upwards"):
        check_sample_count(5000)


class SmallExtractor:
    """Stands in for InceptionV3 with 8 features, to check the plumbing around it quickly."""

    name = "small"

    def __init__(self):
        self.calls = 0

    def __call__(self, images):
        self.calls += 1
        flat = np.asarray(images, np.float32).reshape(len(images), -1) / 255
        return np.stack([flat[:, index::8].mean(axis=1) for index in range(8)], axis=1)


def test_real_features_are_computed_once_and_scores_state_their_counts(tmp_path, monkeypatch):
    import dcgan_helpers.inception as inception

    monkeypatch.setattr(inception, "FEATURE_COUNT", 8)
    extractor = SmallExtractor()
    real = np.random.default_rng(0).integers(0, 256, (3000, 8, 8, 1), dtype=np.uint8)
    first = reference_features("toy", real, extractor, tmp_path)
    second = reference_features("toy", real, extractor, tmp_path)
    assert extractor.calls == 1 and np.array_equal(first, second)
    assert len(list(tmp_path.glob("small-toy-3000-*.npy"))) == 1
    with pytest.warns(UserWarning, match="biased"):
        scores = inception_scores(np.random.default_rng(1).integers(0, 256, (600, 8, 8, 1), dtype=np.uint8),
                                  first, extractor)
    assert scores.sample_count == 600 and scores.reference_count == 3000
    assert 0 <= scores.fid < 0.01 and abs(scores.kid) < 0.01
    assert "600 samples vs 3,000 real images" in str(scores)
