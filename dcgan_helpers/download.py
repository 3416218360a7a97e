"""Downloads that verify what they fetch and resume where an interrupted transfer stopped.

Bytes arrive in ``<name>.part`` next to the destination, and ``<name>.part.url`` records where
they come from. An interrupted download leaves both, and the next attempt from the same URL asks
the server for the rest (an HTTP Range request); another URL may serve another file, so it starts
a fresh part. Only a complete file that is verified (its SHA-256 when the source publishes one,
else the zip's own directory and member checksums) is renamed to its final name, so a failed or
mixed download never leaves a file that later passes as complete.

``keras.utils.get_file`` downloads and checks a hash too, but it starts a broken transfer of
CelebA's 1.4 GB again from zero, and it stores whatever the server answers: Google Drive's
"quota exceeded" web page would be saved and only fail its checksum afterwards. Here an
interrupted transfer resumes, a web page instead of the file is recognised at once, and
mirrors are tried in turn.
"""

import hashlib
import http.client
import os
import re
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import keras

from .errors import DataFormatError, DataNotFoundError
from .files import write_text_atomically
from .locations import writable_folder

__all__ = ["DownloadError", "Mirror", "download", "fetch_first", "google_drive_url"]

CHUNK_BYTES = 1 << 20


class DownloadError(Exception):
    """One source could not deliver the file; the caller may try the next one."""


@dataclass(frozen=True)
class Mirror:
    """One place a file can come from: an HTTP(S) URL, or a command-line tool such as Kaggle's."""

    name: str
    url: str = ""
    sha256: str | None = None  # None: the mirror serves another zip, verified by its own member checksums
    kaggle_dataset: str = ""  # e.g. "jessicali9530/celeba-dataset", fetched with the Kaggle CLI


def google_drive_url(file_id: str) -> str:
    """Direct download of a public Google Drive file, past the "too large to scan for viruses" page."""
    return f"https://drive.usercontent.google.com/download?id={file_id}&export=download&confirm=t"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


def zip_problem(path: Path) -> str | None:
    """What is wrong with a zip archive (unreadable directory, a member whose CRC-32 fails), or None."""
    try:
        with zipfile.ZipFile(path) as opened:
            damaged = opened.testzip()  # reads every member in small chunks and checks its CRC-32
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, OSError) as error:
        return f"is not a readable zip archive ({error})"
    return f"has a damaged member {damaged}" if damaged else None


def verification_problem(path: Path, sha256: str | None) -> str | None:
    """Why a downloaded file is not the one wanted (a wrong SHA-256, or a damaged zip when none is known)."""
    if sha256 is None:
        return zip_problem(path)
    actual = sha256_of(path)
    return None if actual == sha256 else f"has SHA-256 {actual}, expected {sha256}"


def resumable_bytes(part: Path, origin: Path, url: str) -> int:
    """Bytes of ``part`` that ``url`` may continue; a part from another source is discarded first."""
    try:
        same_source = origin.read_text() == url
    except OSError:
        same_source = False
    if same_source and part.is_file():
        return part.stat().st_size
    part.unlink(missing_ok=True)
    write_text_atomically(origin, url)  # recorded before the first byte arrives
    return 0


def content_range_start(response) -> int | None:
    """The first byte a 206 answer holds, from ``Content-Range: bytes START-END/TOTAL``."""
    match = re.match(r"bytes (\d+)-", response.headers.get("Content-Range", ""))
    return int(match.group(1)) if match else None


