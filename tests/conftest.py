"""Fixtures shared by the tests, and the markers that sort them (``pytest -m``; see pyproject.toml).

Helpers the tests import live in ``tests/support/``; programs they run in subprocesses in ``tests/scripts/``.
"""

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from support.data import make_fashion_mnist_folder  # noqa: E402
from support.paths import IN_CI, REAL_FASHION_MNIST  # noqa: E402
from support.tiny import TINY_CONFIG, training_images  # noqa: E402


def pytest_collection_modifyitems(items):
    """A test that uses the real Fashion-MNIST is marked ``real_data`` (and ``slow``: it reads 60,000 images)."""
    for item in items:
        if "real_fashion_mnist" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.real_data)
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def data_root(tmp_path_factory) -> Path:
    """A DCGAN_DATA_DIR-style root holding a small synthetic fashion-mnist/ folder."""
    root = tmp_path_factory.mktemp("data")
    make_fashion_mnist_folder(root / "fashion-mnist")
    return root


@pytest.fixture
def real_fashion_mnist() -> Path:
    """The real Fashion-MNIST from Debian's dataset-fashion-mnist: skipped on a reader's machine, required in CI."""
    if not (REAL_FASHION_MNIST / "train-images-idx3-ubyte.gz").is_file():
        if IN_CI:
            pytest.fail(f"CI must have the real Fashion-MNIST in {REAL_FASHION_MNIST} (.ci/run installs it)")
        pytest.skip("real Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)")
    return REAL_FASHION_MNIST


@pytest.fixture
def tiny_config():
    """``support.tiny.TINY_CONFIG``: an epoch takes a fraction of a second on a CPU."""
    return TINY_CONFIG


@pytest.fixture
def images():
    """Random images enough for a tiny session's steps."""
    return training_images()


@pytest.fixture(scope="session")
def trained_once(tmp_path_factory) -> Path:
    """A tiny session trained for one epoch with a metric that scored 5.0, trained once for every test."""
    from dcgan_helpers.session import Session

    session = Session.create(TINY_CONFIG, tmp_path_factory.mktemp("trained_once"))
    session.train(training_images(), 1, metric=session.metric(lambda images: 5.0, samples=8), verbose=0)
    return session.path


@pytest.fixture
def scored_session(trained_once, tmp_path):
    """A copy of ``trained_once`` for a test to read, resume or damage: its runs folder is ``tmp_path``."""
    from dcgan_helpers.session import Session

    copy = tmp_path / trained_once.parent.name / trained_once.name
    shutil.copytree(trained_once, copy)
    return Session(copy)
