"""The training input pipeline: a tf.data stream of shuffled [-1, 1] batches with each step's random numbers.

Everything random in a training step is drawn here from ``(config.seed, step)``: the order of
the images, the noise, and the uniform numbers for label swaps and augmentation. A resumed
session therefore sees exactly what an uninterrupted one would have seen. This module knows
nothing of the GAN; the GAN reads the random numbers by the layout below.
"""

import numpy as np
import tensorflow as tf

from .config import GANConfig
from .errors import DataFormatError, UsageError
from .images import to_float, with_channel_axis

__all__ = ["AUGMENT_DRAWS", "DRAWS_PER_IMAGE", "FAKE_AUGMENT_DRAWS", "LABEL_SWAP_DRAWS", "REAL_AUGMENT_DRAWS",
           "batches_per_epoch", "check_images", "check_labels", "make_dataset", "training_dataset"]

# The uniform numbers a training step draws per image, as columns of its ``draws`` (batch, DRAWS_PER_IMAGE):
LABEL_SWAP_DRAWS = slice(0, 2)  # below config.label_noise: swap the real target, swap the fake target
AUGMENT_DRAWS = 4  # one augmentation: brightness, contrast, vertical shift, horizontal shift
REAL_AUGMENT_DRAWS = slice(2, 2 + AUGMENT_DRAWS)  # the augmentation of the real batch
FAKE_AUGMENT_DRAWS = slice(2 + AUGMENT_DRAWS, 2 + 2 * AUGMENT_DRAWS)  # the augmentation of the fake batch
DRAWS_PER_IMAGE = 2 + 2 * AUGMENT_DRAWS


def batches_per_epoch(image_count: int, config: GANConfig) -> int:
    """Full batches in one pass over the data (the last partial batch is dropped)."""
    return image_count // config.batch_size


