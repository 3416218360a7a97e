"""Points in the generator's latent space: reproducible noise and paths between two points."""

import numpy as np


def noise(count: int, noise_dim: int, seed: int = 0) -> np.ndarray:
    """``count`` standard-normal latent vectors; the same seed always gives the same vectors."""
    return np.random.default_rng(seed).standard_normal((count, noise_dim)).astype(np.float32)


def generate(generator, count: int, seed: int = 0, batch_size: int = 500) -> np.ndarray:
    """``count`` images in [-1, 1] from ``noise(count, ..., seed)``: the same seed, the same images."""
    return generator.predict(noise(count, generator.input_shape[-1], seed), batch_size=batch_size, verbose=0)


def lerp(start, end, fraction: float) -> np.ndarray:
    """The point ``fraction`` of the way along the straight line from ``start`` to ``end``."""
    start, end = np.asarray(start, np.float64), np.asarray(end, np.float64)
    return ((1 - fraction) * start + fraction * end).astype(np.float32)


def slerp(start, end, fraction: float) -> np.ndarray:
    """The point ``fraction`` of the way along the great circle from ``start`` to ``end``.

    Gaussian noise in many dimensions lies near a sphere; the straight line between two such
    points dips towards the centre, where the generator saw almost no training noise. The
    spherical path keeps the vector's length typical all the way (White, 2016).
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
