"""Keras callbacks that run beside ``DCGAN.fit`` and write nothing: divergence stop, live dashboard, stop request,
a warning when a symptom of failure appears.

The end of an epoch, which writes the session, is ``records.EpochEnd``.
"""

import math
import time

import keras

from .diagnosis import diagnose
from .errors import TrainingDiverged, TrainingStopped
from .gan import DIAGNOSTIC_NAMES, METRIC_NAMES
from .images import image_grid, to_uint8
from .latent import generator_inputs
from .viz import dashboard_png

__all__ = ["LiveDashboard", "StopWhenAsked", "SymptomWatch", "TerminateOnNaNLosses"]


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
        self.warnings = []  # lines shown under the title, e.g. from a ``SymptomWatch``

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
        grid = image_grid(drawn(self.model.sampling_generator, self.noise))
        last = rows[-1]
        title = (
            f"epoch {epoch}/{self.final_epoch} · {self.speed:,.0f} images/s · "
            f"D loss {last.get('d_loss', math.nan):.3f} · G loss {last.get('g_loss', math.nan):.3f}"
        )
        return dashboard_png(grid, rows, "\n".join([title, *self.warnings]))

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


class SymptomWatch(keras.callbacks.Callback):
    """After every epoch, ``diagnosis.diagnose`` the run so far and ``warn`` once of each symptom it names.

    ``noise`` is the session's preview noise (the checkerboard check reads the averaged G's images of it);
    ``history`` the rows of earlier epochs. ``warn(line)`` defaults to printing the line.
    """

    def __init__(self, noise, history=(), warn=None):
        super().__init__()
        self.noise = noise
        self.rows = list(history)
        self.previews = {}
        self.warned = set()
        self.warn = warn or print

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self.rows = [row for row in self.rows if row["epoch"] <= epoch]
        self.rows.append({"epoch": epoch + 1, **{name: float(logs[name]) for name in METRIC_NAMES + DIAGNOSTIC_NAMES
                                                 if name in logs}})
        self.previews[epoch + 1] = to_uint8(drawn(self.model.sampling_generator, self.noise))
        for finding in diagnose(self.rows, self.previews):
            if finding.symptom not in self.warned:
                self.warned.add(finding.symptom)
                self.warn(f"warning: {finding}")


def drawn(generator, latent):
    """``generator``'s images for the noise vectors ``latent`` (a conditional one draws its classes in turn)."""
    return generator(generator_inputs(generator, latent), training=False)
