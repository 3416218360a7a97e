"""Exceptions for mistakes a user can fix; the command line turns them into exit status 2."""

__all__ = ["ConfigError", "DataFormatError", "DataNotFoundError", "SessionError", "TrainingDiverged",
           "TrainingStopped", "UsageError", "WorkerLost"]


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


class TrainingStopped(Exception):
    """Training was stopped on request in the middle of an epoch; that epoch is not saved."""

    def __init__(self, epoch: int, steps: int):
        self.epoch, self.steps = epoch, steps
        super().__init__(
            f"stopped in epoch {epoch} after {steps} steps of it; the session keeps epoch {epoch - 1} "
            "and resumes from there"
        )
