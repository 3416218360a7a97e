"""Where the repository, the real Fashion-MNIST and CI are."""

import os
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
REAL_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
IN_CI = os.environ.get("CI") == "true"


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())
