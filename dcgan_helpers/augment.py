"""Light augmentation of every image D sees, real and fake alike: a simplified DiffAugment (Zhao et al., 2020).

With a few thousand images a discriminator can memorise the training set: D(x) climbs towards 1
and its feedback to G stops being useful. Changing each real image a little every time makes
memorising harder. The same changes are applied to the fakes, and they are differentiable, so
G's gradient passes through them and G is not pushed to draw augmented-looking images.

Simplified: DiffAugment's translation (up to 1/8 of the side, zero-filled) as published, its
brightness and contrast at half their range (±0.25 instead of ±0.5, ×0.75-1.25 instead of
×0.5-1.5), and neither its saturation change nor its cutout.
"""

import tensorflow as tf

__all__ = ["augment"]

MAX_SHIFT = 0.125  # shifts go up to 1/8 of the image side, as in DiffAugment


def augment(images, draws):
    """Images in [-1, 1] (batch, size, size, channels) with brightness, contrast and position changed.

    ``draws`` (batch, 4) of uniform numbers in [0, 1) decide each image's brightness, contrast, vertical
    and horizontal shift (``pipeline.AUGMENT_DRAWS`` of a step's draws), so a step's augmentation is as
    reproducible as its noise: brightness ±0.25, contrast ×0.75 to ×1.25, and a
    shift of up to 1/8 of the side with the uncovered border filled with 0 (mid-grey).
    """
    images = tf.convert_to_tensor(images)
    draws = tf.cast(draws, images.dtype)
    size = images.shape[1]
    mean = tf.reduce_mean(images, axis=(1, 2, 3), keepdims=True)
    brightness = (draws[:, 0] - 0.5)[:, None, None, None] * 0.5
    contrast = (0.75 + 0.5 * draws[:, 1])[:, None, None, None]
    images = (images - mean) * contrast + mean + brightness
    largest = int(size * MAX_SHIFT)
    row_shifts, column_shifts = (tf.cast(tf.round((2 * draws[:, index] - 1) * largest), tf.int32) for index in (2, 3))
    rows, columns = shift_matrix(row_shifts, size, images.dtype), shift_matrix(column_shifts, size, images.dtype)
    images = tf.einsum("bij,bjkc->bikc", rows, images)
    return tf.einsum("bkl,bilc->bikc", columns, images)


def shift_matrix(shifts, size: int, dtype):
    """Per-image (size, size) matrices M with (M @ v)[i] = v[i - shift], 0 where i - shift falls outside."""
    output_index = tf.range(size)[None, :, None]
    input_index = tf.range(size)[None, None, :]
    return tf.cast(tf.equal(input_index, output_index - shifts[:, None, None]), dtype)
