"""A small Fashion-MNIST classifier the project trains itself, used to judge generated clothes.

Its 128-dimensional penultimate layer gives features for a Fréchet distance between real and
generated images (the idea of FID, with a network that knows this domain and runs in seconds on
a CPU); its predictions give class coverage, which exposes a generator that draws only a few
kinds of garment. Retrain it with ``python -m dcgan_helpers.fashion_classifier``.
"""

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
from keras import layers

from .errors import DataFormatError
from .fashion_mnist import FASHION_MNIST_CLASSES, load_fashion_mnist
from .files import atomic_path, write_text_atomically
from .images import to_float, with_channel_axis
from .metrics import class_coverage, feature_statistics, frechet_distance_from_statistics

__all__ = ["ClassFidelity", "FashionMNISTJudge", "QualityReport", "accuracy", "as_classifier_input", "load_classifier",
           "main", "named_as_asked", "save_classifier", "shipped_report", "train_classifier"]

ASSETS_DIR = Path(__file__).resolve().parent / "assets"
WEIGHTS_PATH = ASSETS_DIR / "fashion_mnist_classifier.npz"
REPORT_PATH = ASSETS_DIR / "fashion_mnist_classifier.json"  # how the shipped weights were trained, and how well
FEATURE_LAYER = "features"
BATCH_SIZE = 128


