import json

import imageio.v3 as iio
import keras
import numpy as np
import pytest

from dcgan_helpers.checkpoint import checkpoint_epochs, restore_checkpoint
from dcgan_helpers.errors import ConfigError, SessionError, TrainingDiverged
from dcgan_helpers.gan import build_dcgan
from dcgan_helpers.session import Session

pytestmark = pytest.mark.kernel


@pytest.fixture
def images():
    return np.random.default_rng(1).integers(0, 256, (80, 28, 28, 1), dtype=np.uint8)


def weights(gan):
    return [w.numpy() for w in gan.generator.weights + gan.discriminator.weights]


def test_create_numbers_sessions_and_never_reuses_a_folder(tmp_path, tiny_config):
    first = Session.create(tiny_config, tmp_path)
    second = Session.create(tiny_config, tmp_path)
    assert (first.number, second.number) == (1, 2)
    assert first.path == tmp_path / "fashion_mnist" / "session_1"
    assert Session.numbers("fashion_mnist", tmp_path) == [1, 2]
    with pytest.raises(SessionError, match="already exists"):
        Session.create(tiny_config, tmp_path, number=1)
    assert Session.open("fashion_mnist", 2, tmp_path).config == tiny_config
    with pytest.raises(SessionError, match="existing sessions: 1, 2"):
        Session.open("fashion_mnist", 5, tmp_path)


def test_training_writes_every_artifact_of_each_epoch(tmp_path, tiny_config, images):
    session = Session.create(tiny_config, tmp_path)
    session.train(images, 3, verbose=0)
    assert session.last_epoch == 3
    assert checkpoint_epochs(session.files.checkpoints_dir) == [2, 3]  # keep_checkpoints=2
    history = session.history()
    assert [row["epoch"] for row in history] == [1, 2, 3] and [row["step"] for row in history] == [2, 4, 6]
    assert all(np.isfinite(row["d_loss"]) and row["seconds"] > 0 for row in history)
    assert sorted(path.name for path in session.files.samples_dir.iterdir()) == [
        "epoch_0001.png", "epoch_0002.png", "epoch_0003.png"]
    frames = iio.imread(session.files.gif_path, index=None)
    assert frames.shape[0] == 3
    np.testing.assert_array_equal(frames[-1][..., 0], iio.imread(session.files.samples_dir / "epoch_0003.png"))
    generator = session.load_generator()
    assert generator.input_shape == (None, 100) and generator.output_shape == (None, 28, 28, 1)
    assert not list(session.path.rglob(".tmp-*"))


def test_resuming_continues_exactly_like_an_uninterrupted_run(tmp_path, tiny_config, images):
    straight = Session.create(tiny_config, tmp_path)
    uninterrupted = straight.train(images, 3, verbose=0)
    split = Session.create(tiny_config, tmp_path)
    split.train(images, 2, verbose=0)
    resumed = Session(split.path).train(images, 1, resume_from=2, verbose=0)
    assert int(resumed.generator_optimizer.iterations) == 6
    assert int(resumed.discriminator_optimizer.iterations) == 6
    for expected, got in zip(weights(uninterrupted), weights(resumed), strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6)
    straight_history, split_history = straight.history(), split.history()
    for a, b in zip(straight_history, split_history, strict=True):
        assert a["epoch"] == b["epoch"] and a["d_loss"] == pytest.approx(b["d_loss"], rel=1e-4)


def test_the_averaged_generator_resumes_exactly_and_is_what_the_session_exports(tmp_path, tiny_config, images):
    config = tiny_config.replace(ema_decay=0.8, ema_start_step=4)  # averaging starts in the resumed epoch 3
    straight = Session.create(config, tmp_path)
    uninterrupted = straight.train(images, 3, verbose=0)
    split = Session.create(config, tmp_path)
    split.train(images, 2, verbose=0)
    resumed = Session(split.path).train(images, 1, resume_from=2, verbose=0)
    averaged = [weight.numpy() for weight in resumed.averaged_generator.weights]
    for expected, got in zip(uninterrupted.averaged_generator.weights, averaged, strict=True):
        np.testing.assert_allclose(got, expected.numpy(), rtol=1e-4, atol=1e-6)
    exported = split.load_generator()
    for saved, average in zip(exported.weights, averaged, strict=True):
        np.testing.assert_array_equal(saved.numpy(), average)
    assert not np.allclose(averaged[0], resumed.generator.weights[0].numpy())


