"""11k Hands (Afifi, 2019) as published: ``Hands/Hand_0000002.jpg`` … (or ``Hands.zip``) and ``HandInfo.csv``.

``HandInfo.csv`` describes every image: ``id, age, gender, skinColor, accessories, nailPolish,
aspectOfHand, imageName, irregularities``. Filters choose a consistent subset, for example
``{"aspectOfHand": "dorsal right", "accessories": 0, "nailPolish": 0}``. A row whose ``imageName``
is not a plain file name in ``Hands/`` (``../x.jpg``, ``/etc/x.jpg``) is refused, a repeated row is
used once and a listed photo that is missing is left out; the images' ``report`` names each.

The photos are 1600×1200 with the hand on a plain light background. We make them square by
**padding** the short side with that background colour (the median colour of the border), so
no finger is ever cut off, then resize with antialiasing.
"""

import csv
import io
import zipfile
from pathlib import Path, PurePosixPath, PureWindowsPath

import numpy as np

from .errors import ConfigError, DataFormatError, DataNotFoundError
from .image_cache import PreparedImages
from .image_folder import class_labels, original_photos, prepared_images
from .locations import dataset_search_dirs

__all__ = ["ARCHIVE_NAME", "FOLDER_NAME", "IMAGE_FOLDER", "find_hands", "hand_labels", "hand_photo", "load_hands",
           "matches", "parse_filter", "read_hand_info"]

FOLDER_NAME = "hands"
IMAGE_FOLDER = "Hands"
ARCHIVE_NAME = "Hands.zip"
INFO_NAME = "HandInfo.csv"
INFO_COLUMNS = ("id", "age", "gender", "skinColor", "accessories", "nailPolish", "aspectOfHand", "imageName",
                "irregularities")
HOMEPAGE = "https://sites.google.com/view/11khands"


def find_hands(path=None) -> tuple[Path, Path | None, Path]:
    """(source, archive or None, HandInfo.csv) from the first folder holding both, else DataNotFoundError."""
    searched = dataset_search_dirs(FOLDER_NAME, path)
    for folder in searched:
        info = folder / INFO_NAME
        if not info.is_file():
            continue
        if (folder / IMAGE_FOLDER).is_dir():
            return folder / IMAGE_FOLDER, None, info
        if (folder / ARCHIVE_NAME).is_file():
            return folder / ARCHIVE_NAME, folder / ARCHIVE_NAME, info
    raise DataNotFoundError(
        f"11k Hands was not found in {', '.join(str(folder) for folder in searched)}: each place needs "
        f"{INFO_NAME} next to {IMAGE_FOLDER}/ or {ARCHIVE_NAME}. Download both from {HOMEPAGE} and put them in "
        f"{searched[0].resolve()}/"
    )


def read_hand_info(info: Path) -> list[dict]:
    """The rows of HandInfo.csv as dicts of strings, after checking its columns."""
    try:
        text = info.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise DataFormatError(f"{info} cannot be read as a text file ({error})") from error
    reader = csv.DictReader(io.StringIO(text))
    try:
        missing = [column for column in INFO_COLUMNS if column not in (reader.fieldnames or [])]
        if missing:
            raise DataFormatError(f"{info} lacks the columns {', '.join(missing)}; 11k Hands' {INFO_NAME} has "
                                  f"{', '.join(INFO_COLUMNS)}")
        return [{key: (value or "").strip() for key, value in row.items() if key} for row in reader]
    except csv.Error as error:
        raise DataFormatError(f"{info} is not a readable CSV file (line {reader.line_num}: {error}); "
                              f"download {INFO_NAME} again from {HOMEPAGE}") from error


def matches(row: dict, filters: dict) -> bool:
    """True when every filter holds: a value, or a list of accepted values, compared as text."""
    for column, wanted in filters.items():
        accepted = wanted if isinstance(wanted, list | tuple | set) else [wanted]
        if row[column] not in {str(value) for value in accepted}:
            return False
    return True


def parse_filter(text: str) -> dict:
    """``"aspectOfHand=dorsal right;accessories=0"`` → ``{"aspectOfHand": "dorsal right", "accessories": "0"}``.

    Conditions are separated by ``;``; ``|`` separates accepted values (``aspectOfHand=dorsal right|dorsal left``).
    This text form lives in the config (``data_filter``), so a resumed session trains on the same subset.
    """
    filters = {}
    for condition in filter(None, (part.strip() for part in text.split(";"))):
        column, separator, values = condition.partition("=")
        if not separator or not column.strip() or not values.strip():
            raise ConfigError(f"data_filter condition {condition!r} is not COLUMN=VALUE; write for example "
                              "'aspectOfHand=dorsal right;accessories=0'")
        accepted = [value.strip() for value in values.split("|")]
        filters[column.strip()] = accepted if len(accepted) > 1 else accepted[0]
    return filters


def select_images(rows: list[dict], filters: dict | None) -> list[str]:
    """Image names of the rows that pass the filters, in the CSV's order."""
    filters = dict(filters or {})
    unknown = [column for column in filters if column not in INFO_COLUMNS]
    if unknown:
        raise ConfigError(
            f"unknown HandInfo.csv column {', '.join(unknown)}; filter by any of {', '.join(INFO_COLUMNS)}"
        )
    return [row["imageName"] for row in rows if matches(row, filters)]


