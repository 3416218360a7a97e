import keras
import numpy as np
import pytest

from dcgan_helpers.gan import (
    DIAGNOSTIC_NAMES,
    METRIC_NAMES,
    batch_spread,
    build_dcgan,
    discriminator_loss,
    generator_loss,
)
from dcgan_helpers.latent import generate
from dcgan_helpers.pipeline import training_dataset

pytestmark = pytest.mark.kernel


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def test_discriminator_loss_is_binary_cross_entropy_with_smoothed_real_targets():
    real_logits = np.array([[2.0], [-1.0], [0.5]], np.float32)
    fake_logits = np.array([[-3.0], [0.0], [1.0]], np.float32)
    real_targets, fake_targets = np.full((3, 1), 0.9, np.float32), np.zeros((3, 1), np.float32)
    expected = np.mean(-(0.9 * np.log(sigmoid(real_logits)) + 0.1 * np.log(1 - sigmoid(real_logits)))) + np.mean(
        -np.log(1 - sigmoid(fake_logits))
    )
    got = discriminator_loss(real_logits, fake_logits, real_targets, fake_targets)
    assert float(got) == pytest.approx(expected, rel=1e-5)


def test_generator_loss_is_non_saturating():
    fake_logits = np.array([[-6.0], [0.0], [3.0]], np.float32)
    assert float(generator_loss(fake_logits)) == pytest.approx(np.mean(-np.log(sigmoid(fake_logits))), rel=1e-5)
    # When D confidently rejects a fake (D(G(z)) ~ 0), the gradient stays large, unlike log(1 - D(G(z))).
    import tensorflow as tf

    logit = tf.Variable([[-8.0]])
    with tf.GradientTape() as tape:
        loss = generator_loss(logit)
    assert abs(float(tape.gradient(loss, logit)[0, 0])) > 0.99


def test_targets_are_one_sided_smoothed_and_label_noise_swaps_some(tiny_config):
    smoothed = build_dcgan(tiny_config.replace(label_smoothing=0.2))
    draws = np.random.default_rng(0).uniform(size=(2000, 2)).astype(np.float32)
    real_targets, fake_targets = (np.asarray(t) for t in smoothed.discriminator_targets(draws[:1000]))
    assert np.all(real_targets == pytest.approx(0.8)) and np.all(fake_targets == 0)
    noisy = build_dcgan(tiny_config.replace(label_smoothing=0.1, label_noise=0.2))
    real_targets, fake_targets = (np.asarray(t) for t in noisy.discriminator_targets(draws))
    assert np.allclose(np.unique(real_targets), [0.0, 0.9]) and np.allclose(np.unique(fake_targets), [0.0, 0.9])
    assert 0.15 < np.mean(real_targets == 0) < 0.25 and 0.15 < np.mean(fake_targets > 0) < 0.25


def test_the_hands_preset_smooths_real_targets_only():
    """The 11k Hands design: one-sided label smoothing on the discriminator's real labels."""
    from dcgan_helpers.datasets import preset

    config = preset("hands64").replace(generator_filters=8, discriminator_filters=8)
    real_targets, fake_targets = build_dcgan(config).discriminator_targets(np.full((8, 2), 0.9, np.float32))
    assert config.label_smoothing == pytest.approx(0.1)
    assert np.allclose(real_targets, 0.9) and np.all(np.asarray(fake_targets) == 0)


