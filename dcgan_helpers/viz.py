"""Pictures of a GAN at work: generated pictures, PNG and GIF files, loss curves and the live dashboard."""

import io
import textwrap
from pathlib import Path

import imageio.v3 as iio
import numpy as np

from .files import atomic_path
from .images import to_uint8, without_gray_channel
from .latent import generator_inputs

__all__ = ["dashboard_png", "gif_from_files", "pictures", "plot_history", "png_bytes", "save_gif", "save_image",
           "show_gif"]


def pictures(generator, latent_vectors, labels=None) -> np.ndarray:
    """uint8 images (count, height, width[, 3]) of a batch of latent vectors (of the classes ``labels`` for a
    conditional generator, see ``latent.generator_inputs``); grayscale loses its channel axis."""
    return without_gray_channel(to_uint8(generator(generator_inputs(generator, latent_vectors, labels),
                                                   training=False)))


def save_image(path, image) -> None:
    """Write one uint8 image (PNG by the file's suffix), replacing the old file in one step."""
    with atomic_path(path) as temporary:
        iio.imwrite(temporary, image)


def save_gif(frames, path, seconds_per_frame: float = 0.4) -> None:
    """Write frames of equal shape as a looping GIF, replacing the old file in one step."""
    frames = [np.asarray(frame) for frame in frames]
    with atomic_path(path) as temporary:
        iio.imwrite(temporary, np.stack(frames), extension=".gif", duration=int(seconds_per_frame * 1000), loop=0)


def gif_from_files(image_paths, gif_path, seconds_per_frame: float = 0.4) -> None:
    """Rebuild a GIF from PNG files, in the order given."""
    save_gif([iio.imread(Path(image_path)) for image_path in image_paths], gif_path, seconds_per_frame)


def show_gif(path):
    """Display a GIF inline in a notebook."""
    from IPython.display import Image

    return Image(data=Path(path).read_bytes(), format="gif")


def plot_history(history, axes=None):
    """Losses and D's mean outputs per epoch from ``Session.history()`` rows (or a Keras History).

    Every epoch is a dot on its line, so that a run of one epoch shows its values instead of empty axes.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    rows = history if isinstance(history, list) else _rows_from_keras(history.history)
    epochs = [row["epoch"] for row in rows]
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(11, 3.5))
    for key, label in (("d_loss", "D loss"), ("g_loss", "G loss")):
        axes[0].plot(epochs, [row[key] for row in rows], marker="o", markersize=3, label=label)
    axes[0].set(title="Losses", xlabel="epoch")
    for key, label in (("d_real", "D(x), real"), ("d_fake", "D(G(z)), fake")):
        axes[1].plot(epochs, [row[key] for row in rows], marker="o", markersize=3, label=label)
    axes[1].axhline(0.5, color="grey", linestyle=":", linewidth=1)
    axes[1].set(title="Discriminator's mean output", xlabel="epoch", ylim=(0, 1))
    for axis in axes:
        axis.legend()
        axis.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
        if epochs:  # half an epoch of margin: a single epoch gets its own tick, not 0.95 ... 1.05
            axis.set_xlim(min(epochs) - 0.5, max(epochs) + 0.5)
    return axes


def _rows_from_keras(history: dict) -> list[dict]:
    count = len(next(iter(history.values())))
    return [{"epoch": index + 1, **{key: values[index] for key, values in history.items()}} for index in range(count)]


def png_bytes(image) -> bytes:
    """A uint8 image encoded as PNG, for ``ipywidgets.Image`` or ``IPython.display.Image``."""
    return iio.imwrite("<bytes>", np.asarray(image), extension=".png")


def dashboard_png(grid, history_rows: list[dict], title: str) -> bytes:
    """One picture of training so far: the current sample grid beside the loss and D-output curves, under
    ``title``, whose lines are wrapped to the picture's width."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(13, 3.8), layout="constrained")
    sample_axis, *curve_axes = figure.subplots(1, 3, width_ratios=(1, 1.4, 1.4))
    sample_axis.imshow(grid, cmap="gray" if np.asarray(grid).ndim == 2 else None, vmin=0, vmax=255)
    sample_axis.set_axis_off()
    sample_axis.set_title("samples (fixed noise)")
    if history_rows:
        plot_history(history_rows, axes=curve_axes)
    figure.suptitle("\n".join(textwrap.fill(line, 150) for line in title.splitlines()))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80)
    return buffer.getvalue()
