"""A training session: one folder holding a run's config, checkpoints, history, samples and generator.

``runs/<dataset>/session_<N>/`` contains ``config.json``, ``checkpoints/epoch_XXXX.npz``,
``history.csv``, ``samples/epoch_XXXX.png``, ``progress.gif`` and ``generator.keras`` (with a
metric also ``best_generator.keras`` and ``best.json``), and ``lock`` while a process trains it.
The ``.keras`` files are exports for other programs: the package itself rebuilds generators from
the config and loads their weights from the checkpoints.

The newest checkpoint is the session's state: renaming it into place commits an epoch (see
``save_epoch``). Readers follow it (generators are rebuilt from its weights, history stops at its
epoch), and resuming brings every other file in line with it.
"""

import csv
import io
import json
from contextlib import contextmanager
from pathlib import Path

import keras
import numpy as np

from .callbacks import Checkpointer, LiveDashboard, MetricCallback, SampleGrid, TerminateOnNaNLosses
from .checkpoint import (
    BestGenerator,
    checkpoint_best,
    checkpoint_epochs,
    checkpoint_name,
    restore_checkpoint,
    restore_generator,
    save_checkpoint,
)
from .config import GANConfig
from .device import default_strategy, grow_gpu_memory
from .errors import SessionError
from .files import atomic_path, epoch_files, write_text_atomically
from .gan import DCGAN, METRIC_NAMES, build_dcgan
from .latent import noise
from .locations import runs_root, writable_folder
from .lock import SessionLock
from .models import build_generator
from .pipeline import batches_per_epoch, training_dataset
from .viz import gif_from_files

HISTORY_COLUMNS = ("epoch", "step", *METRIC_NAMES, "seconds")


