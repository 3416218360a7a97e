"""A session stays consistent whatever happens to it: killed at any write, or handed malformed files."""

import csv
import json
import shutil
import subprocess

import imageio.v3 as iio
import keras
import numpy as np
import pytest
from support.cli import quiet_environment, script_command
from support.tiny import TINY_CONFIG, training_images

from dcgan_helpers.checkpoint import checkpoint_name
from dcgan_helpers.cli import main
from dcgan_helpers.errors import SessionError
from dcgan_helpers.files import epoch_files
from dcgan_helpers.session import Session


def checkpoint_generator(session, epoch) -> list[np.ndarray]:
    """The weights samples come from as the checkpoint of ``epoch`` holds them: G's moving average when kept."""
    with np.load(session.files.checkpoints_dir / checkpoint_name(epoch)) as stored:
        averaged = any(key.startswith("averaged_generator/") for key in stored.files)
        group = "averaged_generator/" if averaged else "generator/"
        return [stored[key] for key in sorted(stored.files) if key.startswith(group)]


def assert_same_weights(model, expected, what):
    assert len(model.weights) == len(expected), what
    for variable, value in zip(model.weights, expected, strict=True):
        np.testing.assert_array_equal(np.asarray(variable), value, err_msg=what)





def resume_and_die(path, kill_after: int) -> subprocess.CompletedProcess:
    return subprocess.run(script_command("resume_and_die_at_a_write.py", path, kill_after), env=quiet_environment(),
                          capture_output=True, text=True, timeout=300)


@pytest.mark.slow
@pytest.mark.subprocess
def test_a_kill_at_any_write_of_an_epoch_end_leaves_the_last_checkpoint_whole_and_the_best_kept(tmp_path):
    """Epoch 1 scores 5 (the best so far), epoch 2 scores 1 (a new best); the process is killed right
    after each file operation (rename, replace, delete) of epoch 2 in turn, looked at, then resumed."""
    base = Session.create(TINY_CONFIG, tmp_path / "base")
    base.train(training_images(), 1, metric=base.metric(lambda images: 5.0, samples=8), verbose=0)
    epoch_1_generator = checkpoint_generator(base, 1)

    def copy_of_base(name):
        shutil.copytree(tmp_path / "base", tmp_path / name)
        return tmp_path / name / "fashion_mnist" / "session_1"

    complete = resume_and_die(copy_of_base("complete"), 0)  # counts the operations, never dies
    assert complete.returncode == 0, complete.stderr
    operations = int(complete.stdout.split()[-1])
    assert operations >= 5  # sample grid, GIF, history, checkpoint, generator export at least

    for kill_after in range(1, operations + 1):
        path = copy_of_base(f"killed_after_{kill_after}")
        died = resume_and_die(path, kill_after)
        assert died.returncode == -9, f"operation {kill_after} of {operations}: {died.stderr[-2000:]}"
        session = Session(path)
        last = session.last_epoch
        where = f"killed after operation {kill_after} of {operations} (last complete epoch {last})"
        assert last in (1, 2), where
        best_generator = epoch_1_generator if last == 1 else checkpoint_generator(session, 2)

        # Right after the crash no file claims an epoch the checkpoints do not have, read as any program reads them.
        with open(session.files.history_path, newline="") as stream:
            assert max(int(row["epoch"]) for row in csv.DictReader(stream)) <= last, where
        assert max(epoch_files(session.files.samples_dir, ".png")) <= last, where
        assert iio.imread(session.files.gif_path, index=None).shape[0] <= last, where
        assert json.loads((session.path / "best.json").read_text())["epoch"] <= last, where
        exported = keras.models.load_model(session.path / "generator.keras", compile=False)
        assert any(all(np.array_equal(np.asarray(variable), value) for variable, value in
                       zip(exported.weights, checkpoint_generator(session, epoch), strict=True))
                   for epoch in range(1, last + 1) if session.files.checkpoint(epoch).is_file()), where

        # What readers see right after the crash follows the last complete checkpoint.
        assert [row["epoch"] for row in session.history()] == list(range(1, last + 1)), where
        assert_same_weights(session.load_generator(), checkpoint_generator(session, last), where)
        assert_same_weights(session.load_generator(best=True), best_generator, where)

        # Resuming brings every file in line with it and keeps the best generator.
        Session(path).train(training_images(), 1, verbose=0)
        assert session.last_epoch == last + 1, where
        assert [row["epoch"] for row in session.history()] == list(range(1, last + 2)), where
        assert sorted(frame.name for frame in session.files.samples_dir.iterdir()) == [
            f"epoch_{epoch:04d}.png" for epoch in range(1, last + 2)], where
        assert iio.imread(session.files.gif_path, index=None).shape[0] == last + 1, where
        exported = keras.models.load_model(session.path / "generator.keras", compile=False)
        assert_same_weights(exported, checkpoint_generator(session, last + 1), where)
        record = json.loads((session.path / "best.json").read_text())
        assert (record["epoch"], record["value"]) == ((1, 5.0) if last == 1 else (2, 1.0)), where
        exported_best = keras.models.load_model(session.path / "best_generator.keras", compile=False)
        assert_same_weights(exported_best, best_generator, where)
        assert not list(session.path.rglob(".tmp-*")), where


