"""One call that prepares a chapter notebook: :func:`setup`.

Taught in the preface of chapter 01; every chapter's setup cell calls it.
Two environment variables steer every chapter the same way:

- `CNNBOOK_SEED` (default 42): the one seed every random choice derives
  from. :func:`setup` seeds Python, NumPy, TensorFlow and Keras with it, and
  :func:`rng` hands out NumPy generators derived from it.
- `CNNBOOK_BUDGET` (default 1): scales epochs, data sizes and steps
  (:func:`scaled`), for readers with a GPU.

The book's timings and a few behaviours (which element of a tied max-pooling
window gets the gradient) are measured on a CPU; :func:`on_cpu` lets a cell
assert such a claim only where TensorFlow computes on a CPU, and
:func:`device` names the device for the setup banner.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import platform
import random
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field

#: Environment variable that scales every chapter's compute budget (epochs,
#: data sizes, optimisation steps). 1 is what the book shows and CI runs; a
#: reader with a GPU can set e.g. CNNBOOK_BUDGET=4 before starting Jupyter, or
#: with `%env CNNBOOK_BUDGET=4` in a cell above the setup cell (it is read
#: whenever budget() is called, so the banner and every scaled() see it).
BUDGET_ENV = "CNNBOOK_BUDGET"
#: Environment variable holding the seed every random choice derives from.
SEED_ENV = "CNNBOOK_SEED"
DEFAULT_SEED = 42

_state: dict[str, int] = {}


def budget() -> float:
    """The compute-budget multiplier in $CNNBOOK_BUDGET (default 1).

    Raises ValueError with a usable message if it is not a positive number.
    """
    raw = os.environ.get(BUDGET_ENV, "1").strip() or "1"
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(
            f"{BUDGET_ENV}={raw!r} is not a number; set it to a positive "
            "number such as 1 or 4"
        ) from None
    if not value > 0:
        raise ValueError(
            f"{BUDGET_ENV} must be > 0 (got {value}); "
            "use 1 for the book's default"
        )
    return value


def scaled(n: int, *, minimum: int = 1) -> int:
    """Scale an integer budget (epochs, samples, steps) by :func:`budget`.

    scaled(3) is 3 by default and 12 with CNNBOOK_BUDGET=4; never below
    `minimum`.
    """
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError(f"scaled() takes an int, got {type(n).__name__}")
    if n < 0:
        raise ValueError(f"scaled() takes a non-negative count, got {n}")
    return max(minimum, round(n * budget()))


def seed_from_env() -> int:
    """The seed in `$CNNBOOK_SEED` (default 42), checked.

    Raises ValueError naming the variable if it is not a non-negative int.
    """
    raw = os.environ.get(SEED_ENV, "").strip()
    if not raw:
        return DEFAULT_SEED
    if not raw.isdigit():
        raise ValueError(
            f"{SEED_ENV}={raw!r} is not a non-negative integer; "
            f"unset it for the book's default {DEFAULT_SEED} "
            f"or set e.g. {SEED_ENV}=7"
        )
    return int(raw)


def current_seed() -> int:
    """The seed setup() used in this process, else the environment's."""
    return _state.get("seed", seed_from_env())


def rng(stream: int = 0):
    """A NumPy Generator derived from the book's seed and a `stream` number.

    Different streams give independent generators; the same seed and stream give
    the same numbers, so a chapter can ask for `rng(1)` in one section and
    `rng(2)` in another without one shifting the other. Every chapter uses
    this instead of a hard-coded `default_rng(0)`.
    """
    import numpy as np

    if not isinstance(stream, int) or isinstance(stream, bool) or stream < 0:
        raise ValueError(f"stream must be a non-negative int, got {stream!r}")
    return np.random.default_rng([current_seed(), stream])


def derived_seed(stream: int) -> int:
    """An integer seed derived from the book's seed, for APIs that want an int.

    `keras.utils.set_random_seed(derived_seed(3))` restarts Keras' random
    state in a way that still changes with `CNNBOOK_SEED`.
    """
    return int(rng(stream).integers(2**31 - 1))


def device() -> str:
    """Where TensorFlow computes: "CPU", or e.g. "GPU (Tesla T4)" and
    "2 GPUs (NVIDIA A100-SXM4-40GB)" when it sees GPUs (Colab's GPU runtimes).
    """
    tf = import_tensorflow_quietly()
    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return "CPU"
    names = []
    for gpu in gpus:
        try:
            details = tf.config.experimental.get_device_details(gpu)
        except (RuntimeError, ValueError):  # no details for this device
            details = {}
        name = details.get("device_name")
        if name and name not in names:
            names.append(name)
    count = "GPU" if len(gpus) == 1 else f"{len(gpus)} GPUs"
    return f"{count} ({', '.join(names)})" if names else count


