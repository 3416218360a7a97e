"""Train the same tiny DCGAN on one CPU device and under MirroredStrategy on two logical CPU devices.

Run as a separate process: logical devices must be configured before TensorFlow starts using the
CPU. Prints one JSON line: the per-step losses of both runs, and whether a checkpoint written under
the strategy restores into a single-device model with the same weights.
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow as tf  # noqa: E402

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import numpy as np  # noqa: E402

from dcgan_helpers.checkpoint import restore_checkpoint, save_checkpoint  # noqa: E402
from dcgan_helpers.datasets import preset  # noqa: E402
from dcgan_helpers.gan import METRIC_NAMES, build_dcgan  # noqa: E402
from dcgan_helpers.pipeline import training_dataset  # noqa: E402
from dcgan_helpers.session import Session  # noqa: E402

# One layer per resolution: with the preset's deeper networks, the split batch's float32 rounding flips the sign of
# near-zero gradients, and Adam turns each flip into a full step (about 1e-3 apart after 3 steps on AVX-512 CPUs).
config = preset("fashion_mnist").replace(generator_filters=8, discriminator_filters=8, batch_size=16,
                                         precision="float32", label_noise=0.1, layers_per_resolution=1)
images = np.random.default_rng(0).integers(0, 256, (64, 28, 28, 1), dtype=np.uint8)


def every_weight(gan):
    """G, its moving average and D, BatchNorm statistics included."""
    return gan.generator.weights + gan.averaged_generator.weights + gan.discriminator.weights


def train(strategy):
    gan = build_dcgan(config, strategy)
    history = gan.fit(training_dataset(images, config), epochs=3, steps_per_epoch=1, verbose=0)
    return gan, {name: history.history[name] for name in METRIC_NAMES}


single_gan, single = train(None)
mirrored = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
mirrored_gan, distributed = train(mirrored)
weight_difference = max(
    float(np.abs(a.numpy() - b.numpy()).max())
    for a, b in zip(every_weight(single_gan), every_weight(mirrored_gan), strict=True)
)
checkpoint = os.path.join(sys.argv[1], "mirrored.npz")
save_checkpoint(checkpoint, mirrored_gan, 3, 3, np.zeros((4, config.noise_dim), np.float32))
restored = build_dcgan(config)
restore_checkpoint(checkpoint, restored)
same_weights = all(
    np.array_equal(a.numpy(), b.numpy())
    for a, b in zip(every_weight(restored), every_weight(mirrored_gan), strict=True)
)
restored.fit(training_dataset(images, config, start_step=3), epochs=1, steps_per_epoch=1, verbose=0)
# a session trained two epochs under the strategy, then resumed on one device, ends where one device alone does
tiny = config.replace(steps_per_epoch=2, preview_count=4)
shared = Session.create(tiny, os.path.join(sys.argv[1], "mirrored_then_single"))
shared.train(images, 2, strategy=mirrored, verbose=0)
resumed = Session.open("fashion_mnist", 1, os.path.join(sys.argv[1], "mirrored_then_single")).train(
    images, 1, strategy=tf.distribute.get_strategy(), verbose=0)
alone = Session.create(tiny, os.path.join(sys.argv[1], "single")).train(
    images, 3, strategy=tf.distribute.get_strategy(), verbose=0)
session_difference = max(
    float(np.abs(a.numpy() - b.numpy()).max())
    for a, b in zip(every_weight(resumed), every_weight(alone), strict=True)
)
print(json.dumps({"session_difference": session_difference,
                  "replicas": mirrored.num_replicas_in_sync, "single": single, "mirrored": distributed,
                  "restored_same_weights": same_weights, "weight_difference": weight_difference,
                  "batch_norm_synchronized": mirrored_gan.generator.get_layer("project_bn").synchronized}))
