"""Fréchet distance and class coverage against answers known in closed form."""

import numpy as np
import pytest

from dcgan_helpers.errors import UsageError
from dcgan_helpers.metrics import (
    class_coverage,
    feature_statistics,
    frechet_distance,
    frechet_distance_from_statistics,
)

pytestmark = pytest.mark.kernel


def test_same_distribution_is_near_zero_and_a_shifted_mean_costs_its_squared_length():
    rng = np.random.default_rng(0)
    features = rng.standard_normal((20_000, 8))
    other = rng.standard_normal((20_000, 8))
    assert frechet_distance(features, other) < 0.02
    shift = np.array([3.0, 0, 0, 0, 4.0, 0, 0, 0])  # length 5
    assert frechet_distance(features, features + shift) == pytest.approx(25.0, rel=1e-9)
    assert frechet_distance(features, other + shift) == pytest.approx(25.0, abs=0.3)  # plus sampling noise


def test_closed_form_for_diagonal_gaussians():
    # For diagonal covariances the distance is Σ (μa−μb)² + Σ (σa − σb)².
    mean_a, mean_b = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    std_a, std_b = np.array([1.0, 2.0, 0.5]), np.array([3.0, 1.0, 0.5])
    expected = ((mean_a - mean_b) ** 2).sum() + ((std_a - std_b) ** 2).sum()
    got = frechet_distance_from_statistics(mean_a, np.diag(std_a**2), mean_b, np.diag(std_b**2))
    assert got == pytest.approx(expected, rel=1e-12)


def test_matches_the_textbook_formula_with_a_general_matrix_square_root():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((5, 5)), rng.standard_normal((5, 5))
    covariance_a, covariance_b = a @ a.T + 0.1 * np.eye(5), b @ b.T + 0.1 * np.eye(5)
    mean_a, mean_b = rng.standard_normal(5), rng.standard_normal(5)
    eigenvalues = np.linalg.eigvals(covariance_a @ covariance_b)  # real and positive for SPD products
    trace_of_root = np.sqrt(eigenvalues).real.sum()
    textbook = ((mean_a - mean_b) ** 2).sum() + np.trace(covariance_a + covariance_b) - 2 * trace_of_root
    assert frechet_distance_from_statistics(mean_a, covariance_a, mean_b, covariance_b) == pytest.approx(textbook)


def test_near_singular_covariances_give_a_real_finite_distance():
    rng = np.random.default_rng(2)
    low_rank = rng.standard_normal((500, 3)) @ rng.standard_normal((3, 64))  # rank 3 in 64 dimensions
    distance = frechet_distance(low_rank, low_rank + 1e-9 * rng.standard_normal(low_rank.shape))
    assert np.isfinite(distance) and distance == pytest.approx(0.0, abs=1e-6)


def test_too_few_samples_for_the_covariance_are_refused():
    with pytest.raises(UsageError, match="more than 16"):
        feature_statistics(np.zeros((16, 16)))


def test_class_coverage_ignores_stray_predictions():
    predictions = np.array([0] * 600 + [1] * 390 + [2] * 9 + [3] * 1)
    covered, shares = class_coverage(predictions, class_count=10)
    assert covered == 2  # classes 2 and 3 get 0.9% and 0.1%, under the 1% bar
    assert shares[:4] == pytest.approx([0.6, 0.39, 0.009, 0.001]) and shares.sum() == pytest.approx(1.0)


def test_class_coverage_warns_when_samples_are_few():
    with pytest.warns(UserWarning, match="coarse"):
        class_coverage(np.arange(10), class_count=10)


def test_unbiased_squared_mmd_matches_its_definition_on_a_small_case():
    from dcgan_helpers.metrics import polynomial_kernel, squared_mmd_unbiased

    a = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    b = np.array([[2.0, 0.0], [0.0, 2.0]])
    k = lambda x, y: (x @ y / 2 + 1) ** 3  # noqa: E731
    within_a = sum(k(a[i], a[j]) for i in range(3) for j in range(3) if i != j) / 6
    within_b = sum(k(b[i], b[j]) for i in range(2) for j in range(2) if i != j) / 2
    across = sum(k(x, y) for x in a for y in b) / 6
    assert squared_mmd_unbiased(a, b) == pytest.approx(within_a + within_b - 2 * across)
    assert polynomial_kernel(a, b).shape == (3, 2)


def test_kid_is_near_zero_for_one_distribution_and_grows_with_a_shift():
    from dcgan_helpers.metrics import kernel_distance

    rng = np.random.default_rng(3)
    same, spread = kernel_distance(rng.standard_normal((2000, 16)), rng.standard_normal((2000, 16)), subsets=20,
                                   subset_size=500)
    assert abs(same) < 3 * spread + 1e-3  # unbiased: centred on 0
    shifted, _ = kernel_distance(rng.standard_normal((2000, 16)), rng.standard_normal((2000, 16)) + 1.0, subsets=20,
                                 subset_size=500)
    assert shifted > 0.5


def test_nearest_neighbours_finds_the_closest_reference():
    from dcgan_helpers.metrics import nearest_neighbours

    references = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    indices, distances = nearest_neighbours(np.array([[9.0, 1.0], [0.5, 0.0]]), references, batch_size=1)
    assert indices.tolist() == [1, 0]
    np.testing.assert_allclose(distances, [np.sqrt(2), 0.5], rtol=1e-6)
