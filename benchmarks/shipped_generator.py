"""The generator shipped with the package: how long ``pretrained.load`` takes, and how good its samples are.

    python benchmarks/shipped_generator.py --loads 5 --seeds 0 1 2

Each load runs in a fresh Python process (TensorFlow already imported, as in a notebook that has imported
it), so the first-call costs a reader pays are in the figure. Quality: the project classifier's Fréchet
distance and class coverage of 10,000 samples per seed (``dcgan evaluate``'s measure; seed 0 is the one
the shipped record reports).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

LOAD_ONCE = """
import time, json
import tensorflow  # noqa: F401 - imported before timing, as a notebook has
from dcgan_helpers import pretrained
started = time.perf_counter()
pretrained.load("fashion_mnist")
print(json.dumps({"seconds": time.perf_counter() - started}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--samples", type=int, default=10_000)
    args = parser.parse_args()

    from dcgan_helpers import pretrained
    from dcgan_helpers.device import hardware_name
    from dcgan_helpers.fashion_classifier import FashionMNISTJudge
    from dcgan_helpers.latent import generate

    held = pretrained.read("fashion_mnist")
    print(f"{held.describe()}; file {pretrained.SHIPPED['fashion_mnist'].stat().st_size / 1e6:.2f} MB; "
          f"on {hardware_name()}")
    loads = []
    for _ in range(args.loads):
        result = subprocess.run([sys.executable, "-c", LOAD_ONCE], capture_output=True, text=True, check=True)
        loads.append(json.loads(result.stdout.strip().splitlines()[-1])["seconds"])
    print(f"pretrained.load: {statistics.mean(loads):.2f} ± {statistics.stdev(loads):.2f} s over {len(loads)} "
          f"fresh processes (min {min(loads):.2f}, max {max(loads):.2f})")
    generator, judge = held.generator(), FashionMNISTJudge()
    reports = [judge.evaluate(generate(generator, args.samples, seed, distribution=held.config.noise_distribution))
               for seed in args.seeds]
    distances = [report.frechet_distance for report in reports]
    for seed, report in zip(args.seeds, reports, strict=True):
        print(f"seed {seed}: {report}")
    spread = statistics.stdev(distances) if len(distances) > 1 else 0.0
    print(f"Fréchet distance {statistics.mean(distances):.3f} ± {spread:.3f} over seeds {args.seeds}; "
          f"classes covered {min(report.covered_classes for report in reports)}-"
          f"{max(report.covered_classes for report in reports)}/10; recorded at seed 0: "
          f"{held.record['frechet_distance']:.3f}")


if __name__ == "__main__":
    main()
