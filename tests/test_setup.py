"""What a notebook's first cells do: the one line naming what is installed, and Google Drive on Colab."""

import sys

import keras
import pytest
import tensorflow as tf
from support.colab import fake_colab

import dcgan_helpers
from dcgan_helpers import device, locations
from dcgan_helpers.errors import UsageError

pytestmark = pytest.mark.kernel


def test_the_setup_line_names_versions_and_says_when_no_gpu_was_found(monkeypatch):
    monkeypatch.setattr(device, "gpus", lambda: ())
    line = device.describe_setup()
    assert line == (f"dcgan_helpers {dcgan_helpers.__version__} · TensorFlow {tf.__version__} · "
                    f"Keras {keras.__version__} · no GPU found (on Colab: Runtime → Change runtime type → GPU)")


def test_the_setup_line_names_the_gpus_found(monkeypatch):
    monkeypatch.setattr(device, "gpus", lambda: ("gpu:0",))
    monkeypatch.setattr(tf.config.experimental, "get_device_details", lambda gpu: {"device_name": "Tesla T4"})
    assert device.describe_setup().endswith(" · GPU found: 1 × Tesla T4")


@pytest.fixture
def colab(monkeypatch, tmp_path):
    """Colab's ``google.colab`` stand-in (``support.colab``): the list of places Drive was mounted."""
    mounts = fake_colab(monkeypatch)
    monkeypatch.chdir(tmp_path)
    return mounts


def test_on_colab_a_drive_folder_mounts_drive_and_moves_data_and_runs_there(colab):
    line = locations.use_drive("dcgan")
    assert colab == ["/content/drive"]
    assert locations.data_root() == locations.DRIVE_MOUNT / "MyDrive" / "dcgan" / "data"
    assert locations.runs_root() == locations.DRIVE_MOUNT / "MyDrive" / "dcgan" / "runs"
    assert line == ("data in /content/drive/MyDrive/dcgan/data, runs in /content/drive/MyDrive/dcgan/runs "
                    "(on Google Drive: they outlive this runtime); prepared images cached in /content/.dcgan-cache "
                    "(on this runtime's own disk: fast to read; rebuilt from the data on Drive when Colab recycles "
                    "the runtime)")


def test_on_colab_without_a_drive_folder_nothing_is_mounted_and_the_line_warns(colab):
    line = locations.use_drive(None)
    assert colab == [] and locations.runs_root() == locations.home_folder() / "runs"
    assert "lost when Colab recycles this runtime" in line


@pytest.mark.parametrize("folder", ["/content/somewhere", "../outside"])
def test_a_drive_folder_is_a_name_inside_my_drive(colab, folder):
    with pytest.raises(UsageError, match="folder name inside your Google Drive"):
        locations.use_drive(folder)
    assert colab == []


def test_elsewhere_a_drive_folder_changes_nothing_and_says_so(monkeypatch, tmp_path):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    monkeypatch.setenv("DCGAN_RUNS_DIR", str(tmp_path / "runs"))
    line = locations.use_drive("dcgan")
    assert locations.runs_root() == tmp_path / "runs"
    assert line.endswith(f"runs in {tmp_path / 'runs'} (drive_folder applies on Colab only)")
