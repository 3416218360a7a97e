"""Find and read datasets in their published layouts, and turn images into a training pipeline."""

import gzip
from pathlib import Path

import numpy as np
import tensorflow as tf

from .celeba import load_celeba
from .config import GANConfig, preset
from .errors import DataFormatError, DataNotFoundError, UsageError
from .gan import DRAWS_PER_IMAGE
from .hands import load_hands, parse_filter
from .image_folder import load_image_folder
from .locations import dataset_search_dirs, keras_cache_dir

FASHION_MNIST_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)


def read_idx(path) -> np.ndarray:
    """Read a gzip-compressed IDX file (the MNIST format) of unsigned bytes."""
    path = Path(path)
    try:
        with gzip.open(path, "rb") as stream:
            content = stream.read()
    except (OSError, EOFError) as error:
        raise DataFormatError(f"{path} is not a readable .gz file ({error}); download it again") from error
    if len(content) < 4 or content[:2] != b"\0\0" or content[2] != 0x08:
        raise DataFormatError(f"{path} is not an IDX file of unsigned bytes (its header is {content[:4]!r})")
    dims = content[3]
    header_size = 4 + 4 * dims
    shape = tuple(int.from_bytes(content[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims))
    if len(content) != header_size + int(np.prod(shape)):
        raise DataFormatError(
            f"{path} is truncated or padded: its header promises shape {shape} "
            f"({header_size + int(np.prod(shape))} bytes), the file holds {len(content)} bytes; download it again"
        )
    return np.frombuffer(content, dtype=np.uint8, offset=header_size).reshape(shape)


def load_fashion_mnist(path=None, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST images (N, 28, 28) uint8 and labels (N,) from the first folder that has them.

    Looks in ``path`` (when given, only there), ``$DCGAN_DATA_DIR/fashion-mnist``,
    ``data/fashion-mnist``, ``/usr/share/datasets/fashion-mnist`` (Debian package
    ``dataset-fashion-mnist``) and Keras' download cache; otherwise downloads with Keras.
    """
    if split not in FASHION_MNIST_FILES:
        raise UsageError(f"split must be 'train' or 'test', not {split!r}")
    searched = dataset_search_dirs("fashion-mnist", path)
    if path is None:
        searched.append(keras_cache_dir() / "fashion-mnist")
    for folder in searched:
        image_file, label_file = (folder / name for name in FASHION_MNIST_FILES[split])
        if image_file.is_file() and label_file.is_file():
            return _read_fashion_mnist_pair(image_file, label_file)
    if path is None:
        downloaded = _download_fashion_mnist()
        if downloaded is not None:
            return downloaded[split]
    raise DataNotFoundError(
        f"Fashion-MNIST ({' and '.join(FASHION_MNIST_FILES[split])}) was not found in any of: "
        + ", ".join(str(folder) for folder in searched)
        + (". " if path is not None else ", and downloading it with Keras failed. ")
        + "Install the Debian package dataset-fashion-mnist, or download the four .gz files from "
        "https://github.com/zalandoresearch/fashion-mnist into data/fashion-mnist/ "
        "(or a folder named by $DCGAN_DATA_DIR/fashion-mnist)."
    )


def _read_fashion_mnist_pair(image_file: Path, label_file: Path) -> tuple[np.ndarray, np.ndarray]:
    images, labels = read_idx(image_file), read_idx(label_file)
    if images.ndim != 3 or images.shape[1:] != (28, 28) or labels.ndim != 1 or len(labels) != len(images):
        raise DataFormatError(
            f"{image_file} and {label_file} should hold N 28x28 images and N labels, "
            f"they hold {images.shape} and {labels.shape}"
        )
    return images, labels


def _download_fashion_mnist():
    """Keras' own downloader into its cache, or None when there is no network."""
    import keras

    try:
        (train_images, train_labels), (test_images, test_labels) = keras.datasets.fashion_mnist.load_data()
    except Exception:  # any network or server failure means "not available here"
        return None
    return {"train": (train_images, train_labels), "test": (test_images, test_labels)}


DATASET_LOADERS = {
    "fashion_mnist": lambda data_dir, size: load_fashion_mnist(data_dir)[0],
    "celeba64": lambda data_dir, size: load_celeba(data_dir, size=size),
    "folder": lambda data_dir, size: load_image_folder(data_dir, size=size),
}
FILTERED_LOADERS = {  # datasets whose images can be chosen by what a metadata file says about them
    "hands64": lambda data_dir, size, data_filter: load_hands(data_dir, size=size, filters=parse_filter(data_filter)),
}
NEEDS_DATA_DIR = ("folder",)


def load_images(dataset: str, data_dir=None, size: int | None = None, data_filter: str = "") -> np.ndarray:
    """Training images of a named dataset as uint8 (N, H, W, C); ``size`` for datasets that are resized;
    ``data_filter`` (the config field, e.g. ``"aspectOfHand=dorsal right;accessories=0"``) chooses a subset."""
    if dataset not in DATASET_LOADERS and dataset not in FILTERED_LOADERS:
        known = ", ".join([*DATASET_LOADERS, *FILTERED_LOADERS])
        raise UsageError(f"no loader for dataset {dataset!r}; datasets you can train on: {known}")
    if dataset in NEEDS_DATA_DIR and data_dir is None:
        raise UsageError(f"dataset {dataset!r} means your own images: name their folder with --data-dir DIR")
    size = size or preset(dataset).image_size
    if dataset in FILTERED_LOADERS:
        images = FILTERED_LOADERS[dataset](data_dir, size, data_filter)
    elif data_filter:
        raise UsageError(f"data_filter chooses images by their metadata, which only {', '.join(FILTERED_LOADERS)} "
                         f"has; remove data_filter={data_filter!r} to train on {dataset}")
    else:
        images = DATASET_LOADERS[dataset](data_dir, size)
    return images[..., np.newaxis] if images.ndim == 3 else images


def batches_per_epoch(image_count: int, config: GANConfig) -> int:
    """Full batches in one pass over the data (the last partial batch is dropped)."""
    return image_count // config.batch_size


def make_dataset(images: np.ndarray, config: GANConfig, start_step: int = 0) -> tf.data.Dataset:
    """An endless stream of shuffled batches in [-1, 1], starting at batch number ``start_step``.

    The uint8 images stay as they are (4x smaller than float32), in memory or, for a
    memory-mapped cache, on disk; each batch is gathered and scaled on the fly. Every pass
    uses its own permutation derived from ``(config.seed, pass number)``, so a resumed session
    sees exactly the batches an uninterrupted one would have seen. Batches always hold
    ``batch_size`` images, which keeps shapes fixed for XLA.
    """
    images = check_images(images, config)
    count = len(images)
    first_pass, skip = divmod(start_step, batches_per_epoch(count, config))

    def shuffled_batches(pass_number):
        seed = tf.stack([tf.constant(config.seed, tf.int64), pass_number])
        order = tf.argsort(tf.random.stateless_uniform([count], seed=seed))
        return tf.data.Dataset.from_tensor_slices(order).batch(config.batch_size, drop_remainder=True)

    stream = tf.data.Dataset.counter(first_pass).flat_map(shuffled_batches).skip(skip)
    gather = gather_from_disk(images) if isinstance(images, np.memmap) else gather_in_memory(images)
    return stream.map(lambda indices: to_float(gather(indices)), num_parallel_calls=tf.data.AUTOTUNE).prefetch(
        tf.data.AUTOTUNE
    )


def training_dataset(images: np.ndarray, config: GANConfig, start_step: int = 0) -> tf.data.Dataset:
    """``make_dataset``'s batches with what else a training step needs: (images, noise, uniform draws).

    The noise of step ``n`` is drawn from a key derived from ``(config.seed, n)``, so it does not
    depend on where training stopped and resumed, nor on how many devices share the batch.
    """
    def randomness(step):
        noise_key = tf.random.experimental.stateless_fold_in(tf.constant([config.seed, 1], tf.int64), step)
        draws_key = tf.random.experimental.stateless_fold_in(tf.constant([config.seed, 2], tf.int64), step)
        return (tf.random.stateless_normal([config.batch_size, config.noise_dim], seed=noise_key),
                tf.random.stateless_uniform([config.batch_size, DRAWS_PER_IMAGE], seed=draws_key))

    steps = tf.data.Dataset.counter(start_step).map(randomness, num_parallel_calls=tf.data.AUTOTUNE)
    combined = tf.data.Dataset.zip(make_dataset(images, config, start_step), steps)
    return combined.map(lambda batch, drawn: (batch, *drawn)).prefetch(tf.data.AUTOTUNE)


def to_float(pixels):
    """uint8 0..255 → float32 in [-1, 1], the range of the generator's tanh."""
    return tf.cast(pixels, tf.float32) / 127.5 - 1.0


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


def check_images(images: np.ndarray, config: GANConfig) -> np.ndarray:
    """The images as uint8 (N, H, W, C) matching the config, or an error saying what does not match."""
    images = np.asanyarray(images)  # keeps a memory-mapped cache memory-mapped
    if images.ndim == 3:
        images = images[..., np.newaxis]
    expected = (config.image_size, config.image_size, config.channels)
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[1:] != expected:
        raise DataFormatError(
            f"expected uint8 images of shape (N, {', '.join(map(str, expected))}), got {images.dtype} {images.shape}; "
            "set image_size and channels in the config to match the data"
        )
    if len(images) < config.batch_size:
        raise UsageError(f"{len(images)} images are fewer than one batch of {config.batch_size}; lower batch_size")
    return images
