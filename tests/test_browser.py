"""Every notebook in a real browser: JupyterLab on loopback, headless Debian Chromium driven by Playwright.

For each notebook, at its smoke size and with its smoke data (as tests/test_notebooks.py prepares them), the
test opens a copy in JupyterLab, with the exercises' worked solutions appended as cells, runs all cells from
the Run menu with the mouse (restarting the kernel where the notebook tells its reader to), and checks that
no cell failed. The run's seconds are printed and recorded beside the notebook's time budget, not asserted:
the same run takes several times longer on one CPU than on another, so a run over its budget gives a warning,
and only one HANG_FACTOR times over it fails as stuck.
Then it uses every widget the notebook shows as a reader would, with the mouse and keyboard, and checks
what the browser shows: a picture is there, it changes when it should, the status line says what happened.
Screenshots of each step go to test-artifacts/browser/<notebook>/, the executed notebook to
test-artifacts/notebooks/. The latent explorer's release → new picture times are printed and saved there
(latency.json) for the README.
"""

import json
import re
import shutil
import statistics
import time
import warnings
from pathlib import Path

import imageio.v3 as iio
import nbformat
import numpy as np
import pytest
from support.browser import (
    CHROMIUM,
    Reader,
    drag,
    jupyterlab,
    labelled_input,
    labelled_select,
    output,
    type_into,
    wait_for_new_picture,
    wait_for_picture,
)
from support.notebooks import NOTEBOOKS, read, smoke_data, tagged, with_smoke_parameters, with_solutions
from support.paths import IN_CI, ROOT

from dcgan_helpers.device import hardware_name

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = ROOT / "test-artifacts" / "browser"
EXECUTED = ROOT / "test-artifacts" / "notebooks"
HANG_FACTOR = 5  # a smoke run this many times over its budget is stuck, not slow
SLIDER_RELEASES = 10  # releases of the explorer's slider timed per notebook


@pytest.fixture
def chromium() -> str:
    if not Path(CHROMIUM).is_file():
        if IN_CI:
            pytest.fail("CI must run the browser tests: .ci/run installs Debian's chromium")
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    return CHROMIUM


def check_toy_playground(reader: Reader, index: int, record: dict) -> None:
    """Notebook 00: the toy GAN's picture is there after the cell's own run, and Train redraws it as it trains."""
    area = output(reader, index)
    picture = area.locator("img.widget-image").first
    status = area.locator(".widget-vbox > .widget-label").first
    try:
        picture.wait_for(timeout=10_000)
    except Exception:  # noqa: BLE001 - Playwright's timeout; say what the reader sees instead
        reader.shot("toy_playground_no_picture", area)
        pytest.fail(f"the toy playground shows no picture after its first run; it shows: {area.inner_text()!r}")
    wait_for_picture(picture)
    assert "modes covered" in status.inner_text()
    reader.shot("toy_playground_first_run", area)
    reader.page.evaluate("""([img, status]) => {
        window.seen = {sources: [img.src], texts: [status.innerText]};
        new MutationObserver(() => {
            if (img.src !== window.seen.sources.at(-1)) window.seen.sources.push(img.src);
            if (status.innerText !== window.seen.texts.at(-1)) window.seen.texts.push(status.innerText);
        }).observe(img.closest('.widget-vbox'), {subtree: true, attributes: true, childList: true,
                                                  characterData: true});
    }""", [picture.element_handle(), status.element_handle()])
    area.get_by_role("button", name="Train").click()
    reader.page.wait_for_function(
        "() => window.seen.texts.length > 2 && window.seen.texts.at(-1).includes('modes covered')", timeout=120_000)
    seen = reader.page.evaluate("window.seen")
    wait_for_picture(picture)
    reader.shot("toy_playground_after_train", area)
    assert any(text.startswith("training: step") for text in seen["texts"]), seen["texts"]
    assert len(seen["sources"]) >= 3, "Train did not redraw the toy GAN's picture while it trained"


def check_live_dashboard(reader: Reader, index: int, record: dict) -> None:
    """A cell that trains with ``live=True`` shows its dashboard picture."""
    picture = output(reader, index).locator("img").first
    wait_for_picture(picture)
    reader.shot(f"dashboard_cell_{index}", picture)


