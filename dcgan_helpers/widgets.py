"""ipywidgets for exploring a trained generator: latent sliders, interpolation, vector arithmetic.

Only core ipywidgets are used, so the same widgets work in JupyterLab, Jupyter Notebook, VS Code
and Colab, with ipywidgets 7 and 8. One threading rule holds for every widget of this package:
widget values and pictures change only on the kernel's main thread, in the callback of the widget
event (slider release, click) or in the running cell. Colab's page never shows widget changes
made from another thread (googlecolab/colabtools#3373), and since ipykernel 7 output from a
thread no longer goes to the cell that started it (jupyter-widgets/ipywidgets#4020). So pictures
redraw synchronously in the callback; sliders send their value only when released
(``continuous_update=False``), so one move is one redraw.
"""

import html
from pathlib import Path

import ipywidgets as widgets
import numpy as np

from .errors import WriteFailed
from .images import enlarge, screen_scale, to_uint8, without_gray_channel
from .latent import (
    class_count,
    concept_vector,
    draw_between_classes,
    interpolate,
    noise,
    noise_size,
    principal_directions,
)
from .viz import pictures, png_bytes, save_gif

__all__ = ["Interpolator", "LatentArithmetic", "LatentExplorer", "Shown", "untrained_notice"]


class Shown:
    """Shown as its ``widget`` when it is the last value of a notebook cell."""

    widget: widgets.Widget

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)

    def close(self) -> None:
        """Take the widget and everything in it off the page, so that Python can free it (and its generator)."""
        for widget in _widget_tree(self.widget):
            widget.close()


