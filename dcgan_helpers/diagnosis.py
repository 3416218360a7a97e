"""Naming what went wrong in a training run, from the figures its history records and its sample grids.

Each check reads one symptom from numbers a session already keeps: the four metrics and the
diagnostics of ``gan.DIAGNOSTIC_NAMES`` in ``history.csv``, and the preview grid of every epoch.
Its threshold comes from ``benchmarks/failure_gallery.py``: the failing runs of notebook 04 cross
it, the healthy presets do not (the table is in benchmarks/README.md). A finding says which
numbers crossed which threshold, from which epoch, and which section of notebook 04 explains it.
"""

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["CHECKS", "Finding", "diagnose", "nyquist_share"]

NOTEBOOK = "notebook 04 (When GANs fail)"
D_WINS_REAL, D_WINS_FAKE = 0.9, 0.1  # D's mean output on real images above, on fakes below: it tells them apart
D_BLIND_GAP = 0.1  # D's mean output on real images less than this above its output on fakes: it tells nothing apart
EXPLODED_LOSS = 50.0  # a loss above this: D's logits have grown huge (healthy runs stay below 5)
STUCK_GRADIENT = 0.01  # G's gradient norm below this: G has stopped learning (healthy runs stay above 1)
COLLAPSE_SPREAD = 0.35  # the fake batch's spread below this share of the real batch's, two epochs in a row: G draws
# a few images over and over (a struggling G's first epoch can be as narrow, but widens in the next)
CHECKERBOARD_SHARE = 0.01  # the samples' spectral power at the Nyquist frequencies above this share


@dataclass(frozen=True)
class Finding:
    """One symptom: the epochs it was seen in, the numbers that show it, and where to read about it."""

    symptom: str
    first_epoch: int
    last_epoch: int
    evidence: str
    section: str

    def __str__(self):
        seen = f"epoch {self.first_epoch}" if self.first_epoch == self.last_epoch else \
            f"epochs {self.first_epoch}-{self.last_epoch}"
        return f"{self.symptom} ({seen}): {self.evidence}. Read {NOTEBOOK}, section '{self.section}'."


def nyquist_share(images) -> float:
    """Mean share of each image's spectral power (its mean removed) at the Nyquist frequencies: the period-2
    stripes and checkerboard that transposed convolutions with uneven overlap stamp onto their output."""
    pixels = np.asarray(images, np.float64)
    pixels = pixels.mean(axis=-1) if pixels.ndim == 4 else pixels
    pixels = pixels - pixels.mean(axis=(1, 2), keepdims=True)
    power = np.abs(np.fft.fft2(pixels)) ** 2
    half_height, half_width = pixels.shape[1] // 2, pixels.shape[2] // 2
    nyquist = power[:, half_height, half_width] + power[:, half_height, 0] + power[:, 0, half_width]
    return float(np.mean(nyquist / np.maximum(power.sum(axis=(1, 2)), 1e-12)))


def _known(row: dict, *names: str) -> bool:
    return all(isinstance(row.get(name), float) and math.isfinite(row[name]) for name in names)


def discriminator_wins(rows: list[dict], previews: dict) -> Finding | None:
    seen = [row for row in rows if _known(row, "d_real", "d_fake")
            and row["d_real"] > D_WINS_REAL and row["d_fake"] < D_WINS_FAKE]
    if not seen:
        return None
    first = seen[0]
    gradient = f"; G's gradient norm {first['g_grad_norm']:.3g}" if _known(first, "g_grad_norm") else ""
    return Finding("the discriminator wins", first["epoch"], seen[-1]["epoch"],
                   f"D(x) {first['d_real']:.3f} above {D_WINS_REAL} and D(G(z)) {first['d_fake']:.3f} below "
                   f"{D_WINS_FAKE} in epoch {first['epoch']}{gradient}", "A discriminator that wins")


def discriminator_learns_nothing(rows: list[dict], previews: dict) -> Finding | None:
    seen = [row for row in rows if _known(row, "d_real", "d_fake") and row["d_real"] - row["d_fake"] < D_BLIND_GAP]
    if not seen:
        return None
    first = seen[0]
    return Finding("the discriminator learns nothing", first["epoch"], seen[-1]["epoch"],
                   f"D(x) {first['d_real']:.3f} is only {first['d_real'] - first['d_fake']:.3f} above D(G(z)) "
                   f"{first['d_fake']:.3f} (less than {D_BLIND_GAP}) in epoch {first['epoch']}",
                   "A discriminator that learns nothing")


