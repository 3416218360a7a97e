"""ipywidgets for exploring a trained generator in a notebook (core widgets only, so Colab shows them)."""

import ipywidgets as widgets
import numpy as np

from .latent import noise
from .viz import image_grid, png_bytes


def generated_image(generator, latent_vector, scale: int = 4) -> np.ndarray:
    """One uint8 image from one latent vector, enlarged ``scale`` times (nearest neighbour) for the screen."""
    image = image_grid(generator(latent_vector[np.newaxis], training=False), padding=0)
    return image.repeat(scale, axis=0).repeat(scale, axis=1)


class LatentExplorer:
    """A seed picker, a "random" button and one slider per chosen latent dimension.

    Each slider sets one coordinate of z; the other coordinates come from the seed. Moving a
    slider shows how much (or how little) a single coordinate changes the picture. The image
    redraws when a slider is released, so a drag does not queue up renders.
    """

    def __init__(self, generator, dimensions=(0, 1, 2, 3, 4, 5), seed: int = 0, scale: int = 4):
        self.generator = generator
        self.noise_dim = generator.input_shape[-1]
        self.dimensions = [int(dimension) for dimension in dimensions]
        outside = [dimension for dimension in self.dimensions if not 0 <= dimension < self.noise_dim]
        if outside:
            raise ValueError(f"latent dimensions {outside} do not exist: this generator's noise has {self.noise_dim}")
        self.scale = scale
        self.seed = widgets.BoundedIntText(value=seed, min=0, max=2**31 - 1, description="seed")
        self.random_button = widgets.Button(description="random", icon="random")
        self.sliders = [
            widgets.FloatSlider(0.0, min=-3.0, max=3.0, step=0.05, description=f"z[{dimension}]",
                                continuous_update=False)
            for dimension in self.dimensions
        ]
        self.image = widgets.Image(format="png")
        self.seed.observe(self._seed_changed, names="value")
        self.random_button.on_click(self._random_clicked)
        for slider in self.sliders:
            slider.observe(self._redraw, names="value")
        self._seed_changed()
        self.widget = widgets.HBox([self.image, widgets.VBox([widgets.HBox([self.seed, self.random_button]),
                                                              *self.sliders])])

    def latent_vector(self) -> np.ndarray:
        """z from the seed, with the sliders' coordinates written in."""
        vector = noise(1, self.noise_dim, self.seed.value)[0]
        vector[self.dimensions] = [slider.value for slider in self.sliders]
        return vector

    def _seed_changed(self, change=None):
        base = noise(1, self.noise_dim, self.seed.value)[0]
        with self.image.hold_sync():
            for slider, dimension in zip(self.sliders, self.dimensions, strict=True):
                slider.unobserve(self._redraw, names="value")
                slider.value = float(np.clip(base[dimension], slider.min, slider.max))
                slider.observe(self._redraw, names="value")
        self._redraw()

    def _random_clicked(self, button=None):
        self.seed.value = int(np.random.default_rng().integers(0, 2**31 - 1))

    def _redraw(self, change=None):
        self.image.value = png_bytes(generated_image(self.generator, self.latent_vector(), self.scale))

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)
