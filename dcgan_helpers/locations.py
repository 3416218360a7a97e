"""Where datasets, caches and training sessions are looked for and written.

Data goes to an explicit folder, else ``$DCGAN_DATA_DIR``, else ``data/``; sessions to
``$DCGAN_RUNS_DIR``, else ``runs/``. Working inside a source checkout, ``data/`` and ``runs/`` are
the checkout's own; anywhere else (an installed package, on Colab) they are folders of the working
folder, never of the Python installation. On Colab, ``use_drive`` moves both onto Google Drive; the
images prepared from data on Drive are cached on the runtime's own disk, which is much faster to read.
"""

import hashlib
import os
import re
import sys
from pathlib import Path

from .errors import UsageError

__all__ = ["DEBIAN_DATASETS_DIR", "DRIVE_MOUNT", "PACKAGE_PARENT", "RUNTIME_DISK", "cache_dir_for", "data_root",
           "dataset_search_dirs", "download_dir", "home_folder", "keras_cache_dir", "runs_root", "source_checkout",
           "use_drive", "writable_folder"]

DEBIAN_DATASETS_DIR = Path("/usr/share/datasets")  # where Debian's dataset-* packages install
PACKAGE_PARENT = Path(__file__).resolve().parent.parent  # a source checkout's top folder, or site-packages
PROJECT_NAME = "dcgan-helpers"
DRIVE_MOUNT = Path("/content/drive")  # where Colab mounts Google Drive
RUNTIME_DISK = Path("/content")  # Colab's own disk: fast, but lost when Colab recycles the runtime
CACHE_FOLDER = ".dcgan-cache"  # the folder prepared images are cached in


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


def on_drive(path) -> Path | None:
    """``path`` relative to the Google Drive mount (``MyDrive/...``) when it lies on Drive, else None."""
    resolved, mount = Path(path).resolve(), DRIVE_MOUNT.resolve()
    return resolved.relative_to(mount) if resolved.is_relative_to(mount) else None


def cache_dir_for(source: Path) -> Path:
    """Where images prepared from ``source`` are cached: beside it; for a source on Google Drive, in the
    same folders on the runtime's own disk (Drive is slow to read at random); for a read-only one, ~/.cache."""
    source = Path(source)
    relative = on_drive(source)
    if relative is not None:  # MyDrive/dcgan/data/celeba/x.zip: /content/.dcgan-cache/MyDrive/dcgan/data/celeba
        return RUNTIME_DISK / CACHE_FOLDER / relative.parent
    beside = source.parent / CACHE_FOLDER
    if os.access(beside if beside.exists() else source.parent, os.W_OK):
        return beside
    digest = hashlib.sha256(str(source.resolve()).encode()).hexdigest()[:12]
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "dcgan_helpers" / digest


def use_drive(folder: str | None) -> str:
    """On Colab, mount Google Drive and keep data and runs in ``MyDrive/<folder>/``, which outlives the runtime.

    ``None`` changes nothing. Returns one line saying where data, runs and prepared images now go.
    """
    if folder is not None and "google.colab" in sys.modules:
        if Path(folder).is_absolute() or ".." in Path(folder).parts:
            raise UsageError(f"drive_folder is a folder name inside your Google Drive, such as 'dcgan', not {folder!r}")
        from google.colab import drive

        drive.mount(str(DRIVE_MOUNT))
        root = DRIVE_MOUNT / "MyDrive" / folder
        os.environ["DCGAN_DATA_DIR"], os.environ["DCGAN_RUNS_DIR"] = str(root / "data"), str(root / "runs")
        return (f"data in {data_root()}, runs in {runs_root()} (on Google Drive: they outlive this runtime); "
                f"prepared images cached in {RUNTIME_DISK / CACHE_FOLDER} (on this runtime's own disk: fast to "
                "read; rebuilt from the data on Drive when Colab recycles the runtime)")
    where = f"data in {data_root().resolve()}, runs in {runs_root().resolve()}"
    if folder is not None:
        return where + " (drive_folder applies on Colab only)"
    if "google.colab" in sys.modules:
        return where + " (lost when Colab recycles this runtime; set drive_folder to keep them on Google Drive)"
    return where
