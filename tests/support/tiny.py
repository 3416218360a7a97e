"""The one tiny configuration of the tests, for Python and, as ``--set`` arguments, for the command line.

The Fashion-MNIST preset shrunk so that an epoch takes a fraction of a second on a CPU. One layer per
resolution: after a few steps the preset's deeper G at width 8 still draws the same grey for every z,
so its epochs' sample grids (and GIF frames) would be identical.
"""

import numpy as np

from dcgan_helpers.datasets import preset

TINY_CONFIG = preset("fashion_mnist").replace(
    generator_filters=8, discriminator_filters=8, batch_size=16, steps_per_epoch=2, preview_count=4,
    layers_per_resolution=1,
)


def tiny_set(**changes) -> list[str]:
    """``--set KEY=VALUE`` for every setting in which ``TINY_CONFIG`` (with ``changes``) differs from the preset.

    ``steps_per_epoch`` is left to each command (``steps_per_epoch=None`` for a full pass), unless given.
    """
    config, start = TINY_CONFIG.replace(**{"steps_per_epoch": None, **changes}), preset("fashion_mnist")
    changed = {key: value for key, value in config.to_dict().items() if value != getattr(start, key)}
    return [argument for key, value in changed.items() for argument in ("--set", f"{key}={value}")]


def training_images(count: int = 80, seed: int = 1) -> np.ndarray:
    """Random 28×28 grayscale images: enough for a tiny session's few steps."""
    return np.random.default_rng(seed).integers(0, 256, (count, 28, 28, 1), dtype=np.uint8)