def make_dataset(images: np.ndarray, config: GANConfig, start_step: int = 0, labels=None) -> tf.data.Dataset:
    """An endless stream of shuffled batches in [-1, 1], starting at batch number ``start_step``; with
    ``labels`` (one class index per image), batches of (images, their labels).

    The uint8 images stay as they are (4x smaller than float32), in memory or, for a
    memory-mapped cache, on disk; each batch is gathered and scaled on the fly. Every pass
    uses its own permutation derived from ``(config.seed, pass number)``, so a resumed session
    sees exactly the batches an uninterrupted one would have seen. Batches always hold
    ``batch_size`` images, which keeps shapes fixed for XLA.
    """
    images = check_images(images, config)
    count = len(images)
    if labels is not None:
        labels = check_labels(labels, count, config)
    first_pass, skip = divmod(start_step, batches_per_epoch(count, config))

    def shuffled_batches(pass_number):
        seed = tf.stack([tf.constant(config.seed, tf.int64), pass_number])
        order = tf.argsort(tf.random.stateless_uniform([count], seed=seed))
        return tf.data.Dataset.from_tensor_slices(order).batch(config.batch_size, drop_remainder=True)

    stream = tf.data.Dataset.counter(first_pass).flat_map(shuffled_batches).skip(skip)
    gather = gather_from_disk(images) if isinstance(images, np.memmap) else gather_in_memory(images)
    classes = None if labels is None else tf.constant(labels)

    def batch(indices):
        pixels = to_float(gather(indices))
        return pixels if classes is None else (pixels, tf.gather(classes, indices))

    return stream.map(batch, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def training_dataset(images: np.ndarray, config: GANConfig, start_step: int = 0, labels=None) -> tf.data.Dataset:
    """``make_dataset``'s batches with what else a training step needs: (images, noise, uniform draws), or
    with ``labels`` (images, labels, noise, uniform draws).

    ``draws`` holds DRAWS_PER_IMAGE uniform numbers in [0, 1) per image, laid out as above. The
    noise and draws of step ``n`` come from keys derived from ``(config.seed, n)``, so they do not
    depend on where training stopped and resumed, nor on how many devices share the batch. Under
    ``tf.distribute`` every worker builds this whole stream and keeps its own slice of each global
    batch (sharding by data), so the replicas together see exactly what one device would.
    """
    if config.conditional and labels is None:
        raise UsageError("a conditional GAN trains on labelled images: pass the class of each image as labels "
                         f"(datasets.load_labels gives them for {config.dataset})")

    def randomness(step):
        noise_key = tf.random.experimental.stateless_fold_in(tf.constant([config.seed, 1], tf.int64), step)
        draws_key = tf.random.experimental.stateless_fold_in(tf.constant([config.seed, 2], tf.int64), step)
        return (training_noise(config, noise_key),
                tf.random.stateless_uniform([config.batch_size, DRAWS_PER_IMAGE], seed=draws_key))

    steps = tf.data.Dataset.counter(start_step).map(randomness, num_parallel_calls=tf.data.AUTOTUNE)
    combined = tf.data.Dataset.zip(make_dataset(images, config, start_step, labels), steps)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    flat = combined.map(lambda batch, drawn: (*(batch if labels is not None else (batch,)), *drawn))
    return flat.prefetch(tf.data.AUTOTUNE).with_options(options)


def training_noise(config: GANConfig, key) -> tf.Tensor:
    """One batch of z for training from a stateless key: N(0, 1), or U(-1, 1) as the DCGAN authors drew it
    (``config.noise_distribution``; ``latent.noise`` draws the same kinds for sampling)."""
    shape = [config.batch_size, config.noise_dim]
    if config.noise_distribution == "uniform":
        return tf.random.stateless_uniform(shape, seed=key, minval=-1.0, maxval=1.0)
    return tf.random.stateless_normal(shape, seed=key)


def gather_in_memory(images: np.ndarray):
    """Batches gathered from one in-memory tensor (small datasets such as Fashion-MNIST)."""
    pixels = tf.constant(images)
    return lambda indices: tf.gather(pixels, indices)


def gather_from_disk(images: np.memmap):
    """Batches read from a memory-mapped cache: only the rows of each batch are touched, so a dataset
    larger than memory trains with the operating system's page cache doing the caching."""
    def read(indices):
        return images[np.sort(indices)][np.argsort(np.argsort(indices))]

    def gather(indices):
        batch = tf.numpy_function(read, [indices], tf.uint8, stateful=False)
        batch.set_shape([*indices.shape, *images.shape[1:]])  # fixed batch size, as from memory
        return batch

    return gather


def check_labels(labels, count: int, config: GANConfig) -> np.ndarray:
    """Labels as int32 (N,), one per image and each a class of the config, or an error saying what is wrong."""
    labels = np.asarray(labels)
    if not config.conditional:
        raise UsageError("labels train a conditional GAN: set conditional=true, or train without labels")
    if labels.shape != (count,) or not np.issubdtype(labels.dtype, np.integer):
        raise DataFormatError(f"expected one whole-number class label per image ({count}), got {labels.dtype} "
                              f"{labels.shape}")
    if len(labels) and not 0 <= labels.min() <= labels.max() < len(config.classes):
        raise DataFormatError(f"labels must be 0 to {len(config.classes) - 1} (the config's {len(config.classes)} "
                              f"classes), not {labels.min()} to {labels.max()}")
    return labels.astype(np.int32)


def check_images(images: np.ndarray, config: GANConfig) -> np.ndarray:
    """The images as uint8 (N, H, W, C) matching the config, or an error saying what does not match."""
    images = with_channel_axis(images)
    expected = (config.image_size, config.image_size, config.channels)
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[1:] != expected:
        raise DataFormatError(
            f"expected uint8 images of shape (N, {', '.join(map(str, expected))}), got {images.dtype} {images.shape}; "
            "set image_size and channels in the config to match the data"
        )
    if len(images) < config.batch_size:
        raise UsageError(f"{len(images)} images are fewer than one batch of {config.batch_size}; lower batch_size")
    return images
