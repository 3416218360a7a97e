import imageio.v3 as iio
import matplotlib
import numpy as np

from dcgan_helpers.viz import image_grid, plot_history, save_gif, show_gif, to_uint8

matplotlib.use("Agg")


def test_to_uint8_maps_the_tanh_range_to_bytes():
    np.testing.assert_array_equal(to_uint8([-1.0, 0.0, 1.0, 1.5]), [0, 128, 255, 255])


def test_image_grid_tiles_grayscale_and_colour_batches():
    gray = np.full((5, 4, 4, 1), -1.0, np.float32)
    grid = image_grid(gray, columns=3, padding=1)
    assert grid.shape == (2 * 5 + 1, 3 * 5 + 1) and grid.dtype == np.uint8
    assert grid[1, 1] == 0 and grid[0, 0] == 255  # an image pixel, a padding pixel
    assert grid[6:10, 11:15].min() == 255  # the sixth cell is empty
    colour = np.zeros((4, 3, 3, 3), np.uint8)
    assert image_grid(colour).shape == (2 * 5 + 2, 2 * 5 + 2, 3)


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


def test_to_unit_range_inverts_to_uint8_and_keeps_floats():
    from dcgan_helpers.viz import to_uint8, to_unit_range

    pixels = np.arange(256, dtype=np.uint8)
    scaled = to_unit_range(pixels)
    assert scaled.dtype == np.float32 and scaled.min() == -1.0 and scaled.max() == 1.0
    np.testing.assert_array_equal(to_uint8(scaled), pixels)
    assert to_unit_range(np.array([0.25], np.float64)).tolist() == [0.25]
