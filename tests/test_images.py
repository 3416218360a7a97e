"""Conversions between stored uint8 images and the GAN's [-1, 1], and image grids."""

import numpy as np
import pytest

from dcgan_helpers.images import enlarge, image_grid, to_float, to_uint8, with_channel_axis, without_gray_channel

pytestmark = pytest.mark.kernel


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


def test_to_float_inverts_to_uint8_and_keeps_floats():
    pixels = np.arange(256, dtype=np.uint8)
    scaled = to_float(pixels).numpy()
    assert scaled.dtype == np.float32 and scaled.min() == -1.0 and scaled.max() == 1.0
    np.testing.assert_array_equal(to_uint8(scaled), pixels)
    assert to_float(np.array([0.25], np.float64)).numpy().tolist() == [0.25]


def test_to_float_works_inside_a_tf_data_pipeline():
    import tensorflow as tf

    stream = tf.data.Dataset.from_tensor_slices(np.array([[0, 255]], np.uint8)).map(to_float)
    assert next(iter(stream)).numpy().tolist() == [-1.0, 1.0]


def test_the_grayscale_channel_axis_is_added_and_dropped_colour_kept():
    gray, colour = np.zeros((2, 5, 5), np.uint8), np.zeros((2, 5, 5, 3), np.uint8)
    assert with_channel_axis(gray).shape == (2, 5, 5, 1) and with_channel_axis(colour).shape == (2, 5, 5, 3)
    assert without_gray_channel(with_channel_axis(gray)).shape == (2, 5, 5)
    assert without_gray_channel(colour).shape == (2, 5, 5, 3)


def test_enlarge_repeats_each_pixel_into_a_square():
    np.testing.assert_array_equal(enlarge(np.array([[1, 2]]), 2), [[1, 1, 2, 2], [1, 1, 2, 2]])
