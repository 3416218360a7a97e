"""Images from a folder tree or a zip archive, prepared once into a cache: readers' own data."""

import io
import os
import zipfile
import zlib
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from .errors import DataFormatError, DataNotFoundError
from .image_cache import PreparedImages, cached_images, fingerprint, printable
from .locations import cache_dir_for

__all__ = ["DAMAGED_MEMBER", "MAX_IMAGE_BYTES", "class_labels", "folder_labels", "load_image_folder", "original_photos",
           "prepared_images"]

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif")
MAX_IMAGE_BYTES = 64 << 20  # no photo is larger; a bigger file or zip member is refused unread (a zip bomb)
READ_CHUNK_BYTES = 1 << 20
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError)  # a damaged or unusual member
DAMAGED_MEMBER = "damaged zip member"  # how the report names a member the zip module cannot read


def is_image_name(name: str) -> bool:
    return name.lower().endswith(IMAGE_SUFFIXES) and not Path(name).name.startswith(".")


def read_at_most(stream, declared_size: int) -> bytes:
    """A file's bytes, refused when it declares, or turns out to hold, more than MAX_IMAGE_BYTES.

    A zip member's declared size can lie, so the bytes actually read are bounded too.
    """
    limit = MAX_IMAGE_BYTES
    too_large = f"larger than the {limit:,} byte limit for one image ({declared_size:,} bytes declared)"
    if declared_size > limit:
        raise DataFormatError(too_large)
    chunks, total = [], 0
    while chunk := stream.read(min(READ_CHUNK_BYTES, limit + 1 - total)):
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            raise DataFormatError(too_large)
    return b"".join(chunks)


def read_file(path) -> bytes:
    with open(path, "rb") as stream:
        return read_at_most(stream, os.fstat(stream.fileno()).st_size)


@contextmanager
def member_reader(archive: Path | None):
    """A function reading one source's bytes: a zip member's when ``archive`` is given, else a file's.

    A member that cannot be read raises DataFormatError saying why, never the zip module's own errors.
    """
    if archive is None:
        yield read_file
        return
    with zipfile.ZipFile(archive) as opened:
        def read_member(name: str) -> bytes:
            try:
                info = opened.getinfo(name)
                with opened.open(info) as stream:
                    return read_at_most(stream, info.file_size)
            except ZIP_ERRORS as error:
                raise DataFormatError(f"{DAMAGED_MEMBER} ({error})") from error

        yield read_member


def file_identity(path) -> tuple[str, int, int]:
    """(name, size, modification time in ns) of a file; a vanished file is left out when the cache is built."""
    try:
        status = os.stat(path)
    except OSError:
        return str(path), -1, -1
    return str(path), status.st_size, status.st_mtime_ns


def source_identities(names: list, archive: Path | None) -> list[tuple[str, int, int]]:
    """(name, size, modification time) of each file; for a zip, the archive's own and (member, size, CRC-32)
    of each member (a zip's directory can describe members its damaged data no longer holds)."""
    if archive is None:
        return [file_identity(path) for path in names]
    with zipfile.ZipFile(archive) as opened:
        members = [(name, info.file_size, info.CRC) for name in names for info in [opened.getinfo(name)]]
    return [file_identity(archive), *members]


def original_photos(names: list, archive: Path | None = None) -> list[np.ndarray]:
    """The files (or zip members) ``names`` decoded as they are, uint8 RGB, to show beside prepared images."""
    photos = []
    with member_reader(archive) as read:
        for name in names:
            try:
                photos.append(np.asarray(Image.open(io.BytesIO(read(name))).convert("RGB")))
            except (UnidentifiedImageError, OSError, SyntaxError) as error:
                raise DataFormatError(f"{name} cannot be read as an image ({error}); replace it") from error
    return photos


def prepared_images(source: Path, names: list, manifest: dict, cache_name: str, archive: Path | None = None,
                    left_out=()) -> PreparedImages:
    """Images from files (or zip members) ``names``, through the cache kept beside ``source``.

    ``left_out`` lists (name, why) of files the caller chose not to read (refused or missing ones);
    the returned images' ``report`` names them beside the files that could not be read, and their
    ``sources`` name the file (as the report does) of each image, in order.
    """
    manifest = {**manifest, "source": str(source.resolve()), "files": len(names),
                "fingerprint": fingerprint(source_identities(names, archive))}
    stem = cache_dir_for(source) / f"{cache_name}-{manifest['size']}px"

    def display(name) -> str:  # names in the report: zip members as they are, files relative to the folder
        return str(name) if archive is not None else os.path.relpath(name, source)

    with member_reader(archive) as read:
        images = cached_images(stem, manifest, names, read, f"preparing {printable(source.name)}", display)
    unreadable = {name for name, _ in images.report.left_out}
    images.sources = tuple(shown for shown in map(display, names) if shown not in unreadable)
    images.report = images.report.with_left_out(left_out)
    return images


def class_labels(values: list[str], described: str) -> tuple[np.ndarray, tuple[str, ...]]:
    """Each image's class as an index into the sorted distinct ``values``; two classes at least."""
    classes = tuple(sorted(set(values)))
    if len(classes) < 2:
        raise DataFormatError(f"a conditional GAN needs at least two classes, but every image of {described} is "
                              f"{classes[0]!r}; choose data with several")
    index = {name: number for number, name in enumerate(classes)}
    return np.array([index[value] for value in values], np.int32), classes


def folder_labels(images: PreparedImages, folder) -> tuple[np.ndarray, tuple[str, ...]]:
    """The class of each image of ``load_image_folder(folder)``: the first-level subfolder it lies in."""
    loose = [name for name in images.sources if len(Path(name).parts) < 2]
    if loose:
        raise DataFormatError(f"{len(loose)} images lie directly in {folder} (such as {printable(loose[0])}), not in a "
                              "class subfolder; for a conditional GAN put each image in the subfolder of its class")
    return class_labels([Path(name).parts[0] for name in images.sources], str(folder))


def load_image_folder(path, size: int = 64, channels: int = 3, square: str = "crop") -> PreparedImages:
    """Every JPEG/PNG/BMP/GIF under ``path`` (recursively), squared and resized to ``size``, as uint8
    (N, size, size, channels). ``square="crop"`` cuts the centre square, ``"pad"`` pads the short side
    with the background colour. Prepared once, then read from the cache in ``path/../.dcgan-cache``;
    ``images.report`` names the files that could not be read.
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
