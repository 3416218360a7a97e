"""Images per second of the helper's ``DCGAN.fit`` against a plain TensorFlow-tutorial training loop.

Both train the same generator and discriminator (built by the helper from a preset) on the same
batch size; the plain loop is the official TensorFlow DCGAN tutorial's: a ``tf.function`` step
with two ``GradientTape``s, fed by ``from_tensor_slices(...).shuffle().batch()`` of float32 images.
Also measured: how fast the helper's input pipeline alone delivers batches.

    python benchmarks/train_step.py                 # both presets, figures for benchmarks/README.md
    python benchmarks/train_step.py --quick         # both presets, few steps: a look in under 3 minutes

A precision this device would only emulate (bfloat16 on a CPU without AVX512-BF16, float16 on
any CPU) is skipped, and the output says so: emulation is several times slower than float32, so
its figure would say nothing about the switch and take most of the run. ``--quick`` also skips
XLA and 8 steps per call at 64 px, whose compilation takes minutes on a CPU.
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tutorial_loop import tutorial_train_step  # noqa: E402

from dcgan_helpers.datasets import preset  # noqa: E402
from dcgan_helpers.device import dtype_policy, runs_natively, steps_per_execution, uses_xla  # noqa: E402
from dcgan_helpers.gan import build_dcgan  # noqa: E402
from dcgan_helpers.models import build_discriminator, build_generator  # noqa: E402
from dcgan_helpers.pipeline import make_dataset, training_dataset  # noqa: E402


def training_images(config, count: int) -> np.ndarray:
    """Random uint8 images of the preset's shape: speed does not depend on what the pixels show."""
    shape = (count, config.image_size, config.image_size, config.channels)
    return np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)


