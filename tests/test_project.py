"""The project's own files agree with each other: packaging, environment, README, lint."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent


def pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_environment_yml_installs_what_pyproject_declares():
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(item["pip"] for item in environment["dependencies"] if isinstance(item, dict))
    assert pip_section[:-1] == pyproject()["project"]["dependencies"]
    assert pip_section[-1] == "-e .[dev]"
    python = next(item for item in environment["dependencies"] if isinstance(item, str) and item.startswith("python"))
    minimum = pyproject()["project"]["requires-python"].removeprefix(">=")
    assert tuple(map(int, python.split("=")[1].split("."))) >= tuple(map(int, minimum.split(".")))


def test_dependencies_are_ranges_not_pins():
    for requirement in pyproject()["project"]["dependencies"]:
        assert "==" not in requirement and re.search(r">=", requirement), requirement


def test_readme_quick_start_is_the_two_make_commands_and_ci_runs_the_test_one_then_colabs():
    readme = (ROOT / "README.md").read_text()
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert re.findall(r"^make \w+", quick_start, re.MULTILINE) == ["make lab", "make test"]
    ci_commands = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line.startswith("make ")]
    assert ci_commands == ["make test", "make test-colab"]


def test_readme_cli_usage_matches_the_parser():
    from dcgan_helpers.cli import build_parser

    readme = (ROOT / "README.md").read_text()
    commands = build_parser()._subparsers._group_actions[0].choices
    for name in ("train", "generate", "evaluate"):
        usage = " ".join(commands[name].format_usage().split()).removeprefix("usage: ")
        assert usage in " ".join(readme.split()), usage


def test_gitignore_keeps_data_runs_and_venv_out_of_git():
    ignored = (ROOT / ".gitignore").read_text().split()
    assert {".venv/", "data/*", "!data/README.md", "runs/"} <= set(ignored)


def test_code_is_ruff_clean():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", str(ROOT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


IMPORT_CHECK = r"""
import importlib, importlib.util, json, os, pkgutil
import ipywidgets, keras, matplotlib, tensorflow  # their own import-time effects are not the package's

environment = dict(os.environ)
descriptors = {fd: os.path.realpath(f"/proc/self/fd/{fd}") for fd in (0, 1, 2)}
redirections = []
real_dup2 = os.dup2
os.dup2 = lambda *arguments, **options: redirections.append(arguments) or real_dup2(*arguments, **options)
package = importlib.util.find_spec("dcgan_helpers").submodule_search_locations
for module in ["", *sorted(info.name for info in pkgutil.iter_modules(package))]:
    importlib.import_module("dcgan_helpers" + (f".{module}" if module else ""))
print(json.dumps({
    "environment": sorted(set(os.environ.items()) ^ set(environment.items())),
    "descriptors": {fd: os.path.realpath(f"/proc/self/fd/{fd}") for fd in descriptors} != descriptors,
    "redirections": len(redirections),
}))
"""


def test_importing_the_package_and_the_command_line_changes_no_environment_variable_nor_descriptor():
    environment = {key: value for key, value in os.environ.items() if not key.startswith("TF_CPP")}
    result = subprocess.run([sys.executable, "-c", IMPORT_CHECK], capture_output=True, text=True, env=environment,
                            cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    effects = json.loads(result.stdout.strip().splitlines()[-1])
    assert effects == {"environment": [], "descriptors": False, "redirections": 0}
