"""A stand-in for Colab's ``google.colab`` module, so that ``use_drive`` runs as it does on Colab."""

import sys
import types


def fake_colab(monkeypatch) -> list[str]:
    """Install a ``google.colab`` whose ``drive.mount`` only records where it was asked to mount Drive.

    ``DCGAN_DATA_DIR`` and ``DCGAN_RUNS_DIR`` are unset, and restored when the test ends (``use_drive`` sets them).
    Returns the list of mount points asked for.
    """
    mounts = []
    colab_module = types.ModuleType("google.colab")
    colab_module.drive = types.SimpleNamespace(mount=mounts.append)
    google = types.ModuleType("google")
    google.colab = colab_module
    monkeypatch.setitem(sys.modules, "google", google)
    monkeypatch.setitem(sys.modules, "google.colab", colab_module)
    for name in ("DCGAN_DATA_DIR", "DCGAN_RUNS_DIR"):  # unset now, and as before once the test ends
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    return mounts
