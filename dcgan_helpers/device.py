"""Hardware choices: what the config's automatic switches mean on the machine at hand."""

import contextlib
import functools
import os
import platform
from pathlib import Path

import keras
import tensorflow as tf

from .config import GANConfig

__all__ = ["cpu_has_native_bfloat16", "default_strategy", "describe", "describe_setup", "dtype_policy",
           "gpu_available", "gpu_compute_capability", "gpu_has_fast_float16", "gpus", "hardware_name",
           "runs_natively", "spans_several_workers", "steps_per_execution", "tpu_available", "uses_loss_scaling",
           "uses_xla"]


@functools.cache
def gpus() -> tuple:
    """The GPUs TensorFlow sees, each set to take memory as needed instead of all at once.

    This is the first question asked of the devices (building a network, choosing a strategy or a
    precision), so memory growth is switched on here, once, before anything runs on a GPU: a notebook
    can then share the GPU with another kernel or with the ``dcgan`` command it runs. A GPU already in
    use keeps its setting.
    """
    found = tuple(tf.config.list_physical_devices("GPU"))
    for gpu in found:
        with contextlib.suppress(RuntimeError):
            tf.config.experimental.set_memory_growth(gpu, True)
    return found


@functools.cache
def tpu_resolver():
    """A connected TPU cluster resolver (Colab TPU runtime), or None."""
    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
    except (ValueError, RuntimeError, tf.errors.OpError):
        return None
    return resolver


def tpu_available() -> bool:
    return tpu_resolver() is not None


def default_strategy() -> tf.distribute.Strategy:
    """TPUStrategy on a TPU, MirroredStrategy over several GPUs, otherwise the default (one device).

    Several machines train under ``cluster.strategy_from_environment()`` (``TF_CONFIG``); see the README.
    """
    if tpu_available():
        return tf.distribute.TPUStrategy(tpu_resolver())
    if len(gpus()) > 1:
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()


def spans_several_workers(strategy: tf.distribute.Strategy | None) -> bool:
    """True when the strategy's replicas live in more than one process (fewer local devices than replicas)."""
    if strategy is None or strategy.num_replicas_in_sync == 1:
        return False
    return len(strategy.extended.worker_devices) < strategy.num_replicas_in_sync


def gpu_available() -> bool:
    return bool(gpus())


@functools.cache
def gpu_compute_capability() -> tuple:
    """The lowest compute capability of the GPUs, (0, 0) without a GPU."""
    details = [tf.config.experimental.get_device_details(gpu) for gpu in gpus()]
    return min((detail.get("compute_capability", (0, 0)) for detail in details), default=(0, 0))


def gpu_has_fast_float16() -> bool:
    """Tensor cores (compute capability 7.0 and later) are what makes float16 pay off."""
    return gpu_compute_capability() >= (7, 0)


# oneDNN's instruction-set limits (ONEDNN_MAX_CPU_ISA) below AVX512_CORE_BF16: bfloat16 is emulated under them.
ISAS_WITHOUT_BFLOAT16 = {"SSE41", "AVX", "AVX2", "AVX2_VNNI", "AVX2_VNNI_2", "AVX512_CORE", "AVX512_CORE_VNNI"}


@functools.cache
def cpu_has_native_bfloat16() -> bool:
    """AVX512-BF16 or AMX: oneDNN then runs bfloat16 convolutions natively (measured 1.2-1.3x faster).

    Unless ``ONEDNN_MAX_CPU_ISA`` (or its older name ``DNNL_MAX_CPU_ISA``) keeps oneDNN below them, as
    ``ONEDNN_MAX_CPU_ISA=AVX2`` does to make this CPU compute like one with AVX2 only."""
    limit = os.environ.get("ONEDNN_MAX_CPU_ISA") or os.environ.get("DNNL_MAX_CPU_ISA") or ""
    if limit.upper() in ISAS_WITHOUT_BFLOAT16:
        return False
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def runs_natively(precision: str) -> bool:
    """Whether this device computes in ``precision`` with its own instructions rather than emulating it.

    Emulated half precision is correct but several times slower than float32 (a CPU without
    AVX512-BF16 converts every bfloat16 value in software), so timing it measures only the emulation.
    """
    if precision == "float32":
        return True
    if tpu_available():
        return precision == "mixed_bfloat16"
    if gpu_available():  # tensor cores: float16 from compute capability 7.0, bfloat16 from 8.0
        return gpu_compute_capability() >= ((8, 0) if precision == "mixed_bfloat16" else (7, 0))
    return precision == "mixed_bfloat16" and cpu_has_native_bfloat16()


