"""Train a Fashion-MNIST generator the package ships, with the package's own command line, and score every epoch.

Each epoch is one ``dcgan train`` (the first starts session 1, the others continue it with ``-r``,
which resumes exactly) followed by ``dcgan evaluate --samples 10000``: the project classifier's
Fréchet distance and class coverage of that epoch's generator. Every checkpoint is kept
(``keep_checkpoints``), so the best epoch can be packed afterwards. Training stops after
``--max-epochs``, or once at least ``--min-epochs`` are done and the last ``--patience`` epochs
have not beaten the best.

    python benchmarks/train_shipped_generator.py train --runs-dir runs/shipped
    python benchmarks/train_shipped_generator.py pack --runs-dir runs/shipped

With ``--conditional`` the session is a class-conditional one (``--set conditional=true``), each epoch's
record adds how often the classifier names the class asked for, and ``pack`` writes the package's
``fashion_mnist_conditional`` generator.

``train`` appends one JSON line per epoch to ``RUNS_DIR/scores.jsonl`` (the command, its
wall-clock, the scores) and can be run again to continue; ``pack`` writes the best epoch's
generator into ``dcgan_helpers/assets/`` with its record (``pretrained.write``).
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

DATASET = "fashion_mnist"
SESSION = 1
PER_EPOCH = ("epoch", "frechet_distance", "covered_classes", "train_seconds")  # kept in the shipped record


def run(command: list[str]) -> float:
    """Run one ``dcgan`` command; its wall-clock in seconds."""
    print("$", " ".join(command), flush=True)
    started = time.perf_counter()
    subprocess.run(command, check=True)
    return time.perf_counter() - started


def scores(runs_dir: Path) -> list[dict]:
    path = runs_dir / "scores.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.is_file() else []


def train(args) -> None:
    dcgan = [sys.executable, "-m", "dcgan_helpers.cli"]
    where = ["--dataset", DATASET, "--runs-dir", str(args.runs_dir)]
    done = scores(args.runs_dir)
    while len(done) < args.max_epochs:
        epoch = len(done) + 1
        resume = ["-r", str(epoch - 1)] if epoch > 1 else ["--set", f"keep_checkpoints={args.max_epochs}",
                                                           *(["--set", "conditional=true"] if args.conditional else [])]
        train_command = [*dcgan, "train", *resume, *where, str(SESSION), "1"]
        train_seconds = run(train_command)
        evaluate_seconds = run([*dcgan, "evaluate", *where, "--samples", "10000", str(SESSION)])
        result = json.loads((args.runs_dir / DATASET / f"session_{SESSION}" / "evaluation.json").read_text())
        row = {"epoch": epoch, "command": " ".join(["dcgan", *train_command[3:]]),
               "train_seconds": round(train_seconds, 1), "evaluate_seconds": round(evaluate_seconds, 1),
               "frechet_distance": result["frechet_distance"], "covered_classes": result["covered_classes"],
               "sample_count": result["sample_count"],
               **({"class_fidelity": result["class_fidelity"]} if "class_fidelity" in result else {})}
        with open(args.runs_dir / "scores.jsonl", "a") as stream:
            stream.write(json.dumps(row) + "\n")
        done.append(row)
        print(f"epoch {epoch}: Fréchet distance {row['frechet_distance']:.3f}", flush=True)
        best = min(done, key=lambda row: row["frechet_distance"])
        if epoch >= args.min_epochs and epoch - best["epoch"] >= args.patience:
            print(f"no better epoch than {best['epoch']} in the last {args.patience}: stopping", flush=True)
            break


def shipped_name(args) -> str:
    return f"{DATASET}_conditional" if args.conditional else DATASET


def pack(args) -> None:
    """Write the best epoch's generator (by Fréchet distance) into the package, with its record."""
    from dcgan_helpers.checkpoint import restore_generator
    from dcgan_helpers.device import hardware_name
    from dcgan_helpers.models import build_generator
    from dcgan_helpers.pretrained import SHIPPED, GeneratorFile, write, write_record_copy
    from dcgan_helpers.session import Session

    done = scores(args.runs_dir)
    best = min(done, key=lambda row: row["frechet_distance"])
    conditional = " --conditional" if args.conditional else ""
    session = Session.open(DATASET, SESSION, args.runs_dir)
    generator = build_generator(session.config)
    restore_generator(session.files.checkpoint(best["epoch"]), generator, session.config)
    record = {
        "dataset": DATASET, "epochs": best["epoch"], "epochs_trained": len(done),
        "chosen_by": "lowest Fréchet distance on the project classifier (dcgan evaluate --samples 10000, seed 0)",
        "frechet_distance": best["frechet_distance"], "covered_classes": best["covered_classes"],
        "commands": [row["command"] for row in done[: best["epoch"]]],
        "hardware": args.hardware or hardware_name(),
        "training_seconds": round(sum(row["train_seconds"] for row in done[: best["epoch"]]), 1),
        "scores_per_epoch": [{key: row[key] for key in PER_EPOCH} for row in done],
        **({"class_fidelity": best["class_fidelity"]} if "class_fidelity" in best else {}),
        "made_by": f"python benchmarks/train_shipped_generator.py train{conditional}, then pack{conditional}",
        **({"note": args.note} if args.note else {}),
    }
    held = GeneratorFile(session.config, record, [np.asarray(weight) for weight in generator.get_weights()])
    path = write(args.out or SHIPPED[shipped_name(args)], held)
    write_record_copy(path, held)
    print(f"packed epoch {best['epoch']} (Fréchet distance {best['frechet_distance']:.3f}) into {path}, "
          f"{path.stat().st_size / 1e6:.2f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=("train", "pack"))
    parser.add_argument("--runs-dir", type=Path, default=Path("runs/shipped"))
    parser.add_argument("--min-epochs", type=int, default=20)
    parser.add_argument("--max-epochs", type=int, default=30)
    parser.add_argument("--patience", type=int, default=5)
    parser.add_argument("--out", type=Path, default=None, help="the packed file (default: the package's asset)")
    parser.add_argument("--hardware", default=None, help="the machine that trained, if not this one")
    parser.add_argument("--conditional", action="store_true", help="a class-conditional generator")
    parser.add_argument("--note", default=None, help="anything else the record should say (e.g. a shared machine)")
    args = parser.parse_args()
    args.runs_dir.mkdir(parents=True, exist_ok=True)
    train(args) if args.step == "train" else pack(args)


if __name__ == "__main__":
    main()
