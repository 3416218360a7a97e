"""Atomic file writes: a reader never sees a half-written file, a crash never destroys the old one."""

import os
import re
import shutil
import tempfile
from contextlib import contextmanager, suppress
from pathlib import Path

from .errors import NoRoom, WriteFailed

__all__ = ["atomic_path", "epoch_file_name", "epoch_files", "require_room", "sync_folder", "write_text_atomically"]


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


UMASK = _read_umask()  # read once at import: os.umask can only be read by setting it, which races with threads


@contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path``; on success, fsync it, rename it over ``path`` and fsync the folder.

    The temporary name keeps the final suffix (Keras and imageio choose the format by it)
    and starts with ``.tmp-`` so that globs for finished files never match it. Syncing the folder
    after the rename makes the new name survive a power cut (POSIX; Windows has no folder handles).
    Any ``OSError`` while writing (full disk, quota, read-only or failing disk, permissions) becomes
    ``WriteFailed`` naming the file; the old file, if any, is untouched and no temporary is left.
    """
    path = Path(path)
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=f".tmp-{path.stem}-", suffix=path.suffix, dir=path.parent)
        os.close(handle)
        temporary = Path(name)
        os.chmod(temporary, 0o666 & ~UMASK)  # mkstemp makes 0600; finished files get the usual rights
        yield temporary
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        os.replace(temporary, path)
        sync_folder(path.parent)
    except OSError as error:
        raise WriteFailed(path, error) from error
    finally:
        if temporary is not None:
            with suppress(OSError):
                temporary.unlink(missing_ok=True)


def sync_folder(folder) -> None:
    """fsync a folder, so that the names created or renamed in it are on disk (POSIX only)."""
    if os.name != "posix":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def require_room(folder, needed: int, what: str, then: str = "run it again") -> None:
    """Raise ``NoRoom`` when ``folder`` (or, if not made yet, the nearest folder above it) has fewer than
    ``needed`` bytes free: said before writing, rather than after a full disk has cut the work short."""
    existing = Path(folder)
    while not existing.exists():
        existing = existing.parent
    free = shutil.disk_usage(existing).free
    if free < needed:
        raise NoRoom(folder, needed, free, what, then)


def epoch_file_name(epoch: int, suffix: str) -> str:
    """``epoch_0007.png``: zero-padded so that names sort in epoch order."""
    return f"epoch_{epoch:04d}{suffix}"


def epoch_files(folder, suffix: str) -> dict[int, Path]:
    """Finished per-epoch files in ``folder`` by epoch number, oldest first (temporaries never match)."""
    folder = Path(folder)
    pattern = re.compile(rf"^epoch_(\d{{4,}}){re.escape(suffix)}$")
    found = ((pattern.match(path.name), path) for path in folder.iterdir()) if folder.is_dir() else ()
    return dict(sorted((int(match.group(1)), path) for match, path in found if match))


def write_text_atomically(path, text: str) -> None:
    """Replace ``path`` with ``text`` in one step."""
    with atomic_path(path) as temporary:
        temporary.write_text(text)
