"""The class-conditional DCGAN: its config, labels from every dataset, networks, pipeline, sessions and commands."""

import json

import numpy as np
import pytest
from support.cli import run_dcgan
from support.layouts import jpeg_bytes, make_hands, write_members
from support.tiny import TINY_CONFIG, tiny_set

from dcgan_helpers.config import GANConfig
from dcgan_helpers.datasets import DATASETS, load_images, load_labels, preset
from dcgan_helpers.errors import ConfigError, DataFormatError, UsageError
from dcgan_helpers.fashion_mnist import FASHION_MNIST_CLASSES
from dcgan_helpers.latent import class_count, generate, generator_inputs, noise, noise_size
from dcgan_helpers.models import build_discriminator, build_generator
from dcgan_helpers.pipeline import make_dataset, training_dataset
from dcgan_helpers.session import Session, training_data

CLASSES = ("circle", "square", "star")
TINY_CONDITIONAL = TINY_CONFIG.replace(conditional=True, classes=CLASSES)


def labelled_images(count: int = 48, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Random images whose first pixel holds their class, with those classes."""
    rng = np.random.default_rng(seed)
    labels = np.arange(count) % len(CLASSES)
    images = rng.integers(0, 256, (count, 28, 28, 1), dtype=np.uint8)
    images[:, 0, 0, 0] = labels
    return images, labels


# The config
def test_every_preset_stays_unconditional():
    for entry in DATASETS.values():
        assert entry.preset.conditional is False and entry.preset.classes == ()


def test_classes_round_trip_through_json_and_belong_to_a_conditional_config(tmp_path):
    TINY_CONDITIONAL.save(tmp_path / "config.json")
    assert GANConfig.load(tmp_path / "config.json") == TINY_CONDITIONAL
    with pytest.raises(ConfigError, match="set conditional=true"):
        GANConfig(classes=("a", "b"))
    with pytest.raises(ConfigError, match="at least two classes"):
        GANConfig(conditional=True, classes=("only",))
    with pytest.raises(ConfigError, match="distinct"):
        GANConfig(conditional=True, classes=("a", "a"))


def test_classes_cannot_be_set_on_the_command_line():
    from dcgan_helpers.config import parse_assignments

    assert parse_assignments(["conditional=true"]) == {"conditional": True}
    with pytest.raises(ConfigError, match="come from the data"):
        parse_assignments(["classes=a,b"])


def test_a_class_is_named_in_any_case_or_by_index_and_an_unknown_one_lists_the_valid_ones():
    config = preset("fashion_mnist").replace(conditional=True, classes=FASHION_MNIST_CLASSES)
    assert config.class_index("sneaker") == 7 == config.class_index("7") == config.class_index(7)
    assert config.class_index("T-SHIRT/TOP") == 0
    with pytest.raises(ConfigError, match="unknown class 'boot'.*9 Ankle boot"):
        config.class_index("boot")
    with pytest.raises(ConfigError, match="unknown class '10'"):
        config.class_index(10)
    with pytest.raises(ConfigError, match="unconditional"):
        preset("fashion_mnist").class_index("sneaker")


def test_checkpoints_written_before_the_conditional_option_still_fit_an_unconditional_config():
    added = ("conditional", "classes", "class_conditioning")
    older = {key: value for key, value in TINY_CONFIG.model_shape().items() if key not in added}
    assert GANConfig.stored_model_shape(older) == TINY_CONFIG.model_shape()
    assert GANConfig.stored_model_shape(older) != TINY_CONDITIONAL.model_shape()


# The networks
@pytest.mark.parametrize("architecture", ["radford", "paper", "dense"])
def test_the_generator_draws_the_class_it_is_given_with_the_same_noise(architecture):
    config = TINY_CONDITIONAL.replace(architecture=architecture, image_size=32)
    generator = build_generator(config)
    assert noise_size(generator) == config.noise_dim and class_count(generator) == len(CLASSES)
    latent = np.repeat(noise(1, config.noise_dim), 3, axis=0)
    images = np.asarray(generator([latent, np.arange(3, dtype=np.int32)], training=False))
    assert images.shape == (3, 32, 32, 1)
    assert not np.allclose(images[0], images[1]) and not np.allclose(images[1], images[2])


def test_the_projection_discriminator_adds_the_inner_product_of_its_features_with_the_class_vector():
    import keras

    discriminator = build_discriminator(TINY_CONDITIONAL.replace(class_conditioning="projection"))
    images = np.random.default_rng(0).uniform(-1, 1, (4, 28, 28, 1)).astype(np.float32)
    labels = np.array([0, 1, 2, 1], np.int32)
    features = keras.Model(discriminator.inputs, discriminator.get_layer("flatten").output)([images, labels])
    features = np.asarray(features)
    dense = discriminator.get_layer("logit")
    expected = features @ np.asarray(dense.kernel) + np.asarray(dense.bias)
    expected += np.sum(np.asarray(discriminator.get_layer("class_projection").embeddings)[labels] * features,
                       axis=1, keepdims=True)
    np.testing.assert_allclose(np.asarray(discriminator([images, labels], training=False)), expected, rtol=1e-4,
                               atol=1e-5)


def test_the_concatenating_discriminator_sees_the_image_with_one_plane_per_class():
    import keras

    discriminator = build_discriminator(TINY_CONDITIONAL)
    images = np.random.default_rng(0).uniform(-1, 1, (3, 28, 28, 1)).astype(np.float32)
    labels = np.array([2, 0, 1], np.int32)
    joined = np.asarray(keras.Model(discriminator.inputs, discriminator.get_layer("image_and_class").output)(
        [images, labels]))
    assert joined.shape == (3, 28, 28, 1 + len(CLASSES))
    np.testing.assert_array_equal(joined[..., 0], images[..., 0])
    for row, label in enumerate(labels):
        np.testing.assert_array_equal(joined[row, ..., 1:], np.eye(len(CLASSES))[label] * np.ones((28, 28, 1)))
    scores = np.asarray(discriminator([images, labels], training=False))
    other_scores = np.asarray(discriminator([images, (labels + 1) % len(CLASSES)], training=False))
    assert scores.shape == (3, 1) and not np.allclose(scores, other_scores)


def test_class_conditioning_is_one_of_the_two_measured():
    with pytest.raises(ConfigError, match="concatenation, projection"):
        TINY_CONDITIONAL.replace(class_conditioning="auxiliary")


def test_a_conditional_network_needs_its_classes():
    with pytest.raises(ConfigError, match="come from the data"):
        build_generator(TINY_CONFIG.replace(conditional=True))


def test_generator_inputs_cycle_through_the_classes_and_refuse_a_class_the_generator_lacks():
    generator = build_generator(TINY_CONDITIONAL)
    latent = noise(5, TINY_CONDITIONAL.noise_dim)
    assert list(generator_inputs(generator, latent)[1]) == [0, 1, 2, 0, 1]
    assert list(generator_inputs(generator, latent, 2)[1]) == [2] * 5
    with pytest.raises(ValueError, match="0 to 2"):
        generator_inputs(generator, latent, 3)
    with pytest.raises(ValueError, match="unconditional"):
        generator_inputs(build_generator(TINY_CONFIG), latent, 1)
    same_class = generate(generator, 4, seed=3, labels=1)
    np.testing.assert_allclose(generate(generator, 4, seed=3, labels=[1, 1, 1, 1]), same_class)


# The pipeline
def test_each_batch_carries_the_labels_of_its_own_images():
    images, labels = labelled_images()
    stream = iter(make_dataset(images, TINY_CONDITIONAL, labels=labels))
    for _ in range(6):  # more than one pass: every pass has its own order
        batch, batch_labels = next(stream)
        pixels = np.rint((np.asarray(batch)[:, 0, 0, 0] + 1) * 127.5).astype(int)
        np.testing.assert_array_equal(pixels, np.asarray(batch_labels))
    real_images, real_labels, step_noise, draws = next(iter(training_dataset(images, TINY_CONDITIONAL, labels=labels)))
    assert real_labels.dtype == "int32" and step_noise.shape == (16, TINY_CONFIG.noise_dim)


def test_the_pipeline_refuses_missing_or_wrong_labels():
    images, labels = labelled_images()
    with pytest.raises(UsageError, match="labelled images"):
        training_dataset(images, TINY_CONDITIONAL)
    with pytest.raises(DataFormatError, match="0 to 2"):
        make_dataset(images, TINY_CONDITIONAL, labels=labels + 1)
    with pytest.raises(DataFormatError, match="one whole-number class label per image"):
        make_dataset(images, TINY_CONDITIONAL, labels=labels[:-1])
    with pytest.raises(UsageError, match="conditional=true"):
        make_dataset(images, TINY_CONFIG, labels=labels)


# Labels from the datasets
def test_fashion_mnist_labels_come_with_the_ten_class_names(data_root):
    images = load_images("fashion_mnist", data_root / "fashion-mnist")
    labels, classes = load_labels("fashion_mnist", images, data_root / "fashion-mnist")
    assert classes == FASHION_MNIST_CLASSES and labels.shape == (len(images),) and labels.dtype == np.int32


@pytest.mark.parametrize("zipped", [False, True])
def test_hand_labels_are_the_values_of_the_named_columns_in_the_order_of_the_images(tmp_path, zipped):
    root = make_hands(tmp_path / "hands", count=12, zipped=zipped)
    images = load_images("hands64", root, size=32)
    labels, classes = load_labels("hands64", images, root, "aspectOfHand")
    assert classes == ("dorsal left", "dorsal right", "palmar left", "palmar right")
    written = ("dorsal right", "dorsal left", "palmar right", "palmar left")  # as support.layouts cycles them
    assert [classes[label] for label in labels] == [written[index % 4] for index in range(12)]
    labels, classes = load_labels("hands64", images, root, "gender+aspectOfHand")
    assert classes[0] == "female, dorsal left" and len(classes) == 4  # gender and aspect cycle together here
    with pytest.raises(ConfigError, match="handedness.*not one of"):
        load_labels("hands64", images, root, "handedness")


def test_hand_labels_follow_the_images_when_a_photo_cannot_be_read(tmp_path):
    root = make_hands(tmp_path / "hands", count=8)
    (root / "Hands" / "Hand_0000003.jpg").write_bytes(b"not a jpeg")  # the second row: "dorsal left"
    images = load_images("hands64", root, size=32)
    labels, classes = load_labels("hands64", images, root, "aspectOfHand")
    assert len(images) == len(labels) == 7
    assert [classes[label] for label in labels][:2] == ["dorsal right", "palmar right"]


def test_a_hand_subset_with_one_class_is_refused(tmp_path):
    root = make_hands(tmp_path / "hands", count=8)
    images = load_images("hands64", root, size=32, data_filter="aspectOfHand=dorsal right")
    with pytest.raises(DataFormatError, match="at least two classes.*'dorsal right'"):
        load_labels("hands64", images, root, "aspectOfHand")


def class_folder(root, layout: dict[str, int]):
    members = {f"{name}/{index}.jpg" if name else f"{index}.jpg": jpeg_bytes(40, 30, 10 * number + index)
               for number, (name, count) in enumerate(layout.items()) for index in range(count)}
    return write_members(root, members)


def test_a_folder_labels_each_image_by_its_first_level_subfolder(tmp_path):
    folder = class_folder(tmp_path / "mine", {"cats": 3, "dogs": 2})
    (folder / "dogs" / "puppies").mkdir()
    (folder / "dogs" / "puppies" / "small.jpg").write_bytes(jpeg_bytes(40, 30, 99))
    images = load_images("folder", folder, size=32)
    labels, classes = load_labels("folder", images, folder)
    assert classes == ("cats", "dogs") and list(labels) == [0, 0, 0, 1, 1, 1]


def test_a_folder_with_one_class_or_loose_images_is_refused(tmp_path):
    single = class_folder(tmp_path / "single", {"cats": 3})
    with pytest.raises(DataFormatError, match="at least two classes.*'cats'"):
        load_labels("folder", load_images("folder", single, size=32), single)
    loose = class_folder(tmp_path / "loose", {"cats": 2, "": 1})
    with pytest.raises(DataFormatError, match="1 images lie directly in .*class subfolder"):
        load_labels("folder", load_images("folder", loose, size=32), loose)


def test_datasets_without_classes_or_columns_are_refused(data_root):
    images = load_images("fashion_mnist", data_root / "fashion-mnist")
    with pytest.raises(UsageError, match="label_by names metadata columns"):
        load_labels("fashion_mnist", images, data_root / "fashion-mnist", "aspectOfHand")
    assert DATASETS["celeba64"].labels is None
    with pytest.raises(UsageError, match="celeba64 has no classes"):
        load_labels("celeba64", images)


# Sessions
def test_a_session_records_the_classes_of_its_data_and_refuses_other_classes_on_resume(tmp_path):
    folder = class_folder(tmp_path / "mine", {"cats": 20, "dogs": 20})
    overrides = {"conditional": True, "image_size": 32, "channels": 3, "generator_filters": 8,
                 "discriminator_filters": 8, "batch_size": 8, "steps_per_epoch": 2, "preview_count": 4}
    with Session.prepare("folder", 1, overrides=overrides, data_dir=folder, runs_dir=tmp_path / "runs") as (
            session, images, labels):
        assert session.config.classes == ("cats", "dogs")
        assert json.loads(session.files.config_path.read_text())["classes"] == ["cats", "dogs"]
        session.train(images, 1, labels=labels, verbose=0)
    class_folder(folder, {"birds": 20})
    resumed = Session.prepare("folder", 1, resume_from=1, data_dir=folder, runs_dir=tmp_path / "runs")
    with pytest.raises(UsageError, match="data's classes are birds, cats, dogs.*trained on cats, dogs"), resumed:
        pass


def test_a_conditional_session_resumes_exactly(tmp_path):
    images, labels = labelled_images()
    config = TINY_CONDITIONAL.replace(steps_per_epoch=3)
    whole = Session.create(config, tmp_path, number=1)
    whole.train(images, 2, labels=labels, verbose=0)
    broken = Session.create(config, tmp_path, number=2)
    broken.train(images, 1, labels=labels, verbose=0)
    Session(broken.path).train(images, 1, labels=labels, verbose=0)
    for expected, resumed in zip(whole.load_generator().weights, broken.load_generator().weights, strict=True):
        np.testing.assert_array_equal(np.asarray(expected), np.asarray(resumed))
    with pytest.raises(UsageError, match="labelled images"):
        Session(broken.path).train(images, 1, verbose=0)


def test_training_data_fills_in_the_classes(data_root):
    config, images, labels = training_data(TINY_CONFIG.replace(conditional=True), data_root / "fashion-mnist")
    assert config.classes == FASHION_MNIST_CLASSES and len(labels) == len(images)
    assert training_data(TINY_CONFIG, data_root / "fashion-mnist")[2] is None


# The command line
@pytest.mark.subprocess
def test_the_command_line_trains_a_conditional_session_and_generates_the_classes_asked_for(data_root, tmp_path):
    runs = tmp_path / "runs"
    common = ["--dataset", "fashion_mnist", "--runs-dir", runs]
    trained = run_dcgan("train", *common, "--data-dir", data_root / "fashion-mnist", *tiny_set(),
                        "--set", "conditional=true", 1, 1, cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr
    assert "classes: T-shirt/top (" in trained.stdout
    made = run_dcgan("generate", *common, "--label", "sneaker", "--label", "0", "--out", tmp_path / "out", 1,
                     TINY_CONFIG.noise_dim, 2, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == [
        "sneaker_0000.png", "sneaker_0001.png", "t-shirt-top_0002.png", "t-shirt-top_0003.png"]
    unknown = run_dcgan("generate", *common, "--label", "hat", 1, TINY_CONFIG.noise_dim, 2, cwd=tmp_path)
    assert unknown.returncode == 2 and "unknown class 'hat'" in unknown.stderr and "7 Sneaker" in unknown.stderr
    assert len(unknown.stderr.strip().splitlines()) == 1


@pytest.mark.subprocess
def test_a_label_for_an_unconditional_session_exits_2(trained_once, tmp_path):
    runs = trained_once.parent.parent
    result = run_dcgan("generate", "--runs-dir", runs, "--label", "sneaker", 1, TINY_CONFIG.noise_dim, 2,
                       cwd=tmp_path)
    assert result.returncode == 2 and "unconditional" in result.stderr


@pytest.mark.subprocess
def test_the_command_line_trains_on_labelled_hands_and_folders(tmp_path):
    hands = make_hands(tmp_path / "hands", count=24)
    folder = class_folder(tmp_path / "mine", {"cats": 12, "dogs": 12})
    small = ["--set", "image_size=32", "--set", "generator_filters=8", "--set", "discriminator_filters=8",
             "--set", "batch_size=8", "--set", "preview_count=4", "--set", "conditional=true"]
    for dataset, data, label in (("hands64", hands, "palmar left"), ("folder", folder, "dogs")):
        common = ["--dataset", dataset, "--runs-dir", tmp_path / "runs"]
        trained = run_dcgan("train", *common, "--data-dir", data, *small, 1, 1, cwd=tmp_path)
        assert trained.returncode == 0, trained.stderr
        made = run_dcgan("generate", *common, "--label", label, "--out", tmp_path / dataset, 1, 100, 2, cwd=tmp_path)
        assert made.returncode == 0, made.stderr
        slug = label.replace(" ", "-")
        assert sorted(path.name for path in (tmp_path / dataset).iterdir()) == [f"{slug}_0000.png", f"{slug}_0001.png"]


@pytest.mark.subprocess
def test_conditional_on_a_dataset_without_classes_exits_2(tmp_path):
    result = run_dcgan("train", "--dataset", "celeba64", "--runs-dir", tmp_path / "runs", "--data-dir", tmp_path,
                       "--set", "conditional=true", 1, 1, cwd=tmp_path)
    assert result.returncode == 2, result.stderr


def test_evaluate_reports_how_often_each_asked_for_class_is_drawn(tmp_path):
    from support.data import make_fashion_mnist_folder

    from dcgan_helpers.evaluation import evaluate_session

    data = make_fashion_mnist_folder(tmp_path / "fashion-mnist", test_count=300)

    start = preset("fashion_mnist")
    tiny = {key: value for key, value in TINY_CONFIG.to_dict().items() if value != getattr(start, key)}
    with Session.prepare("fashion_mnist", 1, overrides={**tiny, "conditional": True},
                         data_dir=data, runs_dir=tmp_path) as (session, images, labels):
        session.train(images, 1, labels=labels, verbose=0)
    result = evaluate_session(Session(session.path), data, samples=200)
    fidelity = result["class_fidelity"]
    assert set(fidelity["per_class"]) == set(FASHION_MNIST_CLASSES) and fidelity["sample_count"] == 200
    assert 0 <= fidelity["overall"] <= 1 and set(fidelity["real_per_class"]) <= set(FASHION_MNIST_CLASSES)


def test_the_time_estimate_trains_a_conditional_gan_on_its_labels():
    from dcgan_helpers.timing import estimate_training_time

    images, labels = labelled_images()
    config = TINY_CONDITIONAL.replace(batch_size=8)
    estimate = estimate_training_time(config, images, epochs=2, steps=2, warmup_steps=1, labels=labels)
    assert estimate.epochs == 2 and estimate.measured_steps == 2 and estimate.seconds_per_step > 0
    with pytest.raises(UsageError, match="labelled images"):
        estimate_training_time(config, images, epochs=2, steps=2, warmup_steps=1)
