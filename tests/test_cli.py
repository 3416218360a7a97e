"""The ``dcgan`` command line, run as a reader runs it: the console script in a subprocess."""

import json
import os
import re
import signal
import subprocess
import sys

import imageio.v3 as iio
import numpy as np
import pytest
from support.cli import run_dcgan, script_command
from support.tiny import tiny_set

from dcgan_helpers.cli import main
from dcgan_helpers.session import Session


@pytest.fixture
def workdir(tmp_path, data_root, monkeypatch):
    """A fresh working folder whose data comes from the small synthetic Fashion-MNIST."""
    monkeypatch.setenv("DCGAN_DATA_DIR", str(data_root))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def session_files(workdir):
    return sorted(str(path.relative_to(workdir)) for path in workdir.rglob("*"))


@pytest.mark.slow
@pytest.mark.subprocess
def test_train_resume_and_generate_as_in_the_readme(workdir):
    tiny = tiny_set(steps_per_epoch=5)
    first = run_dcgan("train", "--dataset", "fashion_mnist", *tiny, 1, 2, cwd=workdir)
    assert first.returncode == 0, first.stderr
    assert "Epoch 2/2" in first.stdout  # Keras' progress output
    assert "precision mixed_" in first.stdout or "precision float32" in first.stdout  # the device choice, once
    resumed = run_dcgan("train", "-r", 2, "--dataset", "fashion_mnist", *tiny, 1, 1, cwd=workdir)
    assert resumed.returncode == 0, resumed.stderr
    assert "Epoch 3/3" in resumed.stdout

    session = Session.open("fashion_mnist", 1, workdir / "runs")
    assert [row["epoch"] for row in session.history()] == [1, 2, 3]
    assert len(list(session.files.samples_dir.glob("epoch_*.png"))) == 3
    assert iio.imread(session.files.gif_path, index=None).shape[0] == 3
    resume = session.restore()
    gan, step = resume.gan, resume.step
    assert step == 15 and int(gan.generator_optimizer.iterations) == 15
    assert int(gan.discriminator_optimizer.iterations) == 15

    generated = run_dcgan("generate", "--dataset", "fashion_mnist", 1, 100, 16, cwd=workdir)
    assert generated.returncode == 0, generated.stderr
    images = sorted((session.path / "generated").glob("*.png"))
    assert len(images) == 16 and iio.imread(images[0]).shape == (28, 28)

    before = session_files(workdir)
    refused = run_dcgan("generate", "--dataset", "fashion_mnist", 1, 64, 16, cwd=workdir)
    assert refused.returncode == 2
    assert "noise_dim 100, not 64" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    assert session_files(workdir) == before


def test_generate_writes_into_a_chosen_folder(workdir):
    assert main(["train", *tiny_set(steps_per_epoch=1), "3", "1"]) == 0
    assert main(["generate", "--out", str(workdir / "pictures"), "3", "100", "5"]) == 0
    assert len(list((workdir / "pictures").glob("*.png"))) == 5


@pytest.mark.parametrize("arguments, fragment", [
    (["train", "-r", "0", "7", "1"], "there is no session 7"),
    (["train", "--set", "nois_dim=3", "1", "1"], "unknown config key 'nois_dim'"),
    (["train", "--dataset", "mnist", "1", "1"], "unknown dataset 'mnist'"),
    (["train", "--dataset", "celeba64", "1", "1"], "CelebA was not found in"),
    (["train", "--dataset", "hands64", "1", "1"], "11k Hands was not found in"),
    (["train", "--dataset", "folder", "1", "1"], "name their folder with --data-dir DIR"),
    (["train", "--set", "dataset=celeba64", "1", "1"], "choose the dataset with --dataset"),
    (["train", "--set", "image_size=64", "1", "1"], "expected uint8 images of shape (N, 64, 64, 1)"),
    (["train", "--data-dir", "nowhere", "1", "1"], "was not found in any of: nowhere"),
    (["generate", "1", "100", "4"], "there is no session 1"),
    (["doctor", "1"], "there is no session 1"),
    (["train", "--set", "seed=-1", "1", "1"], "seed must be a whole number from 0 to 4294967295"),
    (["train", "--set", f"seed={2**32}", "1", "1"], "seed must be a whole number from 0 to 4294967295"),
    (["train", "--set", "noise_dim=1000000", "1", "1"], "noise_dim must be at most 4096"),
])
def test_usage_errors_exit_2_with_one_sentence_and_write_nothing(workdir, capsys, arguments, fragment):
    assert main(arguments) == 2
    error = capsys.readouterr().err
    assert fragment in error and len(error.strip().splitlines()) == 1
    assert session_files(workdir) == []


