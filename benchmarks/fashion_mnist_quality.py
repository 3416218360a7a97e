"""Sample quality of notebook 01's DCGAN against the official TensorFlow DCGAN tutorial, over seeds and epochs.

All train on the same Fashion-MNIST training images:

- **notebook 01**: the helper's ``fashion_mnist`` preset, trained by ``DCGAN.fit`` with the
  helper's defaults; its samples come from ``DCGAN.sampling_generator`` (the moving average of
  G's weights), as in a session's export. The same run also judges G itself (**notebook 01, G
  without averaging**), which shows what the averaging alone adds;
- **DCGAN paper's settings**: the same networks with the DCGAN paper's training settings (Adam
  2e-4 for both networks, batch 128) and no averaging: the preset before it was tuned;
- **TF tutorial**: the models of tensorflow.org/tutorials/generative/dcgan (dense first layer,
  5×5 kernels, dropout in D), Adam 1e-4, batch 256, trained by the tutorial's own loop.

After each epoch named by ``--epochs`` each generator draws the same noise, judged by the project's
Fashion-MNIST classifier: Fréchet distance to the 10,000 real test images (lower is better) and
class coverage. Every (configuration, seed) trains once up to the last epoch asked for; the table
gives the mean and spread over the seeds, and the training wall-clock.

    python benchmarks/fashion_mnist_quality.py --seeds 0 1 2 --epochs 1 3 10

On a slow machine, run seeds (or configurations) in separate processes with the same ``--results``
file: each run appends its rows, and the table summarises every row in the file.
"""

import argparse
import json
import os
import time
from pathlib import Path

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
CONFIGURATIONS = ("notebook 01", "notebook 01, G without averaging", "DCGAN paper's settings", "TF tutorial")
PAPER_SETTINGS = {"layers_per_resolution": 1, "batch_size": 128, "generator_learning_rate": 2e-4,
                  "discriminator_learning_rate": 2e-4, "ema_decay": 0.0}


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


def train_tutorial(images: np.ndarray, epochs: int, seed: int, after_epoch) -> None:
    """The tutorial's training loop, unchanged apart from the seed; ``after_epoch(epoch, {name: generator})``."""
    keras.utils.set_random_seed(seed)
    generator, discriminator = tutorial_generator(), tutorial_discriminator()
    generator_optimizer = keras.optimizers.Adam(TUTORIAL_LEARNING_RATE)
    discriminator_optimizer = keras.optimizers.Adam(TUTORIAL_LEARNING_RATE)
    train_step = tutorial_train_step(generator, discriminator, generator_optimizer, discriminator_optimizer,
                                     TUTORIAL_BATCH_SIZE, TUTORIAL_NOISE_DIM)
    scaled = (images.astype(np.float32)[..., np.newaxis] - 127.5) / 127.5
    dataset = tf.data.Dataset.from_tensor_slices(scaled).shuffle(len(scaled)).batch(TUTORIAL_BATCH_SIZE)
    for epoch in range(1, epochs + 1):
        for batch in dataset:
            if batch.shape[0] == TUTORIAL_BATCH_SIZE:  # the tutorial's noise has a fixed batch size
                train_step(batch)
        after_epoch(epoch, {"TF tutorial": generator})


def helper_trainer(name: str, changes: dict):
    """The helper's ``fashion_mnist`` preset with ``changes``, trained by ``DCGAN.fit``."""
    def train(images: np.ndarray, epochs: int, seed: int, after_epoch) -> None:
        config = preset("fashion_mnist").replace(seed=seed, **changes)
        gan = build_dcgan(config)
        callback = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: after_epoch(epoch + 1, {
            name: gan.sampling_generator,
            **({"notebook 01, G without averaging": gan.generator} if gan.averaged_generator is not None else {}),
        }))
        gan.fit(training_dataset(images, config), epochs=epochs, steps_per_epoch=batches_per_epoch(len(images), config),
                verbose=0, callbacks=[callback])
    return train


TRAINERS = {"notebook 01": helper_trainer("notebook 01", {}),
            "DCGAN paper's settings": helper_trainer("DCGAN paper's settings", PAPER_SETTINGS),
            "TF tutorial": train_tutorial}


