"""Decode, square and resize images once, and keep the result as a memory-mapped uint8 array on disk.

A cache is two files: ``<name>.uint8`` (the images, row after row) and ``<name>.json`` (the
manifest: source, size, crop, filters, count, a fingerprint of the source files' names, sizes and
modification times, and the files left out with the reason). A cache is used only when its
manifest equals what is asked for; otherwise it is rebuilt. Building reads the sources in small
chunks and writes each chunk to disk, so memory stays at a few megabytes whatever the dataset's size.
"""

import dataclasses
import hashlib
import io
import json
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import ConfigError, DataFormatError
from .files import atomic_path, require_room, write_text_atomically

__all__ = ["LoadReport", "PreparedImages", "cached_images", "fingerprint", "prepare_image", "printable", "square"]

SQUARE_METHODS = ("crop", "pad")
CHUNK_IMAGES = 256
MANIFEST_VERSION = 2  # 2: the fingerprint covers sizes and modification times; left-out files are listed
SHOWN_LEFT_OUT = 10  # files named when a report is printed; all of them are in LoadReport.left_out


def printable(name: str) -> str:
    """A file name as text any terminal can print: bytes that are not UTF-8 are shown as ``\\xe9``."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


@dataclass(frozen=True)
class LoadReport:
    """What a load used and what it left out, each file with the reason: print it after loading."""

    source: str
    loaded: int
    left_out: tuple[tuple[str, str], ...] = ()  # (file, zip member or listed name, why it was left out)
    cache: str = ""  # the file of prepared images the load read

    def __str__(self):
        summary = f"{self.loaded:,} images from {printable(self.source)}"
        if self.cache:
            summary += f" (cache: {printable(self.cache)})"
        if not self.left_out:
            return f"{summary}; nothing left out"
        lines = [f"{summary}; {len(self.left_out):,} left out:"]
        lines += [f"  {printable(name)}: {why}" for name, why in self.left_out[:SHOWN_LEFT_OUT]]
        if len(self.left_out) > SHOWN_LEFT_OUT:
            lines.append(f"  ... and {len(self.left_out) - SHOWN_LEFT_OUT:,} more (all in report.left_out)")
        return "\n".join(lines)

    def _repr_pretty_(self, printer, cycle):  # how IPython and Jupyter show it as a cell's result
        printer.text(str(self))

    def with_left_out(self, entries: Iterable[tuple[str, str]]) -> "LoadReport":
        """This report with more files left out before the cache saw them (such as refused listed names)."""
        return dataclasses.replace(self, left_out=(*entries, *self.left_out))


class PreparedImages(np.memmap):
    """The cache's images, memory-mapped, with the ``report`` of the load that gave them and the ``sources``
    (file names, as the report gives them) of the images in order."""

    report: LoadReport | None = None
    sources: tuple[str, ...] = ()


def check_settings(size, channels, method: str) -> None:
    """Refuse preparation settings that cannot give images, before any file is read."""
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ConfigError(f"size must be a whole number of pixels of at least 1, not {size!r}")
    if channels not in (1, 3):
        raise ConfigError(f"channels must be 1 (grayscale) or 3 (RGB), not {channels!r}")
    if method not in SQUARE_METHODS:
        raise ConfigError(f"square must be one of {', '.join(SQUARE_METHODS)}, not {method!r}")


def square(image: Image.Image, method: str, crop_size: int | None = None) -> Image.Image:
    """Make an image square: ``crop`` cuts the centre (``crop_size`` px, or the largest square);
    ``pad`` extends the short side with the background colour (the median of the border pixels)."""
    width, height = image.size
    if method == "crop":
        side = min(crop_size or min(width, height), width, height)
        left, top = (width - side) // 2, (height - side) // 2
        return image.crop((left, top, left + side, top + side))
    if method == "pad":
        pixels = np.asarray(image)
        border = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
        background = tuple(int(value) for value in np.median(border.reshape(len(border), -1), axis=0))
        side = max(width, height)
        return ImageOps.pad(image, (side, side), color=background if len(background) > 1 else background[0])
    raise ValueError(f"square method must be one of {SQUARE_METHODS}, not {method!r}")


def prepare_image(content: bytes, size: int, channels: int, method: str, crop_size: int | None = None) -> np.ndarray:
    """Encoded image bytes → uint8 array (size, size, channels): squared, then resized with antialiasing."""
    with Image.open(io.BytesIO(content)) as image:
        image = image.convert("RGB" if channels == 3 else "L")
        image = square(image, method, crop_size).resize((size, size), Image.Resampling.LANCZOS)
        pixels = np.asarray(image, dtype=np.uint8)
    return pixels if channels == 3 else pixels[..., np.newaxis]


def fingerprint(identities: Iterable[tuple[str, int, int]]) -> str:
    """A short hash of the sources' (name, size, modification time or checksum): a file added,
    removed, replaced or finished writing since the cache was built rebuilds it."""
    digest = hashlib.sha256()
    for name, size, stamp in identities:
        digest.update(os.fsencode(name) + f"\0{size}\0{stamp}\n".encode())
    return digest.hexdigest()[:16]


def open_cache(stem: Path, manifest: dict) -> PreparedImages | None:
    """The cached images if ``stem.json`` holds exactly ``manifest``, else None."""
    data_path, manifest_path = stem.with_suffix(".uint8"), stem.with_suffix(".json")
    try:
        stored = json.loads(manifest_path.read_text())
        shape = (int(stored["count"]), manifest["size"], manifest["size"], manifest["channels"])
        left_out = tuple((str(name), str(why)) for name, why in stored["left_out"])
    except (OSError, ValueError, TypeError, KeyError):
        return None
    same = {key: stored.get(key) for key in manifest} == manifest and stored.get("version") == MANIFEST_VERSION
    if not same or not data_path.is_file() or data_path.stat().st_size != int(np.prod(shape)) or not shape[0]:
        return None
    images = PreparedImages(data_path, dtype=np.uint8, mode="r", shape=shape)
    images.report = LoadReport(manifest.get("source", str(stem)), shape[0], left_out, str(data_path.resolve()))
    return images


def unreadable_reason(error: Exception) -> str:
    """Why a file could not be prepared, in words (PIL's own message names a memory address)."""
    if isinstance(error, UnidentifiedImageError):
        return "not an image file (or a format PIL cannot read)"
    return str(error) or type(error).__name__


def build_cache(
    stem: Path, manifest: dict, sources: Sequence, read: Callable[[object], bytes], label: str,
    display: Callable[[object], str] = str,
) -> PreparedImages:
    """Prepare every source into ``stem.uint8`` and write ``stem.json``; unreadable images are left out
    and listed, with the reason, in the manifest and in the returned images' ``report``.

    ``read(source)`` returns a source's encoded bytes (raising OSError or ValueError when it cannot);
    ``manifest`` says how to prepare them; ``display(source)`` names a source in the report.
    Returns the new cache, memory-mapped. Raises DataFormatError when no image could be read.
    """
    size, channels = manifest["size"], manifest["channels"]
    method, crop_size = manifest["square"], manifest.get("crop")
    left_out: list[tuple[str, str]] = []

    def prepared(source):
        try:
            return prepare_image(read(source), size, channels, method, crop_size)
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
            left_out.append((display(source), unreadable_reason(error)))
            return None

    count = 0
    data_path = stem.with_suffix(".uint8")
    require_room(data_path.parent, len(sources) * size * size * channels, f"{len(sources):,} prepared images",
                 then="run it again (or point DCGAN_DATA_DIR elsewhere)")  # before reading any image
    print(f"{label}: {len(sources):,} files")
    bar = keras.utils.Progbar(len(sources), unit_name="image")
    with atomic_path(data_path) as temporary, open(temporary, "wb") as stream, \
            ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for start in range(0, len(sources), CHUNK_IMAGES):
            chunk = sources[start: start + CHUNK_IMAGES]
            for pixels in pool.map(prepared, chunk):
                if pixels is not None:
                    stream.write(pixels.tobytes())
                    count += 1
            bar.add(len(chunk))
        if count == 0:
            chosen = f" chosen by the filters {manifest['filters']}" if manifest.get("filters") else ""
            examples = "; ".join(f"{printable(name)}: {why}" for name, why in left_out[:3])
            source = printable(manifest.get("source", "the source"))
            raise DataFormatError(f"none of the {len(sources)} files of {source}{chosen} could be read as an image "
                                  f"(for example {examples})")
    left_out.sort()  # threads finish in any order; the report lists files in a stable one
    write_text_atomically(
        stem.with_suffix(".json"),
        json.dumps({**manifest, "version": MANIFEST_VERSION, "count": count, "left_out": left_out}, indent=2),
    )
    images = PreparedImages(data_path, dtype=np.uint8, mode="r", shape=(count, size, size, channels))
    images.report = LoadReport(manifest.get("source", str(stem)), count, tuple(left_out), str(data_path.resolve()))
    return images


def cached_images(stem: Path, manifest: dict, sources: Sequence, read: Callable[[object], bytes],
                  label: str, display: Callable[[object], str] = str) -> PreparedImages:
    """The prepared images from the cache at ``stem``, built first when missing or made differently."""
    check_settings(manifest["size"], manifest["channels"], manifest["square"])
    cached = open_cache(stem, manifest)
    return cached if cached is not None else build_cache(stem, manifest, sources, read, label, display)
