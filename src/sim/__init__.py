"""sim: a vectorized PyTorch nanoBragg-style diffraction simulator with named trace taps."""

__version__ = "0.1.0"
