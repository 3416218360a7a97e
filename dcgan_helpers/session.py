"""A training session: find, create and open one; its config rules and its lock; its generators, history and ``train``.

A session is a folder, ``runs/<dataset>/session_<N>/``; ``records.py`` says what it holds and
in which order the end of an epoch writes it. The newest checkpoint is the session's state:
readers follow it (generators are rebuilt from its weights, history stops at its epoch), and
resuming brings every other file in line with it. The ``.keras`` files are exports for other
programs: the package itself rebuilds generators from the config and loads only weights.
"""

import contextlib
from pathlib import Path

import keras
import numpy as np
from PIL import Image

from .callbacks import LiveDashboard, SymptomWatch, TerminateOnNaNLosses
from .checkpoint import BestGenerator, checkpoint_best, checkpoint_history_row, restore_checkpoint, restore_generator
from .config import GANConfig
from .datasets import load_images, load_labels, preset
from .device import default_strategy
from .diagnosis import Finding, diagnose
from .errors import SessionError, TrainingDiverged, UsageError
from .files import epoch_files
from .gan import build_dcgan
from .images import grid_tiles
from .latent import noise
from .locations import runs_root, writable_folder
from .lock import SessionLock
from .models import build_generator
from .pipeline import batches_per_epoch, check_images, check_labels, training_dataset
from .records import EpochEnd, Metric, ResumePoint, SessionFiles, cell_number, generator_with

__all__ = ["Session", "training_data", "training_images"]


def training_images(config: GANConfig, data_dir=None) -> np.ndarray:
    """The images a session with ``config`` trains on (its dataset, size, subset and crop), checked against it."""
    return check_images(load_images(config.dataset, data_dir, config.image_size, config.data_filter, config.crop),
                        config)


def training_data(config: GANConfig, data_dir=None) -> tuple[GANConfig, np.ndarray, np.ndarray | None]:
    """(config, images, labels) a session with ``config`` trains on; labels are None unless it is conditional.

    A conditional config gets its classes from the data; one that has them already (a session being
    resumed) must find exactly those classes in the data, since its networks were built for them.
    """
    images = training_images(config, data_dir)
    if not config.conditional:
        return config, images, None
    labels, classes = load_labels(config.dataset, images, data_dir, config.label_by)
    if config.classes and tuple(classes) != config.classes:
        raise UsageError(f"the data's classes are {', '.join(classes)}, but the session was trained on "
                         f"{', '.join(config.classes)}; train it on the same data, or start a new session")
    config = config.replace(classes=tuple(classes))
    return config, images, check_labels(labels, len(images), config)


