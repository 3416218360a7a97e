"""One trainer per session: a ``lock`` file in the session folder, held while a process trains it.

The lock is the operating system's (``flock``) on that file, so it is released whenever its holder
ends, even when the process is killed; a ``lock`` file left behind by a killed trainer is simply
taken over. The file names its holder (process id, host, start time) for the message a second
trainer shows, and is removed when training ends.
"""

import fcntl
import os
import socket
import time
from pathlib import Path

from .errors import SessionError

__all__ = ["SessionLock"]


class SessionLock:
    """``with SessionLock(folder, "session 3 of celeba64"):`` or raise SessionError naming the holder."""

    def __init__(self, folder, description: str):
        self.path = Path(folder) / "lock"
        self.description = description
        self.handle = None

    def __enter__(self) -> "SessionLock":
        while self.handle is None:
            handle = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(handle)
                raise SessionError(self._held_message()) from None
            except OSError as error:
                os.close(handle)
                raise SessionError(
                    f"{self.description} cannot be locked against a second trainer ({error}); "
                    "keep sessions on a local disk or a file system with file locks"
                ) from None
            if _same_file(handle, self.path):
                self.handle = handle
            else:  # the holder removed the file between our open and lock: lock the new one
                os.close(handle)
        holder = f"{os.getpid()} {socket.gethostname()} {time.strftime('%Y-%m-%d %H:%M:%S %Z')}\n"
        os.ftruncate(self.handle, 0)
        os.write(self.handle, holder.encode())
        return self

    def __exit__(self, *exception) -> None:
        self.path.unlink(missing_ok=True)  # while still held, so no one locks a file about to vanish
        os.close(self.handle)  # closing releases the lock
        self.handle = None

    def _held_message(self) -> str:
        try:
            pid, host, started = self.path.read_text().split(" ", 2)
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


def _same_file(handle: int, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(handle), os.stat(path))
    except FileNotFoundError:
        return False
