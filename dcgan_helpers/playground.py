"""The training playground: set hyperparameters with widgets, press Start, watch the run live, Stop at any time."""

import threading

import ipywidgets as widgets

from .config import GANConfig
from .errors import TrainingStopped, UsageError
from .widgets import Shown


class Playground(Shown):
    """Try hyperparameters: set them, press Start, watch samples and curves live, Stop at any time.

    Each Start creates a new session (``playground.session``) and trains it in a background
    thread, so the notebook stays usable. Stop ends the run after the step in progress; the
    session keeps its last finished epoch and can be resumed or explored like any other.
    """

    def __init__(self, config: GANConfig, images, epochs: int = 5, runs_dir=None, refresh_seconds: float = 2.0):
        self.config, self.images, self.runs_dir, self.refresh_seconds = config, images, runs_dir, refresh_seconds
        batch_sizes = sorted({16, 32, 64, 128, 256, config.batch_size})
        learning_rate = dict(base=10, min=-5, max=-2, step=0.1, readout_format=".1e")
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
        self.thread = None
        self.outcome = None  # after a run: "finished", "stopped", or the exception that ended it
        self.stop_requested = threading.Event()
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

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

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

        self.session = Session.create(config, self.runs_dir)
        self.stop_requested.clear()
        self.outcome = None
        self.start_button.disabled, self.stop_button.disabled = True, False
        self.status.value = f"Training session {self.session.number} for {self.epochs.value} epochs…"
        self.thread = threading.Thread(target=self._train, args=(self.session, self.epochs.value), daemon=True,
                                       name="dcgan-playground")
        self.thread.start()
        return self.session

    def stop(self) -> None:
        """Ask the run to end after the step in progress."""
        self.stop_requested.set()

    def wait(self, timeout: float | None = None):
        """Block until the run ends (for scripts and tests); returns the session."""
        if self.thread is not None:
            self.thread.join(timeout)
        return self.session

    def _train(self, session, epochs: int):
        from .callbacks import StopWhenAsked

        def show(png):
            self.image.value = png

        try:
            session.train(self.images, epochs, live=show, refresh_seconds=self.refresh_seconds,
                          callbacks=[StopWhenAsked(self.stop_requested)])
            self.outcome = "finished"
            self.status.value = (f"Finished: session {session.number} has {session.last_epoch} epochs. "
                                 "Explore it with <code>LatentExplorer(playground.session.load_generator())</code>.")
        except TrainingStopped as stopped:
            self.outcome = "stopped"
            self.status.value = f"Stopped: {stopped}. Resume: <code>playground.session.train(images, EPOCHS)</code>."
        except Exception as error:  # noqa: BLE001 - shown to the reader; the thread has no one else to tell
            self.outcome = error
            self.status.value = f"<b>Training failed:</b> {type(error).__name__}: {error}"
        finally:
            self.start_button.disabled, self.stop_button.disabled = False, True
