"""The GAN theory of notebook 00, checked numerically, and the toy GAN that shows mode collapse."""

import numpy as np
import pytest

from dcgan_helpers.toy import (
    ToyGAN,
    ToySettings,
    gaussian_density,
    generator_loss_and_gradient,
    jensen_shannon,
    modes_covered,
    optimal_discriminator,
    plot_toy_state,
    ring_of_gaussians,
    value_function,
)

pytestmark = pytest.mark.kernel

GRID = np.linspace(-12, 12, 24001)
DX = GRID[1] - GRID[0]


def test_at_the_optimal_discriminator_the_value_is_twice_the_jsd_minus_log_4():
    p_data = 0.5 * gaussian_density(GRID, -2, 0.7) + 0.5 * gaussian_density(GRID, 2, 0.7)
    p_generator = gaussian_density(GRID, 0.5, 1.5)
    best = optimal_discriminator(p_data, p_generator)
    value = value_function(best, p_data, p_generator, DX)
    assert value == pytest.approx(2 * jensen_shannon(p_data, p_generator, DX) - np.log(4), abs=1e-9)
    for worse in (np.full_like(GRID, 0.5), np.clip(best + 0.05, 0, 1), best**2):
        assert value_function(worse, p_data, p_generator, DX) < value


def test_jsd_is_zero_for_equal_densities_and_log_2_for_disjoint_ones():
    p = gaussian_density(GRID, 0, 1)
    assert jensen_shannon(p, p, DX) == pytest.approx(0, abs=1e-12)
    assert optimal_discriminator(p, p) == pytest.approx(0.5)
    assert jensen_shannon(p, gaussian_density(GRID, 10, 0.3), DX) == pytest.approx(np.log(2), abs=1e-6)


@pytest.mark.parametrize("loss", ["saturating", "non_saturating"])
def test_generator_loss_gradients_are_derivatives_with_respect_to_the_logit(loss):
    logits = np.linspace(-4, 4, 9)
    step = 1e-6
    probability = 1 / (1 + np.exp(-logits))
    shifted = 1 / (1 + np.exp(-(logits + step)))
    values, gradients = generator_loss_and_gradient(probability, loss)
    numeric = (generator_loss_and_gradient(shifted, loss)[0] - values) / step
    np.testing.assert_allclose(gradients, numeric, rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError, match="loss must be one of"):
        generator_loss_and_gradient(probability, "wasserstein")


def test_ring_data_covers_all_modes_and_a_single_mode_covers_one():
    assert modes_covered(ring_of_gaussians(2000)) == 8
    assert modes_covered(np.tile([[2.0, 0.0]], (500, 1))) == 1
    assert modes_covered(np.zeros((500, 2))) == 0  # the centre is no mode


@pytest.mark.slow
def test_a_generator_outpacing_its_discriminator_collapses_and_more_d_steps_cure_it():
    data = ring_of_gaussians(20_000)
    collapsed = ToyGAN(ToySettings(generator_learning_rate=1e-3, discriminator_learning_rate=1e-4))
    collapsed.train(data, 1500, report_every=500)
    cured = ToyGAN(ToySettings(generator_learning_rate=1e-3, discriminator_learning_rate=1e-4,
                               discriminator_steps=5))
    cured.train(data, 1500, report_every=500)
    assert modes_covered(collapsed.sample(2000)) <= 4 < 7 <= modes_covered(cured.sample(2000))
    assert [row["step"] for row in cured.history] == [500, 1000, 1500]
    assert all(np.isfinite(row["d_loss"]) and 0 <= row["d_real"] <= 1 for row in cured.history)


def test_one_dimensional_toy_gan_and_its_pictures():
    import matplotlib

    matplotlib.use("Agg")
    rng = np.random.default_rng(0)
    data = np.concatenate([rng.normal(-2, 0.5, 3000), rng.normal(2, 0.5, 3000)])
    gan = ToyGAN(ToySettings(data_dim=1, noise_dim=1, batch_size=128))
    reports = []
    gan.train(data, 20, report_every=10, on_report=lambda toy: reports.append(toy.steps_done))
    assert reports == [10, 20] and gan.sample(5).shape == (5, 1)
    xs, probability = gan.decision_surface(resolution=50)
    assert xs.shape == probability.shape == (50,) and ((probability > 0) & (probability < 1)).all()
    assert "step 20" in plot_toy_state(gan, data).get_title()
    assert "modes covered" in plot_toy_state(ToyGAN(), ring_of_gaussians(500)).get_title()


def test_unknown_loss_is_refused():
    with pytest.raises(ValueError, match="loss must be one of"):
        ToyGAN(ToySettings(loss="hinge"))

