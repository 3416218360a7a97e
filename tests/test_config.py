import json

import pytest

from dcgan_helpers.config import MODEL_SHAPING_KEYS, GANConfig, parse_assignments
from dcgan_helpers.datasets import DATASETS, preset
from dcgan_helpers.errors import ConfigError

pytestmark = pytest.mark.kernel


@pytest.mark.parametrize("name", DATASETS)
def test_presets_round_trip_through_json(name, tmp_path):
    config = preset(name)
    assert GANConfig.from_json(config.to_json()) == config
    config.save(tmp_path / "config.json")
    assert GANConfig.load(tmp_path / "config.json") == config
    assert config.dataset == name


def test_round_trip_keeps_none_and_booleans():
    config = GANConfig(precision="mixed_bfloat16", jit_compile=None, steps_per_epoch=7)
    again = GANConfig.from_dict(json.loads(config.to_json()))
    assert (again.precision, again.jit_compile, again.steps_per_epoch) == ("mixed_bfloat16", None, 7)


def test_presets_hold_their_designs():
    celeba, hands = preset("celeba64"), preset("hands64")
    assert (celeba.image_size, celeba.channels, celeba.architecture, celeba.kernel_size) == (64, 3, "radford", 4)
    assert (celeba.generator_learning_rate, celeba.beta_1, celeba.batch_size, celeba.noise_dim) == (2e-4, 0.5, 128, 100)
    assert (hands.architecture, hands.kernel_size) == ("dense", 5)
    assert hands.label_smoothing > 0


def test_unknown_key_is_rejected_with_the_valid_keys_and_a_suggestion():
    with pytest.raises(ConfigError) as raised:
        GANConfig.from_dict({"nois_dim": 64})
    message = str(raised.value)
    assert "'nois_dim'" in message and "did you mean 'noise_dim'" in message
    for key in ("noise_dim", "label_smoothing", "batch_size", "jit_compile"):
        assert key in message


def test_replace_rejects_unknown_keys():
    with pytest.raises(ConfigError, match="learning_rat"):
        GANConfig().replace(learning_rat=1e-3)


def test_assignments_are_parsed_by_field_type():
    values = parse_assignments([
        "steps_per_epoch=5", "label_smoothing=0.1", "precision=auto", "jit_compile=true",
        "architecture=dense", "steps_per_epoch=none",
    ])
    assert values == {
        "steps_per_epoch": None, "label_smoothing": 0.1, "precision": None, "jit_compile": True,
        "architecture": "dense",
    }
    assert GANConfig().replace(**parse_assignments(["noise_dim=64"])).noise_dim == 64


@pytest.mark.parametrize("assignment, fragment", [
    ("batch_size=big", "batch_size must be a int number"),
    ("jit_compile=maybe", "true, false or auto"),
    ("noise_dim", "expected KEY=VALUE"),
    ("colour=red", "unknown config key 'colour'"),
])
def test_bad_assignments_say_what_was_expected(assignment, fragment):
    with pytest.raises(ConfigError, match=fragment):
        GANConfig().replace(**parse_assignments([assignment]))


@pytest.mark.parametrize("changes, fragment", [
    ({"image_size": 30}, "image_size must be one of 28, 32, 64, 128"),
    ({"channels": 2}, "channels must be 1"),
    ({"architecture": "unet"}, "architecture must be one of radford, paper, dense"),
    ({"noise_distribution": "gaussian"}, "noise_distribution must be one of normal, uniform"),
    ({"weight_decay": -1e-5}, "weight_decay must be in"),
    ({"label_smoothing": 1.0}, "label_smoothing must be in"),
    ({"label_noise": 0.5}, "label_noise must be in"),
    ({"batch_size": 0}, "batch_size must be a positive number"),
    ({"layers_per_resolution": 0}, "layers_per_resolution must be a positive number"),
    ({"generator_learning_rate": float("inf")}, "generator_learning_rate must be a positive number"),
    ({"batch_size": 12.5}, "batch_size must be int"),
    ({"jit_compile": "yes"}, "jit_compile must be bool or None"),
    ({"beta_1": 1.0}, "beta_1 must be in"),
    ({"ema_decay": 1.0}, "ema_decay must be in"),
    ({"ema_start_step": -1}, "ema_start_step must be 0 or more"),
    ({"precision": "float16"}, "precision must be one of float32, mixed_float16, mixed_bfloat16 or auto"),
    ({"seed": -1}, "seed must be a whole number from 0 to 4294967295"),
    ({"seed": 2**32}, "seed must be a whole number from 0 to 4294967295"),
    ({"noise_dim": 100_000}, "noise_dim must be at most 4096"),
    ({"generator_filters": 4096}, "generator_filters must be at most 1024"),
    ({"discriminator_filters": 4096}, "discriminator_filters must be at most 1024"),
    ({"batch_size": 1_000_000}, "batch_size must be at most 8192"),
])
def test_invalid_values_are_rejected(changes, fragment):
    with pytest.raises(ConfigError, match=fragment):
        GANConfig(**changes)


def test_unknown_preset_names_the_known_ones():
    with pytest.raises(ConfigError, match="fashion_mnist, celeba64, hands64"):
        preset("mnist")


def test_model_shaping_keys_are_fields():
    assert set(MODEL_SHAPING_KEYS) <= set(GANConfig().to_dict())


def test_largest_allowed_values_are_accepted():
    GANConfig(seed=2**32 - 1, noise_dim=4096, generator_filters=1024, discriminator_filters=1024, batch_size=8192)


@pytest.mark.parametrize("text", ["[]", "null", "3", '"fashion_mnist"', "\u00ff\u00fe"])
def test_a_config_file_that_is_not_an_object_is_refused_in_one_sentence(tmp_path, text):
    path = tmp_path / "config.json"
    path.write_text(text, encoding="latin-1")
    with pytest.raises(ConfigError, match="config.json") as raised:
        GANConfig.load(path)
    assert "\n" not in str(raised.value)


def test_a_config_saved_before_the_paper_design_loads_as_the_torch_family_layout_without_weight_decay():
    saved = preset("celeba64").to_dict()
    for newer in ("weight_decay", "noise_distribution"):
        del saved[newer]
    config = GANConfig.from_dict(saved)
    assert (config.architecture, config.kernel_size, config.weight_decay) == ("radford", 4, 0.0)
    assert config.noise_distribution == "normal"
