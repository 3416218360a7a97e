"""Training on several machines: the strategy ``TF_CONFIG`` asks for, and one session written by worker 0.

Every worker runs the same command. Worker 0 (the chief) opens or creates the session and sends its
config and newest checkpoint to the others over the strategy's own collective operations; they train
in a temporary copy that they remove afterwards, so only the chief writes into its runs folder.
"""

import contextlib
import io
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import tensorflow as tf

from .checkpoint import checkpoint_name
from .device import gpus, spans_several_workers
from .errors import UsageError
from .session import Session, training_data

__all__ = ["describe_worker", "pack_session", "session_for_this_worker", "strategy_from_environment", "worker_index"]


def strategy_from_environment() -> tf.distribute.Strategy | None:
    """``MultiWorkerMirroredStrategy`` when ``TF_CONFIG`` describes a cluster, otherwise None.

    Call it before any other TensorFlow work: it starts this worker's server, and returns once every
    worker of the cluster has started too.
    """
    if not os.environ.get("TF_CONFIG"):
        return None
    gpus()  # the first question asked of the devices turns on memory growth, before the strategy holds them
    try:
        return tf.distribute.MultiWorkerMirroredStrategy()
    except (ValueError, KeyError) as error:
        raise UsageError(
            f"TF_CONFIG does not describe a cluster ({error}); set it to JSON such as "
            '{"cluster": {"worker": ["host1:port", "host2:port"]}, "task": {"type": "worker", "index": 0}}'
        ) from error


def worker_index(strategy: tf.distribute.Strategy) -> int:
    """This worker's number; 0 is the chief, which writes the session."""
    resolver = strategy.cluster_resolver
    if resolver is None or not spans_several_workers(strategy):
        return 0
    if "chief" in resolver.cluster_spec().jobs:  # a cluster with a separate chief task counts it first
        return 0 if resolver.task_type == "chief" else resolver.task_id + 1
    return resolver.task_id


def describe_worker(strategy: tf.distribute.Strategy) -> str:
    """One line: which worker this is and how many replicas train."""
    cluster = strategy.cluster_resolver.cluster_spec().as_dict()
    workers = len(cluster.get("chief", [])) + len(cluster.get("worker", []))
    index = worker_index(strategy)
    role = "the chief, writes the session" if index == 0 else "worker 0 writes the session"
    return f"worker {index} of {workers} ({role}); {strategy.num_replicas_in_sync} replicas train"


def broadcast_bytes(strategy: tf.distribute.Strategy, payload: bytes | None) -> bytes:
    """The chief's ``payload``, delivered to every worker (the others pass None).

    A sum over all replicas where only replica 0, on the chief, contributes anything: integer sums with
    zeros are exact, and they travel over the collective operations the training step uses.
    """
    def from_chief(values: np.ndarray) -> np.ndarray:
        def contribution(context):
            return values if context.replica_id_in_sync_group == 0 else np.zeros_like(values)

        distributed = strategy.experimental_distribute_values_from_function(contribution)
        return strategy.reduce(tf.distribute.ReduceOp.SUM, distributed, axis=None).numpy()

    length = int(from_chief(np.array([len(payload or b"")], np.int64))[0])
    words = np.zeros(-(-length // 4), np.int32)  # four bytes to a word, the last one padded with zeros
    if payload is not None:
        words.view(np.uint8)[:length] = np.frombuffer(payload, np.uint8)
    return from_chief(words).view(np.uint8)[:length].tobytes()


def pack_session(session: Session) -> bytes:
    """The session's config and newest checkpoint as a zip archive, with paths relative to its runs folder."""
    buffer = io.BytesIO()
    relative = Path(session.path.parent.name, session.path.name)
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.write(session.path / "config.json", str(relative / "config.json"))
        if session.last_epoch:
            name = checkpoint_name(session.last_epoch)
            archive.write(session.files.checkpoint(session.last_epoch), str(relative / "checkpoints" / name))
    return buffer.getvalue()


def unpack_session(payload: bytes, runs_dir) -> Session:
    """The session ``pack_session`` packed, written under ``runs_dir``."""
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        archive.extractall(runs_dir)
        config_path = next(name for name in archive.namelist() if name.endswith("config.json"))
    return Session(Path(runs_dir) / Path(config_path).parent)


REFUSED = b"refused:"


@contextlib.contextmanager
def session_for_this_worker(strategy: tf.distribute.Strategy | None, prepare, data_dir=None):
    """``(session, images, labels)`` this worker trains (labels None unless the session is conditional).

    Without several workers, and on the chief, what ``prepare()`` (a ``Session.prepare`` context) yields.
    On every other worker, a temporary copy of the chief's session (config and newest checkpoint),
    removed when the block ends, with the images its config names. When the chief cannot prepare its
    session it tells the others, which raise ``UsageError`` instead of waiting.
    """
    if not spans_several_workers(strategy):
        with prepare() as prepared:
            yield prepared
    elif worker_index(strategy) == 0:
        with contextlib.ExitStack() as stack:
            try:
                session, images, labels = stack.enter_context(prepare())
            except Exception as error:
                broadcast_bytes(strategy, REFUSED + str(error).encode())
                raise
            broadcast_bytes(strategy, pack_session(session))
            yield session, images, labels
    else:
        payload = broadcast_bytes(strategy, None)
        if payload.startswith(REFUSED):
            raise UsageError(f"worker 0 did not start training: {payload.removeprefix(REFUSED).decode()}")
        with tempfile.TemporaryDirectory(prefix="dcgan-worker-") as scratch:
            session = unpack_session(payload, scratch)
            yield session, *training_data(session.config, data_dir)[1:]
