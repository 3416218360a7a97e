"""The pictures the README and notebooks show: made by docs/make_pictures.py from the shipped generator."""

import importlib.util
import json
import re

import pytest
from support.notebooks import NOTEBOOKS
from support.paths import ROOT, pyproject

from dcgan_helpers import pretrained

PICTURES = ROOT / "docs" / "pictures"
RAW = "https://raw.githubusercontent.com/" + pyproject()["project"]["urls"]["Repository"].removeprefix(
    "https://github.com/") + "/main/docs/pictures/"


def make_pictures():
    spec = importlib.util.spec_from_file_location("make_pictures", ROOT / "docs" / "make_pictures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_script_makes_every_picture_from_a_generator_and_its_session(scored_session, tmp_path):
    file = pretrained.export(scored_session, tmp_path / "generator.npz")
    make_pictures().main(["--generator", str(file), "--session", str(scored_session.path), "--out",
                          str(tmp_path / "pictures"), "--toy-steps", "20"])
    made = {path.name for path in (tmp_path / "pictures").iterdir()}
    assert made == {path.name for path in PICTURES.iterdir()}
    record = json.loads((tmp_path / "pictures" / "pictures.json").read_text())
    assert record["generator"]["sha256"] == pretrained.read(file).checksum


def test_the_shown_pictures_come_from_the_shipped_generator_and_stay_small():
    record = json.loads((PICTURES / "pictures.json").read_text())
    assert record["generator"]["sha256"] == pretrained.read("fashion_mnist").checksum
    conditional = record["fashion_mnist_conditional.png"]["generator"]
    assert conditional["sha256"] == pretrained.read("fashion_mnist_conditional").checksum
    assert sum(path.stat().st_size for path in PICTURES.iterdir()) < 3_000_000


@pytest.mark.parametrize("path", [ROOT / "README.md", *NOTEBOOKS], ids=lambda path: path.name)
def test_every_picture_shown_exists_and_notebooks_use_addresses_colab_can_open(path):
    text = path.read_text()
    shown = re.findall(r"docs/pictures/([\w.-]+\.(?:png|gif))", text)
    assert all((PICTURES / name).is_file() for name in shown), shown
    if path.suffix == ".ipynb":  # Colab cannot resolve links relative to the repository
        assert all(f"{RAW}{name}" in text for name in shown), shown
