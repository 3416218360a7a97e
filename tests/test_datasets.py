"""CelebA, 11k Hands and image folders in their published layouts: loading, filters, cache, downloads."""

import hashlib
import io
import json
import time
import tracemalloc

import numpy as np
import pytest
from PIL import Image
from support.layouts import (
    FileServer,
    celeba_members,
    jpeg_bytes,
    make_hands,
    write_members,
    zip_members,
)

from dcgan_helpers import celeba, locations
from dcgan_helpers.celeba import load_celeba
from dcgan_helpers.datasets import preset
from dcgan_helpers.download import Mirror, download, fetch_first
from dcgan_helpers.errors import ConfigError, DataFormatError, DataNotFoundError, UsageError
from dcgan_helpers.hands import load_hands
from dcgan_helpers.image_cache import prepare_image, square
from dcgan_helpers.image_folder import load_image_folder
from dcgan_helpers.pipeline import make_dataset

pytestmark = pytest.mark.kernel


@pytest.fixture(autouse=True)
def only_test_data(tmp_path, monkeypatch):
    """No dataset of the machine or the checkout may be found by accident."""
    monkeypatch.setattr(locations, "source_checkout", lambda: None)
    monkeypatch.setattr(locations, "DEBIAN_DATASETS_DIR", tmp_path / "debian")
    monkeypatch.delenv("DCGAN_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)


def test_celeba_folder_is_cropped_resized_cached_and_corrupt_files_reported(tmp_path, capsys):
    write_members(tmp_path / "celeba", celeba_members(12, corrupt=(7,)))
    started = time.perf_counter()
    images = load_celeba(tmp_path / "celeba")
    first_seconds = time.perf_counter() - started
    assert images.shape == (11, 64, 64, 3) and images.dtype == np.uint8
    assert "preparing img_align_celeba" in capsys.readouterr().out  # the progress bar
    assert [name for name, _ in images.report.left_out] == ["000007.jpg"]
    assert "11 images from" in str(images.report) and "000007.jpg: image file is truncated" in str(images.report)
    manifest = json.loads((tmp_path / "celeba" / ".dcgan-cache" / "celeba-64px.json").read_text())
    assert (manifest["crop"], manifest["count"], len(manifest["left_out"]), manifest["size"]) == (108, 11, 1, 64)

    started = time.perf_counter()
    again = load_celeba(tmp_path / "celeba")
    assert time.perf_counter() - started < first_seconds / 3  # read from the cache, no JPEG decoded
    assert isinstance(again, np.memmap) and np.array_equal(again, images)

    expected = prepare_image(jpeg_bytes(178, 218, 1), 64, 3, "crop", 108)
    np.testing.assert_array_equal(images[0], expected)


def test_original_photos_come_from_the_folder_or_the_zip_unchanged(tmp_path):
    from dcgan_helpers.celeba import celeba_photos

    members = celeba_members(3, corrupt=())
    write_members(tmp_path / "folder", members)
    zip_members(tmp_path / "zipped" / "img_align_celeba.zip", members)
    for place in ("folder", "zipped"):
        photos = celeba_photos(2, tmp_path / place)
        assert [photo.shape for photo in photos] == [(218, 178, 3)] * 2
        assert np.array_equal(photos[1], np.asarray(Image.open(io.BytesIO(members["img_align_celeba/000002.jpg"]))))


def test_changed_preprocessing_or_files_rebuild_the_cache(tmp_path):
    folder = write_members(tmp_path / "celeba", celeba_members(6, corrupt=()))
    with_108 = np.array(load_celeba(folder))
    with_178 = load_celeba(folder, crop=178)
    assert not np.array_equal(with_108, with_178)
    manifest_path = folder / ".dcgan-cache" / "celeba-64px.json"
    assert json.loads(manifest_path.read_text())["crop"] == 178
    write_members(folder, {"img_align_celeba/000007.jpg": jpeg_bytes(178, 218, 7)})
    assert len(load_celeba(folder, crop=178)) == 7
    assert load_celeba(folder, size=32).shape == (7, 32, 32, 3)


def test_celeba_zip_as_published_gives_the_same_images_as_the_folder(tmp_path):
    members = celeba_members(5, corrupt=())
    from_zip = load_celeba(zip_members(tmp_path / "zipped" / "img_align_celeba.zip", members))
    from_folder = load_celeba(write_members(tmp_path / "folder", members))
    np.testing.assert_array_equal(from_zip, from_folder)


def test_celeba_is_found_in_dcgan_data_dir_and_in_data(tmp_path, monkeypatch):
    zip_members(tmp_path / "data" / "celeba" / "img_align_celeba.zip", celeba_members(3, corrupt=()))
    assert len(load_celeba()) == 3
    write_members(tmp_path / "env" / "celeba", celeba_members(4, corrupt=()))
    monkeypatch.setenv("DCGAN_DATA_DIR", str(tmp_path / "env"))
    assert len(load_celeba()) == 4


def test_wrong_archives_and_missing_data_say_what_was_expected(tmp_path):
    bad = zip_members(tmp_path / "bad" / "img_align_celeba.zip", {"faces/1.jpg": jpeg_bytes(10, 10, 0)})
    with pytest.raises(DataFormatError, match="expected img_align_celeba/000001.jpg"):
        load_celeba(bad)
    (tmp_path / "broken.zip").write_bytes(b"not a zip")
    with pytest.raises(DataFormatError, match="not a readable zip"):
        load_celeba(tmp_path / "broken.zip")
    with pytest.raises(DataNotFoundError, match=r"put it, or the unpacked img_align_celeba/ folder, in .*empty"):
        load_celeba(tmp_path / "empty")
    with pytest.raises(ValueError, match="crop must be one of"):
        load_celeba(bad, crop=100)


@pytest.fixture
def archive():
    content = zip_members_bytes(celeba_members(4, corrupt=()))
    return content, hashlib.sha256(content).hexdigest()


def zip_members_bytes(members) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as opened:
        for name, content in members.items():
            opened.writestr(name, content)
    return buffer.getvalue()


def test_download_over_loopback_checks_the_checksum_then_loads(tmp_path, archive):
    content, digest = archive
    with FileServer({"/img_align_celeba.zip": content}).running() as server:
        mirrors = [Mirror("local", server.url("/img_align_celeba.zip"), digest)]
        images = load_celeba(tmp_path / "celeba", download=True, mirrors=mirrors)
    assert len(images) == 4
    assert (tmp_path / "celeba" / "img_align_celeba.zip").read_bytes() == content
    assert not list((tmp_path / "celeba").glob("*.part"))


def test_a_wrong_checksum_is_refused_and_leaves_no_file(tmp_path, archive):
    content, _ = archive
    with FileServer({"/img_align_celeba.zip": content}).running() as server, \
            pytest.raises(DataFormatError, match="expected 0000"):
        download(server.url("/img_align_celeba.zip"), tmp_path / "a.zip", "0" * 64, quiet=True)
    assert list(tmp_path.iterdir()) == []


def test_an_interrupted_download_resumes_from_its_part_file(tmp_path, archive):
    content, digest = archive
    server = FileServer({"/img_align_celeba.zip": content}, cut_first_after=len(content) // 2)
    destination = tmp_path / "img_align_celeba.zip"
    with server.running():
        with pytest.raises(Exception, match="continues from"):
            download(server.url("/img_align_celeba.zip"), destination, digest, quiet=True)
        assert not destination.exists()
        assert (tmp_path / "img_align_celeba.zip.part").stat().st_size == len(content) // 2
        download(server.url("/img_align_celeba.zip"), destination, digest, quiet=True)
    assert destination.read_bytes() == content
    assert server.requests[1]["range"] == f"bytes={len(content) // 2}-"


def test_when_every_mirror_fails_the_error_says_where_to_put_the_file(tmp_path, archive):
    content, digest = archive
    with FileServer({"/other": content}).running() as server:
        mirrors = [Mirror("missing", server.url("/img_align_celeba.zip"), digest),
                   Mirror("damaged", server.url("/other"), "f" * 64),
                   Mirror("kaggle", kaggle_dataset="jessicali9530/celeba-dataset")]
        with pytest.raises(DataNotFoundError) as raised:
            load_celeba(tmp_path / "celeba", download=True, mirrors=mirrors)
    message = str(raised.value)
    assert "missing: " in message and "HTTP 404" in message and "damaged: " in message and "kaggle: " in message
    assert f"in {(tmp_path / 'celeba').resolve()}/" in message
    assert not (tmp_path / "celeba" / "img_align_celeba.zip").exists()


def test_fetch_first_takes_the_first_mirror_that_works(tmp_path, archive):
    content, digest = archive
    with FileServer({"/good.zip": content}).running() as server:
        mirrors = [Mirror("down", "http://127.0.0.1:9/x.zip", digest), Mirror("good", server.url("/good.zip"), digest)]
        assert fetch_first(mirrors, tmp_path / "x.zip", "hint", quiet=True).read_bytes() == content


def test_hands_filters_by_any_column_and_pads_to_square(tmp_path):
    make_hands(tmp_path / "hands", count=16)
    everything = load_hands(tmp_path / "hands")
    assert everything.shape == (16, 64, 64, 3)
    dorsal_right = load_hands(tmp_path / "hands", filters={"aspectOfHand": "dorsal right", "accessories": 0})
    # rows 0, 4, 8, 12 are dorsal right; rows 0 and 12 wear accessories (index % 3 == 0)
    assert len(dorsal_right) == 2
    both_sides = load_hands(tmp_path / "hands", filters={"aspectOfHand": ["dorsal right", "dorsal left"]})
    assert len(both_sides) == 8
    # padding: the added top and bottom bands have the background colour, nothing is cut off
    band = everything[0, :6].reshape(-1, 3).astype(int)
    assert np.abs(band - [235, 230, 225]).max() <= 8


def test_hands_subset_comes_from_the_config_text_so_a_resumed_session_keeps_it(tmp_path):
    from dcgan_helpers.datasets import load_images
    from dcgan_helpers.hands import parse_filter

    assert parse_filter("aspectOfHand=dorsal right; accessories=0") == {"aspectOfHand": "dorsal right",
                                                                         "accessories": "0"}
    assert parse_filter("aspectOfHand=dorsal right|dorsal left") == {"aspectOfHand": ["dorsal right", "dorsal left"]}
    assert parse_filter("") == {}
    with pytest.raises(ConfigError, match="is not COLUMN=VALUE"):
        parse_filter("dorsal right")
    make_hands(tmp_path / "hands", count=16)
    chosen = load_images("hands64", tmp_path / "hands", 32, "aspectOfHand=dorsal right;accessories=0")
    direct = load_hands(tmp_path / "hands", size=32, filters={"aspectOfHand": "dorsal right", "accessories": 0})
    np.testing.assert_array_equal(chosen, direct)
    with pytest.raises(UsageError, match="only hands64 has"):
        load_images("celeba64", tmp_path / "hands", 64, "gender=male")


def test_hands_zip_and_bad_info_files(tmp_path):
    from dcgan_helpers.hands import hand_photo

    make_hands(tmp_path / "zipped", count=8, zipped=True)
    make_hands(tmp_path / "folder", count=8)
    from_zip, from_folder = (hand_photo("Hand_0000003.jpg", tmp_path / name) for name in ("zipped", "folder"))
    assert from_zip.shape == (120, 160, 3) and np.array_equal(from_zip, from_folder)
    with pytest.raises(DataNotFoundError, match="has no Hands/Hand_0009999.jpg"):
        hand_photo("Hand_0009999.jpg", tmp_path / "zipped")
    assert load_hands(tmp_path / "zipped", size=32).shape == (8, 32, 32, 3)
    make_hands(tmp_path / "short", count=4, header="id,age,gender,imageName")
    with pytest.raises(DataFormatError, match="lacks the columns skinColor, accessories"):
        load_hands(tmp_path / "short")
    with pytest.raises(ConfigError, match="unknown HandInfo.csv column handedness"):
        load_hands(tmp_path / "zipped", filters={"handedness": "left"})
    with pytest.raises(DataNotFoundError, match="no rows of .* pass the filters .*'age': 99"):
        load_hands(tmp_path / "zipped", filters={"age": 99})
    with pytest.raises(DataNotFoundError, match="HandInfo.csv next to Hands/ or Hands.zip"):
        load_hands(tmp_path / "nothing")


def test_image_folder_reads_every_format_recursively_and_skips_what_is_not_an_image(tmp_path):
    folder = tmp_path / "mine"
    (folder / "a" / "b").mkdir(parents=True)
    for index, suffix in enumerate(("jpg", "png", "bmp", "gif")):
        Image.fromarray(np.full((40, 30, 3), 40 * index, np.uint8)).save(folder / "a" / f"{index}.{suffix}")
    Image.fromarray(np.zeros((20, 20), np.uint8)).save(folder / "a" / "b" / "gray.png")
    (folder / "a" / "broken.png").write_bytes(b"\x89PNG not really")
    (folder / "notes.txt").write_text("not an image")
    images = load_image_folder(folder, size=32)
    assert images.shape == (5, 32, 32, 3)
    assert images.report.left_out == (("a/broken.png", "not an image file (or a format PIL cannot read)"),)
    gray = load_image_folder(folder, size=32, channels=1)  # grayscale is another preprocessing: rebuilt
    assert gray.shape == (5, 32, 32, 1) and len(gray.report.left_out) == 1
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataNotFoundError, match="holds no image files"):
        load_image_folder(tmp_path / "empty")


def test_square_crop_keeps_the_centre():
    image = Image.fromarray(np.arange(12 * 8, dtype=np.uint8).reshape(12, 8))
    cropped = np.asarray(square(image, "crop"))
    np.testing.assert_array_equal(cropped, np.asarray(image)[2:10])


def test_preparing_holds_only_a_chunk_in_memory(tmp_path):
    write_members(tmp_path / "celeba", celeba_members(1500, corrupt=()))
    tracemalloc.start()
    images = load_celeba(tmp_path / "celeba")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert images.nbytes == 1500 * 64 * 64 * 3  # an 18 MB cache ...
    assert peak < images.nbytes / 3, f"peak {peak / 1e6:.1f} MB"  # ... built with a few MB


def test_pipeline_from_the_disk_cache_gives_the_same_batches_as_from_memory(tmp_path):
    cached = load_celeba(write_members(tmp_path / "celeba", celeba_members(40, corrupt=())), size=32)
    config = preset("celeba64").replace(image_size=32, batch_size=8)
    from_disk = [batch.numpy() for batch in make_dataset(cached, config, start_step=3).take(7)]
    from_memory = [batch.numpy() for batch in make_dataset(np.array(cached), config, start_step=3).take(7)]
    for disk, memory in zip(from_disk, from_memory, strict=True):
        np.testing.assert_array_equal(disk, memory)
    assert from_disk[0].shape == (8, 32, 32, 3)


def test_mirrors_name_the_published_checksum():
    assert celeba.MIRRORS[0].sha256 == "46fb89443c578308acf364d7d379fe1b9efb793042c0af734b6112e4fd3a8c74"
    assert [mirror.kaggle_dataset for mirror in celeba.MIRRORS][-1] == "jessicali9530/celeba-dataset"


@pytest.mark.slow
def test_command_line_trains_on_celeba_hands_and_an_image_folder(tmp_path, capsys):
    from support.tiny import tiny_set

    from dcgan_helpers.cli import main

    write_members(tmp_path / "celeba", celeba_members(20, corrupt=()))
    make_hands(tmp_path / "hands", count=20, zipped=True)
    pictures = {f"pictures/{index}.jpg": jpeg_bytes(50, 40, index) for index in range(20)}
    folder = write_members(tmp_path / "mine", pictures)
    tiny = tiny_set(steps_per_epoch=1)
    for dataset, data_dir in (("celeba64", "celeba"), ("hands64", "hands"), ("folder", folder)):
        assert main(["train", "--dataset", dataset, "--data-dir", str(tmp_path / data_dir), *tiny, "1", "1"]) == 0
        session = tmp_path / "runs" / dataset / "session_1"
        assert (session / "generator.keras").is_file() and (session / "samples" / "epoch_0001.png").is_file()
    subset = ["--set", "data_filter=aspectOfHand=dorsal right|dorsal left", "--set", "batch_size=8"]
    assert main(["train", "--dataset", "hands64", "--data-dir", str(tmp_path / "hands"), *tiny, *subset, "2", "1"]) == 0
    resumed = ["train", "-r", "1", "--dataset", "hands64", "--data-dir", str(tmp_path / "hands"), "2", "1"]
    capsys.readouterr()
    assert main(resumed) == 0
    said = capsys.readouterr().out
    assert "10 training images, chosen by data_filter 'aspectOfHand=dorsal right|dorsal left'" in said
    assert main(["generate", "--dataset", "hands64", "1", "100", "3"]) == 0
    generated = sorted((tmp_path / "runs" / "hands64" / "session_1" / "generated").glob("*.png"))
    assert len(generated) == 3 and np.asarray(Image.open(generated[0])).shape == (64, 64, 3)


def test_a_folder_of_only_broken_images_is_an_error_naming_it(tmp_path):
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "a.jpg").write_bytes(b"\xff\xd8 not a jpeg")
    with pytest.raises(DataFormatError, match=r"none of the 1 files of .*broken could be read"):
        load_image_folder(folder)
