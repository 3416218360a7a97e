"""The project's own files agree with each other: packaging, environment, README, lint."""

import ast
import importlib
import json
import os
import pkgutil
import re
import subprocess
import sys

import pytest
import yaml
from support.cli import script_command
from support.paths import ROOT, pyproject

import dcgan_helpers

MODULES = sorted(info.name for info in pkgutil.iter_modules(dcgan_helpers.__path__))


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
    for name in commands:  # every command the parser knows
        usage = " ".join(commands[name].format_usage().split()).removeprefix("usage: ")
        assert usage in " ".join(readme.split()), usage


def test_gitignore_keeps_data_runs_and_venv_out_of_git():
    ignored = (ROOT / ".gitignore").read_text().split()
    assert {".venv/", "data/*", "!data/README.md", "runs/"} <= set(ignored)


@pytest.mark.subprocess
def test_code_is_ruff_clean():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", str(ROOT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr




@pytest.mark.subprocess
def test_importing_the_package_and_the_command_line_changes_no_environment_variable_nor_descriptor():
    environment = {key: value for key, value in os.environ.items() if not key.startswith("TF_CPP")}
    result = subprocess.run(script_command("import_effects.py"), capture_output=True, text=True, env=environment,
                            cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    effects = json.loads(result.stdout.strip().splitlines()[-1])
    assert effects == {"environment": [], "descriptors": False, "redirections": 0}


@pytest.mark.parametrize("name", MODULES)
def test_every_module_names_its_teaching_surface_in_all(name):
    module = importlib.import_module(f"dcgan_helpers.{name}")
    assert isinstance(getattr(module, "__all__", None), list), f"dcgan_helpers/{name}.py has no __all__"
    assert [item for item in module.__all__ if not hasattr(module, item)] == [], name
    assert module.__all__ == sorted(set(module.__all__)), f"{name}.__all__ is not sorted or repeats a name"


def imported_names(source: str, relative_to: str | None = None) -> set[tuple[str, str]]:
    """(module, name) for each ``from dcgan_helpers.module import name`` (or ``from .module``) in ``source``."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.ImportFrom):
            continue
        module = node.module or ""
        if node.level and relative_to:
            module = f"dcgan_helpers.{module}" if module else "dcgan_helpers"
        if module.startswith("dcgan_helpers.") and module.count(".") == 1:
            found |= {(module.removeprefix("dcgan_helpers."), alias.name) for alias in node.names}
    return found


def test_what_the_notebooks_and_the_command_line_import_is_in_the_modules_all():
    sources = [(ROOT / "dcgan_helpers" / "cli.py").read_text()]
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        code = ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "code"]
        sources += ["\n".join(line for line in cell.splitlines() if not line.lstrip().startswith(("!", "%")))
                    for cell in code]
    used = set().union(*(imported_names(source, relative_to="dcgan_helpers") for source in sources))
    missing = sorted(f"{module}.{name}" for module, name in used
                     if name not in importlib.import_module(f"dcgan_helpers.{module}").__all__)
    assert len(used) > 50 and missing == []
