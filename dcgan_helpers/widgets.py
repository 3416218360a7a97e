"""ipywidgets for playing with a GAN in a notebook: latent sliders, interpolation, a training playground.

Only core ipywidgets are used, so the same widgets work in JupyterLab, Jupyter Notebook and
Colab. Drawing and training run in background threads: the kernel keeps answering clicks,
and a burst of slider moves draws only the newest state instead of queueing stale pictures.
"""

import threading
from pathlib import Path

import ipywidgets as widgets
import numpy as np

from .config import GANConfig
from .errors import TrainingStopped, UsageError
from .latent import concept_vector, interpolate, noise, principal_directions
from .viz import png_bytes, save_gif, to_uint8

SCREEN_PIXELS = 256  # images are enlarged to about this size on screen


def screen_scale(image_size: int) -> int:
    """How many times to enlarge an image so it shows at about SCREEN_PIXELS (9x for 28 px, 4x for 64 px)."""
    return max(1, SCREEN_PIXELS // image_size)


def enlarge(image: np.ndarray, scale: int) -> np.ndarray:
    """Nearest-neighbour enlargement, so pixels stay sharp squares."""
    return image.repeat(scale, axis=0).repeat(scale, axis=1)


def draw(generator, latent_vectors) -> np.ndarray:
    """uint8 images (count, height, width[, 3]) of a batch of latent vectors; grayscale loses its channel axis."""
    images = to_uint8(generator(np.asarray(latent_vectors, np.float32), training=False))
    return images[..., 0] if images.shape[-1] == 1 else images


class Shown:
    """Shown as its ``widget`` when it is the last value of a notebook cell."""

    widget: widgets.Widget

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)


class LatestOnly:
    """Run ``work(request)`` in a background thread, always on the newest request.

    Requests that arrive while work is running replace one another, so a burst of slider
    moves costs at most two renders, and the kernel never waits for them. ``on_error(error)``
    hears about failures, which would otherwise vanish with the thread.
    """

    def __init__(self, work, on_error=None):
        self.work, self.on_error = work, on_error
        self.condition = threading.Condition()
        self.pending, self.has_pending, self.busy = None, False, False
        self.completed = 0
        threading.Thread(target=self._run, daemon=True, name="dcgan-widget-renderer").start()

    def request(self, value) -> None:
        with self.condition:
            self.pending, self.has_pending = value, True
            self.condition.notify_all()

    def wait(self, timeout: float = 60) -> bool:
        """Block until every request so far is drawn; False if ``timeout`` seconds passed first."""
        with self.condition:
            return self.condition.wait_for(lambda: not self.has_pending and not self.busy, timeout)

    def _run(self):
        while True:
            with self.condition:
                self.condition.wait_for(lambda: self.has_pending)
                value, self.has_pending, self.busy = self.pending, False, True
            try:
                self.work(value)
                self.completed += 1
            except Exception as error:  # noqa: BLE001 - reported to the widget, the thread must live on
                if self.on_error:
                    self.on_error(error)
            finally:
                with self.condition:
                    self.busy = False
                    self.condition.notify_all()


