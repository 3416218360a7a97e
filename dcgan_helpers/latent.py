"""Points in the generator's latent space: reproducible noise and paths between two points."""

import numpy as np

__all__ = ["class_count", "class_vectors", "concept_vector", "draw_between_classes", "generate", "generator_inputs",
           "interpolate", "lerp", "noise", "noise_size", "principal_directions", "run_in_batches", "slerp"]


def noise(count: int, noise_dim: int, seed: int = 0, distribution: str = "normal") -> np.ndarray:
    """``count`` latent vectors from N(0, 1) (``"normal"``) or U(-1, 1) (``"uniform"``, as the DCGAN
    authors drew them; ``config.noise_distribution``); the same seed always gives the same vectors."""
    rng = np.random.default_rng(seed)
    if distribution == "normal":
        return rng.standard_normal((count, noise_dim)).astype(np.float32)
    if distribution == "uniform":
        return rng.uniform(-1.0, 1.0, (count, noise_dim)).astype(np.float32)
    raise ValueError(f"distribution must be normal or uniform, not {distribution!r}")


def noise_size(generator) -> int:
    """The length of z a generator takes (its first input, for a conditional one)."""
    shapes = generator.input_shape
    return (shapes[0] if isinstance(shapes, list) else shapes)[-1]


def class_count(generator) -> int:
    """How many classes a conditional generator draws; 0 for an unconditional one."""
    if not isinstance(generator.input_shape, list):
        return 0
    return generator.get_layer("class_embedding").input_dim


def class_vectors(generator) -> np.ndarray:
    """The learned vector of each class that a conditional generator joins to z: (classes, embedding size)."""
    if not class_count(generator):
        raise ValueError("this generator is unconditional: it has no class vectors")
    return np.asarray(generator.get_layer("class_embedding").embeddings, np.float32)


def draw_between_classes(generator, latent, start_class: int, end_class: int, fractions) -> np.ndarray:
    """Images in [-1, 1] of a conditional generator for the noise vectors ``latent``, each with a class vector
    ``fraction`` of the way along the straight line from ``start_class``'s to ``end_class``'s: G's layers after
    its embedding run on z joined to a vector that may lie between two classes."""
    vectors = class_vectors(generator)
    fractions = np.asarray(fractions, np.float32)[:, None]
    between = (1 - fractions) * vectors[start_class] + fractions * vectors[end_class]
    joined = np.concatenate([np.asarray(latent, np.float32), between], axis=1)
    return run_in_batches(generator.layers[-1], joined, 250)  # the layers after "noise_and_class"


def generator_inputs(generator, latent, labels=None):
    """What ``generator`` takes for the noise vectors ``latent``: the noise alone, or for a conditional generator
    ``[noise, labels]``: ``labels`` one class index for all, one per vector, or None for classes 0, 1, 2 … in turn."""
    latent = np.asarray(latent, np.float32)
    classes = class_count(generator)
    if not classes:
        if labels is not None:
            raise ValueError("this generator is unconditional: it takes no class labels")
        return latent
    labels = np.arange(len(latent)) % classes if labels is None else np.broadcast_to(labels, (len(latent),))
    labels = np.asarray(labels, np.int32)
    if labels.min(initial=0) < 0 or labels.max(initial=0) >= classes:
        raise ValueError(f"class labels must be 0 to {classes - 1} for this generator, not {sorted(set(labels))}")
    return [latent, labels]


def run_in_batches(network, inputs, batch_size: int) -> np.ndarray:
    """``network``'s float32 outputs for ``inputs`` (an array, or a list of arrays such as ``[noise, labels]``)
    in inference mode, a batch at a time.

    Unlike ``predict``, which traces a graph for every new model, this makes TensorFlow warn of nothing
    when a notebook judges several networks in a row."""
    def batch(start):
        if isinstance(inputs, list):
            return [part[start: start + batch_size] for part in inputs]
        return inputs[start: start + batch_size]

    starts = range(0, len(inputs[0] if isinstance(inputs, list) else inputs), batch_size)
    return np.concatenate([np.asarray(network(batch(start), training=False), np.float32) for start in starts])


def generate(generator, count: int, seed: int = 0, batch_size: int = 500, distribution: str = "normal",
             labels=None) -> np.ndarray:
    """``count`` images in [-1, 1] from ``noise(count, ..., seed, distribution)``: the same seed, the same images.
    A conditional generator draws the classes ``labels`` (see ``generator_inputs``; None: each class in turn)."""
    latent = noise(count, noise_size(generator), seed, distribution)
    return run_in_batches(generator, generator_inputs(generator, latent, labels), batch_size)


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
    pixels. Returns an array (count, noise_dim) of unit vectors, made orthogonal in order. For a
    conditional generator the images are drawn for every class in turn and centred within each class, so
    the directions are those along which z changes the pictures while the class stays.
    """
    noise_dim = noise_size(generator)
    if not 1 <= count <= min(noise_dim, samples):
        raise ValueError(f"count must be between 1 and {min(noise_dim, samples)} (noise size, samples), not {count}")
    latent = noise(samples, noise_dim, seed)
    inputs = generator_inputs(generator, latent)  # a conditional generator: the classes in turn
    images = run_in_batches(generator, inputs, 250).reshape(samples, -1).astype(np.float64)
    for label in np.unique(inputs[1]) if isinstance(inputs, list) else [None]:  # what z changes within a class
        chosen = slice(None) if label is None else inputs[1] == label
        images[chosen] -= images[chosen].mean(axis=0)
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
