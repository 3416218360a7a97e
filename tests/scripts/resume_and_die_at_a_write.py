"""Resume a tiny session for one epoch and die by SIGKILL right after its N-th file operation (0: never).

Usage: resume_and_die_at_a_write.py SESSION_FOLDER N. Prints how many file operations (rename, replace,
delete) the epoch made; only operations after the epoch starts are counted.
"""

import os
import signal
import sys

import keras
import numpy as np

from dcgan_helpers.session import Session

path, kill_after = sys.argv[1], int(sys.argv[2])
counted, armed = 0, False


def counting(operation):
    def wrapped(*args, **kwargs):
        global counted
        result = operation(*args, **kwargs)
        if armed:
            counted += 1
            if counted == kill_after:
                os.kill(os.getpid(), signal.SIGKILL)
        return result
    return wrapped


os.replace, os.rename, os.unlink = counting(os.replace), counting(os.rename), counting(os.unlink)


class ArmAtEpochStart(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        global armed
        armed = True


session = Session(path)
images = np.random.default_rng(1).integers(0, 256, (80, 28, 28, 1), dtype=np.uint8)
session.train(images, 1, metric=session.metric(lambda images: 1.0, samples=8), callbacks=[ArmAtEpochStart()],
              verbose=0)
print(counted)
