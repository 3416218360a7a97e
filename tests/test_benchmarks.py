"""The benchmark scripts keep working (tiny sizes here; real figures come from running them in full)."""

import json
import re
import subprocess
import sys

import numpy as np
import pytest
from support.paths import ROOT

from dcgan_helpers.device import runs_natively


@pytest.mark.slow
@pytest.mark.subprocess
def test_train_step_benchmark_prints_its_ratios():
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "train_step.py"),
         "--presets", "fashion_mnist", "--steps", "2", "--rounds", "1", "--images", "512"],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    ratios = re.findall(r"ratio (\d+\.\d+)", result.stdout)
    skipped = len(re.findall(r"skipped, this device would emulate it", result.stdout))  # a CPU without bfloat16
    assert skipped == (not runs_natively("mixed_bfloat16"))
    assert len(ratios) == 7 - skipped and all(float(ratio) > 0 for ratio in ratios), result.stdout  # 3 + 4 switches
    assert re.search(r"MFLOPs per image .* matmul peak float32 [\d,]+ GFLOP/s", result.stdout), result.stdout
    assert len(re.findall(r"\d+\.\d% of peak", result.stdout)) == 4 - skipped


@pytest.mark.slow
@pytest.mark.subprocess
def test_data_pipeline_benchmark_prints_pipeline_and_training_speed():
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "data_pipeline.py"), "--images", "300", "--batches", "5",
         "--train-steps", "1"],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    ratio = re.search(r"pipeline / training\s*:\s*([\d,]+)×", result.stdout)
    assert ratio and int(ratio.group(1).replace(",", "")) > 0, result.stdout


@pytest.mark.slow
@pytest.mark.subprocess
def test_fashion_mnist_quality_benchmark_summarises_every_configuration_over_seeds(real_fashion_mnist, tmp_path):
    results = tmp_path / "results.jsonl"
    command = [sys.executable, str(ROOT / "benchmarks" / "fashion_mnist_quality.py"), "--epochs", "1", "2",
               "--train-images", "512", "--samples", "300", "--data-dir", str(real_fashion_mnist),
               "--results", str(results)]
    for seed in ("0", "1"):  # two processes, one file: the second table covers both seeds
        result = subprocess.run([*command, "--seeds", seed], capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stderr[-2000:]
    for name in ("notebook 01", "notebook 01, G without averaging", "DCGAN paper's settings", "TF tutorial"):
        for epoch in (1, 2):
            assert re.search(rf"{re.escape(name)}\s+{epoch}\s+2\s+\d+\.\d+ ± \d+\.\d+ \(\d+\.\d+–\d+\.\d+\)"
                             r"\s+\d+/10\s+\d+", result.stdout), result.stdout
    assert "TF tutorial / notebook 01" in result.stdout
    assert len(results.read_text().splitlines()) == 2 * 4 * 2  # seeds × judged generators × epochs


def test_short_run_benchmark_runs_the_notebook_as_stored_with_only_short_run_set(tmp_path):
    """The benchmark's copy differs from notebook 01 in short_run and one added cell that writes section 7's
    report, placed where that report exists; so what it times is what a reader runs."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from notebook_short_run import NOTEBOOK, prepared
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    import nbformat

    original = nbformat.read(NOTEBOOK, as_version=4)
    copy = prepared(tmp_path / "report.json")
    added = [cell for cell in copy.cells if cell.source not in {c.source for c in original.cells}]
    assert len(copy.cells) == len(original.cells) + 1 and len(added) == 2, [cell.source[:60] for cell in added]
    parameters, report_cell = added
    assert "short_run = True" in parameters.source and "short_run = False" not in parameters.source
    before = copy.cells[copy.cells.index(report_cell) - 1]
    assert "report = judge.evaluate(generated)" in before.source and str(tmp_path / "report.json") in report_cell.source


@pytest.mark.slow
@pytest.mark.subprocess
def test_diagnostics_overhead_benchmark_prints_the_share_of_a_step_for_both_presets():
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "diagnostics_overhead.py"), "--repeats", "1", "--steps", "5"],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    shares = re.findall(r"share of a step:\s+(\d+\.\d+) %", result.stdout)
    assert len(shares) == 2 and all(float(share) > 0 for share in shares), result.stdout


@pytest.mark.subprocess
def test_failure_gallery_benchmark_records_the_diagnostics_and_tabulates_every_row(real_fashion_mnist, tmp_path):
    results = tmp_path / "gallery.jsonl"
    command = [sys.executable, str(ROOT / "benchmarks" / "failure_gallery.py"), "--only", "healthy",
               "learning rates 1e30", "--seeds", "0", "--epochs", "1", "--images", "256",
               "--results", str(results)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    rows = [json.loads(line) for line in results.read_text().splitlines()]
    epochs = [row for row in rows if "epoch" in row]
    summaries = {row["configuration"]: row["findings"] for row in rows if "findings" in row}
    assert [row["configuration"] for row in epochs] == ["healthy", "learning rates 1e30"]
    trained, diverged = epochs
    assert all(np.isfinite(trained[key]) for key in ("d_grad_norm", "g_grad_norm", "fake_spread", "real_spread"))
    assert 0 <= trained["nyquist_share"] <= 1 and 1 <= trained["classes"] <= 10
    assert "stopped" in diverged and summaries["learning rates 1e30"] == ["training diverged"]
    assert re.search(r"\| healthy \| 1 \| \d+\.\d\d \|", result.stdout), result.stdout
    assert re.search(r"\| training diverged \| 1 \| 1 \| 1 \| 0 \|", result.stdout), result.stdout


@pytest.mark.slow
@pytest.mark.subprocess
def test_conditional_quality_benchmark_tabulates_class_fidelity_beside_the_unconditional_preset(real_fashion_mnist,
                                                                                                tmp_path):
    results = tmp_path / "results.jsonl"
    command = [sys.executable, str(ROOT / "benchmarks" / "conditional_quality.py"), "--epochs", "1",
               "--train-images", "256", "--samples", "300", "--data-dir", str(real_fashion_mnist),
               "--results", str(results), "--configurations", "conditional", "unconditional"]
    for seed in ("0", "1"):  # two processes, one file: the second table covers both seeds
        result = subprocess.run([*command, "--seeds", seed], capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stderr[-2000:]
    number = r"\d+\.\d+ ± \d+\.\d+ \(\d+\.\d+–\d+\.\d+\)"
    assert re.search(rf"\| conditional \| 1 \| 2 \| {number} \| \d+/10 \| {number} \| [\w/ -]+ \d\.\d+ \(\d\.\d+\) \|",
                     result.stdout), result.stdout
    assert re.search(rf"\| unconditional \| 1 \| 2 \| {number} \| \d+/10 \| — \| — \|", result.stdout), result.stdout
    assert "asked-for class named per class (mean over 2 seeds): T-shirt/top" in result.stdout
    rows = [json.loads(line) for line in results.read_text().splitlines()]
    assert len(rows) == 2 * 2 and all(len(row["per_class"]) == 10 for row in rows if "per_class" in row)
