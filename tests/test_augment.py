"""Augmentation of what D sees: reproducible from its draws, differentiable, and applied to real and fake alike."""

import numpy as np
import pytest
import tensorflow as tf

from dcgan_helpers.augment import augment
from dcgan_helpers.gan import build_dcgan
from dcgan_helpers.pipeline import DRAWS_PER_IMAGE

pytestmark = pytest.mark.kernel


def pictures(count=3, size=16, channels=3, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (count, size, size, channels)).astype(np.float32)


def test_middle_draws_change_nothing():
    images = pictures()
    np.testing.assert_allclose(augment(images, np.full((3, 4), 0.5, np.float32)), images, atol=1e-6)


def test_the_largest_draw_shifts_by_an_eighth_and_fills_the_border_with_grey():
    images = pictures(count=1, size=16)
    draws = np.array([[0.5, 0.5, 1.0, 0.0]], np.float32)  # down by 2 rows, left by 2 columns
    shifted = augment(images, draws).numpy()[0]
    np.testing.assert_allclose(shifted[2:, :-2], images[0, :-2, 2:], atol=1e-6)
    assert np.all(shifted[:2] == 0) and np.all(shifted[:, -2:] == 0)


def test_brightness_and_contrast_follow_their_draws():
    images = pictures(count=2)
    brighter = augment(images, np.array([[1.0, 0.5, 0.5, 0.5]] * 2, np.float32)).numpy()
    np.testing.assert_allclose(brighter, images + 0.25, atol=1e-6)
    flatter = augment(images, np.array([[0.5, 0.0, 0.5, 0.5]] * 2, np.float32)).numpy()
    assert flatter.std() == pytest.approx(0.75 * images.std(), rel=1e-3)


def test_gradients_pass_through_to_the_generator():
    images = tf.Variable(pictures(count=2))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(augment(images, np.random.default_rng(1).uniform(size=(2, 4)).astype(np.float32)))
    gradient = tape.gradient(loss, images).numpy()
    assert np.count_nonzero(gradient) > 0.5 * gradient.size


def test_a_step_with_augmentation_changes_what_d_sees(tiny_config):
    images = np.random.default_rng(0).uniform(-1, 1, (16, 28, 28, 1)).astype(np.float32)
    noise = np.random.default_rng(1).standard_normal((16, 100)).astype(np.float32)
    draws = np.random.default_rng(2).uniform(size=(16, DRAWS_PER_IMAGE)).astype(np.float32)
    plain = build_dcgan(tiny_config).train_step((images, noise, draws))
    augmented = build_dcgan(tiny_config.replace(augment=True)).train_step((images, noise, draws))
    assert float(plain["d_real"]) != pytest.approx(float(augmented["d_real"]), abs=1e-7)
    assert np.isfinite(float(augmented["d_loss"])) and np.isfinite(float(augmented["g_loss"]))


def test_augmented_training_compiles_with_xla_and_mixed_precision(tiny_config):
    from dcgan_helpers.pipeline import training_dataset

    config = tiny_config.replace(augment=True, jit_compile=True, precision="mixed_bfloat16")
    images = np.random.default_rng(0).integers(0, 256, (32, 28, 28, 1), dtype=np.uint8)
    history = build_dcgan(config).fit(training_dataset(images, config), epochs=1, steps_per_epoch=2, verbose=0)
    assert all(np.isfinite(values[-1]) for values in history.history.values())
