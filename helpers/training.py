"""Training plumbing shared by chapters 05-14.

- dataset(): a tf.data pipeline from NumPy arrays in the order
  shuffle -> batch -> augment -> prefetch, with tf.data's autotuner off
  (it makes Keras stall for seconds at every epoch boundary on CPU).
- build(): create a model under the right distribution strategy, so one
  call trains on one CPU or on several GPUs (MirroredStrategy).
- reusable(): one compiled model per configuration, restarted from fresh
  weights for every seed, so fit() traces its graph only once.
- fit(): model.fit whose stored output is one line per epoch (a live
  reader also sees a progress line that is replaced as it goes), with
  wall-clock time and training images per second.
- plot_history(), ablation() and AblationResult: learning curves and
  configurations x seeds -> mean +/- std tables and charts.

Chapter 05 introduces these; every later chapter that trains uses them.
"""

from __future__ import annotations

import math
import statistics
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from helpers.validate import as_int, finite_array, positive_int


# ---------------------------------------------------------------- input


def dataset(x, y=None, *, batch_size: int = 128, shuffle: bool = False,
            seed: int | None = None, augment: Callable | None = None,
            preprocess: Callable | None = None,
            drop_remainder: bool = False):
    """A batched tf.data.Dataset of (x, y) (or x alone if y is None).

    Order: shuffle -> batch -> preprocess -> augment -> prefetch.
    Shuffling before batching mixes single examples (batching first
    would only reorder fixed batches); functions mapped on whole batches
    run once per batch, not once per image; prefetching last overlaps
    the input work with the training step. preprocess(x) and
    augment(x, y) -> (x, y) receive a batch. The shuffle order is
    reshuffled every epoch and repeats run to run for a given seed.
    """
    import tensorflow as tf

    batch_size = positive_int(batch_size, "batch_size")
    _check_inputs(x, y, shuffle, seed)  # no NaN; a bool; an int seed
    n = len(x)
    if n == 0:
        raise ValueError("dataset() needs at least one example, got 0")
    if y is not None and len(y) != n:
        raise ValueError(
            f"x and y must have the same length, got {n} and {len(y)}")
    if augment is not None and y is None:
        raise ValueError("augment(x, y) needs labels: pass y")
    for name, fn in (("augment", augment), ("preprocess", preprocess)):
        if fn is not None and not callable(fn):
            raise TypeError(f"{name} must be callable, got {fn!r}")
    ds = tf.data.Dataset.from_tensor_slices(x if y is None else (x, y))
    if shuffle:
        if seed is None:
            from helpers.notebook import derived_seed
            seed = derived_seed(0)
        ds = ds.shuffle(n, seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size, drop_remainder=drop_remainder)
    if preprocess is not None:
        if y is None:
            ds = ds.map(preprocess)
        else:
            ds = ds.map(lambda a, b: (preprocess(a), b))
    if augment is not None:
        ds = ds.map(augment)
    ds = ds.prefetch(2)
    options = tf.data.Options()
    options.autotune.enabled = False
    ds = ds.with_options(options)
    # fit() reports images/s; remember the count instead of re-reading
    ds.num_examples = n - n % batch_size if drop_remainder else n
    return ds


def _check_inputs(x, y, shuffle, seed) -> None:
    """dataset()'s checks: x and y (arrays or tensors) hold no NaN or
    infinite values, shuffle is True or False, seed is None or an int >= 0
    (NumPy ints too)."""
    import tensorflow as tf

    if x is None:
        raise TypeError("x must be an array of examples, got None")
    for name, values in (("x", x), ("y", y)):
        if isinstance(values, np.ndarray) or tf.is_tensor(values):
            finite_array(values, name)
    if not isinstance(shuffle, (bool, np.bool_)):
        raise TypeError(f"shuffle must be True or False, got {shuffle!r}")
    if seed is not None:
        as_int(seed, "seed", 0, "a non-negative int")


