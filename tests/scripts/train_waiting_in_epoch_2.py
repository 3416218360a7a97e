"""``dcgan train ARGS`` that waits before committing epoch 2 until the file GO_ON exists.

Usage: train_waiting_in_epoch_2.py GO_ON ARGS...; prints "waiting in epoch 2" when it starts waiting.
"""

import pathlib
import sys
import time

from dcgan_helpers.cli import main
from dcgan_helpers.records import SessionFiles

go_on = pathlib.Path(sys.argv.pop(1))
real_commit_epoch = SessionFiles.commit_epoch


def commit_epoch(self, gan, row, *arguments):
    if row["epoch"] == 2:
        print("waiting in epoch 2", flush=True)
        while not go_on.exists():
            time.sleep(0.05)
    real_commit_epoch(self, gan, row, *arguments)


SessionFiles.commit_epoch = commit_epoch
sys.argv[0] = "dcgan"
sys.exit(main(sys.argv[1:]))
