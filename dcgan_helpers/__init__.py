"""Helpers for the DCGAN tutorial notebooks and the ``dcgan`` command line."""

__all__ = ["__version__"]

__version__ = "0.1.0"
