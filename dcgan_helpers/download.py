"""Downloads that verify what they fetch and resume where an interrupted transfer stopped.

Bytes arrive in ``<name>.part`` next to the destination. An interrupted download leaves that
part file, and the next attempt asks the server for the rest (an HTTP Range request). Only a
complete file whose SHA-256 matches is renamed to its final name, so a failed download never
leaves a file that later passes as complete.

``keras.utils.get_file`` downloads and checks a hash too, but it starts a broken transfer of
CelebA's 1.4 GB again from zero, and it stores whatever the server answers: Google Drive's
"quota exceeded" web page would be saved and only fail its checksum afterwards. Here an
interrupted transfer resumes, a web page instead of the file is recognised at once, and
mirrors are tried in turn.
"""

import hashlib
import http.client
import os
import shutil
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import keras

from .errors import DataFormatError, DataNotFoundError

CHUNK_BYTES = 1 << 20


class DownloadError(Exception):
    """One source could not deliver the file; the caller may try the next one."""


@dataclass(frozen=True)
class Mirror:
    """One place a file can come from: an HTTP(S) URL, or a command-line tool such as Kaggle's."""

    name: str
    url: str = ""
    sha256: str | None = None  # None: the mirror serves a different archive, checked by its layout instead
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


def download(url: str, destination, sha256: str | None = None, timeout: float = 30, quiet: bool = False) -> Path:
    """Fetch ``url`` into ``destination``, resuming a ``.part`` file left by an earlier attempt."""
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    part = destination.with_name(destination.name + ".part")
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            if response.headers.get_content_type() == "text/html":
                raise DownloadError(f"{url} answered with a web page instead of the file "
                                    "(a download quota, a permission or a sign-in page)")
            resumed = response.status == 206
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
                                    f"(kept in {part}; the next attempt continues from there)")
    except urllib.error.HTTPError as error:
        if error.code == 416 and have:  # the part file is already complete
            pass
        else:
            raise DownloadError(f"{url}: HTTP {error.code} {error.reason}") from error
    except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
        raise DownloadError(f"{url}: {getattr(error, 'reason', error)} (the part downloaded so far is kept "
                            f"in {part} and the next attempt continues from it)") from error
    if sha256 is not None:
        actual = sha256_of(part)
        if actual != sha256:
            part.unlink()
            raise DataFormatError(
                f"{destination.name} from {url} has SHA-256 {actual}, expected {sha256}; the file was deleted. "
                "The mirror serves a different or damaged file: try again or use another source"
            )
    os.replace(part, destination)
    return destination


def fetch_kaggle(dataset: str, folder: Path) -> Path:
    """Download a Kaggle dataset archive with the Kaggle CLI (needs ``~/.kaggle/kaggle.json``)."""
    if shutil.which("kaggle") is None:
        raise DownloadError("the Kaggle CLI is not installed (pip install kaggle)")
    if not (Path.home() / ".kaggle" / "kaggle.json").is_file() and not os.environ.get("KAGGLE_KEY"):
        raise DownloadError("the Kaggle CLI is not configured (~/.kaggle/kaggle.json or KAGGLE_USERNAME/KAGGLE_KEY)")
    folder.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(["kaggle", "datasets", "download", "-d", dataset, "-p", str(folder)],
                            capture_output=True, text=True)
    archive = folder / f"{dataset.split('/')[1]}.zip"
    if result.returncode != 0 or not archive.is_file():
        raise DownloadError(f"kaggle datasets download -d {dataset} failed: {result.stderr.strip()[-300:]}")
    return archive


def fetch_first(mirrors, destination, manual_hint: str, quiet: bool = False) -> Path:
    """Try the mirrors in order; the first that delivers a verified file wins.

    Returns the path of what was fetched (a Kaggle archive has its own name). When every mirror
    fails, the error lists each failure and says where to put a manually downloaded file.
    """
    destination = Path(destination)
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
