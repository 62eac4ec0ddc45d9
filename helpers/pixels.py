"""Optimising the pixels of an image instead of a network's weights.

Feature inversion and Deep Dream (chapter 13) and neural style transfer
(chapter 14) share one loop: start from an image, compute a loss of the
image through a frozen network, and let an optimiser change the pixels.
:func:`optimise_pixels` is that loop, compiled once per call with
``tf.function``; :func:`total_variation` is the smoothness penalty that
feature inversion and style transfer add to keep the image from filling
with high-frequency noise.

The loss function receives the (N, H, W, C) image variable and returns
either a scalar tensor or a dict of named scalar tensors; the dict's
values are summed into the total, and every name gets its own curve in
the returned history, so a chapter can plot the content, style and
variation terms separately.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from helpers.validate import (finite_array, finite_number, float_tensor,
                              positive_int, real_number, value_range_of)


def _tf():
    import tensorflow as tf

    return tf


def total_variation(images):
    """Mean over the batch of the summed squared differences between
    neighbouring pixels, down and across: (N, H, W, C) → scalar tensor.

    Squared rather than absolute differences: smooth everywhere, so the
    gradient does not jump when two neighbours become equal.
    """
    tf = _tf()
    images = float_tensor(images, "images")  # integers in float: no wrapping
    if images.shape.rank != 4:
        raise ValueError(
            f"total_variation expects images of shape (N, H, W, C), got {images.shape}")
    down = images[:, 1:, :, :] - images[:, :-1, :, :]
    across = images[:, :, 1:, :] - images[:, :, :-1, :]
    per_image = (tf.reduce_sum(tf.square(down), axis=[1, 2, 3])
                 + tf.reduce_sum(tf.square(across), axis=[1, 2, 3]))
    return tf.reduce_mean(per_image)


@dataclass
class PixelRun:
    """What :func:`optimise_pixels` returns: the final image and the loss
    curves (one list per loss name, plus ``"total"``), recorded every step;
    ``evaluations`` counts the computations of the loss and its gradient
    (one per step for Adam, one or more per iteration for L-BFGS), and
    ``evaluated`` holds, for every entry of the history, how many had been
    made when it was recorded (so a curve can be drawn against evaluations)."""

    image: np.ndarray
    history: dict[str, list[float]] = field(default_factory=dict)
    evaluations: int | None = None
    evaluated: list[int] = field(default_factory=list)


def _check_start(start) -> np.ndarray:
    image = finite_array(start, "start")
    if image.ndim != 4:
        raise ValueError(
            f"start must be a batch of images (N, H, W, C); got shape {image.shape}. "
            "Add a batch axis with image[None] for a single image.")
    if image.dtype.kind == "b":
        raise TypeError("start must hold real numbers, got booleans")
    return image.astype(np.float32)


def check_range(value_range) -> tuple[float, float] | None:
    """``value_range`` as (low, high) floats with low < high, or None;
    a TypeError/ValueError that says what is wrong otherwise."""
    if value_range is None:
        return None
    if isinstance(value_range, (str, bytes)):
        raise TypeError(f"value_range must be a pair (low, high) or None, got {value_range!r}")
    try:
        low, high = value_range
    except (TypeError, ValueError):
        raise TypeError(
            f"value_range must be a pair (low, high) or None, got {value_range!r}") from None
    low = finite_number(low, "value_range's low")
    high = finite_number(high, "value_range's high")
    if not low < high:
        raise ValueError(f"value_range needs low < high, got ({low}, {high})")
    return low, high


def _as_losses(result) -> dict:
    """The loss function's result as {name: scalar tensor}."""
    tf = _tf()
    losses = dict(result) if isinstance(result, Mapping) else {"loss": result}
    if not losses:
        raise ValueError("the loss function returned an empty dict")
    for name, value in losses.items():
        if not isinstance(name, str) or name == "total":
            raise ValueError(f"loss names must be strings other than 'total', got {name!r}")
        if tf.convert_to_tensor(value).shape.rank != 0:
            raise ValueError(
                f"loss {name!r} must be a scalar, got shape {tf.convert_to_tensor(value).shape}"
                " (reduce it, e.g. with tf.reduce_mean)")
    return losses


def _checked(loss_fn, start, steps, value_range):
    """The arguments both optimisers share, checked: (start image, steps, bounds)."""
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable, got {type(loss_fn).__name__}")
    image, bounds = _check_start(start), check_range(value_range)
    if bounds is not None:
        value_range_of(image, bounds, "start")
    return image, positive_int(steps, "steps"), bounds


def _traced_loss(loss_fn, names: list):
    """A function (image) -> (total, gradient, [each named loss]) to be called
    inside a tf.function. The loss names, in the loss function's order, are
    put into ``names`` when it is first traced, so no extra call is needed to
    learn them."""
    tf = _tf()

    def evaluate(image):
        with tf.GradientTape() as tape:
            tape.watch(image)
            losses = _as_losses(loss_fn(image))
            if not names:
                names.extend(losses)
            parts = [tf.cast(losses[n], tf.float32) for n in names]
            total = tf.add_n(parts)
        gradient = tape.gradient(total, image)
        if gradient is None:
            raise ValueError("the loss does not depend on the image (no gradient)")
        return total, gradient, parts

    return evaluate


