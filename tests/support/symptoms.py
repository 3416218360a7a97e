"""Records of training runs with and without symptoms of failure, for the diagnosis's tests."""

import numpy as np


def row(epoch, d_real=0.75, d_fake=0.25, fake_spread=0.5, real_spread=0.53, **figures):
    return {"epoch": epoch, "d_loss": 0.9, "g_loss": 2.0, "d_real": d_real, "d_fake": d_fake, "d_grad_norm": 18.0,
            "g_grad_norm": 12.0, "fake_spread": fake_spread, "real_spread": real_spread, **figures}


def smooth_images(count=16, size=28, seed=0):
    """Blobs: images whose power lies at low frequencies, like garments."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[:size, :size]
    centres = rng.uniform(8, 20, (count, 2))
    blobs = np.exp(-((y - centres[:, :1, None]) ** 2 + (x - centres[:, 1:, None]) ** 2) / 40.0)
    return (255 * blobs[..., None]).astype(np.uint8)


def checkered(images, strength=40):
    pattern = np.where((np.add.outer(np.arange(28), np.arange(28)) % 2) == 0, strength, -strength)
    return np.clip(images.astype(int) + pattern[None, :, :, None], 0, 255).astype(np.uint8)
