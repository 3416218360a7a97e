import gzip

import numpy as np
import pytest
from support.data import make_fashion_mnist_folder, write_idx

from dcgan_helpers import fashion_mnist, locations
from dcgan_helpers.config import GANConfig
from dcgan_helpers.datasets import load_images
from dcgan_helpers.errors import DataFormatError, DataNotFoundError, UsageError
from dcgan_helpers.fashion_mnist import load_fashion_mnist, read_idx
from dcgan_helpers.pipeline import check_images, make_dataset

pytestmark = pytest.mark.kernel


def test_read_idx_reads_what_write_idx_wrote(tmp_path):
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    write_idx(tmp_path / "x.gz", array)
    np.testing.assert_array_equal(read_idx(tmp_path / "x.gz"), array)


def test_truncated_idx_file_is_reported(tmp_path):
    write_idx(tmp_path / "x.gz", np.zeros((10, 28, 28), np.uint8))
    content = gzip.decompress((tmp_path / "x.gz").read_bytes())
    (tmp_path / "cut.gz").write_bytes(gzip.compress(content[:-100]))
    with pytest.raises(DataFormatError, match="truncated"):
        read_idx(tmp_path / "cut.gz")


def test_file_that_is_not_gzip_or_not_idx_is_reported(tmp_path):
    (tmp_path / "plain.gz").write_bytes(b"<html>quota exceeded</html>")
    with pytest.raises(DataFormatError, match="not a readable .gz"):
        read_idx(tmp_path / "plain.gz")
    (tmp_path / "other.gz").write_bytes(gzip.compress(b"PK\x03\x04 something else"))
    with pytest.raises(DataFormatError, match="not an IDX file"):
        read_idx(tmp_path / "other.gz")


def test_explicit_path_is_used_either_as_the_folder_or_as_a_data_root(tmp_path, data_root):
    images, labels = load_fashion_mnist(data_root / "fashion-mnist")
    assert images.shape == (256, 28, 28) and images.dtype == np.uint8 and labels.shape == (256,)
    images_from_root, _ = load_fashion_mnist(data_root, split="test")
    assert images_from_root.shape == (64, 28, 28)


