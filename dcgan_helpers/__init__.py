"""Helpers for the DCGAN tutorial notebooks and the ``dcgan`` command line."""

__version__ = "0.1.0"
