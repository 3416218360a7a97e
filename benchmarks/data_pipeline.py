"""Images/s of the cached input pipeline against the helper's 64×64 training step on this machine.

Builds a folder of CelebA-sized JPEGs (178×218), prepares it once into the memory-mapped cache
(``load_image_folder``, timed: that is the one-off JPEG decoding), then measures how fast
``make_dataset`` delivers shuffled [-1, 1] batches from the cache, and how fast the helper trains
the ``celeba64`` model. The pipeline must be at least 10× faster than training, so the
accelerator never waits for data.

    python benchmarks/data_pipeline.py              # 20,000 images, figures for benchmarks/README.md
    python benchmarks/data_pipeline.py --images 500 --train-steps 1   # a quick look
"""

import argparse
import io
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
from train_step import fastest_images_per_second, helper_pass, pipeline_images_per_second  # noqa: E402

from dcgan_helpers.datasets import preset  # noqa: E402
from dcgan_helpers.image_folder import load_image_folder  # noqa: E402


def write_jpegs(folder: Path, count: int) -> None:
    """``count`` 178×218 JPEGs of smooth random colour fields (JPEG-typical content and size)."""
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True)
    for index in range(count):
        corners = rng.integers(0, 256, (2, 2, 3)).astype(np.float32)
        field = Image.fromarray(corners.astype(np.uint8)).resize((178, 218), Image.Resampling.BILINEAR)
        buffer = io.BytesIO()
        field.save(buffer, format="JPEG", quality=90)
        (folder / f"{index + 1:06d}.jpg").write_bytes(buffer.getvalue())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=20_000)
    parser.add_argument("--batches", type=int, default=300, help="batches timed from the cache")
    parser.add_argument("--train-steps", type=int, default=4, help="training steps per timed pass")
    args = parser.parse_args()
    config = preset("celeba64")

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "img_align_celeba"
        write_jpegs(folder, args.images)
        started = time.perf_counter()
        images = load_image_folder(folder, size=64)
        preparing = len(images) / (time.perf_counter() - started)
        started = time.perf_counter()
        load_image_folder(folder, size=64)
        reopening = time.perf_counter() - started
        pipeline = pipeline_images_per_second(config, images, args.batches)
        training = fastest_images_per_second(
            {"helper": helper_pass(config, np.asarray(images[:2048]), args.train_steps)},
            args.train_steps, config.batch_size, rounds=2,
        )["helper"]

    print(f"{len(images):,} images 64×64×3 in a memory-mapped cache ({images.nbytes / 1e6:.0f} MB), "
          f"batch {config.batch_size}, {os.cpu_count()} CPU cores")
    print(f"  preparing once (decode, crop, resize) : {preparing:10,.0f} images/s")
    print(f"  opening the finished cache again     : {reopening * 1000:10.1f} ms")
    print(f"  cached pipeline (make_dataset)       : {pipeline:10,.0f} images/s")
    print(f"  helper training step, celeba64       : {training:10,.1f} images/s")
    print(f"  pipeline / training                  : {pipeline / training:10,.0f}×  (target ≥ 10×)")


if __name__ == "__main__":
    main()
