"""Sample quality from any features: Fréchet distance, kernel distance (KID), class coverage, nearest neighbours."""

import warnings

import numpy as np

from .errors import UsageError

__all__ = ["class_coverage", "feature_statistics", "frechet_distance", "frechet_distance_from_statistics",
           "kernel_distance", "nearest_neighbours", "polynomial_kernel", "squared_mmd_unbiased"]


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


def polynomial_kernel(features_a, features_b) -> np.ndarray:
    """k(x, y) = (x·y / d + 1)³, the kernel of KID (Bińkowski et al., 2018)."""
    return (features_a @ features_b.T / features_a.shape[1] + 1.0) ** 3


def squared_mmd_unbiased(features_a, features_b) -> float:
    """Unbiased estimate of the squared maximum mean discrepancy with the polynomial kernel."""
    m, n = len(features_a), len(features_b)
    within_a, within_b = polynomial_kernel(features_a, features_a), polynomial_kernel(features_b, features_b)
    return float(
        (within_a.sum() - np.trace(within_a)) / (m * (m - 1))
        + (within_b.sum() - np.trace(within_b)) / (n * (n - 1))
        - 2 * polynomial_kernel(features_a, features_b).mean()
    )


def kernel_distance(features_a, features_b, subsets: int = 100, subset_size: int = 1000,
                    seed: int = 0) -> tuple[float, float]:
    """KID: the mean and standard deviation of the unbiased squared MMD over random subsets.

    Unlike the Fréchet distance it is unbiased, so small sample counts give the right value on
    average (with a wider spread, which the standard deviation reports).
    """
    features_a, features_b = np.asarray(features_a, np.float64), np.asarray(features_b, np.float64)
    size = min(subset_size, len(features_a), len(features_b))
    if size < 2:
        raise UsageError("KID needs at least 2 samples in each set")
    rng = np.random.default_rng(seed)
    estimates = [
        squared_mmd_unbiased(features_a[rng.choice(len(features_a), size, replace=False)],
                             features_b[rng.choice(len(features_b), size, replace=False)])
        for _ in range(subsets)
    ]
    return float(np.mean(estimates)), float(np.std(estimates))


def nearest_neighbours(queries, references, batch_size: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """For each query vector, the index of the closest reference vector and the Euclidean distance to it."""
    queries = np.asarray(queries, np.float32).reshape(len(queries), -1)
    references = np.asarray(references, np.float32).reshape(len(references), -1)
    reference_norms = (references**2).sum(axis=1)
    indices, distances = [], []
    for start in range(0, len(queries), batch_size):
        block = queries[start: start + batch_size]
        squared = (block**2).sum(axis=1)[:, None] - 2 * block @ references.T + reference_norms[None]
        nearest = squared.argmin(axis=1)
        indices.append(nearest)
        distances.append(np.sqrt(np.maximum(squared[np.arange(len(block)), nearest], 0)))
    return np.concatenate(indices), np.concatenate(distances)
