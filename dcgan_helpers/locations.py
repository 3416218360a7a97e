"""Where datasets, caches and training sessions are looked for and written.

Data goes to an explicit folder, else ``$DCGAN_DATA_DIR``, else ``data/``; sessions to
``$DCGAN_RUNS_DIR``, else ``runs/``. Working inside a source checkout, ``data/`` and ``runs/`` are
the checkout's own; anywhere else (an installed package, on Colab) they are folders of the working
folder, never of the Python installation. On Colab, ``use_drive`` moves both onto Google Drive.
"""

import hashlib
import os
import re
import sys
from pathlib import Path

from .errors import UsageError

__all__ = ["DEBIAN_DATASETS_DIR", "DRIVE_MOUNT", "PACKAGE_PARENT", "cache_dir_for", "data_root",
           "dataset_search_dirs", "download_dir", "home_folder", "keras_cache_dir", "runs_root", "source_checkout",
           "use_drive", "writable_folder"]

DEBIAN_DATASETS_DIR = Path("/usr/share/datasets")  # where Debian's dataset-* packages install
PACKAGE_PARENT = Path(__file__).resolve().parent.parent  # a source checkout's top folder, or site-packages
PROJECT_NAME = "dcgan-helpers"
DRIVE_MOUNT = Path("/content/drive")  # where Colab mounts Google Drive


def source_checkout() -> Path | None:
    """The checkout's top folder when this package runs from one (its pyproject.toml names this project)."""
    pyproject = PACKAGE_PARENT / "pyproject.toml"
    if pyproject.is_file() and re.search(rf'^name\s*=\s*"{PROJECT_NAME}"', pyproject.read_text(), re.MULTILINE):
        return PACKAGE_PARENT
    return None


def home_folder() -> Path:
    """The folder ``data/`` and ``runs/`` belong to: the checkout when working inside it, else the working folder."""
    checkout = source_checkout()
    if checkout is not None and Path.cwd().resolve().is_relative_to(checkout):
        return checkout
    return Path()


def data_root() -> Path:
    """Where datasets are downloaded: ``$DCGAN_DATA_DIR``, else ``data/`` (see ``home_folder``)."""
    return Path(os.environ["DCGAN_DATA_DIR"]) if os.environ.get("DCGAN_DATA_DIR") else home_folder() / "data"


def runs_root() -> Path:
    """Where training sessions live: ``$DCGAN_RUNS_DIR``, else ``runs/`` (see ``home_folder``)."""
    return Path(os.environ["DCGAN_RUNS_DIR"]) if os.environ.get("DCGAN_RUNS_DIR") else home_folder() / "runs"


def keras_cache_dir() -> Path:
    """Where ``keras.datasets`` keeps downloads (``$KERAS_HOME`` or ``~/.keras``)."""
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "datasets"


def dataset_search_dirs(folder_name: str, path=None) -> list[Path]:
    """Folders that may hold a dataset, in the order they are tried; an explicit ``path`` is the only one."""
    if path is not None:
        return [Path(path), Path(path) / folder_name]
    candidates = [data_root() / folder_name, Path("data") / folder_name]
    if source_checkout() is not None:
        candidates.append(source_checkout() / "data" / folder_name)
    candidates.append(DEBIAN_DATASETS_DIR / folder_name)
    unique = {}
    for candidate in candidates:
        unique.setdefault(candidate.resolve(), candidate)
    return list(unique.values())


def download_dir(folder_name: str, path=None) -> Path:
    """Where a downloaded dataset goes: the explicit folder, else ``data_root()/folder_name``."""
    return Path(path) if path is not None else data_root() / folder_name


def writable_folder(folder, variable: str) -> Path:
    """Create ``folder`` (and its parents) or say which folder cannot be written and how to choose another."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(
            f"cannot create {folder.resolve()} ({error.strerror}): run from a folder you can write to, "
            f"or set {variable} to one"
        ) from error
    return folder


def cache_dir_for(source: Path) -> Path:
    """Preprocessed images are cached next to their source; a read-only source caches under ~/.cache."""
    beside = source.parent / ".dcgan-cache"
    if os.access(beside if beside.exists() else source.parent, os.W_OK):
        return beside
    digest = hashlib.sha256(str(source.resolve()).encode()).hexdigest()[:12]
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "dcgan_helpers" / digest


def use_drive(folder: str | None) -> str:
    """On Colab, mount Google Drive and keep data and runs in ``MyDrive/<folder>/``, which outlives the runtime.

    ``None`` changes nothing. Returns one line saying where data and runs now go.
    """
    if folder is not None and "google.colab" in sys.modules:
        if Path(folder).is_absolute() or ".." in Path(folder).parts:
            raise UsageError(f"drive_folder is a folder name inside your Google Drive, such as 'dcgan', not {folder!r}")
        from google.colab import drive

        drive.mount(str(DRIVE_MOUNT))
        root = DRIVE_MOUNT / "MyDrive" / folder
        os.environ["DCGAN_DATA_DIR"], os.environ["DCGAN_RUNS_DIR"] = str(root / "data"), str(root / "runs")
        return f"data in {data_root()}, runs in {runs_root()} (on Google Drive: they outlive this runtime)"
    where = f"data in {data_root().resolve()}, runs in {runs_root().resolve()}"
    if folder is not None:
        return where + " (drive_folder applies on Colab only)"
    if "google.colab" in sys.modules:
        return where + " (lost when Colab recycles this runtime; set drive_folder to keep them on Google Drive)"
    return where