def test_existing_sessions_are_never_overwritten_nor_resumed_wrongly(workdir, capsys):
    assert main(["train", *tiny_set(steps_per_epoch=1), "1", "2"]) == 0
    capsys.readouterr()
    before = {path: path.stat().st_mtime_ns for path in workdir.rglob("*") if path.is_file()}
    for arguments, fragment in [
        (["train", "1", "3"],
         "already exists (2 epochs done); continue it with: dcgan train -r 2 --dataset fashion_mnist 1 EPOCHS"),
        (["train", "-r", "5", "1", "1"], "its last saved epoch is 2"),
        (["train", "-r", "1", "1", "1"], "would discard later epochs"),
        (["train", "-r", "2", "--set", "noise_dim=64", "1", "1"], "noise_dim cannot change"),
    ]:
        assert main(arguments) == 2
        assert fragment in capsys.readouterr().err
    assert {path: path.stat().st_mtime_ns for path in workdir.rglob("*") if path.is_file()} == before


def test_argument_mistakes_exit_2(workdir, capsys):
    for arguments in (["train", "1"], ["train", "0", "1"], ["train", "1", "-3"], ["generate", "1", "x", "2"]):
        with pytest.raises(SystemExit) as raised:
            main(arguments)
        assert raised.value.code == 2
    assert "usage: dcgan" in capsys.readouterr().err


def test_the_same_seed_gives_the_same_images_through_sample_generate_and_the_command_line(workdir, capsys):
    from dcgan_helpers.images import to_uint8
    from dcgan_helpers.latent import generate

    assert main(["train", *tiny_set(steps_per_epoch=2), "1", "1"]) == 0
    assert main(["generate", "--seed", "5", "--out", "seed5", "1", "100", "6"]) == 0
    capsys.readouterr()
    written = np.stack([iio.imread(path) for path in sorted((workdir / "seed5").glob("*.png"))])
    session = Session.open("fashion_mnist", 1)
    gan = session.restore().gan
    from_generate = to_uint8(generate(session.load_generator(), 6, seed=5))[..., 0]
    from_sample = to_uint8(gan.sample(6, seed=5))[..., 0]
    assert written.shape == (6, 28, 28)
    np.testing.assert_array_equal(written, from_generate)
    np.testing.assert_array_equal(written, from_sample)
    assert not np.array_equal(from_sample, to_uint8(gan.sample(6, seed=6))[..., 0])


def test_divergence_exits_1_naming_the_epoch(workdir, capsys):
    tiny = tiny_set(steps_per_epoch=2)
    assert main(["train", *tiny, "1", "1"]) == 0
    capsys.readouterr()
    assert main(["train", "-r", "1", *tiny, "--set", "generator_learning_rate=1e30",
                 "--set", "discriminator_learning_rate=1e30", "1", "2"]) == 1
    assert "training diverged in epoch 2" in capsys.readouterr().err
    assert Session.open("fashion_mnist", 1).last_epoch == 1
    assert main(["doctor", "1"]) == 0
    report = capsys.readouterr().out
    assert re.search(r"- training diverged \(epoch 2\): (d|g)_\w+ became (nan|inf|-inf) during epoch 2", report), report
    assert "section 'Divergence'" in report


