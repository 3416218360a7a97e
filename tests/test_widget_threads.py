"""Every widget used as a reader uses it, with every message to the page recorded: all must leave from the main thread.

Colab's page never shows a widget change sent from another thread (googlecolab/colabtools#3373), so
a widget that draws from a background thread shows nothing there. These tests drive each widget
through the messages the page sends (a slider's release, a click), in Colab's mode (a stand-in
``google.colab`` module) and, for the training playground, in Jupyter's mode (an asyncio loop on
the main thread, as the kernel runs one). Run under ipywidgets 8 and, by ``.ci/test-installed``,
under Colab's ipywidgets 7.7.
"""

import asyncio
import os
import signal
import sys
import threading
import types
import uuid

import imageio.v3 as iio
import ipywidgets
import keras
import numpy as np
import pytest

from dcgan_helpers.datasets import preset
from dcgan_helpers.models import build_generator
from dcgan_helpers.playground import Playground
from dcgan_helpers.widgets import Interpolator, LatentArithmetic, LatentExplorer

pytestmark = pytest.mark.kernel

widget_module = sys.modules[ipywidgets.Widget.__module__]


class Page:
    """The page's side of every widget: what the kernel sent it, by which thread, and what it sends back."""

    def __init__(self):
        self.messages = []  # (thread name, kind, state sent)

    def comm_class(page, base=object):
        class RecordingComm(base):  # ipywidgets 7 accepts only a subclass of ipykernel's Comm
            kernel = "connected"  # ipywidgets sends nothing through a comm without a kernel

            def __init__(self, target_name="", data=None, metadata=None, buffers=None, comm_id=None, **_):
                self.comm_id = comm_id or uuid.uuid4().hex
                page.record("open", data)

            def send(self, data=None, metadata=None, buffers=None):
                page.record(data.get("method", ""), data)

            def close(self, data=None, metadata=None, buffers=None, deleting=False):
                page.record("close", data)

            def on_msg(self, callback):
                pass

            def on_close(self, callback):
                pass

        return RecordingComm

    def record(self, kind, data):
        data = data or {}
        state = {**data.get("state", {}), **{path[0]: "(binary)" for path in data.get("buffer_paths", [])}}
        self.messages.append((threading.current_thread().name, kind, state))  # a picture travels as a binary buffer

    def from_other_threads(self) -> list:
        return [message for message in self.messages if message[0] != threading.main_thread().name]

    def updates_of(self, key: str) -> list:
        return [state[key] for _, kind, state in self.messages if kind == "update" and key in state]

    def pictures_sent(self) -> int:
        return self.updates_of("value").count("(binary)")


def release(widget, value):
    """What the page sends when the reader lets go of a slider or types into a box."""
    send_state(widget, value=value)


def pick(widget, option):
    """What the page sends when the reader picks from a menu or a row of toggle buttons: the option's index."""
    send_state(widget, index=widget.options.index(option))


def send_state(widget, **state):
    widget._handle_msg({"content": {"data": {"method": "update", "state": state, "buffer_paths": []}}, "buffers": []})


def click(button):
    button._handle_msg({"content": {"data": {"method": "custom", "content": {"event": "click"}}}, "buffers": []})


@pytest.fixture
def page(monkeypatch):
    page = Page()
    if hasattr(widget_module, "Comm"):  # ipywidgets 7
        monkeypatch.setattr(widget_module, "Comm", page.comm_class(widget_module.Comm))
    else:  # ipywidgets 8 opens comms through the comm package
        monkeypatch.setattr(widget_module.comm, "create_comm", page.comm_class())
    return page


@pytest.fixture
def colab(monkeypatch):
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))


@pytest.fixture(scope="module")
def generator():
    """Larger weights than a fresh generator's N(0, 0.02), so that every z draws a different picture."""
    keras.utils.set_random_seed(0)
    generator = build_generator(preset("fashion_mnist").replace(generator_filters=8, precision="float32"))
    generator.set_weights([weights * 25 if weights.ndim == 4 else weights for weights in generator.get_weights()])
    return generator


def picture(image_widget) -> bytes:
    return bytes(image_widget.value)


def test_explorer_redraws_on_the_main_thread_as_each_control_is_released(page, colab, generator):
    explorer = LatentExplorer(generator, directions=2, samples=50, seed=7)
    shown = [picture(explorer.image)]
    release(explorer.sliders[0], 2.5)
    release(explorer.seed, 8)
    click(explorer.random_button)
    release(explorer.truncation, 0.5)
    shown.append(picture(explorer.image))
    assert not page.from_other_threads()
    assert explorer.seed.value not in (7, 8) and explorer.truncation.value == 0.5
    assert len(set(shown)) == 2 and page.pictures_sent() >= 5  # every release redrew before returning


def test_interpolator_redraws_and_saves_on_the_main_thread(page, colab, generator, tmp_path):
    interpolator = Interpolator(generator, start_seed=3, end_seed=4, frames=4, gif_path=tmp_path / "walk.gif")
    strips = [picture(interpolator.strip)]
    release(interpolator.start_seed, 5)
    strips.append(picture(interpolator.strip))
    release(interpolator.end_seed, 6)
    strips.append(picture(interpolator.strip))
    pick(interpolator.path_kind, "linear")
    strips.append(picture(interpolator.strip))
    pick(interpolator.path_kind, "spherical")
    frames = [picture(interpolator.image)]
    release(interpolator.frame, 3)
    frames.append(picture(interpolator.image))
    click(interpolator.save_button)
    assert not page.from_other_threads()
    assert len(set(strips)) == 4 and len(set(frames)) == 2
    assert interpolator.message.value == f"saved {tmp_path / 'walk.gif'}"
    assert len(iio.imread(tmp_path / "walk.gif", index=None)) == 6  # 4 frames there and 2 back