def download(url: str, destination, sha256: str | None = None, timeout: float = 30, quiet: bool = False) -> Path:
    """Fetch ``url`` into ``destination``, resuming a ``.part`` file that an earlier attempt from the same
    ``url`` left; the file is verified (``sha256``, else as a zip) before it replaces ``destination``."""
    destination = Path(destination)
    writable_folder(destination.parent, "DCGAN_DATA_DIR")
    part = destination.with_name(destination.name + ".part")
    origin = destination.with_name(destination.name + ".part.url")
    have = resumable_bytes(part, origin, url)
    request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    said_complete = False  # a 416 answer: the server has nothing after the part's end
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            if response.headers.get_content_type() == "text/html":
                raise DownloadError(f"{url} answered with a web page instead of the file "
                                    "(a download quota, a permission or a sign-in page)")
            resumed = response.status == 206
            if resumed and content_range_start(response) not in (have, None):
                part.unlink()
                raise DownloadError(f"{url} answered from byte {content_range_start(response):,} when asked from "
                                    f"byte {have:,}; the part was discarded and the next attempt starts afresh")
            if have and not resumed:
                have = 0  # the server ignores Range: start again
            total = have + int(response.headers.get("Content-Length", 0))
            if not quiet:
                print(f"downloading {destination.name}" + (f", resuming at {have:,} bytes" if resumed else ""))
            bar = keras.utils.Progbar(total or None, unit_name="byte", verbose=0 if quiet else 1)
            bar.update(have)  # a resumed transfer starts where the part file ends
            with open(part, "ab" if resumed else "wb") as stream:
                for chunk in iter(lambda: response.read(CHUNK_BYTES), b""):
                    stream.write(chunk)
                    bar.add(len(chunk))
            if response.headers.get("Content-Length") and part.stat().st_size != total:
                raise DownloadError(f"{url}: the transfer stopped at {part.stat().st_size:,} of {total:,} bytes "
                                    f"(kept in {part}; the next attempt from this source continues from there)")
    except urllib.error.HTTPError as error:
        if error.code != 416 or not have:
            raise DownloadError(f"{url}: HTTP {error.code} {error.reason}") from error
        said_complete = True  # believed only if the part verifies
    except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
        raise DownloadError(f"{url}: {getattr(error, 'reason', error)} (the part downloaded so far is kept "
                            f"in {part} and the next attempt from this source continues from it)") from error
    problem = verification_problem(part, sha256)
    if problem is not None:
        part.unlink()
        if said_complete:  # a truncated or foreign part the server will not extend: fetch the file whole
            return download(url, destination, sha256, timeout, quiet)
        origin.unlink(missing_ok=True)
        raise DataFormatError(
            f"{destination.name} from {url} {problem}; the file was deleted. "
            "The mirror serves a different or damaged file: try again or use another source"
        )
    os.replace(part, destination)
    origin.unlink(missing_ok=True)
    return destination


def fetch_kaggle(dataset: str, folder: Path) -> Path:
    """Download a Kaggle dataset archive with the Kaggle CLI (needs ``~/.kaggle/kaggle.json``)."""
    if shutil.which("kaggle") is None:
        raise DownloadError("the Kaggle CLI is not installed (pip install kaggle)")
    if not (Path.home() / ".kaggle" / "kaggle.json").is_file() and not os.environ.get("KAGGLE_KEY"):
        raise DownloadError("the Kaggle CLI is not configured (~/.kaggle/kaggle.json or KAGGLE_USERNAME/KAGGLE_KEY)")
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{dataset.split('/')[1]}.zip"
    with tempfile.TemporaryDirectory(prefix=".kaggle-", dir=folder) as temporary:  # nothing replaced until verified
        result = subprocess.run(["kaggle", "datasets", "download", "-d", dataset, "-p", temporary],
                                capture_output=True, text=True)
        fetched = Path(temporary) / name
        if result.returncode != 0 or not fetched.is_file():
            raise DownloadError(f"kaggle datasets download -d {dataset} failed: {result.stderr.strip()[-300:]}")
        problem = zip_problem(fetched)
        if problem is not None:
            raise DownloadError(f"kaggle datasets download -d {dataset} gave a file that {problem}")
        os.replace(fetched, folder / name)
    return folder / name


def fetch_first(mirrors, destination, manual_hint: str, quiet: bool = False) -> Path:
    """Try the mirrors in order; the first that delivers a verified file wins.

    Returns the path of what was fetched (a Kaggle archive has its own name). When every mirror
    fails, the error lists each failure and says where to put a manually downloaded file.
    """
    destination = Path(destination)
    writable_folder(destination.parent, "DCGAN_DATA_DIR")
    failures = []
    for mirror in mirrors:
        try:
            if mirror.kaggle_dataset:
                return fetch_kaggle(mirror.kaggle_dataset, destination.parent)
            return download(mirror.url, destination, mirror.sha256, quiet=quiet)
        except (DownloadError, DataFormatError) as error:
            failures.append(f"{mirror.name}: {error}")
    raise DataNotFoundError(
        f"could not download {destination.name} from any source:\n  "
        + "\n  ".join(failures)
        + f"\n{manual_hint}"
    )
