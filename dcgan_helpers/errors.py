"""Exceptions with one-sentence messages: mistakes a user can fix (``UsageError``: exit status 2 on the command line)
and failures while running (exit status 1).
"""

import errno
from pathlib import Path

__all__ = ["ConfigError", "DataFormatError", "DataNotFoundError", "NoRoom", "SessionError", "TrainingDiverged",
           "TrainingStopped", "UsageError", "WorkerLost", "WriteFailed"]


class UsageError(Exception):
    """A problem with the user's input; the message says what was expected and how to fix it."""


class ConfigError(UsageError, ValueError):
    """An unknown hyperparameter or a value outside what the models support."""


class DataNotFoundError(UsageError, FileNotFoundError):
    """A dataset could not be found in any of the places searched, nor downloaded."""


class DataFormatError(UsageError, ValueError):
    """A data file exists but does not have the layout its format promises."""


class SessionError(UsageError):
    """A training session that does not exist, already exists, or cannot resume as asked."""


class TrainingDiverged(RuntimeError):
    """A loss became NaN or infinite; the last good checkpoint is kept."""

    def __init__(self, epoch: int, metric: str, value: float):
        self.epoch, self.metric, self.value = epoch, metric, value
        super().__init__(
            f"training diverged in epoch {epoch}: {metric} became {value}. "
            f"The checkpoint of epoch {epoch - 1} is kept; resume from it with a lower "
            "learning rate (for example --set discriminator_learning_rate=1e-4)."
        )


class WorkerLost(RuntimeError):
    """Under several workers, one stopped (killed, crashed, unreachable); the others stop too."""

    def __init__(self, last_epoch: int, error: Exception):
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        reason = next((line for line in lines if "aborted by" in line), lines[0] if lines else type(error).__name__)
        peers = sorted({line for line in lines if line.startswith("/job:")})
        self.last_epoch = last_epoch
        super().__init__(
            f"training stopped because a worker stopped responding ({' '.join([reason, *peers])}). "
            f"Epoch {last_epoch} is the last complete one: run the same command with -r {last_epoch} "
            "on every worker to continue from it."
        )


class WriteFailed(RuntimeError):
    """A file could not be written (full disk, quota, read-only or failing disk, no permission); what was
    written before stays whole. The message names the file, the cause and the fix."""

    REASONS = {  # errno name: (cause, fix)
        "ENOSPC": ("the disk is full", "free space in {folder}"),
        "EDQUOT": ("the disk quota is exceeded", "free space in {folder}"),
        "EROFS": ("the file system is read-only", "choose a folder you can write to"),
        "EACCES": ("permission denied", "make {folder} writable for you, or choose another folder"),
        "EPERM": ("permission denied", "make {folder} writable for you, or choose another folder"),
        "EIO": ("the disk reported an input/output error", "check the disk, or choose a folder on another one"),
        "EEXIST": ("{folder} or a folder above it is a file", "move that file aside or choose another folder"),
        "ENOTDIR": ("{folder} or a folder above it is a file", "move that file aside or choose another folder"),
    }

    def __init__(self, path, error: OSError, then: str = "run it again"):
        self.path, self.error, self.then = Path(path), error, then
        name = errno.errorcode.get(error.errno, "")
        cause, fix = self.REASONS.get(name, (error.strerror or str(error), "check {folder}"))
        self.cause = cause.format(folder=self.path.parent)
        folder = self.path.parent
        super().__init__(f"could not write {self.path}: {cause.format(folder=folder)}; {fix.format(folder=folder)}, "
                         f"then {then}")

    def with_next_step(self, then: str) -> "WriteFailed":
        """The same failure, ending with what to run once it is fixed."""
        return WriteFailed(self.path, self.error, then)


class NoRoom(WriteFailed):
    """A folder clearly lacks the room the next write needs; nothing was written, what was there stays."""

    def __init__(self, folder, needed: int, free: int, what: str = "the files of an epoch",
                 then: str = "run it again"):
        self.folder, self.needed, self.free, self.what, self.then = Path(folder), needed, free, what, then
        RuntimeError.__init__(self, f"{self.folder} has {free / 1e6:,.0f} MB free and {what} need about "
                                    f"{needed / 1e6:,.0f} MB; free space there or choose another folder, then {then}")

    def with_next_step(self, then: str) -> "NoRoom":
        return NoRoom(self.folder, self.needed, self.free, self.what, then)


class TrainingStopped(Exception):
    """Training was stopped on request in the middle of an epoch; that epoch is not saved."""

    def __init__(self, epoch: int, steps: int):
        self.epoch, self.steps = epoch, steps
        super().__init__(
            f"stopped in epoch {epoch} after {steps} steps of it; the session keeps epoch {epoch - 1} "
            "and resumes from there"
        )
