import time

import numpy as np
import pytest
import tensorflow as tf

from dcgan_helpers.device import hardware_name
from dcgan_helpers.errors import UsageError
from dcgan_helpers.gan import DCGAN
from dcgan_helpers.timing import estimate_training_time, format_duration


def test_the_estimate_times_the_package_training_step_and_scales_it_to_the_run(tiny_config, monkeypatch):
    """A step made 50 ms slower must show up in the estimate: it measures DCGAN.train_step, nothing else."""
    package_step = DCGAN.train_step

    def slow_step(self, data):
        tf.numpy_function(lambda: np.float32(time.sleep(0.05) or 0), [], tf.float32, stateful=True)
        return package_step(self, data)

    images = np.random.default_rng(0).integers(0, 256, (160, 28, 28), dtype=np.uint8)
    config = tiny_config.replace(steps_per_epoch=None)  # an epoch is a pass over the 160 images: 10 steps
    fast = estimate_training_time(config, images, epochs=3, steps=4, warmup_steps=1)
    monkeypatch.setattr(DCGAN, "train_step", slow_step)
    slow = estimate_training_time(config, images, epochs=3, steps=4, warmup_steps=1)
    assert slow.seconds_per_step - fast.seconds_per_step == pytest.approx(0.05, abs=0.04)
    assert slow.steps_per_epoch == 10 and slow.measured_steps == 4
    assert slow.total_seconds == pytest.approx(slow.startup_seconds + 3 * 10 * slow.seconds_per_step)
    assert slow.hardware in str(slow) and format_duration(slow.total_seconds) in str(slow)


def test_the_estimate_uses_the_configured_steps_per_epoch(tiny_config, recwarn):
    images = np.random.default_rng(0).integers(0, 256, (160, 28, 28), dtype=np.uint8)
    estimate = estimate_training_time(tiny_config.replace(steps_per_epoch=7), images, epochs=2, steps=2)
    assert not [str(warning.message) for warning in recwarn], "a reader sees these under the estimate"
    assert estimate.steps_per_epoch == 7 and estimate.seconds_per_epoch == pytest.approx(7 * estimate.seconds_per_step)


def test_hardware_name_names_the_processor_and_its_cores():
    name = hardware_name()
    assert "core" in name and "GPU" in name  # "no GPU" or the GPUs' names
    with open("/proc/cpuinfo") as stream:
        model = next(line.split(":", 1)[1].strip() for line in stream if line.startswith("model name"))
    assert name.startswith(model)


def test_too_few_steps_to_measure_is_a_clear_error(tiny_config):
    images = np.zeros((64, 28, 28), np.uint8)
    with pytest.raises(UsageError, match="steps >= 2"):
        estimate_training_time(tiny_config, images, epochs=1, steps=1)


def test_durations_read_in_seconds_minutes_or_hours():
    assert [format_duration(s) for s in (42, 450, 3 * 3600)] == ["42 s", "7.5 min", "3.0 h"]
