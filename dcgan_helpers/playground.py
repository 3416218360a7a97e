"""The training playground: set hyperparameters with widgets, press Start, watch the run live, Stop at any time."""

import asyncio
import signal
import sys
import threading
from contextlib import contextmanager, suppress

import ipywidgets as widgets

from .config import GANConfig
from .errors import TrainingStopped, UsageError
from .widgets import Shown

__all__ = ["Playground"]


class Playground(Shown):
    """Try hyperparameters: set them, press Start, watch samples and curves live, Stop at any time.

    Each Start creates a new session (``playground.session``). Stop ends the run after the step in
    progress; the session keeps its last finished epoch and can be resumed or explored like any other.
    A conditional ``config`` trains on ``labels``, each image's class.

    Widgets change only on the kernel's main thread (the rule of ``dcgan_helpers.widgets``). In
    Jupyter the run trains in a background thread, so the notebook stays usable; the thread hands
    the newest picture and the outcome to the event loop of the kernel's main thread, which shows
    them. Under Colab, which ignores widget changes made from other threads, and where no event
    loop runs (a script), the run trains right there on the main thread and redraws from it; the
    Stop button cannot be pressed while the kernel is busy, so interrupting the kernel (Colab's
    interrupt button, Ctrl+C in a terminal) stops the run exactly like Stop.
    """

    def __init__(self, config: GANConfig, images, epochs: int = 5, runs_dir=None, refresh_seconds: float = 2.0,
                 labels=None):
        self.config, self.images, self.runs_dir, self.refresh_seconds = config, images, runs_dir, refresh_seconds
        self.labels = labels  # each image's class, for a conditional config
        batch_sizes = sorted({16, 32, 64, 128, 256, config.batch_size})
        # fine steps of the exponent, so that the page keeps a value like 8e-4 instead of rounding it to 7.9e-4
        learning_rate = dict(base=10, min=-5, max=-2, step=0.001, readout_format=".1e")
        self.controls = {
            "generator_learning_rate": widgets.FloatLogSlider(config.generator_learning_rate, description="G lr",
                                                              **learning_rate),
            "discriminator_learning_rate": widgets.FloatLogSlider(config.discriminator_learning_rate,
                                                                  description="D lr", **learning_rate),
            "beta_1": widgets.FloatSlider(config.beta_1, min=0.0, max=0.95, step=0.05, description="Adam β1"),
            "batch_size": widgets.Dropdown(options=batch_sizes, value=config.batch_size, description="batch size"),
            "label_smoothing": widgets.FloatSlider(config.label_smoothing, min=0.0, max=0.3, step=0.05,
                                                   description="smoothing"),
            "noise_dim": widgets.IntText(config.noise_dim, description="noise dim"),
        }
        self.epochs = widgets.IntText(epochs, description="epochs")
        self.start_button = widgets.Button(description="Start", icon="play", button_style="success")
        self.stop_button = widgets.Button(description="Stop", icon="stop", button_style="danger", disabled=True)
        self.status = widgets.HTML("Set the values, then press Start.")
        self.image = widgets.Image(format="png")
        self.session = None
        self.running = False
        self.thread = None  # the background thread of a run in Jupyter
        self.outcome = None  # after a run: "finished", "stopped", or the exception that ended it
        self.stop_requested = threading.Event()
        self.handed_over = threading.Lock()  # guards what the background thread leaves for the main thread
        self.newest_picture, self.result = None, None
        self.start_button.on_click(lambda button: self.start())
        self.stop_button.on_click(lambda button: self.stop())
        self.widget = widgets.VBox([
            widgets.HBox([widgets.VBox(list(self.controls.values())[:3]),
                          widgets.VBox([*list(self.controls.values())[3:], self.epochs])]),
            widgets.HBox([self.start_button, self.stop_button]), self.status, self.image,
        ])

    def chosen_config(self) -> GANConfig:
        """The config with the controls' values; raises ConfigError for values the models cannot take."""
        return self.config.replace(**{name: control.value for name, control in self.controls.items()})

    def start(self):
        """Start a new session with the chosen values; returns it, or None when a value is refused."""
        if self.running:
            self.status.value = "A run is going on: press Stop first."
            return None
        try:
            config = self.chosen_config()
            if self.epochs.value < 1:
                raise UsageError(f"epochs must be at least 1, not {self.epochs.value}")
        except UsageError as error:
            self.status.value = f"<b>Not started:</b> {error}"
            return None
        from .session import Session

        session, epochs = Session.create(config, self.runs_dir), self.epochs.value
        self.session, self.running, self.outcome = session, True, None
        self.stop_requested.clear()
        self.start_button.disabled, self.stop_button.disabled = True, False
        loop = None if "google.colab" in sys.modules else _running_loop()
        if loop is None:
            self.status.value = (f"Training session {session.number} for {epochs} epochs… To stop, interrupt the "
                                 "kernel (Colab: the stop button beside the cell, or Runtime › Interrupt execution): "
                                 "the Stop button cannot be pressed while the kernel is busy training.")
            with _interrupt_sets(self.stop_requested):
                self._finish(*self._train(session, epochs, show=self._show))
        else:
            self.status.value = f"Training session {session.number} for {epochs} epochs…"
            self.thread = threading.Thread(target=self._train_in_background, args=(session, epochs, loop),
                                           daemon=True, name="dcgan-playground")
            self.thread.start()
        return self.session

    def stop(self) -> None:
        """Ask the run to end after the step in progress."""
        self.stop_requested.set()

    def wait(self, timeout: float | None = None):
        """Block until a background run ends and show its outcome (for scripts and cells); returns the session.

        Call it on the kernel's main thread, like everything that changes widgets.
        """
        if self.thread is not None:
            self.thread.join(timeout)
            self._show_handed_over()
        return self.session

    def _train(self, session, epochs: int, show) -> tuple:
        """Train; returns the outcome and the status to show. Changes no widget, so any thread may run it."""
        from .callbacks import StopWhenAsked

        try:
            session.train(self.images, epochs, live=True, show=show, refresh_seconds=self.refresh_seconds,
                          callbacks=[StopWhenAsked(self.stop_requested)], labels=self.labels)
        except TrainingStopped as stopped:
            return "stopped", f"Stopped: {stopped}. Resume: <code>playground.session.train(images, EPOCHS)</code>."
        except Exception as error:  # noqa: BLE001 - shown to the reader, who has no traceback to read
            return error, f"<b>Training failed:</b> {type(error).__name__}: {error}"
        return "finished", (f"Finished: session {session.number} has {session.last_epoch} epochs. "
                            "Explore it with <code>LatentExplorer(playground.session.load_generator())</code>.")

    def _show(self, png: bytes) -> None:
        self.image.value = png

    def _finish(self, outcome, status: str) -> None:
        self.outcome, self.status.value, self.running = outcome, status, False
        self.start_button.disabled, self.stop_button.disabled = False, True

    def _train_in_background(self, session, epochs: int, loop) -> None:
        def hand_over(picture=None, result=None):
            with self.handed_over:
                if picture is not None:
                    self.newest_picture = picture  # replaces a picture not shown yet: no queue of stale frames
                if result is not None:
                    self.result = result
            with suppress(RuntimeError):  # a closed loop: the kernel is shutting down, no one is watching
                loop.call_soon_threadsafe(self._show_handed_over)

        hand_over(result=self._train(session, epochs, show=lambda png: hand_over(picture=png)))

    def _show_handed_over(self) -> None:
        """On the main thread: show the newest picture and the outcome the background run left, if any."""
        with self.handed_over:
            picture, result, self.newest_picture, self.result = self.newest_picture, self.result, None, None
        if picture is not None:
            self._show(picture)
        if result is not None:
            self._finish(*result)


def _running_loop():
    """The event loop running on this thread (the kernel's, in a notebook cell or widget callback), else None."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


@contextmanager
def _interrupt_sets(event: threading.Event):
    """While inside, an interrupt (SIGINT: Colab's stop button, Ctrl+C) sets ``event`` instead of raising."""
    if threading.current_thread() is not threading.main_thread():  # only the main thread may handle signals
        yield
        return
    previous = signal.signal(signal.SIGINT, lambda number, frame: event.set())
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
