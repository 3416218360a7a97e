"""Latent vectors and the paths between them."""

import numpy as np
import pytest

from dcgan_helpers.latent import generate, interpolate, lerp, noise, slerp
from dcgan_helpers.models import build_generator

pytestmark = pytest.mark.kernel


def test_noise_is_reproducible_by_seed():
    assert np.array_equal(noise(4, 10, seed=3), noise(4, 10, seed=3))
    assert not np.array_equal(noise(4, 10, seed=3), noise(4, 10, seed=4))
    assert noise(4, 10).dtype == np.float32


def test_paths_start_and_end_at_the_given_points():
    start, end = noise(2, 100, seed=0)
    for spherical in (True, False):
        path = interpolate(start, end, steps=7, spherical=spherical)
        assert path.shape == (7, 100)
        np.testing.assert_allclose(path[0], start, atol=1e-5)
        np.testing.assert_allclose(path[-1], end, atol=1e-5)


def test_slerp_keeps_the_length_that_lerp_loses_halfway():
    start, end = noise(2, 100, seed=1)
    length = (np.linalg.norm(start) + np.linalg.norm(end)) / 2
    assert np.linalg.norm(lerp(start, end, 0.5)) < 0.8 * length  # the straight line dips towards the centre
    assert np.linalg.norm(slerp(start, end, 0.5)) == pytest.approx(length, rel=0.05)


def test_slerp_between_parallel_vectors_falls_back_to_a_line():
    vector = np.ones(5, np.float32)
    np.testing.assert_allclose(slerp(vector, 2 * vector, 0.5), 1.5 * vector, rtol=1e-6)


def test_an_interpolation_needs_two_steps():
    with pytest.raises(ValueError, match="at least 2"):
        interpolate(np.zeros(3), np.ones(3), steps=1)


def test_uniform_noise_is_the_dcgan_authors_u_minus_1_1_and_normal_stays_the_default():
    uniform = noise(20_000, 10, seed=3, distribution="uniform")
    assert uniform.dtype == np.float32 and uniform.min() >= -1 and uniform.max() < 1
    assert abs(uniform.mean()) < 0.01 and uniform.var() == pytest.approx(1 / 3, rel=0.02)
    np.testing.assert_array_equal(uniform, noise(20_000, 10, seed=3, distribution="uniform"))
    np.testing.assert_array_equal(noise(5, 10, seed=3), np.random.default_rng(3).standard_normal((5, 10)).astype(
        np.float32))  # the default draws what it always drew, so saved seeds give the same images
    with pytest.raises(ValueError, match="normal or uniform"):
        noise(2, 3, distribution="gaussian")


def test_generating_from_many_generators_in_a_row_warns_of_nothing(tiny_config, caplog):
    """A notebook judges several generators one after another; TensorFlow must not warn the reader of retracing."""
    for seed in range(7):
        generator = build_generator(tiny_config.replace(seed=seed))
        images = generate(generator, 3, seed=1)
        assert images.shape == (3, 28, 28, 1) and images.dtype == np.float32
        np.testing.assert_allclose(images, generate(generator, 3, seed=1, batch_size=2), atol=1e-6)  # batch by batch
    assert "retracing" not in caplog.text