def dtype_policy(config: GANConfig) -> str:
    """The Keras dtype policy of both networks.

    Automatic choice: float16 compute on GPUs with tensor cores, bfloat16 on CPUs with native
    bfloat16 instructions, float32 elsewhere (emulated half precision is slower than float32).
    Variables stay float32 in every case.
    """
    on_gpu = gpu_available()  # asked first even when the config decides: see ``gpus``
    if config.precision is not None:
        return config.precision
    if tpu_available():
        return "mixed_bfloat16"  # TPUs compute in bfloat16 natively
    if on_gpu:
        return "mixed_float16" if gpu_has_fast_float16() else "float32"
    return "mixed_bfloat16" if cpu_has_native_bfloat16() else "float32"


def uses_loss_scaling(config: GANConfig) -> bool:
    """float16 gradients underflow without loss scaling; bfloat16 has float32's range and needs none."""
    return dtype_policy(config) == "mixed_float16"


def describe_setup() -> str:
    """One line naming what a notebook runs with: this package's, TensorFlow's and Keras' versions, and the GPU."""
    from . import __version__

    found = gpus()
    if found:
        names = sorted({tf.config.experimental.get_device_details(gpu).get("device_name", "GPU") for gpu in found})
        hardware = f"GPU found: {len(found)} × {', '.join(names)}"
    else:
        hardware = "no GPU found (on Colab: Runtime → Change runtime type → GPU)"
    return f"dcgan_helpers {__version__} · TensorFlow {tf.__version__} · Keras {keras.__version__} · {hardware}"


def describe(config: GANConfig, strategy: tf.distribute.Strategy | None = None) -> str:
    """One line saying what the automatic switches chose here, and why."""
    if tpu_available():
        where = "TPU"
    elif gpu_available():
        where = f"{len(gpus())} GPU" + ("s" if len(gpus()) > 1 else "")
    else:
        where = "CPU" + (" with native bfloat16" if cpu_has_native_bfloat16() else "")
    replicas = (strategy or default_strategy()).num_replicas_in_sync
    scaling = ", loss scaling on" if uses_loss_scaling(config) else ""
    return (f"device: {where}; replicas {replicas}; precision {dtype_policy(config)}{scaling}; "
            f"XLA {'on' if uses_xla(config) else 'off'}; steps per execution {steps_per_execution(config)}")


def uses_xla(config: GANConfig) -> bool:
    """XLA fuses the many small ops of a GAN step on a GPU or TPU; on CPU it measured about 25% slower."""
    return (gpu_available() or tpu_available()) if config.jit_compile is None else config.jit_compile


def steps_per_execution(config: GANConfig) -> int:
    """Training steps per call into the compiled graph.

    A small model (28×28) finishes a step on an accelerator faster than Python can start the next
    one; running several steps per call hides that overhead. On CPU it measured no gain, so 1.
    """
    if config.steps_per_execution is not None:
        return config.steps_per_execution
    if tpu_available():
        return 32
    return 8 if gpu_available() and config.image_size <= 32 else 1


def hardware_name() -> str:
    """What this process computes on, in words a reader can compare with their own machine,
    e.g. ``"AMD EPYC, 2 cores, AVX-512 BF16; no GPU"`` or ``"... ; 1 GPU: Tesla T4"``."""
    if tpu_available():
        return "TPU"
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
    except OSError:
        cpuinfo = ""
    models = [line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")]
    processor = models[0] if models else (platform.processor() or platform.machine() or "unknown CPU")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    flags = set(" ".join(line for line in cpuinfo.splitlines() if line.startswith("flags")).split())
    vector = next((name for flag, name in (("amx_bf16", "AMX"), ("avx512_bf16", "AVX-512 BF16"),
                                           ("avx512f", "AVX-512"), ("avx2", "AVX2")) if flag in flags), None)
    cpu = f"{processor}, {cores} core{'s' if cores != 1 else ''}" + (f", {vector}" if vector else "")
    names = [tf.config.experimental.get_device_details(gpu).get("device_name", gpu.name) for gpu in gpus()]
    return f"{cpu}; " + (f"{len(names)} GPU{'s' if len(names) > 1 else ''}: {', '.join(names)}" if names else "no GPU")
