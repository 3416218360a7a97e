"""Reading notebooks, running them at smoke size (their ``metadata.dcgan``), and the data they need then."""

import json
import re
import textwrap
from contextlib import ExitStack, contextmanager
from pathlib import Path

import nbformat
import pytest

from dcgan_helpers.errors import DataNotFoundError
from dcgan_helpers.fashion_mnist import load_fashion_mnist

from .layouts import FileServer, celeba_members, make_hands, zip_members
from .paths import IN_CI, ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
by_name = pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def tagged(notebook, tag: str) -> list:
    return [cell for cell in notebook.cells if tag in cell.metadata.get("tags", [])]


SOLUTION = re.compile(r"<details><summary>Solution</summary>(.*?)</details>", re.S)
PYTHON_BLOCK = re.compile(r"```python\n(.*?)```", re.S)


def solutions(notebook: nbformat.NotebookNode) -> list[str]:
    """The code of every worked solution: the ```python blocks inside the markdown's collapsed Solution blocks."""
    return [textwrap.dedent(code) for cell in notebook.cells if cell.cell_type == "markdown"
            for block in SOLUTION.findall(cell.source) for code in PYTHON_BLOCK.findall(textwrap.dedent(block))]


def with_solutions(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Append each worked solution as a code cell tagged ``solution``, where a reader would paste it."""
    for code in solutions(notebook):
        notebook.cells.append(nbformat.v4.new_code_cell(code.strip(), metadata={"tags": ["solution"]}))
    return notebook


def with_smoke_parameters(notebook: nbformat.NotebookNode, extra: dict | None = None) -> nbformat.NotebookNode:
    """Append the smoke values to the parameters cell, as papermill does with its injected cell."""
    smoke = {**notebook.metadata["dcgan"]["smoke_parameters"], **(extra or {})}
    cell = tagged(notebook, "parameters")[0]
    cell.source += "\n\n# smoke size, injected by the tests\n" + "\n".join(
        f"{name} = {json.dumps(value) if value is not None else 'None'}" for name, value in smoke.items()
    )
    return notebook


@contextmanager
def smoke_data(kind, root: Path):
    """``smoke_data_of`` for one kind (a string), or for several (a list) at once, their parameters merged."""
    kinds = [] if kind is None else [kind] if isinstance(kind, str) else list(kind)
    with ExitStack() as stack:
        yield {key: value for each in kinds for key, value in stack.enter_context(smoke_data_of(each, root)).items()}


@contextmanager
def smoke_data_of(kind: str | None, root: Path):
    """Data a notebook needs at smoke size, built in the published layout; yields parameters pointing at it.

    ``hands``: a ``Hands/`` folder with ``HandInfo.csv`` in $DCGAN_DATA_DIR/hands. ``celeba``: the
    ``img_align_celeba.zip`` archive served over loopback, for the notebook's download code to fetch.
    ``fashion_mnist``: the real dataset, found or downloaded as the notebook will.
    """
    if kind is None:
        yield {}
    elif kind == "fashion_mnist":
        require_real_fashion_mnist()
        yield {}
    elif kind == "hands":
        make_hands(root / "hands", count=96)
        yield {}
    elif kind == "celeba":
        archive = zip_members(root / "served" / "img_align_celeba.zip", celeba_members(96, corrupt=(5,)))
        with FileServer({"/img_align_celeba.zip": archive.read_bytes()}).running() as server:
            yield {"celeba_url": server.url("/img_align_celeba.zip")}
    else:
        raise ValueError(f"unknown smoke_data {kind!r}: expected hands, celeba or fashion_mnist")


def require_real_fashion_mnist() -> None:
    """Skip where Fashion-MNIST is neither installed nor downloadable, as other real-data tests do; CI must have it."""
    try:
        load_fashion_mnist()
    except DataNotFoundError as error:
        if IN_CI:
            pytest.fail(f"CI must have the real Fashion-MNIST (.ci/run installs dataset-fashion-mnist): {error}")
        pytest.skip("real Fashion-MNIST is neither installed nor downloadable here "
                    "(apt-get install dataset-fashion-mnist, or connect to the internet)")
