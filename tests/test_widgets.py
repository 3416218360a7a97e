"""The widgets, driven from Python as a reader's clicks would drive them (the browser test is test_browser.py)."""

import gc
import weakref

import imageio.v3 as iio
import keras
import numpy as np
import pytest

from dcgan_helpers.datasets import preset
from dcgan_helpers.latent import class_count, principal_directions
from dcgan_helpers.models import build_generator
from dcgan_helpers.playground import Playground
from dcgan_helpers.session import Session
from dcgan_helpers.widgets import Interpolator, LatentArithmetic, LatentExplorer, untrained_notice

pytestmark = pytest.mark.kernel


def contrasty(generator):
    """An untrained generator's N(0, 0.02) weights draw flat grey; larger weights draw visible patterns."""
    generator.set_weights([weights * 25 if weights.ndim == 4 else weights for weights in generator.get_weights()])
    return generator


@pytest.fixture(scope="module")
def generator():
    keras.utils.set_random_seed(0)
    return contrasty(build_generator(preset("fashion_mnist").replace(generator_filters=8, precision="float32")))


def shown(image_widget) -> np.ndarray:
    return iio.imread(bytes(image_widget.value))


def test_moving_a_slider_changes_the_image_and_the_seed_decides_the_start(generator):
    explorer = LatentExplorer(generator, dimensions=(0, 5), seed=7)
    first = bytes(explorer.image.value)
    assert first.startswith(b"\x89PNG") and shown(explorer.image).shape == (252, 252)  # 28 px shown 9x
    explorer.sliders[1].value = 2.5
    assert explorer.latent_vector()[5] == pytest.approx(2.5)
    assert bytes(explorer.image.value) != first
    explorer.seed.value = 8
    explorer.seed.value = 7  # back to the first seed: sliders reset, same picture
    assert bytes(explorer.image.value) == first


def test_random_button_picks_a_new_seed(generator):
    explorer = LatentExplorer(generator, dimensions=(0,))
    seed, image = explorer.seed.value, bytes(explorer.image.value)
    explorer.random_button.click()
    assert explorer.seed.value != seed and bytes(explorer.image.value) != image


def test_a_noise_smaller_than_six_gets_one_slider_per_number():
    keras.utils.set_random_seed(0)
    small = build_generator(preset("fashion_mnist").replace(noise_dim=5, generator_filters=8, precision="float32"))
    assert len(LatentExplorer(small, samples=50).sliders) == 5


def test_dimensions_outside_the_noise_are_refused(generator):
    with pytest.raises(ValueError, match="noise has 100"):
        LatentExplorer(generator, dimensions=(3, 100))


def linear_generator(strengths) -> keras.Model:
    """A "generator" that is one known linear map: image = W z with W's singular values ``strengths``.

    Its latent directions that change the image most are W's right singular vectors, in order.
    """
    noise_dim = len(strengths)
    rng = np.random.default_rng(0)
    left, _ = np.linalg.qr(rng.standard_normal((28 * 28, noise_dim)))
    right, _ = np.linalg.qr(rng.standard_normal((noise_dim, noise_dim)))
    weights = left @ np.diag(strengths) @ right.T
    model = keras.Sequential([keras.Input((noise_dim,)), keras.layers.Dense(28 * 28, use_bias=False),
                              keras.layers.Reshape((28, 28, 1))])
    model.layers[0].set_weights([weights.T.astype(np.float32)])
    return model, right


def test_principal_directions_are_the_directions_that_change_images_most_in_order():
    generator, right_singular_vectors = linear_generator([6.0, 4.0, 2.5, 1.0, 0.5, 0.3, 0.2, 0.1])
    directions = principal_directions(generator, count=3, samples=2000)
    np.testing.assert_allclose(directions @ directions.T, np.eye(3), atol=1e-5)
    alignment = np.abs(directions @ right_singular_vectors[:, :3])
    np.testing.assert_allclose(np.diag(alignment), 1.0, atol=0.01)
    with pytest.raises(ValueError, match="count must be between 1 and 8"):
        principal_directions(generator, count=9)


