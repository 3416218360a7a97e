"""What the notebooks say: no words about documents readers never see, no design attributed to the wrong
source, and notebook 01 showing the code it teaches (G and D as Keras layers, its own training loop)."""

import ast
import re

import pytest
from support.notebooks import NOTEBOOKS, by_name, read
from support.paths import ROOT

READMES = [ROOT / "README.md", ROOT / "notebooks" / "README.md"]
by_document = pytest.mark.parametrize("path", NOTEBOOKS + READMES,
                                      ids=[str(path.relative_to(ROOT)) for path in NOTEBOOKS + READMES])
HIDDEN_DOCUMENTS = re.compile(r"seed notes|project's seed|seed's (table|architecture|design|\d)|seed documents?", re.I)
FOUR_BY_FOUR_AS_THE_PAPERS = re.compile(
    r"4\s*[×x]\s*4\b[^.]{0,60}\bas in the (DCGAN )?paper"
    r"|kernel (size )?4\b[^.]{0,40}\bas in the (DCGAN )?paper"
    r"|\bthe (DCGAN )?paper'?s (own )?4\s*[×x]\s*4"
    r"|\bthe (DCGAN )?paper (uses|used) (a |the )?4\s*[×x]\s*4"
    r"|\bDCGANs use kernel 4",
    re.I,
)


def prose(path) -> str:
    """Every cell's text (markdown and code) with line breaks as spaces, so a sentence reads as one line."""
    return " ".join(" ".join(cell.source.split()) for cell in read(path).cells)


@by_document
def test_no_words_about_documents_readers_cannot_see(path):
    text = prose(path) if path.suffix == ".ipynb" else " ".join(path.read_text().split())
    found = [match.group(0) for match in HIDDEN_DOCUMENTS.finditer(text)]
    assert not found, f"{path.name} speaks of documents its readers never see: {found}; name the real source"


@by_name
def test_no_notebook_calls_a_4x4_kernel_the_dcgan_papers(path):
    """The authors' code uses 5×5 kernels; the 4×4 layout is the Torch implementations' (dcgan.torch, PyTorch)."""
    found = [match.group(0) for match in FOUR_BY_FOUR_AS_THE_PAPERS.finditer(prose(path))]
    assert not found, f"{path.name} attributes the 4×4 kernel to the DCGAN paper: {found}"


def calls_in(node) -> set[str]:
    """Names of everything called inside ``node``: ``layers.Conv2D(...)`` gives ``Conv2D``."""
    return {call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
            for call in ast.walk(node) if isinstance(call, ast.Call)}


def assignments(tree, name: str) -> list[ast.AST]:
    return [node.value for node in ast.walk(tree) if isinstance(node, ast.Assign)
            and any(isinstance(target, ast.Name) and target.id == name for target in node.targets)]


def test_notebook_01_writes_g_and_d_in_keras_checks_them_and_trains_them_with_its_own_loop():
    notebook = read(ROOT / "notebooks" / "01_fashion_mnist_dcgan.ipynb")
    cells = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    trees = [ast.parse(source) for source in cells]
    whole = ast.Module(body=[node for tree in trees for node in tree.body], type_ignores=[])
    helpers = calls_in(ast.Module(body=[node for node in whole.body if isinstance(node, ast.FunctionDef)],
                                  type_ignores=[]))

    generators, discriminators = assignments(whole, "generator"), assignments(whole, "discriminator")
    assert generators and all("Sequential" in calls_in(value) for value in generators), \
        "notebook 01 must write G itself as keras.Sequential([...layers...]), not call build_generator"
    assert discriminators and all("Sequential" in calls_in(value) for value in discriminators), \
        "notebook 01 must write D itself as keras.Sequential([...layers...]), not call build_discriminator"
    generator_layers = set().union(*map(calls_in, generators)) | helpers
    discriminator_layers = set().union(*map(calls_in, discriminators)) | helpers
    assert {"Conv2DTranspose", "BatchNormalization", "ReLU", "Activation"} <= generator_layers
    assert {"Conv2D", "BatchNormalization", "LeakyReLU"} <= discriminator_layers

    checks = [node for node in ast.walk(whole) if isinstance(node, ast.Assert)]
    checked = set().union(*map(calls_in, checks)) if checks else set()
    assert {"build_generator", "build_discriminator"} <= checked, \
        "an assert must compare the notebook's G and D with the helper's build_generator / build_discriminator"

    steps = [node for node in ast.walk(whole) if isinstance(node, ast.FunctionDef) and node.name == "train_step"]
    assert steps, "notebook 01 must define its own train_step"
    loops = [(index, node) for index, tree in enumerate(trees) for node in ast.walk(tree)
             if isinstance(node, ast.For) and "train_step" in calls_in(node)]
    assert loops, "notebook 01 must call its train_step in a loop"
    assert any("Dataset" in ast.unparse(tree) and "tf.data" in ast.unparse(tree) for tree in trees), \
        "the loop should read a tf.data pipeline"
    session_cell = next(index for index, source in enumerate(cells) if "session.train(" in source)
    assert loops[0][0] < session_cell, "the hand-written loop must come before Session takes over"


