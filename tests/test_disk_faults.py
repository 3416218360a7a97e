"""Full, read-only and failing disks: one sentence, exit status 1, and a session that claims only what it has.

The disks are real: small tmpfs file systems mounted for the test (root, as in CI), filled or made
read-only while the package writes. Errors no file system can be asked to make on demand (an I/O
error, permission denied for root) are raised by a patched ``os.replace``.
"""

import contextlib
import csv
import errno
import os
import subprocess

import keras
import numpy as np
import pytest
from support.cli import run_dcgan
from support.layouts import jpeg_bytes
from support.paths import IN_CI
from support.tiny import TINY_CONFIG, tiny_set, training_images

from dcgan_helpers import files
from dcgan_helpers.cli import main
from dcgan_helpers.errors import NoRoom, WriteFailed
from dcgan_helpers.session import Session


@contextlib.contextmanager
def small_disk(folder, megabytes: float):
    """A tmpfs of ``megabytes`` mounted at ``folder`` for the duration of the block."""
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={int(megabytes * 1024)}k", "tmpfs", str(folder)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        if IN_CI:
            pytest.fail(f"CI must be able to mount a small tmpfs for the disk tests: {mounted.stderr}")
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder, leave_bytes: int = 0) -> None:
    """Fill the file system of ``folder`` until only ``leave_bytes`` are free."""
    free = os.statvfs(folder).f_bavail * os.statvfs(folder).f_frsize
    with open(folder / "filler", "wb") as stream, contextlib.suppress(OSError):
        stream.write(bytes(max(free - leave_bytes, 0)))


def history_epochs(session) -> list[int]:
    """The epochs ``history.csv`` lists, read as pandas or a spreadsheet would read the file."""
    with open(session.files.history_path, newline="") as stream:
        return [int(row["epoch"]) for row in csv.DictReader(stream)]


def assert_claims_only_what_it_has(session) -> None:
    last = session.last_epoch
    assert history_epochs(session) == list(range(1, last + 1))
    assert sorted(int(path.stem.split("_")[1]) for path in session.files.samples_dir.glob("epoch_*.png")) == \
        list(range(1, last + 1))
    assert not list(session.path.rglob(".tmp-*"))


class FillTheDiskWhenTheEpochStarts(keras.callbacks.Callback):
    """After the session checked for room, something else on the machine takes all of it."""

    def __init__(self, folder):
        super().__init__()
        self.folder = folder

    def on_epoch_begin(self, epoch, logs=None):
        fill(self.folder)


def test_a_disk_that_fills_up_during_an_epoch_stops_it_in_one_sentence_and_loses_nothing(tmp_path):
    with small_disk(tmp_path / "disk", 48) as disk:
        session = Session.create(TINY_CONFIG, disk / "runs")
        session.train(training_images(), 1, verbose=0)
        with pytest.raises(WriteFailed, match=r"could not write .*: the disk is full; free space in .*, then"):
            session.train(training_images(), 1, verbose=0, callbacks=[FillTheDiskWhenTheEpochStarts(disk)])
        assert session.last_epoch == 1
        assert_claims_only_what_it_has(session)
        (disk / "filler").unlink()
        session.train(training_images(), 1, verbose=0)
        assert session.last_epoch == 2 and history_epochs(session) == [1, 2]


def test_no_room_for_an_epoch_is_said_before_it_starts_and_the_command_line_exits_1(tmp_path, data_root):
    with small_disk(tmp_path / "disk", 48) as disk:
        env = {"DCGAN_DATA_DIR": str(data_root)}
        first = run_dcgan("train", "--runs-dir", disk / "runs", *tiny_set(steps_per_epoch=2), 1, 1, cwd=tmp_path,
                          env_extra=env)
        assert first.returncode == 0, first.stderr
        fill(disk, leave_bytes=300_000)  # room for the config and the lock, not for an epoch
        second = run_dcgan("train", "-r", 1, "--runs-dir", disk / "runs", *tiny_set(steps_per_epoch=2), 1, 1,
                           cwd=tmp_path, env_extra=env)
        assert second.returncode == 1
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1 and "MB free and the files of an epoch need about" in lines[0], second.stderr
        assert "continue with: dcgan train -r 1 --dataset fashion_mnist 1 1" in lines[0]
        session = Session.open("fashion_mnist", 1, disk / "runs")
        assert session.last_epoch == 1
        assert_claims_only_what_it_has(session)


