"""The datasets the trainer knows: one registry from which the loaders, the presets and the CLI's help come.

Each entry names how to load the dataset's images, the hyperparameters that suit it (its
preset), whether it needs a folder named by the user, and whether its images can be chosen by
metadata (``config.data_filter``). To add a dataset, add one entry here.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .celeba import load_celeba
from .config import GANConfig
from .errors import ConfigError, UsageError
from .fashion_mnist import load_fashion_mnist
from .hands import load_hands, parse_filter
from .image_folder import load_image_folder
from .images import with_channel_axis

__all__ = ["DATASETS", "Dataset", "dataset", "load_images", "preset"]


@dataclass(frozen=True)
class Dataset:
    """One dataset: ``load(data_dir, size, data_filter, crop)`` returns its training images as uint8."""

    name: str
    description: str  # a few words for the command line's help
    preset: GANConfig  # the hyperparameters that suit it
    load: Callable[..., np.ndarray]
    needs_data_dir: bool = False  # the user's own images: there is no place to look for them by default
    takes_filter: bool = False  # images can be chosen by what a metadata file says about them
    takes_crop: bool = False  # photos are cut to the centre square of side config.crop


DATASETS = {dataset.name: dataset for dataset in (
    Dataset("fashion_mnist", "Fashion-MNIST, 28x28 grayscale (the default)",
            # the paper's networks with a 3x3 stride-1 layer added at each resolution; batch 32, Adam 8e-4 and
            # G's moving average: better samples in few epochs (benchmarks/fashion_mnist_quality.py)
            GANConfig(layers_per_resolution=2, batch_size=32, generator_learning_rate=8e-4,
                      discriminator_learning_rate=8e-4, ema_decay=0.999),
            lambda data_dir, size, data_filter, crop: load_fashion_mnist(data_dir)[0]),
    Dataset("celeba64", "CelebA faces at 64x64",
            GANConfig(dataset="celeba64", image_size=64, channels=3,
                      generator_filters=128,  # G 1024-512-256-128-3, the widths of the DCGAN paper's Figure 1
                      discriminator_filters=64),  # D 64-128-256-512-1, as in dcgan.torch and PyTorch's tutorial
            lambda data_dir, size, data_filter, crop: load_celeba(data_dir, size=size, crop=crop),
            takes_crop=True),
    Dataset("hands64", "11k Hands at 64x64, a subset chosen by data_filter",
            GANConfig(dataset="hands64", image_size=64, channels=3, architecture="dense", kernel_size=5,
                      batch_size=64, label_smoothing=0.1),
            lambda data_dir, size, data_filter, crop: load_hands(data_dir, size=size,
                                                                 filters=parse_filter(data_filter)),
            takes_filter=True),
    Dataset("folder", "your own images in --data-dir DIR, with the celeba64 model",
            GANConfig(dataset="folder", image_size=64, channels=3, generator_filters=128, discriminator_filters=64),
            lambda data_dir, size, data_filter, crop: load_image_folder(data_dir, size=size),
            needs_data_dir=True),
)}


def dataset(name: str) -> Dataset:
    """The registry's entry for a dataset, with a clear error for an unknown name."""
    if name not in DATASETS:
        raise ConfigError(f"unknown dataset {name!r}; datasets you can train on: {', '.join(DATASETS)}")
    return DATASETS[name]


def preset(name: str) -> GANConfig:
    """The preset configuration of a dataset."""
    return dataset(name).preset


def load_images(name: str, data_dir=None, size: int | None = None, data_filter: str = "",
                crop: int = GANConfig.crop) -> np.ndarray:
    """Training images of a named dataset as uint8 (N, H, W, C); ``size`` for datasets that are resized;
    ``data_filter`` (the config field, e.g. ``"aspectOfHand=dorsal right;accessories=0"``) chooses a subset;
    ``crop`` (the config field) is the side of the centre square cut from CelebA's photos. Prepared images
    carry a ``report`` naming the files left out and why."""
    chosen = dataset(name)
    if chosen.needs_data_dir and data_dir is None:
        raise UsageError(f"dataset {name!r} means your own images: name their folder with --data-dir DIR")
    if data_filter and not chosen.takes_filter:
        filtered = ", ".join(entry.name for entry in DATASETS.values() if entry.takes_filter)
        raise UsageError(f"data_filter chooses images by their metadata, which only {filtered} has; "
                         f"remove data_filter={data_filter!r} to train on {name}")
    if crop != GANConfig.crop and not chosen.takes_crop:
        cropped = ", ".join(entry.name for entry in DATASETS.values() if entry.takes_crop)
        raise UsageError(f"crop sets the centre square cut from CelebA's photos, which only {cropped} has; "
                         f"remove crop={crop} to train on {name}")
    return with_channel_axis(chosen.load(data_dir, size or chosen.preset.image_size, data_filter, crop))