DURATION = re.compile(r"(?<!every )\b\d[\d,.]*(?:\s*[–-]\s*\d[\d,.]*)?\s*(?:s|seconds?|min|minutes?|h|hours?)\b(?!\w)")
NAMED_HARDWARE = re.compile(r"Intel|AMD|EPYC|Xeon|Ryzen|Apple M\d|Tesla|\bT4\b|\b[AHLV]100\b|your machine|this machine")


def markdown_sentences(path) -> list[str]:
    if path.suffix == ".ipynb":
        texts = [cell.source for cell in read(path).cells if cell.cell_type == "markdown"]
    else:
        texts = [path.read_text()]
    return [sentence for text in texts for sentence in re.split(r"(?<=[.!?])\s+", " ".join(text.split()))]


@by_document
def test_every_run_time_stated_in_prose_names_its_hardware(path):
    """A time told to a reader is measured on their machine (printed by a cell) or names the hardware it was
    measured on: the same epoch takes 35 s on one 2-core CPU and 300 s on another."""
    unnamed = [sentence for sentence in markdown_sentences(path)
               if DURATION.search(sentence) and not NAMED_HARDWARE.search(sentence)]
    assert not unnamed, f"{path.name} states times without naming the hardware: {unnamed}"


INSIDER_WORDS = re.compile(r"the project's tests|\bsmoke\b|preset before|screening runs?\b|\bCPU [AB]\b", re.I)
LINK = re.compile(r"\[[^\]]*\]\([^)]*\)|https?://\S+")
REPOSITORY_FILE = re.compile(
    r"(?<![\w/.])(?:benchmarks|docs|tests|dcgan_helpers|notebooks|data|\.ci)/[\w./-]*\w\.(?:md|py|json|csv)\b")


@pytest.mark.parametrize("path", NOTEBOOKS + READMES[1:], ids=[path.name for path in NOTEBOOKS + READMES[1:]])
def test_no_words_only_the_projects_developers_know(path):
    """'smoke', 'the preset before', 'CPU A': a reader of the notebook has no way to know what they mean."""
    text = prose(path) if path.suffix == ".ipynb" else " ".join(path.read_text().split())
    found = sorted({match.group(0) for match in INSIDER_WORDS.finditer(text)})
    assert not found, f"{path.name} uses words its readers cannot know: {found}"


@by_name
def test_files_of_the_repository_are_cited_by_their_address(path):
    """On Colab only the package is installed and relative links do not resolve: a file of the repository is
    named by its address (https://github.com/.../blob/main/<path>), not by a path the reader cannot open."""
    markdown = " ".join(cell.source for cell in read(path).cells if cell.cell_type == "markdown")
    found = sorted({match.group(0) for match in REPOSITORY_FILE.finditer(LINK.sub(" ", markdown))})
    assert not found, f"{path.name} cites files readers cannot open on Colab: {found}; link their GitHub address"


def exercises(path) -> list[str]:
    """The numbered items of the notebook's Exercises section, up to its next heading."""
    text = next(cell.source for cell in read(path).cells if cell.source.startswith("## Exercises"))
    section = re.split(r"\n#{1,3} ", text.split("\n", 1)[1])[0]
    return re.split(r"\n(?=\d+\. )", section[section.index("\n1. ") + 1:])


@by_name
def test_every_exercise_has_a_hint_and_the_first_two_a_worked_solution(path):
    items = exercises(path)
    assert len(items) >= 3, f"{path.name}: fewer than 3 exercises"
    without_hint = [item.split("\n")[0] for item in items if "*Hint:*" not in item]
    assert not without_hint, f"{path.name}: exercises without a *Hint:*: {without_hint}"
    for item in items[:2]:
        assert "<details><summary>Solution</summary>" in item and "```python" in item, \
            f"{path.name}: the first two exercises need a collapsed worked solution with code: {item.splitlines()[0]}"


