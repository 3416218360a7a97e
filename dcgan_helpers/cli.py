"""The ``dcgan`` command line: ``dcgan train``, ``generate``, ``evaluate``, ``export`` and ``sample``.

Usage errors (unknown dataset or key, bad resume point, wrong noise size, missing data) exit
with status 2 and one sentence on stderr, before anything is written; failures while running (a
diverged loss, a lost worker, a file that cannot be written) exit with status 1 and one sentence.
The modules that import TensorFlow are imported inside the commands, once ``main`` has started
TensorFlow quietly.
"""

import argparse
import os
import sys
from pathlib import Path

from .config import parse_assignments
from .errors import TrainingDiverged, UsageError, WorkerLost, WriteFailed

__all__ = ["build_parser", "main"]


def start_tensorflow_quietly() -> None:
    """Import TensorFlow and probe the devices with file descriptor 2 closed.

    TensorFlow's C++ start-up notices (oneDNN, CUDA probing on machines without a GPU) bypass
    Python and TF_CPP_MIN_LOG_LEVEL; they would bury the one line a command-line user needs.
    Python's own stderr is untouched afterwards, so real errors still show; TensorFlow's later
    C++ notices and warnings stay off unless TF_CPP_MIN_LOG_LEVEL says otherwise.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        import tensorflow as tf

        tf.config.list_physical_devices()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {text}")
    return value


def non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 0, not {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    from .datasets import DATASETS

    parser = argparse.ArgumentParser(prog="dcgan", description="Train DCGANs and generate images with them.")
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser(
        "train", help="train a session for some epochs, or continue one with -r",
        description="Train session TRAINING for EPOCHS epochs. Without -r the session must be new; "
        "with -r OFFSET it continues from where epoch OFFSET ended (epoch OFFSET+1 comes next).",
    )
    add_session_arguments(train, DATASETS)
    train.add_argument("-r", dest="offset", type=non_negative_int, metavar="OFFSET",
                       help="restore the session where epoch OFFSET ended and continue from OFFSET+1")
    train.add_argument("--data-dir", type=Path, metavar="DIR",
                       help="folder holding the dataset (default: the places data/README.md lists)")
    train.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                       help="change a hyperparameter, e.g. --set steps_per_epoch=5 (repeatable)")
    train.add_argument("training", type=positive_int, metavar="TRAINING", help="training session number")
    train.add_argument("epochs", type=positive_int, metavar="EPOCHS", help="how many epochs to run now")
    train.set_defaults(run=run_train)

    generate = commands.add_parser(
        "generate", help="write images from a session's generator",
        description="Write NUM images from the generator of session TRAINING as PNG files.",
    )
    add_session_arguments(generate, DATASETS)
    generate.add_argument("--out", type=Path, metavar="DIR",
                          help="folder for the images (default: the session's generated/)")
    generate.add_argument("--seed", type=int, default=0, metavar="N", help="seed of the noise (default 0)")
    add_label_argument(generate)
    generate.add_argument("training", type=positive_int, metavar="TRAINING", help="training session number")
    generate.add_argument("noise_dim", type=positive_int, metavar="NOISE_DIM",
                          help="noise dimension the generator was built with")
    generate.add_argument("num", type=positive_int, metavar="NUM", help="number of images to write")
    generate.set_defaults(run=run_generate)

    evaluate = commands.add_parser(
        "evaluate", help="score a session's generator (Fréchet distance, FID, KID)",
        description="Score the generator of session TRAINING against real images and write evaluation.json. "
        "Fashion-MNIST is judged by the project's classifier; other datasets (or --inception) by FID and KID "
        "with InceptionV3, whose weights are downloaded once.",
    )
    add_session_arguments(evaluate, DATASETS)
    evaluate.add_argument("--data-dir", type=Path, metavar="DIR", help="folder holding the dataset")
    evaluate.add_argument("--samples", type=positive_int, default=10_000, metavar="N",
                          help="generated images to score (default 10000)")
    evaluate.add_argument("--seed", type=int, default=0, metavar="N", help="seed of the noise (default 0)")
    evaluate.add_argument("--best", action="store_true", help="score the best generator a metric kept")
    evaluate.add_argument("--inception", action="store_true", help="FID and KID with InceptionV3 for Fashion-MNIST")
    evaluate.add_argument("training", type=positive_int, metavar="TRAINING", help="training session number")
    evaluate.set_defaults(run=run_evaluate)

    export = commands.add_parser(
        "export", help="write a session's generator into one file to share",
        description="Write the generator of session TRAINING (weights, config, record, checksum) into FILE, which "
        "dcgan sample and pretrained.load read without the session.",
    )
    add_session_arguments(export, DATASETS)
    export.add_argument("--best", action="store_true", help="export the best generator a metric kept")
    export.add_argument("training", type=positive_int, metavar="TRAINING", help="training session number")
    export.add_argument("file", type=Path, metavar="FILE", help="the file to write, e.g. my_generator.npz")
    export.set_defaults(run=run_export)

    doctor = commands.add_parser(
        "doctor", help="name what looks wrong in a session's training, with the evidence",
        description="Read the history and sample grids of session TRAINING and name each symptom of failure seen "
        "(the discriminator winning or learning nothing, exploding losses, a generator that stopped learning, mode "
        "collapse, checkerboard artefacts, divergence): the epochs, the numbers that crossed a threshold, and the "
        "section of notebook 04 to read. Says so when nothing looks wrong.",
    )
    add_session_arguments(doctor, DATASETS)
    doctor.add_argument("training", type=positive_int, metavar="TRAINING", help="training session number")
    doctor.set_defaults(run=run_doctor)

    sample = commands.add_parser(
        "sample", help="write images from a shipped or exported generator, without a session",
        description="Write NUM images from GENERATOR: the name of a generator shipped with the package "
        "(fashion_mnist) or a file written by dcgan export.",
    )
    sample.add_argument("--out", type=Path, default=Path("samples"), metavar="DIR",
                        help="folder for the images (default: samples/)")
    sample.add_argument("--seed", type=int, default=0, metavar="N", help="seed of the noise (default 0)")
    add_label_argument(sample)
    sample.add_argument("generator", metavar="GENERATOR", help="fashion_mnist, or a file from dcgan export")
    sample.add_argument("num", type=positive_int, metavar="NUM", help="number of images to write")
    sample.set_defaults(run=run_sample)

    return parser


def add_label_argument(command) -> None:
    command.add_argument("--label", dest="labels", action="append", default=[], metavar="CLASS",
                         help="a conditional generator draws NUM images of this class: a name (sneaker) or an index "
                         "(repeatable; default: every class in turn)")


def add_session_arguments(command, datasets) -> None:
    command.add_argument("--dataset", default="fashion_mnist", metavar="NAME",
                         help="; ".join(f"{entry.name}: {entry.description}" for entry in datasets.values()))
    command.add_argument("--runs-dir", type=Path, default=None, metavar="DIR",
                         help="where sessions live (default: $DCGAN_RUNS_DIR, else runs/)")


def run_train(args) -> None:
    import numpy as np
    import tensorflow as tf

    from .cluster import describe_worker, session_for_this_worker, strategy_from_environment, worker_index
    from .device import describe
    from .session import Session

    strategy = strategy_from_environment()  # first: it starts this worker's server before other TensorFlow work
    if strategy is not None:
        print(describe_worker(strategy), flush=True)

    def prepare():
        return Session.prepare(args.dataset, args.training, resume_from=args.offset,
                               overrides=parse_assignments(args.overrides), data_dir=args.data_dir,
                               runs_dir=args.runs_dir)

    with session_for_this_worker(strategy, prepare, args.data_dir) as (session, images, labels):
        config = session.config
        print(describe(config, strategy))
        chosen_by = f", chosen by data_filter {config.data_filter!r}" if config.data_filter else ""
        print(f"{len(images):,} training images{chosen_by}")
        if labels is not None:
            counts = np.bincount(labels, minlength=len(config.classes))
            print("classes: " + ", ".join(f"{name} ({count:,})" for name, count in zip(config.classes, counts,
                                                                                     strict=True)))
        report = getattr(images, "report", None)  # prepared images say what they left out; Fashion-MNIST has none
        if report is not None and report.left_out:
            print(report)
        try:
            session.train(images, args.epochs, resume_from=args.offset, verbose=1, strategy=strategy, labels=labels)
        except tf.errors.UnavailableError as error:
            raise WorkerLost(session.last_epoch, error) from error
        except WriteFailed as error:
            raise error.with_next_step(f"continue with: dcgan train -r {session.last_epoch} --dataset {args.dataset} "
                                       f"{args.training} {args.epochs}") from None
        if strategy is None or worker_index(strategy) == 0:
            print(f"session {session.number} has finished epoch {session.last_epoch}: {session.path}")
        else:
            print(f"worker {worker_index(strategy)} has finished epoch {session.last_epoch}; worker 0 wrote the "
                  "session")


def run_generate(args) -> None:
    from .latent import noise_size
    from .session import Session

    session = Session.open(args.dataset, args.training, args.runs_dir)
    labels = [session.config.class_index(label) for label in args.labels]  # before the generator is read
    generator = session.load_generator()
    built_with = noise_size(generator)
    if args.noise_dim != built_with:
        raise UsageError(
            f"the generator of session {args.training} was built with noise_dim {built_with}, not {args.noise_dim}; "
            f"run: dcgan generate --dataset {args.dataset} {args.training} {built_with} {args.num}"
        )
    write_images(generator, args.num, args.seed, session.config, args.out or session.path / "generated", labels)


def write_images(generator, count: int, seed: int, config, out: Path, labels=()) -> None:
    """``count`` images as PNG files; a conditional generator draws ``count`` of each class in ``labels``
    (default: ``count`` images, the classes in turn), each file named after its class."""
    import re

    import numpy as np

    from .images import to_uint8, without_gray_channel
    from .latent import generate
    from .viz import save_image

    if not config.conditional:
        drawn = [(f"image_{index:04d}", image) for index, image in
                 enumerate(generate(generator, count, seed, distribution=config.noise_distribution))]
    else:
        classes = np.repeat(labels, count) if labels else np.arange(count) % len(config.classes)
        images = generate(generator, len(classes), seed, distribution=config.noise_distribution, labels=classes)
        slugs = [re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "class" for name in config.classes]
        drawn = [(f"{slugs[label]}_{index:04d}", image) for index, (label, image) in enumerate(zip(classes, images,
                                                                                                  strict=True))]
    for name, image in drawn:
        save_image(out / f"{name}.png", without_gray_channel(to_uint8(image)))
    print(f"wrote {len(drawn)} images to {out}")


def run_export(args) -> None:
    from .pretrained import export, read
    from .session import Session

    session = Session.open(args.dataset, args.training, args.runs_dir)
    path = export(session, args.file, best=args.best)
    print(f"wrote {read(path).describe()} to {path}")


def run_sample(args) -> None:
    from .pretrained import read

    held = read(args.generator)
    labels = [held.config.class_index(label) for label in args.labels]
    write_images(held.generator(), args.num, args.seed, held.config, args.out, labels)


def run_evaluate(args) -> None:
    from .evaluation import evaluate_session
    from .session import Session

    session = Session.open(args.dataset, args.training, args.runs_dir)
    result = evaluate_session(session, args.data_dir, samples=args.samples, seed=args.seed, best=args.best,
                              inception=args.inception)
    if "real_images" in result:
        print(f"real images: {result['real_images']}")
    if result["metric"] == "inception":
        summary = f"FID {result['fid']:.2f}, KID {result['kid']:.5f} ± {result['kid_std']:.5f}"
    else:
        summary = (f"Fréchet distance {result['frechet_distance']:.2f} (project classifier), "
                   f"classes covered {result['covered_classes']}/10")
    epochs = f"{result['epochs_done']} epoch{'' if result['epochs_done'] == 1 else 's'}"
    print(f"session {args.training}, {result['generator']} generator after {epochs}: {summary} "
          f"from {result['sample_count']:,} samples; written to "
          f"{session.path / 'evaluation.json'}")
    if "class_fidelity" in result:
        from .fashion_classifier import ClassFidelity

        fidelity = ClassFidelity(**result["class_fidelity"])
        print(f"{fidelity}; per class: " + ", ".join(f"{name} {share:.1%}" for name, share in
                                                     fidelity.per_class.items()))


def run_doctor(args) -> None:
    from .diagnosis import CHECKS
    from .session import Session

    session = Session.open(args.dataset, args.training, args.runs_dir)
    findings = session.diagnose()
    history = session.history()
    print(f"session {args.training} ({args.dataset}), {len(history)} epoch{'s' * (len(history) != 1)} in history.csv: "
          + (f"{len(findings)} symptom{'s' * (len(findings) > 1)}" if findings else "nothing looks wrong"))
    for finding in findings:
        print(f"- {finding}")
    if not any(row.get("fake_spread") is not None for row in history):
        print("history.csv has no gradient norms or batch spreads (the session was trained before they were "
              "recorded), so mode collapse was not checked")
    if not findings:
        print("checked: " + ", ".join(check.__name__.replace("_", " ") for check in CHECKS) + ", divergence")


def main(argv=None) -> int:
    start_tensorflow_quietly()
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except UsageError as error:
        print(f"dcgan: error: {error}", file=sys.stderr)
        return 2
    except (TrainingDiverged, WorkerLost, WriteFailed) as error:
        print(f"dcgan: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