def scale_images(x):
    """uint8 images -> float32 in [0, 1], with a channel axis if missing.

    Works on NumPy arrays and on tensors inside a tf.data map. Other integer
    types are accepted when their values lie in [0, 255]; floats are refused
    (dividing an image that is already scaled by 255 again would silently
    make it black).
    """
    import tensorflow as tf

    if not tf.is_tensor(x):
        x = finite_array(x, "x")
    x = tf.convert_to_tensor(x)
    if not x.dtype.is_integer or x.dtype.is_bool:
        raise TypeError(
            f"scale_images takes integer images in [0, 255] (uint8), got "
            f"{x.dtype.name}: a float image is scaled already, or needs its "
            "own scaling")
    if x.dtype != tf.uint8 and tf.executing_eagerly() and hasattr(x, "numpy") \
            and tf.size(x) > 0:
        low, high = int(tf.reduce_min(x)), int(tf.reduce_max(x))
        if low < 0 or high > 255:
            raise ValueError(f"x has values in [{low}, {high}], not in "
                             "[0, 255]: it is not an 8-bit image")
    x = tf.cast(x, tf.float32) / 255.0
    if x.shape.rank == 3:  # (N, H, W) batch of grey images
        x = x[..., None]
    return x


# ---------------------------------------------------------- devices


def strategy():
    """MirroredStrategy when several GPUs are visible, else the default.

    The default strategy is a no-op: on a CPU nothing changes.
    """
    import tensorflow as tf

    gpus = tf.config.list_logical_devices("GPU")
    if len(gpus) > 1:
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()


def build(make_model: Callable, *args, **kwargs):
    """make_model(*args, **kwargs) under strategy().scope().

    Build and compile inside the scope so that, with several GPUs, the
    variables are mirrored and fit() splits every batch across them.
    """
    if not callable(make_model):
        raise TypeError(f"make_model must be callable, got {make_model!r}")
    with strategy().scope():
        return make_model(*args, **kwargs)


def reusable(make_model: Callable, *args, **kwargs) -> Callable:
    """A builder for repeated runs of one configuration.

    Each call of the returned function gives the same compiled model,
    make_model(*args, **kwargs) built once under build(), restarted as a
    new one: the weights of a fresh make_model(*args, **kwargs) drawn
    under the current random seed, and the optimizer's variables (step
    count, moments, learning rate) as they were before any training.
    Training it is step for step the same as training a new model, but
    fit() and evaluate() keep the graphs they traced on the first run,
    which for a deep network can take longer than 100 training steps.
    """
    if not callable(make_model):
        raise TypeError(f"make_model must be callable, got {make_model!r}")
    model, start = None, None

    def fresh():
        nonlocal model, start
        if model is None:
            model = build(make_model, *args, **kwargs)
            if getattr(model, "optimizer", None) is None:
                raise ValueError("make_model must return a compiled model "
                                 "(call model.compile inside it)")
            model.optimizer.build(model.trainable_variables)
            start = [v.numpy() for v in model.optimizer.variables]
            return model
        model.set_weights(make_model(*args, **kwargs).get_weights())
        for variable, value in zip(model.optimizer.variables, start):
            variable.assign(value)
        return model

    return fresh


# ---------------------------------------------------------- fitting


@dataclass
class FitResult:
    """What fit() measured: per-epoch metrics, seconds and images."""

    history: dict[str, list[float]]
    epoch_seconds: list[float]
    images_per_epoch: int

    @property
    def seconds(self) -> float:
        """Total wall-clock seconds of all epochs (validation included)."""
        return float(sum(self.epoch_seconds))

    @property
    def images_per_second(self) -> float:
        """Training throughput, leaving out epoch 1 (it includes tracing)
        when there is more than one epoch."""
        times = self.epoch_seconds[1:] or self.epoch_seconds
        return self.images_per_epoch * len(times) / sum(times)

    def last(self, metric: str) -> float:
        """The final epoch's value of `metric` (e.g. "val_accuracy")."""
        if metric not in self.history:
            raise KeyError(f"no metric {metric!r}; have "
                           f"{sorted(self.history)}")
        return float(self.history[metric][-1])


