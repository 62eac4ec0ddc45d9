"""One call that prepares a chapter notebook: :func:`setup`.

Taught in the preface of chapter 01; every chapter's setup cell calls it.
"""

from __future__ import annotations

import os
import platform
import random
from dataclasses import dataclass

#: Environment variable that scales every chapter's compute budget (epochs, data
#: sizes, optimisation steps). ``1`` is what the book shows and CI runs; a reader
#: with a GPU can set e.g. ``CNNBOOK_BUDGET=4`` before starting Jupyter.
BUDGET_ENV = "CNNBOOK_BUDGET"


def budget() -> float:
    """Return the compute-budget multiplier read from ``$CNNBOOK_BUDGET`` (default 1).

    Raises ``ValueError`` with a usable message if the variable is not a positive number.
    """
    raw = os.environ.get(BUDGET_ENV, "1").strip() or "1"
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(
            f"{BUDGET_ENV}={raw!r} is not a number; set it to a positive number such as 1 or 4"
        ) from None
    if not value > 0:
        raise ValueError(f"{BUDGET_ENV} must be > 0 (got {value}); use 1 for the book's default")
    return value


def scaled(n: int, *, minimum: int = 1) -> int:
    """Scale an integer budget (epochs, samples, steps) by :func:`budget`.

    ``scaled(3)`` is 3 by default and 12 with ``CNNBOOK_BUDGET=4``; never below ``minimum``.
    """
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError(f"scaled() takes an int, got {type(n).__name__}")
    if n < 0:
        raise ValueError(f"scaled() takes a non-negative count, got {n}")
    return max(minimum, round(n * budget()))


@dataclass(frozen=True)
class NotebookInfo:
    """What :func:`setup` did, returned so a notebook can show or use it."""

    seed: int
    budget: float
    device: str
    versions: dict[str, str]

    def __str__(self) -> str:
        vers = " · ".join(f"{k} {v}" for k, v in self.versions.items())
        return f"{vers} · device {self.device} · seed {self.seed} · budget ×{self.budget:g}"


def _quiet_tensorflow() -> None:
    # Must happen before TensorFlow is imported for the first time in the process.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import logging

    logging.getLogger("tensorflow").setLevel(logging.ERROR)


def plot_style() -> None:
    """Apply the book's matplotlib style (readable sizes, no top/right spines)."""
    import matplotlib as mpl

    mpl.rcParams.update(
        {
            "figure.figsize": (6.4, 4.0),
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.titlesize": 11,
            "axes.labelsize": 10,
            "image.cmap": "gray",
            "figure.constrained_layout.use": True,
        }
    )


def setup(seed: int = 42, *, deterministic: bool = True, verbose: bool = True) -> NotebookInfo:
    """Prepare a notebook: quiet TF logs, seed every RNG, deterministic ops, plot style.

    Prints (and returns) one line with the library versions, the device, the seed
    and the compute budget, so every executed notebook records what it ran on.
    """
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    _quiet_tensorflow()
    import keras
    import numpy as np
    import tensorflow as tf

    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()
    plot_style()
    np.set_printoptions(precision=4, suppress=True, linewidth=88)
    gpus = tf.config.list_physical_devices("GPU")
    device = f"{len(gpus)} GPU" if gpus else "CPU"
    info = NotebookInfo(
        seed=seed,
        budget=budget(),
        device=device,
        versions={
            "Python": platform.python_version(),
            "TensorFlow": tf.__version__,
            "Keras": keras.__version__,
            "NumPy": np.__version__,
        },
    )
    if verbose:
        print(info)
    return info