def test_the_loss_of_a_training_step_uses_the_smoothed_real_target_and_zero_for_fakes():
    from dcgan_helpers.datasets import preset
    from dcgan_helpers.pipeline import DRAWS_PER_IMAGE

    config = preset("hands64").replace(image_size=32, generator_filters=8, discriminator_filters=8, batch_size=8,
                                       precision="float32")
    gan = build_dcgan(config)
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (8, 32, 32, 3)).astype(np.float32)
    noise = rng.standard_normal((8, 100)).astype(np.float32)
    real_logits = np.asarray(gan.discriminator(images, training=True), np.float64)  # before the step's update
    fake_logits = np.asarray(gan.discriminator(gan.generator(noise, training=True), training=True), np.float64)

    def cross_entropy(logits, target):
        return np.mean(np.logaddexp(0, logits) - target * logits)

    expected = cross_entropy(real_logits, 0.9) + cross_entropy(fake_logits, 0.0)
    logs = gan.train_step((images, noise, rng.uniform(size=(8, DRAWS_PER_IMAGE)).astype(np.float32)))
    assert float(logs["d_loss"]) == pytest.approx(expected, rel=1e-4)
    assert float(logs["d_loss"]) != pytest.approx(cross_entropy(real_logits, 1.0) + cross_entropy(fake_logits, 0.0),
                                                  rel=1e-4)


def images_for(config, count=64):
    return np.random.default_rng(0).integers(0, 256, (count, config.image_size, config.image_size, config.channels),
                                             dtype=np.uint8)


def test_fit_reports_the_four_metrics_and_the_diagnostics_and_steps_both_optimizers(tiny_config):
    gan = build_dcgan(tiny_config)
    history = gan.fit(training_dataset(images_for(tiny_config), tiny_config), epochs=2, steps_per_epoch=3, verbose=0)
    assert set(history.history) == set(METRIC_NAMES + DIAGNOSTIC_NAMES)
    assert all(np.isfinite(values).all() for values in history.history.values())
    assert all(0 < value < 1 for value in history.history["d_real"] + history.history["d_fake"])
    assert int(gan.generator_optimizer.iterations) == 6 and int(gan.discriminator_optimizer.iterations) == 6


def test_both_networks_learn_from_a_step(tiny_config):
    gan = build_dcgan(tiny_config)
    before = [w.numpy() for w in gan.generator.trainable_weights + gan.discriminator.trainable_weights]
    gan.fit(training_dataset(images_for(tiny_config), tiny_config), epochs=1, steps_per_epoch=1, verbose=0)
    after = gan.generator.trainable_weights + gan.discriminator.trainable_weights
    assert all(not np.allclose(old, new.numpy()) for old, new in zip(before, after, strict=True))


def test_same_seed_builds_and_trains_the_same_gan(tiny_config):
    losses = []
    for _ in range(2):
        gan = build_dcgan(tiny_config)
        history = gan.fit(training_dataset(images_for(tiny_config), tiny_config), epochs=1, steps_per_epoch=2,
                          verbose=0)
        losses.append(history.history["d_loss"][0])
    assert losses[0] == pytest.approx(losses[1], rel=1e-5)


@pytest.mark.parametrize("switches", [
    {"precision": "mixed_float16"}, {"precision": "mixed_bfloat16"}, {"precision": "float32", "jit_compile": True},
    {"precision": "mixed_float16", "jit_compile": True},
])
def test_mixed_precision_and_xla_train_with_finite_losses(tiny_config, switches):
    config = tiny_config.replace(**switches)
    gan = build_dcgan(config)
    history = gan.fit(training_dataset(images_for(config), config), epochs=1, steps_per_epoch=3, verbose=0)
    assert all(np.isfinite(values).all() for values in history.history.values())
    expected = keras.optimizers.LossScaleOptimizer if config.precision == "mixed_float16" else keras.optimizers.Adam
    assert isinstance(gan.generator_optimizer, expected) and isinstance(gan.discriminator_optimizer, expected)
    assert gan.generator_optimizer is not gan.discriminator_optimizer
    assert gan.jit_compile == bool(config.jit_compile)


def test_sample_is_repeatable_per_seed(tiny_config):
    gan = build_dcgan(tiny_config)
    first, again, other = (np.asarray(gan.sample(4, seed=seed)) for seed in (7, 7, 8))
    assert first.shape == (4, 28, 28, 1)
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)