def test_principal_sliders_show_where_the_seed_lies_along_each_direction(generator):
    explorer = LatentExplorer(generator, directions=3, samples=200, seed=3)
    base = explorer.base_vector()
    assert [slider.value for slider in explorer.sliders] == pytest.approx(list(explorer.directions @ base), abs=1e-6)
    np.testing.assert_allclose(explorer.latent_vector(), base, atol=1e-5)  # sliders at the seed's own values
    explorer.sliders[0].value = -2.0
    assert explorer.latent_vector() @ explorer.directions[0] == pytest.approx(-2.0, abs=1e-5)
    assert explorer.latent_vector() @ explorer.directions[1] == pytest.approx(explorer.sliders[1].value, abs=1e-5)


def test_truncation_pulls_z_towards_the_average(generator):
    explorer = LatentExplorer(generator, dimensions=(0,), seed=2)
    full, image = explorer.latent_vector(), bytes(explorer.image.value)
    explorer.truncation.value = 0.5
    np.testing.assert_allclose(explorer.latent_vector(), 0.5 * full, rtol=1e-6)
    assert bytes(explorer.image.value) != image


@pytest.mark.parametrize(("size", "channels", "shape"), [(64, 3, (256, 256, 3)), (128, 3, (256, 256, 3)),
                                                          (32, 1, (256, 256))])
def test_explorer_draws_grayscale_and_colour_from_28_to_128_pixels(size, channels, shape):
    config = preset("celeba64").replace(image_size=size, channels=channels, generator_filters=4, precision="float32")
    explorer = LatentExplorer(contrasty(build_generator(config)), directions=2, samples=50)
    assert shown(explorer.image).shape == shape


@pytest.mark.parametrize("make", [
    lambda generator: LatentExplorer(generator, dimensions=(0, 1), seed=3),
    lambda generator: Interpolator(generator, frames=3),
])
def test_a_closed_widget_frees_its_generator(generator, make):
    widget = make(generator)
    freed = weakref.ref(widget)
    widget.close()
    del widget
    gc.collect()
    assert freed() is None


def test_interpolator_runs_from_one_seed_to_the_other_and_exports_a_gif(generator, tmp_path):
    interpolator = Interpolator(generator, start_seed=3, end_seed=4, frames=5)
    ends = LatentExplorer(generator, dimensions=(0,), seed=3), LatentExplorer(generator, dimensions=(0,), seed=4)
    interpolator.frame.value = 0
    assert bytes(interpolator.image.value) == bytes(ends[0].image.value)
    interpolator.frame.value = 4
    assert bytes(interpolator.image.value) == bytes(ends[1].image.value)
    assert shown(interpolator.strip).shape == (28, 5 * 28)
    spherical_middle = interpolator.latent_path()[2]
    interpolator.path_kind.value = "linear"
    interpolator.frame_count.value = 9
    assert interpolator.frame.max == 8 and shown(interpolator.strip).shape == (28, 9 * 28)
    assert np.linalg.norm(interpolator.latent_path()[4]) < np.linalg.norm(spherical_middle)  # the line dips
    gif = interpolator.save_gif(tmp_path / "walk.gif")
    assert len(iio.imread(gif, index=None)) == 2 * 9 - 2  # there and back again


def test_interpolator_says_when_the_gif_cannot_be_written(generator, tmp_path):
    (tmp_path / "notes.txt").write_text("a file, not a folder")
    interpolator = Interpolator(generator, gif_path=tmp_path / "notes.txt" / "walk.gif")
    interpolator.save_button.click()
    assert interpolator.message.value.startswith("could not write ") and "is a file" in interpolator.message.value


