"""Points in the generator's latent space: reproducible noise and paths between two points."""

import numpy as np

__all__ = ["concept_vector", "generate", "interpolate", "lerp", "noise", "principal_directions", "run_in_batches",
           "slerp"]


def noise(count: int, noise_dim: int, seed: int = 0, distribution: str = "normal") -> np.ndarray:
    """``count`` latent vectors from N(0, 1) (``"normal"``) or U(-1, 1) (``"uniform"``, as the DCGAN
    authors drew them; ``config.noise_distribution``); the same seed always gives the same vectors."""
    rng = np.random.default_rng(seed)
    if distribution == "normal":
        return rng.standard_normal((count, noise_dim)).astype(np.float32)
    if distribution == "uniform":
        return rng.uniform(-1.0, 1.0, (count, noise_dim)).astype(np.float32)
    raise ValueError(f"distribution must be normal or uniform, not {distribution!r}")


def run_in_batches(network, inputs, batch_size: int) -> np.ndarray:
    """``network``'s float32 outputs for ``inputs`` in inference mode, a batch at a time.

    Unlike ``predict``, which traces a graph for every new model, this makes TensorFlow warn of nothing
    when a notebook judges several networks in a row."""
    starts = range(0, len(inputs), batch_size)
    return np.concatenate([np.asarray(network(inputs[start: start + batch_size], training=False), np.float32)
                           for start in starts])


def generate(generator, count: int, seed: int = 0, batch_size: int = 500, distribution: str = "normal") -> np.ndarray:
    """``count`` images in [-1, 1] from ``noise(count, ..., seed, distribution)``: the same seed, the same images."""
    return run_in_batches(generator, noise(count, generator.input_shape[-1], seed, distribution), batch_size)


def lerp(start, end, fraction: float) -> np.ndarray:
    """The point ``fraction`` of the way along the straight line from ``start`` to ``end``."""
    start, end = np.asarray(start, np.float64), np.asarray(end, np.float64)
    return ((1 - fraction) * start + fraction * end).astype(np.float32)


def slerp(start, end, fraction: float) -> np.ndarray:
    """The point ``fraction`` of the way along the great circle from ``start`` to ``end``.

    Gaussian noise in d dimensions lies near the sphere of radius √d; the straight line between
    two such points cuts inside it: its midpoint has length near √(d/2) (about 7 against 10 for
    d = 100), lengths the generator almost never saw in training. The spherical path keeps the
    length typical all the way (White, 2016, "Sampling Generative Networks").
    """
    start, end = np.asarray(start, np.float64), np.asarray(end, np.float64)
    cosine = np.dot(start, end) / (np.linalg.norm(start) * np.linalg.norm(end))
    angle = np.arccos(np.clip(cosine, -1.0, 1.0))
    if angle < 1e-6:  # (nearly) the same direction: the arc is a line
        return lerp(start, end, fraction)
    weights = np.sin((1 - fraction) * angle), np.sin(fraction * angle)
    return ((weights[0] * start + weights[1] * end) / np.sin(angle)).astype(np.float32)


def interpolate(start, end, steps: int, spherical: bool = True) -> np.ndarray:
    """``steps`` latent vectors from ``start`` to ``end`` inclusive, as an array (steps, noise_dim)."""
    if steps < 2:
        raise ValueError(f"an interpolation needs at least 2 steps (start and end), not {steps}")
    step = slerp if spherical else lerp
    return np.stack([step(start, end, fraction) for fraction in np.linspace(0.0, 1.0, steps)])


def principal_directions(generator, count: int = 6, samples: int = 1000, seed: int = 0) -> np.ndarray:
    """``count`` orthonormal latent directions, ordered by how much they change the generated images.

    The principal components of ``samples`` generated images are the ways the pictures vary
    most. Regressing z on each image's component scores gives the latent direction that moves
    along that component. A simplified variant of GANSpace (Härkönen et al., 2020), which runs
    the PCA on StyleGAN's intermediate latent w or on BigGAN's feature maps, not on output
    pixels. Returns an array (count, noise_dim) of unit vectors, made orthogonal in order.
    """
    noise_dim = generator.input_shape[-1]
    if not 1 <= count <= min(noise_dim, samples):
        raise ValueError(f"count must be between 1 and {min(noise_dim, samples)} (noise size, samples), not {count}")
    latent = noise(samples, noise_dim, seed)
    images = run_in_batches(generator, latent, 250).reshape(samples, -1).astype(np.float64)
    images -= images.mean(axis=0)
    left, singular_values, _ = np.linalg.svd(images, full_matrices=False)
    scores = left[:, :count] * singular_values[:count]
    directions = np.linalg.lstsq(scores, latent.astype(np.float64), rcond=None)[0]
    orthonormal, _ = np.linalg.qr(directions.T)
    orthonormal = orthonormal.T * np.sign(np.sum(orthonormal.T * directions, axis=1, keepdims=True))
    return orthonormal.astype(np.float32)


def concept_vector(add, subtract, then_add) -> np.ndarray:
    """The DCGAN paper's vector arithmetic: mean(add) − mean(subtract) + mean(then_add).

    Each argument holds the latent vectors of a few samples showing one concept (for example
    smiling women, neutral women, neutral men). Averaging three or so per concept keeps what they
    share and cancels what is peculiar to one sample (Radford et al., 2016, section 6.3).
    """
    groups = [np.asarray(group, np.float32) for group in (add, subtract, then_add)]
    empty = [name for name, group in zip(("first", "second", "third"), groups, strict=True) if len(group) == 0]
    if empty:
        raise ValueError(f"the {' and '.join(empty)} concept has no samples: choose at least one for each")
    return groups[0].mean(axis=0) - groups[1].mean(axis=0) + groups[2].mean(axis=0)