class Session:
    """Open an existing session folder; ``create`` starts a new one, ``prepare`` readies one to train."""

    def __init__(self, path):
        self.files = SessionFiles(path)
        self.path = self.files.path
        if not self.files.config_path.is_file():
            raise SessionError(f"{self.path} is not a training session: it has no config.json")
        self.config = GANConfig.load(self.files.config_path)
        self._lock = None

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

    @classmethod
    @contextlib.contextmanager
    def prepare(cls, dataset: str, number: int, resume_from: int | None = None, overrides: dict | None = None,
                data_dir=None, runs_dir=None):
        """``with Session.prepare(...) as (session, images, labels):`` a session ready to ``train``, its lock held;
        ``labels`` are the images' classes for a conditional session, else None.

        Everything is checked before anything is written: a new session (``resume_from`` None) must not
        exist yet and its data must load; an existing one must be at ``resume_from`` and accept the
        ``overrides`` of its config. The lock is taken before the config changes, so a second trainer of
        the same session is refused before it alters anything.
        """
        overrides = dict(overrides or {})
        if "dataset" in overrides:
            raise UsageError("choose the dataset with --dataset, not --set dataset=...")
        starting_config = preset(dataset)  # also rejects an unknown dataset before anything else
        if resume_from is None:
            config = starting_config.replace(**overrides)
            cls.refuse_existing(dataset, number, runs_dir)
            config, images, labels = training_data(config, data_dir)
            session = cls.create(config, runs_dir, number=number)
            with session.locked():
                yield session, images, labels
            return
        session = cls.open(dataset, number, runs_dir)
        session.check_resume_point(resume_from)
        config = session.config.replace(**overrides)
        session.check_config_change(config)
        with session.locked():  # before loading data, so that a second trainer is refused at once
            session.check_resume_point(resume_from)  # the holder of the lock may have moved on meanwhile
            config, images, labels = training_data(config, data_dir)
            session.update_config(config)
            yield session, images, labels

    # Config rules
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
        config.save(self.files.config_path)
        self.config = config

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

    # The lock
    @contextlib.contextmanager
    def locked(self):
        """Hold the session's lock (see ``lock.py``): a second trainer, here or in another process, is refused."""
        if self._lock is not None:  # this object holds it already (``prepare`` locks before ``train``)
            yield self
            return
        with SessionLock(self.path, f"session {self.number} of {self.config.dataset}") as self._lock:
            try:
                yield self
            finally:
                self._lock = None

    # Reading the session
    @property
    def last_epoch(self) -> int:
        """The newest epoch with a complete checkpoint (0 before the first epoch ends)."""
        return self.files.last_epoch

    def history(self) -> list[dict]:
        """One dict per epoch up to the newest checkpoint, from ``history.csv``.

        The file is a log, not the session's state, so a damaged cell never stops a resume: a cell
        that is not a number reads as None (like the empty cells of epochs a metric skipped), a row
        without a whole epoch number is left out, and both stay in the file as they were. The newest
        epoch's row comes from its checkpoint when a crash came between the commit and the file.
        """
        last = self.last_epoch
        rows = [{key: cell_number(value, int if key in ("epoch", "step") else float) for key, value in row.items()}
                for row in self.files.history_rows()]
        rows = [row for row in rows if row.get("epoch") is not None and row["epoch"] <= last]
        if last and not any(row["epoch"] == last for row in rows):  # committed, not yet written to the file
            newest = self._read_newest(lambda path: checkpoint_history_row(path, self.config))
            rows += [newest] if newest is not None else []
        return rows

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
            return generator_with(self.config, kept.weights, self.path)
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

    def metric(self, score, name: str = "fid", every: int = 1, samples: int = 10_000, seed: int = 0) -> Metric:
        """A ``Metric`` for ``train(metric=...)``: scores samples every ``every`` epochs, keeps the best generator."""
        return Metric(score, name=name, every=every, samples=samples, seed=seed)

    def _read_newest(self, read):
        """``read(newest checkpoint)``, or None before the first epoch; a checkpoint that a running
        trainer deletes meanwhile (a newer one replaced it) is skipped for the new newest."""
        for _ in range(5):
            if not (epoch := self.last_epoch):
                return None
            try:
                return read(self.files.checkpoint(epoch))
            except FileNotFoundError:
                continue
        raise SessionError(f"the checkpoints of {self.path} changed while being read; try again")

    # Training
    def restore(self, epoch: int | None = None, strategy=None) -> ResumePoint:
        """The point training continues from: a compiled DCGAN at the end of ``epoch`` (default: the newest).

        Built under ``strategy`` when given; checkpoints do not depend on the strategy that wrote them.
        """
        epoch = self.last_epoch if epoch is None else epoch
        self.check_resume_point(epoch)
        gan = build_dcgan(self.config, strategy)
        if epoch == 0:
            preview = noise(self.config.preview_count, self.config.noise_dim, self.config.seed,
                            self.config.noise_distribution)
            return ResumePoint(gan, 0, 0, preview)
        path = self.files.checkpoint(epoch)
        _, step, preview = restore_checkpoint(path, gan)
        return ResumePoint(gan, epoch, step, preview, checkpoint_best(path, self.config),
                           checkpoint_history_row(path, self.config))

    def train(
        self, images, epochs: int, resume_from: int | None = None, callbacks=(), verbose="auto", live: bool = False,
        show=None, metric: Metric | None = None, strategy=None, refresh_seconds: float | None = 15.0, labels=None,
    ):
        """Train ``epochs`` more epochs, continuing where epoch ``resume_from`` (default: the newest) ended.
        A conditional session takes each image's class index in ``labels`` (``training_data`` gives both).

        ``live=True`` (in a notebook) shows a dashboard, redrawn after every epoch and every
        ``refresh_seconds`` within one, in place of Keras' progress bar (``verbose`` then defaults to 0);
        ``show(png)`` puts each picture somewhere else than the cell's output, as the Playground does.
        ``metric`` (see ``session.metric``) scores samples during training, records the figures in
        ``history.csv`` and keeps the best generator. A symptom of failure (``diagnosis``) is warned of once,
        on the dashboard or as a printed line. ``strategy`` (default: ``device.default_strategy()``:
        a TPU, several GPUs, or one device) spreads each batch over the replicas. Returns the DCGAN.
        """
        if epochs < 1:
            raise SessionError(f"epochs is how many epochs to run now and must be at least 1, not {epochs}")
        strategy = strategy or default_strategy()
        if self.config.batch_size % strategy.num_replicas_in_sync:
            raise SessionError(
                f"batch_size {self.config.batch_size} does not split evenly over {strategy.num_replicas_in_sync} "
                "replicas; choose a multiple of the replica count so each replica takes an equal slice"
            )
        with self.locked():
            resume = self.restore(self.last_epoch if resume_from is None else resume_from, strategy)
            self.files.check_room(resume.gan)  # before anything is written, bringing the folder in line included
            self.files.bring_in_line(resume, self.config.keep_checkpoints)
            steps_per_epoch = self.config.steps_per_epoch or batches_per_epoch(len(images), self.config)
            epoch_end = EpochEnd(self.files, resume, steps_per_epoch, self.config.keep_checkpoints, metric)
            watch = SymptomWatch(resume.preview_noise, self.history())
            watchers = [watch]  # callbacks that write nothing: after ``epoch_end``, they see the epoch's metric
            if live:
                images_per_epoch = steps_per_epoch * self.config.batch_size
                dashboard = LiveDashboard(resume.preview_noise, images_per_epoch, self.history(), refresh_seconds, show)
                watch.warn = dashboard.warnings.append  # drawn under the dashboard's title from then on
                watchers.append(dashboard)
                verbose = 0 if verbose == "auto" else verbose
            try:
                resume.gan.fit(
                    training_dataset(images, self.config, start_step=resume.step, labels=labels),
                    initial_epoch=resume.epoch,
                    epochs=resume.epoch + epochs,
                    steps_per_epoch=steps_per_epoch,
                    verbose=verbose,
                    callbacks=[TerminateOnNaNLosses(), epoch_end, *watchers, *callbacks],
                )
            except TrainingDiverged as error:
                self.files.record_divergence(error.epoch, error.metric, error.value)
                raise
            return resume.gan

    def diagnose(self) -> list[Finding]:
        """What looks wrong in this session's run (``diagnosis.diagnose``): symptoms with their evidence, from
        ``history.csv``, the preview grid of every epoch and the note of a loss that turned NaN."""
        previews = {}
        for epoch, path in epoch_files(self.files.samples_dir, ".png").items():
            if epoch <= self.last_epoch:
                with Image.open(path) as grid:
                    previews[epoch] = grid_tiles(np.asarray(grid), self.config.preview_count, self.config.image_size)
        return diagnose(self.history(), previews, self.files.divergence())