def _record(history: dict, names: list, total, parts) -> None:
    """Append one step's losses to the history (created on the first call)."""
    if not history:
        history.update({name: [] for name in names + ["total"]})
    history["total"].append(float(total))
    for name, value in zip(names, parts):
        history[name].append(float(value))


def optimise_pixels(
    loss_fn: Callable,
    start,
    *,
    steps: int,
    learning_rate: float = 0.02,
    value_range: tuple[float, float] | None = None,
) -> PixelRun:
    """Minimise ``loss_fn(image)`` over the pixels of ``start`` with Adam.

    - ``loss_fn(image)`` gets the (N, H, W, C) float32 variable and returns a
      scalar tensor or a dict of named scalar tensors (summed into the total).
      To *maximise* something (Deep Dream), return its negative.
    - ``start``: the initial image batch (noise, the content photo, ...); it
      is copied, never changed.
    - ``value_range``: after every step the pixels are clipped into
      ``(low, high)``, so they stay valid inputs; None leaves them free.

    Returns a :class:`PixelRun` with the final image (NumPy) and one loss
    curve per name plus ``"total"``, each ``steps`` long.
    """
    tf = _tf()
    image_start, steps, bounds = _checked(loss_fn, start, steps, value_range)
    learning_rate = real_number(learning_rate, "learning_rate", positive=True)

    import keras

    image = tf.Variable(image_start)
    optimizer = keras.optimizers.Adam(learning_rate=learning_rate)
    names: list[str] = []
    loss_and_gradient = _traced_loss(loss_fn, names)

    @tf.function
    def step():
        total, gradient, parts = loss_and_gradient(image)
        optimizer.apply_gradients([(gradient, image)])
        if bounds is not None:
            image.assign(tf.clip_by_value(image, bounds[0], bounds[1]))
        return total, parts

    history: dict[str, list[float]] = {}
    for _ in range(steps):
        _record(history, names, *step())
    return PixelRun(image.numpy(), history, evaluations=steps,
                    evaluated=list(range(1, steps + 1)))


def optimise_pixels_lbfgs(
    loss_fn: Callable,
    start,
    *,
    steps: int,
    value_range: tuple[float, float] | None = None,
    memory: int = 10,
) -> PixelRun:
    """Minimise ``loss_fn(image)`` over the pixels of ``start`` with L-BFGS.

    The same contract as :func:`optimise_pixels` (``loss_fn`` returns a scalar
    or a dict of named scalars, ``start`` is copied, ``value_range`` keeps the
    pixels in bounds), with SciPy's L-BFGS-B in place of Adam: it builds a
    picture of the loss's curvature from its last ``memory`` gradients and
    chooses each step's direction and length itself, so there is no learning
    rate. Each of the ``steps`` iterations evaluates the loss and its gradient
    (one compiled ``tf.function``) once or, when its line search needs it, a
    few times; the result's ``evaluations`` counts them. ``value_range`` is
    enforced as bounds, not by clipping.

    The history holds the losses at ``start`` and after every iteration, so
    ``steps + 1`` values per curve; fewer if L-BFGS converged early.
    """
    tf = _tf()
    from scipy.optimize import Bounds, minimize

    image_start, steps, bounds = _checked(loss_fn, start, steps, value_range)
    memory = positive_int(memory, "memory")
    shape = image_start.shape
    names: list[str] = []
    loss_and_gradient = _traced_loss(loss_fn, names)

    @tf.function
    def value_and_gradient(flat):
        total, gradient, parts = loss_and_gradient(tf.reshape(flat, shape))
        return total, tf.reshape(gradient, [-1]), parts

    last: dict = {}  # the last point evaluated, so that no point is computed twice
    evaluations = 0

    def evaluate(x: np.ndarray) -> tuple[float, np.ndarray]:
        nonlocal evaluations
        if "x" not in last or not np.array_equal(x, last["x"]):
            total, gradient, parts = value_and_gradient(tf.constant(x, tf.float32))
            evaluations += 1
            last.update(x=x.copy(), total=float(total),
                        gradient=gradient.numpy().astype(np.float64), parts=parts)
        return last["total"], last["gradient"]

    history: dict[str, list[float]] = {}
    evaluated: list[int] = []

    def record(x: np.ndarray) -> None:
        evaluate(x)
        _record(history, names, last["total"], last["parts"])
        evaluated.append(evaluations)

    x0 = image_start.astype(np.float64).ravel()
    record(x0)
    result = minimize(
        evaluate, x0, jac=True, method="L-BFGS-B", callback=record,
        bounds=None if bounds is None else Bounds(*bounds),
        options={"maxiter": steps, "maxfun": 4 * steps, "maxcor": memory})
    image = result.x.reshape(shape).astype(np.float32)
    return PixelRun(image, history, evaluations=evaluations,
                    evaluated=evaluated)
