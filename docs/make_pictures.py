"""Make every picture the README and the notebooks show, from the shipped generator and the run that trained it.

    python docs/make_pictures.py --session runs/shipped/fashion_mnist/session_1

writes into ``docs/pictures/``:

- ``fashion_mnist_samples.png``: 64 samples of the generator (``latent.generate``, seed 0);
- ``fashion_mnist_interpolation.png``: four walks through its latent space (``latent.interpolate``, spherical,
  10 steps between seeds 1→2, 3→4, 5→6, 7→8);
- ``fashion_mnist_training.gif`` and ``fashion_mnist_epochs.png``: the session's sample grids (its fixed preview
  noise) after every epoch up to the shipped one, and after epochs 1, 3 and 10 side by side;
- ``fashion_mnist_conditional.png``: the shipped class-conditional generator, one row per class (in label order)
  and one column per noise vector (seeds 0 to 7 of ``latent.noise``, the same z down each column);
- ``toy_ring.png``: notebook 00's toy GAN on the ring of 8 Gaussians with its three settings (balanced,
  collapsed, cured by 5 D steps per G step), trained ``--toy-steps`` steps each;
- ``pictures.json``: how each one was made (sources, seeds, the generator's checksum).

Nothing is drawn by hand: every pixel comes from the code named above. ``--only conditional`` makes the
conditional picture alone and keeps the rest of ``pictures.json``.
"""

import argparse
import json
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import imageio.v3 as iio  # noqa: E402
import numpy as np  # noqa: E402

from dcgan_helpers import pretrained, toy  # noqa: E402
from dcgan_helpers.files import epoch_files, write_text_atomically  # noqa: E402
from dcgan_helpers.images import enlarge, image_grid  # noqa: E402
from dcgan_helpers.latent import generate, interpolate, noise  # noqa: E402
from dcgan_helpers.viz import pictures, save_gif, save_image  # noqa: E402

HERE = Path(__file__).resolve().parent
EPOCHS_SHOWN = (1, 3, 10)
TOY_SETTINGS = {  # notebook 00, section 4
    "balanced": toy.ToySettings(),
    "collapsed": toy.ToySettings(generator_learning_rate=1e-3, discriminator_learning_rate=1e-4),
    "cured": toy.ToySettings(generator_learning_rate=1e-3, discriminator_learning_rate=1e-4, discriminator_steps=5),
}


def samples_picture(generator, distribution: str, out: Path) -> dict:
    grid = image_grid(generate(generator, 64, seed=0, distribution=distribution), columns=8)
    save_image(out / "fashion_mnist_samples.png", enlarge(grid, 2))
    return {"made_by": "latent.generate(generator, 64, seed=0), an 8×8 grid enlarged 2×"}


def interpolation_picture(generator, distribution: str, out: Path) -> dict:
    rows = []
    for start, end in ((1, 2), (3, 4), (5, 6), (7, 8)):
        path = interpolate(noise(1, generator.input_shape[-1], start, distribution)[0],
                           noise(1, generator.input_shape[-1], end, distribution)[0], 10)
        rows.append(pictures(generator, path))
    strip = image_grid(np.concatenate(rows), columns=10)
    save_image(out / "fashion_mnist_interpolation.png", enlarge(strip, 2))
    return {"made_by": "latent.interpolate (spherical, 10 steps) between the noise of seeds 1→2, 3→4, 5→6, 7→8"}


def conditional_picture(held, source: str, out: Path) -> dict:
    generator = held.generator()
    latent = np.concatenate([noise(1, held.config.noise_dim, seed, held.config.noise_distribution)
                             for seed in range(8)])
    rows = [pictures(generator, latent, labels=label) for label in range(len(held.config.classes))]
    save_image(out / "fashion_mnist_conditional.png", enlarge(image_grid(np.concatenate(rows), columns=8), 2))
    return {"made_by": "viz.pictures of the conditional generator: one row per class (in label order), one column "
                       "per noise vector (latent.noise seeds 0 to 7), an image_grid enlarged 2×",
            "classes": list(held.config.classes),
            "generator": {"source": source, "sha256": held.checksum, "epochs": held.record["epochs"]}}


