"""The end of an epoch happens in one place: no order of callbacks changes what a session saves."""

import json
import threading

import keras
import numpy as np
import pytest

from dcgan_helpers.callbacks import StopWhenAsked
from dcgan_helpers.gan import DCGAN
from dcgan_helpers.session import Session

pytestmark = pytest.mark.kernel


class RecordLogs(keras.callbacks.Callback):
    """A user's callback that only reads: it keeps the logs Keras hands it at each epoch's end."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def on_epoch_end(self, epoch, logs=None):
        self.seen.append(dict(logs or {}))


def train_and_read(folder, config, images, monkeypatch, reverse_session_callbacks: bool, reverse_user_callbacks: bool):
    """Two epochs scored 5 then 3 (the second is the new best); what the session then holds."""
    real_fit = DCGAN.fit

    def fit(self, *args, callbacks=(), **kwargs):
        return real_fit(self, *args, callbacks=list(reversed(callbacks)) if reverse_session_callbacks else callbacks,
                        **kwargs)

    monkeypatch.setattr(DCGAN, "fit", fit)
    recorder = RecordLogs()
    user = [recorder, StopWhenAsked(threading.Event())]
    session = Session.create(config, folder)
    scores = iter([5.0, 3.0])
    session.train(images, 2, metric=session.metric(lambda samples: next(scores), samples=8),
                  callbacks=user[::-1] if reverse_user_callbacks else user, live=True, show=lambda png: None,
                  verbose=0)
    monkeypatch.setattr(DCGAN, "fit", real_fit)
    with np.load(session.files.checkpoint(2)) as stored:
        arrays = {key: stored[key] for key in stored.files if key != "history_row"}
        row = json.loads(str(stored["history_row"]))
    arrays["history_row"] = np.array(sorted((key, str(value)) for key, value in row.items() if key != "seconds"))
    history = [{key: value for key, value in row.items() if key != "seconds"} for row in session.history()]
    return arrays, history, session.best().record, recorder.seen


@pytest.mark.parametrize("reverse_session_callbacks, reverse_user_callbacks", [(True, False), (False, True)])
def test_reordering_callbacks_cannot_change_what_is_saved(tmp_path, tiny_config, images, monkeypatch,
                                                          reverse_session_callbacks, reverse_user_callbacks):
    expected = train_and_read(tmp_path / "as_given", tiny_config, images, monkeypatch, False, False)
    reordered = train_and_read(tmp_path / "reordered", tiny_config, images, monkeypatch,
                               reverse_session_callbacks, reverse_user_callbacks)
    arrays, history, best, _ = expected
    assert best == {"epoch": 2, "metric": "fid", "value": 3.0, "samples": 8}
    assert [row["fid"] for row in history] == [5.0, 3.0]
    assert reordered[1:3] == expected[1:3]
    assert reordered[0].keys() == arrays.keys()
    for key, value in arrays.items():
        np.testing.assert_array_equal(reordered[0][key], value, err_msg=key)


def test_callbacks_after_the_epoch_end_see_its_metric(tmp_path, tiny_config, images, monkeypatch):
    *_, seen = train_and_read(tmp_path, tiny_config, images, monkeypatch, False, False)
    assert [logs["fid"] for logs in seen] == [5.0, 3.0]