def check_latent_explorer(reader: Reader, index: int, record: dict) -> None:
    """Sliders (dragged, timed from release to the new picture), the seed box and the random button."""
    page, area = reader.page, output(reader, index)
    picture = area.locator("img.widget-image").first
    source = wait_for_picture(picture)
    reader.shot("explorer_first_picture", area)
    if re.search(r'pretrained\.load\("fashion_mnist(_conditional)?"\)', record["source"]):  # shipped: garments at once
        shown = iio.imread(picture.screenshot()).astype(np.float32)
        assert "untrained" not in area.inner_text() and shown.std() > 40, (
            f"the shipped generator's picture looks flat (pixel spread {shown.std():.1f} of 255)")
    slider = area.locator(".widget-slider").first
    readout, handle = slider.locator(".widget-readout"), slider.locator(".noUi-handle")
    seconds = []
    for number in range(SLIDER_RELEASES):
        before_pixels, before_readout = picture.screenshot(), readout.inner_text()
        page.evaluate("""img => {
            window.timing = {};
            document.addEventListener('pointerup', () => { window.timing.release = performance.now(); },
                                      {capture: true, once: true});
            img.addEventListener('load', () => { window.timing.loaded = performance.now(); }, {once: true});
        }""", picture.element_handle())
        drag(page, handle, 60 if number % 2 == 0 else -45)
        source = wait_for_new_picture(picture, source)
        page.wait_for_function("() => window.timing.loaded !== undefined", timeout=60_000)
        timing = page.evaluate("window.timing")
        seconds.append((timing["loaded"] - timing["release"]) / 1000)
        assert readout.inner_text() != before_readout, "the mouse drag did not move the slider"
        assert picture.screenshot() != before_pixels, "the slider moved but the picture the browser shows did not"
    reader.shot("explorer_after_slider", area)
    size = page.evaluate("img => img.naturalWidth", picture.element_handle())
    record["explorer_release_to_picture_seconds"] = seconds
    print(f"\nlatent explorer, release → new picture ({size} px on screen, {hardware_name()}): "
          f"mean {statistics.mean(seconds):.3f} s, spread (sd) {statistics.stdev(seconds):.3f} s, "
          f"min {min(seconds):.3f}, max {max(seconds):.3f}, over {len(seconds)} releases")

    seed_box = labelled_input(area, "seed")
    before_pixels = picture.screenshot()
    type_into(seed_box, "123")
    source = wait_for_new_picture(picture, source)
    assert picture.screenshot() != before_pixels, "a new seed typed into the box did not change the picture"
    reader.shot("explorer_seed_123", area)

    before_pixels = picture.screenshot()
    area.get_by_role("button", name="random").click()
    source = wait_for_new_picture(picture, source)
    assert seed_box.input_value() != "123", "the random button did not pick a new seed"
    assert picture.screenshot() != before_pixels, "the random button did not change the picture"
    reader.shot("explorer_random", area)
    if "classes=" in record["source"]:  # a conditional generator: the class picker and the row of every class
        row = area.locator("img.widget-image").nth(1)
        wait_for_picture(row)
        before_pixels, before_row = picture.screenshot(), row.screenshot()
        picker = labelled_select(area, "class")
        picker.select_option(index=0 if picker.input_value() != "0" else 1)
        wait_for_new_picture(picture, source)
        assert picture.screenshot() != before_pixels, "another class did not change the picture"
        assert row.screenshot() == before_row, "the row of every class changed when only the class picked did"
        reader.shot("explorer_other_class", area)


def check_interpolator(reader: Reader, index: int, record: dict) -> None:
    """Seed boxes, the spherical/linear switch, the frame slider and Save GIF."""
    page, area = reader.page, output(reader, index)
    frame, strip = area.locator("img.widget-image").nth(0), area.locator("img.widget-image").nth(1)
    frame_source, strip_source = wait_for_picture(frame), wait_for_picture(strip)
    reader.shot("interpolator_first_pictures", area)

    before = frame.screenshot(), strip.screenshot()
    type_into(labelled_input(area, "from seed"), "7")
    frame_source, strip_source = wait_for_new_picture(frame, frame_source), wait_for_new_picture(strip, strip_source)
    assert (frame.screenshot(), strip.screenshot()) != before and frame.screenshot() != before[0]
    reader.shot("interpolator_from_seed_7", area)
    before = strip.screenshot()
    type_into(labelled_input(area, "to seed"), "8")
    strip_source = wait_for_new_picture(strip, strip_source)
    assert strip.screenshot() != before, "a new end seed did not change the strip"

    before = strip.screenshot()
    area.get_by_role("button", name="linear").click()
    strip_source = wait_for_new_picture(strip, strip_source)
    assert strip.screenshot() != before, "switching to the straight line did not change the frames in between"
    reader.shot("interpolator_linear", area)

    slider = area.locator(".widget-slider").first
    before, readout = frame.screenshot(), slider.locator(".widget-readout").inner_text()
    drag(page, slider.locator(".noUi-handle"), 80)
    wait_for_new_picture(frame, frame_source)
    assert slider.locator(".widget-readout").inner_text() != readout, "the mouse drag did not move the frame slider"
    assert frame.screenshot() != before, "another frame did not change the picture"
    reader.shot("interpolator_frame_slider", area)

    if "classes=" in record["source"]:  # a conditional generator: walk to another class
        before = strip.screenshot()
        picker = labelled_select(area, "to class")
        picker.select_option(index=0 if picker.input_value() != "0" else 1)
        strip_source = wait_for_new_picture(strip, strip_source)
        assert strip.screenshot() != before, "another end class did not change the strip"
        reader.shot("interpolator_other_class", area)

    gif = Path(record["folder"]) / labelled_input(area, "GIF file").input_value()
    gif.unlink(missing_ok=True)
    area.get_by_role("button", name="save GIF").click()
    page.wait_for_function("area => area.innerText.includes('saved ')", arg=area.element_handle(), timeout=60_000)
    reader.shot("interpolator_saved_gif", area)
    assert gif.is_file() and gif.stat().st_size > 0, f"Save GIF said it saved, but {gif} is not there"