def test_a_checkpoint_without_an_average_starts_the_average_from_g(tmp_path, tiny_config, images):
    session = Session.create(tiny_config.replace(ema_decay=0.0), tmp_path)
    session.train(images, 1, verbose=0)
    session.update_config(session.config.replace(ema_decay=0.9))
    gan = session.restore().gan
    for average, weight in zip(gan.averaged_generator.weights, gan.generator.weights, strict=True):
        np.testing.assert_array_equal(average.numpy(), weight.numpy())
    session.train(images, 1, verbose=0)
    assert session.last_epoch == 2


def test_resume_points_other_than_the_last_epoch_are_refused(tmp_path, tiny_config, images):
    session = Session.create(tiny_config, tmp_path)
    session.train(images, 2, verbose=0)
    with pytest.raises(SessionError, match="last saved epoch is 2"):
        session.train(images, 1, resume_from=3)
    with pytest.raises(SessionError, match="discard later epochs"):
        session.train(images, 1, resume_from=1)
    with pytest.raises(SessionError, match="at least 1"):
        session.train(images, 0)
    assert session.last_epoch == 2 and len(session.history()) == 2


def test_traces_of_an_epoch_without_checkpoint_are_replaced_on_resume(tmp_path, tiny_config, images):
    """As if the process died after epoch 3's samples and history row but before its checkpoint."""
    session = Session.create(tiny_config, tmp_path)
    session.train(images, 3, verbose=0)
    (session.files.checkpoints_dir / "epoch_0003.npz").unlink()
    (session.files.checkpoints_dir / ".tmp-epoch_0003-abc.npz").write_bytes(b"half a checkpoint")
    assert session.last_epoch == 2
    session.train(images, 2, verbose=0)
    assert [row["epoch"] for row in session.history()] == [1, 2, 3, 4]
    assert [row["step"] for row in session.history()] == [2, 4, 6, 8]
    assert iio.imread(session.files.gif_path, index=None).shape[0] == 4


def test_divergence_stops_with_the_epoch_named_and_keeps_the_last_good_checkpoint(tmp_path, tiny_config, images):
    session = Session.create(tiny_config, tmp_path)
    session.train(images, 1, verbose=0)
    good = weights(session.restore().gan)
    session.update_config(session.config.replace(discriminator_learning_rate=1e30, generator_learning_rate=1e30))
    with pytest.raises(TrainingDiverged, match="epoch 2") as raised:
        session.train(images, 3, verbose=0)
    assert "checkpoint of epoch 1 is kept" in str(raised.value)
    assert session.last_epoch == 1 and len(session.history()) == 1
    assert not (session.files.samples_dir / "epoch_0002.png").exists()
    for expected, got in zip(good, weights(session.restore().gan), strict=True):
        np.testing.assert_array_equal(got, expected)


def test_architecture_cannot_change_within_a_session(tmp_path, tiny_config, images):
    session = Session.create(tiny_config, tmp_path)
    session.train(images, 1, verbose=0)
    with pytest.raises(SessionError, match="noise_dim cannot change"):
        session.update_config(session.config.replace(noise_dim=64))
    session.update_config(session.config.replace(generator_learning_rate=1e-4))
    assert Session(session.path).config.generator_learning_rate == 1e-4
    restored = session.restore().gan  # the checkpoint keeps Adam's moments, the config sets the learning rate
    assert float(restored.generator_optimizer.learning_rate) == pytest.approx(1e-4)
    other = build_dcgan(tiny_config.replace(generator_filters=16))
    with pytest.raises(SessionError, match="generator_filters 8 .checkpoint. vs 16 .config."):
        restore_checkpoint(session.files.checkpoints_dir / "epoch_0001.npz", other)


def test_unreadable_checkpoint_or_config_is_reported_clearly(tmp_path, tiny_config, images):
    session = Session.create(tiny_config, tmp_path)
    session.train(images, 1, verbose=0)
    checkpoint = session.files.checkpoints_dir / "epoch_0001.npz"
    checkpoint.write_bytes(checkpoint.read_bytes()[:1000])
    with pytest.raises(SessionError, match="epoch_0001.npz cannot be read"):
        session.restore()
    (session.path / "config.json").write_text('{"noise_dim": 100,')
    with pytest.raises(ConfigError, match="config.json is not valid JSON"):
        Session(session.path)


def test_checkpoint_moves_between_float16_and_float32(tmp_path, tiny_config, images):
    session = Session.create(tiny_config.replace(precision="mixed_float16"), tmp_path)
    session.train(images, 1, verbose=0)
    mixed_weights = weights(session.restore().gan)
    session.update_config(session.config.replace(precision="float32"))
    resume = session.restore()
    gan, step = resume.gan, resume.step
    assert isinstance(gan.generator_optimizer, keras.optimizers.Adam) and step == 2
    assert int(gan.generator_optimizer.iterations) == 2
    for expected, got in zip(mixed_weights, weights(gan), strict=True):
        np.testing.assert_array_equal(got, expected)
    session.train(images, 1, verbose=0)
    assert session.last_epoch == 2


