"""Sample-quality numbers: the Fréchet distance between two sets of features, and class coverage."""

import warnings

import numpy as np

from .errors import UsageError


def feature_statistics(features) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance of (N, D) features in float64; needs more samples than dimensions."""
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2:
        raise UsageError(f"features must be a 2-D array (samples, dimensions), got shape {features.shape}")
    count, dimensions = features.shape
    if count <= dimensions:
        raise UsageError(
            f"{count} samples cannot estimate the covariance of {dimensions}-dimensional features; "
            f"use more than {dimensions} samples (thousands for a figure worth comparing)"
        )
    return features.mean(axis=0), np.cov(features, rowvar=False)


def _symmetric_sqrt(matrix: np.ndarray) -> np.ndarray:
    """Square root of a symmetric positive semi-definite matrix; tiny negative eigenvalues from rounding become 0."""
    eigenvalues, eigenvectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (eigenvectors * np.sqrt(np.clip(eigenvalues, 0, None))) @ eigenvectors.T


def frechet_distance_from_statistics(mean_a, covariance_a, mean_b, covariance_b) -> float:
    """‖μa − μb‖² + Tr(Σa + Σb − 2 (Σa Σb)^½) for two Gaussians.

    Tr((Σa Σb)^½) is computed as the sum of square roots of the eigenvalues of the symmetric
    matrix Σa^½ Σb Σa^½, which has the same eigenvalues and stays real and stable even when
    the covariances are near singular (a plain ``sqrtm(Σa @ Σb)`` can return complex noise).
    """
    mean_a, mean_b = np.asarray(mean_a, np.float64), np.asarray(mean_b, np.float64)
    covariance_a, covariance_b = np.asarray(covariance_a, np.float64), np.asarray(covariance_b, np.float64)
    root_a = _symmetric_sqrt(covariance_a)
    product_eigenvalues = np.linalg.eigvalsh(root_a @ covariance_b @ root_a)
    trace_of_root = np.sqrt(np.clip(product_eigenvalues, 0, None)).sum()
    difference = mean_a - mean_b
    distance = difference @ difference + np.trace(covariance_a) + np.trace(covariance_b) - 2 * trace_of_root
    return float(max(distance, 0.0))


def frechet_distance(features_a, features_b) -> float:
    """Fréchet distance between Gaussians fitted to two sets of (N, D) features (0 = same statistics).

    It is biased upwards at small N, so only compare figures computed with the same sample counts.
    """
    return frechet_distance_from_statistics(*feature_statistics(features_a), *feature_statistics(features_b))


def class_coverage(predicted_classes, class_count: int, minimum_share: float = 0.1) -> tuple[int, np.ndarray]:
    """How many classes the samples cover, and the share of samples in each class.

    A class counts as covered when it receives at least ``minimum_share`` of the share it
    would get if samples were spread evenly (with 10 classes and the default 0.1: at least
    1% of the samples), so a handful of stray predictions does not count as a mode.
    """
    predicted_classes = np.asarray(predicted_classes)
    if predicted_classes.size == 0:
        raise UsageError("class coverage needs at least one predicted class")
    if predicted_classes.size < 100 * class_count:
        warnings.warn(
            f"class coverage from {predicted_classes.size} samples is coarse; use at least {100 * class_count}",
            stacklevel=2,
        )
    shares = np.bincount(predicted_classes, minlength=class_count)[:class_count] / predicted_classes.size
    return int((shares >= minimum_share / class_count).sum()), shares