def check_latent_arithmetic(reader: Reader, index: int, record: dict) -> None:
    """Choose samples for A, B and C with the menus under the grid; the result picture follows each choice."""
    area = output(reader, index)
    pickers = area.locator(".widget-gridbox select")
    result = area.locator("img.widget-image").last
    reader.shot("arithmetic_grid", area)
    count = pickers.count()
    source = result.get_attribute("src")
    for concept, tile in zip("ABC", range(count - 3, count), strict=True):
        before = result.screenshot() if source else None
        pickers.nth(tile).scroll_into_view_if_needed()
        pickers.nth(tile).select_option(concept)  # a native menu: Playwright picks its option as a click would
        source = wait_for_new_picture(result, source or "")
        assert pickers.nth(tile).input_value() == concept, f"the menu under sample {tile} does not show {concept}"
        assert result.screenshot() != before, f"choosing sample {tile} for {concept} did not change the result"
        message = area.locator(".widget-vbox > .widget-html").last.inner_text()
        # the label lists the choices, unless it warns that the generator looks untrained (as at smoke size)
        assert re.search(rf"{concept}: \[[^\]]*\b{tile}\]", message) or "untrained" in message, message
        reader.shot(f"arithmetic_chose_{concept}", result)


def check_training_playground(reader: Reader, index: int, record: dict) -> None:
    """Start refused for a bad value, then Start: the live dashboard appears and changes; Stop stops it."""
    page, area = reader.page, output(reader, index)
    status, picture = area.locator(".widget-html").first, area.locator("img.widget-image").first
    epochs = labelled_input(area, "epochs")
    type_into(epochs, "0")
    area.get_by_role("button", name="Start").click()
    page.wait_for_function("status => status.innerText.includes('Not started')", arg=status.element_handle(),
                           timeout=30_000)
    reader.shot("playground_refused", area)

    type_into(epochs, "50")
    source = picture.get_attribute("src") or ""
    area.get_by_role("button", name="Start").click()
    page.wait_for_function("status => status.innerText.includes('Training')", arg=status.element_handle(),
                           timeout=60_000)
    source = wait_for_new_picture(picture, source, timeout=120)
    first = picture.screenshot()
    reader.shot("playground_dashboard", area)
    wait_for_new_picture(picture, source, timeout=120)
    assert picture.screenshot() != first, "the live dashboard did not change while the run trained"
    reader.shot("playground_dashboard_later", area)

    area.get_by_role("button", name="Stop").click()
    page.wait_for_function("status => status.innerText.includes('Stopped')", arg=status.element_handle(),
                           timeout=120_000)
    reader.shot("playground_stopped", area)
    assert area.get_by_role("button", name="Start").is_enabled(), "Start stays disabled after Stop"


# What to try in a cell, found by what its code does; a new notebook's widgets are tried without editing this file.
CHECKS = [
    (re.compile(r"\btrain_button\b"), check_toy_playground),
    (re.compile(r"live=True"), check_live_dashboard),
    (re.compile(r"^LatentExplorer\(|^explorer = LatentExplorer\(", re.MULTILINE), check_latent_explorer),
    (re.compile(r"^(interpolator = )?Interpolator\(", re.MULTILINE), check_interpolator),
    (re.compile(r"^arithmetic = LatentArithmetic\(", re.MULTILINE), check_latent_arithmetic),
    (re.compile(r"^playground = Playground\(", re.MULTILINE), check_training_playground),
]


def tagged_solution(cell) -> bool:
    """A worked solution appended to the notebook: it runs with the others, its widgets are not tried."""
    return "solution" in cell.metadata.get("tags", [])


