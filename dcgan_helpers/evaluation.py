"""Judge a session's generator: the numbers behind ``dcgan evaluate``, saved in ``evaluation.json``."""

import hashlib
import json
from dataclasses import asdict

import numpy as np

from .datasets import load_images
from .files import write_text_atomically
from .latent import generate
from .locations import download_dir
from .session import Session

__all__ = ["evaluate_session"]

REFERENCE_IMAGES = 10_000  # real images whose InceptionV3 features are the reference


def evaluate_session(session: Session, data_dir=None, samples: int = 10_000, seed: int = 0, best: bool = False,
                     inception: bool = False, inception_weights: str | None = "imagenet") -> dict:
    """Score the session's latest (or best) generator and record the result in ``evaluation.json``.

    Fashion-MNIST is judged by the project's classifier (Fréchet distance and class coverage)
    unless ``inception`` is asked for; other datasets by FID and KID with InceptionV3, and then
    ``real_images`` says which real images were used and which were left out (as ``dcgan train`` prints).
    A conditional generator draws every class in turn; for Fashion-MNIST the result then also says how
    often the classifier names the class asked for (``class_fidelity``).
    """
    generator = session.load_generator(best)
    asked = np.arange(samples) % len(session.config.classes) if session.config.conditional else None
    images = generate(generator, samples, seed, distribution=session.config.noise_distribution, labels=asked)
    dataset = session.config.dataset
    result = {"session": session.number, "dataset": dataset, "generator": "best" if best else "latest",
              "epochs_done": session.last_epoch, "seed": seed}
    if dataset == "fashion_mnist" and not inception:
        from .fashion_classifier import FashionMNISTJudge

        judge = FashionMNISTJudge(data_dir=data_dir)
        result.update(metric="fashion_mnist_classifier", **asdict(judge.evaluate(images)))
        if asked is not None:
            result["class_fidelity"] = asdict(judge.class_fidelity(images, asked))
    else:
        from .inception import InceptionFeatures, inception_scores, reference_features

        extractor = InceptionFeatures(inception_weights)
        real = load_images(dataset, data_dir, session.config.image_size, session.config.data_filter,
                           session.config.crop)
        report = getattr(real, "report", None)  # prepared images say what they left out
        if report is not None:
            result["real_images"] = str(report)
        chosen = np.sort(np.random.default_rng(0).permutation(len(real))[:REFERENCE_IMAGES])
        subset = session.config.data_filter
        name = f"{dataset}-{session.config.image_size}px" + (f"-{hashlib.sha256(subset.encode()).hexdigest()[:8]}"
                                                                if subset else "")
        reference = reference_features(name, np.asarray(real[chosen]),
                                       extractor, download_dir(".dcgan-cache"))
        result.update(metric="inception", **asdict(inception_scores(images, reference, extractor)))
    write_text_atomically(session.path / "evaluation.json", json.dumps(result, indent=2) + "\n")
    return result
