"""Where datasets and caches are looked for and written."""

import hashlib
import os
from pathlib import Path

DEBIAN_DATASETS_DIR = Path("/usr/share/datasets")  # where Debian's dataset-* packages install
PROJECT_DATA_DIR = Path(__file__).resolve().parent.parent / "data"  # data/ of a source checkout


def keras_cache_dir() -> Path:
    """Where ``keras.datasets`` keeps downloads (``$KERAS_HOME`` or ``~/.keras``)."""
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "datasets"


def dataset_search_dirs(folder_name: str, path=None) -> list[Path]:
    """Folders that may hold a dataset, in the order they are tried; an explicit ``path`` is the only one."""
    if path is not None:
        return [Path(path), Path(path) / folder_name]
    candidates = []
    if os.environ.get("DCGAN_DATA_DIR"):
        candidates.append(Path(os.environ["DCGAN_DATA_DIR"]) / folder_name)
    candidates += [Path("data") / folder_name, PROJECT_DATA_DIR / folder_name, DEBIAN_DATASETS_DIR / folder_name]
    unique = {}
    for candidate in candidates:
        unique.setdefault(candidate.resolve(), candidate)
    return list(unique.values())


def download_dir(folder_name: str, path=None) -> Path:
    """Where a downloaded dataset goes: the explicit folder, else ``$DCGAN_DATA_DIR``, else the project's data/."""
    if path is not None:
        return Path(path)
    root = Path(os.environ["DCGAN_DATA_DIR"]) if os.environ.get("DCGAN_DATA_DIR") else PROJECT_DATA_DIR
    return root / folder_name


def cache_dir_for(source: Path) -> Path:
    """Preprocessed images are cached next to their source; a read-only source caches under ~/.cache."""
    beside = source.parent / ".dcgan-cache"
    if os.access(beside if beside.exists() else source.parent, os.W_OK):
        return beside
    digest = hashlib.sha256(str(source.resolve()).encode()).hexdigest()[:12]
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "dcgan_helpers" / digest
