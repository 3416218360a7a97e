"""One file per finished epoch holding everything needed to continue training exactly.

A checkpoint stores both networks' weights (BatchNorm statistics included), the moving average
of G's weights when one is kept, both optimizers' state (step counts, Adam moments; loss scale
when mixed precision is on), the fixed preview noise, the epoch and the number of batches consumed.
It is one ``.npz`` written under a temporary name and renamed, so a process killed at any
moment leaves either the old set of checkpoints or the old set plus one complete new file.

That rename is the session's commit point. Each checkpoint also carries what the session's other
files are made from: the best generator a metric found (weights and score) and the epoch's history
row. ``history.csv``, the sample grids and GIF, ``generator.keras``, ``best_generator.keras`` and
``best.json`` are written after it and can always be written again from it.
"""

import contextlib
import json
import zipfile
from dataclasses import dataclass

import keras
import numpy as np

from .errors import SessionError
from .files import atomic_path, epoch_file_name, epoch_files

__all__ = ["BestGenerator", "checkpoint_best", "checkpoint_epochs", "checkpoint_history_row", "checkpoint_name",
           "restore_checkpoint", "restore_generator", "save_checkpoint"]


def checkpoint_name(epoch: int) -> str:
    return epoch_file_name(epoch, ".npz")


def checkpoint_epochs(folder) -> list[int]:
    """Epochs with a complete checkpoint in ``folder``, oldest first."""
    return list(epoch_files(folder, ".npz"))


@dataclass(frozen=True)
class BestGenerator:
    """The generator with the best score so far: ``record`` is ``{"epoch", "metric", "value", "samples"}``.

    ``weights`` are those samples come from (G's moving average when one is kept), in the order of
    ``generator.weights``.
    """

    record: dict
    weights: list[np.ndarray]


def _split_optimizer(optimizer):
    """(Adam state, loss-scale state), so that a checkpoint moves between float32 and mixed precision.

    The learning rate is left out: it belongs to the config, which may change between sittings.
    """
    loss_scale = []
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        inner = {id(variable) for variable in optimizer.inner_optimizer.variables}
        loss_scale = [variable for variable in optimizer.variables if id(variable) not in inner]
        optimizer = optimizer.inner_optimizer
    return [variable for variable in optimizer.variables if variable.name != "learning_rate"], loss_scale


def _state(gan) -> dict[str, list]:
    generator_adam, generator_scale = _split_optimizer(gan.generator_optimizer)
    discriminator_adam, discriminator_scale = _split_optimizer(gan.discriminator_optimizer)
    return {
        "generator": gan.generator.weights,
        "discriminator": gan.discriminator.weights,
        "generator_optimizer": generator_adam,
        "discriminator_optimizer": discriminator_adam,
        "generator_loss_scale": generator_scale,
        "discriminator_loss_scale": discriminator_scale,
        "averaged_generator": gan.averaged_generator.weights if gan.averaged_generator is not None else [],
    }


def save_checkpoint(path, gan, epoch: int, step: int, preview_noise, best: BestGenerator | None = None,
                    history_row: dict | None = None) -> None:
    """Write the checkpoint of ``epoch``; it also carries the best generator and the epoch's ``history.csv`` row,
    so that every other file of the session can be written again from it."""
    arrays = {
        f"{group}/{index:04d}": variable.numpy()
        for group, variables in _state(gan).items()
        for index, variable in enumerate(variables)
    }
    arrays.update(epoch=np.int64(epoch), step=np.int64(step), preview_noise=np.asarray(preview_noise),
                  model_shape=np.array(json.dumps(gan.config.model_shape())))
    if history_row is not None:
        arrays["history_row"] = np.array(json.dumps(history_row))
    if best is not None:
        arrays["best_record"] = np.array(json.dumps(best.record))
        arrays.update({f"best_generator/{index:04d}": value for index, value in enumerate(best.weights)})
    with atomic_path(path) as temporary, open(temporary, "wb") as stream:
        np.savez(stream, **arrays)


def restore_checkpoint(path, gan) -> tuple[int, int, np.ndarray]:
    """Load a checkpoint into a built and compiled DCGAN; returns (epoch, step, preview noise)."""
    with _opened(path, gan.config) as stored:
        has_average = any(key.startswith("averaged_generator/") for key in stored.files)
        for group, variables in _state(gan).items():
            if group == "averaged_generator" and not (has_average and variables):
                continue  # averaging was off in one of the runs: an average starts from G (below)
            _assign(path, stored, group, variables)
        if gan.averaged_generator is not None and not has_average:
            gan.averaged_generator.set_weights(gan.generator.get_weights())
        return int(stored["epoch"]), int(stored["step"]), stored["preview_noise"]


def restore_generator(path, generator, config) -> None:
    """Load the weights samples come from into ``generator``, built from ``config``: the moving average
    of G where the checkpoint has one, else G itself."""
    with _opened(path, config) as stored:
        averaged = any(key.startswith("averaged_generator/") for key in stored.files)
        _assign(path, stored, "averaged_generator" if averaged else "generator", generator.weights)


def checkpoint_best(path, config) -> BestGenerator | None:
    """The best generator a checkpoint carries, if a metric ever scored the session."""
    with _opened(path, config) as stored:
        if "best_record" not in stored.files:
            return None
        weights = [stored[key] for key in sorted(stored.files) if key.startswith("best_generator/")]
        return BestGenerator(json.loads(str(stored["best_record"])), weights)


def checkpoint_history_row(path, config) -> dict | None:
    """The ``history.csv`` row of the checkpoint's epoch (None for checkpoints written before rows were kept)."""
    with _opened(path, config) as stored:
        return json.loads(str(stored["history_row"])) if "history_row" in stored.files else None


@contextlib.contextmanager
def _opened(path, config):
    """The arrays of a checkpoint written by ``config``'s architecture; any reading problem is a SessionError.

    A checkpoint that is gone is left to the caller: a newer one may have replaced it meanwhile.
    """
    try:
        with np.load(path) as stored:  # arrays only: np.load refuses pickled objects
            saved_shape = config.stored_model_shape(json.loads(str(stored["model_shape"])))
            current_shape = config.model_shape()
            if saved_shape != current_shape:
                differences = ", ".join(
                    f"{key} {saved_shape.get(key)} (checkpoint) vs {current_shape[key]} (config)"
                    for key in current_shape if saved_shape.get(key) != current_shape[key]
                )
                raise SessionError(f"{path} was written by a different architecture: {differences}")
            yield stored
    except FileNotFoundError:
        raise
    except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile) as error:
        raise SessionError(
            f"checkpoint {path} cannot be read ({error}); move it aside to resume from the checkpoint before it"
        ) from error


def _assign(path, stored, group: str, variables) -> None:
    values = [stored[key] for key in sorted(stored.files) if key.startswith(group + "/")]
    if group.endswith("loss_scale") and (not values or not variables):
        return  # one run used mixed precision and the other did not: keep the fresh loss scale
    if len(values) != len(variables):
        raise SessionError(f"{path} holds {len(values)} {group} variables, the model has {len(variables)}")
    for variable, value in zip(variables, values, strict=True):
        if tuple(variable.shape) != value.shape:
            raise SessionError(
                f"{path}: {group} variable {variable.path} has shape {value.shape} in the checkpoint "
                f"and {tuple(variable.shape)} in the model"
            )
        variable.assign(value)
