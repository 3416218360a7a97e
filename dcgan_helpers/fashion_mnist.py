"""Fashion-MNIST (Xiao et al., 2017) in its published layout: four gzip-compressed IDX files."""

import gzip
from pathlib import Path

import numpy as np

from .errors import DataFormatError, DataNotFoundError, UsageError
from .locations import dataset_search_dirs, keras_cache_dir

__all__ = ["FASHION_MNIST_CLASSES", "MAX_IDX_BYTES", "load_fashion_mnist", "read_idx"]

FASHION_MNIST_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)


MAX_IDX_BYTES = 64 << 20  # the largest file, the training images, holds 47 MB; more is a damaged file or a gzip bomb


def read_idx(path) -> np.ndarray:
    """Read a gzip-compressed IDX file (the MNIST format) of unsigned bytes."""
    path = Path(path)
    try:
        with gzip.open(path, "rb") as stream:
            content = stream.read(MAX_IDX_BYTES + 1)  # bounded: a small .gz can decompress to gigabytes
    except (OSError, EOFError) as error:
        raise DataFormatError(f"{path} is not a readable .gz file ({error}); download it again") from error
    if len(content) > MAX_IDX_BYTES:
        raise DataFormatError(f"{path} decompresses to more than {MAX_IDX_BYTES:,} bytes, more than any "
                              "Fashion-MNIST file holds; download it again")
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
