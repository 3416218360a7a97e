"""Notebooks 02 and 03 explore a generator someone exported, without training (they read the repository's notebooks,
so they do not run against the copy installed as on Colab)."""

import numpy as np
import pytest
from support.notebooks import read
from support.paths import ROOT

from dcgan_helpers import pretrained
from dcgan_helpers.datasets import preset
from dcgan_helpers.session import Session


@pytest.mark.parametrize("notebook, dataset, first_cell", [
    ("02_celeba_64_dcgan.ipynb", "celeba64", "explored = pretrained.load(generator_file"),
    ("03_hands_dcgan.ipynb", "hands64", "generator = pretrained.load(generator_file"),
])
def test_a_notebook_explores_a_classmate_s_exported_generator_without_training(tmp_path, notebook, dataset,
                                                                               first_cell):
    config = preset(dataset).replace(image_size=32, generator_filters=8, discriminator_filters=8, batch_size=8,
                                     steps_per_epoch=1, preview_count=4)
    session = Session.create(config, tmp_path / "classmate")
    session.train(np.random.default_rng(0).integers(0, 256, (16, 32, 32, 3), dtype=np.uint8), 1, verbose=0)
    shared = pretrained.export(session, tmp_path / "from_a_classmate.npz")

    cells = read(ROOT / "notebooks" / notebook).cells
    parameters = next(cell for cell in cells if "parameters" in cell.metadata.get("tags", []))
    start = next(index for index, cell in enumerate(cells) if first_cell in cell.source)
    section = [cell.source for cell in cells[start:] if cell.cell_type == "code"]
    namespace = {}
    exec(parameters.source, namespace)  # noqa: S102 - the notebook's own cells, as a reader runs them
    namespace["generator_file"] = str(shared)
    for source in section[:3]:  # the explorer, the interpolator and (notebook 02) the arithmetic picker
        exec(source, namespace)  # noqa: S102
    explored = namespace.get("explored", namespace.get("generator"))
    assert all(np.array_equal(a, b) for a, b in zip(explored.get_weights(), session.load_generator().get_weights(),
                                                    strict=True))
