"""GANs small enough to watch: 1-D densities for the theory, and an MLP GAN on 2-D point clouds.

Notebook 00 uses these to show, with numbers, what the GAN objective does before any image or
convolution appears: the optimal discriminator, the Jensen–Shannon divergence it measures, the
gradients of the two generator losses, and mode collapse on a ring of Gaussians.
"""

from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from .latent import noise

__all__ = ["GENERATOR_LOSSES", "ToyGAN", "ToySettings", "gaussian_density", "generator_loss_and_gradient",
           "jensen_shannon", "modes_covered", "optimal_discriminator", "plot_toy_state", "ring_of_gaussians",
           "value_function"]

GENERATOR_LOSSES = ("non_saturating", "saturating")


# The theory, on a grid -----------------------------------------------------------------------

def gaussian_density(x, mean: float, std: float) -> np.ndarray:
    x = np.asarray(x, np.float64)
    return np.exp(-0.5 * ((x - mean) / std) ** 2) / (std * np.sqrt(2 * np.pi))


def optimal_discriminator(p_data, p_generator) -> np.ndarray:
    """D*(x) = p_data(x) / (p_data(x) + p_g(x)): the best any discriminator can do against a fixed G."""
    p_data, p_generator = np.asarray(p_data, np.float64), np.asarray(p_generator, np.float64)
    total = p_data + p_generator
    return np.divide(p_data, total, out=np.full_like(total, 0.5), where=total > 0)


def kl_divergence(p, q, dx: float) -> float:
    """KL(p‖q) of two densities sampled on a grid with spacing dx (0·log 0 counts as 0)."""
    p, q = np.asarray(p, np.float64), np.asarray(q, np.float64)
    mask = p > 0
    return float(np.sum(p[mask] * np.log(p[mask] / q[mask])) * dx)


def jensen_shannon(p, q, dx: float) -> float:
    """JSD(p‖q) = ½ KL(p‖m) + ½ KL(q‖m) with m = (p + q) / 2; between 0 and log 2."""
    middle = (np.asarray(p, np.float64) + np.asarray(q, np.float64)) / 2
    return 0.5 * kl_divergence(p, middle, dx) + 0.5 * kl_divergence(q, middle, dx)


def value_function(discriminator, p_data, p_generator, dx: float) -> float:
    """V(D, G) = E_data[log D(x)] + E_g[log(1 − D(x))] for densities and a discriminator on a grid."""
    discriminator = np.clip(np.asarray(discriminator, np.float64), 1e-12, 1 - 1e-12)
    return float(np.sum(p_data * np.log(discriminator) + p_generator * np.log(1 - discriminator)) * dx)


def generator_loss_and_gradient(d_of_fake, loss: str) -> tuple[np.ndarray, np.ndarray]:
    """A generator loss as a function of D(G(z)), and its derivative with respect to D's logit.

    Saturating: log(1 − D), gradient −D; non-saturating: −log D, gradient −(1 − D). Where D
    rejects the fakes (D → 0) the first gradient vanishes and the second is strongest.
    """
    d_of_fake = np.asarray(d_of_fake, np.float64)
    if loss == "saturating":
        return np.log(1 - d_of_fake), -d_of_fake
    if loss == "non_saturating":
        return -np.log(d_of_fake), -(1 - d_of_fake)
    raise ValueError(f"loss must be one of {GENERATOR_LOSSES}, not {loss!r}")


# Data -----------------------------------------------------------------------------------------

def ring_of_gaussians(count: int, modes: int = 8, radius: float = 2.0, std: float = 0.05, seed: int = 0):
    """``count`` 2-D points from ``modes`` Gaussians evenly spaced on a circle (the classic mode-collapse test)."""
    rng = np.random.default_rng(seed)
    angles = 2 * np.pi * rng.integers(0, modes, count) / modes
    centres = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return (centres + std * rng.standard_normal((count, 2))).astype(np.float32)


def ring_centres(modes: int = 8, radius: float = 2.0) -> np.ndarray:
    angles = 2 * np.pi * np.arange(modes) / modes
    return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def modes_covered(points, modes: int = 8, radius: float = 2.0, std: float = 0.05, minimum_share: float = 0.02):
    """How many ring modes receive at least ``minimum_share`` of the points within 4 std of their centre."""
    distances = np.linalg.norm(np.asarray(points)[:, None, :] - ring_centres(modes, radius)[None], axis=2)
    nearest, close = distances.argmin(axis=1), distances.min(axis=1) < 4 * std
    shares = np.bincount(nearest[close], minlength=modes) / len(points)
    return int((shares >= minimum_share).sum())


# The toy GAN ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ToySettings:
    """Knobs of the toy GAN: the ones notebook 00's widgets let a reader turn."""

    loss: str = "non_saturating"
    generator_learning_rate: float = 1e-3
    discriminator_learning_rate: float = 1e-3
    discriminator_steps: int = 1  # D updates per G update
    noise_dim: int = 2
    data_dim: int = 2  # 1 for points on a line, 2 for points in the plane
    hidden: int = 128
    batch_size: int = 256
    seed: int = 0


def mlp(inputs: int, outputs: int, hidden: int, name: str) -> keras.Sequential:
    return keras.Sequential(
        [keras.Input((inputs,)), layers.Dense(hidden, activation="relu"), layers.Dense(hidden, activation="relu"),
         layers.Dense(outputs)],
        name=name,
    )


