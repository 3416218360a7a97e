"""The private Keras names the package relies on (``gan.KERAS_INTERNALS``) are still where it expects them."""

import importlib

import keras
import pytest

from dcgan_helpers.gan import DCGAN, KERAS_INTERNALS, build_dcgan
from dcgan_helpers.pipeline import training_dataset

pytestmark = pytest.mark.kernel


def owner(dotted: str):
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)


@pytest.mark.parametrize("dotted, name", KERAS_INTERNALS, ids=[name for _, name in KERAS_INTERNALS])
def test_each_private_keras_name_still_exists(dotted, name):
    found = owner(dotted)
    assert hasattr(found, name) or name in vars(found(name="probe")), (
        f"Keras {keras.__version__} has no {dotted}.{name}: see 'Private Keras' in dcgan_helpers/gan.py")


def test_fit_still_calls_the_build_hook_the_dcgan_replaces(tiny_config, images, monkeypatch):
    calls = []
    monkeypatch.setattr(DCGAN, "_maybe_symbolic_build", lambda self, **kwargs: calls.append(kwargs))
    gan = build_dcgan(tiny_config)
    gan.fit(training_dataset(images, tiny_config), epochs=1, steps_per_epoch=1, verbose=0)
    assert calls, f"Keras {keras.__version__}'s fit no longer calls _maybe_symbolic_build; see dcgan_helpers/gan.py"
