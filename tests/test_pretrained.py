"""Generator files: a session's generator exported, loaded elsewhere, sampled on the command line; damage refused."""

import json
import zipfile

import numpy as np
import pytest

from dcgan_helpers import pretrained
from dcgan_helpers.cli import main
from dcgan_helpers.latent import generate

pytestmark = pytest.mark.kernel


def same_weights(first, second) -> bool:
    return all(np.array_equal(a, b) for a, b in zip(first.get_weights(), second.get_weights(), strict=True))


@pytest.fixture
def exported(scored_session, tmp_path):
    return pretrained.export(scored_session, tmp_path / "shared" / "generator.npz")


def test_an_exported_generator_loads_without_its_session_and_says_what_it_holds(scored_session, exported):
    loaded = pretrained.load(exported)
    assert same_weights(loaded, scored_session.load_generator())
    held = pretrained.read(exported)
    assert held.record == {"dataset": "fashion_mnist", "epochs": 1, "session": 1}
    assert held.config == scored_session.config
    assert held.describe() == "a 28×28 grayscale fashion_mnist generator (noise 100), 1 epoch"


def test_the_best_generator_exports_with_its_score(scored_session, tmp_path):
    held = pretrained.read(pretrained.export(scored_session, tmp_path / "best.npz", best=True))
    assert held.record["score"] == {"fid": 5.0, "samples": 8}
    assert same_weights(held.generator(), scored_session.load_generator(best=True))


def test_export_and_sample_on_the_command_line_draw_the_session_s_images(scored_session, tmp_path, monkeypatch,
                                                                        capsys):
    monkeypatch.setenv("DCGAN_RUNS_DIR", str(scored_session.path.parent.parent))
    file = tmp_path / "elsewhere" / "g.npz"
    assert main(["export", "1", str(file)]) == 0
    assert "wrote a 28×28 grayscale fashion_mnist generator" in capsys.readouterr().out
    assert main(["sample", "--out", str(tmp_path / "pictures"), "--seed", "3", str(file), "4"]) == 0
    written = sorted((tmp_path / "pictures").glob("image_*.png"))
    assert len(written) == 4
    import imageio.v3 as iio

    from dcgan_helpers.images import to_uint8, without_gray_channel

    expected = without_gray_channel(to_uint8(generate(scored_session.load_generator(), 4, 3)))
    np.testing.assert_array_equal(np.stack([iio.imread(path) for path in written]), expected)


def rewrite(path, target, change):
    """Copy a generator file with ``change(arrays)`` applied, keeping every other array as written."""
    with np.load(path) as stored:
        arrays = {key: stored[key] for key in stored.files}
    change(arrays)
    with open(target, "wb") as stream:
        np.savez(stream, **arrays)
    return target


class WritesAFile:
    """Unpickling this object would create ``ran`` beside the file: proof that code in a file ran."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (str(self.path), "w"))


@pytest.mark.parametrize("damage, fragment", [
    ("truncated", "is not a generator file that can be read"),
    ("altered weight", "does not match its checksum"),
    ("altered record", "does not match its checksum"),
    ("pickled object", "is not a generator file that can be read"),
    ("not a zip", "is not a generator file that can be read"),
    ("another format", "expected 'dcgan-generator/1'"),
])
def test_a_damaged_or_crafted_file_is_refused_in_one_sentence_and_runs_no_code(exported, tmp_path, capsys, damage,
                                                                              fragment):
    target = tmp_path / "damaged.npz"
    if damage == "truncated":
        target.write_bytes(exported.read_bytes()[:-200])
    elif damage == "altered weight":
        def nudge(arrays):
            arrays["weights/0000"].flat[0] += 1.0

        rewrite(exported, target, nudge)
    elif damage == "altered record":
        rewrite(exported, target, lambda arrays: arrays.__setitem__("record", np.array(json.dumps({"epochs": 99}))))
    elif damage == "pickled object":
        payload = np.array([WritesAFile(tmp_path / "ran")], dtype=object)
        rewrite(exported, target, lambda arrays: arrays.__setitem__("config", payload))
        with zipfile.ZipFile(target) as archive:
            assert b"'descr': '|O'" in archive.read("config.npy")[:200]  # the archive does hold a pickle
    elif damage == "not a zip":
        target.write_text("just text")
    else:
        rewrite(exported, target, lambda arrays: arrays.__setitem__("format", np.array("keras/3")))
    with pytest.raises(pretrained.GeneratorFileError, match=fragment):
        pretrained.load(target)
    assert main(["sample", "--out", str(tmp_path / "out"), str(target), "2"]) == 2
    error = capsys.readouterr().err
    assert fragment in error and len(error.strip().splitlines()) == 1
    assert not (tmp_path / "ran").exists() and not (tmp_path / "out").exists()


def test_a_generator_of_another_dataset_says_what_it_holds(exported):
    with pytest.raises(pretrained.GeneratorFileError,
                       match="holds a 28×28 grayscale fashion_mnist generator .* not a celeba64 generator"):
        pretrained.load(exported, dataset="celeba64")


def test_a_missing_file_names_the_shipped_generators(tmp_path):
    with pytest.raises(pretrained.GeneratorFileError, match="no generator file .*'fashion_mnist'"):
        pretrained.load(tmp_path / "nothing.npz")


def test_the_shipped_generator_loads_offline_matches_its_checksum_and_record():
    held = pretrained.read("fashion_mnist")  # read verifies the checksum the file carries
    copy = json.loads(pretrained.SHIPPED["fashion_mnist"].with_suffix(".json").read_text())
    assert copy["sha256"] == held.checksum and held.record["dataset"] == "fashion_mnist"
    assert held.record["epochs_trained"] >= 20 and pretrained.SHIPPED["fashion_mnist"].stat().st_size < 5_000_000
    assert held.config.layers_per_resolution == 2 and held.config.ema_decay == 0.999  # the preset's networks
    assert held.generator().output_shape == (None, 28, 28, 1)


def test_the_shipped_generator_reproduces_its_recorded_scores(real_fashion_mnist):
    from dcgan_helpers.fashion_classifier import FashionMNISTJudge

    held = pretrained.read("fashion_mnist")
    report = FashionMNISTJudge(data_dir=real_fashion_mnist).evaluate(generate(held.generator(), 10_000, seed=0))
    # bfloat16 where the CPU has it, float32 elsewhere: 0.1% apart on this measure, measured
    assert report.frechet_distance == pytest.approx(held.record["frechet_distance"], rel=0.02)
    assert report.covered_classes == held.record["covered_classes"] == 10