class LatentExplorer(Shown):
    """A seed picker, a "random" button, one slider per latent direction and a truncation slider.

    Directions: by default the principal directions of the generator's output
    (``latent.principal_directions``), ordered from the one that changes the pictures most. A
    single coordinate of z (``dimensions=(0, 5)``) usually changes a little of everything,
    because nothing in training gives one coordinate one meaning. Each slider sets how far z
    lies along its direction; the rest of z comes from the seed. Truncation ψ scales the whole
    vector towards the average z = 0: lower ψ gives more typical, less varied pictures.
    The image redraws when a slider is released.
    """

    def __init__(self, generator, dimensions=None, directions: int = 6, seed: int = 0, scale: int | None = None,
                 samples: int = 1000):
        self.generator = generator
        self.noise_dim = generator.input_shape[-1]
        if dimensions is not None:
            dimensions = [int(dimension) for dimension in dimensions]
            outside = [dimension for dimension in dimensions if not 0 <= dimension < self.noise_dim]
            if outside:
                raise ValueError(
                    f"latent dimensions {outside} do not exist: this generator's noise has {self.noise_dim}"
                )
            self.directions = np.eye(self.noise_dim, dtype=np.float32)[dimensions]
            labels = [f"z[{dimension}]" for dimension in dimensions]
        else:
            self.directions = principal_directions(generator, directions, samples)
            labels = [f"direction {number}" for number in range(1, directions + 1)]
        self.scale = scale or screen_scale(generator.output_shape[1])
        self.seed = widgets.BoundedIntText(value=seed, min=0, max=2**31 - 1, description="seed")
        self.random_button = widgets.Button(description="random", icon="random")
        self.sliders = [widgets.FloatSlider(0.0, min=-4.0, max=4.0, step=0.05, description=label,
                                            continuous_update=False) for label in labels]
        self.truncation = widgets.FloatSlider(1.0, min=0.1, max=1.0, step=0.05, description="truncation ψ",
                                              continuous_update=False)
        self.image = widgets.Image(format="png")
        self.message = widgets.Label()
        self.renderer = LatestOnly(self._draw, on_error=self._show_error)
        self.seed.observe(self._seed_changed, names="value")
        self.random_button.on_click(self._random_clicked)
        for slider in [*self.sliders, self.truncation]:
            slider.observe(self._redraw, names="value")
        self._seed_changed()
        controls = widgets.VBox([widgets.HBox([self.seed, self.random_button]), *self.sliders, self.truncation,
                                 self.message])
        self.widget = widgets.HBox([self.image, controls])

    def base_vector(self) -> np.ndarray:
        return noise(1, self.noise_dim, self.seed.value)[0]

    def latent_vector(self) -> np.ndarray:
        """z from the seed with its position along each direction set by the sliders, times ψ."""
        vector = self.base_vector()
        for direction, slider in zip(self.directions, self.sliders, strict=True):
            vector += (slider.value - vector @ direction) * direction
        return (self.truncation.value * vector).astype(np.float32)

    def wait(self, timeout: float = 60) -> bool:
        """Block until the picture shows the current settings (for scripts and tests)."""
        return self.renderer.wait(timeout)

    def _seed_changed(self, change=None):
        base = self.base_vector()
        for slider, direction in zip(self.sliders, self.directions, strict=True):
            slider.unobserve(self._redraw, names="value")
            slider.value = float(np.clip(base @ direction, slider.min, slider.max))
            slider.observe(self._redraw, names="value")
        self._redraw()

    def _random_clicked(self, button=None):
        self.seed.value = int(np.random.default_rng().integers(0, 2**31 - 1))

    def _redraw(self, change=None):
        self.renderer.request(self.latent_vector())

    def _draw(self, latent_vector):
        self.image.value = png_bytes(enlarge(draw(self.generator, [latent_vector])[0], self.scale))
        self.message.value = ""

    def _show_error(self, error):
        self.message.value = f"could not draw: {error}"


class Interpolator(Shown):
    """Walk from one seed's picture to another's: a frame slider, a strip of every frame, GIF export.

    Spherical interpolation (the default) keeps z at a typical length all the way; the straight
    line passes near z = 0, where pictures often turn grey and dull midway.
    """

    def __init__(self, generator, start_seed: int = 0, end_seed: int = 1, frames: int = 8, spherical: bool = True,
                 scale: int | None = None, gif_path="interpolation.gif"):
        self.generator = generator
        self.noise_dim = generator.input_shape[-1]
        self.scale = scale or screen_scale(generator.output_shape[1])
        self.start_seed = widgets.BoundedIntText(value=start_seed, min=0, max=2**31 - 1, description="from seed")
        self.end_seed = widgets.BoundedIntText(value=end_seed, min=0, max=2**31 - 1, description="to seed")
        self.path_kind = widgets.ToggleButtons(options=["spherical", "linear"],
                                               value="spherical" if spherical else "linear")
        self.frame_count = widgets.BoundedIntText(value=frames, min=2, max=64, description="frames")
        self.frame = widgets.IntSlider(0, min=0, max=frames - 1, description="frame")
        self.image = widgets.Image(format="png")
        self.strip = widgets.Image(format="png")
        self.gif_path = widgets.Text(value=str(gif_path), description="GIF file")
        self.save_button = widgets.Button(description="save GIF", icon="download")
        self.message = widgets.Label()
        self.frames: list[np.ndarray] = []
        self.renderer = LatestOnly(self._draw, on_error=lambda error: setattr(self.message, "value", str(error)))
        for control in (self.start_seed, self.end_seed, self.path_kind, self.frame_count):
            control.observe(self._redraw, names="value")
        self.frame.observe(self._show_frame, names="value")
        self.save_button.on_click(lambda button: self._save_clicked())
        self._redraw()
        self.widget = widgets.VBox([
            widgets.HBox([self.start_seed, self.end_seed, self.frame_count]), self.path_kind,
            widgets.HBox([self.image, widgets.VBox([self.frame, widgets.HBox([self.gif_path, self.save_button]),
                                                    self.message])]),
            self.strip,
        ])

    def latent_path(self) -> np.ndarray:
        """The latent vectors of every frame, from the start seed's z to the end seed's."""
        start, end = (noise(1, self.noise_dim, seed.value)[0] for seed in (self.start_seed, self.end_seed))
        return interpolate(start, end, self.frame_count.value, spherical=self.path_kind.value == "spherical")

    def wait(self, timeout: float = 60) -> bool:
        """Block until the frames show the current settings (for scripts and tests)."""
        return self.renderer.wait(timeout)

    def save_gif(self, path=None, seconds_per_frame: float = 0.15) -> Path:
        """Write the frames there and back again as a looping GIF; returns its path."""
        self.wait()
        path = Path(path or self.gif_path.value)
        frames = [enlarge(frame, self.scale) for frame in self.frames]
        save_gif(frames + frames[-2:0:-1], path, seconds_per_frame)
        return path

    def _redraw(self, change=None):
        self.renderer.request(self.latent_path())

    def _draw(self, path):
        self.frames = list(draw(self.generator, path))
        with self.frame.hold_trait_notifications():
            self.frame.max = len(self.frames) - 1
            self.frame.value = min(self.frame.value, self.frame.max)
        self._show_frame()
        self.strip.value = png_bytes(np.concatenate(self.frames, axis=1))
        self.message.value = ""

    def _show_frame(self, change=None):
        if self.frames:
            self.image.value = png_bytes(enlarge(self.frames[min(self.frame.value, len(self.frames) - 1)], self.scale))

    def _save_clicked(self):
        try:
            self.message.value = f"saved {self.save_gif()}"
        except (OSError, ValueError) as error:
            self.message.value = f"could not save the GIF: {error}"


