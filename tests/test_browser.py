"""The latent explorer in a real browser: JupyterLab on loopback, headless Debian Chromium driven by Playwright.

The test runs the explorer cell of a notebook, drags a slider with the mouse and checks that
the picture the browser shows changes. Screenshots go to test-artifacts/browser/.
"""

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from conftest import IN_CI
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from test_project import ROOT

ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

EXPLORER_CELL = """\
from dcgan_helpers.datasets import preset
from dcgan_helpers.models import build_generator
from dcgan_helpers.widgets import LatentExplorer

generator = build_generator(preset("fashion_mnist").replace(generator_filters=8, precision="float32"))
# an untrained generator's N(0, 0.02) weights draw flat grey; larger ones draw patterns a slider visibly moves
generator.set_weights([weights * 25 if weights.ndim == 4 else weights for weights in generator.get_weights()])
LatentExplorer(generator, dimensions=(0, 1, 2), seed=5)"""


@pytest.fixture
def chromium() -> str:
    if not Path(CHROMIUM).is_file():
        if IN_CI:
            pytest.fail("CI must run the browser test: .ci/run installs Debian's chromium")
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    return CHROMIUM


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stop_process_group(process: subprocess.Popen) -> None:
    """Stop a server and the kernels it started."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture
def jupyterlab(tmp_path):
    """JupyterLab serving a folder with one notebook, on loopback; yields the notebook's URL."""
    notebook = new_notebook(cells=[new_markdown_cell("# Latent explorer"), new_code_cell(EXPLORER_CELL)])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, tmp_path / "explorer.ipynb")
    port, token = free_port(), secrets.token_hex(16)
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "config"), "TF_CPP_MIN_LOG_LEVEL": "2",
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    log = open(tmp_path / "jupyterlab.log", "w")  # noqa: SIM115 - closed after the server stops
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={tmp_path}",
         f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}", f"--LabApp.user_settings_dir={tmp_path / 'settings'}",
         *(["--allow-root"] if os.geteuid() == 0 else [])],  # CI machines run as root
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail(f"JupyterLab did not start:\n{(tmp_path / 'jupyterlab.log').read_text()}")
                time.sleep(0.5)
        yield f"{base}/lab/tree/explorer.ipynb?token={token}"
    finally:
        stop_process_group(server)
        log.close()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(tmp_path / "jupyterlab.log", ARTIFACTS / "jupyterlab.log")


def run_first_code_cell(page) -> None:
    """Click into the code cell and press Shift+Enter, again while the prompt shows the cell never ran:
    a press that comes while the kernel is still connecting is dropped."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    code_cell = page.locator(".jp-CodeCell .cm-content").first
    code_cell.wait_for(timeout=60_000)
    prompt = page.locator(".jp-CodeCell .jp-InputPrompt").first
    accept_dialog = page.locator(".jp-Dialog .jp-mod-accept")  # e.g. "Select Kernel" after a slow kernel start
    for _ in range(12):
        if accept_dialog.is_visible():
            accept_dialog.click()
        code_cell.click()
        page.keyboard.press("Shift+Enter")
        try:
            page.wait_for_function("prompt => prompt.innerText.trim() !== '[ ]:'", arg=prompt.element_handle(),
                                   timeout=5_000)
            return
        except PlaywrightTimeout:
            continue
    pytest.fail("the code cell never started running")


def test_dragging_a_latent_slider_changes_the_picture_in_the_browser(chromium, jupyterlab):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        try:
            page.goto(jupyterlab)
            run_first_code_cell(page)

            picture = page.locator("img.widget-image").first
            picture.wait_for(timeout=120_000)
            page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=picture.element_handle(),
                                   timeout=60_000)
            page.screenshot(path=ARTIFACTS / "explorer_before.png")
            before_source, before_pixels = picture.get_attribute("src"), picture.screenshot()

            slider = page.locator(".widget-slider").first
            readout = slider.locator(".widget-readout")
            before_readout = readout.inner_text()
            handle = slider.locator(".noUi-handle")
            box = handle.bounding_box()
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            page.mouse.down()
            page.mouse.move(box["x"] + box["width"] / 2 + 70, box["y"] + box["height"] / 2, steps=10)
            page.mouse.up()

            page.wait_for_function(
                "([img, old]) => img.src !== old && img.complete && img.naturalWidth > 0",
                arg=[picture.element_handle(), before_source], timeout=60_000,
            )
            page.screenshot(path=ARTIFACTS / "explorer_after.png")
            after_pixels, after_readout = picture.screenshot(), readout.inner_text()
        finally:
            page.screenshot(path=ARTIFACTS / "explorer_last.png")
            browser.close()
    assert after_readout != before_readout, "the mouse drag did not move the slider"
    assert after_pixels != before_pixels, "the slider moved but the picture the browser shows did not change"
