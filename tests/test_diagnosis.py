"""The diagnosis names each symptom from the numbers that show it, from the epoch it began, and nothing else."""

import numpy as np
import pytest
from support.symptoms import checkered, row, smooth_images

from dcgan_helpers.diagnosis import (
    CHECKERBOARD_SHARE,
    COLLAPSE_SPREAD,
    D_WINS_FAKE,
    D_WINS_REAL,
    diagnose,
    nyquist_share,
)
from dcgan_helpers.images import grid_tiles, image_grid

pytestmark = pytest.mark.kernel


def test_a_healthy_run_shows_no_symptom():
    history = [row(epoch) for epoch in (1, 2, 3)]
    assert diagnose(history, {epoch: smooth_images(seed=epoch) for epoch in (1, 2, 3)}) == []


def test_a_discriminator_that_tells_real_from_fake_is_named_from_the_epoch_it_began():
    history = [row(1), row(2, d_real=0.95, d_fake=0.04), row(3, d_real=0.97, d_fake=0.02)]
    [finding] = diagnose(history)
    assert (finding.symptom, finding.first_epoch, finding.last_epoch) == ("the discriminator wins", 2, 3)
    assert f"D(x) 0.950 above {D_WINS_REAL}" in finding.evidence and f"0.040 below {D_WINS_FAKE}" in finding.evidence
    assert "G's gradient norm 12" in finding.evidence and "A discriminator that wins" in str(finding)


def test_mode_collapse_is_read_from_the_spread_of_gs_batch_against_the_real_ones():
    history = [row(1), row(2, fake_spread=0.05), row(3, fake_spread=0.05)]
    [finding] = diagnose(history)
    assert (finding.symptom, finding.first_epoch, finding.last_epoch) == ("mode collapse", 2, 3)
    assert "0.09 times as much as real ones" in finding.evidence and str(COLLAPSE_SPREAD) in finding.evidence


def test_collapse_is_a_narrow_spread_that_lasts_not_one_that_recovers():
    # A struggling G's first epoch (0.34 of the real spread, then 0.62) against a lasting partial collapse (0.31).
    assert diagnose([row(1, fake_spread=0.18), row(2, fake_spread=0.33), row(3, fake_spread=0.4)]) == []
    lasting = diagnose([row(epoch, fake_spread=0.165) for epoch in (1, 2, 3)])
    assert [(finding.symptom, finding.first_epoch, finding.last_epoch) for finding in lasting] == [
        ("mode collapse", 1, 3)]


def test_checkerboard_artefacts_are_read_from_the_preview_grids():
    clean, patterned = smooth_images(), checkered(smooth_images())
    assert nyquist_share(clean) < CHECKERBOARD_SHARE < nyquist_share(patterned)
    [finding] = diagnose([row(1), row(2)], {1: clean, 2: patterned})
    assert (finding.symptom, finding.first_epoch) == ("checkerboard artefacts", 2)


def test_a_history_without_diagnostics_is_read_for_what_it_has():
    """Sessions trained before the gradient norms and spreads were recorded still get the checks of D's outputs."""
    old = [{"epoch": 1, "d_loss": 0.1, "g_loss": 6.0, "d_real": 0.97, "d_fake": 0.03, "fake_spread": None}]
    assert [finding.symptom for finding in diagnose(old)] == ["the discriminator wins"]


def test_a_discriminator_that_tells_nothing_apart_is_named():
    [finding] = diagnose([row(1), row(2, d_real=0.52, d_fake=0.49)])
    assert (finding.symptom, finding.first_epoch) == ("the discriminator learns nothing", 2)
    assert "only 0.030 above D(G(z)) 0.490" in finding.evidence


def test_exploding_losses_are_named_with_both_losses():
    [finding] = diagnose([row(1, g_loss=434.5, d_loss=5.3)])
    assert finding.symptom == "the losses explode" and "G's 434.5 (above 50)" in finding.evidence


def test_a_generator_whose_gradient_vanished_is_named():
    [finding] = diagnose([row(1), row(2, g_grad_norm=0.0)])
    assert (finding.symptom, finding.first_epoch) == ("the generator has stopped learning", 2)


def test_symptoms_come_in_the_order_they_began():
    history = [row(1, fake_spread=0.04), row(2, fake_spread=0.04, d_real=0.96, d_fake=0.02)]
    assert [finding.symptom for finding in diagnose(history)] == ["mode collapse", "the discriminator wins"]


def test_grid_tiles_gives_back_the_images_image_grid_tiled():
    images = np.random.default_rng(0).integers(0, 256, (10, 28, 28, 1), dtype=np.uint8)
    np.testing.assert_array_equal(grid_tiles(image_grid(images), 10, 28), images)


def test_a_session_diagnoses_its_divergence_until_a_later_run_commits_that_epoch(tmp_path, tiny_config, images):
    from dcgan_helpers.errors import TrainingDiverged
    from dcgan_helpers.session import Session

    session = Session.create(tiny_config, tmp_path)
    session.train(images, 1, verbose=0)
    session.update_config(session.config.replace(discriminator_learning_rate=1e30, generator_learning_rate=1e30))
    with pytest.raises(TrainingDiverged):
        session.train(images, 1, verbose=0)
    diverged = [finding for finding in session.diagnose() if finding.symptom == "training diverged"]
    assert len(diverged) == 1 and diverged[0].first_epoch == 2 and "not saved" in diverged[0].evidence
    session.update_config(session.config.replace(discriminator_learning_rate=2e-4, generator_learning_rate=2e-4))
    session.train(images, 1, verbose=0)
    assert "training diverged" not in [finding.symptom for finding in session.diagnose()]


def test_a_session_reads_its_preview_grids_for_the_checkerboard_check(tmp_path, tiny_config, images):
    from dcgan_helpers.session import Session
    from dcgan_helpers.viz import save_image

    session = Session.create(tiny_config, tmp_path)
    session.train(images, 2, verbose=0)
    clean = smooth_images(tiny_config.preview_count)  # in place of an untrained G's grid, which is checkered
    save_image(session.files.samples_dir / "epoch_0001.png", image_grid(clean))
    save_image(session.files.samples_dir / "epoch_0002.png", image_grid(checkered(clean)))
    findings = {finding.symptom: finding for finding in session.diagnose()}
    assert findings["checkerboard artefacts"].first_epoch == 2


def test_the_watch_warns_once_of_each_symptom_while_training():
    from dcgan_helpers.callbacks import SymptomWatch

    class Generator:  # draws the same grey for every noise vector
        input_shape = (None, 100)

        def __call__(self, noise, training):
            return np.zeros((4, 28, 28, 1), np.float32)

    class Model:
        sampling_generator = Generator()

    warnings = []
    watch = SymptomWatch(np.zeros((4, 100), np.float32), warn=warnings.append)
    watch.set_model(Model())
    for epoch in range(4):
        watch.on_epoch_end(epoch, {**row(epoch + 1), "fake_spread": 0.01 if epoch else 0.5})
    assert len(warnings) == 1 and warnings[0].startswith("warning: mode collapse (epochs 2-3)")