def run_all_cells(reader: Reader, notebook, budget: float) -> list[int]:
    """Run every cell from the Run menu; at a cell tagged ``restart-kernel`` restart the kernel, rerun the
    parameters cell and the Drive cell, and continue below, as the notebook tells its reader to. Returns the
    positions of the cells where the kernel was restarted."""
    restart = tagged(notebook, "restart-kernel")
    if not restart:
        reader.run_cells("Run All Cells", budget)
        return []
    if len(restart) > 1:
        raise NotImplementedError("the browser test restarts the kernel once; teach run_all_cells to do it more")
    at = notebook.cells.index(restart[0])
    reader.select_cell(at)
    reader.run_cells("Run All Above Selected Cell", budget)
    reader.restart_kernel()
    for cell in [*tagged(notebook, "parameters"), *tagged(notebook, "drive")]:
        reader.select_cell(notebook.cells.index(cell))
        reader.run_cells("Run Selected Cell and Do not Advance", 60)
    reader.select_cell(at + 1)
    reader.run_cells("Run Selected Cell and All Below", budget)
    return [at]


def restarted_at(notebook, positions: list[int]) -> bool:
    """Whether the execution counts start again after each of those cells, as they do after a kernel restart."""
    counts = [(index, cell.execution_count) for index, cell in enumerate(notebook.cells) if cell.cell_type == "code"]
    for at in positions:
        before = [count for index, count in counts if index < at]
        after = [count for index, count in counts if index > at]
        if not (before and after and after[0] < before[-1]):
            return False
    return True


def failures(notebook) -> list[str]:
    """What a reader would see went wrong: error outputs, and code cells that never ran."""
    found = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        for out in cell.outputs:
            if out.output_type == "error":
                found.append(f"cell {index}: {out.ename}: {out.evalue}")
        if cell.execution_count is None:
            found.append(f"cell {index} never ran")
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_notebook_runs_and_its_widgets_work_in_the_browser(path, chromium, tmp_path, monkeypatch):
    from playwright.sync_api import sync_playwright

    settings = read(path).metadata["dcgan"]
    budget = settings["smoke_time_budget_seconds"]
    artifacts = ARTIFACTS / path.stem
    shutil.rmtree(artifacts, ignore_errors=True)
    artifacts.mkdir(parents=True)
    EXECUTED.mkdir(parents=True, exist_ok=True)
    folder, state = tmp_path / "notebooks", tmp_path / "lab"
    folder.mkdir(), state.mkdir()
    monkeypatch.setenv("DCGAN_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("DCGAN_DATA_DIR", str(tmp_path / "data"))
    record = {"folder": str(folder)}
    with smoke_data(settings.get("smoke_data"), tmp_path / "data") as data_parameters:
        notebook = with_solutions(with_smoke_parameters(read(path), data_parameters))
        nbformat.write(notebook, folder / path.name)
        with jupyterlab(folder, state, artifacts) as (base, token), sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            reader = Reader(page, artifacts)
            try:
                page.goto(f"{base}/lab/tree/{path.name}?token={token}")
                page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=60_000)
                reader.wait_for_kernel_idle()
                started = time.monotonic()
                restarts = run_all_cells(reader, notebook, budget * HANG_FACTOR)
                seconds = time.monotonic() - started
                reader.shot("after_run_all")
                reader.save()
                executed = nbformat.read(folder / path.name, as_version=4)
                shutil.copy(folder / path.name, EXECUTED / path.name)
                assert not failures(executed), f"{path.name} in the browser: {failures(executed)}"
                assert restarted_at(executed, restarts), f"{path.name}: the kernel did not restart at {restarts}"
                if seconds > budget:
                    warnings.warn(f"{path.name} took {seconds:.0f} s at smoke size on {hardware_name()}, over its "
                                  f"budget of {budget} s: make its smoke parameters smaller", stacklevel=1)
                assert page.locator(".jp-Notebook .jp-Cell").count() == len(notebook.cells)
                tried = []
                for index, cell in enumerate(notebook.cells):
                    for pattern, check in CHECKS:
                        if cell.cell_type == "code" and pattern.search(cell.source) and not tagged_solution(cell):
                            record["source"] = cell.source
                            check(reader, index, record)
                            tried.append(check.__name__)
                print(f"\n{path.name}: ran in {seconds:.0f} s in the browser (budget {budget} s) on {hardware_name()}; "
                      f"tried {tried}")
            finally:
                reader.shot("last")
                browser.close()
    timing = {"seconds": seconds, "budget_seconds": budget, "hardware": hardware_name()}
    (artifacts / "record.json").write_text(json.dumps({**record, **timing, "tried": tried}, indent=1))
    assert tried, f"{path.name}: no interactive element was tried"
