"""Where data and sessions go: a source checkout keeps its own data/ and runs/, an installed copy uses the
reader's working folder (never the Python installation), and a folder that cannot be written says so."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from support.cli import script_command

import dcgan_helpers
from dcgan_helpers import locations

pytestmark = pytest.mark.kernel

@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """A site folder holding a non-editable copy of the package under test, laid out as pip installs it."""
    site = tmp_path_factory.mktemp("site-packages")
    package = Path(dcgan_helpers.__file__).parent
    shutil.copytree(package, site / "dcgan_helpers", ignore=shutil.ignore_patterns("__pycache__"))
    return site


def run_installed(site: Path, cwd: Path, script: str, as_unprivileged: bool = False,
                  environment: dict | None = None) -> subprocess.CompletedProcess:
    """Run ``tests/scripts/SCRIPT`` importing the copy in ``site`` from the working folder ``cwd``, as readers do."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("DCGAN_")}
    env.update(PYTHONPATH=str(site), TF_CPP_MIN_LOG_LEVEL="3", **(environment or {}))
    command = script_command(script)
    if as_unprivileged and os.geteuid() == 0:  # root writes anywhere; a user namespace drops that privilege
        if shutil.which("unshare") is None or subprocess.run(["unshare", "--user", "true"]).returncode != 0:
            pytest.skip("running as root without `unshare --user`: cannot make a folder read-only for this test")
        command = ["unshare", "--user", *command]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=180)


@pytest.mark.subprocess
def test_an_installed_copy_puts_downloads_and_sessions_in_the_working_folder(site, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    result = run_installed(site, work, "where_things_go.py")
    assert result.returncode == 0, result.stderr
    where = json.loads(result.stdout.splitlines()[-1])
    assert Path(where["package"]).is_relative_to(site)
    assert where["celeba"] == str(work.resolve() / "data" / "celeba")
    assert where["session"] == str(work.resolve() / "runs" / "fashion_mnist" / "session_1")
    assert not (site / "data").exists() and not (site / "runs").exists()


@pytest.mark.subprocess
def test_the_environment_variables_move_data_and_sessions(site, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    result = run_installed(site, work, "where_things_go.py",
                           environment={"DCGAN_DATA_DIR": str(tmp_path / "d"), "DCGAN_RUNS_DIR": str(tmp_path / "r")})
    assert result.returncode == 0, result.stderr
    where = json.loads(result.stdout.splitlines()[-1])
    assert (where["celeba"], where["session"]) == (str(tmp_path / "d" / "celeba"),
                                                   str(tmp_path / "r" / "fashion_mnist" / "session_1"))


@pytest.mark.subprocess
def test_a_read_only_working_folder_gives_a_clear_error_not_a_permission_error(site, tmp_path):
    work = tmp_path / "read-only"
    work.mkdir()
    work.chmod(0o555)
    try:
        result = run_installed(site, work, "write_where_forbidden.py", as_unprivileged=True)
    finally:
        work.chmod(0o755)
    assert result.returncode == 0, result.stderr + result.stdout
    data_error, runs_error = result.stdout.strip().splitlines()
    assert str(work / "data" / "celeba") in data_error and "set DCGAN_DATA_DIR" in data_error
    assert str(work / "runs" / "fashion_mnist") in runs_error and "set DCGAN_RUNS_DIR" in runs_error
    assert "Traceback" not in result.stderr


def test_a_source_checkout_is_recognised_by_its_pyproject_naming_this_project(tmp_path, monkeypatch):
    monkeypatch.setattr(locations, "PACKAGE_PARENT", tmp_path)
    assert locations.source_checkout() is None  # e.g. site-packages
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "someone-elses-project"\n')
    assert locations.source_checkout() is None
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "dcgan-helpers"\n')
    assert locations.source_checkout() == tmp_path


def test_working_inside_a_checkout_uses_its_top_level_data_and_runs(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "dcgan-helpers"\n')
    (tmp_path / "notebooks").mkdir()
    monkeypatch.setattr(locations, "PACKAGE_PARENT", tmp_path)
    monkeypatch.delenv("DCGAN_DATA_DIR", raising=False)
    monkeypatch.delenv("DCGAN_RUNS_DIR", raising=False)
    monkeypatch.chdir(tmp_path / "notebooks")
    assert (locations.data_root(), locations.runs_root()) == (tmp_path / "data", tmp_path / "runs")
    elsewhere = tmp_path.parent / f"{tmp_path.name}-elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert (locations.data_root(), locations.runs_root()) == (Path("data"), Path("runs"))
