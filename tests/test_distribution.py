"""Training under tf.distribute: two logical CPU devices stand in for two GPUs."""

import json
import subprocess
import sys

import numpy as np
import pytest
from support.cli import SCRIPTS

SCRIPT = SCRIPTS / "mirrored_two_cpus.py"


@pytest.mark.slow
@pytest.mark.subprocess
def test_mirrored_strategy_matches_one_device_and_its_sessions_resume_on_one(tmp_path):
    result = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["replicas"] == 2 and report["batch_norm_synchronized"]
    for name, single_values in report["single"].items():
        np.testing.assert_allclose(report["mirrored"][name], single_values, rtol=1e-5, atol=1e-6, err_msg=name)
    assert report["weight_difference"] < 1e-4  # three steps of Adam on 2 × 8 images = one device on 16
    assert report["restored_same_weights"]
    assert report["session_difference"] < 1e-4  # 2 epochs on two devices + 1 on one = 3 epochs on one
