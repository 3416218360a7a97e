"""One trainer per session: a second one is refused in one sentence, a killed one's lock is taken over."""

import os
import signal
import socket
import subprocess

import numpy as np
import pytest
from support.cli import quiet_environment, run_dcgan, script_command
from support.tiny import tiny_set

from dcgan_helpers.errors import SessionError
from dcgan_helpers.lock import SessionLock
from dcgan_helpers.session import Session

TINY = tiny_set(steps_per_epoch=2)



@pytest.fixture
def workdir(tmp_path, data_root, monkeypatch):
    monkeypatch.setenv("DCGAN_DATA_DIR", str(data_root))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def start_trainer_that_waits_in_epoch_2(workdir, *arguments) -> subprocess.Popen:
    """``dcgan train ...`` that stops before saving epoch 2 until the file ``go_on`` appears."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    process = subprocess.Popen(
        script_command("train_waiting_in_epoch_2.py", workdir / "go_on", *arguments),
        cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    for line in process.stdout:
        if "waiting in epoch 2" in line:
            return process
    raise AssertionError(f"the trainer ended (status {process.wait()}) before epoch 2")


def test_the_lock_names_its_holder_and_is_released(tmp_path):
    with SessionLock(tmp_path, "session 1 of fashion_mnist"):
        assert (tmp_path / "lock.holder").read_text().split()[:2] == [str(os.getpid()), socket.gethostname()]
        with pytest.raises(SessionError, match="is being trained in this process already .another cell"), \
                SessionLock(tmp_path, "session 1 of fashion_mnist"):
            pass
    assert not (tmp_path / "lock.holder").exists()
    with SessionLock(tmp_path, "session 1 of fashion_mnist"):
        pass


@pytest.mark.slow
@pytest.mark.subprocess
def test_a_second_trainer_is_refused_while_the_first_finishes_alone(workdir):
    first = start_trainer_that_waits_in_epoch_2(workdir, "train", *TINY, 1, 4)
    holder = f"session 1 of fashion_mnist is being trained by process {first.pid} on {socket.gethostname()}"

    second = run_dcgan("train", "-r", 1, *TINY, 1, 2, cwd=workdir)
    assert second.returncode == 2, second.stderr
    assert holder in second.stderr and len(second.stderr.strip().splitlines()) == 1
    session = Session.open("fashion_mnist", 1, workdir / "runs")
    with pytest.raises(SessionError, match=holder):  # a notebook gets the same sentence
        session.train(np.zeros((32, 28, 28, 1), np.uint8), 1, verbose=0)

    (workdir / "go_on").touch()
    assert first.wait(timeout=600) == 0
    assert [(row["epoch"], row["step"]) for row in session.history()] == [(1, 2), (2, 4), (3, 6), (4, 8)]
    assert not (session.path / "lock.holder").exists()


@pytest.mark.slow
@pytest.mark.subprocess
def test_the_lock_of_a_killed_trainer_is_taken_over(workdir):
    first = start_trainer_that_waits_in_epoch_2(workdir, "train", *TINY, 1, 4)
    first.send_signal(signal.SIGKILL)
    first.wait()
    session = Session.open("fashion_mnist", 1, workdir / "runs")
    assert (session.path / "lock.holder").read_text().split()[0] == str(first.pid)  # left behind by the killed trainer

    resumed = run_dcgan("train", "-r", 1, *TINY, 1, 2, cwd=workdir)
    assert resumed.returncode == 0, resumed.stderr
    assert [(row["epoch"], row["step"]) for row in session.history()] == [(1, 2), (2, 4), (3, 6)]
    assert not (session.path / "lock.holder").exists()


@pytest.mark.subprocess
def test_the_package_imports_and_locks_where_fcntl_does_not_exist(tmp_path):
    result = subprocess.run(script_command("lock_without_fcntl.py", tmp_path), env=quiet_environment(),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["imported", "refused", "released"]