def build_classifier() -> keras.Model:
    """Five 3×3 convolutions (two of them strided) with batch norm, global average pooling, 128 features, 10 logits."""
    images = keras.Input((28, 28, 1))
    x = images
    for filters, strides in ((32, 1), (32, 2), (64, 1), (64, 2), (128, 1)):
        x = layers.Conv2D(filters, 3, strides=strides, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization(momentum=0.9)(x)
        x = layers.ReLU()(x)
    x = layers.GlobalAveragePooling2D()(x)
    features = layers.Dense(128, activation="relu", name=FEATURE_LAYER)(x)
    logits = layers.Dense(10, name="logits")(layers.Dropout(0.3)(features))
    return keras.Model(images, logits, name="fashion_mnist_classifier")


def as_classifier_input(images) -> np.ndarray:
    """(N, 28, 28[, 1]) images, uint8 or float in [-1, 1], as the float32 [-1, 1] batch the classifier reads."""
    images = with_channel_axis(images)
    if images.shape[1:] != (28, 28, 1):
        raise DataFormatError(f"the Fashion-MNIST classifier reads 28×28 grayscale images, got shape {images.shape}")
    return to_float(images).numpy()


def train_classifier(images, labels, epochs: int = 8, seed: int = 0, verbose="auto") -> keras.Model:
    """Train a fresh classifier on uint8 images and their labels."""
    keras.utils.set_random_seed(seed)
    model = build_classifier()
    steps = epochs * -(-len(images) // BATCH_SIZE)
    model.compile(
        optimizer=keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(1e-3, steps)),  # settles at the end
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.fit(as_classifier_input(images), np.asarray(labels), batch_size=BATCH_SIZE, epochs=epochs, verbose=verbose)
    return model


def accuracy(model: keras.Model, images, labels) -> float:
    """Fraction of images whose predicted class is the label."""
    logits = model.predict(as_classifier_input(images), batch_size=500, verbose=0)
    return float((logits.argmax(axis=1) == np.asarray(labels)).mean())


def save_classifier(model: keras.Model, path=WEIGHTS_PATH) -> None:
    """Write the weights as one .npz file, replacing the old one in a single step."""
    with atomic_path(path) as temporary, open(temporary, "wb") as stream:
        np.savez(stream, *model.get_weights())


def shipped_report() -> dict:
    """How the weights shipped with the package were trained, and their accuracy on the test split."""
    return json.loads(REPORT_PATH.read_text())


def load_classifier(path=WEIGHTS_PATH) -> keras.Model:
    """The classifier with the weights in ``path`` (by default the ones shipped with the package)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no classifier weights at {path}; train them with python -m {__name__}")
    model = build_classifier()
    with np.load(path) as stored:
        model.set_weights([stored[f"arr_{index}"] for index in range(len(stored.files))])
    return model


@dataclass(frozen=True)
class QualityReport:
    """Sample quality of a Fashion-MNIST generator, with the sample counts the figures come from."""

    frechet_distance: float
    covered_classes: int
    class_shares: dict
    sample_count: int
    reference_count: int

    def __str__(self):
        return (
            f"Fréchet distance {self.frechet_distance:.2f} ({self.sample_count} samples vs "
            f"{self.reference_count} real test images), classes covered {self.covered_classes}/10"
        )


@dataclass(frozen=True)
class ClassFidelity:
    """How often the classifier names the class a conditional generator was asked for, overall and per class,
    beside the same figures for real test images (the classifier's own accuracy: no generator can beat it much)."""

    overall: float
    per_class: dict
    real_overall: float
    real_per_class: dict
    sample_count: int

    def __str__(self):
        worst = min(self.per_class, key=self.per_class.get)
        return (f"the classifier names the asked-for class in {self.overall:.1%} of {self.sample_count:,} samples "
                f"(real test images: {self.real_overall:.1%}); lowest: {worst} {self.per_class[worst]:.1%} "
                f"(real {self.real_per_class[worst]:.1%})")


def named_as_asked(predicted, asked) -> tuple[float, dict]:
    """The share of ``predicted`` classes equal to ``asked``, overall and per asked-for class."""
    predicted, asked = np.asarray(predicted), np.asarray(asked)
    per_class = {name: round(float(np.mean(predicted[asked == index] == index)), 4)
                 for index, name in enumerate(FASHION_MNIST_CLASSES) if np.any(asked == index)}
    return round(float(np.mean(predicted == asked)), 4), per_class


class FashionMNISTJudge:
    """Compares generated images with the real Fashion-MNIST test split through the classifier's eyes.

    The real statistics are computed once, when the judge is made; lower distance is better and
    0 means the features of samples and real images have the same mean and covariance.
    """

    def __init__(self, classifier: keras.Model | None = None, reference_images=None, data_dir=None):
        self.classifier = classifier or load_classifier()
        self.features_and_logits = keras.Model(
            self.classifier.inputs, [self.classifier.get_layer(FEATURE_LAYER).output, *self.classifier.outputs])
        self.reference_labels = None
        if reference_images is None:
            reference_images, self.reference_labels = load_fashion_mnist(data_dir, split="test")
        self.reference_count = len(reference_images)
        features, self.reference_classes = self.features_and_classes(reference_images)
        self.reference_statistics = feature_statistics(features)

    def features_and_classes(self, images, batch_size: int = 500) -> tuple[np.ndarray, np.ndarray]:
        """The 128 features and the predicted class of each image."""
        features, logits = self.features_and_logits.predict(as_classifier_input(images), batch_size=batch_size,
                                                            verbose=0)
        return features, logits.argmax(axis=1)

    def evaluate(self, images) -> QualityReport:
        """Fréchet distance and class coverage of generated images (uint8, or float in [-1, 1])."""
        features, classes = self.features_and_classes(images)
        distance = frechet_distance_from_statistics(*feature_statistics(features), *self.reference_statistics)
        covered, shares = class_coverage(classes, len(FASHION_MNIST_CLASSES))
        return QualityReport(
            frechet_distance=distance,
            covered_classes=covered,
            class_shares=dict(zip(FASHION_MNIST_CLASSES, np.round(shares, 4).tolist(), strict=True)),
            sample_count=len(images),
            reference_count=self.reference_count,
        )

    def class_fidelity(self, images, asked) -> ClassFidelity:
        """How often the classifier names the class ``asked`` of each generated image (uint8, or float in [-1, 1])."""
        if self.reference_labels is None:
            raise ValueError("class fidelity compares with the real test images' labels: make the judge without "
                             "reference_images")
        overall, per_class = named_as_asked(self.features_and_classes(images)[1], asked)
        real_overall, real_per_class = named_as_asked(self.reference_classes, self.reference_labels)
        return ClassFidelity(overall, per_class, real_overall, real_per_class, len(images))


def main(argv=None) -> None:
    """Retrain the classifier on the training split, report its test accuracy, and replace the shipped weights."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", default=None, help="folder with the Fashion-MNIST .gz files")
    parser.add_argument("--out", default=str(WEIGHTS_PATH), help="where to write the weights (.npz)")
    args = parser.parse_args(argv)
    train_images, train_labels = load_fashion_mnist(args.data_dir, split="train")
    test_images, test_labels = load_fashion_mnist(args.data_dir, split="test")
    model = train_classifier(train_images, train_labels, epochs=args.epochs, seed=args.seed, verbose=2)
    test_accuracy = accuracy(model, test_images, test_labels)
    save_classifier(model, args.out)
    report = {"epochs": args.epochs, "seed": args.seed, "test_accuracy": round(test_accuracy, 4)}
    write_text_atomically(Path(args.out).with_suffix(".json"), json.dumps(report, indent=2) + "\n")
    print(f"test accuracy {test_accuracy:.4f}; weights written to {args.out}")


if __name__ == "__main__":
    main()
