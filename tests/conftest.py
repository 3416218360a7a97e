"""Shared fixtures: small datasets in the real Fashion-MNIST file layout, tiny configs, CLI runner."""

import gzip
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from dcgan_helpers.datasets import preset  # noqa: E402

REAL_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
IN_CI = os.environ.get("CI") == "true"


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


@pytest.fixture(scope="session")
def data_root(tmp_path_factory) -> Path:
    """A DCGAN_DATA_DIR-style root holding a small synthetic fashion-mnist/ folder."""
    root = tmp_path_factory.mktemp("data")
    make_fashion_mnist_folder(root / "fashion-mnist")
    return root


@pytest.fixture
def real_fashion_mnist() -> Path:
    """The real Fashion-MNIST from Debian's dataset-fashion-mnist: skipped on a reader's machine, required in CI."""
    if not (REAL_FASHION_MNIST / "train-images-idx3-ubyte.gz").is_file():
        if IN_CI:
            pytest.fail(f"CI must have the real Fashion-MNIST in {REAL_FASHION_MNIST} (.ci/run installs it)")
        pytest.skip("real Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)")
    return REAL_FASHION_MNIST


@pytest.fixture
def tiny_config():
    """The Fashion-MNIST preset shrunk so that an epoch takes a fraction of a second on a CPU.

    One layer per resolution: after a few steps the preset's deeper G at width 8 still draws the same grey
    for every z, so its epochs' sample grids (and GIF frames) would be identical.
    """
    return preset("fashion_mnist").replace(
        generator_filters=8, discriminator_filters=8, batch_size=16, steps_per_epoch=2, preview_count=4,
        layers_per_resolution=1,
    )


TINY_OVERRIDES = [  # as tiny_config, one layer per resolution included
    "--set", "generator_filters=8", "--set", "discriminator_filters=8", "--set", "batch_size=16",
    "--set", "preview_count=4", "--set", "layers_per_resolution=1",
]


def run_dcgan(*args, cwd: Path, env_extra=None, timeout=180) -> subprocess.CompletedProcess:
    """Run the installed ``dcgan`` console script and capture what it prints."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env_extra or {})}
    command = [str(Path(sys.executable).parent / "dcgan"), *map(str, args)]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
