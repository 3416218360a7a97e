"""The browser harness: JupyterLab on loopback and a reader at the page in headless Debian Chromium."""

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LAB_SETTINGS = {
    # every cell stays in the page, so cells can be found by position
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    # no "fetch news?" toast over the notebook
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                       "checkForUpdates": False},
}


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


@contextmanager
def jupyterlab(folder: Path, state: Path, artifacts: Path):
    """JupyterLab serving ``folder`` on loopback, its settings and logs in ``state``; yields base URL and token.
    Kernels inherit this process's environment."""
    for name, values in LAB_SETTINGS.items():
        settings_file = state / "settings" / name
        settings_file.parent.mkdir(parents=True, exist_ok=True)
        settings_file.write_text(json.dumps(values))
    port, token = free_port(), secrets.token_hex(16)
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(state / "config"), "TF_CPP_MIN_LOG_LEVEL": "2",
           "JUPYTER_RUNTIME_DIR": str(state / "runtime")}
    log_path = state / "jupyterlab.log"
    log = open(log_path, "w")  # noqa: SIM115 - closed after the server stops
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={folder}",
         f"--LabApp.workspaces_dir={state / 'workspaces'}", f"--LabApp.user_settings_dir={state / 'settings'}",
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
                    pytest.fail(f"JupyterLab did not start:\n{log_path.read_text()}")
                time.sleep(0.5)
        yield base, token
    finally:
        stop_process_group(server)
        log.close()
        shutil.copy(log_path, artifacts / "jupyterlab.log")


class Reader:
    """A reader at the notebook page: menus, cells and widgets, with a screenshot of each step."""

    def __init__(self, page, artifacts: Path):
        self.page, self.artifacts, self.shots = page, artifacts, 0

    def shot(self, name: str, element=None) -> None:
        """A screenshot of the page (or of an element, with its surroundings in view) for a person to look at."""
        self.shots += 1
        path = self.artifacts / f"{self.shots:02d}_{name}.png"
        if element is not None:
            element.scroll_into_view_if_needed()
        self.page.screenshot(path=path)

    def accept_dialogs(self) -> None:
        accept = self.page.locator(".jp-Dialog .jp-mod-accept")  # e.g. "Select Kernel" after a slow kernel start
        if accept.is_visible():
            accept.click()

    def wait_for_kernel_idle(self, timeout: float = 120) -> None:
        status = self.page.locator(".jp-StatusBar-Widget", has_text=re.compile(r"\| (Idle|Busy)"))
        deadline = time.monotonic() + timeout
        while "Idle" not in (status.first.inner_text() if status.count() else ""):
            self.accept_dialogs()
            if time.monotonic() > deadline:
                pytest.fail("the kernel never became idle")
            time.sleep(0.5)

    def menu(self, menu: str, item: str) -> None:
        """Open a menu of the menu bar with the mouse and click one of its items."""
        self.page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{re.escape(menu)}$")).click()
        self.page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(item)}$")).click()

    def cell(self, index: int):
        return self.page.locator(".jp-Notebook .jp-Cell").nth(index)

    def select_cell(self, index: int) -> None:
        self.cell(index).locator(".jp-InputPrompt").click()

    def run_cells(self, menu_item: str, timeout: float) -> None:
        """Run cells from the Run menu and wait until none is running or waiting to run."""
        prompts = self.page.locator(".jp-CodeCell .jp-InputPrompt")
        self.menu("Run", menu_item)
        deadline, quiet = time.monotonic() + timeout, 0
        while quiet < 3:  # three looks a second apart with no cell running or queued
            if time.monotonic() > deadline:
                self.shot("run_timed_out")
                pytest.fail(f"{menu_item}: cells still running after {timeout:.0f} s")
            time.sleep(1)
            self.accept_dialogs()
            quiet = 0 if "[*]:" in prompts.all_inner_texts() else quiet + 1
        self.wait_for_kernel_idle()

    def restart_kernel(self) -> None:
        self.menu("Kernel", "Restart Kernel…")
        self.page.locator(".jp-Dialog .jp-mod-accept").click()
        time.sleep(2)
        self.wait_for_kernel_idle()

    def save(self) -> None:
        self.menu("File", "Save Notebook")
        self.page.wait_for_function("() => !document.querySelector('.jp-mod-current.jp-mod-dirty')", timeout=60_000)


def output(reader: Reader, cell_index: int):
    return reader.cell(cell_index).locator(".jp-OutputArea").first


def labelled_input(area, label: str):
    """The text box of a widget whose description is ``label``."""
    return area.locator(".widget-inline-hbox", has=area.page.locator("label", has_text=re.compile(
        f"^{re.escape(label)}$"))).locator("input").first


def labelled_select(area, label: str):
    """The drop-down menu of a widget whose description is ``label``."""
    return area.locator(".widget-inline-hbox", has=area.page.locator("label", has_text=re.compile(
        f"^{re.escape(label)}$"))).locator("select").first


def wait_for_picture(img, timeout: float = 60) -> str:
    """Wait until the picture is loaded and has pixels; returns its source."""
    img.page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle(),
                               timeout=timeout * 1000)
    return img.get_attribute("src")


def wait_for_new_picture(img, old_source: str, timeout: float = 60) -> str:
    img.page.wait_for_function("([img, old]) => img.src !== old && img.complete && img.naturalWidth > 0",
                               arg=[img.element_handle(), old_source], timeout=timeout * 1000)
    return img.get_attribute("src")


def type_into(box, text: str) -> None:
    """Click a text box, replace what it holds by typing, press Enter."""
    box.click()
    box.press("ControlOrMeta+a")
    box.press_sequentially(text)
    box.press("Enter")


def drag(page, handle, pixels: float) -> None:
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + pixels, y, steps=8)
    page.mouse.up()