def is_plain_file_name(name: str) -> bool:
    """True for ``Hand_0000002.jpg``; False for anything that names another folder (``../x``, ``/x``, ``C:x``)."""
    return name not in ("", ".", "..") and PurePosixPath(name).name == name and PureWindowsPath(name).name == name


def choose_photos(selected: list[str], available: dict) -> tuple[list, list[tuple[str, str]]]:
    """The photos of the ``selected`` names that ``available`` (name → file or member) holds, each once,
    and (name, why) for every name left out: refused, repeated or missing."""
    chosen, left_out, seen = [], [], set()
    for name in selected:
        if not name:
            left_out.append((name, "refused: the row names no photo"))
        elif not is_plain_file_name(name):
            left_out.append((name, f"refused: points outside {IMAGE_FOLDER}/ ({INFO_NAME} may only name its files)"))
        elif name in seen:
            left_out.append((name, f"duplicate row of {INFO_NAME}: the photo is used once"))
        elif name not in available:
            left_out.append((name, f"missing: listed in {INFO_NAME}, not in {IMAGE_FOLDER}/"))
        else:
            chosen.append(available[name])
        seen.add(name)
    return chosen, left_out


def archive_photos(archive: Path) -> dict[str, str]:
    """The photos of Hands.zip by file name (``Hand_0000002.jpg`` → its member ``Hands/Hand_0000002.jpg``)."""
    try:
        with zipfile.ZipFile(archive) as opened:
            members = {Path(name).name: name for name in opened.namelist() if Path(name).parent.name == IMAGE_FOLDER}
    except (zipfile.BadZipFile, OSError) as error:
        raise DataFormatError(f"{archive} is not a readable zip archive ({error}); delete it and download "
                              f"{ARCHIVE_NAME} again from {HOMEPAGE}") from error
    if not members:
        raise DataFormatError(f"{archive} does not have 11k Hands' layout: expected {IMAGE_FOLDER}/Hand_0000002.jpg"
                              " … inside")
    return members


def hand_photo(name: str, path=None) -> np.ndarray:
    """One original photo (e.g. ``"Hand_0000002.jpg"``) as uint8 RGB, from the folder or from Hands.zip."""
    if not is_plain_file_name(name):
        raise DataNotFoundError(f"{name!r} is not a file name in {IMAGE_FOLDER}/; give one such as Hand_0000002.jpg")
    source, archive, _ = find_hands(path)
    if archive is None:
        member = source / name if (source / name).is_file() else None
    else:
        member = archive_photos(archive).get(name)
    if member is None:
        raise DataNotFoundError(f"{archive or source} has no {IMAGE_FOLDER}/{name}")
    return original_photos([member], archive)[0]


def load_hands(path=None, size: int = 64, filters: dict | None = None, square: str = "pad") -> PreparedImages:
    """11k Hands images passing ``filters`` as uint8 (N, size, size, 3); squared by padding (default) or
    centre crop, resized with antialiasing; prepared once into a cache beside the data. ``images.report``
    names the rows refused, repeated or missing and the photos that could not be read."""
    source, archive, info = find_hands(path)
    selected = select_images(read_hand_info(info), filters)
    if archive is not None:
        members = archive_photos(archive)
    else:
        members = {file.name: file for file in source.iterdir() if file.is_file()}
    names, left_out = choose_photos(selected, members)
    if not selected:
        raise DataNotFoundError(f"no rows of {info} pass the filters {filters or {}}; loosen the filters")
    if not names:
        name, why = left_out[0]
        raise DataNotFoundError(f"none of the {len(selected)} rows of {info} that pass the filters names a photo "
                                f"of {source} (the first, {name!r}, is {why.split(':')[0]}); check that {INFO_NAME} "
                                f"belongs to that {IMAGE_FOLDER}/")
    manifest = {"dataset": "hands", "size": size, "channels": 3, "square": square, "crop": None,
                "filters": {key: filters[key] for key in sorted(filters)} if filters else {}}
    return prepared_images(source, names, manifest, cache_name="hands", archive=archive, left_out=left_out)


def hand_labels(images: PreparedImages, label_by: str, path=None) -> tuple[np.ndarray, tuple[str, ...]]:
    """The class of each image of ``load_hands``: its value of the ``HandInfo.csv`` column ``label_by``, or of
    several columns joined by ``+`` (``"gender+aspectOfHand"`` gives classes such as ``"male, dorsal right"``)."""
    columns = [column.strip() for column in label_by.split("+")]
    unknown = [column for column in columns if column not in INFO_COLUMNS]
    if not label_by.strip() or unknown:
        raise ConfigError(f"label_by names the {INFO_NAME} column(s) whose values are the classes, such as "
                          f"aspectOfHand or gender+aspectOfHand; {', '.join(unknown) or 'nothing'} is not one of "
                          f"{', '.join(INFO_COLUMNS)}")
    _, _, info = find_hands(path)
    rows = {}
    for row in read_hand_info(info):
        rows.setdefault(row["imageName"], row)  # a repeated row is used once, as by load_hands
    values = [", ".join(rows[PurePosixPath(name).name][column] for column in columns) for name in images.sources]
    return class_labels(values, f"{info} by {label_by}")