def test_doctor_says_when_nothing_looks_wrong_and_what_it_checked(workdir, capsys):
    from support.symptoms import row, smooth_images

    from dcgan_helpers.images import image_grid
    from dcgan_helpers.viz import save_image

    assert main(["train", *tiny_set(steps_per_epoch=2), "1", "2"]) == 0
    session = Session.open("fashion_mnist", 1)  # an untrained G shows symptoms: give it a healthy record
    session.files.write_history([row(1), row(2)])
    for epoch in (1, 2):
        save_image(session.files.samples_dir / f"epoch_000{epoch}.png",
                   image_grid(smooth_images(session.config.preview_count, seed=epoch)))
    capsys.readouterr()
    assert main(["doctor", "1"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "session 1 (fashion_mnist), 2 epochs in history.csv: nothing looks wrong",
        "checked: discriminator wins, discriminator learns nothing, losses explode, generator stuck, mode collapse, "
        "checkerboard, divergence"]


def check_session_continues(workdir, epochs_before: int, steps_per_epoch: int):
    """After resuming, every record of the session runs on without a gap or a repeat."""
    session = Session.open("fashion_mnist", 1, workdir / "runs")
    epochs = session.last_epoch
    assert epochs == epochs_before + 1
    history = session.history()
    assert [row["epoch"] for row in history] == list(range(1, epochs + 1))
    assert [row["step"] for row in history] == [steps_per_epoch * epoch for epoch in range(1, epochs + 1)]
    assert len(list(session.files.samples_dir.glob("epoch_*.png"))) == epochs
    assert iio.imread(session.files.gif_path, index=None).shape[0] == epochs
    assert int(session.restore().gan.generator_optimizer.iterations) == steps_per_epoch * epochs


def start_training(workdir, *arguments, script=None):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    command = script_command(script) if script else [sys.executable, "-m", "dcgan_helpers.cli"]
    return subprocess.Popen([*command, *map(str, arguments)], cwd=workdir, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)




@pytest.mark.slow
@pytest.mark.subprocess
def test_sigkill_while_a_checkpoint_is_written_keeps_the_previous_one(workdir):
    tiny = tiny_set(steps_per_epoch=2)
    process = start_training(workdir, "train", *tiny, 1, 5, script="train_hanging_in_checkpoint_2.py")
    for line in process.stdout:  # Keras' progress lines come first
        if "writing checkpoint 2" in line:
            break
    assert process.poll() is None, "training ended before it reached checkpoint 2"
    process.send_signal(signal.SIGKILL)
    process.wait()
    session = Session.open("fashion_mnist", 1, workdir / "runs")
    assert session.last_epoch == 1
    assert list(session.files.checkpoints_dir.glob(".tmp-*"))  # the half-written file is still there,
    assert "\n2," not in (session.path / "history.csv").read_text()  # but nothing claims the uncommitted epoch 2
    assert [row["epoch"] for row in session.history()] == [1]
    resumed = run_dcgan("train", "-r", 1, *tiny, 1, 1, cwd=workdir)
    assert resumed.returncode == 0, resumed.stderr
    check_session_continues(workdir, 1, 2)
    assert not list(session.files.checkpoints_dir.glob(".tmp-*"))


@pytest.mark.subprocess
def test_readme_commands_find_the_real_fashion_mnist(real_fashion_mnist, tmp_path, monkeypatch):
    """The issue's check as a reader types it: no data folder given, the preset at full size."""
    monkeypatch.delenv("DCGAN_DATA_DIR", raising=False)
    first = run_dcgan("train", "--dataset", "fashion_mnist", "--set", "steps_per_epoch=5", 1, 2, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    second = run_dcgan("train", "-r", 2, "--dataset", "fashion_mnist", "--set", "steps_per_epoch=5", 1, 1,
                       cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    check_session_continues(tmp_path, 2, 5)
    generated = run_dcgan("generate", "--dataset", "fashion_mnist", 1, 100, 16, cwd=tmp_path)
    assert generated.returncode == 0, generated.stderr
    assert len(list((tmp_path / "runs" / "fashion_mnist" / "session_1" / "generated").glob("*.png"))) == 16
    evaluated = run_dcgan("evaluate", "--samples", 1000, 1, cwd=tmp_path)
    assert evaluated.returncode == 0, evaluated.stderr
    assert re.search(r"latest generator after 3 epochs: Fréchet distance \d+\.\d+ \(project classifier\), "
                     r"classes covered \d+/10 from 1,000 samples", evaluated.stdout), evaluated.stdout
    result = json.loads((tmp_path / "runs" / "fashion_mnist" / "session_1" / "evaluation.json").read_text())
    assert result["sample_count"] == 1000 and result["reference_count"] == 10_000
    best = run_dcgan("evaluate", "--best", 1, cwd=tmp_path)
    assert best.returncode == 2 and "train with a metric" in best.stderr
