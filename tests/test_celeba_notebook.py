"""Notebook 02 states the Torch-family DCGAN in a table, the DCGAN authors' own layers in prose, and the
training values; the models it builds must match all three.

The Torch-family layout (dcgan.torch, PyTorch's DCGAN tutorial; G at the widths of the paper's Figure 1)
is written out below in Keras' height×width×channels order.
"""

import re

import nbformat
from keras import layers
from support.paths import ROOT

from dcgan_helpers.config import PAPER_DESIGN
from dcgan_helpers.datasets import preset
from dcgan_helpers.models import build_discriminator, build_generator, weight_initializer

NOTEBOOK = ROOT / "notebooks" / "02_celeba_64_dcgan.ipynb"
TORCH_GENERATOR = [(4, 4, 1024), (8, 8, 512), (16, 16, 256), (32, 32, 128), (64, 64, 3)]
TORCH_DISCRIMINATOR = [(32, 32, 64), (16, 16, 128), (8, 8, 256), (4, 4, 512), (1, 1, 1)]
CONVOLUTIONS = (layers.Conv2D, layers.Conv2DTranspose)
ROW = re.compile(r"^\| ([GD]) \| (\d) \| (\w+) \| (\d+)×(\d+)×(\d+) \| (\d) \| (\d) \| ([^|]+) \|$", re.MULTILINE)


def notebook():
    return nbformat.read(NOTEBOOK, as_version=4)


def stated_rows() -> dict[str, list[tuple]]:
    text = "\n".join(cell.source for cell in notebook().cells if cell.cell_type == "markdown")
    rows = {"G": [], "D": []}
    for net, _, kind, height, width, channels, kernel, stride, then in ROW.findall(text):
        rows[net].append((kind, (int(height), int(width), int(channels)), int(kernel), int(stride), then.strip()))
    return rows


def stated_parameters() -> dict:
    cell = next(cell for cell in notebook().cells if "parameters" in cell.metadata.get("tags", []))
    values = {}
    exec(cell.source, {}, values)  # the cell only assigns literals
    return values


def built_rows(model) -> list[tuple]:
    """(layer type, output shape, kernel, stride, what follows) for each convolution of a model."""
    stack = [layer for layer in model.layers if not isinstance(layer, layers.Reshape)]
    rows = []
    for index, layer in enumerate(stack):
        if not isinstance(layer, CONVOLUTIONS):
            continue
        following = []
        for after in stack[index + 1:]:
            if isinstance(after, CONVOLUTIONS):
                break
            following.append(after)
        rows.append((type(layer).__name__, tuple(layer.output.shape[1:]), layer.kernel_size[0], layer.strides[0],
                     describe(following)))
    return rows


def describe(following) -> str:
    names = []
    for layer in following:
        if isinstance(layer, layers.BatchNormalization):
            names.append("BatchNorm")
        elif isinstance(layer, layers.ReLU):
            names.append("ReLU")
        elif isinstance(layer, layers.LeakyReLU):
            names.append(f"LeakyReLU {layer.negative_slope:g}")
        elif isinstance(layer, layers.Activation):
            names.append(layer.activation.__name__)
        elif isinstance(layer, layers.Flatten):
            names.append("sigmoid, inside the loss")  # a logit: the loss applies the sigmoid
    return ", ".join(names)


def test_the_notebook_table_is_the_torch_family_layout():
    rows = stated_rows()
    assert [shape for _, shape, *_ in rows["G"]] == TORCH_GENERATOR
    assert [shape for _, shape, *_ in rows["D"]] == TORCH_DISCRIMINATOR
    assert all(kernel == 4 for _, _, kernel, _, _ in rows["G"] + rows["D"])


def test_the_model_the_notebook_builds_is_the_one_its_table_states():
    values = stated_parameters()
    config = preset("celeba64").replace(
        batch_size=values["batch_size"], generator_learning_rate=values["learning_rate"],
        discriminator_learning_rate=values["learning_rate"], beta_1=values["beta_1"],
    )
    rows = stated_rows()
    assert built_rows(build_generator(config)) == rows["G"]
    assert built_rows(build_discriminator(config)) == rows["D"]
    code = "\n".join(cell.source for cell in notebook().cells if cell.cell_type == "code")
    assert 'preset("celeba64").replace(' in code and "beta_1=beta_1" in code and "batch_size=batch_size" in code


def test_the_stated_training_values_are_the_papers_and_the_presets():
    values, celeba = stated_parameters(), preset("celeba64")
    assert values["learning_rate"] == 2e-4 == celeba.generator_learning_rate == celeba.discriminator_learning_rate
    assert values["beta_1"] == 0.5 == celeba.beta_1
    assert values["batch_size"] == 128 == celeba.batch_size
    assert weight_initializer().stddev == 0.02
    text = "\n".join(cell.source for cell in notebook().cells if cell.cell_type == "markdown")
    for claim in ("learning rate 2e-4 and β1 = 0.5", "Batch size 128", "N(0, 0.02)", "LeakyReLU(0.2)"):
        assert claim in text, f"the notebook no longer says {claim!r}"


SHAPE = re.compile(r"(\d+)×(\d+)×(\d+)")


def stated_authors_layers(net: str) -> tuple[str, list[tuple[int, int, int]]]:
    """The bullet on ``net`` ("G" or "D") under "The authors' own code": its text and the shapes it lists."""
    cell = next(cell.source for cell in notebook().cells if "The authors' own code" in cell.source)
    bullet = next(line for line in cell.split("\n- ") if line.startswith(f"{net}:"))
    return bullet, [tuple(map(int, shape)) for shape in SHAPE.findall(bullet)]


def test_the_authors_layers_the_notebook_states_are_the_paper_design_it_builds():
    config = preset("celeba64").replace(**PAPER_DESIGN)
    generator, discriminator = build_generator(config), build_discriminator(config)
    text, shapes = stated_authors_layers("G")
    built = [generator.get_layer("to_map").output.shape[1:]] + [
        layer.output.shape[1:] for layer in generator.layers if isinstance(layer, layers.Conv2DTranspose)]
    assert shapes == [tuple(shape) for shape in built] == [(4, 4, 1024), (8, 8, 512), (16, 16, 256), (32, 32, 128),
                                                         (64, 64, 3)]
    assert "5×5" in text and "dense layer" in text and "U(−1, 1)" in text and config.noise_distribution == "uniform"
    text, shapes = stated_authors_layers("D")
    convolutions = [layer for layer in discriminator.layers if isinstance(layer, layers.Conv2D)]
    assert shapes == [tuple(layer.output.shape[1:]) for layer in convolutions]
    assert "5×5" in text and "dense layer" in text and isinstance(discriminator.layers[-1], layers.Dense)
    assert all(layer.kernel_size == (5, 5) for layer in convolutions)
