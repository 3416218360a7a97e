"""The DCGAN training step: both networks updated from one batch, driven by ``keras.Model.fit``."""

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from .augment import augment
from .config import GANConfig
from .device import spans_several_workers, steps_per_execution, uses_loss_scaling, uses_xla
from .images import to_float
from .latent import generate, noise_size, run_in_batches
from .models import build_discriminator, build_generator
from .pipeline import FAKE_AUGMENT_DRAWS, LABEL_SWAP_DRAWS, REAL_AUGMENT_DRAWS

__all__ = ["DCGAN", "DIAGNOSTIC_NAMES", "KERAS_INTERNALS", "METRIC_NAMES", "batch_spread", "build_dcgan",
           "discriminator_loss", "generator_loss", "mean_discriminator_output", "weight_decay_penalty"]

METRIC_NAMES = ("d_loss", "g_loss", "d_real", "d_fake")
# What a diagnosis needs beyond the losses, averaged over an epoch's steps like them: the global norm of each
# network's gradient (of its loss on one replica's images, loss scaling undone), and the spread of a batch
# (each pixel's standard deviation over the batch, averaged over pixels) of G's images and of real ones.
DIAGNOSTIC_NAMES = ("d_grad_norm", "g_grad_norm", "fake_spread", "real_spread")
# The private Keras names DCGAN relies on (see "Private Keras" in the class), as (owner, name).
KERAS_INTERNALS = (("keras.src.backend.tensorflow.trainer.TensorFlowTrainer", "_maybe_symbolic_build"),
                   ("keras.layers.Layer", "built"))


def discriminator_loss(real_logits, fake_logits, real_targets, fake_targets):
    """Binary cross-entropy of D on real and on fake images, each averaged, then added."""
    real_loss = tf.nn.sigmoid_cross_entropy_with_logits(labels=real_targets, logits=real_logits)
    fake_loss = tf.nn.sigmoid_cross_entropy_with_logits(labels=fake_targets, logits=fake_logits)
    return ops.mean(real_loss) + ops.mean(fake_loss)


def generator_loss(fake_logits):
    """Non-saturating loss -log D(G(z)): strong gradients exactly when D rejects the fakes."""
    return ops.mean(ops.softplus(-fake_logits))


def batch_spread(images):
    """How much a batch's images differ: each pixel's standard deviation over the batch, averaged over pixels.

    Near 0 when G draws (almost) the same image for every noise vector, whatever that image is.
    """
    return ops.mean(ops.std(ops.cast(images, "float32"), axis=0))


def weight_decay_penalty(network, weight_decay: float):
    """``weight_decay`` / 2 times the sum of squares of the network's trainable variables.

    Added to a loss, its gradient adds ``weight_decay * variable`` to each variable's gradient before
    Adam sees it: the L2 weight decay of the DCGAN authors' code (not AdamW's decoupled decay).
    """
    return 0.5 * weight_decay * ops.sum(ops.stack([ops.sum(ops.square(variable))
                                                    for variable in network.trainable_variables]))


