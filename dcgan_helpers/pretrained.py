"""Generators in one file: the one shipped with the package, and the ones readers export and share.

A generator file is a ``.npz`` archive of plain arrays: the generator's weights, its ``GANConfig`` as
JSON, a record of how it was made (dataset, epochs, command, hardware, scores) and a SHA-256 checksum
of all of these. Loading rebuilds the generator from the config and sets the weights: no code in
the file ever runs (``np.load`` refuses pickled objects), and a truncated, altered or foreign file
is refused in one sentence before anything is built.

    generator = pretrained.load("fashion_mnist")        # shipped with the package, no network needed
    pretrained.export(session, "celeba_generator.npz")  # or: dcgan export --dataset celeba64 1 FILE
    generator = pretrained.load("celeba_generator.npz")
"""

import hashlib
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from .config import GANConfig
from .errors import ConfigError, UsageError
from .files import atomic_path, write_text_atomically
from .models import build_generator

__all__ = ["GeneratorFile", "GeneratorFileError", "SHIPPED", "export", "load", "read", "write", "write_record_copy"]

ASSETS_DIR = Path(__file__).resolve().parent / "assets"
SHIPPED = {  # name → file inside the package
    "fashion_mnist": ASSETS_DIR / "fashion_mnist_generator.npz",
    "fashion_mnist_conditional": ASSETS_DIR / "fashion_mnist_conditional_generator.npz",  # draws a chosen class
}
FORMAT = "dcgan-generator/1"


class GeneratorFileError(UsageError):
    """A generator file that is missing, damaged, altered or not a generator file."""


@dataclass(frozen=True)
class GeneratorFile:
    """What a generator file holds: ``config`` builds the network, ``weights`` fill it, ``record`` says how it was
    made (at least ``dataset`` and ``epochs``)."""

    config: GANConfig
    record: dict
    weights: list[np.ndarray]
    stored_config: str | None = None  # the config's JSON as a file holds it; None before the file is written

    @property
    def checksum(self) -> str:
        """SHA-256 of the config (as the file holds it: a file stays valid when later versions add config keys),
        the record and every weight (shape, type and bytes), in order."""
        digest = hashlib.sha256()
        digest.update((self.stored_config or self.config.to_json()).encode())
        digest.update(json.dumps(self.record, sort_keys=True).encode())
        for weight in self.weights:
            digest.update(f"{weight.dtype.str}{weight.shape}".encode())
            digest.update(np.ascontiguousarray(weight).tobytes())
        return digest.hexdigest()

    def describe(self) -> str:
        """In words, e.g. ``a 28×28 grayscale fashion_mnist generator (noise 100), 19 epochs``."""
        config = self.config
        colour = "grayscale" if config.channels == 1 else "colour"
        epochs = self.record.get("epochs", "?")
        return (f"a {config.image_size}×{config.image_size} {colour} {config.dataset} generator "
                f"(noise {config.noise_dim}), {epochs} epoch{'' if epochs == 1 else 's'}")

    def generator(self) -> keras.Model:
        """The generator, rebuilt from the config, holding the weights."""
        generator = build_generator(self.config)
        try:
            generator.set_weights(self.weights)
        except ValueError as error:
            raise GeneratorFileError(f"the weights of {self.describe()} do not fit the network its config "
                                     f"describes ({error}); export it again") from None
        return generator


def source_path(source) -> Path:
    """The file a name of a shipped generator or a path means."""
    if str(source) in SHIPPED:
        return SHIPPED[str(source)]
    return Path(source)


def read(source, dataset: str | None = None) -> GeneratorFile:
    """Read and verify a generator file (a path, or a shipped name such as ``"fashion_mnist"``).

    ``dataset`` refuses a generator of another dataset, saying what the file holds.
    """
    path = source_path(source)
    if not path.is_file():
        shipped = ", ".join(repr(name) for name in SHIPPED)
        raise GeneratorFileError(f"there is no generator file {path}; give the path of an exported generator "
                                 f"(dcgan export) or the name of a shipped one ({shipped})")
    try:
        with np.load(path, allow_pickle=False) as stored:
            if str(stored["format"]) != FORMAT:
                raise ValueError(f"format {str(stored['format'])!r}, expected {FORMAT!r}")
            config = GANConfig.from_json(str(stored["config"]))
            record = json.loads(str(stored["record"]))
            names = sorted(key for key in stored.files if key.startswith("weights/"))
            held = GeneratorFile(config, record, [stored[key] for key in names], str(stored["config"]))
            written_checksum = str(stored["sha256"])
    except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile, ConfigError) as error:
        raise GeneratorFileError(f"{path} is not a generator file that can be read ({error}); export it again "
                                 "with dcgan export, or download it again") from None
    if held.checksum != written_checksum:
        raise GeneratorFileError(f"{path} does not match its checksum: it was altered or damaged after it was "
                                 "written; export it again, or download it again")
    if dataset is not None and config.dataset != dataset:
        raise GeneratorFileError(f"{path} holds {held.describe()}, not a {dataset} generator; "
                                 f"load a generator trained on {dataset}")
    return held


def load(source, dataset: str | None = None) -> keras.Model:
    """The generator in a file or shipped with the package, ready to draw (see ``read``)."""
    return read(source, dataset).generator()


def write(path, held: GeneratorFile) -> Path:
    """Write ``held`` as a generator file (under a temporary name, then renamed), with a JSON copy of its record."""
    arrays = {f"weights/{index:04d}": weight for index, weight in enumerate(held.weights)}
    arrays.update(format=np.array(FORMAT), config=np.array(held.stored_config or held.config.to_json()),
                  record=np.array(json.dumps(held.record, sort_keys=True)), sha256=np.array(held.checksum))
    path = Path(path)
    with atomic_path(path) as temporary, open(temporary, "wb") as stream:
        np.savez(stream, **arrays)
    return path


def export(session, path, best: bool = False, record: dict | None = None) -> Path:
    """Write a session's generator (the newest, or with ``best`` the best a metric kept) into one file.

    The record names the dataset, the epochs and, for the best generator, its score; ``record`` adds to it.
    """
    generator = session.load_generator(best=best)
    made = {"dataset": session.config.dataset, "epochs": session.last_epoch, "session": session.number}
    if best:
        kept = session.best().record
        made.update(epochs=kept["epoch"], score={kept["metric"]: kept["value"], "samples": kept["samples"]})
    held = GeneratorFile(session.config, {**made, **(record or {})},
                         [np.asarray(weight) for weight in generator.get_weights()])
    return write(path, held)


def write_record_copy(path, held: GeneratorFile) -> Path:
    """A JSON copy of a file's record beside it, for readers browsing the repository."""
    copy = Path(path).with_suffix(".json")
    write_text_atomically(copy, json.dumps({**held.record, "sha256": held.checksum}, indent=2) + "\n")
    return copy