def _count_images(data, steps: int | None) -> int:
    """Images in one epoch of ``data`` (``steps`` batches of it if given),
    refusing datasets whose epoch has no end or no batch."""
    import tensorflow as tf

    known = getattr(data, "num_examples", None)
    cardinality = int(data.cardinality())
    if steps is None and cardinality == tf.data.INFINITE_CARDINALITY:
        raise ValueError(
            "train repeats forever (.repeat()), so an epoch has no end: pass "
            "steps_per_epoch, or leave out .repeat()")
    if steps is None and cardinality == tf.data.UNKNOWN_CARDINALITY:
        raise ValueError(
            "train has an unknown number of batches (after filter() or from a "
            "generator), so fit() cannot tell where an epoch ends without "
            "reading it, which never ends if it repeats: pass steps_per_epoch, "
            "or declare the size with "
            ".apply(tf.data.experimental.assert_cardinality(batches))")
    if known is not None and (steps is None or steps == cardinality):
        n = int(known)
    else:
        n = 0
        for batch in data.take(steps if steps is not None else -1):
            x = batch[0] if isinstance(batch, tuple) else batch
            n += int(tf.shape(tf.nest.flatten(x)[0])[0])
    if n == 0:
        raise ValueError(
            "train holds no images (an empty dataset, or drop_remainder=True "
            "with fewer examples than one batch): give it at least one batch")
    return n


class _Progress:
    """One permanent line per epoch, one transient line during it."""

    def __init__(self, epochs: int, steps: int | None, live: bool):
        self.epochs, self.steps = epochs, steps
        self.lines: list[str] = []
        self.handle = None
        self.live = live
        self.last_update = 0.0
        try:
            from IPython import get_ipython
            from IPython.display import display

            if get_ipython() is not None:
                self.handle = display(_Text(""), display_id=True)
        except ImportError:  # plain Python: print lines as they come
            pass

    def _show(self, extra: str = "") -> None:
        text = "\n".join(self.lines + ([extra] if extra else []))
        if self.handle is not None:
            self.handle.update(_Text(text))

    def batch(self, epoch: int, step: int) -> None:
        now = time.perf_counter()
        if not self.live or now - self.last_update < 0.5:
            return
        self.last_update = now
        total = f"/{self.steps}" if self.steps else ""
        self._show(f"epoch {epoch + 1}/{self.epochs}: batch {step + 1}{total}")

    def epoch(self, line: str) -> None:
        self.lines.append(line)
        if self.handle is None:
            print(line, file=sys.stdout, flush=True)
        else:
            self._show()