def test_a_read_only_file_system_is_named_and_the_session_stays_as_it_was(tmp_path, capsys):
    with small_disk(tmp_path / "disk", 48) as disk:
        session = Session.create(TINY_CONFIG, disk / "runs")
        session.train(training_images(), 1, verbose=0)
        before = {path: path.read_bytes() for path in session.path.rglob("*") if path.is_file()}
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        with pytest.raises(WriteFailed, match="the file system is read-only; choose a folder you can write to"):
            session.train(training_images(), 1, verbose=0)
        assert main(["generate", "--runs-dir", str(disk / "runs"), "--out", str(disk / "pictures"), "1", "100",
                     "2"]) == 1
        error = capsys.readouterr().err.strip()
        assert len(error.splitlines()) == 1 and "read-only" in error
        assert {path: path.read_bytes() for path in session.path.rglob("*") if path.is_file()} == before


def test_preparing_a_cache_without_room_is_refused_before_reading_an_image(tmp_path, capsys):
    with small_disk(tmp_path / "disk", 1.5) as disk:
        images = disk / "mine"
        images.mkdir()
        for index in range(200):
            (images / f"photo_{index:03d}.jpg").write_bytes(jpeg_bytes(48, 48, index))
        code = main(["train", "--dataset", "folder", "--data-dir", str(images), "--runs-dir", str(tmp_path / "runs"),
                     "1", "1"])
        error = capsys.readouterr().err.strip()
        assert code == 1 and len(error.splitlines()) == 1, error
        assert "200 prepared images need about 2 MB" in error and "DCGAN_DATA_DIR" in error
        assert not (tmp_path / "runs").exists()
        assert not [path for path in disk.rglob("*") if path.is_file() and path.parent != images]


@pytest.mark.parametrize("code, cause", [
    (errno.EIO, "the disk reported an input/output error"),
    (errno.EACCES, "permission denied"),
    (errno.EDQUOT, "the disk quota is exceeded"),
])
def test_every_cause_is_named_with_its_fix_and_the_old_file_is_kept(tmp_path, monkeypatch, code, cause):
    target = tmp_path / "kept.txt"
    target.write_text("old")

    def failing_replace(source, destination):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(WriteFailed, match=f"could not write {target}: {cause}; "):
        files.write_text_atomically(target, "new")
    assert target.read_text() == "old" and sorted(path.name for path in tmp_path.iterdir()) == ["kept.txt"]


def test_a_rename_is_followed_by_an_fsync_of_its_folder(tmp_path, monkeypatch):
    synced, opened = [], {}
    real_open, real_fsync = os.open, os.fsync

    def recording_open(path, flags, *args, **kwargs):
        descriptor = real_open(path, flags, *args, **kwargs)
        opened[descriptor] = os.fspath(path)
        return descriptor

    def recording_fsync(descriptor):
        synced.append(opened.get(descriptor, "a file"))
        return real_fsync(descriptor)

    monkeypatch.setattr(os, "open", recording_open)
    monkeypatch.setattr(os, "fsync", recording_fsync)
    files.write_text_atomically(tmp_path / "a" / "b.txt", "text")
    assert synced[-1] == str(tmp_path / "a")


def test_no_room_is_a_write_failure_the_command_line_reports_with_exit_1(tmp_path, monkeypatch, capsys):
    def no_room(self, gan):
        raise NoRoom(self.path, 10_000_000, 1_000_000)

    monkeypatch.setattr("dcgan_helpers.records.SessionFiles.check_room", no_room)
    monkeypatch.setenv("DCGAN_DATA_DIR", str(tmp_path / "nowhere"))
    session = Session.create(TINY_CONFIG, tmp_path)
    with pytest.raises(NoRoom, match="has 1 MB free and the files of an epoch need about 10 MB"):
        session.train(np.zeros((32, 28, 28, 1), np.uint8), 1, verbose=0)
    assert session.last_epoch == 0 and not session.files.history_path.exists()
