"""``dcgan evaluate`` says which real images it scored against, as ``dcgan train`` says which it trained on."""

import numpy as np
import pytest
from support.layouts import jpeg_bytes

from dcgan_helpers import inception
from dcgan_helpers.cli import main
from dcgan_helpers.datasets import preset
from dcgan_helpers.session import Session

pytestmark = pytest.mark.kernel


class CountingFeatures:
    """Stands in for InceptionV3 (whose weights need the internet): four numbers per image."""

    name = "stand-in"

    def __init__(self, weights=None):
        pass

    def __call__(self, images, batch_size: int = 50):
        images = np.asarray(images, np.float32).reshape(len(images), -1)
        return np.stack([images.mean(1), images.std(1), images.min(1), images.max(1)], axis=1)


def test_evaluate_prints_the_load_report_of_the_real_images(tmp_path, monkeypatch, capsys):
    photos = tmp_path / "mine"
    photos.mkdir()
    for index in range(40):
        (photos / f"photo_{index:02d}.jpg").write_bytes(jpeg_bytes(48, 48, index))
    (photos / "broken.jpg").write_bytes(b"not a picture")
    config = preset("folder").replace(image_size=32, generator_filters=8, discriminator_filters=8, batch_size=8,
                                      steps_per_epoch=1, preview_count=4)
    session = Session.create(config, tmp_path / "runs")
    session.train(np.zeros((16, 32, 32, 3), np.uint8), 1, verbose=0)
    monkeypatch.setattr(inception, "InceptionFeatures", CountingFeatures)
    monkeypatch.setattr(inception, "check_sample_count", lambda count: None)
    assert main(["evaluate", "--dataset", "folder", "--data-dir", str(photos), "--runs-dir", str(tmp_path / "runs"),
                 "--samples", "64", "1"]) == 0
    printed = capsys.readouterr().out
    assert "real images: 40 images from" in printed and "1 left out" in printed and "broken.jpg" in printed
