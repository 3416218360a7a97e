"""The latent explorer, driven from Python as a reader's clicks would drive it."""

import pytest

from dcgan_helpers.models import build_generator
from dcgan_helpers.widgets import LatentExplorer


@pytest.fixture(scope="module")
def generator():
    from dcgan_helpers.config import preset

    return build_generator(preset("fashion_mnist").replace(generator_filters=8, precision="float32"))


def test_moving_a_slider_changes_the_image_and_the_seed_decides_the_start(generator):
    explorer = LatentExplorer(generator, dimensions=(0, 5), seed=7)
    first = bytes(explorer.image.value)
    assert first.startswith(b"\x89PNG")
    explorer.sliders[1].value = 2.5
    assert explorer.latent_vector()[5] == pytest.approx(2.5)
    assert bytes(explorer.image.value) != first
    explorer.seed.value = 8
    explorer.seed.value = 7  # back to the first seed: sliders reset, same picture
    assert bytes(explorer.image.value) == first


def test_random_button_picks_a_new_seed(generator):
    explorer = LatentExplorer(generator)
    seed, image = explorer.seed.value, bytes(explorer.image.value)
    explorer.random_button.click()
    assert explorer.seed.value != seed and bytes(explorer.image.value) != image


def test_dimensions_outside_the_noise_are_refused(generator):
    with pytest.raises(ValueError, match="noise has 100"):
        LatentExplorer(generator, dimensions=(3, 100))
