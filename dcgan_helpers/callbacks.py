"""Keras callbacks that run beside ``DCGAN.fit``: divergence guard, sample grids, checkpoints."""

import math
import time
from pathlib import Path

import keras

from .errors import TrainingDiverged
from .files import epoch_file_name, epoch_files
from .viz import gif_from_files, image_grid, save_image


class DivergenceGuard(keras.callbacks.Callback):
    """Stop at once when a loss turns NaN or infinite, before anything of that epoch is saved."""

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_number = epoch + 1

    def on_train_batch_end(self, batch, logs=None):
        for name, value in (logs or {}).items():
            if not math.isfinite(float(value)):
                raise TrainingDiverged(self.epoch_number, name, float(value))


class SampleGrid(keras.callbacks.Callback):
    """After each epoch, draw the same fixed noise through G into ``samples/epoch_XXXX.png``
    and rebuild the progress GIF from every grid so far."""

    def __init__(self, noise, samples_dir, gif_path):
        super().__init__()
        self.noise = noise
        self.samples_dir = Path(samples_dir)
        self.gif_path = Path(gif_path)

    def on_epoch_end(self, epoch, logs=None):
        images = self.model.generator(self.noise, training=False)
        save_image(self.samples_dir / epoch_file_name(epoch + 1, ".png"), image_grid(images))
        gif_from_files(epoch_files(self.samples_dir, ".png").values(), self.gif_path)


class Checkpointer(keras.callbacks.Callback):
    """After each epoch, hand the finished epoch to the session, which saves it as its new resume point."""

    def __init__(self, session, start_epoch: int, start_step: int, steps_per_epoch: int, preview_noise):
        super().__init__()
        self.session = session
        self.start_epoch, self.start_step, self.steps_per_epoch = start_epoch, start_step, steps_per_epoch
        self.preview_noise = preview_noise

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        epoch_number = epoch + 1
        step = self.start_step + (epoch_number - self.start_epoch) * self.steps_per_epoch
        seconds = time.perf_counter() - self.epoch_started
        self.session.save_epoch(self.model, epoch_number, step, logs or {}, seconds, self.preview_noise)
