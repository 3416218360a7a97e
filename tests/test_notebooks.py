"""Every notebook in notebooks/ is stored clean, with a setup cell, parameters and smoke settings.

A notebook states its smoke parameters, smoke data and time budget in its metadata (``metadata.dcgan``),
so a new notebook is picked up here without editing this file. The run at smoke size happens in a real
browser, in tests/test_browser.py, with ``with_smoke_parameters`` and ``smoke_data`` from ``support.notebooks``.
"""

import ast
import re
import subprocess
import sys
import types

import nbformat
import pytest
from support.notebooks import NOTEBOOKS, by_name, read, tagged
from support.paths import ROOT, pyproject

MAX_SMOKE_SECONDS = 180
REPOSITORY_URL = pyproject()["project"]["urls"]["Repository"]
REPOSITORY_SLUG = REPOSITORY_URL.removeprefix("https://github.com/")

def test_the_series_has_notebooks():
    assert NOTEBOOKS, "notebooks/ holds no .ipynb files"


@by_name
def test_notebook_is_valid_and_stored_without_outputs(path):
    notebook = read(path)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: strip outputs before committing"


@by_name
def test_notebook_opens_with_a_colab_badge_to_itself(path):
    first = read(path).cells[0]
    assert first.cell_type == "markdown"
    badge = f"https://colab.research.google.com/github/{REPOSITORY_SLUG}/blob/main/notebooks/{path.name}"
    assert badge in first.source, f"{path.name}: the first cell must link to {badge}"


@by_name
def test_notebook_has_a_setup_cell_installing_from_the_repository_then_one_parameters_cell(path):
    notebook = read(path)
    setup, parameters = tagged(notebook, "setup"), tagged(notebook, "parameters")
    assert len(setup) == 1, f"{path.name}: tag exactly one code cell 'setup'"
    assert "google.colab" in setup[0].source and f"git+{REPOSITORY_URL}" in setup[0].source
    assert len(parameters) == 1, f"{path.name}: tag exactly one code cell 'parameters'"
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code_cells.index(setup[0]) < code_cells.index(parameters[0])
    assert "describe_setup()" in setup[0].source, f"{path.name}: the setup cell ends by printing describe_setup()"


@by_name
def test_parameters_offer_google_drive_and_the_next_cell_uses_it(path):
    notebook = read(path)
    parameters = tagged(notebook, "parameters")[0]
    assert re.search(r"^drive_folder = None\b", parameters.source, re.MULTILINE), f"{path.name}: no drive_folder"
    after = notebook.cells[notebook.cells.index(parameters) + 1]
    assert after.metadata.get("tags") == ["drive"] and "use_drive(drive_folder)" in after.source


@pytest.mark.subprocess
@by_name
def test_a_failed_install_on_colab_says_why_and_what_to_do(path, monkeypatch):
    """The setup cell run as on Colab, with pip failing as it does without a connection."""
    failed = subprocess.CompletedProcess([], 1, "", "ERROR: Could not resolve host: github.com")
    monkeypatch.setattr(subprocess, "run", lambda *arguments, **options: failed)
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    with pytest.raises(RuntimeError) as raised:
        exec(tagged(read(path), "setup")[0].source, {})
    assert "Could not resolve host: github.com" in str(raised.value)
    assert "then run this cell again" in str(raised.value)


@by_name
def test_every_repository_address_in_a_notebook_is_the_projects(path):
    addresses = set(re.findall(r"github\.com/([\w.-]+/[\w.-]+?)(?:\.git)?(?=[/\")\s]|$)", path.read_text()))
    assert addresses <= {REPOSITORY_SLUG}, f"{path.name} names other repositories: {addresses - {REPOSITORY_SLUG}}"


@pytest.mark.subprocess
@by_name
def test_notebook_code_is_ruff_clean(path):
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", str(path)], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 0, result.stdout + result.stderr


@by_name
def test_smoke_parameters_override_names_of_the_parameters_cell(path):
    notebook = read(path)
    smoke = notebook.metadata["dcgan"]["smoke_parameters"]
    tree = ast.parse(tagged(notebook, "parameters")[0].source)
    assigned = {node.id for statement in tree.body if isinstance(statement, ast.Assign)
                for target in statement.targets for node in ast.walk(target) if isinstance(node, ast.Name)}
    assert smoke and set(smoke) <= assigned, f"{path.name}: smoke parameters {set(smoke) - assigned} are not parameters"
    assert 0 < notebook.metadata["dcgan"]["smoke_time_budget_seconds"] <= MAX_SMOKE_SECONDS
    if notebook.metadata["dcgan"].get("smoke_data") == "celeba":  # the harness sets where to download from
        assert "celeba_url" in assigned, f"{path.name}: the parameters cell needs celeba_url"


def test_readme_lists_every_notebook_with_its_badge():
    readme = (ROOT / "README.md").read_text()
    for path in NOTEBOOKS:
        assert f"(notebooks/{path.name})" in readme, f"README's notebook table does not link {path.name}"
        assert f"github/{REPOSITORY_SLUG}/blob/main/notebooks/{path.name}" in readme
    assert not set(re.findall(r"colab\.research\.google\.com/github/([\w.-]+/[\w.-]+)/", readme)) - {REPOSITORY_SLUG}
