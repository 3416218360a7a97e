"""Faulty data is never silently wrong: mixed downloads, damaged archives, stale caches, odd names, zip bombs.

Every case here is something a flaky mirror, a crash or a hand-edited file really produces; each
test builds it in the data's published layout and checks that the load uses what it should and
says what it left out.
"""

import io
import os
import struct
import sys
import tracemalloc
import warnings
import zipfile

import numpy as np
import pytest
from PIL import Image
from support.layouts import FileServer, celeba_members, jpeg_bytes, make_hands, write_members, zip_members

from dcgan_helpers import image_folder, locations
from dcgan_helpers.celeba import load_celeba
from dcgan_helpers.config import GANConfig
from dcgan_helpers.datasets import preset
from dcgan_helpers.download import DownloadError, Mirror, download, fetch_first
from dcgan_helpers.errors import DataFormatError, DataNotFoundError
from dcgan_helpers.hands import load_hands
from dcgan_helpers.image_cache import prepare_image
from dcgan_helpers.image_folder import load_image_folder


@pytest.fixture(autouse=True)
def only_test_data(tmp_path, monkeypatch):
    """No dataset of the machine or the checkout may be found by accident."""
    monkeypatch.setattr(locations, "source_checkout", lambda: None)  # not the checkout's data/ either
    monkeypatch.setattr(locations, "DEBIAN_DATASETS_DIR", tmp_path / "debian")
    monkeypatch.delenv("DCGAN_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)


def zip_bytes(members: dict[str, bytes], compression=zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def left_out_names(images) -> list[str]:
    return [os.path.basename(name) for name, _ in images.report.left_out]


# 1. Downloads


def test_a_mirror_switch_mid_download_starts_a_fresh_part_file(tmp_path):
    first = zip_bytes(celeba_members(6, corrupt=()))
    second = zip_bytes({f"img_align_celeba/{number:06d}.jpg": jpeg_bytes(178, 218, 50 + number)
                        for number in range(1, 5)})  # another archive of the same photos, as keras-io's copy is
    server = FileServer({"/a.zip": first, "/b.zip": second}, cut_first_after=len(first) // 2)
    with server.running():
        mirrors = [Mirror("a", server.url("/a.zip")), Mirror("b", server.url("/b.zip"))]
        fetched = fetch_first(mirrors, tmp_path / "img_align_celeba.zip", "hint", quiet=True)
    assert fetched.read_bytes() == second  # not the start of one archive and the end of the other
    assert server.requests[1] == {"path": "/b.zip", "range": None}
    assert [path.name for path in tmp_path.iterdir()] == ["img_align_celeba.zip"]  # no part, no note of its mirror


def test_a_part_file_is_resumed_only_from_its_own_mirror(tmp_path):
    content = zip_bytes(celeba_members(6, corrupt=()))
    server = FileServer({"/a.zip": content, "/b.zip": content}, cut_first_after=len(content) // 2)
    destination = tmp_path / "img_align_celeba.zip"
    with server.running():
        with pytest.raises(DownloadError):
            download(server.url("/a.zip"), destination, quiet=True)
        download(server.url("/b.zip"), destination, quiet=True)
        assert server.requests[1]["range"] is None  # b knows nothing of a's bytes
        server.cut_first_after, server.requests = len(content) // 3, []
        destination.unlink()
        with pytest.raises(DownloadError):
            download(server.url("/a.zip"), destination, quiet=True)
        download(server.url("/a.zip"), destination, quiet=True)
    assert server.requests[1]["range"] == f"bytes={len(content) // 3}-" and destination.read_bytes() == content


def test_a_416_answer_never_makes_a_truncated_part_complete(tmp_path):
    longer = zip_bytes(celeba_members(8, corrupt=()))
    server = FileServer({"/celeba.zip": longer}, cut_first_after=len(longer) // 2)
    destination = tmp_path / "img_align_celeba.zip"
    with server.running():
        with pytest.raises(DownloadError):
            download(server.url("/celeba.zip"), destination, quiet=True)
        shorter = zip_bytes(celeba_members(2, corrupt=()))  # the mirror now serves a smaller file: "416"
        assert len(shorter) <= len(longer) // 2
        server.files["/celeba.zip"] = shorter
        download(server.url("/celeba.zip"), destination, quiet=True)
    assert destination.read_bytes() == shorter
    assert server.requests[-1]["range"] is None


def test_a_mirror_without_checksum_is_verified_by_the_zip_itself(tmp_path):
    content = bytearray(zip_bytes(celeba_members(3, corrupt=())))
    content[200] ^= 0xFF  # one flipped byte inside the first photo: its CRC no longer matches
    with FileServer({"/celeba.zip": bytes(content)}).running() as server, \
            pytest.raises(DataFormatError, match="damaged"):
        download(server.url("/celeba.zip"), tmp_path / "img_align_celeba.zip", quiet=True)
    assert list(tmp_path.iterdir()) == []


def test_a_damaged_kaggle_download_replaces_nothing(tmp_path, monkeypatch):
    served = tmp_path / "served.zip"
    command = tmp_path / "bin" / "kaggle"  # stands in for the Kaggle CLI: copies served.zip where -p says
    command.parent.mkdir()
    command.write_text(f"#!{sys.executable}\nimport shutil, sys\n"
                       f"shutil.copy({str(served)!r}, sys.argv[sys.argv.index('-p') + 1] + '/celeba-dataset.zip')\n")
    command.chmod(0o755)
    monkeypatch.setenv("PATH", f"{command.parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("KAGGLE_KEY", "test")
    folder = tmp_path / "celeba"
    earlier = zip_members(folder / "celeba-dataset.zip", celeba_members(2, corrupt=())).read_bytes()
    good = zip_bytes(celeba_members(3, corrupt=()))
    served.write_bytes(good[: len(good) - 30])  # cut short: its zip directory is incomplete
    mirror = Mirror("kaggle", kaggle_dataset="jessicali9530/celeba-dataset")
    with pytest.raises(DataNotFoundError, match="kaggle: .*not a readable zip"):
        fetch_first([mirror], folder / "img_align_celeba.zip", "hint", quiet=True)
    assert [path.name for path in folder.iterdir()] == ["celeba-dataset.zip"]
    assert (folder / "celeba-dataset.zip").read_bytes() == earlier
    served.write_bytes(good)
    assert fetch_first([mirror], folder / "img_align_celeba.zip", "hint", quiet=True).read_bytes() == good


def test_a_damaged_archive_in_the_data_folder_says_what_to_do_or_is_downloaded_again(tmp_path):
    good = zip_bytes(celeba_members(4, corrupt=()))
    folder = tmp_path / "celeba"
    folder.mkdir()
    (folder / "img_align_celeba.zip").write_bytes(good[: len(good) // 2])  # a truncated copy
    with pytest.raises(DataFormatError, match="delete it or .*download=True"):
        load_celeba(folder)
    with FileServer({"/celeba.zip": good}).running() as server:
        images = load_celeba(folder, download=True, mirrors=[Mirror("local", server.url("/celeba.zip"))])
    assert len(images) == 4 and (folder / "img_align_celeba.zip").read_bytes() == good


def test_an_archive_mixed_from_two_downloads_is_reported_or_downloaded_again(tmp_path):
    first = zip_bytes(celeba_members(6, corrupt=()))
    second = zip_bytes({f"img_align_celeba/{number:06d}.jpg": jpeg_bytes(178, 218, 50 + number)
                        for number in range(1, 7)})
    middle = len(first) // 2
    archive = tmp_path / "celeba" / "img_align_celeba.zip"
    archive.parent.mkdir()
    archive.write_bytes(first[:middle] + second[middle:])  # what resuming one mirror's part from another gave
    mixed = load_celeba(archive.parent)
    assert mixed.report.left_out and all("damaged zip member" in why for _, why in mixed.report.left_out)
    with FileServer({"/celeba.zip": second}).running() as server:
        images = load_celeba(archive.parent, download=True, mirrors=[Mirror("local", server.url("/celeba.zip"))])
    assert len(images) == 6 and not images.report.left_out and archive.read_bytes() == second


def test_one_corrupt_zip_member_is_skipped_and_reported(tmp_path):
    members = celeba_members(5, corrupt=())
    content = bytearray(zip_bytes(members, zipfile.ZIP_DEFLATED))
    with zipfile.ZipFile(io.BytesIO(bytes(content))) as opened:
        third = opened.getinfo("img_align_celeba/000003.jpg")
    data_start = third.header_offset + 30 + len(third.filename)
    content[data_start: data_start + 40] = bytes(40)  # a deflate stream that no longer decodes
    archive = tmp_path / "celeba" / "img_align_celeba.zip"
    archive.parent.mkdir()
    archive.write_bytes(bytes(content))
    images = load_celeba(archive)
    assert len(images) == 4 and left_out_names(images) == ["000003.jpg"]


# 4. Cache keys


def test_a_replaced_or_finished_photo_is_read_again(tmp_path):
    folder = write_members(tmp_path / "celeba", celeba_members(4, corrupt=(3,)))  # 000003.jpg half-written
    first = np.array(load_celeba(folder))
    assert len(first) == 3
    write_members(folder, {"img_align_celeba/000002.jpg": jpeg_bytes(178, 218, 99),  # replaced photo
                           "img_align_celeba/000003.jpg": jpeg_bytes(178, 218, 3)})  # finished writing
    again = load_celeba(folder)
    assert len(again) == 4 and not left_out_names(again)
    np.testing.assert_array_equal(again[1], prepare_image(jpeg_bytes(178, 218, 99), 64, 3, "crop", 108))


def test_a_replaced_zip_member_is_read_again(tmp_path):
    archive = zip_members(tmp_path / "celeba" / "img_align_celeba.zip", celeba_members(3, corrupt=()))
    load_celeba(archive)
    changed = {**celeba_members(3, corrupt=()), "img_align_celeba/000001.jpg": jpeg_bytes(178, 218, 77)}
    zip_members(archive, changed)
    np.testing.assert_array_equal(load_celeba(archive)[0], prepare_image(jpeg_bytes(178, 218, 77), 64, 3, "crop", 108))


def test_reference_features_are_keyed_by_the_real_images(tmp_path):
    from test_inception import SmallExtractor

    from dcgan_helpers.inception import reference_features

    extractor = SmallExtractor()
    one, other = (np.random.default_rng(seed).integers(0, 256, (50, 8, 8, 1), dtype=np.uint8) for seed in (0, 1))
    from_one = reference_features("folder-64px", one, extractor, tmp_path)
    from_other = reference_features("folder-64px", other, extractor, tmp_path)  # same name and count, other folder
    assert extractor.calls == 2 and not np.array_equal(from_one, from_other)
    assert np.array_equal(reference_features("folder-64px", one, extractor, tmp_path), from_one)
    assert extractor.calls == 2


def test_the_celeba_crop_lives_in_the_config_and_reaches_the_loader(tmp_path, capsys):
    from support.tiny import tiny_set

    from dcgan_helpers.cli import main

    assert preset("celeba64").crop == 108
    old = preset("celeba64").to_dict()
    del old["crop"]
    assert GANConfig.from_dict(old).crop == 108  # a config.json written before the field existed
    folder = write_members(tmp_path / "celeba", celeba_members(16, corrupt=()))
    tiny = [*tiny_set(steps_per_epoch=1), "--set", "image_size=32"]
    arguments = ["train", "--dataset", "celeba64", "--data-dir", str(folder), *tiny]
    assert main([*arguments, "--set", "crop=100", "1", "1"]) == 2
    assert "crop must be one of 108, 138, 178" in capsys.readouterr().err
    assert not (tmp_path / "runs" / "celeba64" / "session_1").exists()
    assert main([*arguments, "--set", "crop=178", "1", "1"]) == 0
    assert GANConfig.load(tmp_path / "runs" / "celeba64" / "session_1" / "config.json").crop == 178
    manifests = [path.read_text() for path in (folder / ".dcgan-cache").glob("*.json")]
    assert len(manifests) == 1 and '"crop": 178' in manifests[0]


# 5. Names that are not UTF-8


def test_a_file_name_that_is_not_utf8_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(io.BytesIO(), encoding="utf-8"))  # a strict UTF-8 terminal
    folder = tmp_path / os.fsdecode(b"m\xefne")  # the folder's own name too: its progress line is printed
    folder.mkdir()
    Image.fromarray(np.full((40, 30, 3), 90, np.uint8)).save(folder / "plain.png")
    latin1 = os.fsdecode(os.fsencode(str(folder)) + b"/caf\xe9.png")  # "café" written by a Latin-1 system
    Image.fromarray(np.full((40, 30, 3), 200, np.uint8)).save(latin1)
    (folder / os.fsdecode(b"bro\xefken.png")).write_bytes(b"\x89PNG not really")
    images = load_image_folder(folder, size=32)
    assert len(images) == 2 and sorted(int(image[0, 0, 0]) for image in images) == [90, 200]
    assert "bro\\xefken.png" in str(images.report).encode("utf-8").decode()  # printable on a UTF-8 terminal


# 9. HandInfo.csv rows


def test_hand_info_rows_that_escape_or_repeat_or_miss_are_refused_and_reported(tmp_path):
    root = make_hands(tmp_path / "hands", count=4)
    outside = write_members(tmp_path, {"elsewhere/secret.jpg": jpeg_bytes(160, 120, 1)}) / "elsewhere" / "secret.jpg"
    rows = (root / "HandInfo.csv").read_text().splitlines()
    row = rows[1]
    rows += [row.replace("Hand_0000002.jpg", "../../elsewhere/secret.jpg"),
             row.replace("Hand_0000002.jpg", str(outside)),
             row,  # a duplicate of the first photo's row
             row.replace("Hand_0000002.jpg", "Hand_0000099.jpg")]  # listed, not in Hands/
    (root / "HandInfo.csv").write_text("\n".join(rows) + "\n")
    for hands in (root, make_hands(tmp_path / "zipped", count=4, zipped=True)):
        (hands / "HandInfo.csv").write_text("\n".join(rows) + "\n")
        images = load_hands(hands, size=32)
        assert len(images) == 4
        reasons = dict(images.report.left_out)
        assert "../../elsewhere/secret.jpg" in reasons and "outside" in reasons["../../elsewhere/secret.jpg"]
        assert "outside" in reasons[str(outside)]
        assert "Hand_0000099.jpg" in reasons and "missing" in reasons["Hand_0000099.jpg"]
        assert any("Hand_0000002.jpg" in name and "duplicate" in why for name, why in images.report.left_out)
        assert "secret" in str(images.report) and "duplicate" in str(images.report)
    (root / "HandInfo.csv").write_text("\n".join([*rows, '1,"an unclosed quote' + "x" * 200_000]) + "\n")
    with pytest.raises(DataFormatError, match="not a readable CSV file"):
        load_hands(root)


# 10. Zip bombs


def test_a_zip_member_larger_than_the_cap_is_refused_without_reading_it(tmp_path, monkeypatch):
    monkeypatch.setattr(image_folder, "MAX_IMAGE_BYTES", 1 << 20)
    members = celeba_members(3, corrupt=())
    members["img_align_celeba/000002.jpg"] = bytes(32 << 20)  # 32 MB of zeros deflate to 32 kB
    archive = tmp_path / "celeba" / "img_align_celeba.zip"
    archive.parent.mkdir()
    archive.write_bytes(zip_bytes(members, zipfile.ZIP_DEFLATED))
    tracemalloc.start()
    images = load_celeba(archive)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 8 << 20, f"peak {peak / 1e6:.1f} MB"
    assert len(images) == 2 and left_out_names(images) == ["000002.jpg"]
    assert "larger than" in images.report.left_out[0][1]


def test_a_zip_member_that_lies_about_its_size_is_read_no_further_than_the_cap(tmp_path, monkeypatch):
    monkeypatch.setattr(image_folder, "MAX_IMAGE_BYTES", 1 << 20)
    members = celeba_members(3, corrupt=())
    members["img_align_celeba/000002.jpg"] = bytes(32 << 20)
    content = bytearray(zip_bytes(members, zipfile.ZIP_DEFLATED))
    with zipfile.ZipFile(io.BytesIO(bytes(content))) as opened:
        bomb = opened.getinfo("img_align_celeba/000002.jpg")
    declared = struct.pack("<I", 1000)  # local header and central directory both claim 1,000 bytes
    content[bomb.header_offset + 22: bomb.header_offset + 26] = declared
    central = next(index for index in range(len(content)) if content[index: index + 4] == b"PK\x01\x02"
                   and content[index + 46: index + 46 + len(bomb.filename)] == bomb.filename.encode())
    content[central + 24: central + 28] = declared
    archive = tmp_path / "celeba" / "img_align_celeba.zip"
    archive.parent.mkdir()
    archive.write_bytes(bytes(content))
    tracemalloc.start()
    images = load_celeba(archive)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 8 << 20 and len(images) == 2 and left_out_names(images) == ["000002.jpg"]


def test_a_gzip_that_decompresses_beyond_the_cap_is_refused_without_reading_it_all(tmp_path, monkeypatch):
    import gzip

    from dcgan_helpers import fashion_mnist

    monkeypatch.setattr(fashion_mnist, "MAX_IDX_BYTES", 1 << 20)
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(bytes(32 << 20), compresslevel=1))
    tracemalloc.start()
    with pytest.raises(DataFormatError) as raised:
        fashion_mnist.read_idx(tmp_path / "train-images-idx3-ubyte.gz")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 8 << 20, f"peak {peak / 1e6:.1f} MB"
    assert "decompresses to more than 1,048,576 bytes" in str(raised.value)


# 11. Skipped files are reported whatever the warning filters


def test_skipped_files_are_reported_whatever_the_warning_filters(tmp_path):
    folder = write_members(tmp_path / "celeba", celeba_members(6, corrupt=(4,)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first = load_celeba(folder)
        second = load_celeba(folder)  # from the cache, in the same process
    for images in (first, second):
        assert images.report.loaded == 5 and left_out_names(images) == ["000004.jpg"]
        assert "000004.jpg" in str(images.report) and "5 images" in str(images.report)


def test_the_command_line_prints_what_it_left_out(tmp_path, capsys):
    from support.tiny import tiny_set

    from dcgan_helpers.cli import main

    pictures = {f"pictures/{index}.jpg": jpeg_bytes(50, 40, index) for index in range(20)}
    folder = write_members(tmp_path / "mine", {**pictures, "pictures/broken.jpg": b"\xff\xd8 not a jpeg"})
    tiny = [*tiny_set(steps_per_epoch=1), "--set", "image_size=32"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["train", "--dataset", "folder", "--data-dir", str(folder), *tiny, "1", "1"]) == 0
    said = capsys.readouterr().out
    assert "20 training images" in said and "broken.jpg" in said


# Bad values


def test_impossible_preparation_settings_are_refused_before_any_file_is_read(tmp_path):
    from dcgan_helpers.errors import ConfigError

    folder = write_members(tmp_path / "mine", {"a.jpg": jpeg_bytes(50, 40, 0)})
    for settings, message in (({"square": "stretch"}, "square must be one of crop, pad"),
                              ({"size": 0}, "size must be a whole number"),
                              ({"channels": 4}, "channels must be 1")):
        with pytest.raises(ConfigError, match=message):
            load_image_folder(folder, **settings)
    assert not (tmp_path / ".dcgan-cache").exists()
