"""sim: a vectorized PyTorch nanoBragg-style diffraction simulator with named trace taps.

Physics contract: ``../shared/sim/PHYSICS.md``. Entry points: :func:`sim.simulator.simulate`
(config → image), :func:`sim.trace.trace_pixel` (one pixel's taps) and the ``sim`` command
(:mod:`sim.cli`). Layout: ``config`` (validated frozen configs), ``crystal``, ``rng``,
``detector``, ``conventions``, ``sources``, ``structure``, ``physics``, ``geometry``, ``plan``
(config → tensors), ``kernel`` and ``simulator`` (the vectorized kernel), ``taps`` and
``trace`` (named taps and their text form), ``io`` (image files), ``options``, ``flags``,
``assembly`` and ``cli`` (the command line), ``errors``.
"""

__version__ = "0.1.0"
