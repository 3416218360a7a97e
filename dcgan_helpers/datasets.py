"""The datasets the trainer knows: one registry from which the loaders, the presets and the CLI's help come.

Each entry names how to load the dataset's images and their classes (for a conditional GAN), the
hyperparameters that suit it (its preset), whether it needs a folder named by the user, and whether
its images can be chosen by metadata (``config.data_filter``). To add a dataset, add one entry here.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .celeba import load_celeba
from .config import GANConfig
from .errors import ConfigError, DataFormatError, UsageError
from .fashion_mnist import FASHION_MNIST_CLASSES, load_fashion_mnist
from .hands import hand_labels, load_hands, parse_filter
from .image_folder import folder_labels, load_image_folder
from .images import with_channel_axis

__all__ = ["DATASETS", "Dataset", "dataset", "load_images", "load_labels", "preset"]


@dataclass(frozen=True)
class Dataset:
    """One dataset: ``load(data_dir, size, data_filter, crop)`` returns its training images as uint8;
    ``labels(images, data_dir, label_by)`` the class of each of them and the class names, in label order."""

    name: str
    description: str  # a few words for the command line's help
    preset: GANConfig  # the hyperparameters that suit it
    load: Callable[..., np.ndarray]
    labels: Callable[..., tuple[np.ndarray, tuple[str, ...]]] | None = None  # None: no classes to condition on
    needs_data_dir: bool = False  # the user's own images: there is no place to look for them by default
    takes_filter: bool = False  # images can be chosen by what a metadata file says about them
    takes_crop: bool = False  # photos are cut to the centre square of side config.crop


DATASETS = {dataset.name: dataset for dataset in (
    Dataset("fashion_mnist", "Fashion-MNIST, 28x28 grayscale (the default)",
            # the paper's networks with a 3x3 stride-1 layer added at each resolution; batch 32, Adam 8e-4 and
            # G's moving average: better samples in few epochs (benchmarks/fashion_mnist_quality.py)
            GANConfig(layers_per_resolution=2, batch_size=32, generator_learning_rate=8e-4,
                      discriminator_learning_rate=8e-4, ema_decay=0.999),
            lambda data_dir, size, data_filter, crop: load_fashion_mnist(data_dir)[0],
            lambda images, data_dir, label_by: (load_fashion_mnist(data_dir)[1].astype(np.int32),
                                                FASHION_MNIST_CLASSES)),
    Dataset("celeba64", "CelebA faces at 64x64",
            GANConfig(dataset="celeba64", image_size=64, channels=3,
                      generator_filters=128,  # G 1024-512-256-128-3, the widths of the DCGAN paper's Figure 1
                      discriminator_filters=64),  # D 64-128-256-512-1, as in dcgan.torch and PyTorch's tutorial
            lambda data_dir, size, data_filter, crop: load_celeba(data_dir, size=size, crop=crop),
            takes_crop=True),
    Dataset("hands64", "11k Hands at 64x64, a subset chosen by data_filter",
            GANConfig(dataset="hands64", image_size=64, channels=3, architecture="dense", kernel_size=5,
                      batch_size=64, label_smoothing=0.1, label_by="aspectOfHand"),
            lambda data_dir, size, data_filter, crop: load_hands(data_dir, size=size,
                                                                 filters=parse_filter(data_filter)),
            lambda images, data_dir, label_by: hand_labels(images, label_by, data_dir),
            takes_filter=True),
    Dataset("folder", "your own images in --data-dir DIR, with the celeba64 model",
            GANConfig(dataset="folder", image_size=64, channels=3, generator_filters=128, discriminator_filters=64),
            lambda data_dir, size, data_filter, crop: load_image_folder(data_dir, size=size),
            lambda images, data_dir, label_by: folder_labels(images, data_dir),
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


def load_labels(name: str, images, data_dir=None, label_by: str = "") -> tuple[np.ndarray, tuple[str, ...]]:
    """The class of each of ``images`` (as ``load_images`` gave them) as int32 indices, and the class names:
    Fashion-MNIST's ten, the values of the ``HandInfo.csv`` column(s) ``label_by`` for 11k Hands, a folder's
    first-level subfolders."""
    chosen = dataset(name)
    if chosen.labels is None:
        labelled = ", ".join(entry.name for entry in DATASETS.values() if entry.labels is not None)
        raise UsageError(f"{name} has no classes to condition on (datasets that have: {labelled}); "
                         "remove conditional=true")
    if label_by and not chosen.takes_filter:
        described = ", ".join(entry.name for entry in DATASETS.values() if entry.takes_filter)
        raise UsageError(f"label_by names metadata columns, which only {described} has; remove label_by={label_by!r} "
                         f"to train on {name}")
    labels, classes = chosen.labels(images, data_dir, label_by)
    if len(labels) != len(images):
        raise DataFormatError(f"{name} gave {len(labels)} labels for {len(images)} images; prepare the data again")
    return labels, classes
