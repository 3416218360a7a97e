"""Every hyperparameter in one dataclass, checked when made, with a JSON round trip (presets: ``datasets.py``)."""

import dataclasses
import difflib
import json
import math
import typing
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError
from .files import write_text_atomically

__all__ = ["CELEBA_CROP_SIZES", "GANConfig", "MODEL_SHAPING_KEYS", "PAPER_DESIGN", "parse_assignments"]

ARCHITECTURES = ("radford", "paper", "dense")  # see models.py
CLASS_CONDITIONINGS = ("concatenation", "projection")  # how a conditional D takes the class: see models.py
NOISE_DISTRIBUTIONS = ("normal", "uniform")  # z ~ N(0, 1) or z ~ U(-1, 1)
PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")  # Keras dtype policies
SUPPORTED_IMAGE_SIZES = (28, 32, 64, 128)
LARGEST_SEED = 2**32 - 1  # NumPy's and Keras' global seeds are unsigned 32-bit numbers
# Upper bounds that catch a typo before it asks for more memory than any reader has. At 64 px with
# G's default doubling: noise_dim 4096 makes G's first layer 4096 x 4 x 4 x 1024 weights (67 M);
# 1024 filters make G's widest layer 8192 channels (a 4x4 convolution of 8192 -> 4096 holds 537 M
# weights, 6 GB in float32 with Adam's two moments); a batch of 8192 64-px images needs 4 GB for the
# activations of G's last hidden layer alone. The DCGAN paper used 100, 128 and 128.
UPPER_BOUNDS = {"noise_dim": 4096, "generator_filters": 1024, "discriminator_filters": 1024, "batch_size": 8192}
CELEBA_CROP_SIZES = (108, 138, 178)  # side of the centre square cut from CelebA's 178×218 photos
MODEL_SHAPING_KEYS = (
    "image_size", "channels", "architecture", "noise_dim",
    "generator_filters", "discriminator_filters", "kernel_size", "layers_per_resolution", "conditional", "classes",
    "class_conditioning",
)


