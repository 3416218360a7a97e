"""``dcgan train ARGS`` that writes the first bytes of checkpoint 2, says so, and hangs there to be killed.

Usage: train_hanging_in_checkpoint_2.py ARGS...; prints "writing checkpoint 2" when it hangs.
"""

import sys
import time

import numpy as np

from dcgan_helpers.cli import main

real_savez = np.savez


def savez_then_hang(stream, **arrays):
    if int(arrays["epoch"]) == 2:
        stream.write(b"PK" + bytes(4096))  # the first bytes of a checkpoint, then the kill
        stream.flush()
        print("writing checkpoint 2", flush=True)
        time.sleep(600)
    real_savez(stream, **arrays)


np.savez = savez_then_hang
sys.argv[0] = "dcgan"
sys.exit(main(sys.argv[1:]))
