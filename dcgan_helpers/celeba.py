"""CelebA (aligned and cropped faces) in its published layout: ``img_align_celeba/`` or ``img_align_celeba.zip``.

The published images are 178×218 JPEGs named ``000001.jpg`` … ``202599.jpg``. For the DCGAN we
cut a **108-pixel centre square** and resize it to 64×64 with antialiasing, as carpedm20's
DCGAN-tensorflow does (``--input_height=108 --crop``): it keeps the face from eyebrows to chin and
drops most hair and background, so a small generator spends its capacity on faces. ``crop=138``
keeps more hair (dcgan.torch cuts a 138-pixel square, 10 pixels right of centre); ``crop=178`` (the
full width) is the square the PyTorch tutorial's resize-then-centre-crop keeps. (The DCGAN paper's
own faces were not CelebA but its authors' unreleased web collection.)
"""

import re
import zipfile
from pathlib import Path

import numpy as np

from .config import CELEBA_CROP_SIZES
from .download import Mirror, fetch_first, google_drive_url
from .errors import ConfigError, DataFormatError, DataNotFoundError
from .image_cache import PreparedImages
from .image_folder import DAMAGED_MEMBER, original_photos, prepared_images
from .locations import dataset_search_dirs, download_dir

__all__ = ["ARCHIVE_NAME", "FOLDER_NAME", "IMAGE_FOLDER", "MIRRORS", "celeba_photos", "download_celeba", "load_celeba"]

FOLDER_NAME = "celeba"
ARCHIVE_NAME = "img_align_celeba.zip"
IMAGE_FOLDER = "img_align_celeba"
ARCHIVE_SHA256 = "46fb89443c578308acf364d7d379fe1b9efb793042c0af734b6112e4fd3a8c74"
MEMBER_PATTERN = re.compile(rf"(?:^|/){IMAGE_FOLDER}/(\d{{6}})\.jpg$")

MIRRORS = (
    # The file the CelebA authors published on Google Drive, also used by torchvision and TFDS.
    Mirror("Google Drive (CelebA authors' file, used by torchvision/TFDS)",
           google_drive_url("0B7EVK8r0v71pZjFTYXZWM3FlRnM"), ARCHIVE_SHA256),
    # The same file where PyTorch's tutorials fetch it for their DCGAN tutorial, with this SHA-256
    # (pytorch/tutorials, .jenkins/download_data.py; torchvision's prototype CelebA records the same one).
    Mirror("PyTorch tutorials' copy (Amazon S3)", "https://s3.amazonaws.com/pytorch-tutorial-assets/img_align_celeba.zip",
           ARCHIVE_SHA256),
    # keras-io's DCGAN example downloads its own archive of the same images: checked by its layout.
    Mirror("Google Drive (keras-io DCGAN example's copy)", google_drive_url("1O7m1010EJjLE5QxLZiM9Fpjs7Oj6e684")),
    # Kaggle's copy: its archive nests img_align_celeba/img_align_celeba/*.jpg; checked by layout.
    Mirror("Kaggle jessicali9530/celeba-dataset", kaggle_dataset="jessicali9530/celeba-dataset"),
)


def find_celeba(path=None) -> tuple[Path, Path | None] | None:
    """(source, archive): the img_align_celeba folder, or the zip holding it; None when absent."""
    candidates = []
    if path is not None and Path(path).is_file():
        return Path(path), Path(path)
    for folder in dataset_search_dirs(FOLDER_NAME, path):
        candidates += [folder / IMAGE_FOLDER, folder / IMAGE_FOLDER / IMAGE_FOLDER, folder, folder / ARCHIVE_NAME,
                       folder / "celeba-dataset.zip"]
    for candidate in candidates:
        if candidate.is_dir() and (candidate / "000001.jpg").is_file():
            return candidate, None
        if candidate.is_file() and candidate.suffix == ".zip":
            return candidate, candidate
    return None


def manual_download_hint(path=None) -> str:
    target = download_dir(FOLDER_NAME, path)
    return (f"Download {ARCHIVE_NAME} (1.4 GB) yourself from https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html "
            f"(Google Drive link \"Align&Cropped Images\") or from Kaggle (jessicali9530/celeba-dataset), and put "
            f"it, or the unpacked {IMAGE_FOLDER}/ folder, in {target.resolve()}/")


