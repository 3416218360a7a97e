"""Opening a session someone shared runs no code from it: generators are rebuilt from config.json and
only their weights are read, whatever model config a ``.keras`` file in the session carries."""

import contextlib
import zipfile

import keras
import numpy as np
import pytest
from keras import layers
from support.data import make_fashion_mnist_folder

from dcgan_helpers.cli import main
from dcgan_helpers.fashion_mnist import load_fashion_mnist
from dcgan_helpers.session import Session

pytestmark = pytest.mark.kernel


def code_that_writes(marker) -> keras.Model:
    """A model whose Lambda layer writes ``marker`` whenever Keras builds or calls it."""
    writes = eval(f"lambda x: (__import__('pathlib').Path({str(marker)!r}).write_text('ran'), x)[1]")
    return keras.Sequential([keras.Input((4,)), layers.Lambda(writes, name="payload")])


def craft(honest, malicious_config: bytes, target) -> None:
    """``target``: the honest file's weights and metadata under a model config that runs code."""
    with zipfile.ZipFile(honest) as source, zipfile.ZipFile(target, "w") as crafted:
        for name in source.namelist():
            crafted.writestr(name, malicious_config if name == "config.json" else source.read(name))


@pytest.fixture
def shared_session(tmp_path, tiny_config):
    """A trained session whose generator.keras and best_generator.keras would run code if loaded as models."""
    data = make_fashion_mnist_folder(tmp_path / "data" / "fashion-mnist", train_count=64, test_count=200)
    session = Session.create(tiny_config, tmp_path / "runs")
    session.train(load_fashion_mnist(data)[0], epochs=1, verbose=0,
                  metric=session.metric(lambda images: float(np.abs(images).mean()), samples=8))
    marker = tmp_path / "code-ran"
    saved = tmp_path / "payload.keras"
    code_that_writes(marker).save(saved)
    marker.unlink(missing_ok=True)
    with zipfile.ZipFile(saved) as archive:
        malicious_config = archive.read("config.json")
    for name in ("generator.keras", "best_generator.keras"):
        honest = tmp_path / f"honest-{name}"
        (session.path / name).rename(honest)
        craft(honest, malicious_config, session.path / name)
    return session, marker


def test_the_crafted_file_runs_its_code_when_loaded_as_a_model(shared_session):
    session, marker = shared_session
    with contextlib.suppress(Exception):  # its weights do not fit the crafted model; the code has run by then
        keras.models.load_model(session.files.generator_path, safe_mode=False)
    assert marker.read_text() == "ran"


def test_session_loads_both_generators_without_running_their_code(shared_session):
    session, marker = shared_session
    trained = session.restore().gan
    noise = np.random.default_rng(0).standard_normal((4, session.config.noise_dim)).astype(np.float32)
    expected = keras.ops.convert_to_numpy(trained.sampling_generator(noise, training=False))
    for best in (False, True):
        generator = session.load_generator(best=best)
        np.testing.assert_allclose(keras.ops.convert_to_numpy(generator(noise, training=False)), expected, atol=1e-6)
    assert not marker.exists()


def test_generate_and_evaluate_on_the_command_line_run_no_code_of_the_session(shared_session, tmp_path, monkeypatch):
    session, marker = shared_session
    monkeypatch.setenv("DCGAN_DATA_DIR", str(tmp_path / "data"))
    runs = ["--runs-dir", str(tmp_path / "runs")]
    assert main(["generate", *runs, "1", str(session.config.noise_dim), "4"]) == 0
    assert main(["evaluate", *runs, "--samples", "200", "1"]) == 0
    assert main(["evaluate", *runs, "--best", "--samples", "200", "1"]) == 0
    assert len(list((session.path / "generated").glob("*.png"))) == 4
    assert not marker.exists()
