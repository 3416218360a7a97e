"""The project's own Fashion-MNIST classifier and the quality figures built on it."""

import numpy as np
import pytest
from support.data import make_fashion_mnist_folder

from dcgan_helpers.errors import DataFormatError
from dcgan_helpers.fashion_classifier import (
    FashionMNISTJudge,
    accuracy,
    as_classifier_input,
    load_classifier,
    save_classifier,
    shipped_report,
    train_classifier,
)
from dcgan_helpers.fashion_mnist import load_fashion_mnist

pytestmark = pytest.mark.kernel


def test_input_is_scaled_like_the_generator_output():
    as_float = as_classifier_input(np.array([[[0, 255]] * 28] * 1, np.uint8).repeat(14, axis=2))
    assert as_float.shape == (1, 28, 28, 1) and as_float.min() == -1.0 and as_float.max() == 1.0
    with pytest.raises(DataFormatError, match="28×28 grayscale"):
        as_classifier_input(np.zeros((2, 64, 64, 3), np.float32))


@pytest.mark.slow
def test_training_learns_and_saved_weights_reload_identically(tmp_path):
    images, labels = load_fashion_mnist(make_fashion_mnist_folder(tmp_path / "data", train_count=1024))
    model = train_classifier(images, labels, epochs=10, verbose=0)  # synthetic clothes: class = bar height
    assert accuracy(model, images, labels) > 0.5  # 10 classes: chance is 0.1
    save_classifier(model, tmp_path / "weights.npz")
    reloaded = load_classifier(tmp_path / "weights.npz")
    np.testing.assert_allclose(reloaded.predict(as_classifier_input(images[:8]), verbose=0),
                               model.predict(as_classifier_input(images[:8]), verbose=0), rtol=1e-5, atol=1e-5)


def test_missing_weights_say_how_to_make_them(tmp_path):
    with pytest.raises(FileNotFoundError, match="python -m dcgan_helpers.fashion_classifier"):
        load_classifier(tmp_path / "none.npz")


def test_shipped_classifier_has_the_test_accuracy_it_reports(real_fashion_mnist):
    test_images, test_labels = load_fashion_mnist(real_fashion_mnist, split="test")
    measured = accuracy(load_classifier(), test_images, test_labels)
    assert measured == pytest.approx(shipped_report()["test_accuracy"], abs=0.002)
    assert measured > 0.9


def test_real_images_score_far_better_than_noise_and_cover_every_class(real_fashion_mnist):
    judge = FashionMNISTJudge(data_dir=real_fashion_mnist)
    train_images, _ = load_fashion_mnist(real_fashion_mnist)
    real = judge.evaluate(train_images[:2000])
    noise = judge.evaluate(np.random.default_rng(0).uniform(-1, 1, (2000, 28, 28, 1)).astype(np.float32))
    one_image = judge.evaluate(np.repeat(train_images[:1], 2000, axis=0))  # a collapsed "generator"
    assert real.covered_classes == 10 and real.sample_count == 2000 and real.reference_count == 10_000
    assert real.frechet_distance * 10 < noise.frechet_distance
    assert one_image.covered_classes == 1 and one_image.frechet_distance > 10 * real.frechet_distance
    assert "2000 samples" in str(real)