class _Text:
    """Plain text that Jupyter shows as is (stored as text/plain)."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text


def format_metrics(logs: Mapping[str, float]) -> tuple[str, str]:
    """(header, row) of an epoch table: training metrics, then val_ ones,
    each right-aligned under its name; the learning rate is left out."""
    keys = sorted((k for k in logs if k != "learning_rate"),
                  key=lambda k: (k.startswith("val_"), k))
    widths = [max(len(k), 6) for k in keys]
    header = "  ".join(k.rjust(w) for k, w in zip(keys, widths))
    row = "  ".join(f"{float(logs[k]):.4f}".rjust(w)
                    for k, w in zip(keys, widths))
    return header, row


def fit(model, train, *, epochs: int, validation=None, callbacks=(),
        live: bool = True, quiet: bool = False,
        steps_per_epoch: int | None = None) -> FitResult:
    """Train a compiled model on a tf.data.Dataset; return a FitResult.

    Output: one line per epoch with its metrics, seconds and images/s,
    so an executed notebook stores a few lines, not a progress bar per
    batch. With live=True a Jupyter reader also sees which batch is
    running; quiet=True prints nothing (for ablations). A dataset that
    repeats forever, or whose length tf.data cannot tell, needs
    steps_per_epoch (batches per epoch); an empty one is refused.
    """
    import keras

    epochs = positive_int(epochs, "epochs")
    if not hasattr(model, "fit"):
        raise TypeError(f"fit() needs a Keras model, got "
                        f"{type(model).__name__}")
    if not getattr(model, "compiled", False) or \
            getattr(model, "optimizer", None) is None:
        raise ValueError("the model is not compiled: call model.compile() "
                         "first")
    if isinstance(train, (tuple, list, np.ndarray)):
        raise TypeError("train must be a tf.data.Dataset; wrap arrays with "
                        "helpers.training.dataset(x, y, ...)")
    if not hasattr(train, "cardinality"):
        raise TypeError("train must be a tf.data.Dataset, got "
                        f"{type(train).__name__}; wrap arrays with "
                        "helpers.training.dataset(x, y, ...)")
    if steps_per_epoch is not None:
        steps_per_epoch = positive_int(steps_per_epoch, "steps_per_epoch")
    if validation is not None and hasattr(validation, "cardinality") and \
            int(validation.cardinality()) < 0:
        raise ValueError(
            "validation repeats forever or has an unknown length, so "
            "evaluating it would never end: pass a finite dataset")
    n_images = _count_images(train, steps_per_epoch)
    steps = steps_per_epoch or int(train.cardinality())
    steps = steps if steps > 0 else None
    progress = None if quiet else _Progress(epochs, steps, live)
    seconds: list[float] = []

    class _Report(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.t0 = time.perf_counter()
            self.epoch_index = epoch

        def on_train_batch_end(self, batch, logs=None):
            if progress is not None:
                progress.batch(self.epoch_index, batch)

        def on_epoch_end(self, epoch, logs=None):
            dt = time.perf_counter() - self.t0
            seconds.append(dt)
            if progress is not None:
                header, row = format_metrics(logs or {})
                width = 2 * len(str(epochs)) + 1
                if epoch == 0:
                    progress.epoch(f"{'epoch':>{max(width, 5)}}  {header}"
                                   f"  {'time':>7}  {'img/s':>7}")
                progress.epoch(
                    f"{f'{epoch + 1}/{epochs}':>{max(width, 5)}}  {row}  "
                    f"{dt:>5.1f} s  {n_images / dt:>7,.0f}")

    hist = model.fit(train, epochs=epochs, validation_data=validation,
                     steps_per_epoch=steps_per_epoch, verbose=0, shuffle=False, callbacks=[_Report(), *callbacks])
    history = {k: [float(v) for v in vals]
               for k, vals in hist.history.items()}
    return FitResult(history, seconds, n_images)


# ------------------------------------------------------------ plots


def plot_history(results: FitResult | Mapping[str, FitResult],
                 metrics: Sequence[str] = ("loss", "accuracy"),
                 *, figsize=(8.5, 3.4)):
    """Learning curves: one panel per metric, training solid and
    validation dashed; pass {label: FitResult} to overlay several runs.
    Returns the matplotlib Figure."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    runs = {"": results} if isinstance(results, FitResult) else dict(results)
    if not runs:
        raise ValueError("plot_history() needs at least one FitResult")
    fig, axes = plt.subplots(1, len(metrics), figsize=figsize, squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        for i, (label, res) in enumerate(runs.items()):
            colour = f"C{i}"
            for key, style, kind in ((metric, "-", "train"),
                                     ("val_" + metric, "--", "val")):
                if key not in res.history:
                    continue
                values = res.history[key]
                name = f"{label} {kind}".strip()
                ax.plot(range(1, len(values) + 1), values, style,
                        color=colour, marker="o", ms=3, label=name)
        ax.set_xlabel("epoch")
        # Epochs are whole numbers: no tick at 1.5 when there are only a few.
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(metric)
        ax.legend(fontsize=9)
    return fig


# --------------------------------------------------------- ablation


@dataclass
class AblationResult:
    """Runs of configurations x seeds: rows of (config, seed, metrics)."""

    rows: list[tuple[str, int, dict[str, float]]] = field(default_factory=list)

    @property
    def configs(self) -> list[str]:
        return list(dict.fromkeys(name for name, _, _ in self.rows))

    def values(self, config: str, metric: str) -> list[float]:
        vals = [m[metric] for name, _, m in self.rows
                if name == config and metric in m]
        if not vals:
            raise KeyError(f"no {metric!r} values for config {config!r}")
        return vals

    def mean_std(self, config: str, metric: str) -> tuple[float, float]:
        """Mean and sample standard deviation over seeds."""
        vals = self.values(config, metric)
        std = statistics.stdev(vals) if len(vals) > 1 else 0.0
        return statistics.fmean(vals), std

    def table(self, metrics: Sequence[str], *, scale: Mapping | None = None,
              digits: int = 2) -> str:
        """Text table: one row per config, 'mean ± std' per metric.
        scale maps a metric to a factor (e.g. {"accuracy": 100} for %)."""
        scale = dict(scale or {})
        header = ["config"] + list(metrics)
        body = []
        for name in self.configs:
            cells = [name]
            for metric in metrics:
                mean, std = self.mean_std(name, metric)
                f = scale.get(metric, 1)
                cells.append(f"{mean * f:.{digits}f} ± {std * f:.{digits}f}")
            body.append(cells)
        widths = [max(len(r[i]) for r in [header] + body)
                  for i in range(len(header))]
        lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                           for i, (c, w) in enumerate(zip(r, widths)))
                 for r in [header] + body]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(lines)

    def plot(self, metric: str, *, scale: float = 1.0, ax=None,
             baseline: str | None = None, label: str | None = None):
        """Horizontal bars of the mean with ±1 std error bars and every
        seed's value as a dot; a dotted line marks the baseline's mean."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(8, 0.45 * len(self.configs) + 1))
        names = self.configs
        ys = np.arange(len(names))[::-1]
        for y, name in zip(ys, names):
            vals = np.asarray(self.values(name, metric)) * scale
            mean, std = self.mean_std(name, metric)
            ax.barh(y, mean * scale, xerr=std * scale, color="C0",
                    alpha=0.35, capsize=4)
            ax.plot(vals, np.full(len(vals), y), "o", color="C0", ms=4)
        if baseline is not None:
            ax.axvline(self.mean_std(baseline, metric)[0] * scale,
                       color="k", ls=":", lw=1)
        ax.set_yticks(ys, names)
        ax.set_xlabel(label or metric)
        all_vals = np.concatenate([self.values(n, metric) for n in names])
        lo, hi = all_vals.min() * scale, all_vals.max() * scale
        pad = (hi - lo) * 0.15 or abs(hi) * 0.01 or 1.0
        ax.set_xlim(lo - pad, hi + pad)
        return ax


def ablation(configs: Mapping[str, object],
             run: Callable[[object, int], Mapping[str, float]],
             seeds: Sequence[int], *, verbose: bool = True) -> AblationResult:
    """Run run(config, seed) for every config and seed; collect metrics.

    Before each run Keras, NumPy and Python are seeded with the seed, so
    a configuration differs from the baseline only by its own change.
    With verbose, one line per finished configuration is printed.
    """
    import keras

    if not isinstance(configs, Mapping) or not configs:
        raise ValueError("configs must be a non-empty mapping "
                         "{name: configuration}")
    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    for s in seeds:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
            raise TypeError(f"seeds must be ints, got {s!r}")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct, got {seeds}")
    if not callable(run):
        raise TypeError(f"run must be callable, got {run!r}")
    result = AblationResult()
    for name, config in configs.items():
        t0 = time.perf_counter()
        for seed in seeds:
            keras.utils.set_random_seed(int(seed))
            metrics = run(config, int(seed))
            if not isinstance(metrics, Mapping):
                raise TypeError(f"run() must return a mapping of metrics, "
                                f"got {type(metrics).__name__}")
            clean = {k: float(v) for k, v in metrics.items()}
            bad = [k for k, v in clean.items() if not math.isfinite(v)]
            if bad:
                raise ValueError(f"{name}, seed {seed}: non-finite "
                                 f"metric(s) {bad}")
            result.rows.append((str(name), int(seed), clean))
        if verbose:
            print(f"{name}: {len(seeds)} runs in "
                  f"{time.perf_counter() - t0:.0f} s", flush=True)
    return result
