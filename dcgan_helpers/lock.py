"""One trainer per session: the file ``lock`` in the session folder, held while a process trains it.

``filelock`` takes the operating system's lock on that file (``flock`` on Linux and macOS, ``msvcrt``
on Windows), so it is released whenever its holder ends, even when the process is killed, and a
lock left by a killed trainer is simply taken over. The holder names itself (process id, host,
start time) in ``lock.holder`` for the message a second trainer shows, and removes it when training
ends. (A file of its own: some ``filelock`` versions empty ``lock`` whenever they open it.)
"""

import errno
import os
import socket
import time
from pathlib import Path

from filelock import FileLock, Timeout

from .errors import SessionError, WriteFailed
from .files import write_text_atomically

__all__ = ["SessionLock"]

CANNOT_WRITE = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO}


class SessionLock:
    """``with SessionLock(folder, "session 3 of celeba64"):`` or raise SessionError naming the holder."""

    def __init__(self, folder, description: str):
        self.path = Path(folder) / "lock"
        self.holder_path = Path(folder) / "lock.holder"
        self.description = description
        self.lock = FileLock(self.path)

    def __enter__(self) -> "SessionLock":
        try:
            self.lock.acquire(timeout=0)
        except Timeout:
            raise SessionError(self._held_message()) from None
        except OSError as error:
            if error.errno in CANNOT_WRITE:  # a full, read-only or forbidden folder: say so, as for any file
                raise WriteFailed(self.path, error) from None
            raise SessionError(
                f"{self.description} cannot be locked against a second trainer ({error}); "
                "keep sessions on a local disk or a file system with file locks"
            ) from None
        try:
            write_text_atomically(self.holder_path, f"{os.getpid()} {socket.gethostname()} "
                                                    f"{time.strftime('%Y-%m-%d %H:%M:%S %Z')}\n")
        except BaseException:
            self.lock.release()
            raise
        return self

    def __exit__(self, *exception) -> None:
        try:
            self.holder_path.unlink(missing_ok=True)
        finally:
            self.lock.release()

    def _held_message(self) -> str:
        try:
            pid, host, started = self.holder_path.read_text().split(" ", 2)
            pid = int(pid)
        except (OSError, ValueError):  # the holder has not written its name yet
            return f"{self.description} is being trained by another process; wait for it to finish"
        if (pid, host) == (os.getpid(), socket.gethostname()):
            return (f"{self.description} is being trained in this process already (another cell or a playground); "
                    "wait for it to finish or stop it, then run this again")
        return (
            f"{self.description} is being trained by process {pid} on {host} (since {started.strip()}); "
            f"wait for it to finish or stop it (kill {pid}), then run this again"
        )