def on_cpu(claim: str) -> bool:
    """True when TensorFlow computes on a CPU, the device the text describes.

    Guards an assertion about timings or CPU-specific behaviour:
    `if helpers.on_cpu("the separable layer's timings"): assert ...`.
    `claim` names what the guarded lines check, as it would follow "what the
    text says about". On a CPU it prints nothing, so the check runs exactly
    as written; on a GPU it returns False and prints why the claim is not
    checked there.
    """
    if not isinstance(claim, str) or not claim.strip():
        raise ValueError(
            "on_cpu() takes the claim it guards, e.g. "
            "on_cpu(\"the timings of section 3\"), so that a GPU reader "
            "sees what is not checked"
        )
    where = device()
    if where == "CPU":
        return True
    print(f"Not checked on {where}: what the text says about\n"
          f"{claim.strip()} describes a CPU.")
    return False


@dataclass(frozen=True)
class NotebookInfo:
    """What :func:`setup` did, returned so a notebook can show or use it."""

    seed: int
    budget: float
    device: str
    versions: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        vers = " · ".join(f"{k} {v}" for k, v in self.versions.items())
        run = f"{self.device} · seed {self.seed} · budget ×{self.budget:g}"
        return f"{vers}\n{run}"


@contextlib.contextmanager
def _stderr_silenced() -> Iterator[None]:
    """Send file descriptor 2 to /dev/null for the duration (C++ log lines)."""
    try:
        saved = os.dup(2)
    except OSError:  # no real descriptor 2 (rare embedded interpreters)
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Hide what C++ code writes to the error stream, and Python warnings, for
    the duration of a ``with quiet():`` block (converters and runtimes that
    announce themselves: TFLiteConverter, tf2onnx, the LiteRT interpreter)."""
    with _stderr_silenced(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def import_tensorflow_quietly():
    """Import TensorFlow without its start-up chatter, and return the module.

    The full `tensorflow` wheel (as on Colab) writes CUDA and oneDNN notices
    straight to file descriptor 2 while importing, which
    TF_CPP_MIN_LOG_LEVEL does not silence; they would show as red lines
    under the setup cell.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import logging
    import sys

    if "tensorflow" not in sys.modules:
        with _stderr_silenced():
            import tensorflow  # noqa: F401
            import keras  # noqa: F401
    import tensorflow as tf

    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    return tf


def plot_style() -> None:
    """Apply the book's matplotlib style: sizes that read on a phone."""
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
            "font.size": 12,
            "axes.titlesize": 13,
            "axes.labelsize": 12,
            "xtick.labelsize": 11,
            "ytick.labelsize": 11,
            "legend.fontsize": 11,
            "image.cmap": "gray",
            "figure.constrained_layout.use": True,
        }
    )


def setup(
    seed: int | None = None, *, deterministic: bool = True, verbose: bool = True
) -> NotebookInfo:
    """Prepare a notebook: quiet TF, seed every RNG, determinism, plot style.

    `seed` defaults to `$CNNBOOK_SEED` (42 if unset). Prints (and returns)
    the library versions, the device (:func:`device`), the seed and the
    compute budget, so every executed notebook records what it ran on. On a
    GPU it also turns TensorFlow's TF32 matrix arithmetic off, so float32
    results match the chapters' own float32 code as closely as on a CPU.
    """
    if seed is None:
        seed = seed_from_env()
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    tf = import_tensorflow_quietly()
    import keras
    import numpy as np

    _state["seed"] = seed
    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()
    where = device()
    if where != "CPU":
        # Ampere and later GPUs multiply float32 in TF32 (10-bit mantissa) by
        # default, errors near 1e-3 where the chapters compare Keras with
        # their own float32 code to 1e-5; the book keeps float32 exact.
        tf.config.experimental.enable_tensor_float_32_execution(False)
    plot_style()
    np.set_printoptions(precision=4, suppress=True, linewidth=78)
    info = NotebookInfo(
        seed=seed,
        budget=budget(),
        device=where,
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


class SourceListing:
    """Python source that renders as a highlighted code block (Markdown output).

    Jupyter and the built book both render the `text/markdown` form with
    their own code styling; `text/plain` is the bare source.
    """

    def __init__(self, source: str) -> None:
        self.source = source

    def __repr__(self) -> str:
        return self.source

    def _repr_markdown_(self) -> str:
        runs = [len(r) for r in re.findall("`+", self.source)]
        fence = "`" * max(3, max(runs, default=0) + 1)
        return f"{fence}python\n{self.source.rstrip()}\n{fence}\n"


def show_source(obj) -> SourceListing:
    """Show a helper's source, highlighted (chapters show what they teach).

    Use it as the last line of a cell. Lines longer than 80 characters are
    refused, since they would scroll sideways in the book's code column.
    """
    if not (
        inspect.isfunction(obj) or inspect.isclass(obj) or inspect.ismodule(obj)
    ):
        raise TypeError(
            "show_source() takes a function, class or module, "
            f"got {type(obj).__name__}"
        )
    source = inspect.getsource(obj)
    long = [
        n for n, line in enumerate(source.splitlines(), 1) if len(line) > 80
    ]
    if long:
        name = getattr(obj, "__qualname__", obj.__name__)
        raise ValueError(
            f"{name} has lines over 80 characters (lines {long[:5]}): shorten "
            "them so they fit the book's code column"
        )
    return SourceListing(source)