class DCGAN(keras.Model):
    """A generator and a discriminator trained against each other by ``fit``.

    Each step takes a batch of real images with its noise (from ``pipeline.training_dataset``),
    generates one fake batch, and passes the real and the fake batch through D separately (so
    BatchNorm never mixes their statistics). Both networks are updated from the same forward
    pass, as in the TensorFlow DCGAN tutorial (the DCGAN authors' code and the PyTorch tutorial
    alternate D and G updates instead). Under a ``tf.distribute`` strategy each replica
    takes its slice of the global batch and the gradients are summed across replicas.

    A conditional DCGAN (``config.conditional``) takes each real image's class with the batch; G draws
    its fakes for the same classes, so D sees every class as often among the fakes as among the real
    images and can tell them apart only by how well each image fits its class.
    """

    def __init__(self, generator, discriminator, config: GANConfig, averaged_generator=None, **kwargs):
        super().__init__(name="dcgan", **kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.averaged_generator = averaged_generator  # G's moving average (config.ema_decay > 0), else None
        self.config = config
        self.noise_dim = noise_size(generator)
        self.built = True  # see "Private Keras" below
        self.trackers = {name: keras.metrics.Mean(name=name) for name in METRIC_NAMES + DIAGNOSTIC_NAMES}

    def fit(self, *args, shuffle=False, **kwargs):
        """``keras.Model.fit``, with ``shuffle=False`` by default: the training stream shuffles itself by
        (seed, pass), and for a dataset Keras ignores ``shuffle=True`` and warns the reader that it did."""
        return super().fit(*args, shuffle=shuffle, **kwargs)

    def compile(self, generator_optimizer=None, discriminator_optimizer=None, **kwargs):
        """Attach one Adam per network (wrapped for loss scaling under float16) and build both.

        Building the optimizers here, before ``fit`` traces the step, keeps their variables
        out of the traced function and lets a checkpoint be restored into them right away.
        """
        config = self.config
        kwargs.setdefault("jit_compile", uses_xla(config))
        kwargs.setdefault("steps_per_execution", steps_per_execution(config))
        super().compile(**kwargs)
        self.generator_optimizer = generator_optimizer or keras.optimizers.Adam(
            config.generator_learning_rate, beta_1=config.beta_1, beta_2=config.beta_2, name="generator_adam"
        )
        self.discriminator_optimizer = discriminator_optimizer or keras.optimizers.Adam(
            config.discriminator_learning_rate, beta_1=config.beta_1, beta_2=config.beta_2,
            name="discriminator_adam",
        )
        if uses_loss_scaling(config):
            self.generator_optimizer = keras.optimizers.LossScaleOptimizer(self.generator_optimizer)
            self.discriminator_optimizer = keras.optimizers.LossScaleOptimizer(self.discriminator_optimizer)
        self.generator_optimizer.build(self.generator.trainable_variables)
        self.discriminator_optimizer.build(self.discriminator.trainable_variables)

    # Private Keras: the package's only reaches into Keras' internals, written against Keras 3.10 to 3.15.
    # tests/test_keras_internals.py fails when a Keras release moves one of them (KERAS_INTERNALS).
    #
    # 1. ``built = True`` (in ``__init__``): both networks and both optimizers are built by ``build_dcgan``;
    #    an unbuilt model would make Keras trace ``call`` with a training batch to build it.
    # 2. ``_maybe_symbolic_build``, called by the TensorFlow trainer's ``fit`` under a distribution
    #    strategy, is made to do nothing: Keras would average a first batch over the replicas to build
    #    the model, which fails under MultiWorkerMirroredStrategy for a batch that is a tuple of tensors.
    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        """Nothing to build: ``build_dcgan`` builds both networks and both optimizers before ``fit``."""

    @property
    def metrics(self):
        return list(self.trackers.values())

    def call(self, inputs, training=False):
        return self.generator(inputs, training=training)

    def discriminator_targets(self, draws):
        """Targets for D: real = 1 - label_smoothing (one-sided), fake = 0; with label noise, some swap.

        ``draws`` holds a step's uniform numbers per image (laid out in ``pipeline``); a real (fake) target
        swaps where the first (second) label-swap number is below ``label_noise``.
        """
        batch_size = ops.shape(draws)[0]
        real_target = 1.0 - self.config.label_smoothing
        real_targets = ops.full((batch_size, 1), real_target)
        fake_targets = ops.zeros((batch_size, 1))
        if self.config.label_noise > 0:
            swap = draws[:, LABEL_SWAP_DRAWS] < self.config.label_noise
            real_targets = ops.where(swap[:, :1], 0.0, real_targets)
            fake_targets = ops.where(swap[:, 1:], real_target, fake_targets)
        return real_targets, fake_targets

    def train_step(self, data):
        real_images, *labels, noise, draws = data  # a conditional stream has the images' labels after them

        def with_class(inputs):  # what G (from noise) and D (from images) take: with the labels when conditional
            return [inputs, *labels] if labels else inputs

        real_targets, fake_targets = self.discriminator_targets(draws)
        replicas = tf.distribute.get_strategy().num_replicas_in_sync  # gradients are summed over replicas
        with tf.GradientTape() as generator_tape, tf.GradientTape() as discriminator_tape:
            fake_images = self.generator(with_class(noise), training=True)
            spreads = {"fake_spread": batch_spread(fake_images), "real_spread": batch_spread(real_images)}
            if self.config.augment:  # the same kind of change on both sides, so D cannot tell them apart by it
                real_images = augment(real_images, draws[:, REAL_AUGMENT_DRAWS])
                fake_images = augment(fake_images, draws[:, FAKE_AUGMENT_DRAWS])
            real_logits = self.discriminator(with_class(real_images), training=True)
            fake_logits = self.discriminator(with_class(fake_images), training=True)
            d_loss = discriminator_loss(real_logits, fake_logits, real_targets, fake_targets)
            g_loss = generator_loss(fake_logits)
            d_objective, g_objective = d_loss, g_loss
            if self.config.weight_decay:
                d_objective += weight_decay_penalty(self.discriminator, self.config.weight_decay)
                g_objective += weight_decay_penalty(self.generator, self.config.weight_decay)
            scaled_d_loss = self.discriminator_optimizer.scale_loss(d_objective / replicas)
            scaled_g_loss = self.generator_optimizer.scale_loss(g_objective / replicas)
        d_grad_norm = self._update(self.discriminator_optimizer, discriminator_tape, scaled_d_loss, self.discriminator)
        g_grad_norm = self._update(self.generator_optimizer, generator_tape, scaled_g_loss, self.generator)
        if self.averaged_generator is not None:
            self._update_average()
        for name, value in (
            ("d_loss", d_loss), ("g_loss", g_loss),
            ("d_real", ops.mean(ops.sigmoid(real_logits))), ("d_fake", ops.mean(ops.sigmoid(fake_logits))),
            *spreads.items(),
        ):
            self.trackers[name].update_state(value)
        for name, norm in (("d_grad_norm", d_grad_norm), ("g_grad_norm", g_grad_norm)):
            # a step that loss scaling skips (its scaled gradient overflowed) does not count
            self.trackers[name].update_state(norm * replicas, sample_weight=ops.cast(ops.isfinite(norm), "float32"))
        results = {name: tracker.result() for name, tracker in self.trackers.items()}
        if spans_several_workers(tf.distribute.get_strategy()):
            # Keras 3 averages each step output over its first axis and across workers there, which
            # fails for a scalar (tensorflow/tensorflow#72388); the trackers agree on every worker.
            results = {name: ops.reshape(value, (1,)) for name, value in results.items()}
        return results

    @staticmethod
    def _update(optimizer, tape, scaled_loss, network):
        """One optimizer step for ``network``; returns its gradient's global norm with loss scaling undone."""
        variables = network.trainable_variables
        gradients = tape.gradient(scaled_loss, variables)
        scale = optimizer.dynamic_scale if isinstance(optimizer, keras.optimizers.LossScaleOptimizer) else 1.0
        norm = tf.linalg.global_norm([ops.cast(gradient, "float32") for gradient in gradients]) / scale
        optimizer.apply_gradients(zip(gradients, variables, strict=True))
        return norm

    def _update_average(self):
        """Move every weight of the averaged G, BatchNorm statistics included, towards G's new value.

        Until ``ema_start_step`` the average copies G. After it, the n-th update keeps a share
        min(ema_decay, (1 + n) / (10 + n)) of the old average, the warm-up of TensorFlow's
        ``tf.train.ExponentialMovingAverage``: early on, when G changes fast, the average forgets
        quickly; later it averages over about 1 / (1 - ema_decay) steps. The step count comes from
        G's optimizer, which checkpoints keep, so a resumed session averages exactly like an unbroken one.
        """
        updates = ops.cast(self.generator_optimizer.iterations, "float32") - self.config.ema_start_step
        decay = ops.where(updates > 0, ops.minimum(self.config.ema_decay, (1.0 + updates) / (10.0 + updates)), 0.0)
        for average, weight in zip(self.averaged_generator.weights, self.generator.weights, strict=True):
            average.assign(decay * average + (1.0 - decay) * weight)

    @property
    def sampling_generator(self) -> keras.Model:
        """The generator whose images a reader sees and exports: G's moving average when it is kept, else G."""
        return self.generator if self.averaged_generator is None else self.averaged_generator

    def sample(self, count: int, seed: int = 0, labels=None) -> np.ndarray:
        """``count`` generated images in [-1, 1] from ``latent.noise``: the same seed gives the same images
        here, in ``latent.generate`` and in ``dcgan generate --seed``; a conditional GAN draws the classes ``labels``
        (see ``latent.generator_inputs``; None: each class in turn)."""
        return generate(self.sampling_generator, count, seed, distribution=self.config.noise_distribution,
                        labels=labels)


def build_dcgan(config: GANConfig, strategy: tf.distribute.Strategy | None = None) -> DCGAN:
    """Seed every random source, build G and D from the config, and compile them into a DCGAN.

    With a ``tf.distribute`` strategy (e.g. ``MirroredStrategy`` over several GPUs) the models and
    optimizers are built in its scope, and batch norm computes its statistics over the global batch.
    """
    strategy = strategy or tf.distribute.get_strategy()
    keras.utils.set_random_seed(config.seed)
    synchronized = strategy.num_replicas_in_sync > 1
    with strategy.scope():
        generator, discriminator = build_generator(config, synchronized), build_discriminator(config, synchronized)
        averaged_generator = None
        if config.ema_decay > 0:  # built last, so G and D start and train the same with averaging on or off
            averaged_generator = build_generator(config, synchronized)
            averaged_generator.set_weights(generator.get_weights())
        gan = DCGAN(generator, discriminator, config, averaged_generator)
        gan.compile()
    return gan


def mean_discriminator_output(discriminator, images, batch_size: int = 256, labels=None) -> float:
    """D's mean probability of "real" for uint8 images (N, H, W, C) (of the classes ``labels``, for a
    conditional D).

    On the training images and on real images D never saw, the two figures should be close; when
    the first climbs towards 1 while the second falls, D is memorising the training set.
    """
    inputs = to_float(images) if labels is None else [np.asarray(to_float(images)), np.asarray(labels, np.int32)]
    logits = run_in_batches(discriminator, inputs, batch_size)
    return float(np.mean(ops.convert_to_numpy(ops.sigmoid(logits))))
