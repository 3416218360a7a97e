"""What the diagnostics recorded at every training step cost, as a share of the step.

``DCGAN.train_step`` records, besides the four metrics, each network's gradient norm and the spread
of the fake and the real batch (``gan.DIAGNOSTIC_NAMES``). This times those extra operations alone —
two global norms over gradients shaped like the networks' weights, two batch spreads and the four
trackers' updates, in one compiled function — against the whole step of ``DCGAN.fit``, both on this
machine, each repeated. Timed alone, the extra operations cannot overlap with the rest of the step,
so the share printed is an upper bound of what they add inside it.

    python benchmarks/diagnostics_overhead.py                  # the fashion_mnist and celeba64 presets
    python benchmarks/diagnostics_overhead.py --repeats 3      # fewer repeats: a quicker look
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from train_step import EpochTimer, training_images  # noqa: E402

from dcgan_helpers.datasets import preset  # noqa: E402
from dcgan_helpers.device import describe, hardware_name  # noqa: E402
from dcgan_helpers.gan import DIAGNOSTIC_NAMES, batch_spread, build_dcgan  # noqa: E402
from dcgan_helpers.pipeline import training_dataset  # noqa: E402


def step_seconds(config, steps: int, repeats: int) -> list[float]:
    """Seconds per step of ``DCGAN.fit``, one figure per repeat of ``steps`` steps (after one warm-up pass)."""
    gan = build_dcgan(config)
    dataset = training_dataset(training_images(config, steps * config.batch_size), config)
    timer, figures = EpochTimer(), []
    for epoch in range(repeats + 1):
        gan.fit(dataset, initial_epoch=epoch, epochs=epoch + 1, steps_per_epoch=steps, verbose=0, callbacks=[timer])
        figures.append(timer.seconds / steps)
    return figures[1:]


def diagnostics_seconds(config, calls: int, repeats: int) -> list[float]:
    """Seconds per call of the diagnostics' extra operations alone, on tensors of the step's shapes."""
    gan = build_dcgan(config)
    generator_gradients = [tf.random.normal(v.shape) for v in gan.generator.trainable_variables]
    discriminator_gradients = [tf.random.normal(v.shape) for v in gan.discriminator.trainable_variables]
    shape = (config.batch_size, config.image_size, config.image_size, config.channels)
    fakes, reals = tf.random.uniform(shape, -1, 1), tf.random.uniform(shape, -1, 1)
    trackers = [keras.metrics.Mean(name=name) for name in DIAGNOSTIC_NAMES]

    @tf.function
    def extra():
        figures = (tf.linalg.global_norm(discriminator_gradients), tf.linalg.global_norm(generator_gradients),
                   batch_spread(fakes), batch_spread(reals))
        for tracker, figure in zip(trackers, figures, strict=True):
            tracker.update_state(figure, sample_weight=tf.cast(tf.math.is_finite(figure), tf.float32))

    extra()
    figures = []
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(calls):
            extra()
        figures.append((time.perf_counter() - started) / calls)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--steps", type=int, default=100, help="steps per repeat at 28 px (a fifth of them at 64 px)")
    arguments = parser.parse_args()
    print(f"machine: {hardware_name()}")
    for name in ("fashion_mnist", "celeba64"):
        config = preset(name)
        steps = arguments.steps if config.image_size < 64 else max(arguments.steps // 5, 5)
        print(f"\n{name}: batch {config.batch_size}; {describe(config)}")
        step = np.array(step_seconds(config, steps, arguments.repeats))
        extra = np.array(diagnostics_seconds(config, 10 * steps, arguments.repeats))
        share = extra / step
        print(f"  step of DCGAN.fit: {1000 * step.mean():.2f} ± {1000 * step.std():.2f} ms "
              f"({arguments.repeats} repeats of {steps} steps)")
        print(f"  diagnostics alone: {1000 * extra.mean():.3f} ± {1000 * extra.std():.3f} ms")
        print(f"  share of a step:   {100 * share.mean():.2f} % ± {100 * share.std():.2f} % (target: under 3 %)")


if __name__ == "__main__":
    main()
