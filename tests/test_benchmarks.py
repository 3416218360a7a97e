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
    assert len(ratios) == 3 and all(float(ratio) > 0 for ratio in ratios), result.stdout
    assert "images/s" in result.stdout