class LatentArithmetic(Shown):
    """Pick samples for three concepts A, B, C and see A − B + C, as in the DCGAN paper's face arithmetic.

    The grid shows ``count`` samples; the menu under each assigns it to a concept. The result row
    shows the average of each concept and the picture of mean(A) − mean(B) + mean(C), followed by
    the same vector with a little noise added (``spread``), as the paper's figures show.
    """

    CONCEPTS = ("A", "B", "C")

    def __init__(self, generator, count: int = 48, seed: int = 0, columns: int = 8, spread: float = 0.25,
                 scale: int | None = None):
        self.generator, self.spread = generator, spread
        self.candidates = noise(count, generator.input_shape[-1], seed)
        self.scale = scale or max(1, screen_scale(generator.output_shape[1]) // 2)
        thumbnails = draw(generator, self.candidates)
        width = f"{thumbnails.shape[2] * self.scale}px"
        self.pickers = [widgets.Dropdown(options=["—", *self.CONCEPTS], value="—", layout=widgets.Layout(width=width))
                        for _ in range(count)]
        tiles = [widgets.VBox([widgets.Image(value=png_bytes(enlarge(thumbnail, self.scale)), format="png"), picker])
                 for thumbnail, picker in zip(thumbnails, self.pickers, strict=True)]
        self.result = widgets.Image(format="png")
        self.message = widgets.Label("Choose samples for A, B and C (three each works well).")
        for picker in self.pickers:
            picker.observe(self._redraw, names="value")
        self.widget = widgets.VBox([
            widgets.GridBox(tiles, layout=widgets.Layout(grid_template_columns=f"repeat({columns}, {width})")),
            self.message, self.result,
        ])

    def choose(self, concept: str, indices) -> None:
        """Assign samples (their grid positions, from 0) to a concept, as the menus do."""
        if concept not in self.CONCEPTS:
            raise ValueError(f"concept must be one of {', '.join(self.CONCEPTS)}, not {concept!r}")
        for index in indices:
            self.pickers[index].value = concept

    def chosen(self, concept: str) -> list[int]:
        return [index for index, picker in enumerate(self.pickers) if picker.value == concept]

    def result_vector(self) -> np.ndarray:
        """mean(A) − mean(B) + mean(C) of the chosen samples' latent vectors."""
        return concept_vector(*(self.candidates[self.chosen(concept)] for concept in self.CONCEPTS))

    def _redraw(self, change=None):
        try:
            result = self.result_vector()
        except ValueError as error:
            self.message.value = str(error)
            return
        averages = [self.candidates[self.chosen(concept)].mean(axis=0) for concept in self.CONCEPTS]
        wobble = np.random.default_rng(0).uniform(-self.spread, self.spread, (4, len(result))).astype(np.float32)
        pictures = draw(self.generator, [*averages, result, *(result + wobble)])
        gap = np.full_like(pictures[0][:, :4], 255)
        row = [pictures[0], gap, pictures[1], gap, pictures[2], gap, gap, pictures[3], *pictures[4:]]
        self.result.value = png_bytes(enlarge(np.concatenate(row, axis=1), self.scale))
        self.message.value = ("mean A, mean B, mean C, then A − B + C and four neighbours "
                              f"(A: {self.chosen('A')}, B: {self.chosen('B')}, C: {self.chosen('C')})")


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
