import imageio.v3 as iio
import matplotlib
import matplotlib.pyplot
import numpy as np
import pytest

from dcgan_helpers.viz import plot_history, save_gif, show_gif

pytestmark = pytest.mark.kernel

matplotlib.use("Agg")


def test_save_gif_writes_every_frame_and_show_gif_displays_it(tmp_path):
    frames = [np.full((8, 8), value, np.uint8) for value in (0, 120, 250)]
    save_gif(frames, tmp_path / "progress.gif")
    stored = iio.imread(tmp_path / "progress.gif", index=None)
    assert stored.shape[0] == 3
    assert show_gif(tmp_path / "progress.gif").format == "gif"
    assert not list(tmp_path.glob(".tmp-*"))


def test_plot_history_draws_losses_and_discriminator_outputs():
    rows = [{"epoch": e, "d_loss": 1.0 / e, "g_loss": 0.7, "d_real": 0.8, "d_fake": 0.3} for e in (1, 2, 3)]
    losses, outputs = plot_history(rows)
    assert [line.get_label() for line in losses.get_lines()] == ["D loss", "G loss"]
    assert list(losses.get_lines()[0].get_ydata()) == [1.0, 0.5, 1.0 / 3]
    assert len(outputs.get_lines()) == 3  # D(x), D(G(z)) and the 0.5 guide
    keras_history = type("History", (), {"history": {key: [row[key] for row in rows]
                                                     for key in ("d_loss", "g_loss", "d_real", "d_fake")}})()
    assert list(plot_history(keras_history)[0].get_lines()[1].get_xdata()) == [1, 2, 3]


def test_a_history_of_one_epoch_shows_its_values_as_dots():
    """A line through one point draws nothing: the one-epoch plot must still show each value."""
    row = {"epoch": 1, "d_loss": 1.2, "g_loss": 0.8, "d_real": 0.7, "d_fake": 0.4}
    axes = plot_history([row])
    figure = axes[0].figure
    for axis in axes:
        axis.get_legend().remove()  # its line samples have the lines' colours too
    figure.canvas.draw()
    pixels = np.asarray(figure.canvas.buffer_rgba())[..., :3].astype(int)
    for line in [*axes[0].get_lines(), *axes[1].get_lines()[:2]]:
        colour = np.array(matplotlib.colors.to_rgb(line.get_color())) * 255
        drawn = (np.abs(pixels - colour).sum(axis=-1) < 30).sum()
        assert drawn > 5, f"the {line.get_label()} value of the only epoch is not drawn"
    matplotlib.pyplot.close(figure)


@pytest.mark.parametrize("epochs", [[1], [1, 2, 3]])
def test_history_plots_tick_only_whole_epochs(epochs):
    rows = [{"epoch": e, "d_loss": 1.0, "g_loss": 0.8, "d_real": 0.7, "d_fake": 0.4} for e in epochs]
    axes = plot_history(rows)
    axes[0].figure.canvas.draw()
    for axis in axes:
        ticks = [tick for tick in axis.get_xticks() if axis.get_xlim()[0] <= tick <= axis.get_xlim()[1]]
        assert ticks and all(float(tick).is_integer() for tick in ticks), ticks
        assert {int(tick) for tick in ticks} <= set(epochs)
    matplotlib.pyplot.close(axes[0].figure)


def test_a_long_line_under_the_dashboards_title_wraps_instead_of_running_off_the_picture():
    from dcgan_helpers.viz import dashboard_png

    warning = ("warning: checkerboard artefacts (epoch 1): 2.6 % of the samples' spectral power lies at the period-2 "
               "frequencies (above 1 %) in epoch 1. Read notebook 04 (When GANs fail), section 'Checkerboard'.")
    picture = iio.imread(dashboard_png(np.full((28, 28), 128, np.uint8), [], "epoch 1/1\n" + warning))
    title_band = picture[:60, :, :3].min(axis=2)  # the title's lines, dark on white
    assert title_band[:, :5].min() > 200 and title_band[:, -5:].min() > 200, "the title touches the picture's edges"