@dataclass(frozen=True)
class GANConfig:
    """Hyperparameters of one DCGAN; ``None`` for a hardware switch means "decide from the device"."""

    # Data
    dataset: str = "fashion_mnist"  # name of the data source, also the folder under runs/
    image_size: int = 28  # height = width of the images, one of SUPPORTED_IMAGE_SIZES
    channels: int = 1  # 1 for grayscale, 3 for RGB
    data_filter: str = ""  # hands64 only: a subset, e.g. "aspectOfHand=dorsal right;accessories=0"
    crop: int = 108  # celeba64 only: side of the centre square cut from each 178×218 photo (108, 138 or 178)
    conditional: bool = False  # G draws the class it is given and D judges image and class together
    label_by: str = ""  # hands64 only: the HandInfo.csv column(s) whose values are the classes, e.g. "aspectOfHand"
    classes: tuple[str, ...] = ()  # the class names, in label order: filled in from the data when a session starts
    class_conditioning: str = "concatenation"  # how D takes the class: "concatenation" or "projection"

    # Models
    architecture: str = "radford"  # "radford" (Torch-family DCGAN), "paper" (the DCGAN authors' code), "dense"
    noise_dim: int = 100  # length of the latent vector z
    noise_distribution: str = "normal"  # z ~ N(0, 1); "uniform": U(-1, 1), as the DCGAN authors' code draws it
    generator_filters: int = 64  # width of G's last hidden layer; doubles towards the noise
    discriminator_filters: int = 64  # width of D's first layer; doubles towards the logit
    kernel_size: int = 4  # 4 in dcgan.torch and PyTorch's tutorial; 5 in the DCGAN authors' code and "dense"
    layers_per_resolution: int = 1  # 1: one strided layer per resolution (the paper); 2 adds a 3x3 stride-1 one
    leaky_relu_slope: float = 0.2  # negative slope of D's LeakyReLU

    # Optimisation: Adam for each network
    generator_learning_rate: float = 2e-4
    discriminator_learning_rate: float = 2e-4
    beta_1: float = 0.5  # the DCGAN paper's momentum; 0.9 made training oscillate
    beta_2: float = 0.999
    weight_decay: float = 0.0  # L2 on every variable, added to its gradient: 1e-5 in the DCGAN authors' code
    batch_size: int = 128
    steps_per_epoch: int | None = None  # None: one pass over the data

    # Averaging: samples, metrics and the exported generator come from an exponential moving average of G
    ema_decay: float = 0.0  # weight of the old average at each step (0.999: ~1000 steps); 0 turns averaging off
    ema_start_step: int = 0  # the average copies G until this step, then starts averaging

    # Loss
    label_smoothing: float = 0.0  # one-sided: real targets become 1 - label_smoothing
    label_noise: float = 0.0  # probability of swapping a real and a fake label in D's loss
    augment: bool = False  # shift and recolour every image D sees, real and fake alike (small datasets)

    # Reproducibility and output
    seed: int = 0
    preview_count: int = 16  # images in the fixed-noise grid saved each epoch
    keep_checkpoints: int = 2  # newest checkpoints kept on disk

    # Hardware
    precision: str | None = None  # one of PRECISIONS; None: the fastest for the device (see device.py)
    jit_compile: bool | None = None  # None: XLA on a GPU, off on CPU where it is slower
    steps_per_execution: int | None = None  # steps per call into the compiled graph; None: by device and size

    def __post_init__(self):
        for name, value in dataclasses.asdict(self).items():
            _check_type(name, value)
        if self.architecture not in ARCHITECTURES:
            raise ConfigError(f"architecture must be one of {', '.join(ARCHITECTURES)}, not {self.architecture!r}")
        if self.class_conditioning not in CLASS_CONDITIONINGS:
            raise ConfigError(f"class_conditioning must be one of {', '.join(CLASS_CONDITIONINGS)}, "
                              f"not {self.class_conditioning!r}")
        if self.noise_distribution not in NOISE_DISTRIBUTIONS:
            raise ConfigError(f"noise_distribution must be one of {', '.join(NOISE_DISTRIBUTIONS)}, "
                              f"not {self.noise_distribution!r}")
        if self.precision is not None and self.precision not in PRECISIONS:
            raise ConfigError(f"precision must be one of {', '.join(PRECISIONS)} or auto, not {self.precision!r}")
        if self.image_size not in SUPPORTED_IMAGE_SIZES:
            sizes = ", ".join(map(str, SUPPORTED_IMAGE_SIZES))
            raise ConfigError(f"image_size must be one of {sizes}, not {self.image_size}")
        if self.channels not in (1, 3):
            raise ConfigError(f"channels must be 1 (grayscale) or 3 (RGB), not {self.channels}")
        if self.crop not in CELEBA_CROP_SIZES:
            raise ConfigError(f"crop must be one of {', '.join(map(str, CELEBA_CROP_SIZES))} (pixels of the centre "
                              f"square cut from each CelebA photo), not {self.crop}")
        positive = ("noise_dim", "generator_filters", "discriminator_filters", "kernel_size", "layers_per_resolution",
                    "batch_size",
                    "generator_learning_rate", "discriminator_learning_rate", "preview_count",
                    "keep_checkpoints", "steps_per_execution")
        for name in positive:
            value = getattr(self, name)
            if value is None and name == "steps_per_execution":
                continue
            if not value > 0 or not math.isfinite(value):
                raise ConfigError(f"{name} must be a positive number, not {value}")
        for name, bound in UPPER_BOUNDS.items():
            if getattr(self, name) > bound:
                raise ConfigError(f"{name} must be at most {bound} (memory), not {getattr(self, name)}")
        if not 0 <= self.seed <= LARGEST_SEED:
            raise ConfigError(f"seed must be a whole number from 0 to {LARGEST_SEED}, not {self.seed}")
        if self.steps_per_epoch is not None and self.steps_per_epoch < 1:
            raise ConfigError(
                f"steps_per_epoch must be at least 1 (or None for a full pass), not {self.steps_per_epoch}"
            )
        if not 0 <= self.ema_decay < 1:
            raise ConfigError(f"ema_decay must be in [0, 1), not {self.ema_decay}; 0.999 is typical, 0 turns it off")
        if self.ema_start_step < 0:
            raise ConfigError(f"ema_start_step must be 0 or more, not {self.ema_start_step}")
        for name in ("beta_1", "beta_2"):
            if not 0 <= getattr(self, name) < 1:
                raise ConfigError(f"{name} must be in [0, 1), not {getattr(self, name)}")
        if not 0 <= self.label_smoothing < 1:
            raise ConfigError(f"label_smoothing must be in [0, 1), not {self.label_smoothing}; 0.1 is typical")
        if not 0 <= self.label_noise < 0.5:
            raise ConfigError(f"label_noise must be in [0, 0.5), not {self.label_noise}; 0.05 is typical")
        if not 0 <= self.weight_decay < 1:
            raise ConfigError(f"weight_decay must be in [0, 1), not {self.weight_decay}; the DCGAN authors used 1e-5")
        if not 0 <= self.leaky_relu_slope < 1:
            raise ConfigError(f"leaky_relu_slope must be in [0, 1), not {self.leaky_relu_slope}")
        if self.classes and not self.conditional:
            raise ConfigError("classes are the labels of a conditional GAN: set conditional=true, or leave them empty")
        if len(set(self.classes)) != len(self.classes) or not all(self.classes):
            raise ConfigError(f"classes must be distinct, non-empty names, not {list(self.classes)}")
        if self.conditional and len(self.classes) == 1:
            raise ConfigError(f"a conditional GAN needs at least two classes, not only {self.classes[0]!r}")

    def model_shape(self) -> dict:
        """The values that fix the networks' layers, as JSON gives them back; checkpoints only fit a config with
        the same ones."""
        return json.loads(json.dumps({key: getattr(self, key) for key in MODEL_SHAPING_KEYS}))

    @classmethod
    def stored_model_shape(cls, stored: dict) -> dict:
        """A ``model_shape`` read back from a file, with the defaults of keys added since the file was written."""
        defaults = cls().model_shape()
        return {key: stored.get(key, defaults[key]) for key in MODEL_SHAPING_KEYS}

    def class_index(self, label) -> int:
        """The index of a class given by its name (any case) or its index, e.g. ``"sneaker"`` or ``7``."""
        if not self.conditional:
            raise ConfigError("this GAN is unconditional: it draws no chosen class (train one with conditional=true)")
        text = str(label).strip()
        by_name = [index for index, name in enumerate(self.classes) if name.lower() == text.lower()]
        if by_name:
            return by_name[0]
        if text.isdigit() and int(text) < len(self.classes):
            return int(text)
        valid = ", ".join(f"{index} {name}" for index, name in enumerate(self.classes))
        raise ConfigError(f"unknown class {text!r}; give a name or an index: {valid}")

    def replace(self, **changes) -> "GANConfig":
        """A copy with some values changed; unknown names are rejected."""
        _reject_unknown(changes)
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "GANConfig":
        _reject_unknown(values)
        if isinstance(values.get("classes"), list):  # JSON has lists, not tuples
            values = {**values, "classes": tuple(values["classes"])}
        return cls(**values)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> "GANConfig":
        values = json.loads(text)
        if not isinstance(values, dict):
            raise ConfigError(f"a config must be a JSON object of KEY: VALUE pairs, not {type(values).__name__}")
        return cls.from_dict(values)

    def save(self, path) -> None:
        write_text_atomically(path, self.to_json())

    @classmethod
    def load(cls, path) -> "GANConfig":
        try:
            return cls.from_json(Path(path).read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise ConfigError(f"{path} is not valid JSON ({error}); fix it or copy a preset's to_json()") from None
        except ConfigError as error:
            raise ConfigError(f"{path}: {error}") from None


FIELD_TYPES = typing.get_type_hints(GANConfig)

def _reject_unknown(values: dict) -> None:
    unknown = [key for key in values if key not in FIELD_TYPES]
    if unknown:
        hints = [f" (did you mean {match[0]!r}?)" if (match := difflib.get_close_matches(key, FIELD_TYPES, 1)) else ""
                 for key in unknown]
        named = "; ".join(f"{key!r}{hint}" for key, hint in zip(unknown, hints, strict=True))
        raise ConfigError(f"unknown config key {named}. Valid keys: {', '.join(FIELD_TYPES)}")


def _check_type(name: str, value) -> None:
    if name == "classes":
        if not isinstance(value, tuple) or not all(isinstance(item, str) for item in value):
            raise ConfigError(f"classes must be a tuple of class names, not {value!r}")
        return
    allowed = typing.get_args(FIELD_TYPES[name]) or (FIELD_TYPES[name],)
    if not any(_is_kind(value, kind) for kind in allowed):
        names = " or ".join("None" if kind is type(None) else kind.__name__ for kind in allowed)
        raise ConfigError(f"{name} must be {names}, not {value!r}")


def _is_kind(value, kind) -> bool:
    if kind is type(None):
        return value is None
    if kind in (int, float) and isinstance(value, bool):
        return False
    if kind is float:
        return isinstance(value, (int, float))
    return isinstance(value, kind)


def parse_assignments(assignments) -> dict:
    """Turn ``["noise_dim=64", "jit_compile=auto"]`` into typed values."""
    values = {}
    for assignment in assignments:
        key, separator, text = assignment.partition("=")
        key = key.strip()
        if not separator:
            raise ConfigError(f"expected KEY=VALUE, got {assignment!r} (for example noise_dim=64)")
        _reject_unknown({key: None})
        if key == "classes":
            raise ConfigError("classes come from the data when a session starts; choose them with the dataset "
                              "(label_by for hands64, one subfolder per class for a folder)")
        values[key] = _parse_value(key, text.strip())
    return values


def _parse_value(key: str, text: str):
    allowed = typing.get_args(FIELD_TYPES[key]) or (FIELD_TYPES[key],)
    if type(None) in allowed and text.lower() in ("none", "auto", "null"):
        return None
    if bool in allowed:
        lowered = text.lower()
        if lowered in ("true", "on", "yes", "1"):
            return True
        if lowered in ("false", "off", "no", "0"):
            return False
        raise ConfigError(f"{key} must be true, false or auto, not {text!r}")
    for kind in (int, float):
        if kind in allowed:
            try:
                return kind(text)
            except ValueError:
                raise ConfigError(f"{key} must be a {kind.__name__} number, not {text!r}") from None
    return text


# The DCGAN authors' own face model and training (Newmu/dcgan_code, faces/train_uncond_dcgan.py) at 64 px:
# 5x5 kernels, a dense projection of z ~ U(-1, 1), D 128-256-512-1024 ending in a dense layer, L2 weight decay 1e-5.
# Apply it to a preset: datasets.preset("celeba64").replace(**PAPER_DESIGN).
PAPER_DESIGN = {
    "architecture": "paper", "kernel_size": 5, "generator_filters": 128, "discriminator_filters": 128,
    "noise_distribution": "uniform", "weight_decay": 1e-5,
}
