"""A session folder's files, and the one order in which the end of an epoch writes them.

``session_<N>/`` holds ``config.json``, ``checkpoints/epoch_XXXX.npz``, ``history.csv``,
``samples/epoch_XXXX.png``, ``progress.gif`` and ``generator.keras`` (with a metric also
``best_generator.keras`` and ``best.json``). The newest checkpoint is the session's state; its
rename commits an epoch. ``EpochEnd`` is the only code that writes an epoch, in this order:

1. **room**: before the epoch starts, the runs folder must have room for what its end writes;
2. **score**: a ``Metric`` judges samples; a new best score makes this epoch's generator the best;
3. **commit**: the checkpoint, carrying the best generator and the epoch's history row (its rename commits);
4. **records of the commit**: the history row, the sample grid of the fixed preview noise, the GIF of every
   grid so far, the exports for other programs, then checkpoints older than ``keep_checkpoints`` are deleted.

Nothing of an epoch is written before its commit, so at every moment no file claims an epoch the
checkpoints do not have. A process killed (or a disk that fills up) after the commit leaves some of
step 4 undone; ``SessionFiles.bring_in_line`` writes it again from the checkpoint before training resumes.
"""

import csv
import io
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from .checkpoint import BestGenerator, checkpoint_epochs, checkpoint_name, save_checkpoint
from .config import GANConfig
from .errors import SessionError
from .files import atomic_path, epoch_file_name, epoch_files, require_room, write_text_atomically
from .gan import DCGAN, DIAGNOSTIC_NAMES, METRIC_NAMES
from .images import image_grid
from .latent import generator_inputs
from .models import build_generator
from .viz import gif_from_files, save_image

__all__ = ["EpochEnd", "HISTORY_COLUMNS", "Metric", "ResumePoint", "SessionFiles", "generator_with"]

HISTORY_COLUMNS = ("epoch", "step", *METRIC_NAMES, "seconds", *DIAGNOSTIC_NAMES)


@dataclass(frozen=True)
class Metric:
    """A score of samples recorded during training, which keeps the best generator (DCGAN samples often
    get worse late in training).

    Every ``every`` epochs ``score(images) -> float`` judges ``samples`` images in [-1, 1] drawn with
    ``seed`` (lower is better: a Fréchet distance, KID). The value goes into ``history.csv`` under ``name``.
    """

    score: Callable[[np.ndarray], float]
    name: str = "fid"
    every: int = 1
    samples: int = 10_000
    seed: int = 0

    def __post_init__(self):
        if self.every < 1 or self.samples < 1:
            raise ValueError(f"every and samples must be at least 1, not {self.every} and {self.samples}")


@dataclass(frozen=True)
class ResumePoint:
    """Where training continues: a compiled DCGAN holding the checkpoint of ``epoch``, the number of
    batches consumed so far, the fixed noise of the sample grids, the best generator a metric kept and
    the epoch's history row, as the checkpoint carries them."""

    gan: DCGAN
    epoch: int
    step: int
    preview_noise: np.ndarray
    best: BestGenerator | None = None
    history_row: dict | None = None