class Session:
    """Open an existing session folder; use ``Session.create`` to start a new one."""

    def __init__(self, path):
        self.path = Path(path)
        if not (self.path / "config.json").is_file():
            raise SessionError(f"{self.path} is not a training session: it has no config.json")
        self.config = GANConfig.load(self.path / "config.json")
        self._lock = None

    # Where things live
    checkpoints_dir = property(lambda self: self.path / "checkpoints")
    samples_dir = property(lambda self: self.path / "samples")
    history_path = property(lambda self: self.path / "history.csv")
    gif_path = property(lambda self: self.path / "progress.gif")
    generator_path = property(lambda self: self.path / "generator.keras")
    best_generator_path = property(lambda self: self.path / "best_generator.keras")
    best_record_path = property(lambda self: self.path / "best.json")

    @property
    def number(self) -> int:
        return int(self.path.name.removeprefix("session_"))

    def __repr__(self):
        return f"Session({str(self.path)!r}, epochs done: {self.last_epoch})"

    # Finding and creating sessions
    @staticmethod
    def folder(dataset: str, number: int, runs_dir=None) -> Path:
        return Path(runs_dir or runs_root()) / dataset / f"session_{number}"

    @staticmethod
    def numbers(dataset: str, runs_dir=None) -> list[int]:
        """Numbers of the sessions recorded for a dataset, in order."""
        root = Path(runs_dir or runs_root()) / dataset
        names = (path.name.removeprefix("session_") for path in root.glob("session_*") if path.is_dir())
        return sorted(int(name) for name in names if name.isdigit())

    @classmethod
    def open(cls, dataset: str, number: int, runs_dir=None) -> "Session":
        path = cls.folder(dataset, number, runs_dir)
        if not path.is_dir():
            known = cls.numbers(dataset, runs_dir)
            raise SessionError(
                f"there is no session {number} for {dataset} in {runs_dir or runs_root()}; "
                + (f"existing sessions: {', '.join(map(str, known))}" if known else "start one without -r")
            )
        return cls(path)

    @classmethod
    def refuse_existing(cls, dataset: str, number: int, runs_dir=None) -> None:
        """Raise SessionError if session ``number`` exists: a session is continued, never overwritten."""
        path = cls.folder(dataset, number, runs_dir)
        if path.exists():
            done = cls(path).last_epoch if (path / "config.json").is_file() else 0
            raise SessionError(
                f"session {number} of {dataset} already exists ({done} epochs done); continue it with: "
                f"dcgan train -r {done} --dataset {dataset} {number} EPOCHS (or pick a new session number)"
            )

    @classmethod
    def create(cls, config: GANConfig, runs_dir=None, number: int | None = None) -> "Session":
        """Make a new session folder (the next free number unless one is given); never reuses a folder."""
        if number is None:
            number = max(cls.numbers(config.dataset, runs_dir), default=0) + 1
        if number < 1:
            raise SessionError(f"session numbers start at 1, not {number}")
        path = cls.folder(config.dataset, number, runs_dir)
        writable_folder(path.parent, "DCGAN_RUNS_DIR")
        try:
            path.mkdir()
        except FileExistsError:
            cls.refuse_existing(config.dataset, number, runs_dir)
        config.save(path / "config.json")
        return cls(path)

    # State on disk
    @property
    def last_epoch(self) -> int:
        """The newest epoch with a complete checkpoint (0 before the first epoch ends)."""
        return max(checkpoint_epochs(self.checkpoints_dir), default=0)

    def history(self) -> list[dict]:
        """One dict per epoch up to the newest checkpoint, from ``history.csv``.

        The file is a log, not the session's state, so a damaged cell never stops a resume: a cell
        that is not a number reads as None (like the empty cells of epochs a metric skipped), a row
        without a whole epoch number is left out, and both stay in the file as they were.
        """
        last = self.last_epoch
        rows = [{key: _number(value, int if key in ("epoch", "step") else float) for key, value in row.items()}
                for row in self._history_rows()]
        return [row for row in rows if row.get("epoch") is not None and row["epoch"] <= last]

    def check_config_change(self, config: GANConfig) -> None:
        """Refuse a new config that would change the architecture (or dataset) of this session."""
        old = {**self.config.model_shape(), "dataset": self.config.dataset}
        new = {**config.model_shape(), "dataset": config.dataset}
        changed = [key for key in old if old[key] != new[key]]
        if changed:
            raise SessionError(
                f"{', '.join(changed)} cannot change in an existing session (its checkpoints have that shape); "
                "start a new session instead"
            )

    def update_config(self, config: GANConfig) -> None:
        """Record changed training settings such as learning rates or steps_per_epoch."""
        self.check_config_change(config)
        config.save(self.path / "config.json")
        self.config = config

    def load_generator(self, best: bool = False) -> keras.Model:
        """The generator of the newest checkpoint, or with ``best`` the best one a ``metric`` kept (see ``best``).

        It is rebuilt from ``config.json`` and only weights are read, from the newest checkpoint (its
        moving average of G when one is kept): no code stored in a session, perhaps one someone shared,
        ever runs. ``generator.keras`` and ``best_generator.keras`` are copies for other programs.
        """
        if best:
            kept = self.best()
            if kept is None:
                raise SessionError(f"{self.path} has no best generator: train with a metric to keep one")
            return self._generator_with(kept.weights)
        generator = build_generator(self.config)

        def read(path) -> keras.Model:
            restore_generator(path, generator, self.config)
            return generator

        if self._read_newest(read) is None:
            raise SessionError(f"{self.path} has no finished epoch yet: train at least one epoch first")
        return generator

    def best(self) -> BestGenerator | None:
        """The best generator a ``metric`` found, as the newest checkpoint carries it (``best.json`` is a copy)."""
        return self._read_newest(lambda path: checkpoint_best(path, self.config))

    def metric(self, score, name: str = "fid", every: int = 1, samples: int = 10_000, seed: int = 0) -> MetricCallback:
        """A ``MetricCallback`` keeping this session's best generator; pass it to ``train(metric=...)``."""
        return MetricCallback(score, name=name, every=every, samples=samples, seed=seed)

    @contextmanager
    def locked(self):
        """Hold the session's lock (see ``lock.py``): a second trainer, here or in another process, is refused."""
        if self._lock is not None:  # this object holds it already: the command line locks before ``train``
            yield self
            return
        with SessionLock(self.path, f"session {self.number} of {self.config.dataset}") as self._lock:
            try:
                yield self
            finally:
                self._lock = None

    # Training
    def restore(self, epoch: int | None = None, strategy=None) -> tuple[DCGAN, int, np.ndarray]:
        """A compiled DCGAN at the end of ``epoch`` (default: the newest); returns (gan, step, preview noise).

        Built under ``strategy`` when given; checkpoints do not depend on the strategy that wrote them.
        """
        epoch = self.last_epoch if epoch is None else epoch
        self.check_resume_point(epoch)
        gan = build_dcgan(self.config, strategy)
        if epoch == 0:
            return gan, 0, noise(self.config.preview_count, self.config.noise_dim, self.config.seed,
                                 self.config.noise_distribution)
        _, step, preview_noise = restore_checkpoint(self.checkpoints_dir / checkpoint_name(epoch), gan)
        return gan, step, preview_noise

    def train(
        self, images, epochs: int, resume_from: int | None = None, callbacks=(), verbose="auto", live=False,
        metric: MetricCallback | None = None, strategy=None, refresh_seconds: float | None = 15.0,
    ) -> DCGAN:
        """Train ``epochs`` more epochs, continuing where epoch ``resume_from`` (default: the newest) ended.

        ``live=True`` (in a notebook) shows a dashboard instead of Keras' progress bar, redrawn after every
        epoch and every ``refresh_seconds`` within one; ``live=show`` hands each picture (PNG bytes) to
        ``show`` instead, as the Playground widget does.
        ``metric`` (see ``session.metric``) scores samples during training, records the figures in
        ``history.csv`` and keeps the best generator. ``strategy`` (default: ``device.default_strategy()``:
        a TPU, several GPUs, or one device) spreads each batch over the replicas.
        """
        if epochs < 1:
            raise SessionError(f"epochs is how many epochs to run now and must be at least 1, not {epochs}")
        grow_gpu_memory()  # before a strategy takes hold of the GPUs
        strategy = strategy or default_strategy()
        if self.config.batch_size % strategy.num_replicas_in_sync:
            raise SessionError(
                f"batch_size {self.config.batch_size} does not split evenly over {strategy.num_replicas_in_sync} "
                "replicas; choose a multiple of the replica count so each replica takes an equal slice"
            )
        with self.locked():
            start_epoch = self.last_epoch if resume_from is None else resume_from
            gan, step, preview_noise = self.restore(start_epoch, strategy)
            best = checkpoint_best(self._checkpoint(start_epoch), self.config) if start_epoch else None
            self._bring_in_line(start_epoch, gan.sampling_generator, best)
            if metric:
                metric.best_generator = best
            steps_per_epoch = self.config.steps_per_epoch or batches_per_epoch(len(images), self.config)
            dataset = training_dataset(images, self.config, start_step=step)
            if live:
                images_per_epoch = steps_per_epoch * self.config.batch_size
                show = live if callable(live) else None
                dashboard = LiveDashboard(preview_noise, images_per_epoch, self.history(), refresh_seconds, show)
                callbacks = [dashboard, *callbacks]
                verbose = 0
            gan.fit(
                dataset,
                initial_epoch=start_epoch,
                epochs=start_epoch + epochs,
                steps_per_epoch=steps_per_epoch,
                verbose=verbose,
                callbacks=[
                    TerminateOnNaNLosses(),
                    SampleGrid(preview_noise, self.samples_dir, self.gif_path),
                    *([metric] if metric else []),
                    Checkpointer(self, start_epoch, step, steps_per_epoch, preview_noise, metric, best),
                    *callbacks,
                ],
            )
            return gan

    def save_epoch(self, gan: DCGAN, epoch: int, step: int, logs: dict, seconds: float, preview_noise,
                   extra: dict | None = None, best: BestGenerator | None = None) -> None:
        """Record a finished epoch in an order that leaves the session whole if the process dies anywhere.

        1. the history row (readers ignore rows after the newest checkpoint; resuming removes them);
        2. the checkpoint, carrying the best generator: its rename commits the epoch;
        3. the copies for other programs (``generator.keras``, a new ``best_generator.keras`` and
           ``best.json``), then older checkpoints are deleted. Resuming writes the copies again.
        """
        row = {"epoch": epoch, "step": step, **{name: float(logs[name]) for name in METRIC_NAMES}}
        row["seconds"] = round(seconds, 3)
        row.update({name: float(value) for name, value in (extra or {}).items()})
        self._write_history([*self._history_rows(through=epoch - 1), row])
        save_checkpoint(self._checkpoint(epoch), gan, epoch, step, preview_noise, best)
        self._export(gan.sampling_generator, best if best and best.record["epoch"] == epoch else None)
        self._delete_old_checkpoints()

    def check_resume_point(self, epoch: int) -> None:
        last = self.last_epoch
        if epoch > last:
            raise SessionError(
                f"cannot resume session {self.number} from epoch {epoch}: its last saved epoch is {last}; "
                f"use -r {last}"
            )
        if epoch < last:
            raise SessionError(
                f"session {self.number} has already finished epoch {last}; resuming from epoch {epoch} would "
                f"discard later epochs. Continue with -r {last}, or start a new session"
            )

    def _bring_in_line(self, epoch: int, generator: keras.Model, best: BestGenerator | None) -> None:
        """Make every file agree with the checkpoint of ``epoch``, the one training resumes from.

        A process killed during an epoch's end may have left a half-written temporary file, the
        history row, sample grid and GIF frame of an epoch that was never committed (it will now be
        trained again), or exports of an older epoch than the one its checkpoint committed.
        """
        for leftover in self.path.rglob(".tmp-*"):
            leftover.unlink()
        raw_history = self._history_rows()
        if len(kept := self._history_rows(through=epoch)) < len(raw_history):
            self._write_history(kept)
        frames = epoch_files(self.samples_dir, ".png")
        stale = [frame for number, frame in frames.items() if number > epoch]
        for frame in stale:
            frame.unlink()
        kept = [frame for number, frame in frames.items() if number <= epoch]
        if stale and kept:
            gif_from_files(kept, self.gif_path)
        elif stale:
            self.gif_path.unlink(missing_ok=True)
        if epoch:
            self._export(generator, best)
            self._delete_old_checkpoints()

    def _export(self, generator: keras.Model, best: BestGenerator | None) -> None:
        """Write ``generator.keras`` and, given a best generator, ``best_generator.keras`` and ``best.json``."""
        with atomic_path(self.generator_path) as temporary:
            generator.save(temporary)
        if best is not None:
            with atomic_path(self.best_generator_path) as temporary:
                self._generator_with(best.weights).save(temporary)
            write_text_atomically(self.best_record_path, json.dumps(best.record, indent=2) + "\n")

    def _delete_old_checkpoints(self) -> None:
        for old in checkpoint_epochs(self.checkpoints_dir)[: -self.config.keep_checkpoints]:
            self._checkpoint(old).unlink(missing_ok=True)

    def _checkpoint(self, epoch: int) -> Path:
        return self.checkpoints_dir / checkpoint_name(epoch)

    def _read_newest(self, read):
        """``read(newest checkpoint)``, or None before the first epoch; a checkpoint that a running
        trainer deletes meanwhile (a newer one replaced it) is skipped for the new newest."""
        for _ in range(5):
            if not (epoch := self.last_epoch):
                return None
            try:
                return read(self._checkpoint(epoch))
            except FileNotFoundError:
                continue
        raise SessionError(f"the checkpoints of {self.path} changed while being read; try again")

    def _generator_with(self, weights: list[np.ndarray]) -> keras.Model:
        """A generator built from the session's config holding ``weights`` (no code from files is run)."""
        generator = build_generator(self.config)
        try:
            generator.set_weights(weights)
        except ValueError as error:
            raise SessionError(
                f"the newest checkpoint of {self.path} holds a generator that does not fit its config.json ({error}); "
                "restore the config.json it was trained with"
            ) from None
        return generator

    def _history_rows(self, through: int | None = None) -> list[dict]:
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
        return [row for row in rows if (_number(row.get("epoch"), int) or 0) <= through]

    def _write_history(self, rows: list[dict]) -> None:
        buffer = io.StringIO()
        extra = sorted({key for row in rows for key in row} - set(HISTORY_COLUMNS))
        writer = csv.DictWriter(buffer, fieldnames=[*HISTORY_COLUMNS, *extra], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        write_text_atomically(self.history_path, buffer.getvalue())


def _number(text, kind):
    """``kind(text)``, or None for an empty or unreadable cell."""
    try:
        return kind(text)
    except (TypeError, ValueError):
        return None
