"""Hardware choices: what the config's "auto" switches mean on the machine at hand."""

import functools

import tensorflow as tf

from .config import GANConfig


@functools.cache
def gpu_available() -> bool:
    return bool(tf.config.list_physical_devices("GPU"))


def uses_mixed_precision(config: GANConfig) -> bool:
    """float16 compute pays off on GPUs; on CPU it is slower, so "auto" means GPU only."""
    return gpu_available() if config.mixed_precision is None else config.mixed_precision


def dtype_policy(config: GANConfig) -> str:
    return "mixed_float16" if uses_mixed_precision(config) else "float32"


def uses_xla(config: GANConfig) -> bool:
    """XLA fuses the many small ops of a GAN step on a GPU; on this project's CPUs it was slower."""
    return gpu_available() if config.jit_compile is None else config.jit_compile