def test_mean_discriminator_output_is_d_s_average_probability_over_batches(tiny_config):
    from dcgan_helpers.gan import mean_discriminator_output
    from dcgan_helpers.images import to_float

    gan = build_dcgan(tiny_config)
    images = images_for(tiny_config, count=70)
    expected = float(np.mean(1 / (1 + np.exp(-np.asarray(gan.discriminator(to_float(images)))))))
    assert mean_discriminator_output(gan.discriminator, images, batch_size=32) == pytest.approx(expected, rel=1e-5)


def test_weight_decay_adds_its_multiple_of_each_variable_to_the_gradient(tiny_config):
    """L2 weight decay as the DCGAN authors' Adam applies it: gradient + weight_decay * variable, every variable."""
    from dcgan_helpers.pipeline import DRAWS_PER_IMAGE

    config = tiny_config.replace(precision="float32", batch_size=8)
    rng = np.random.default_rng(0)
    batch = (rng.uniform(-1, 1, (8, 28, 28, 1)).astype(np.float32), rng.standard_normal((8, 100)).astype(np.float32),
             rng.uniform(size=(8, DRAWS_PER_IMAGE)).astype(np.float32))
    updated = {}
    for weight_decay in (0.0, 0.1):
        gan = build_dcgan(config.replace(weight_decay=weight_decay))  # same seed: the same starting weights
        gan.compile(generator_optimizer=keras.optimizers.SGD(1.0), discriminator_optimizer=keras.optimizers.SGD(1.0))
        variables = gan.generator.trainable_variables + gan.discriminator.trainable_variables
        before = [np.asarray(variable) for variable in variables]
        gan.train_step(batch)
        updated[weight_decay] = [np.asarray(variable) for variable in variables]
    for start, plain, decayed in zip(before, updated[0.0], updated[0.1], strict=True):
        np.testing.assert_allclose(decayed - plain, -0.1 * start, atol=1e-5)  # SGD step 1: minus the extra gradient


def test_samples_and_preview_noise_come_from_the_configured_distribution(tiny_config, tmp_path):
    from dcgan_helpers.latent import generate, noise
    from dcgan_helpers.session import Session

    config = tiny_config.replace(noise_distribution="uniform")
    gan = build_dcgan(config)
    np.testing.assert_allclose(gan.sample(4, seed=5), generate(gan.generator, 4, 5, distribution="uniform"),
                               atol=1e-6)
    assert not np.allclose(gan.sample(4, seed=5), generate(gan.generator, 4, 5))
    preview = Session.create(config, runs_dir=tmp_path).restore(0).preview_noise
    np.testing.assert_array_equal(preview, noise(config.preview_count, config.noise_dim, config.seed, "uniform"))


class GeneratorWeightsPerStep(keras.callbacks.Callback):
    """Records G's weights (BatchNorm statistics included) after every training step."""

    def __init__(self):
        super().__init__()
        self.steps = []

    def on_train_batch_end(self, batch, logs=None):
        self.steps.append([weight.numpy() for weight in self.model.generator.weights])