def _widget_tree(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _widget_tree(child)


class Message(widgets.HTML):
    """A line of text for the reader that wraps at the output's edge (a ``Label`` cuts it off there)."""

    def say(self, text: str) -> None:
        self.value = html.escape(text, quote=False)


def untrained_notice(generator, samples: int = 8) -> str:
    """A sentence for the widget's label when ``generator`` looks untrained, else "".

    A freshly built DCGAN generator (weights from N(0, 0.02)) draws nearly the same flat grey
    for every z: pixel values vary by about 1 of 255, both across z and within a picture, where a
    trained one varies by tens. Pictures of ``samples`` seeds that vary by less than 4 of 255 in
    both ways count as untrained.
    """
    drawn = pictures(generator, noise(samples, noise_size(generator), 0)).astype(np.float32)
    across_z = float(drawn.std(axis=0).mean())
    within_picture = float(drawn.reshape(samples, -1).std(axis=1).mean())
    if across_z < 4 and within_picture < 4:
        fashion_mnist = tuple(generator.output_shape[1:]) == (28, 28, 1)
        trained = ('explore the one shipped with the package: pretrained.load("fashion_mnist")' if fashion_mnist
                   else "load one someone exported: pretrained.load(FILE)")
        return ("This generator looks untrained: its pictures are nearly the same flat grey for every z. "
                f"Train it first, or {trained}.")
    return ""


def class_options(generator, classes) -> list[tuple[str, int]]:
    """(name, index) of each class a conditional generator draws, for a class picker; [] for an unconditional one."""
    count = class_count(generator)
    if classes is not None and len(classes) != count:
        kind = f"draws {count} classes" if count else "is unconditional"
        raise ValueError(f"this generator {kind}, but {len(classes)} class names were given")
    return list(zip(classes or [f"class {index}" for index in range(count)], range(count), strict=True))


def class_picker(options, value: int, description: str) -> widgets.Dropdown:
    if not 0 <= value < len(options):
        raise ValueError(f"class {value} does not exist: this generator draws classes 0 to {len(options) - 1}")
    return widgets.Dropdown(options=options, value=value, description=description)


class LatentExplorer(Shown):
    """A seed picker, a "random" button, one slider per latent direction and a truncation slider.

    Directions: by default the ``directions`` principal directions of the generator's output
    (``latent.principal_directions``; six, or as many as z has numbers if fewer), ordered from the
    one that changes the pictures most. A
    single coordinate of z (``dimensions=(0, 5)``) usually changes a little of everything,
    because nothing in training gives one coordinate one meaning. Each slider sets how far z
    lies along its direction; the rest of z comes from the seed. Truncation ψ scales the whole
    vector towards the average z = 0: lower ψ gives more typical, less varied pictures (a
    simplified variant of StyleGAN's truncation trick, which pulls its intermediate latent w
    towards the average w; Karras et al., 2019).
    For a conditional generator a class picker chooses the class drawn (``classes``: their names, in label
    order), and a row below shows the same z as every class: what the noise keeps while the class changes.
    The image redraws when a slider is released.
    """

    def __init__(self, generator, dimensions=None, directions: int | None = None, seed: int = 0,
                 scale: int | None = None, samples: int = 1000, classes=None, label: int = 0):
        self.generator = generator
        self.noise_dim = noise_size(generator)
        options = class_options(generator, classes)
        directions = directions or min(6, self.noise_dim)
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
        self.class_picker = class_picker(options, label, "class") if options else None
        self.every_class = widgets.Image(format="png")  # the same z as every class (conditional generators)
        self.notice = untrained_notice(generator)
        self.message = Message()
        self.message.say(self.notice)
        self.seed.observe(self._seed_changed, names="value")
        self.random_button.on_click(self._random_clicked)
        for control in [*self.sliders, self.truncation, *([self.class_picker] if options else [])]:
            control.observe(self._redraw, names="value")
        self._seed_changed()
        controls = widgets.VBox([widgets.HBox([self.seed, self.random_button]),
                                 *([self.class_picker] if options else []), *self.sliders, self.truncation,
                                 self.message])
        self.widget = widgets.HBox([self.image, controls])
        if options:
            caption = Message()
            caption.say("The same z as every class, left to right: " + ", ".join(name for name, _ in options))
            self.widget = widgets.VBox([self.widget, caption, self.every_class])

    def base_vector(self) -> np.ndarray:
        return noise(1, self.noise_dim, self.seed.value)[0]

    def latent_vector(self) -> np.ndarray:
        """z from the seed with its position along each direction set by the sliders, times ψ."""
        vector = self.base_vector()
        for direction, slider in zip(self.directions, self.sliders, strict=True):
            vector += (slider.value - vector @ direction) * direction
        return (self.truncation.value * vector).astype(np.float32)

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
        try:
            vector = self.latent_vector()
            if self.class_picker is None:
                self.image.value = png_bytes(enlarge(pictures(self.generator, [vector])[0], self.scale))
            else:
                row = pictures(self.generator, np.repeat(vector[None], len(self.class_picker.options), axis=0))
                self.image.value = png_bytes(enlarge(row[self.class_picker.value], self.scale))
                self.every_class.value = png_bytes(enlarge(np.concatenate(list(row), axis=1),
                                                           max(1, self.scale // 2)))
        except Exception as error:  # noqa: BLE001 - shown in the widget, where the reader looks
            self.message.say(f"could not draw: {error}")
        else:
            self.message.say(self.notice)


class Interpolator(Shown):
    """Walk from one seed's picture to another's: a frame slider, a strip of every frame, GIF export.

    Spherical interpolation (the default) keeps z at a typical length all the way; the straight
    line cuts inside the shell where training noise lies (its midpoint is about 0.7 times as long),
    where pictures often turn grey and dull midway.

    For a conditional generator, "from class" and "to class" pickers (``classes``: their names) walk the
    class vector along the straight line from one class's to the other's while z walks between the seeds:
    the same seed at both ends changes only the class, at fixed z.
    """

    def __init__(self, generator, start_seed: int = 0, end_seed: int = 1, frames: int = 8, spherical: bool = True,
                 scale: int | None = None, gif_path="interpolation.gif", classes=None, start_class: int = 0,
                 end_class: int | None = None):
        self.generator = generator
        self.noise_dim = noise_size(generator)
        options = class_options(generator, classes)
        self.class_pickers = [class_picker(options, start_class, "from class"),
                              class_picker(options, start_class if end_class is None else end_class, "to class")
                              ] if options else []
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
        self.notice = untrained_notice(generator)
        self.message = Message()
        self.message.say(self.notice)
        self.frames: list[np.ndarray] = []
        for control in (self.start_seed, self.end_seed, self.path_kind, self.frame_count, *self.class_pickers):
            control.observe(self._redraw, names="value")
        self.frame.observe(self._show_frame, names="value")
        self.save_button.on_click(lambda button: self._save_clicked())
        self._redraw()
        self.widget = widgets.VBox([
            widgets.HBox([self.start_seed, self.end_seed, self.frame_count]),
            *([widgets.HBox(self.class_pickers)] if self.class_pickers else []), self.path_kind,
            widgets.HBox([self.image, widgets.VBox([self.frame, widgets.HBox([self.gif_path, self.save_button]),
                                                    self.message])]),
            self.strip,
        ])

    def latent_path(self) -> np.ndarray:
        """The latent vectors of every frame, from the start seed's z to the end seed's."""
        start, end = (noise(1, self.noise_dim, seed.value)[0] for seed in (self.start_seed, self.end_seed))
        return interpolate(start, end, self.frame_count.value, spherical=self.path_kind.value == "spherical")

    def save_gif(self, path=None, seconds_per_frame: float = 0.15) -> Path:
        """Write the frames there and back again as a looping GIF; returns its path."""
        path = Path(path or self.gif_path.value)
        frames = [enlarge(frame, self.scale) for frame in self.frames]
        save_gif(frames + frames[-2:0:-1], path, seconds_per_frame)
        return path

    def draw_frames(self) -> list[np.ndarray]:
        """The picture of every frame; for a conditional generator, with the class vector walking too."""
        path = self.latent_path()
        if not self.class_pickers:
            return list(pictures(self.generator, path))
        start, end = (picker.value for picker in self.class_pickers)
        drawn = draw_between_classes(self.generator, path, start, end, np.linspace(0, 1, len(path)))
        return list(without_gray_channel(to_uint8(drawn)))

    def _redraw(self, change=None):
        try:
            self.frames = self.draw_frames()
        except Exception as error:  # noqa: BLE001 - shown in the widget, where the reader looks
            self.message.say(f"could not draw: {error}")
            return
        with self.frame.hold_trait_notifications():
            self.frame.max = len(self.frames) - 1
            self.frame.value = min(self.frame.value, self.frame.max)
        self._show_frame()
        self.strip.value = png_bytes(np.concatenate(self.frames, axis=1))
        self.message.say(self.notice)

    def _show_frame(self, change=None):
        if self.frames:
            self.image.value = png_bytes(enlarge(self.frames[min(self.frame.value, len(self.frames) - 1)], self.scale))

    def _save_clicked(self):
        try:
            self.message.say(f"saved {self.save_gif()}")
        except WriteFailed as error:
            self.message.say(str(error))
        except ValueError as error:
            self.message.say(f"could not save the GIF: {error}")


class LatentArithmetic(Shown):
    """Pick samples for three concepts A, B, C and see A − B + C, as in the DCGAN paper's face arithmetic.

    The grid shows ``count`` samples in as many columns as the page is wide; the menu under each
    assigns it to a concept. The result row shows the average of each concept and the picture of
    mean(A) − mean(B) + mean(C), followed by the same vector with a little noise added (``spread``),
    as the paper's figures show.
    """

    CONCEPTS = ("A", "B", "C")

    def __init__(self, generator, count: int = 48, seed: int = 0, spread: float = 0.25, scale: int | None = None):
        if class_count(generator):
            raise ValueError("LatentArithmetic adds and subtracts the z of an unconditional generator; for a "
                             "conditional one, change the class with LatentExplorer's class picker")
        self.generator, self.spread = generator, spread
        self.candidates = noise(count, noise_size(generator), seed)
        self.scale = scale or max(1, screen_scale(generator.output_shape[1]) // 2)
        thumbnails = pictures(generator, self.candidates)
        width = f"{thumbnails.shape[2] * self.scale}px"
        self.pickers = [widgets.Dropdown(options=["—", *self.CONCEPTS], value="—", layout=widgets.Layout(width=width))
                        for _ in range(count)]
        tiles = [widgets.VBox([widgets.Image(value=png_bytes(enlarge(thumbnail, self.scale)), format="png"), picker])
                 for thumbnail, picker in zip(thumbnails, self.pickers, strict=True)]
        self.result = widgets.Image(format="png")
        self.notice = untrained_notice(generator)
        self.message = Message()
        self.message.say(self.notice or "Choose samples for A, B and C (three each works well).")
        for picker in self.pickers:
            picker.observe(self._redraw, names="value")
        self.widget = widgets.VBox([
            # as many columns as the output is wide: a fixed count would run off a narrow page
            widgets.GridBox(tiles, layout=widgets.Layout(grid_template_columns=f"repeat(auto-fill, {width})")),
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
            self.message.say(str(error))
            return
        averages = [self.candidates[self.chosen(concept)].mean(axis=0) for concept in self.CONCEPTS]
        wobble = np.random.default_rng(0).uniform(-self.spread, self.spread, (4, len(result))).astype(np.float32)
        drawn = pictures(self.generator, [*averages, result, *(result + wobble)])
        gap = np.full_like(drawn[0][:, :4], 255)
        row = [drawn[0], gap, drawn[1], gap, drawn[2], gap, gap, drawn[3], *drawn[4:]]
        self.result.value = png_bytes(enlarge(np.concatenate(row, axis=1), self.scale))
        self.message.say(self.notice or ("mean A, mean B, mean C, then A − B + C and four neighbours "
                                             f"(A: {self.chosen('A')}, B: {self.chosen('B')}, C: {self.chosen('C')})"))
