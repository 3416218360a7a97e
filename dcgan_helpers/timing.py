"""How long a training run will take on this machine: measured on a short burst, not promised.

The same epoch can take several times longer on one 2-core CPU than on another (one with AVX2 only
against one with AVX-512 BF16), so a run time is only worth telling when it was measured where the run
happens. ``estimate_training_time`` builds the package's DCGAN, trains it for a few steps on the real data
pipeline, and scales up.
"""

import time
from dataclasses import dataclass

import keras
import numpy as np

from .config import GANConfig
from .device import default_strategy, hardware_name, steps_per_execution
from .errors import UsageError
from .gan import build_dcgan
from .pipeline import batches_per_epoch, training_dataset

__all__ = ["TrainingEstimate", "estimate_training_time", "format_duration"]


@dataclass(frozen=True)
class TrainingEstimate:
    """Measured speed of training steps on ``hardware``, scaled to ``epochs`` of ``steps_per_epoch`` steps."""

    hardware: str
    seconds_per_step: float
    startup_seconds: float  # tracing the step into a graph and filling the pipeline, paid once per run
    steps_per_epoch: int
    epochs: int
    measured_steps: int

    @property
    def seconds_per_epoch(self) -> float:
        return self.seconds_per_step * self.steps_per_epoch

    @property
    def total_seconds(self) -> float:
        return self.startup_seconds + self.seconds_per_epoch * self.epochs

    def __str__(self):
        return (f"{self.epochs} epoch{'s' if self.epochs != 1 else ''} of {self.steps_per_epoch} steps: "
                f"about {format_duration(self.total_seconds)} on this machine ({self.hardware}); "
                f"{self.seconds_per_epoch:.0f} s per epoch, measured over {self.measured_steps} steps "
                f"at {1000 * self.seconds_per_step:.0f} ms each. Training steps only: sample grids, "
                "checkpoints and scoring add a little per epoch.")


class _StepClock(keras.callbacks.Callback):
    """Records (step index, time) after each call into the training graph, once its results exist."""

    def __init__(self):
        super().__init__()
        self.ticks = []

    def on_train_batch_end(self, batch, logs=None):
        np.asarray(keras.ops.convert_to_numpy(logs["d_loss"]))  # wait for the step (a GPU runs ahead)
        self.ticks.append((batch, time.perf_counter()))


def estimate_training_time(config: GANConfig, images, epochs: int, steps: int = 20, warmup_steps: int = 3,
                           strategy=None, labels=None) -> TrainingEstimate:
    """Time ``steps`` training steps of the package's own DCGAN (after ``warmup_steps`` untimed ones) on
    ``images`` with ``config``, and estimate ``epochs`` epochs on this machine.

    Uses ``build_dcgan``, ``DCGAN.train_step`` and ``training_dataset`` exactly as ``Session.train`` does,
    in a throwaway model: nothing is written and no session changes. A conditional config needs the images'
    ``labels``.
    """
    if steps < 2 or warmup_steps < 1 or epochs < 1:
        raise UsageError(f"need steps >= 2, warmup_steps >= 1 and epochs >= 1, not {steps}, {warmup_steps}, {epochs}")
    per_call = steps_per_execution(config)
    warmup_steps, steps = (-(-count // per_call) * per_call for count in (warmup_steps, steps))  # whole calls
    gan = build_dcgan(config, strategy or default_strategy())
    clock = _StepClock()
    started = time.perf_counter()
    gan.fit(training_dataset(images, config, labels=labels), epochs=1, steps_per_epoch=warmup_steps + steps, verbose=0,
            callbacks=[clock])
    first_time = clock.ticks[0][1]
    (warm_index, warm_time), (last_index, last_time) = clock.ticks[warmup_steps // per_call - 1], clock.ticks[-1]
    seconds_per_step = (last_time - warm_time) / (last_index - warm_index)
    return TrainingEstimate(
        hardware=hardware_name(),
        seconds_per_step=seconds_per_step,
        startup_seconds=max(0.0, (first_time - started) - per_call * seconds_per_step),
        steps_per_epoch=config.steps_per_epoch or batches_per_epoch(len(images), config),
        epochs=epochs,
        measured_steps=steps,
    )


def format_duration(seconds: float) -> str:
    """``42 s``, ``7.5 min`` or ``2.3 h``."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"
