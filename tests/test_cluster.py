"""Training on several machines, tested with two ``dcgan train`` processes that talk over 127.0.0.1."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from support.tiny import TINY_CONFIG, tiny_set

from dcgan_helpers.cluster import strategy_from_environment
from dcgan_helpers.datasets import load_images, preset
from dcgan_helpers.errors import UsageError
from dcgan_helpers.session import Session

# One layer per resolution (as in the tiny config): the weight comparison at the end needs a network whose split
# batches round like one batch. With the preset's extra 3x3 layers the two runs differ by rounding, which 18 GAN
# steps amplify to about 5e-3, as much as a 1e-7 nudge to G's starting weights does
# (tests/scripts/mirrored_two_cpus.py says why).
ALONE = TINY_CONFIG.replace(steps_per_epoch=3, precision="float32")
SETTINGS = tiny_set(steps_per_epoch=3, precision="float32")
pytestmark = pytest.mark.subprocess

WORKER_SECONDS = 300  # a hard limit per worker process: a hang fails the test instead of blocking it
STOP_SECONDS = 60  # how long the other worker may take to stop after one is killed


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for each in sockets:
        each.bind(("127.0.0.1", 0))
    ports = [each.getsockname()[1] for each in sockets]
    for each in sockets:
        each.close()
    return ports


class Worker:
    """One ``dcgan train`` process of a two-worker cluster on loopback, its output in files."""

    def __init__(self, index: int, addresses: list[str], runs_dir: Path, arguments, folder: Path, data_root: Path):
        self.index, self.runs_dir = index, runs_dir
        self.stdout_path, self.stderr_path = folder / f"worker{index}.out", folder / f"worker{index}.err"
        environment = {
            **os.environ, "DCGAN_DATA_DIR": str(data_root), "PYTHONUNBUFFERED": "1", "TF_CPP_MIN_LOG_LEVEL": "3",
            "TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1",  # two processes share the cores
            "TF_CONFIG": json.dumps({"cluster": {"worker": addresses}, "task": {"type": "worker", "index": index}}),
        }
        command = [str(Path(sys.executable).parent / "dcgan"), "train", "--runs-dir", str(runs_dir),
                   *map(str, arguments)]
        with open(self.stdout_path, "w") as stdout, open(self.stderr_path, "w") as stderr:
            self.process = subprocess.Popen(command, env=environment, stdout=stdout, stderr=stderr)
        self.deadline = time.monotonic() + WORKER_SECONDS

    @property
    def stdout(self) -> str:
        return self.stdout_path.read_text()

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text()

    def wait(self) -> int:
        try:
            return self.process.wait(timeout=max(0.0, self.deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail(f"worker {self.index} still ran after {WORKER_SECONDS} s:\n{self.stdout[-2000:]}")

    def wait_for(self, text: str) -> None:
        while text not in self.stdout:
            if self.process.poll() is not None or time.monotonic() > self.deadline:
                pytest.fail(f"worker {self.index} never printed {text!r}:\n{self.stdout[-2000:]}{self.stderr[-2000:]}")
            time.sleep(0.02)


def start_cluster(folder: Path, data_root: Path, *arguments) -> list[Worker]:
    """Two workers with the same arguments; each has its own runs folder, as on two machines."""
    addresses = [f"127.0.0.1:{port}" for port in free_ports(2)]
    return [Worker(index, addresses, folder / f"runs{index}", arguments, folder, data_root) for index in (0, 1)]


def finish(workers) -> list[int]:
    return [worker.wait() for worker in workers]


def weights(session: Session) -> list[np.ndarray]:
    gan = session.restore().gan
    return [variable.numpy() for variable in gan.generator.weights + gan.discriminator.weights]


@pytest.mark.slow
def test_two_workers_train_one_session_that_resumes_anywhere_and_survives_a_killed_worker(tmp_path, data_root):
    # The check: both exit 0, worker 0's runs folder holds a session with 2 epochs, worker 1's nothing.
    workers = start_cluster(tmp_path, data_root, *SETTINGS, 1, 2)
    assert finish(workers) == [0, 0], workers[0].stderr[-3000:] + workers[1].stderr[-3000:]
    assert "worker 0 of 2" in workers[0].stdout and "worker 1 of 2" in workers[1].stdout
    assert "2 replicas train" in workers[1].stdout
    session = Session.open("fashion_mnist", 1, tmp_path / "runs0")
    assert session.last_epoch == 2 and [row["epoch"] for row in session.history()] == [1, 2]
    assert not (tmp_path / "runs1").exists() or not any((tmp_path / "runs1").iterdir())

    # One process continues the two-worker session for an epoch...
    images = load_images("fashion_mnist", data_root / "fashion-mnist")
    session.train(images, 1, verbose=0)

    # ...then two workers continue it, and worker 1 is killed in the middle of epoch 5.
    workers = start_cluster(tmp_path, data_root, "-r", 3, *SETTINGS, 1, 3)
    workers[1].wait_for("Epoch 5/6")
    workers[1].process.send_signal(signal.SIGKILL)
    killed = time.monotonic()
    assert workers[0].wait() == 1, workers[0].stderr[-3000:]
    stop_seconds = time.monotonic() - killed
    workers[1].wait()
    last = Session.open("fashion_mnist", 1, tmp_path / "runs0").last_epoch
    assert last in (4, 5)  # the kill lands in epoch 5, or just after its end on a slow machine
    message = workers[0].stderr.strip().splitlines()[-1]
    assert "a worker stopped responding" in message and f"-r {last} on every worker" in message, message
    assert stop_seconds < STOP_SECONDS, f"worker 0 took {stop_seconds:.0f} s to stop"
    print(f"worker 0 stopped {stop_seconds:.1f} s after worker 1 was killed")

    # The same command with -r on every worker continues from the last complete epoch.
    workers = start_cluster(tmp_path, data_root, "-r", last, *SETTINGS, 1, 6 - last)
    assert finish(workers) == [0, 0], workers[0].stderr[-3000:] + workers[1].stderr[-3000:]
    assert not (tmp_path / "runs1").exists() or not any((tmp_path / "runs1").iterdir())
    session = Session.open("fashion_mnist", 1, tmp_path / "runs0")
    assert [row["epoch"] for row in session.history()] == [1, 2, 3, 4, 5, 6]

    # One process alone, six epochs straight, with the same global batch: the same weights.
    alone = Session.create(ALONE, tmp_path / "alone")
    alone.train(images, 6, verbose=0)
    difference = max(float(np.abs(a - b).max()) for a, b in zip(weights(session), weights(alone), strict=True))
    print(f"largest weight difference after 6 epochs (2 on two workers, 1 alone, 3 on two workers): {difference:.2e}")
    assert difference < 1e-4


def test_a_session_worker_0_refuses_stops_every_worker_with_its_reason(tmp_path, data_root):
    existing = Session.create(preset("fashion_mnist"), tmp_path / "runs0", number=1)
    before = sorted(existing.path.rglob("*"))
    workers = start_cluster(tmp_path, data_root, *SETTINGS, 1, 2)
    assert finish(workers) == [2, 2]
    assert "session 1 of fashion_mnist already exists" in workers[0].stderr
    assert "worker 0 did not start training: session 1 of fashion_mnist already exists" in workers[1].stderr
    assert sorted(existing.path.rglob("*")) == before
    assert not (tmp_path / "runs1").exists()


def test_a_malformed_tf_config_is_a_usage_error(monkeypatch):
    monkeypatch.setenv("TF_CONFIG", '{"cluster": {"worker": ["127.0.0.1:1"]')
    with pytest.raises(UsageError, match="TF_CONFIG does not describe a cluster"):
        strategy_from_environment()