def training_pictures(session_folder: Path, last_epoch: int, out: Path) -> dict:
    frames = {epoch: path for epoch, path in epoch_files(session_folder / "samples", ".png").items()
              if epoch <= last_epoch}
    grids = [enlarge(iio.imread(path), 2) for path in frames.values()]
    save_gif(grids, out / "fashion_mnist_training.gif", seconds_per_frame=0.5)
    shown = [enlarge(iio.imread(frames[epoch]), 2) for epoch in EPOCHS_SHOWN if epoch in frames]
    gap = np.full((shown[0].shape[0], 16, *shown[0].shape[2:]), 255, np.uint8)
    save_image(out / "fashion_mnist_epochs.png", np.concatenate([part for grid in shown for part in (grid, gap)][:-1],
                                                                axis=1))
    return {"made_by": f"the sample grids {session_folder.name} saved after epochs 1 to {last_epoch} (fixed noise)",
            "epochs_side_by_side": [epoch for epoch in EPOCHS_SHOWN if epoch in frames]}


def toy_picture(steps: int, out: Path) -> dict:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ring = toy.ring_of_gaussians(20_000)
    figure, axes = plt.subplots(1, 3, figsize=(12, 4.2))
    covered = {}
    for axis, (name, settings) in zip(axes, TOY_SETTINGS.items(), strict=True):
        gan = toy.ToyGAN(settings)
        gan.train(ring, steps, report_every=steps)
        toy.plot_toy_state(gan, ring, axis)
        covered[name] = int(toy.modes_covered(gan.sample(2000)))
        axis.set_xlabel(name)
    figure.tight_layout()
    path = out / "toy_ring.png"
    figure.savefig(path, dpi=80)
    plt.close(figure)
    return {"made_by": f"toy.ToyGAN with notebook 00's three settings, {steps} steps each", "modes_covered": covered}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generator", default="fashion_mnist", help="shipped name or exported file")
    parser.add_argument("--conditional-generator", default="fashion_mnist_conditional",
                        help="shipped name or exported file of a conditional Fashion-MNIST generator")
    parser.add_argument("--session", type=Path, help="the session that trained the generator")
    parser.add_argument("--out", type=Path, default=HERE / "pictures")
    parser.add_argument("--toy-steps", type=int, default=3000)
    parser.add_argument("--only", choices=["conditional"], help="make this picture alone")
    args = parser.parse_args(argv)
    if args.only is None and args.session is None:
        parser.error("--session is needed for the training pictures (or make --only conditional)")
    args.out.mkdir(parents=True, exist_ok=True)
    conditional = pretrained.read(args.conditional_generator)  # refused before anything is written
    if args.only:
        record = json.loads((args.out / "pictures.json").read_text())
    else:
        held = pretrained.read(args.generator)
        generator, distribution = held.generator(), held.config.noise_distribution
        record = {"generator": {"source": str(args.generator), "sha256": held.checksum,
                                "epochs": held.record["epochs"]},
                  "fashion_mnist_samples.png": samples_picture(generator, distribution, args.out),
                  "fashion_mnist_interpolation.png": interpolation_picture(generator, distribution, args.out),
                  "fashion_mnist_training.gif": training_pictures(args.session, held.record["epochs"], args.out),
                  "toy_ring.png": toy_picture(args.toy_steps, args.out)}
        record["fashion_mnist_epochs.png"] = record["fashion_mnist_training.gif"]
    record["fashion_mnist_conditional.png"] = conditional_picture(conditional, args.conditional_generator, args.out)
    write_text_atomically(args.out / "pictures.json", json.dumps(record, indent=2) + "\n")
    sizes = {path.name: path.stat().st_size for path in args.out.iterdir()}
    print(f"wrote {len(sizes)} files, {sum(sizes.values()) / 1e6:.2f} MB, to {args.out}")


if __name__ == "__main__":
    main()
