"""On Colab with ``drive_folder``: CelebA's zip stays on Google Drive, which outlives the runtime, and the images
prepared from it go to the runtime's own disk, which is fast to read; a recycled runtime rebuilds them from the
zip on Drive, without downloading it again. Also the mirrors CelebA is downloaded from, tried in order."""

import dataclasses
import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest
from support.colab import fake_colab
from support.layouts import FileServer, celeba_members, zip_members

from dcgan_helpers import files, locations
from dcgan_helpers.celeba import ARCHIVE_NAME, ARCHIVE_SHA256, MIRRORS, download_celeba, load_celeba
from dcgan_helpers.download import Mirror
from dcgan_helpers.errors import DataNotFoundError, NoRoom

pytestmark = pytest.mark.kernel

PYTORCH_TUTORIALS_URL = "https://s3.amazonaws.com/pytorch-tutorial-assets/img_align_celeba.zip"


@pytest.fixture
def drive(tmp_path, monkeypatch):
    """Colab after ``use_drive("dcgan")``, with Drive mounted at tmp_path/drive and the runtime's disk at
    tmp_path/content; returns the Drive folder ``MyDrive/dcgan``. Nothing else on this machine is searched."""
    fake_colab(monkeypatch)
    monkeypatch.setattr(locations, "DRIVE_MOUNT", tmp_path / "drive")
    monkeypatch.setattr(locations, "RUNTIME_DISK", tmp_path / "content")
    monkeypatch.setattr(locations, "source_checkout", lambda: None)
    monkeypatch.setattr(locations, "DEBIAN_DATASETS_DIR", tmp_path / "debian")
    (tmp_path / "content").mkdir()
    monkeypatch.chdir(tmp_path / "content")  # Colab's working folder
    locations.use_drive("dcgan")
    return tmp_path / "drive" / "MyDrive" / "dcgan"


@pytest.fixture
def served(tmp_path):
    """A loopback server of a small img_align_celeba.zip, and a mirror for it checked by its SHA-256."""
    content = zip_members(tmp_path / "served" / ARCHIVE_NAME, celeba_members(6, corrupt=())).read_bytes()
    server = FileServer({f"/{ARCHIVE_NAME}": content})
    with server.running():
        yield server, content, Mirror("stand-in", server.url(f"/{ARCHIVE_NAME}"), hashlib.sha256(content).hexdigest())


def local_cache(tmp_path):
    """Where the images prepared from MyDrive/dcgan/data/celeba/ are cached on the runtime's disk."""
    return tmp_path / "content" / ".dcgan-cache" / "MyDrive" / "dcgan" / "data" / "celeba"


def test_the_zip_is_kept_on_drive_and_the_prepared_images_on_the_runtime_disk(drive, served, tmp_path):
    server, content, mirror = served
    images = load_celeba(download=True, mirrors=[mirror])
    assert len(images) == 6
    assert (drive / "data" / "celeba" / ARCHIVE_NAME).read_bytes() == content
    cache = local_cache(tmp_path) / "celeba-64px.uint8"
    assert cache.stat().st_size == images.nbytes and Path(images.filename) == cache.resolve()
    assert [path.name for path in drive.rglob("*") if path.is_file()] == [ARCHIVE_NAME]  # no cache on Drive
    assert f"(cache: {cache.resolve()})" in str(images.report)  # the report says where it was read from


def test_a_recycled_runtime_rebuilds_the_cache_from_the_zip_on_drive_without_downloading(drive, served, tmp_path):
    server, content, mirror = served
    first = np.array(load_celeba(download=True, mirrors=[mirror]))
    shutil.rmtree(tmp_path / "content" / ".dcgan-cache")  # a recycled runtime: its own disk is new, Drive is kept
    again = load_celeba(download=True, mirrors=[mirror])
    assert len(server.requests) == 1  # the first load's download only
    assert np.array_equal(again, first) and (local_cache(tmp_path) / "celeba-64px.uint8").is_file()


def test_the_room_for_the_cache_is_checked_on_the_runtime_disk(drive, tmp_path, monkeypatch):
    zip_members(drive / "data" / "celeba" / ARCHIVE_NAME, celeba_members(6, corrupt=()))
    real_disk_usage = shutil.disk_usage

    def disk_usage(folder):  # the runtime's disk is full; Drive has room
        usage = real_disk_usage(folder)
        full = Path(folder).resolve().is_relative_to(locations.RUNTIME_DISK.resolve())
        return usage._replace(free=0) if full else usage

    monkeypatch.setattr(files.shutil, "disk_usage", disk_usage)
    with pytest.raises(NoRoom) as raised:
        load_celeba()
    assert raised.value.folder == local_cache(tmp_path)
    assert not local_cache(tmp_path).exists()  # refused before anything was written


def test_data_elsewhere_is_still_cached_beside_it(drive, tmp_path):
    folder = tmp_path / "elsewhere" / "celeba"
    zip_members(folder / ARCHIVE_NAME, celeba_members(3, corrupt=()))
    assert Path(load_celeba(folder).filename) == (folder / ".dcgan-cache" / "celeba-64px.uint8").resolve()


def test_pytorch_tutorials_copy_follows_the_authors_file_and_is_checked_by_the_same_sha256():
    assert [mirror.url for mirror in MIRRORS[:2]] == [MIRRORS[0].url, PYTORCH_TUTORIALS_URL]
    assert MIRRORS[0].sha256 == MIRRORS[1].sha256 == ARCHIVE_SHA256
    assert ARCHIVE_SHA256 == "46fb89443c578308acf364d7d379fe1b9efb793042c0af734b6112e4fd3a8c74"


def stand_ins(server: FileServer) -> list[Mirror]:
    """The published web mirrors, in their order and with their checksums, served from loopback as /0 … /N."""
    published = [mirror for mirror in MIRRORS if not mirror.kaggle_dataset]
    return [dataclasses.replace(mirror, url=server.url(f"/{index}")) for index, mirror in enumerate(published)]


def test_the_mirrors_are_tried_in_order_and_a_file_with_another_checksum_is_refused(tmp_path):
    small = zip_members(tmp_path / "small.zip", celeba_members(4, corrupt=())).read_bytes()  # not the 1.4 GB file
    server = FileServer({"/1": small, "/2": small})  # the authors' file is refused (404); the next two answer
    with server.running():
        fetched = download_celeba(tmp_path / "celeba", mirrors=stand_ins(server), quiet=True)
    assert [request["path"] for request in server.requests] == ["/0", "/1", "/2"]
    assert fetched.read_bytes() == small  # from keras-io's copy, checked by its layout, not PyTorch's

    server = FileServer({"/1": small})
    with server.running(), pytest.raises(DataNotFoundError) as raised:
        download_celeba(tmp_path / "refused", mirrors=stand_ins(server), quiet=True)
    assert f"PyTorch tutorials' copy (Amazon S3): {ARCHIVE_NAME} from {server.url('/1')} has SHA-256 " \
           f"{hashlib.sha256(small).hexdigest()}, expected {ARCHIVE_SHA256}" in str(raised.value)
    assert not (tmp_path / "refused" / ARCHIVE_NAME).exists()
