"""Images from a folder tree or a zip archive, prepared once into a cache: readers' own data."""

import io
import zipfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PIL import Image

from .errors import DataNotFoundError
from .image_cache import cached_images, fingerprint
from .locations import cache_dir_for

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif")


def is_image_name(name: str) -> bool:
    return name.lower().endswith(IMAGE_SUFFIXES) and not Path(name).name.startswith(".")


@contextmanager
def member_reader(archive: Path | None):
    """A function reading one source's bytes: a zip member's when ``archive`` is given, else a file's."""
    if archive is None:
        yield lambda path: Path(path).read_bytes()
        return
    with zipfile.ZipFile(archive) as opened:
        yield opened.read


def original_photos(names: list, archive: Path | None = None) -> list[np.ndarray]:
    """The files (or zip members) ``names`` decoded as they are, uint8 RGB, to show beside prepared images."""
    with member_reader(archive) as read:
        return [np.asarray(Image.open(io.BytesIO(read(name))).convert("RGB")) for name in names]


def prepared_images(source: Path, names: list, manifest: dict, cache_name: str, archive: Path | None = None):
    """Images from files (or zip members) ``names``, through the cache kept beside ``source``."""
    manifest = {**manifest, "source": str(source.resolve()), "files": len(names), "fingerprint": fingerprint(
        [str(name) for name in names])}
    stem = cache_dir_for(source) / f"{cache_name}-{manifest['size']}px"
    with member_reader(archive) as read:
        return cached_images(stem, manifest, names, read, f"preparing {source.name}")


def load_image_folder(path, size: int = 64, channels: int = 3, square: str = "crop") -> np.ndarray:
    """Every JPEG/PNG/BMP/GIF under ``path`` (recursively), squared and resized to ``size``, as uint8
    (N, size, size, channels). ``square="crop"`` cuts the centre square, ``"pad"`` pads the short side
    with the background colour. Prepared once, then read from the cache in ``path/../.dcgan-cache``.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise DataNotFoundError(f"{folder} is not a folder; give the folder that holds your images")
    names = sorted(file for file in folder.rglob("*") if file.is_file() and is_image_name(file.name)
                   and ".dcgan-cache" not in file.parts)
    if not names:
        raise DataNotFoundError(f"{folder} holds no image files ({', '.join(IMAGE_SUFFIXES)}), in any subfolder")
    manifest = {"dataset": "folder", "size": size, "channels": channels, "square": square, "crop": None}
    return prepared_images(folder, names, manifest, cache_name=folder.name or "images")
