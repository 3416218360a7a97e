"""11k Hands (Afifi, 2019) as published: ``Hands/Hand_0000002.jpg`` … (or ``Hands.zip``) and ``HandInfo.csv``.

``HandInfo.csv`` describes every image: ``id, age, gender, skinColor, accessories, nailPolish,
aspectOfHand, imageName, irregularities``. Filters choose a consistent subset, for example
``{"aspectOfHand": "dorsal right", "accessories": 0, "nailPolish": 0}``.

The photos are 1600×1200 with the hand on a plain light background. We make them square by
**padding** the short side with that background colour (the median colour of the border), so
no finger is ever cut off, then resize with antialiasing.
"""

import csv
import io
import zipfile
from pathlib import Path

import numpy as np

from .errors import ConfigError, DataFormatError, DataNotFoundError
from .image_folder import original_photos, prepared_images
from .locations import dataset_search_dirs

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
    missing = [column for column in INFO_COLUMNS if column not in (reader.fieldnames or [])]
    if missing:
        raise DataFormatError(f"{info} lacks the columns {', '.join(missing)}; 11k Hands' {INFO_NAME} has "
                              f"{', '.join(INFO_COLUMNS)}")
    return [{key: (value or "").strip() for key, value in row.items() if key} for row in reader]


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


def hand_photo(name: str, path=None) -> np.ndarray:
    """One original photo (e.g. ``"Hand_0000002.jpg"``) as uint8 RGB, from the folder or from Hands.zip."""
    source, archive, _ = find_hands(path)
    if archive is None:
        member = source / name if (source / name).is_file() else None
    else:
        with zipfile.ZipFile(archive) as opened:
            member = next((member for member in opened.namelist() if member.endswith(f"{IMAGE_FOLDER}/{name}")), None)
    if member is None:
        raise DataNotFoundError(f"{archive or source} has no {IMAGE_FOLDER}/{name}")
    return original_photos([member], archive)[0]


def load_hands(path=None, size: int = 64, filters: dict | None = None, square: str = "pad") -> np.ndarray:
    """11k Hands images passing ``filters`` as uint8 (N, size, size, 3); squared by padding (default) or
    centre crop, resized with antialiasing; prepared once into a cache beside the data."""
    source, archive, info = find_hands(path)
    selected = select_images(read_hand_info(info), filters)
    if archive is not None:
        with zipfile.ZipFile(archive) as opened:
            members = {Path(name).name: name for name in opened.namelist() if f"{IMAGE_FOLDER}/" in name}
        if not members:
            raise DataFormatError(f"{archive} does not have 11k Hands' layout: expected {IMAGE_FOLDER}/Hand_0000002.jpg"
                                  " … inside")
        names = [members[name] for name in selected if name in members]
    else:
        names = [source / name for name in selected if (source / name).is_file()]
    if not names:
        raise DataNotFoundError(
            f"no images of {source} pass the filters {filters or {}} "
            f"({len(selected)} rows of {info.name} pass them); loosen the filters"
        )
    manifest = {"dataset": "hands", "size": size, "channels": 3, "square": square, "crop": None,
                "filters": {key: filters[key] for key in sorted(filters)} if filters else {}}
    return prepared_images(source, names, manifest, cache_name="hands", archive=archive)
