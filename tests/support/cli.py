"""Running the installed ``dcgan`` command, and Python programs from ``tests/scripts/``, in subprocesses."""

import os
import subprocess
import sys
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"


def run_dcgan(*args, cwd: Path, env_extra=None, timeout=180) -> subprocess.CompletedProcess:
    """Run the installed ``dcgan`` console script and capture what it prints."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env_extra or {})}
    command = [str(Path(sys.executable).parent / "dcgan"), *map(str, args)]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def script_command(name: str, *args) -> list[str]:
    """The command that runs ``tests/scripts/NAME`` with this Python."""
    return [sys.executable, str(SCRIPTS / name), *map(str, args)]


def quiet_environment() -> dict:
    return {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
