"""Decode, square and resize images once, and keep the result as a memory-mapped uint8 array on disk.

A cache is two files: ``<name>.uint8`` (the images, row after row) and ``<name>.json`` (the
manifest: source, size, crop, filters, count, and a fingerprint of the source files). A cache is
used only when its manifest equals what is asked for; otherwise it is rebuilt. Building reads
the sources in small chunks and writes each chunk to disk, so memory stays at a few megabytes
whatever the dataset's size.
"""

import hashlib
import io
import json
import os
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import keras
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import DataFormatError
from .files import atomic_path, write_text_atomically

SQUARE_METHODS = ("crop", "pad")
CHUNK_IMAGES = 256
MANIFEST_VERSION = 1


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


def fingerprint(names: Sequence[str]) -> str:
    """A short hash of the source file names, so that added or removed files rebuild the cache."""
    return hashlib.sha256("\n".join(names).encode()).hexdigest()[:16]


def open_cache(stem: Path, manifest: dict) -> np.ndarray | None:
    """The cached images if ``stem.json`` holds exactly ``manifest``, else None."""
    data_path, manifest_path = stem.with_suffix(".uint8"), stem.with_suffix(".json")
    try:
        stored = json.loads(manifest_path.read_text())
    except (OSError, ValueError):
        return None
    shape = (stored.get("count", 0), manifest["size"], manifest["size"], manifest["channels"])
    same = {key: stored.get(key) for key in manifest} == manifest and stored.get("version") == MANIFEST_VERSION
    if not same or not data_path.is_file() or data_path.stat().st_size != int(np.prod(shape)) or not shape[0]:
        return None
    return np.memmap(data_path, dtype=np.uint8, mode="r", shape=shape)


def build_cache(
    stem: Path, manifest: dict, sources: Sequence, read: Callable[[object], bytes], label: str
) -> np.ndarray:
    """Prepare every source into ``stem.uint8`` and write ``stem.json``; unreadable images are skipped.

    ``read(source)`` returns a source's encoded bytes; ``manifest`` says how to prepare them.
    Returns the new cache, memory-mapped. Raises DataFormatError when no image could be read.
    """
    size, channels = manifest["size"], manifest["channels"]
    method, crop_size = manifest["square"], manifest.get("crop")
    skipped: list[str] = []

    def prepared(source):
        try:
            return prepare_image(read(source), size, channels, method, crop_size)
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
            skipped.append(str(source))
            return None

    count = 0
    data_path = stem.with_suffix(".uint8")
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
            raise DataFormatError(f"none of the {len(sources)} files of {manifest.get('source', 'the source')}"
                                  f"{chosen} could be read as an image (for example {', '.join(skipped[:3])})")
    if skipped:
        warnings.warn(
            f"skipped {len(skipped)} unreadable or non-image files of {len(sources)}, for example: "
            + ", ".join(Path(name).name for name in skipped[:5]),
            stacklevel=3,
        )
    write_text_atomically(
        stem.with_suffix(".json"),
        json.dumps({**manifest, "version": MANIFEST_VERSION, "count": count, "skipped": len(skipped)}, indent=2),
    )
    return np.memmap(data_path, dtype=np.uint8, mode="r", shape=(count, size, size, channels))


def cached_images(stem: Path, manifest: dict, sources: Sequence, read: Callable[[object], bytes],
                  label: str) -> np.ndarray:
    """The prepared images from the cache at ``stem``, built first when missing or made differently."""
    cached = open_cache(stem, manifest)
    return cached if cached is not None else build_cache(stem, manifest, sources, read, label)
