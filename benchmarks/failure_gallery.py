"""Which settings make the fashion_mnist preset fail, and how each failure shows in what training records.

Every configuration is the preset with a few settings changed, trained on the first ``--images``
Fashion-MNIST training images for ``--epochs`` epochs per seed. After each epoch it records the
history's figures (the four metrics and ``gan.DIAGNOSTIC_NAMES``: gradient norms and batch spreads),
and judges 2,000 samples of the averaged G: the project classifier's Fréchet distance and class
coverage, the samples' spread, and their share of spectral power at the Nyquist frequencies (the
period-2 pattern of checkerboard artefacts). Each run is a session, so the last row holds what its
diagnosis (``dcgan doctor``) names. Rows are appended to ``--results`` (JSON lines), so
seeds or configurations can run in separate processes; the table summarises every row in the file.

    python benchmarks/failure_gallery.py --seeds 0 1 2
    python benchmarks/failure_gallery.py --only healthy "D four filters wide" --seeds 0
"""

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from dcgan_helpers.datasets import preset  # noqa: E402
from dcgan_helpers.device import hardware_name  # noqa: E402
from dcgan_helpers.diagnosis import nyquist_share  # noqa: E402
from dcgan_helpers.errors import TrainingDiverged  # noqa: E402
from dcgan_helpers.fashion_classifier import FashionMNISTJudge  # noqa: E402
from dcgan_helpers.fashion_mnist import load_fashion_mnist  # noqa: E402
from dcgan_helpers.latent import generate  # noqa: E402
from dcgan_helpers.session import Session  # noqa: E402