class SessionFiles:
    """The files of one session folder: where each lives, and writing them in the crash-safe order."""

    def __init__(self, path):
        self.path = Path(path)

    config_path = property(lambda self: self.path / "config.json")
    checkpoints_dir = property(lambda self: self.path / "checkpoints")
    samples_dir = property(lambda self: self.path / "samples")
    history_path = property(lambda self: self.path / "history.csv")
    gif_path = property(lambda self: self.path / "progress.gif")
    generator_path = property(lambda self: self.path / "generator.keras")
    best_generator_path = property(lambda self: self.path / "best_generator.keras")
    best_record_path = property(lambda self: self.path / "best.json")
    divergence_path = property(lambda self: self.path / "diverged.json")  # the epoch a loss turned NaN, if one did

    def checkpoint(self, epoch: int) -> Path:
        return self.checkpoints_dir / checkpoint_name(epoch)

    @property
    def last_epoch(self) -> int:
        """The newest epoch with a complete checkpoint (0 before the first epoch ends)."""
        return max(checkpoint_epochs(self.checkpoints_dir), default=0)

    def commit_epoch(self, gan: DCGAN, row: dict, preview_noise, best: BestGenerator | None,
                     keep_checkpoints: int) -> None:
        """Steps 3 and 4 of an epoch's end: the checkpoint (the commit), then the files that record it."""
        epoch = row["epoch"]
        save_checkpoint(self.checkpoint(epoch), gan, epoch, row["step"], preview_noise, best, row)
        self.write_history([*self.history_rows(through=epoch - 1), row])
        self.draw_samples(gan.sampling_generator, preview_noise, epoch)
        self.export(gan, best if best and best.record["epoch"] == epoch else None)
        self.delete_old_checkpoints(keep_checkpoints)

    def draw_samples(self, generator: keras.Model, preview_noise, epoch: int) -> None:
        """The grid of the fixed noise after ``epoch``, and the GIF of every grid so far."""
        save_image(self.samples_dir / epoch_file_name(epoch, ".png"),
                   image_grid(generator(generator_inputs(generator, preview_noise), training=False)))
        gif_from_files(epoch_files(self.samples_dir, ".png").values(), self.gif_path)

    def check_room(self, gan: DCGAN) -> None:
        """Refuse to start an epoch when the folder clearly lacks room for what its end writes (``NoRoom``)."""
        newest = self.checkpoint(self.last_epoch)
        checkpoint_bytes = newest.stat().st_size if newest.is_file() else 4 * sum(
            int(np.prod(variable.shape)) for variable in [*gan.variables, *gan.generator_optimizer.variables,
                                                         *gan.discriminator_optimizer.variables])
        generator_bytes = 4 * sum(int(np.prod(variable.shape)) for variable in gan.sampling_generator.weights)
        gif_bytes = self.gif_path.stat().st_size if self.gif_path.is_file() else 0
        needed = checkpoint_bytes + 2 * generator_bytes + 2 * gif_bytes + 1_000_000  # grids, history, config
        require_room(self.path, needed, "the files of an epoch")

    def bring_in_line(self, resume: ResumePoint, keep_checkpoints: int) -> None:
        """Make every file agree with the checkpoint training resumes from.

        A process killed during an epoch's end may have left a half-written temporary file, or, after the
        commit, left the epoch's history row, sample grid, GIF frame or exports unwritten; files of epochs
        after the checkpoint (left by a session before this order) are removed.
        """
        for leftover in self.path.rglob(".tmp-*"):
            leftover.unlink()
        rows = self.history_rows(through=resume.epoch)
        if resume.history_row is not None and not any(
                cell_number(row.get("epoch"), int) == resume.epoch for row in rows):
            rows.append(resume.history_row)
        if rows != self.history_rows():
            self.write_history(rows)
        frames = epoch_files(self.samples_dir, ".png")
        stale = [frame for number, frame in frames.items() if number > resume.epoch]
        for frame in stale:
            frame.unlink()
        if resume.epoch and resume.epoch not in frames:
            self.draw_samples(resume.gan.sampling_generator, resume.preview_noise, resume.epoch)
        elif stale and any(number <= resume.epoch for number in frames):
            gif_from_files(epoch_files(self.samples_dir, ".png").values(), self.gif_path)
        elif stale:
            self.gif_path.unlink(missing_ok=True)
        if resume.epoch:
            self.export(resume.gan, resume.best)
            self.delete_old_checkpoints(keep_checkpoints)

    def export(self, gan: DCGAN, best: BestGenerator | None) -> None:
        """Write ``generator.keras`` and, given a best generator, ``best_generator.keras`` and ``best.json``."""
        with atomic_path(self.generator_path) as temporary:
            gan.sampling_generator.save(temporary)
        if best is not None:
            best_generator = generator_with(gan.config, best.weights, self.path)
            with atomic_path(self.best_generator_path) as temporary:
                best_generator.save(temporary)
            write_text_atomically(self.best_record_path, json.dumps(best.record, indent=2) + "\n")

    def record_divergence(self, epoch: int, figure: str, value: float) -> None:
        """Note the epoch whose ``figure`` turned ``value`` (NaN or infinite): that epoch was never committed, so
        only this note tells ``Session.diagnose`` about it; an epoch committed later makes the note stale."""
        note = {"epoch": epoch, "figure": figure, "value": str(value)}
        write_text_atomically(self.divergence_path, json.dumps(note) + "\n")

    def divergence(self) -> dict | None:
        """The note ``record_divergence`` left, unless a later run has committed that epoch since."""
        try:
            note = json.loads(self.divergence_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return note if isinstance(note, dict) and isinstance(note.get("epoch"), int) and \
            note["epoch"] > self.last_epoch else None

    def delete_old_checkpoints(self, keep: int) -> None:
        for old in checkpoint_epochs(self.checkpoints_dir)[:-keep]:
            self.checkpoint(old).unlink(missing_ok=True)

    def history_rows(self, through: int | None = None) -> list[dict]:
        """The rows of ``history.csv`` as text, without those of epochs after ``through`` when given."""
        if not self.history_path.is_file():
            return []
        try:
            with open(self.history_path, newline="", encoding="utf-8") as stream:
                rows = [{key: value for key, value in row.items() if key is not None} for row in csv.DictReader(stream)]
        except (UnicodeDecodeError, csv.Error) as error:
            raise SessionError(
                f"{self.history_path} is not a CSV file ({error}); move it aside and run again (the session's "
                "state is in its checkpoints, so training resumes with a new history)"
            ) from None
        if through is None:
            return rows
        return [row for row in rows if (cell_number(row.get("epoch"), int) or 0) <= through]

    def write_history(self, rows: list[dict]) -> None:
        buffer = io.StringIO()
        extra = sorted({key for row in rows for key in row} - set(HISTORY_COLUMNS))
        writer = csv.DictWriter(buffer, fieldnames=[*HISTORY_COLUMNS, *extra], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        write_text_atomically(self.history_path, buffer.getvalue())


def generator_with(config: GANConfig, weights: list[np.ndarray], session_path) -> keras.Model:
    """A generator built from a session's config holding stored ``weights`` (no code from files is run)."""
    generator = build_generator(config)
    try:
        generator.set_weights(weights)
    except ValueError as error:
        raise SessionError(
            f"the newest checkpoint of {session_path} holds a generator that does not fit its config.json ({error}); "
            "restore the config.json it was trained with"
        ) from None
    return generator


def cell_number(text, kind):
    """``kind(text)``, or None for an empty or unreadable cell of ``history.csv``."""
    try:
        return kind(text)
    except (TypeError, ValueError):
        return None


class EpochEnd(keras.callbacks.Callback):
    """The end of every epoch, in one place: room, score, commit, records of the commit (see the module's docstring).

    It owns the best generator: the one ``resume`` carried, replaced whenever ``metric`` finds a better
    score. Keras runs callbacks in the order given, so the other callbacks of ``fit`` never see a
    half-ended epoch's files and cannot change what is saved, whatever their order.
    """

    def __init__(self, files: SessionFiles, resume: ResumePoint, steps_per_epoch: int, keep_checkpoints: int,
                 metric: Metric | None = None):
        super().__init__()
        self.files, self.resume, self.metric = files, resume, metric
        self.steps_per_epoch, self.keep_checkpoints = steps_per_epoch, keep_checkpoints
        self.best = resume.best
        previous = self.best.record if self.best else None
        same_metric = metric is not None and previous is not None and previous["metric"] == metric.name
        self.best_value = previous["value"] if same_metric else float("inf")

    def on_epoch_begin(self, epoch, logs=None):
        self.files.check_room(self.model)
        self.epoch_started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        seconds = time.perf_counter() - self.epoch_started
        epoch_number = epoch + 1
        row = {"epoch": epoch_number,
               "step": self.resume.step + (epoch_number - self.resume.epoch) * self.steps_per_epoch,
               **{name: float(logs[name]) for name in METRIC_NAMES}, "seconds": round(seconds, 3),
               **{name: float(logs[name]) for name in DIAGNOSTIC_NAMES}}
        if self.metric and epoch_number % self.metric.every == 0:
            row[self.metric.name] = self.score(epoch_number)
            logs[self.metric.name] = row[self.metric.name]  # for the callbacks after this one (a dashboard)
        self.files.commit_epoch(self.model, row, self.resume.preview_noise, self.best, self.keep_checkpoints)

    def score(self, epoch_number: int) -> float:
        """Step 1: judge samples; a new best keeps the weights they come from (G's moving average when kept)."""
        metric = self.metric
        value = float(metric.score(np.asarray(self.model.sample(metric.samples, metric.seed), np.float32)))
        if value < self.best_value:
            self.best_value = value
            record = {"epoch": epoch_number, "metric": metric.name, "value": value, "samples": metric.samples}
            self.best = BestGenerator(record, [variable.numpy() for variable in self.model.sampling_generator.weights])
        return value
