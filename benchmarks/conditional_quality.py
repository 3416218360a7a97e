"""Does a conditional DCGAN draw the class it is asked for, and at what cost in sample quality and time?

Trains the ``fashion_mnist`` preset with ``conditional=True`` (and, with ``--configurations``, the
unconditional preset beside it) on the 60,000 Fashion-MNIST training images. After each epoch named
by ``--epochs`` each generator draws 10,000 samples (noise seed 1; the conditional one the ten classes
in turn), judged by the project's classifier: Fréchet distance to the real test images, class
coverage, and, for the conditional generator, how often the classifier names the class asked for,
overall and per class, beside its own accuracy on the real test images of each class.

    python benchmarks/conditional_quality.py --seeds 0 1 2 --epochs 3 10 --results runs/conditional.jsonl

Rows are appended to ``--results`` as measured; the table summarises every row in the file, so
seeds may run in separate processes.
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

from dcgan_helpers.datasets import preset  # noqa: E402
from dcgan_helpers.device import describe, hardware_name  # noqa: E402
from dcgan_helpers.fashion_classifier import FashionMNISTJudge  # noqa: E402
from dcgan_helpers.fashion_mnist import FASHION_MNIST_CLASSES, load_fashion_mnist  # noqa: E402
from dcgan_helpers.gan import build_dcgan  # noqa: E402
from dcgan_helpers.latent import generate  # noqa: E402
from dcgan_helpers.pipeline import batches_per_epoch, training_dataset  # noqa: E402

CONFIGURATIONS = {  # name: changes to the fashion_mnist preset
    "conditional": {"conditional": True, "classes": FASHION_MNIST_CLASSES},
    "conditional_projection": {"conditional": True, "classes": FASHION_MNIST_CLASSES,
                               "class_conditioning": "projection"},
    "unconditional": {},
}
NOISE_SEED = 1


def run(name: str, seed: int, images, labels, epochs: list[int], judge, samples: int, results: Path | None) -> None:
    """Train one configuration with one seed up to the last epoch asked for; judge after each one asked for."""
    config = preset("fashion_mnist").replace(seed=seed, **CONFIGURATIONS[name])
    conditional = config.conditional
    gan = build_dcgan(config)
    clock = {"training": 0.0, "since": time.perf_counter()}

    def after_epoch(epoch: int, logs) -> None:
        clock["training"] += time.perf_counter() - clock["since"]
        if epoch + 1 in epochs:
            asked = np.arange(samples) % len(FASHION_MNIST_CLASSES) if conditional else None
            drawn = generate(gan.sampling_generator, samples, NOISE_SEED, labels=asked)
            report = judge.evaluate(drawn)
            row = {"configuration": name, "seed": seed, "epoch": epoch + 1, "frechet_distance": report.frechet_distance,
                   "covered_classes": report.covered_classes, "training_seconds": clock["training"]}
            if conditional:
                fidelity = judge.class_fidelity(drawn, asked)
                row.update(asked_class_named=fidelity.overall, per_class=fidelity.per_class,
                           real_per_class=fidelity.real_per_class, real_overall=fidelity.real_overall)
            if results:
                with open(results, "a") as stream:
                    stream.write(json.dumps(row) + "\n")
            print(f"  {name}, seed {seed}, epoch {epoch + 1}: {report}"
                  + (f"; {fidelity}" if conditional else "") + f"; trained {clock['training']:.0f} s", flush=True)
        clock["since"] = time.perf_counter()  # judging is not training time

    gan.fit(training_dataset(images, config, labels=labels if conditional else None), epochs=max(epochs),
            steps_per_epoch=batches_per_epoch(len(images), config), verbose=0,
            callbacks=[keras.callbacks.LambdaCallback(on_epoch_end=after_epoch)])


def mean_and_spread(values) -> str:
    values = np.asarray(values, np.float64)
    spread = values.std(ddof=1) if len(values) > 1 else 0.0
    return f"{values.mean():.3f} ± {spread:.3f} ({values.min():.3f}–{values.max():.3f})"


def summary(rows: list[dict]) -> None:
    """Per (configuration, epoch): Fréchet distance, coverage, asked-for class named, the weakest class, seconds."""
    groups = {}
    for row in rows:
        groups.setdefault((row["configuration"], row["epoch"]), []).append(row)
    print("\n| configuration | epochs | seeds | Fréchet distance | classes | asked-for class named | weakest class "
          "(real test images) | s/epoch |")
    print("|---|---|---|---|---|---|---|---|")
    for name, epoch in sorted(groups, key=lambda key: (list(CONFIGURATIONS).index(key[0]), key[1])):
        group = groups[name, epoch]
        seconds = np.mean([row["training_seconds"] / epoch for row in group])
        named, weakest = "—", "—"
        if "asked_class_named" in group[0]:
            named = mean_and_spread([row["asked_class_named"] for row in group])
            per_class = {label: np.mean([row["per_class"][label] for row in group]) for label in group[0]["per_class"]}
            worst = min(per_class, key=per_class.get)
            weakest = f"{worst} {per_class[worst]:.3f} ({group[0]['real_per_class'][worst]:.3f})"
        print(f"| {name} | {epoch} | {len(group)} | {mean_and_spread([row['frechet_distance'] for row in group])} | "
              f"{min(row['covered_classes'] for row in group)}/10 | {named} | {weakest} | {seconds:.0f} |")
    for (name, epoch), group in sorted(groups.items(), key=lambda item: (list(CONFIGURATIONS).index(item[0][0]),
                                                                          item[0][1])):
        if name != "unconditional":
            per_class = ", ".join(f"{label} {np.mean([row['per_class'][label] for row in group]):.3f}"
                                  for label in group[0]["per_class"])
            print(f"{name}, epoch {epoch}, asked-for class named per class (mean over {len(group)} seeds): "
                  f"{per_class}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, nargs="+", default=[3, 10], help="epochs after which to judge")
    parser.add_argument("--configurations", nargs="*", choices=list(CONFIGURATIONS), default=["conditional"],
                        help="which to train; none: only print the table of --results")
    parser.add_argument("--samples", type=int, default=10_000, help="generated images judged per model")
    parser.add_argument("--train-images", type=int, default=None, help="use only this many training images")
    parser.add_argument("--data-dir", default=None, help="folder with the Fashion-MNIST .gz files")
    parser.add_argument("--results", type=Path, default=None,
                        help="a JSON-lines file: rows are appended, and the table covers every row in it")
    args = parser.parse_args()
    if min(args.epochs) < 1:
        parser.error("--epochs are epoch numbers, 1 or more")
    rows = []
    if args.configurations:
        images, labels = (part[: args.train_images] for part in load_fashion_mnist(args.data_dir))
        print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, {hardware_name()}; {len(images):,} training "
              f"images; judged after epochs {', '.join(map(str, args.epochs))}; seeds {args.seeds}")
        print(f"conditional preset: {describe(preset('fashion_mnist'))}", flush=True)
        judge = FashionMNISTJudge(data_dir=args.data_dir)
        for name in args.configurations:
            for seed in args.seeds:
                run(name, seed, images, labels, sorted(set(args.epochs)), judge, args.samples, args.results)
    if args.results and args.results.is_file():
        rows = [json.loads(line) for line in args.results.read_text().splitlines() if line.strip()]
    summary(rows)


if __name__ == "__main__":
    main()
