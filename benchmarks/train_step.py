"""Images per second of the helper's ``DCGAN.fit`` against a plain TensorFlow-tutorial training loop.

Both train the same generator and discriminator (built by the helper from a preset) on the same
batch size; the plain loop is the official TensorFlow DCGAN tutorial's: a ``tf.function`` step
with two ``GradientTape``s, fed by ``from_tensor_slices(...).shuffle().batch()`` of float32 images.
Also measured: how fast the helper's input pipeline alone delivers batches.

    python benchmarks/train_step.py                 # both presets, figures for benchmarks/README.md
    python benchmarks/train_step.py --presets fashion_mnist --steps 3 --rounds 1   # a quick look
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tutorial_loop import tutorial_train_step  # noqa: E402

from dcgan_helpers.config import preset  # noqa: E402
from dcgan_helpers.data import make_dataset, training_dataset  # noqa: E402
from dcgan_helpers.device import dtype_policy, uses_xla  # noqa: E402
from dcgan_helpers.gan import build_dcgan  # noqa: E402
from dcgan_helpers.models import build_discriminator, build_generator  # noqa: E402


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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", nargs="+", default=["fashion_mnist", "celeba64"])
    parser.add_argument("--steps", type=int, default=None, help="training steps per timed pass (default per preset)")
    parser.add_argument("--rounds", type=int, default=3, help="timed passes of each loop; the fastest counts")
    parser.add_argument("--images", type=int, default=20000, help="images in the synthetic training set")
    args = parser.parse_args()

    device = "GPU" if tf.config.list_physical_devices("GPU") else f"CPU ({os.cpu_count()} cores)"
    print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, device: {device}")
    for name in args.presets:
        config = preset(name)
        steps = args.steps or (40 if config.image_size <= 32 else 4)
        images = training_images(config, args.images)
        automatic = dtype_policy(config)
        print(f"\n{name}: {config.image_size}x{config.image_size}x{config.channels}, batch {config.batch_size}, "
              f"{steps} steps per pass, best of {args.rounds}; helper's automatic choice: {automatic}, "
              f"XLA {uses_xla(config)}", flush=True)
        float32 = config.replace(precision="float32")
        speed = fastest_images_per_second({
            "plain": plain_loop_pass(float32, images, steps),
            "helper float32": helper_pass(float32, images, steps),
            "helper automatic": helper_pass(config, images, steps),
        }, steps, config.batch_size, args.rounds)
        plain, helper = speed["plain"], speed["helper automatic"]
        pipeline = pipeline_images_per_second(config, images)
        print(f"  plain tf.function loop, float32     : {plain:10.1f} images/s")
        print(f"  helper DCGAN.fit, float32           : {speed['helper float32']:10.1f} images/s"
              f"   ratio {speed['helper float32'] / plain:.2f} (same step, same precision)")
        print(f"  helper DCGAN.fit, {automatic:17} : {helper:10.1f} images/s"
              f"   ratio {helper / plain:.2f} (helper's defaults; target >= 1.0)")
        print(f"  input pipeline alone                : {pipeline:10.1f} images/s"
              f"   ratio {pipeline / helper:.1f} to training (target >= 10)")


if __name__ == "__main__":
    main()