class EpochTimer(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds = time.perf_counter() - self.started


def helper_pass(config, images, steps: int):
    """A function that trains one more epoch of ``steps`` steps with ``DCGAN.fit`` and returns its seconds."""
    gan = build_dcgan(config)
    dataset = training_dataset(images, config)
    timer = EpochTimer()
    epochs_done = 0

    def one_pass() -> float:
        nonlocal epochs_done
        gan.fit(dataset, initial_epoch=epochs_done, epochs=epochs_done + 1, steps_per_epoch=steps, verbose=0,
                callbacks=[timer])
        epochs_done += 1
        return timer.seconds

    return one_pass


def plain_loop_pass(config, images, steps: int):
    """The TensorFlow DCGAN tutorial's loop on the same models and batch size, one pass per call."""
    keras.utils.set_random_seed(config.seed)
    generator, discriminator = build_generator(config), build_discriminator(config)
    generator_optimizer = keras.optimizers.Adam(config.generator_learning_rate, beta_1=config.beta_1)
    discriminator_optimizer = keras.optimizers.Adam(config.discriminator_learning_rate, beta_1=config.beta_1)
    train_step = tutorial_train_step(generator, discriminator, generator_optimizer, discriminator_optimizer,
                                     config.batch_size, config.noise_dim)
    scaled = (images.astype(np.float32) - 127.5) / 127.5
    dataset = tf.data.Dataset.from_tensor_slices(scaled).shuffle(len(scaled))
    dataset = dataset.batch(config.batch_size, drop_remainder=True)
    batches = iter(dataset.repeat())

    def one_pass() -> float:
        started = time.perf_counter()
        for _ in range(steps):
            train_step(next(batches))
        return time.perf_counter() - started

    return one_pass


def fastest_images_per_second(passes: dict, steps: int, batch_size: int, rounds: int) -> dict:
    """Run the passes in turn, round after round (so drift hits all alike); keep each one's fastest.

    The first round traces the steps and is not counted.
    """
    best = {name: float("inf") for name in passes}
    for round_number in range(rounds + 1):
        for name, one_pass in passes.items():
            seconds = one_pass()
            if round_number:
                best[name] = min(best[name], seconds)
    return {name: steps * batch_size / seconds for name, seconds in best.items()}


def pipeline_images_per_second(config, images, batches: int = 300) -> float:
    stream = iter(make_dataset(images, config))
    next(stream)
    started = time.perf_counter()
    for _ in range(batches):
        next(stream)
    return batches * config.batch_size / (time.perf_counter() - started)


def flops_per_image(network) -> int:
    """Multiply-adds ×2 of one image through the convolutions and dense layers of a network."""
    total = 0
    for layer in network.layers:
        kind = type(layer).__name__
        if kind == "Conv2D":
            kernel = layer.kernel.shape
            total += 2 * kernel[0] * kernel[1] * kernel[2] * kernel[3] * int(np.prod(layer.output.shape[1:3]))
        elif kind == "Conv2DTranspose":  # each input pixel spreads a kernel over the output
            kernel = layer.kernel.shape
            total += 2 * kernel[0] * kernel[1] * kernel[2] * kernel[3] * int(np.prod(layer.input.shape[1:3]))
        elif kind == "Dense":
            total += 2 * int(np.prod(layer.kernel.shape))
    return total


def training_flops_per_image(config) -> int:
    """One training step per image: G forward, D forward on a real and a fake image, and the backward
    passes, counted as twice their forward pass (the usual estimate): 3 × (G + 2 D)."""
    generator, discriminator = build_generator(config), build_discriminator(config)
    return 3 * (flops_per_image(generator) + 2 * flops_per_image(discriminator))


MATMUL_DTYPES = {"float32": tf.float32, "mixed_bfloat16": tf.bfloat16, "mixed_float16": tf.float16}


def matmul_peak_flops(precision: str, size: int = 2048, repeats: int = 5) -> float:
    """The device's practical peak at a precision: the best FLOP/s of large matrix products, the
    operation its math libraries (oneDNN, cuBLAS) are tuned for. A GAN step reaches a fraction of it."""
    dtype = MATMUL_DTYPES[precision]
    a = tf.random.normal((size, size), dtype=tf.float32)
    a, b = tf.cast(a, dtype), tf.cast(tf.transpose(a), dtype)
    product = tf.function(lambda: tf.reduce_sum(tf.cast(tf.matmul(a, b), tf.float32)))
    product()
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        product().numpy()
        best = min(best, time.perf_counter() - started)
    return 2 * size**3 / best


def switch_variants(config, quick: bool) -> dict:
    """The helper's automatic choice and each hardware switch flipped from it, one at a time, by name.

    A precision the device would only emulate is left out, and so are, with ``quick`` at 64 px and
    more, XLA (its compilation) and 8 steps per call (its tracing), which take minutes there.
    """
    automatic = config.replace(precision=dtype_policy(config), jit_compile=uses_xla(config),
                               steps_per_execution=steps_per_execution(config))
    variants = {"helper defaults": automatic}
    other_precision = "float32" if automatic.precision != "float32" else (
        "mixed_float16" if tf.config.list_physical_devices("GPU") else "mixed_bfloat16")
    if runs_natively(other_precision):
        variants[f"precision {other_precision}"] = automatic.replace(precision=other_precision)
    else:
        print(f"  precision {other_precision}: skipped, this device would emulate it (slower than float32)")
    xla_flipped = not automatic.jit_compile
    other_steps = 1 if automatic.steps_per_execution > 1 else 8
    compiled = {f"XLA {'on' if xla_flipped else 'off'}": automatic.replace(jit_compile=xla_flipped),
                f"steps per execution {other_steps}": automatic.replace(steps_per_execution=other_steps)}
    if quick and config.image_size > 32:
        print(f"  {' and '.join(compiled)}: skipped by --quick at {config.image_size} px (compiling them takes "
              "minutes on a CPU); run without --quick to time them")
    else:
        variants.update(compiled)
    return variants


def print_switch_table(variants: dict, speed: dict, config) -> None:
    """Images/s of each switch variant, with FLOP/s and the fraction of the device's matmul peak."""
    automatic = variants["helper defaults"]
    flops = training_flops_per_image(config)
    peaks = {precision: matmul_peak_flops(precision) for precision in {v.precision for v in variants.values()}}
    print(f"  switches (from: {automatic.precision}, XLA {automatic.jit_compile}, steps per execution "
          f"{automatic.steps_per_execution}); {flops / 1e6:,.1f} MFLOPs per image per training step; matmul peak "
          + ", ".join(f"{precision} {peak / 1e9:,.0f} GFLOP/s" for precision, peak in sorted(peaks.items())))
    for name in variants:
        images_per_second = speed[name]
        achieved = images_per_second * flops
        print(f"    {name:26}: {images_per_second:10.1f} images/s  {achieved / 1e9:7.1f} GFLOP/s  "
              f"{achieved / peaks[variants[name].precision]:6.1%} of peak   "
              f"ratio {images_per_second / speed['helper defaults']:.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", nargs="+", default=["fashion_mnist", "celeba64"])
    parser.add_argument("--steps", type=int, default=None, help="training steps per timed pass (default per preset)")
    parser.add_argument("--rounds", type=int, default=3, help="timed passes of each loop; the fastest counts")
    parser.add_argument("--images", type=int, default=20000, help="images in the synthetic training set")
    parser.add_argument("--quick", action="store_true",
                        help="a quick look: 10 steps per pass at 28 px, 2 at 64 px, best of 1 round, 2,048 images")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.images = 1, 2048

    device = "GPU" if tf.config.list_physical_devices("GPU") else f"CPU ({os.cpu_count()} cores)"
    print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, device: {device}")
    for name in args.presets:
        config = preset(name)
        steps = args.steps or ((10 if args.quick else 40) if config.image_size <= 32 else (2 if args.quick else 4))
        images = training_images(config, args.images)
        automatic = dtype_policy(config)
        print(f"\n{name}: {config.image_size}x{config.image_size}x{config.channels}, batch {config.batch_size}, "
              f"{steps} steps per pass, best of {args.rounds}; helper's automatic choice: {automatic}, "
              f"XLA {uses_xla(config)}", flush=True)
        variants = switch_variants(config, args.quick)
        # each model is built and traced once: the helper's float32 and automatic runs are switch variants too
        passes = {"plain": plain_loop_pass(config.replace(precision="float32"), images, steps)}
        passes.update({variant_name: helper_pass(variant, images, steps) for variant_name, variant in variants.items()})
        speed = fastest_images_per_second(passes, steps, config.batch_size, args.rounds)
        plain, helper = speed["plain"], speed["helper defaults"]
        helper_float32 = speed.get("precision float32", helper)  # the defaults are float32 where it is missing
        pipeline = pipeline_images_per_second(config, images)
        print(f"  plain tf.function loop, float32     : {plain:10.1f} images/s")
        print(f"  helper DCGAN.fit, float32           : {helper_float32:10.1f} images/s"
              f"   ratio {helper_float32 / plain:.2f} (same step, same precision)")
        print(f"  helper DCGAN.fit, {automatic:17} : {helper:10.1f} images/s"
              f"   ratio {helper / plain:.2f} (helper's defaults; target >= 1.0)")
        print(f"  input pipeline alone                : {pipeline:10.1f} images/s"
              f"   ratio {pipeline / helper:.1f} to training (target >= 10)")
        print_switch_table(variants, speed, config)

if __name__ == "__main__":
    main()