@dataclass
class ToyGAN:
    """Two MLPs playing the GAN game on 2-D points; ``history`` grows by one row per ``train`` report."""

    settings: ToySettings = field(default_factory=ToySettings)
    history: list = field(default_factory=list)

    def __post_init__(self):
        settings = self.settings
        if settings.loss not in GENERATOR_LOSSES:
            raise ValueError(f"loss must be one of {GENERATOR_LOSSES}, not {settings.loss!r}")
        keras.utils.set_random_seed(settings.seed)
        self.generator = mlp(settings.noise_dim, settings.data_dim, settings.hidden, "toy_generator")
        self.discriminator = mlp(settings.data_dim, 1, settings.hidden, "toy_discriminator")
        self.generator_optimizer = keras.optimizers.Adam(settings.generator_learning_rate, beta_1=0.5)
        self.discriminator_optimizer = keras.optimizers.Adam(settings.discriminator_learning_rate, beta_1=0.5)
        self.steps_done = 0
        self._discriminator_step = tf.function(self._discriminator_update)
        self._generator_step = tf.function(self._generator_update)

    def _noise(self):
        return tf.random.normal((self.settings.batch_size, self.settings.noise_dim))

    def _discriminator_update(self, real):
        with tf.GradientTape() as tape:
            real_logits = self.discriminator(real, training=True)
            fake_logits = self.discriminator(self.generator(self._noise(), training=True), training=True)
            loss = tf.reduce_mean(tf.nn.softplus(-real_logits)) + tf.reduce_mean(tf.nn.softplus(fake_logits))
        variables = self.discriminator.trainable_variables
        self.discriminator_optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
        return loss, tf.reduce_mean(tf.sigmoid(real_logits)), tf.reduce_mean(tf.sigmoid(fake_logits))

    def _generator_update(self):
        with tf.GradientTape() as tape:
            fake_logits = self.discriminator(self.generator(self._noise(), training=True), training=True)
            if self.settings.loss == "non_saturating":
                loss = tf.reduce_mean(tf.nn.softplus(-fake_logits))  # −log D(G(z))
            else:
                loss = -tf.reduce_mean(tf.nn.softplus(fake_logits))  # log(1 − D(G(z)))
        variables = self.generator.trainable_variables
        self.generator_optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
        return loss

    def train(self, data, steps: int, report_every: int = 100, on_report=None, seed: int = 0) -> list:
        """``steps`` generator updates (each after ``discriminator_steps`` D updates) on random batches
        of ``data``; every ``report_every`` steps a history row is added and ``on_report(self)`` called."""
        rng = np.random.default_rng(seed + self.steps_done)
        data = np.asarray(data, np.float32).reshape(-1, self.settings.data_dim)
        for _ in range(steps):
            for _ in range(self.settings.discriminator_steps):
                real = data[rng.integers(0, len(data), self.settings.batch_size)]
                d_loss, d_real, d_fake = self._discriminator_step(tf.constant(real))
            g_loss = self._generator_step()
            self.steps_done += 1
            if self.steps_done % report_every == 0:
                self.history.append({"step": self.steps_done, "d_loss": float(d_loss), "g_loss": float(g_loss),
                                     "d_real": float(d_real), "d_fake": float(d_fake)})
                if on_report is not None:
                    on_report(self)
        return self.history

    def sample(self, count: int, seed: int = 0) -> np.ndarray:
        return self.generator(noise(count, self.settings.noise_dim, seed), training=False).numpy()

    def probability_real(self, points) -> np.ndarray:
        """D's probability that each point is real."""
        points = np.asarray(points, np.float32).reshape(-1, self.settings.data_dim)
        return tf.sigmoid(self.discriminator(points)).numpy()[:, 0]

    def decision_surface(self, limit: float = 3.0, resolution: int = 80):
        """(xs, D) on a line for 1-D data, or (xs, D on the square grid xs × xs) for 2-D data."""
        xs = np.linspace(-limit, limit, resolution, dtype=np.float32)
        if self.settings.data_dim == 1:
            return xs, self.probability_real(xs)
        grid = np.stack(np.meshgrid(xs, xs), axis=-1).reshape(-1, 2)
        return xs, self.probability_real(grid).reshape(resolution, resolution)


def plot_toy_state(gan: ToyGAN, data, axis=None, limit: float = 3.0, samples: int = 1000):
    """Real points, generated points and D's opinion of every place: a histogram and D(x) for 1-D
    data, a scatter over D's decision surface (blue: "real", red: "fake") for 2-D data."""
    import matplotlib.pyplot as plt

    axis = axis or plt.gca()
    fake = gan.sample(samples)
    xs, probability = gan.decision_surface(limit)
    title = f"step {gan.steps_done}"
    if gan.settings.data_dim == 1:
        bins = np.linspace(-limit, limit, 60)
        axis.hist(np.ravel(data)[:samples * 5], bins=bins, density=True, alpha=0.5, label="real")
        axis.hist(fake.ravel(), bins=bins, density=True, alpha=0.5, label="generated")
        axis.plot(xs, probability, color="black", label="D(x)")
        axis.legend(loc="upper right")
    else:
        axis.contourf(xs, xs, probability, levels=np.linspace(0, 1, 11), cmap="RdBu", alpha=0.6)
        axis.scatter(*np.asarray(data)[:samples].T, s=3, color="black", label="real")
        axis.scatter(*fake.T, s=3, color="darkorange", label="generated")
        axis.set_aspect("equal")
        title += f" · modes covered {modes_covered(fake)}/8"
    axis.set(xlim=(-limit, limit), title=title)
    return axis