@pytest.fixture
def no_system_copies(tmp_path, monkeypatch):
    """Hide the Debian package, the source checkout's data/ and Keras' cache, and make downloads fail."""
    monkeypatch.setattr(locations, "DEBIAN_DATASETS_DIR", tmp_path / "debian")
    monkeypatch.setattr(locations, "source_checkout", lambda: None)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))
    monkeypatch.setattr(fashion_mnist, "_download_fashion_mnist", lambda: None)
    monkeypatch.delenv("DCGAN_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)


def test_search_order_prefers_the_environment_variable_over_local_data(tmp_path, monkeypatch, no_system_copies):
    make_fashion_mnist_folder(tmp_path / "data" / "fashion-mnist", train_count=20)
    assert len(load_fashion_mnist()[0]) == 20
    make_fashion_mnist_folder(tmp_path / "env-root" / "fashion-mnist", train_count=30)
    monkeypatch.setenv("DCGAN_DATA_DIR", str(tmp_path / "env-root"))
    assert len(load_fashion_mnist()[0]) == 30


def test_debian_package_and_keras_cache_are_searched(tmp_path, no_system_copies):
    make_fashion_mnist_folder(tmp_path / "keras-home" / "datasets" / "fashion-mnist", train_count=12)
    assert len(load_fashion_mnist()[0]) == 12
    make_fashion_mnist_folder(tmp_path / "debian" / "fashion-mnist", train_count=14)
    assert len(load_fashion_mnist()[0]) == 14


def test_missing_data_lists_every_place_searched_and_how_to_get_it(tmp_path, monkeypatch, no_system_copies):
    monkeypatch.setenv("DCGAN_DATA_DIR", str(tmp_path / "env-root"))
    with pytest.raises(DataNotFoundError) as raised:
        load_fashion_mnist()
    message = str(raised.value)
    for place in ("env-root/fashion-mnist", "data/fashion-mnist", "debian/fashion-mnist",
                  "keras-home/datasets/fashion-mnist", "downloading it with Keras failed",
                  "dataset-fashion-mnist", "zalandoresearch"):
        assert place in message


def test_missing_explicit_path_is_an_error_not_a_silent_fallback(tmp_path):
    with pytest.raises(DataNotFoundError, match=str(tmp_path / "nowhere")):
        load_fashion_mnist(tmp_path / "nowhere")


def test_load_images_adds_the_channel_axis_and_rejects_unknown_datasets(data_root):
    assert load_images("fashion_mnist", data_root).shape == (256, 28, 28, 1)
    with pytest.raises(UsageError, match="fashion_mnist"):
        load_images("imagenet")


def test_real_fashion_mnist(real_fashion_mnist):
    images, labels = load_fashion_mnist(real_fashion_mnist)
    test_images, test_labels = load_fashion_mnist(real_fashion_mnist, split="test")
    assert images.shape == (60000, 28, 28) and test_images.shape == (10000, 28, 28)
    assert np.bincount(labels).tolist() == [6000] * 10
    assert np.bincount(test_labels).tolist() == [1000] * 10
    assert 60 < images.mean() < 90  # mostly dark background, bright garments


def small_images(count=100, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (count, 28, 28, 1), dtype=np.uint8)


def test_dataset_batches_are_full_scaled_floats_and_cover_each_pass_without_repeats():
    config = GANConfig(batch_size=32)
    images = small_images()
    images[:, 0, 0, 0] = np.arange(100)  # a tag to recognise each image
    batches = [batch.numpy() for batch in make_dataset(images, config).take(6)]
    assert all(batch.shape == (32, 28, 28, 1) and batch.dtype == np.float32 for batch in batches)
    assert min(batch.min() for batch in batches) >= -1.0 and max(batch.max() for batch in batches) <= 1.0
    tags = [np.rint((batch[:, 0, 0, 0] + 1) * 127.5).astype(int) for batch in batches]
    first_pass, second_pass = np.concatenate(tags[:3]), np.concatenate(tags[3:])
    assert len(set(first_pass)) == 96 and len(set(second_pass)) == 96  # 3 full batches, remainder dropped
    assert not np.array_equal(first_pass, second_pass)  # each pass reshuffles


def test_dataset_starting_at_a_step_continues_the_same_stream():
    config = GANConfig(batch_size=16)
    images = small_images()
    whole = [batch.numpy() for batch in make_dataset(images, config).take(14)]
    resumed = [batch.numpy() for batch in make_dataset(images, config, start_step=9).take(5)]
    for expected, got in zip(whole[9:], resumed, strict=True):
        np.testing.assert_array_equal(expected, got)


def test_dataset_order_depends_on_the_seed_only():
    images = small_images()
    first = next(iter(make_dataset(images, GANConfig(batch_size=16, seed=1)))).numpy()
    again = next(iter(make_dataset(images, GANConfig(batch_size=16, seed=1)))).numpy()
    other = next(iter(make_dataset(images, GANConfig(batch_size=16, seed=2)))).numpy()
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_images_that_do_not_match_the_config_are_rejected():
    with pytest.raises(DataFormatError, match=r"\(N, 64, 64, 3\)"):
        check_images(small_images(), GANConfig(image_size=64, channels=3))
    with pytest.raises(DataFormatError, match="uint8"):
        check_images(small_images().astype(np.float32), GANConfig())
    with pytest.raises(UsageError, match="fewer than one batch"):
        make_dataset(small_images(10), GANConfig(batch_size=16))


def test_training_noise_depends_only_on_seed_and_step():
    from dcgan_helpers.pipeline import DRAWS_PER_IMAGE, training_dataset

    images, config = small_images(64), GANConfig(batch_size=16, seed=3, noise_dim=5)
    whole = list(training_dataset(images, config).take(6))
    resumed = list(training_dataset(images, config, start_step=4).take(2))
    for (image, noise, draws), (image_again, noise_again, draws_again) in zip(whole[4:], resumed, strict=True):
        np.testing.assert_array_equal(image.numpy(), image_again.numpy())
        np.testing.assert_array_equal(noise.numpy(), noise_again.numpy())
        np.testing.assert_array_equal(draws.numpy(), draws_again.numpy())
    assert whole[0][1].shape == (16, 5) and whole[0][2].shape == (16, DRAWS_PER_IMAGE)
    assert not np.allclose(whole[0][1].numpy(), whole[1][1].numpy())
    draws = whole[0][2].numpy()
    assert draws.min() >= 0 and draws.max() < 1


def test_training_noise_follows_the_configured_distribution():
    from dcgan_helpers.pipeline import training_dataset

    images = small_images(64)
    drawn = {distribution: np.concatenate([noise.numpy() for _, noise, _ in training_dataset(
        images, GANConfig(batch_size=16, noise_dim=50, noise_distribution=distribution)).take(8)])
        for distribution in ("normal", "uniform")}
    assert drawn["uniform"].min() >= -1 and drawn["uniform"].max() < 1
    assert drawn["uniform"].var() == pytest.approx(1 / 3, rel=0.1)
    assert np.abs(drawn["normal"]).max() > 1 and drawn["normal"].var() == pytest.approx(1, rel=0.1)
