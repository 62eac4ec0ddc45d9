"""Shared code of the CNN course book.

Each module holds one concern and says which chapter teaches it:

- :mod:`helpers.notebook` — per-notebook setup (seeds, determinism, plots, budget).
- :mod:`helpers.exercises` — exercise checks that never print the answer.
- :mod:`helpers.assets` — the download-free asset cache (issue: real data and weights).
- :mod:`helpers.data` — datasets and photos.
- :mod:`helpers.timing` — small benchmarking utilities (chapter 01).
- :mod:`helpers.geometry` — output sizes, padding, receptive fields (chapter 02).
- :mod:`helpers.numpy_cnn` — NumPy reference layers, forward and backward (chapter 04).

Importing :mod:`helpers` is cheap: nothing here imports TensorFlow until a function
that needs it is called.
"""

from helpers.notebook import budget, derived_seed, rng, scaled, setup, show_source

__all__ = ["budget", "derived_seed", "rng", "scaled", "setup", "show_source"]
__version__ = "0.1.0"
