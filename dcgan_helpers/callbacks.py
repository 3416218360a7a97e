"""Keras callbacks that run beside ``DCGAN.fit``: divergence stop, sample grids, checkpoints, live dashboard."""

import math
import time
from pathlib import Path

import keras
import numpy as np

from .checkpoint import BestGenerator
from .errors import TrainingDiverged, TrainingStopped
from .files import epoch_file_name, epoch_files
from .gan import METRIC_NAMES
from .images import image_grid
from .viz import dashboard_png, gif_from_files, save_image


class TerminateOnNaNLosses(keras.callbacks.TerminateOnNaN):
    """Keras' ``TerminateOnNaN`` for a GAN: stop at once when any logged figure turns NaN or infinite.

    Keras' own callback watches ``logs["loss"]``, which a GAN does not have (it logs ``d_loss`` and
    ``g_loss``), and lets the epoch end normally. This one raises ``TrainingDiverged`` naming the
    epoch, so nothing of that epoch is saved and the last good checkpoint stays the resume point.
    """

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_number = epoch + 1

    def on_batch_end(self, batch, logs=None):
        for name, value in (logs or {}).items():
            if not math.isfinite(float(value)):
                raise TrainingDiverged(self.epoch_number, name, float(value))


class SampleGrid(keras.callbacks.Callback):
    """After each epoch, draw the same fixed noise through G into ``samples/epoch_XXXX.png``
    and rebuild the progress GIF from every grid so far."""

    def __init__(self, noise, samples_dir, gif_path):
        super().__init__()
        self.noise = noise
        self.samples_dir = Path(samples_dir)
        self.gif_path = Path(gif_path)

    def on_epoch_end(self, epoch, logs=None):
        images = self.model.sampling_generator(self.noise, training=False)
        save_image(self.samples_dir / epoch_file_name(epoch + 1, ".png"), image_grid(images))
        gif_from_files(epoch_files(self.samples_dir, ".png").values(), self.gif_path)


class Checkpointer(keras.callbacks.Callback):
    """After each epoch, hand the finished epoch to the session, which saves it as its new resume point.

    The best generator saved with it is the ``metric``'s newest, else the one the session resumed with.
    """

    def __init__(self, session, start_epoch: int, start_step: int, steps_per_epoch: int, preview_noise,
                 metric: "MetricCallback | None" = None, best: BestGenerator | None = None):
        super().__init__()
        self.session = session
        self.start_epoch, self.start_step, self.steps_per_epoch = start_epoch, start_step, steps_per_epoch
        self.preview_noise = preview_noise
        self.metric, self.best = metric, best

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        epoch_number = epoch + 1
        step = self.start_step + (epoch_number - self.start_epoch) * self.steps_per_epoch
        seconds = time.perf_counter() - self.epoch_started
        logs = logs or {}
        extra = {self.metric.name: logs[self.metric.name]} if self.metric and self.metric.name in logs else {}
        if self.metric:
            self.best = self.metric.best_generator
        self.session.save_epoch(self.model, epoch_number, step, logs, seconds, self.preview_noise, extra, self.best)


