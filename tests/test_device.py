import pytest

from dcgan_helpers import device
from dcgan_helpers.config import GANConfig


@pytest.mark.parametrize("gpu, fast_float16, native_bfloat16, expected", [
    (True, True, False, "mixed_float16"),
    (True, False, True, "float32"),
    (False, False, True, "mixed_bfloat16"),
    (False, False, False, "float32"),
])
def test_automatic_precision_follows_the_hardware(monkeypatch, gpu, fast_float16, native_bfloat16, expected):
    monkeypatch.setattr(device, "gpus", lambda: ("gpu:0",) if gpu else ())
    monkeypatch.setattr(device, "gpu_has_fast_float16", lambda: fast_float16)
    monkeypatch.setattr(device, "cpu_has_native_bfloat16", lambda: native_bfloat16)
    assert device.dtype_policy(GANConfig()) == expected
    assert device.uses_loss_scaling(GANConfig()) == (expected == "mixed_float16")
    assert device.uses_xla(GANConfig()) == gpu
    assert device.dtype_policy(GANConfig(precision="float32")) == "float32"
    assert device.uses_xla(GANConfig(jit_compile=True))
    assert f"precision {expected}" in device.describe(GANConfig())