def test_a_damaged_best_json_is_rewritten_from_the_checkpoint_on_resume(scored_session):
    (scored_session.path / "best.json").write_text('{"epoch": 1, "metric": ')
    scored_session.train(training_images(), 1, verbose=0)
    assert json.loads((scored_session.path / "best.json").read_text())["value"] == 5.0
    assert_same_weights(scored_session.load_generator(best=True), checkpoint_generator(scored_session, 1), "best")


def test_a_history_with_blank_and_text_cells_still_resumes_and_keeps_them(scored_session):
    path = scored_session.files.history_path
    header, row = path.read_text().splitlines()
    damaged_row = ",".join(["", "oops", *row.split(",")[2:]])  # no epoch, a word for a step
    text_cell = row.split(",")
    text_cell[2] = "not a loss"
    path.write_text("\n".join([header, ",".join(text_cell), damaged_row]) + "\n")
    assert [(row["epoch"], row["d_loss"]) for row in scored_session.history()] == [(1, None)]
    scored_session.train(training_images(), 1, verbose=0)
    assert [row["epoch"] for row in scored_session.history()] == [1, 2]
    lines = path.read_text().splitlines()
    assert "not a loss" in lines[1] and lines[2] == damaged_row and lines[3].startswith("2,")


def test_an_empty_checkpoint_is_refused_in_one_sentence(scored_session, capsys, monkeypatch):
    (scored_session.files.checkpoints_dir / "epoch_0002.npz").write_bytes(b"")
    with pytest.raises(SessionError, match="epoch_0002.npz cannot be read .* move it aside"):
        scored_session.train(training_images(), 1, verbose=0)
    with pytest.raises(SessionError, match="epoch_0002.npz cannot be read"):
        scored_session.load_generator()
    monkeypatch.setenv("DCGAN_RUNS_DIR", str(scored_session.path.parent.parent))
    assert main(["generate", "1", "100", "2"]) == 2
    error = capsys.readouterr().err
    assert "epoch_0002.npz cannot be read" in error and len(error.strip().splitlines()) == 1


@pytest.mark.parametrize("text", ["[]", "null"])
def test_a_config_json_that_is_not_an_object_exits_2_in_one_sentence(scored_session, capsys, monkeypatch, text):
    (scored_session.path / "config.json").write_text(text)
    monkeypatch.setenv("DCGAN_RUNS_DIR", str(scored_session.path.parent.parent))
    assert main(["generate", "1", "100", "2"]) == 2
    error = capsys.readouterr().err
    assert "config.json: a config must be a JSON object" in error and len(error.strip().splitlines()) == 1