def test_arithmetic_averages_each_concept_and_draws_a_minus_b_plus_c(generator):
    arithmetic = LatentArithmetic(generator, count=12, seed=4)
    assert not bytes(arithmetic.result.value)
    arithmetic.choose("A", [0, 1, 2])
    arithmetic.choose("B", [3])
    assert "the third concept has no samples" in arithmetic.message.value
    arithmetic.pickers[5].value = "C"  # as a reader picks from the menu
    expected = arithmetic.candidates[:3].mean(axis=0) - arithmetic.candidates[3] + arithmetic.candidates[5]
    np.testing.assert_allclose(arithmetic.result_vector(), expected, rtol=1e-6)
    picture = shown(arithmetic.result)
    assert picture.shape[1] > 8 * picture.shape[0]  # three averages, the result and four neighbours in a row
    result_tile = picture[:, -5 * picture.shape[0]: -4 * picture.shape[0]]
    direct = np.asarray(generator(expected[np.newaxis], training=False))[0, ..., 0]
    assert np.abs(result_tile[::arithmetic.scale, ::arithmetic.scale] - np.rint((direct + 1) * 127.5)).max() <= 1
    with pytest.raises(ValueError, match="concept must be one of A, B, C"):
        arithmetic.choose("D", [1])


@pytest.fixture
def playground_images():
    return np.random.default_rng(0).integers(0, 256, (64, 28, 28, 1), dtype=np.uint8)


def test_playground_refuses_bad_values_with_a_message_and_starts_nothing(tiny_config, playground_images, tmp_path):
    playground = Playground(tiny_config, playground_images, runs_dir=tmp_path)
    playground.controls["noise_dim"].value = 0
    playground.start_button.click()
    assert "noise_dim must be a positive number" in playground.status.value and playground.session is None
    playground.controls["noise_dim"].value = 100
    playground.epochs.value = 0
    playground.start_button.click()
    assert "epochs must be at least 1" in playground.status.value and not Session.numbers("fashion_mnist", tmp_path)


def test_playground_trains_a_normal_session_with_the_chosen_values(tiny_config, playground_images, tmp_path):
    playground = Playground(tiny_config, playground_images, epochs=2, runs_dir=tmp_path)
    playground.controls["discriminator_learning_rate"].value = 1e-4
    playground.controls["label_smoothing"].value = 0.1
    playground.start_button.click()  # no event loop runs here, as in a script: it trains before returning
    session = playground.session
    assert playground.outcome == "finished", playground.status.value
    assert session.last_epoch == 2 and session.config.discriminator_learning_rate == pytest.approx(1e-4)
    assert session.config.label_smoothing == pytest.approx(0.1)
    assert shown(playground.image).ndim == 3  # the dashboard picture
    assert not playground.start_button.disabled and playground.stop_button.disabled
    session.train(playground_images, 1, verbose=0)  # resumable like any session
    assert Session.open("fashion_mnist", session.number, tmp_path).last_epoch == 3
    keras.backend.clear_session()