class LiveDashboard(keras.callbacks.Callback):
    """In a notebook, one picture that refreshes after every epoch: samples from fixed noise,
    the loss and D-output curves so far, and the speed in images per second.

    ``history`` holds rows of earlier epochs (``Session.history()``) so a resumed run shows its
    whole story; ``images_per_epoch`` turns epoch time into throughput. ``refresh_seconds`` also
    redraws during an epoch, at most that often. ``show(png)`` puts the picture somewhere else
    than the cell's output. It runs on the thread that trains: a ``show`` that changes a widget
    must run on the kernel's main thread or hand the picture over to it, as ``Playground`` does.
    """

    def __init__(self, noise, images_per_epoch: int, history=(), refresh_seconds: float | None = None, show=None):
        super().__init__()
        self.noise = noise
        self.images_per_epoch = images_per_epoch
        self.rows = list(history)
        self.refresh_seconds = refresh_seconds
        self.show = show or self.show_in_output
        self.handle = None

    def on_train_begin(self, logs=None):
        self.final_epoch = self.params.get("epochs")

    def on_epoch_begin(self, epoch, logs=None):
        self.epochs_before = epoch
        self.epoch_started = self.last_shown = time.perf_counter()
        self.rows = [row for row in self.rows if row["epoch"] <= epoch]

    def on_train_batch_end(self, batch, logs=None):
        now = time.perf_counter()
        if self.refresh_seconds is None or now - self.last_shown < self.refresh_seconds:
            return
        done = (batch + 1) / (self.params.get("steps") or batch + 1)  # fraction of this epoch
        epoch = self.epochs_before + done
        self.speed = self.images_per_epoch * done / (now - self.epoch_started)
        row = {"epoch": epoch, **{name: float(logs[name]) for name in METRIC_NAMES if name in (logs or {})}}
        self.show(self.render(f"{epoch:.2f}", [*self.rows, row]))
        self.last_shown = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        seconds = time.perf_counter() - self.epoch_started
        logs = logs or {}
        self.rows.append({"epoch": epoch + 1, **{name: float(logs[name]) for name in METRIC_NAMES if name in logs}})
        self.speed = self.images_per_epoch / seconds
        self.show(self.render(epoch + 1, self.rows))

    def render(self, epoch, rows: list[dict]) -> bytes:
        grid = image_grid(self.model.sampling_generator(self.noise, training=False))
        last = rows[-1]
        title = (
            f"epoch {epoch}/{self.final_epoch} · {self.speed:,.0f} images/s · "
            f"D loss {last.get('d_loss', math.nan):.3f} · G loss {last.get('g_loss', math.nan):.3f}"
        )
        return dashboard_png(grid, rows, title)

    def show_in_output(self, png: bytes) -> None:
        from IPython.display import Image, display

        if self.handle is None:
            self.handle = display(Image(data=png, format="png"), display_id=True)
        else:
            self.handle.update(Image(data=png, format="png"))


class StopWhenAsked(keras.callbacks.Callback):
    """End training after the step that is running when ``event`` is set (a Stop button, say).

    It raises ``TrainingStopped``, so the unfinished epoch is neither checkpointed nor drawn:
    the session stays at its last finished epoch and resumes from there.
    """

    def __init__(self, event):
        super().__init__()
        self.event = event

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_number = epoch + 1

    def on_train_batch_end(self, batch, logs=None):
        if self.event.is_set():
            raise TrainingStopped(self.epoch_number, batch + 1)


class MetricCallback(keras.callbacks.Callback):
    """Every ``every`` epochs, score ``samples`` images drawn from fixed noise and keep the best generator.

    ``score(images) -> float`` judges images in [-1, 1]; lower is better (a Fréchet distance, KID).
    The value goes into the epoch's logs under ``name`` (and so into ``history.csv``); whenever it
    beats every earlier value, the weights samples come from (G's moving average when one is kept)
    become ``best_generator``, which the session stores in the epoch's checkpoint and exports as
    ``best_generator.keras`` with ``best.json`` naming the epoch, because DCGAN samples often get
    worse late in training.
    """

    def __init__(self, score, name: str = "fid", every: int = 1, samples: int = 10_000, seed: int = 0):
        super().__init__()
        if every < 1 or samples < 1:
            raise ValueError(f"every and samples must be at least 1, not {every} and {samples}")
        self.score, self.name = score, name
        self.every, self.samples, self.seed = every, samples, seed
        self.best_generator: BestGenerator | None = None  # the session sets the one its checkpoint holds

    def best(self) -> dict | None:
        """``{"epoch", "metric", "value", "samples"}`` of the best generator so far, if any."""
        return self.best_generator.record if self.best_generator else None

    def on_train_begin(self, logs=None):
        record = self.best()
        self.best_value = record["value"] if record and record["metric"] == self.name else math.inf

    def on_epoch_end(self, epoch, logs=None):
        epoch_number = epoch + 1
        if epoch_number % self.every:
            return
        value = float(self.score(np.asarray(self.model.sample(self.samples, self.seed), np.float32)))
        if logs is not None:
            logs[self.name] = value
        if value < self.best_value:
            self.best_value = value
            record = {"epoch": epoch_number, "metric": self.name, "value": value, "samples": self.samples}
            weights = [variable.numpy() for variable in self.model.sampling_generator.weights]
            self.best_generator = BestGenerator(record, weights)
