import pytest

from dcgan_helpers import device
from dcgan_helpers.config import GANConfig
from dcgan_helpers.models import build_generator

pytestmark = pytest.mark.kernel


@pytest.mark.parametrize("gpu, fast_float16, native_bfloat16, expected", [
    (True, True, False, "mixed_float16"),
    (True, False, True, "float32"),
    (False, False, True, "mixed_bfloat16"),
    (False, False, False, "float32"),
])
def test_automatic_precision_follows_the_hardware(monkeypatch, gpu, fast_float16, native_bfloat16, expected):
    monkeypatch.setattr(device, "tpu_available", lambda: False)
    monkeypatch.setattr(device, "gpus", lambda: ("gpu:0",) if gpu else ())
    monkeypatch.setattr(device, "gpu_has_fast_float16", lambda: fast_float16)
    monkeypatch.setattr(device, "cpu_has_native_bfloat16", lambda: native_bfloat16)
    assert device.dtype_policy(GANConfig()) == expected
    assert device.uses_loss_scaling(GANConfig()) == (expected == "mixed_float16")
    assert device.uses_xla(GANConfig()) == gpu
    assert device.dtype_policy(GANConfig(precision="float32")) == "float32"
    assert device.uses_xla(GANConfig(jit_compile=True))
    assert f"precision {expected}" in device.describe(GANConfig())


@pytest.mark.parametrize("flags, isa_limit, native", [
    ("fpu avx2 avx512f avx512_bf16", None, True),
    ("fpu avx2 amx_bf16", None, True),
    ("fpu avx2 avx512f", None, False),
    ("fpu avx2 avx512f avx512_bf16", "AVX2", False),
    ("fpu avx2 avx512f avx512_bf16", "avx512_core_vnni", False),
    ("fpu avx2 avx512f avx512_bf16", "AVX512_CORE_BF16", True),
    ("fpu avx2 avx512f", "ALL", False),
])
def test_native_bfloat16_needs_the_instructions_and_onednn_allowed_to_use_them(
        monkeypatch, tmp_path, flags, isa_limit, native):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(f"processor\t: 0\nflags\t\t: {flags}\n")
    monkeypatch.setattr(device, "Path", lambda name: cpuinfo if name == "/proc/cpuinfo" else None)
    monkeypatch.delenv("DNNL_MAX_CPU_ISA", raising=False)
    if isa_limit is None:
        monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
    else:
        monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", isa_limit)
    device.cpu_has_native_bfloat16.cache_clear()
    try:
        assert device.cpu_has_native_bfloat16() == native
    finally:
        device.cpu_has_native_bfloat16.cache_clear()


def test_tpu_means_bfloat16_xla_and_many_steps_per_call(monkeypatch):
    monkeypatch.setattr(device, "tpu_available", lambda: True)
    monkeypatch.setattr(device, "gpus", lambda: ())
    assert device.dtype_policy(GANConfig()) == "mixed_bfloat16"
    assert device.uses_xla(GANConfig()) and device.steps_per_execution(GANConfig()) == 32


@pytest.mark.parametrize("gpu, image_size, expected", [(True, 28, 8), (True, 64, 1), (False, 28, 1)])
def test_steps_per_execution_grow_only_for_small_models_on_a_gpu(monkeypatch, gpu, image_size, expected):
    monkeypatch.setattr(device, "tpu_available", lambda: False)
    monkeypatch.setattr(device, "gpus", lambda: ("gpu:0",) if gpu else ())
    assert device.steps_per_execution(GANConfig(image_size=image_size)) == expected
    assert device.steps_per_execution(GANConfig(image_size=image_size, steps_per_execution=3)) == 3


def test_this_machine_trains_on_one_device_and_says_so():
    import tensorflow as tf

    if tf.config.list_physical_devices("GPU"):
        pytest.skip("a GPU machine picks its own strategy")
    assert device.default_strategy().num_replicas_in_sync == 1
    assert "replicas 1" in device.describe(GANConfig())


def test_the_first_question_asked_of_the_gpus_turns_on_memory_growth_once(monkeypatch):
    import tensorflow as tf

    growth = []
    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind=None: ["gpu:0", "gpu:1"])
    monkeypatch.setattr(tf.config.experimental, "set_memory_growth", lambda gpu, on: growth.append((gpu, on)))
    device.gpus.cache_clear()
    try:
        assert device.gpu_available() and device.gpus() == ("gpu:0", "gpu:1")
        assert growth == [("gpu:0", True), ("gpu:1", True)]
        device.dtype_policy(GANConfig(precision="float32"))
        assert len(growth) == 2
    finally:
        device.gpus.cache_clear()


def test_a_network_built_with_its_precision_fixed_still_asks_for_the_gpus_first(monkeypatch):
    asked = []
    monkeypatch.setattr(device, "gpu_available", lambda: asked.append(True) or False)
    build_generator(GANConfig(precision="float32", generator_filters=8))
    assert asked


@pytest.mark.parametrize("gpu, capability, native_bfloat16, natively", [
    (False, (0, 0), True, {"float32", "mixed_bfloat16"}),
    (False, (0, 0), False, {"float32"}),
    (True, (7, 5), False, {"float32", "mixed_float16"}),
    (True, (8, 0), False, {"float32", "mixed_float16", "mixed_bfloat16"}),
    (True, (6, 1), True, {"float32"}),
])
def test_precisions_run_natively_only_where_the_hardware_has_them(monkeypatch, gpu, capability, native_bfloat16,
                                                                   natively):
    monkeypatch.setattr(device, "tpu_available", lambda: False)
    monkeypatch.setattr(device, "gpus", lambda: ("gpu:0",) if gpu else ())
    monkeypatch.setattr(device, "gpu_compute_capability", lambda: capability)
    monkeypatch.setattr(device, "cpu_has_native_bfloat16", lambda: native_bfloat16)
    assert {precision for precision in ("float32", "mixed_float16", "mixed_bfloat16")
            if device.runs_natively(precision)} == natively
