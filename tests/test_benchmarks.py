"""The benchmark scripts keep working (tiny sizes here; real figures come from running them in full)."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_train_step_benchmark_prints_its_ratios():
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "train_step.py"),
         "--presets", "fashion_mnist", "--steps", "2", "--rounds", "1", "--images", "512"],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    ratios = re.findall(r"ratio (\d+\.\d+)", result.stdout)
    assert len(ratios) == 7 and all(float(ratio) > 0 for ratio in ratios), result.stdout  # 3 + 4 switches
    assert re.search(r"MFLOPs per image .* matmul peak float32 [\d,]+ GFLOP/s", result.stdout), result.stdout
    assert len(re.findall(r"\d+\.\d% of peak", result.stdout)) == 4


def test_data_pipeline_benchmark_prints_pipeline_and_training_speed():
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "data_pipeline.py"), "--images", "300", "--batches", "5",
         "--train-steps", "1"],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    ratio = re.search(r"pipeline / training\s*:\s*([\d,]+)×", result.stdout)
    assert ratio and int(ratio.group(1).replace(",", "")) > 0, result.stdout


def test_fashion_mnist_quality_benchmark_prints_both_distances(real_fashion_mnist):
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "fashion_mnist_quality.py"), "--epochs", "1",
         "--train-images", "1024", "--samples", "500", "--data-dir", str(real_fashion_mnist)],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert re.search(r"notebook 01\s+\d+\.\d+\s+\d+/10", result.stdout), result.stdout
    assert re.search(r"TF tutorial\s+\d+\.\d+\s+\d+/10", result.stdout), result.stdout
    assert "TF tutorial / notebook 01" in result.stdout
