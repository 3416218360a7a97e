"""Sample quality of notebook 01's DCGAN against the official TensorFlow DCGAN tutorial, at equal epochs.

Both train the same number of epochs on the same Fashion-MNIST training images:

- **notebook 01**: the helper's ``fashion_mnist`` preset (the DCGAN paper's design at 28×28:
  Adam 2e-4 with β1 = 0.5, batch 128) trained by ``DCGAN.fit`` with the helper's defaults;
- **TF tutorial**: the models of tensorflow.org/tutorials/generative/dcgan (dense first layer,
  5×5 kernels, dropout in D), Adam 1e-4, batch 256, trained by the tutorial's own loop.

Each generator then draws the same number of samples, judged by the project's Fashion-MNIST
classifier: Fréchet distance to the 10,000 real test images (lower is better) and class coverage.

    python benchmarks/fashion_mnist_quality.py --epochs 3
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import layers  # noqa: E402
from tutorial_loop import tutorial_train_step  # noqa: E402

from dcgan_helpers.datasets import preset  # noqa: E402
from dcgan_helpers.device import describe  # noqa: E402
from dcgan_helpers.fashion_classifier import FashionMNISTJudge  # noqa: E402
from dcgan_helpers.fashion_mnist import load_fashion_mnist  # noqa: E402
from dcgan_helpers.gan import build_dcgan  # noqa: E402
from dcgan_helpers.latent import generate  # noqa: E402
from dcgan_helpers.pipeline import batches_per_epoch, training_dataset  # noqa: E402

TUTORIAL_NOISE_DIM, TUTORIAL_BATCH_SIZE, TUTORIAL_LEARNING_RATE = 100, 256, 1e-4


def tutorial_generator() -> keras.Sequential:
    return keras.Sequential([
        keras.Input((TUTORIAL_NOISE_DIM,)),
        layers.Dense(7 * 7 * 256, use_bias=False), layers.BatchNormalization(), layers.LeakyReLU(),
        layers.Reshape((7, 7, 256)),
        layers.Conv2DTranspose(128, 5, strides=1, padding="same", use_bias=False),
        layers.BatchNormalization(), layers.LeakyReLU(),
        layers.Conv2DTranspose(64, 5, strides=2, padding="same", use_bias=False),
        layers.BatchNormalization(), layers.LeakyReLU(),
        layers.Conv2DTranspose(1, 5, strides=2, padding="same", use_bias=False, activation="tanh"),
    ])


def tutorial_discriminator() -> keras.Sequential:
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(64, 5, strides=2, padding="same"), layers.LeakyReLU(), layers.Dropout(0.3),
        layers.Conv2D(128, 5, strides=2, padding="same"), layers.LeakyReLU(), layers.Dropout(0.3),
        layers.Flatten(), layers.Dense(1),
    ])


def train_tutorial(images: np.ndarray, epochs: int, seed: int = 0) -> keras.Model:
    """The tutorial's training loop, unchanged apart from the seed; returns the generator."""
    keras.utils.set_random_seed(seed)
    generator, discriminator = tutorial_generator(), tutorial_discriminator()
    generator_optimizer = keras.optimizers.Adam(TUTORIAL_LEARNING_RATE)
    discriminator_optimizer = keras.optimizers.Adam(TUTORIAL_LEARNING_RATE)
    train_step = tutorial_train_step(generator, discriminator, generator_optimizer, discriminator_optimizer,
                                     TUTORIAL_BATCH_SIZE, TUTORIAL_NOISE_DIM)
    scaled = (images.astype(np.float32)[..., np.newaxis] - 127.5) / 127.5
    dataset = tf.data.Dataset.from_tensor_slices(scaled).shuffle(len(scaled)).batch(TUTORIAL_BATCH_SIZE)
    for _ in range(epochs):
        for batch in dataset:
            if batch.shape[0] == TUTORIAL_BATCH_SIZE:  # the tutorial's noise has a fixed batch size
                train_step(batch)
    return generator


def train_notebook(images: np.ndarray, epochs: int) -> keras.Model:
    """Notebook 01's default configuration, trained by the helper; returns the generator."""
    config = preset("fashion_mnist")
    print(f"  notebook 01: {describe(config)}", flush=True)
    gan = build_dcgan(config)
    gan.fit(training_dataset(images, config), epochs=epochs, steps_per_epoch=batches_per_epoch(len(images), config),
            verbose=0)
    return gan.generator


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--samples", type=int, default=10_000, help="generated images judged per model")
    parser.add_argument("--train-images", type=int, default=None, help="use only this many training images")
    parser.add_argument("--data-dir", default=None, help="folder with the Fashion-MNIST .gz files")
    args = parser.parse_args()

    images, _ = load_fashion_mnist(args.data_dir)
    images = images[: args.train_images]
    device = "GPU" if tf.config.list_physical_devices("GPU") else f"CPU ({os.cpu_count()} cores)"
    print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, device: {device}; "
          f"{len(images):,} training images, {args.epochs} epochs each, {args.samples:,} samples judged")
    judge = FashionMNISTJudge(data_dir=args.data_dir)
    results = {}
    for name, train in (("notebook 01", train_notebook), ("TF tutorial", train_tutorial)):
        started = time.perf_counter()
        generator = train(images, args.epochs)
        seconds = time.perf_counter() - started
        samples = generate(generator, args.samples, seed=1)
        results[name] = (judge.evaluate(samples), seconds)
        print(f"  {name:12}: {results[name][0]}; trained in {seconds:.0f} s", flush=True)

    (ours, our_seconds), (theirs, their_seconds) = results["notebook 01"], results["TF tutorial"]
    print(f"\n{'':14}{'Fréchet distance':>18}{'classes':>9}{'seconds':>9}")
    for name, (report, seconds) in results.items():
        print(f"{name:14}{report.frechet_distance:18.2f}{report.covered_classes:>7}/10{seconds:9.0f}")
    print(f"\nFréchet distance, TF tutorial / notebook 01: {theirs.frechet_distance / ours.frechet_distance:.2f} "
          f"(above 1: the notebook's samples are closer to real clothes); "
          f"wall-clock ratio {their_seconds / our_seconds:.2f}")
    print("notebook 01 beats the tutorial and covers all 10 classes:",
          ours.frechet_distance < theirs.frechet_distance and ours.covered_classes == 10)


if __name__ == "__main__":
    main()