def test_stop_ends_a_run_within_one_step_and_keeps_the_last_finished_epoch(tiny_config, playground_images, tmp_path):
    steps = []
    stop_sent = []

    class StepCounter(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            steps.append(batch)
            if len(steps) == 5:  # in epoch 3 of 2-step epochs
                stop_sent.append(len(steps))
                playground.stop_button.click()

    config = tiny_config.replace(steps_per_execution=1)
    playground = Playground(config, playground_images, epochs=50, runs_dir=tmp_path)
    original_train = Session.train

    def train_with_counter(session, *args, callbacks=(), **kwargs):
        return original_train(session, *args, callbacks=[StepCounter(), *callbacks], **kwargs)

    Session.train = train_with_counter
    try:
        session = playground.start()
    finally:
        Session.train = original_train
    assert playground.outcome == "stopped", playground.status.value
    assert len(steps) - stop_sent[0] <= 1
    assert session.last_epoch == 2 and "session keeps epoch 2" in playground.status.value


def test_a_widget_says_when_its_generator_looks_untrained(generator):
    keras.utils.set_random_seed(1)
    fresh = build_generator(preset("fashion_mnist").replace(generator_filters=8, precision="float32"))
    notice = untrained_notice(fresh)
    assert "looks untrained" in notice and 'pretrained.load("fashion_mnist")' in notice
    faces = build_generator(preset("celeba64").replace(generator_filters=8, precision="float32"))
    assert "pretrained.load(FILE)" in untrained_notice(faces)
    for widget in (LatentExplorer(fresh, directions=2, samples=50), Interpolator(fresh, frames=3),
                   LatentArithmetic(fresh, count=4)):
        assert "looks untrained" in widget.message.value
    varied, _ = linear_generator([6.0, 4.0, 2.5, 1.0])
    assert untrained_notice(varied) == "" and untrained_notice(generator) == ""
    explorer = LatentExplorer(generator, dimensions=(0,))
    explorer.sliders[0].value = 1.0
    assert explorer.message.value == ""


# A conditional generator's class pickers
CLASSES = ("circle", "square", "star")


@pytest.fixture(scope="module")
def conditional_generator():
    keras.utils.set_random_seed(0)
    config = preset("fashion_mnist").replace(generator_filters=8, precision="float32", conditional=True,
                                             classes=CLASSES)
    generator = build_generator(config)
    embedding = generator.get_layer("class_embedding")
    embedding.embeddings.assign(np.asarray(embedding.embeddings) * 100)  # classes far apart, as after training
    return contrasty(generator)


def test_the_explorer_draws_the_picked_class_and_the_same_z_as_every_class(conditional_generator):
    explorer = LatentExplorer(conditional_generator, classes=CLASSES, seed=3)
    assert [name for name, _ in explorer.class_picker.options] == list(CLASSES)
    row = shown(explorer.every_class)
    width = row.shape[1] // len(CLASSES)
    assert row.shape[1] == width * len(CLASSES)
    first = bytes(explorer.image.value)
    explorer.class_picker.value = 2
    assert bytes(explorer.image.value) != first
    assert np.array_equal(shown(explorer.every_class), row), "the row of every class changed with the picked class"
    # the picked class's picture is the row's picture of that class, enlarged
    small = shown(explorer.image)[:: explorer.scale, :: explorer.scale]
    assert np.array_equal(small, row[:: explorer.scale // 2, 2 * width: 3 * width: explorer.scale // 2])
    explorer.sliders[0].value = 2.5
    assert not np.array_equal(shown(explorer.every_class), row), "moving z did not change the row of every class"


def test_class_names_must_fit_the_generator(conditional_generator, generator):
    with pytest.raises(ValueError, match="draws 3 classes, but 2 class names"):
        LatentExplorer(conditional_generator, classes=("a", "b"))
    with pytest.raises(ValueError, match="unconditional, but 3 class names"):
        Interpolator(generator, classes=CLASSES)
    with pytest.raises(ValueError, match="class 3 does not exist"):
        Interpolator(conditional_generator, start_class=3)
    with pytest.raises(ValueError, match="conditional one"):
        LatentArithmetic(conditional_generator)
    assert [name for name, _ in LatentExplorer(conditional_generator).class_picker.options] == [
        "class 0", "class 1", "class 2"]


def test_the_interpolator_walks_between_two_classes_at_fixed_z(conditional_generator):
    from dcgan_helpers.viz import pictures

    walk = Interpolator(conditional_generator, classes=CLASSES, start_seed=5, end_seed=5, start_class=0, end_class=2,
                        frames=5)
    same_z = np.repeat(walk.latent_path()[:1], 3, axis=0)
    ends = pictures(conditional_generator, same_z, labels=[0, 1, 2])
    np.testing.assert_allclose(walk.frames[0], ends[0], atol=1)  # the first frame is class 0, the last class 2
    np.testing.assert_allclose(walk.frames[-1], ends[2], atol=1)
    assert not np.array_equal(walk.frames[2], walk.frames[0]) and not np.array_equal(walk.frames[2], walk.frames[-1])
    strip = bytes(walk.strip.value)
    walk.class_pickers[1].value = 1
    assert bytes(walk.strip.value) != strip
    np.testing.assert_allclose(walk.frames[-1], ends[1], atol=1)


def test_playground_trains_a_conditional_session_on_the_labels(tiny_config, playground_images, tmp_path):
    config = tiny_config.replace(conditional=True, classes=CLASSES)
    labels = np.arange(len(playground_images)) % len(CLASSES)
    playground = Playground(config, playground_images, epochs=1, runs_dir=tmp_path, labels=labels)
    playground.start_button.click()
    assert playground.outcome == "finished", playground.status.value
    assert playground.session.config.classes == CLASSES
    assert class_count(playground.session.load_generator()) == len(CLASSES)
    keras.backend.clear_session()
