"""Import the package as on native Windows, where the module fcntl does not exist, and take a session's lock.

Usage: lock_without_fcntl.py FOLDER; prints "imported", "refused" (a second lock on the same session) and
"released" (the lock taken again after the first is released).
"""

import sys

sys.modules["fcntl"] = None  # `import fcntl` now raises ImportError, as on Windows

import dcgan_helpers.session  # noqa: E402, F401 - the whole training path imports
from dcgan_helpers.errors import SessionError  # noqa: E402
from dcgan_helpers.lock import SessionLock  # noqa: E402

print("imported")
folder = sys.argv[1]
with SessionLock(folder, "session 1"):
    try:
        with SessionLock(folder, "session 1"):
            sys.exit("a second lock on the same session was granted")
    except SessionError:
        print("refused")
with SessionLock(folder, "session 1"):
    print("released")