def download_celeba(path=None, mirrors=MIRRORS, quiet: bool = False) -> Path:
    """Fetch the archive into ``path`` (default ``$DCGAN_DATA_DIR/celeba`` or ``data/celeba``), mirror by mirror."""
    destination = download_dir(FOLDER_NAME, path) / ARCHIVE_NAME
    return fetch_first(mirrors, destination, manual_download_hint(path), quiet=quiet)


def archive_members(archive: Path) -> list[str]:
    """The CelebA JPEG members of a zip, in file-number order, or a DataFormatError about its layout."""
    try:
        with zipfile.ZipFile(archive) as opened:
            names = opened.namelist()
    except (zipfile.BadZipFile, OSError) as error:
        raise DataFormatError(f"{archive} is not a readable zip archive ({error}): delete it or call "
                              "load_celeba(download=True), which replaces it with a verified download") from error
    members = sorted((name for name in names if MEMBER_PATTERN.search(name)), key=lambda name: name[-10:])
    if not members:
        raise DataFormatError(
            f"{archive} does not have CelebA's layout: expected {IMAGE_FOLDER}/000001.jpg … inside, "
            f"found for example {', '.join(names[:3]) or 'nothing'}"
        )
    return members


def image_names(source: Path, archive: Path | None) -> list:
    """The CelebA photos of a folder (paths) or of a zip (member names), in file-number order."""
    return archive_members(archive) if archive is not None else sorted(source.glob("*.jpg"))


def celeba_photos(count: int = 4, path=None) -> list[np.ndarray]:
    """The first ``count`` published photos (178×218, uint8 RGB), to compare with the prepared faces."""
    found = find_celeba(path)
    if found is None:
        raise DataNotFoundError(f"CelebA was not found. {manual_download_hint(path)}")
    source, archive = found
    return original_photos(image_names(source, archive)[:count], archive)


def load_celeba(path=None, size: int = 64, crop: int = 108, download: bool = False,
                mirrors=MIRRORS) -> PreparedImages:
    """CelebA faces as uint8 (N, size, size, 3): centre ``crop`` px square, resized with antialiasing.

    Looks in ``path`` (only there when given), ``$DCGAN_DATA_DIR/celeba`` and ``data/celeba`` for the
    ``img_align_celeba/`` folder or ``img_align_celeba.zip``; with ``download=True`` fetches the zip
    when it is missing or damaged. Prepared once into a cache, then memory-mapped: beside the data, or
    on the runtime's own disk for data on Google Drive (``locations.cache_dir_for``); ``images.report``
    says where the cache is and names the photos that could not be read.
    """
    if crop not in CELEBA_CROP_SIZES:
        raise ConfigError(f"crop must be one of {', '.join(map(str, CELEBA_CROP_SIZES))} (pixels of the centre "
                          f"square), not {crop}")
    found = find_celeba(path)
    if found is None and download:
        downloaded = download_celeba(path, mirrors)
        found = downloaded, downloaded
    if found is None:
        searched = ", ".join(str(folder) for folder in dataset_search_dirs(FOLDER_NAME, path))
        raise DataNotFoundError(f"CelebA was not found in {searched}. {manual_download_hint(path)}, "
                                "or call load_celeba(download=True)")
    source, archive = found
    try:
        names = image_names(source, archive)
    except DataFormatError:
        if archive is None or not download:
            raise
        source = archive = download_celeba(path, mirrors)  # replaces the damaged file only once verified
        names = image_names(source, archive)
    manifest = {"dataset": "celeba", "size": size, "channels": 3, "square": "crop", "crop": crop}
    images = prepared_images(source, names, manifest, cache_name="celeba", archive=archive)
    if download and archive is not None and any(why.startswith(DAMAGED_MEMBER) for _, why in images.report.left_out):
        source = archive = download_celeba(path, mirrors)  # a damaged archive, replaced only once verified
        images = prepared_images(source, image_names(source, archive), manifest, cache_name="celeba", archive=archive)
    return images