def losses_explode(rows: list[dict], previews: dict) -> Finding | None:
    seen = [row for row in rows
            if _known(row, "d_loss", "g_loss") and max(row["d_loss"], row["g_loss"]) > EXPLODED_LOSS]
    if not seen:
        return None
    first = seen[0]
    return Finding("the losses explode", first["epoch"], seen[-1]["epoch"],
                   f"D's loss {first['d_loss']:.4g} and G's {first['g_loss']:.4g} (above {EXPLODED_LOSS:.0f}) in "
                   f"epoch {first['epoch']}", "A learning rate far too high")


def generator_stuck(rows: list[dict], previews: dict) -> Finding | None:
    seen = [row for row in rows if _known(row, "g_grad_norm") and row["g_grad_norm"] < STUCK_GRADIENT]
    if not seen:
        return None
    first = seen[0]
    return Finding("the generator has stopped learning", first["epoch"], seen[-1]["epoch"],
                   f"G's gradient norm {first['g_grad_norm']:.2g} (below {STUCK_GRADIENT}) in epoch {first['epoch']}",
                   "A learning rate far too high")


def mode_collapse(rows: list[dict], previews: dict) -> Finding | None:
    narrow = [row for row in rows if _known(row, "fake_spread", "real_spread") and row["real_spread"] > 0
              and row["fake_spread"] / row["real_spread"] < COLLAPSE_SPREAD]
    epochs = {row["epoch"] for row in narrow}
    seen = [row for row in narrow if row["epoch"] + 1 in epochs or row["epoch"] - 1 in epochs]
    if not seen:
        return None
    first = seen[0]
    return Finding("mode collapse", first["epoch"], seen[-1]["epoch"],
                   f"G's images differ {first['fake_spread'] / first['real_spread']:.2f} times as much as real ones "
                   f"(spread {first['fake_spread']:.3f} against {first['real_spread']:.3f}; below "
                   f"{COLLAPSE_SPREAD}) from epoch {first['epoch']}, and still in the next", "Mode collapse")


def checkerboard(rows: list[dict], previews: dict) -> Finding | None:
    shares = {epoch: nyquist_share(images) for epoch, images in sorted(previews.items())}
    seen = [epoch for epoch, share in shares.items() if share > CHECKERBOARD_SHARE]
    if not seen:
        return None
    return Finding("checkerboard artefacts", seen[0], seen[-1],
                   f"{100 * shares[seen[0]]:.1f} % of the samples' spectral power lies at the period-2 "
                   f"frequencies (above {100 * CHECKERBOARD_SHARE:.0f} %) in epoch {seen[0]}", "Checkerboard artefacts")


CHECKS = (discriminator_wins, discriminator_learns_nothing, losses_explode, generator_stuck, mode_collapse,
          checkerboard)


def divergence(note: dict, rows: list[dict]) -> Finding:
    """A loss that turned NaN or infinite stops training before its epoch is saved: only its note is left."""
    before = rows[-1] if rows else {}
    norms = (f"; in epoch {before['epoch']}, the last saved, the gradient norms were D {before['d_grad_norm']:.3g} "
             f"and G {before['g_grad_norm']:.3g}") if _known(before, "d_grad_norm", "g_grad_norm") else ""
    return Finding("training diverged", note["epoch"], note["epoch"],
                   f"{note.get('figure', 'a loss')} became {note.get('value', 'NaN')} during epoch {note['epoch']}, "
                   f"which was not saved{norms}", "Divergence")


def diagnose(history: list[dict], previews: dict | None = None, diverged: dict | None = None) -> list[Finding]:
    """What looks wrong in a run: ``history`` as ``Session.history()`` gives it, ``previews`` maps an epoch to
    its preview images (uint8 or [-1, 1]), ``diverged`` is the note of an epoch whose loss turned NaN
    (``SessionFiles.divergence``). An empty list means no check found a symptom."""
    rows = sorted((row for row in history if isinstance(row.get("epoch"), int)), key=lambda row: row["epoch"])
    findings = [finding for check in CHECKS if (finding := check(rows, previews or {}))]
    if diverged:
        findings.append(divergence(diverged, rows))
    return sorted(findings, key=lambda finding: finding.first_epoch)