def test_live_dashboard_shows_every_epoch_and_continues_the_curves_after_resume(
    tmp_path, tiny_config, images, monkeypatch
):
    from dcgan_helpers.callbacks import LiveDashboard

    shown = []
    monkeypatch.setattr(LiveDashboard, "render", lambda self, epoch, rows: (epoch, list(rows), self.speed))
    monkeypatch.setattr(LiveDashboard, "show_in_output", lambda self, picture: shown.append(picture))
    session = Session.create(tiny_config, tmp_path)
    session.train(images, 2, live=True)
    Session.open("fashion_mnist", 1, tmp_path).train(images, 1, live=True)
    assert [epoch for epoch, _, _ in shown] == [1, 2, 3]
    assert [row["epoch"] for row in shown[-1][1]] == [1, 2, 3]  # earlier epochs come from history.csv
    assert all(speed > 0 for _, _, speed in shown)


def test_dashboard_picture_holds_samples_curves_and_speed(tiny_config):
    from dcgan_helpers.images import image_grid
    from dcgan_helpers.viz import dashboard_png

    grid = image_grid(np.zeros((4, 28, 28, 1), np.float32))
    rows = [{"epoch": 1, "d_loss": 1.3, "g_loss": 0.8, "d_real": 0.6, "d_fake": 0.4}]
    picture = iio.imread(dashboard_png(grid, rows, "epoch 1/2 · 1,000 images/s"))
    assert picture.ndim == 3 and picture.shape[1] > 2 * picture.shape[0]


def test_sessions_go_to_dcgan_runs_dir_when_it_is_set(tmp_path, tiny_config, monkeypatch):
    monkeypatch.setenv("DCGAN_RUNS_DIR", str(tmp_path / "elsewhere"))
    assert Session.create(tiny_config).path == tmp_path / "elsewhere" / "fashion_mnist" / "session_1"


def test_metric_keeps_the_best_generator_when_samples_get_worse_after_a_minimum(tmp_path, tiny_config, images):
    scripted = iter([5.0, 3.0, 2.0, 4.0, 6.0])
    session = Session.create(tiny_config, tmp_path)
    generator_weights = {}

    class RememberWeights(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            generator_weights[epoch + 1] = [w.numpy().copy() for w in self.model.sampling_generator.weights]

    metric = session.metric(lambda images: next(scripted), name="fid", samples=32)
    session.train(images, 3, metric=metric, callbacks=[RememberWeights()], verbose=0)
    Session.open("fashion_mnist", 1, tmp_path).train(images, 2, metric=session.metric(
        lambda images: next(scripted), name="fid", samples=32), callbacks=[RememberWeights()], verbose=0)
    assert [row["fid"] for row in session.history()] == [5.0, 3.0, 2.0, 4.0, 6.0]
    assert session.best().record == {"epoch": 3, "metric": "fid", "value": 2.0, "samples": 32}
    best = session.load_generator(best=True)
    for saved, remembered in zip(best.weights, generator_weights[3], strict=True):
        np.testing.assert_array_equal(saved.numpy(), remembered)


def test_metric_every_k_epochs_leaves_other_rows_empty_and_best_json_is_a_copy_of_the_checkpoint(
    tmp_path, tiny_config, images
):
    session = Session.create(tiny_config, tmp_path)
    session.train(images, 4, metric=session.metric(lambda images: float(np.mean(images)), every=2, samples=8),
                  verbose=0)
    assert [row["fid"] is None for row in session.history()] == [True, False, True, False]
    record = json.loads((session.path / "best.json").read_text())
    assert session.best().record == record and record["epoch"] in (2, 4)
    (session.path / "best.json").write_text('{"epoch": 9, "metric": "fid", "value": 0.0, "samples": 8}')
    assert session.best().record == record  # the checkpoint, not the copy, says which generator is best
    session.train(images, 1, verbose=0)
    assert json.loads((session.path / "best.json").read_text()) == record


def test_a_session_trained_without_a_metric_has_no_best_generator(tmp_path, tiny_config, images):
    session = Session.create(tiny_config, tmp_path)
    session.train(images, 1, verbose=0)
    assert session.best() is None and not (session.path / "best.json").exists()
    with pytest.raises(SessionError, match="train with a metric"):
        session.load_generator(best=True)
