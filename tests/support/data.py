"""Small Fashion-MNIST folders in the published file layout (gzip-compressed IDX)."""

import gzip
from pathlib import Path

import numpy as np


def write_idx(path: Path, array: np.ndarray) -> None:
    """Write a uint8 array as a gzip-compressed IDX file, the format Fashion-MNIST is published in."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    with gzip.open(path, "wb") as stream:
        stream.write(header + np.ascontiguousarray(array, dtype=np.uint8).tobytes())


def make_fashion_mnist_folder(folder: Path, train_count: int = 256, test_count: int = 64, seed: int = 0) -> Path:
    """A folder with the four Fashion-MNIST .gz files holding simple synthetic garments."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for prefix, count in (("train", train_count), ("t10k", test_count)):
        labels = rng.integers(0, 10, count).astype(np.uint8)
        images = np.zeros((count, 28, 28), np.uint8)
        for image, label in zip(images, labels, strict=True):
            top, height = 4 + label % 3, 12 + label
            image[top: top + height, 6:22] = 80 + 17 * label
        images = np.clip(images + rng.integers(0, 30, images.shape), 0, 255).astype(np.uint8)
        write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", images)
        write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", labels)
    return folder