def test_notebook_00s_flat_jsd_stays_at_log_2_once_the_bumps_no_longer_overlap():
    """The generator's bump must stay inside the notebook's grid: a bump pushed off it loses its mass and the
    plotted JSD falls back towards ½ log 2, the opposite of what the section teaches."""
    import matplotlib
    import numpy as np

    matplotlib.use("Agg")
    cells = {cell.id: cell.source for cell in read(ROOT / "notebooks" / "00_gan_theory.ipynb").cells}
    namespace = {}
    for cell_id in ("cell-03", "cell-07", "cell-11"):  # imports, section 1's densities, the flat-JSD plot
        exec(cells[cell_id], namespace)
    divergences = np.array(namespace["divergences"])
    assert np.all(np.diff(divergences) > -1e-6), "the JSD falls as the bumps move apart"
    assert divergences[-1] == pytest.approx(np.log(2), abs=1e-3)


CELEBA_SOURCES = ("authors", "PyTorch", "keras-io", "Kaggle")  # one word of each mirror's name, in MIRRORS order


def test_every_list_of_celebas_download_sources_names_each_mirror_in_the_order_they_are_tried():
    """data/README.md and notebook 02 list the places load_celeba(download=True) tries: a mirror added to
    celeba.MIRRORS must appear in both, where it is tried."""
    from dcgan_helpers.celeba import MIRRORS

    assert [next(word for word in CELEBA_SOURCES if word in mirror.name) for mirror in MIRRORS] == list(CELEBA_SOURCES)
    listings = {
        "data/README.md": next(line for line in (ROOT / "data" / "README.md").read_text().splitlines()
                               if line.startswith("| CelebA")).split("load_celeba(download=True)")[1],
        "notebook 02": next(cell.source for cell in read(ROOT / "notebooks" / "02_celeba_64_dcgan.ipynb").cells
                            if cell.source.startswith("## 1 · Getting CelebA")).split("trying in order")[1],
    }
    for where, text in listings.items():
        positions = [text.find(word) for word in CELEBA_SOURCES]
        assert -1 not in positions and positions == sorted(positions), \
            f"{where} does not list CelebA's mirrors {CELEBA_SOURCES} in the order load_celeba tries them: {text!r}"


def shown_commands(path) -> list[str]:
    """The `dcgan ...` lines of every ```bash block a notebook's markdown or a README shows."""
    text = path.read_text() if path.suffix == ".md" else "\n".join(
        cell.source for cell in read(path).cells if cell.cell_type == "markdown")
    blocks = re.findall(r"```bash\n(.*?)```", text, re.S)
    return [line.split("#")[0].strip() for block in blocks for line in block.splitlines()
            if line.strip().startswith("dcgan ")]


@by_document
def test_every_command_line_shown_parses(path):
    from dcgan_helpers.cli import build_parser

    parser = build_parser()
    for command in shown_commands(path):
        # Upper-case words are the reader's to fill in: session numbers, epochs, counts; FILE and DIR are paths.
        words = [("out" if word in ("FILE", "DIR") else "7") if re.fullmatch(r"[A-Z][A-Z_]*", word) else word
                 for word in command.split()[1:]]
        try:
            parser.parse_args(words)
        except SystemExit:
            pytest.fail(f"{path.name} shows a command the command line refuses: {command}")


def test_notebook_01s_moving_average_figures_follow_from_the_warm_up():
    """n-th update keeps min(ema_decay, (1 + n) / (10 + n)) (``DCGAN._update_average``): a window of about
    (10 + n) / 9 updates, and ema_decay reached at update 9 * ema_decay / (1 - ema_decay) - 1."""
    from dcgan_helpers.datasets import preset

    decay = preset("fashion_mnist").ema_decay
    text = prose(ROOT / "notebooks" / "01_fashion_mnist_dcgan.ipynb")
    assert f"= {decay}" in text and f"about the last 1 / (1 − β) = {round(1 / (1 - decay)):,} steps" in text
    window = re.search(r"spans about \(10 \+ n\) / 9 updates \((\d+) after (\d+)\)", text)
    assert window and int(window[1]) == round((10 + int(window[2])) / 9)
    reached = re.search(r"reaches 0\.999 only after about ([\d,]+)", text)
    first = next(n for n in range(1, 100_000) if (1 + n) / (10 + n) >= decay)
    assert reached and abs(int(reached[1].replace(",", "")) - first) / first < 0.01


@by_name
def test_every_grayscale_picture_is_shown_without_stretching_its_contrast(path):
    """imshow maps a 2-D array's own minimum to black and maximum to white unless vmin and vmax are given: a nearly
    flat grey grid (an untrained or collapsed G) would look like a contrasty pattern it is not."""
    calls = [line.strip() for cell in read(path).cells if cell.cell_type == "code"
             for line in cell.source.splitlines() if re.search(r"imshow\(.*cmap=\"gray\"", line)]
    stretched = [call for call in calls if "vmin" not in call or "vmax" not in call]
    assert not stretched, f"{path.name} shows grayscale pictures with their contrast stretched: {stretched}"