def test_arithmetic_draws_on_the_main_thread_when_samples_are_picked(page, colab, generator):
    arithmetic = LatentArithmetic(generator, count=6, seed=4)
    for index, concept in enumerate("AABBCC"):
        pick(arithmetic.pickers[index], concept)
    assert not page.from_other_threads()
    assert picture(arithmetic.result) and arithmetic.chosen("C") == [4, 5]


@pytest.fixture
def images():
    return np.random.default_rng(0).integers(0, 256, (64, 28, 28, 1), dtype=np.uint8)


def test_playground_under_colab_trains_in_the_click_on_the_main_thread(page, colab, tiny_config, images, tmp_path):
    playground = Playground(tiny_config, images, epochs=2, runs_dir=tmp_path)
    release(playground.controls["noise_dim"], 0)
    click(playground.start_button)
    assert "Not started" in playground.status.value and playground.session is None
    release(playground.controls["noise_dim"], 100)
    click(playground.start_button)  # returns when the run has ended
    assert not page.from_other_threads()
    assert playground.outcome == "finished" and playground.session.last_epoch == 2, playground.status.value
    assert iio.imread(picture(playground.image)).ndim == 3 and page.pictures_sent() >= 2
    assert not playground.start_button.disabled and playground.stop_button.disabled


class InterruptAtStep(keras.callbacks.Callback):
    """At step ``at``, a timer thread sends the process SIGINT, as Colab's interrupt button does; counts steps."""

    def __init__(self, at: int):
        super().__init__()
        self.at, self.steps = at, 0

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1
        if self.steps == self.at:
            timer = threading.Timer(0, os.kill, (os.getpid(), signal.SIGINT))
            timer.start()
            timer.join()


def test_colab_interrupt_stops_the_run_like_stop_and_keeps_the_last_finished_epoch(
        page, colab, tiny_config, images, tmp_path, monkeypatch):
    from dcgan_helpers.session import Session

    interrupt = InterruptAtStep(at=5)  # in epoch 3 of 2-step epochs
    original_train = Session.train
    monkeypatch.setattr(Session, "train", lambda session, *args, callbacks=(), **kwargs: original_train(
        session, *args, callbacks=[interrupt, *callbacks], **kwargs))
    handler_before = signal.getsignal(signal.SIGINT)
    playground = Playground(tiny_config.replace(steps_per_execution=1), images, epochs=50, runs_dir=tmp_path)
    click(playground.start_button)
    assert any("To stop, interrupt the kernel" in str(value) for value in page.updates_of("value"))
    assert playground.outcome == "stopped", playground.status.value
    assert interrupt.steps - 5 <= 1 and playground.session.last_epoch == 2
    assert playground.status.value.startswith("Stopped: ") and "session keeps epoch 2" in playground.status.value
    assert signal.getsignal(signal.SIGINT) is handler_before


def test_playground_in_jupyter_trains_in_a_thread_and_shows_everything_from_the_main_thread(
        page, tiny_config, images, tmp_path):
    playground = Playground(tiny_config, images, epochs=2, runs_dir=tmp_path, refresh_seconds=0)
    loop_turns = 0

    async def reader():
        nonlocal loop_turns
        click(playground.start_button)  # the kernel handles a click inside its event loop
        assert playground.thread.is_alive() and playground.start_button.disabled
        while playground.running:
            loop_turns += 1
            await asyncio.sleep(0.01)

    asyncio.run(reader())
    assert not page.from_other_threads()
    assert playground.outcome == "finished" and playground.status.value.startswith("Finished")
    assert iio.imread(picture(playground.image)).ndim == 3 and page.pictures_sent() >= 2
    assert loop_turns > 10  # the kernel kept answering while the run trained
    assert not playground.start_button.disabled and playground.stop_button.disabled


def test_stop_in_jupyter_ends_the_run_and_reports_stopped(page, tiny_config, images, tmp_path):
    playground = Playground(tiny_config.replace(steps_per_execution=1), images, epochs=50, runs_dir=tmp_path)

    async def reader():
        click(playground.start_button)
        while playground.running:
            if playground.session.last_epoch >= 1 and not playground.stop_requested.is_set():
                click(playground.stop_button)
            await asyncio.sleep(0.01)

    asyncio.run(reader())
    assert not page.from_other_threads()
    assert playground.outcome == "stopped" and playground.status.value.startswith("Stopped: ")
    assert f"session keeps epoch {playground.session.last_epoch}" in playground.status.value


def test_wait_in_a_cell_shows_the_outcome_of_a_background_run(page, tiny_config, images, tmp_path):
    playground = Playground(tiny_config, images, epochs=1, runs_dir=tmp_path)

    async def cell():  # playground.start(); playground.wait(), as notebook 01 runs them in one cell
        playground.start()
        playground.wait()

    asyncio.run(cell())
    assert not page.from_other_threads()
    assert playground.outcome == "finished" and playground.status.value.startswith("Finished")
    assert picture(playground.image) and not playground.running