def run(name: str, seed: int, images, epochs: list[int], judge, samples: int, results: Path | None) -> list[dict]:
    """Train one configuration with one seed; a row per generator and epoch asked for, with training seconds.

    Each row is appended to ``results`` (when given) as soon as it is measured.
    """
    rows, clock = [], {"training": 0.0, "since": time.perf_counter()}

    def after_epoch(epoch: int, generators: dict) -> None:
        clock["training"] += time.perf_counter() - clock["since"]
        if epoch in epochs:
            for judged, generator in generators.items():
                report = judge.evaluate(generate(generator, samples, seed=1))
                rows.append({"configuration": judged, "seed": seed, "epoch": epoch, "samples": samples,
                             "frechet_distance": report.frechet_distance, "covered_classes": report.covered_classes,
                             "training_seconds": clock["training"]})
                if results:
                    with open(results, "a") as stream:
                        stream.write(json.dumps(rows[-1]) + "\n")
                print(f"  {judged}, seed {seed}, epoch {epoch}: {report}; trained {clock['training']:.0f} s",
                      flush=True)
        clock["since"] = time.perf_counter()  # judging is not training time

    TRAINERS[name](images, max(epochs), seed, after_epoch)
    return rows


def summary(rows: list[dict]) -> None:
    """Mean, standard deviation and range over seeds of each (configuration, epoch)."""
    print(f"\n{'configuration':34}{'epochs':>7}{'seeds':>6}  {'Fréchet distance: mean ± sd (min–max)':40}"
          f"{'classes':>9}{'seconds':>9}")
    groups = {}
    for row in rows:
        groups.setdefault((row["configuration"], row["epoch"]), []).append(row)
    order = sorted(groups, key=lambda key: (CONFIGURATIONS.index(key[0]), key[1]))
    for name, epoch in order:
        group = groups[name, epoch]
        distances = np.array([row["frechet_distance"] for row in group])
        classes = [row["covered_classes"] for row in group]
        seconds = np.mean([row["training_seconds"] for row in group])
        spread = f"{distances.mean():.2f} ± {distances.std(ddof=1) if len(group) > 1 else 0:.2f} " \
                 f"({distances.min():.2f}–{distances.max():.2f})"
        print(f"{name:34}{epoch:>7}{len(group):>6}  {spread:40}{min(classes):>6}/10{seconds:9.0f}")
    for epoch in sorted({epoch for _, epoch in groups}):
        means = {name: np.mean([row["frechet_distance"] for row in groups[name, epoch]])
                 for name, at in groups if at == epoch}
        if "notebook 01" in means:
            ratios = ", ".join(f"{other} / notebook 01: {value / means['notebook 01']:.2f}"
                               for other, value in means.items() if other != "notebook 01")
            print(f"epoch {epoch}: Fréchet distance ratios of the means: {ratios or 'nothing to compare'}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, nargs="+", default=[1, 3, 10], help="epochs after which to judge")
    parser.add_argument("--configurations", nargs="*", choices=list(TRAINERS), default=list(TRAINERS),
                        help="which to train (notebook 01's run also judges its G without averaging); "
                        "none: only print the table of --results")
    parser.add_argument("--samples", type=int, default=10_000, help="generated images judged per model")
    parser.add_argument("--train-images", type=int, default=None, help="use only this many training images")
    parser.add_argument("--data-dir", default=None, help="folder with the Fashion-MNIST .gz files")
    parser.add_argument("--results", type=Path, default=None,
                        help="a JSON-lines file: rows are appended, and the table covers every row in it")
    args = parser.parse_args()
    if min(args.epochs) < 1:
        parser.error("--epochs are epoch numbers, 1 or more")

    rows = train_and_judge(args) if args.configurations else []
    if args.results:  # every run's rows, this one's included
        rows = [json.loads(line) for line in args.results.read_text().splitlines() if line.strip()]
    summary(rows)


def train_and_judge(args) -> list[dict]:
    """Train and judge each configuration asked for with each seed; rows go to ``args.results`` as measured."""
    images, _ = load_fashion_mnist(args.data_dir)
    images = images[: args.train_images]
    device = "GPU" if tf.config.list_physical_devices("GPU") else f"CPU ({os.cpu_count()} cores)"
    print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, device: {device}; {len(images):,} training "
          f"images; judged after epochs {', '.join(map(str, args.epochs))} on {args.samples:,} samples; "
          f"seeds {', '.join(map(str, args.seeds))}")
    print(f"notebook 01: {describe(preset('fashion_mnist'))}", flush=True)
    judge = FashionMNISTJudge(data_dir=args.data_dir)
    return [row for name in args.configurations for seed in args.seeds
            for row in run(name, seed, images, sorted(set(args.epochs)), judge, args.samples, args.results)]


if __name__ == "__main__":
    main()
