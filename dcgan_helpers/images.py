"""Images as arrays: uint8 ↔ [-1, 1], the grayscale channel axis, grids and enlargement.

Stored images are uint8 0..255; inside the GAN they are float32 in [-1, 1], the range of the
generator's tanh. Every conversion between the two goes through this module.
"""

import numpy as np
import tensorflow as tf

__all__ = ["enlarge", "grid_tiles", "image_grid", "screen_scale", "to_float", "to_uint8", "with_channel_axis",
           "without_gray_channel"]

SCREEN_PIXELS = 256  # images are enlarged to about this size on screen


def to_float(images) -> tf.Tensor:
    """Images as float32 in [-1, 1]: uint8 0..255 are scaled, float images are taken as [-1, 1] already.

    Works on NumPy arrays and inside a ``tf.data`` pipeline alike, and returns a tensor.
    """
    images = tf.convert_to_tensor(images)
    if images.dtype == tf.uint8:
        return tf.cast(images, tf.float32) / 127.5 - 1.0
    return tf.cast(images, tf.float32)


def to_uint8(images) -> np.ndarray:
    """Images from [-1, 1] (the tanh range) as 0..255 bytes, rounded and clipped."""
    images = np.asarray(images, dtype=np.float32)
    return np.clip(np.rint((images + 1.0) * 127.5), 0, 255).astype(np.uint8)


def with_channel_axis(images) -> np.ndarray:
    """A batch (N, H, W) of grayscale images as (N, H, W, 1); a batch with its channel axis is kept."""
    images = np.asanyarray(images)  # keeps a memory-mapped cache memory-mapped
    return images[..., np.newaxis] if images.ndim == 3 else images


def without_gray_channel(images) -> np.ndarray:
    """Grayscale (..., H, W, 1) as (..., H, W), the shape image writers and widgets take; colour is kept."""
    images = np.asarray(images)
    return images[..., 0] if images.shape[-1] == 1 else images


def image_grid(images, columns: int | None = None, padding: int = 2) -> np.ndarray:
    """Tile a batch (N, H, W, C) into one uint8 picture; float input is read as [-1, 1].

    Grayscale grids come back as (H, W), colour grids as (H, W, 3), ready for any image writer.
    """
    images = np.asarray(images)
    if images.dtype != np.uint8:
        images = to_uint8(images)
    images = with_channel_axis(images)
    count, height, width, channels = images.shape
    columns = columns or int(np.ceil(np.sqrt(count)))
    rows = int(np.ceil(count / columns))
    grid = np.full(
        (rows * (height + padding) + padding, columns * (width + padding) + padding, channels), 255, np.uint8
    )
    for index, image in enumerate(images):
        top = padding + (index // columns) * (height + padding)
        left = padding + (index % columns) * (width + padding)
        grid[top: top + height, left: left + width] = image
    return without_gray_channel(grid)


def grid_tiles(grid, count: int, size: int, columns: int | None = None, padding: int = 2) -> np.ndarray:
    """The ``count`` uint8 images of side ``size`` that ``image_grid`` tiled into ``grid`` (N, H, W, C)."""
    grid = np.asarray(grid, np.uint8)
    grid = grid[..., None] if grid.ndim == 2 else grid
    columns = columns or int(np.ceil(np.sqrt(count)))
    tiles = []
    for index in range(count):
        top = padding + (index // columns) * (size + padding)
        left = padding + (index % columns) * (size + padding)
        tiles.append(grid[top: top + size, left: left + size])
    return np.stack(tiles)


def screen_scale(image_size: int) -> int:
    """How many times to enlarge an image so it shows at about SCREEN_PIXELS (9x for 28 px, 4x for 64 px)."""
    return max(1, SCREEN_PIXELS // image_size)


def enlarge(image: np.ndarray, scale: int) -> np.ndarray:
    """Nearest-neighbour enlargement, so pixels stay sharp squares."""
    return image.repeat(scale, axis=0).repeat(scale, axis=1)