CONFIGURATIONS = {  # name: the settings changed from the preset
    "healthy": {},
    "G ten times faster": {"generator_learning_rate": 8e-3},
    "D too fast, G too slow": {"discriminator_learning_rate": 8e-3, "generator_learning_rate": 8e-5},
    "D four filters wide": {"discriminator_filters": 4},
    "beta_1 0.9, learning rates 4e-3": {"beta_1": 0.9, "generator_learning_rate": 4e-3,
                                        "discriminator_learning_rate": 4e-3},
    "3x3 transposed kernels, stride 2": {"kernel_size": 3},
    "3x3 kernels, one layer per resolution, G itself": {"kernel_size": 3, "layers_per_resolution": 1,
                                                         "ema_decay": 0.0},
    "learning rates 0.5": {"generator_learning_rate": 0.5, "discriminator_learning_rate": 0.5},
    "learning rates 1e30": {"generator_learning_rate": 1e30, "discriminator_learning_rate": 1e30},
    "real images in [0, 1]": {},
}
# Mistakes in the data rather than the settings: uint8 pixels p become p / 127.5 - 1 in the pipeline, so
# p // 2 + 128 reaches G's opponent as roughly p / 255, the range of images scaled for a sigmoid, not a tanh.
DATA_MISTAKES = {"real images in [0, 1]": lambda images: images // 2 + 128}
# What notebook 04 shows each failing configuration for: the symptoms its diagnosis must name.
MEANT = {
    "D too fast, G too slow": {"the discriminator wins"},
    "D four filters wide": {"the discriminator learns nothing"},
    "learning rates 0.5": {"mode collapse", "the losses explode", "the discriminator wins"},
    "learning rates 1e30": {"training diverged"},
}
# Configurations whose samples stayed garments (notebook 04): any symptom named for them is a false alarm.
HEALTHY = ("healthy", "G ten times faster", "3x3 transposed kernels, stride 2",
           "3x3 kernels, one layer per resolution, G itself")


def run(name: str, seed: int, images, judge, epochs: int, runs_dir: Path) -> list[dict]:
    """Train one configuration as a session, judging the averaged G after every epoch; the last row also
    holds what the session's diagnosis (``dcgan doctor``) names."""
    config = preset("fashion_mnist").replace(seed=seed, **CONFIGURATIONS[name])
    images = DATA_MISTAKES.get(name, lambda unchanged: unchanged)(images)
    session = Session.create(config, runs_dir=runs_dir)
    rows, started = [], time.perf_counter()

    class Judge(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            samples = generate(self.model.sampling_generator, 2000, seed=10_000 + seed)
            report = judge.evaluate(samples)
            rows.append({"configuration": name, "seed": seed, "epoch": epoch + 1, "machine": hardware_name(),
                         **{key: float(value) for key, value in logs.items()},
                         "frechet_distance": report.frechet_distance, "classes": report.covered_classes,
                         "sample_spread": float(np.std(samples, axis=0).mean()),
                         "nyquist_share": nyquist_share(samples),
                         "seconds": round(time.perf_counter() - started, 1)})
            print(json.dumps(rows[-1]), flush=True)

    try:
        session.train(images, epochs, verbose=0, callbacks=[Judge()])
    except TrainingDiverged as error:
        rows.append({"configuration": name, "seed": seed, "epoch": len(rows) + 1, "stopped": str(error)})
    findings = session.diagnose()
    summary = {"configuration": name, "seed": seed, "findings": sorted({finding.symptom for finding in findings})}
    print(json.dumps(summary), "\n" + "\n".join(f"  {finding}" for finding in findings), flush=True)
    return [*rows, summary]


def cell(rows: list[dict], key: str, digits: int = 2) -> str:
    """Mean ± standard deviation of ``key`` over the rows (seeds), or the one value."""
    values = np.array([row[key] for row in rows], float)
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{values.mean():.{digits}f} ± {values.std():.{digits}f}"


def table(rows: list[dict]) -> str:
    lines = ["| configuration | epoch | Fréchet distance | classes | D(x) | D(G(z)) | D grad norm | G grad norm "
             "| fake / real spread | Nyquist share | seeds |", "|---" * 11 + "|"]
    for name in CONFIGURATIONS:
        for epoch in sorted({row["epoch"] for row in rows if row["configuration"] == name and "epoch" in row}):
            chosen = [row for row in rows if row["configuration"] == name and row.get("epoch") == epoch
                      and "stopped" not in row]
            if not chosen:
                continue
            for row in chosen:
                row["spread_ratio"] = row["fake_spread"] / row["real_spread"]
            lines.append(f"| {name} | {epoch} | {cell(chosen, 'frechet_distance')} | {cell(chosen, 'classes', 1)} "
                         f"| {cell(chosen, 'd_real')} | {cell(chosen, 'd_fake')} | {cell(chosen, 'd_grad_norm')} "
                         f"| {cell(chosen, 'g_grad_norm')} | {cell(chosen, 'spread_ratio')} "
                         f"| {cell(chosen, 'nyquist_share', 4)} | {len(chosen)} |")
    return "\n".join(lines)


def detection(rows: list[dict]) -> str:
    """Per symptom: the runs meant to show it, how many the diagnosis named it in, and its false alarms (named
    for a run that stayed healthy); then what it named for every configuration."""
    diagnosed = [row for row in rows if "findings" in row]
    symptoms = sorted({symptom for meant in MEANT.values() for symptom in meant} |
                      {symptom for row in diagnosed for symptom in row["findings"]})
    healthy = [row for row in diagnosed if row["configuration"] in HEALTHY]
    lines = ["| symptom | runs meant to show it | detected | healthy runs | false alarms |", "|---" * 5 + "|"]
    for symptom in symptoms:
        meant = [row for row in diagnosed if symptom in MEANT.get(row["configuration"], ())]
        lines.append(f"| {symptom} | {len(meant)} | {sum(symptom in row['findings'] for row in meant)} "
                     f"| {len(healthy)} | {sum(symptom in row['findings'] for row in healthy)} |")
    lines += ["", "| configuration | seed | named by the diagnosis |", "|---|---|---|"]
    for name in CONFIGURATIONS:
        for row in (row for row in diagnosed if row["configuration"] == name):
            lines.append(f"| {name} | {row['seed']} | {', '.join(row['findings']) or 'nothing'} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--images", type=int, default=12_000)
    parser.add_argument("--only", nargs="+", choices=list(CONFIGURATIONS), default=list(CONFIGURATIONS))
    parser.add_argument("--results", type=Path, default=Path("failure_gallery.jsonl"))
    arguments = parser.parse_args()
    images, _ = load_fashion_mnist()
    images = images[: arguments.images]
    judge = FashionMNISTJudge()
    with tempfile.TemporaryDirectory() as runs_dir:
        for seed in arguments.seeds:
            for name in arguments.only:
                with open(arguments.results, "a", encoding="utf-8") as results:
                    for row in run(name, seed, images, judge, arguments.epochs, Path(runs_dir)):
                        results.write(json.dumps(row) + "\n")
    rows = [json.loads(line) for line in arguments.results.read_text().splitlines() if line.strip()]
    print(f"\n{len(images):,} training images, {arguments.epochs} epochs; machine: {hardware_name()}\n")
    print(table(rows))
    print()
    print(detection(rows))


if __name__ == "__main__":
    main()