def test_the_averaged_generator_copies_g_until_the_start_step_then_averages_every_weight(tiny_config):
    config = tiny_config.replace(ema_decay=0.75, ema_start_step=2)
    gan = build_dcgan(config)
    recorder = GeneratorWeightsPerStep()
    gan.fit(training_dataset(images_for(config), config), epochs=1, steps_per_epoch=4, verbose=0,
            callbacks=[recorder])
    expected = recorder.steps[1]  # steps 1 and 2 copy G
    for update, weights in enumerate(recorder.steps[2:], start=1):
        decay = min(0.75, (1 + update) / (10 + update))  # 2/11, then 3/12: the warm-up, below 0.75 here
        expected = [decay * average + (1 - decay) * weight for average, weight in zip(expected, weights, strict=True)]
    averaged = [weight.numpy() for weight in gan.averaged_generator.weights]
    assert len(averaged) == len(gan.generator.weights) > len(gan.generator.trainable_weights)  # BN statistics too
    for want, got in zip(expected, averaged, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert not np.allclose(averaged[0], recorder.steps[-1][0])  # the average lags behind G


def test_samples_come_from_the_average_when_one_is_kept_and_g_and_d_train_the_same_either_way(tiny_config):
    trained = {}
    for decay in (0.9, 0.0):
        config = tiny_config.replace(ema_decay=decay)
        gan = build_dcgan(config)
        gan.fit(training_dataset(images_for(config), config), epochs=1, steps_per_epoch=2, verbose=0)
        expected = gan.averaged_generator if decay else gan.generator
        assert gan.sampling_generator is expected and (gan.averaged_generator is None) == (decay == 0)
        np.testing.assert_array_equal(gan.sample(3, seed=5), generate(expected, 3, seed=5))
        trained[decay] = [weight.numpy() for weight in gan.generator.weights + gan.discriminator.weights]
    for with_average, without in zip(trained[0.9], trained[0.0], strict=True):
        np.testing.assert_array_equal(with_average, without)


def one_batch(config, seed=0):
    from dcgan_helpers.pipeline import DRAWS_PER_IMAGE

    rng = np.random.default_rng(seed)
    size, batch = config.image_size, config.batch_size
    return (rng.uniform(-1, 1, (batch, size, size, config.channels)).astype(np.float32),
            rng.standard_normal((batch, config.noise_dim)).astype(np.float32),
            rng.uniform(size=(batch, DRAWS_PER_IMAGE)).astype(np.float32))


def test_a_step_records_each_networks_gradient_norm_and_the_spread_of_both_batches(tiny_config):
    import tensorflow as tf

    config = tiny_config.replace(precision="float32")
    gan = build_dcgan(config)
    images, noise, draws = one_batch(config)
    with tf.GradientTape(persistent=True) as tape:  # the step's own losses, on the weights before its update
        fakes = gan.generator(noise, training=True)
        real_logits, fake_logits = gan.discriminator(images, training=True), gan.discriminator(fakes, training=True)
        d_loss = discriminator_loss(real_logits, fake_logits, *gan.discriminator_targets(draws))
        g_loss = generator_loss(fake_logits)
    expected = {"d_grad_norm": tf.linalg.global_norm(tape.gradient(d_loss, gan.discriminator.trainable_variables)),
                "g_grad_norm": tf.linalg.global_norm(tape.gradient(g_loss, gan.generator.trainable_variables)),
                "fake_spread": np.std(np.asarray(fakes), axis=0).mean(), "real_spread": np.std(images, axis=0).mean()}
    logs = gan.train_step((images, noise, draws))
    for name, value in expected.items():
        assert float(logs[name]) == pytest.approx(float(value), rel=1e-4), name


def test_gradient_norms_are_the_same_with_loss_scaling(tiny_config):
    """A loss-scale optimizer multiplies the loss, and so the gradient, by its scale: the norm recorded is
    the gradient's before scaling, so runs in float16 on a GPU read like runs in float32."""
    config = tiny_config.replace(precision="float32")
    norms = []
    for scaled in (False, True):
        gan = build_dcgan(config)
        if scaled:
            gan.compile(keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam(2e-4), initial_scale=2.0**12),
                        keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam(2e-4), initial_scale=2.0**12))
        logs = gan.train_step(one_batch(config))
        norms.append([float(logs["d_grad_norm"]), float(logs["g_grad_norm"])])
    assert norms[1] == pytest.approx(norms[0], rel=1e-4)


def test_the_spread_of_a_batch_is_zero_for_copies_of_one_image():
    rng = np.random.default_rng(0)
    varied = rng.uniform(-1, 1, (16, 8, 8, 1)).astype(np.float32)
    assert float(batch_spread(np.repeat(varied[:1], 16, axis=0))) == pytest.approx(0.0, abs=1e-6)
    assert float(batch_spread(varied)) == pytest.approx(np.std(varied, axis=0).mean(), rel=1e-5)
