"""Geometry of convolutions and pooling: output sizes, padding, receptive fields.

Taught in chapter 02 (padding, stride, dilation and receptive fields; the
transposed convolution's output size in chapter 15); used by the
NumPy layers of chapter 04 (:mod:`helpers.numpy_cnn`) and by later chapters to
reason about architectures.

All functions work on **one spatial axis** at a time (a height or a width); a
square layer simply uses the same numbers on both axes.

Sizes, kernels, strides, dilations and paddings must be ints (NumPy ints too);
bool, float (even 2.0), str and None are refused, never truncated. The rule lives
in :mod:`helpers.validate` and is shared with :mod:`helpers.numpy_cnn`.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Iterable, Sequence, Union

from helpers.validate import as_int as _as_int
from helpers.validate import nonnegative_int as _nonnegative_int
from helpers.validate import positive_int as _positive_int

#: A padding specification: ``"valid"``, ``"same"``, ``"full"``, one int used on both
#: sides, or an explicit ``(before, after)`` pair.
Padding = Union[str, int, Sequence[int]]

_PADDING_WORDS = ("valid", "same", "full")


def effective_kernel(kernel: int, dilation: int = 1) -> int:
    """Span of a dilated kernel, ``D*(K-1) + 1``: a 3-tap kernel with dilation 2 spans 5."""
    kernel = _positive_int(kernel, "kernel")
    dilation = _positive_int(dilation, "dilation")
    return dilation * (kernel - 1) + 1


def resolve_padding(
    size: int, kernel: int, stride: int = 1, padding: Padding = 0, dilation: int = 1
) -> tuple[int, int]:
    """Turn a padding specification into explicit ``(before, after)`` pixel counts.

    ``"valid"`` is no padding; ``"full"`` pads ``D(K-1)`` on each side, so every input
    pixel meets every kernel tap; ``"same"`` follows TensorFlow/Keras: the output has
    ``ceil(size / stride)`` positions, the total padding needed for that is split with
    the odd pixel going *after* (bottom/right).
    """
    size = _positive_int(size, "size")
    span = effective_kernel(kernel, dilation)
    stride = _positive_int(stride, "stride")
    if isinstance(padding, str):
        word = padding.lower()
        if word == "valid":
            return 0, 0
        if word == "full":
            return span - 1, span - 1
        if word == "same":
            out = -(-size // stride)
            total = max((out - 1) * stride + span - size, 0)
            return total // 2, total - total // 2
        raise ValueError(f"padding must be one of {_PADDING_WORDS}, an int or (before, after); got {padding!r}")
    if isinstance(padding, (list, tuple)):
        if len(padding) != 2:
            raise ValueError(f"explicit padding must be a (before, after) pair, got {padding!r}")
        return (_nonnegative_int(padding[0], "padding before"),
                _nonnegative_int(padding[1], "padding after"))
    p = _nonnegative_int(padding, "padding")
    return p, p


def conv_output_size(
    size: int,
    kernel: int,
    stride: int = 1,
    padding: Padding = 0,
    dilation: int = 1,
) -> int:
    """Number of output positions of a convolution or pooling window.

    One axis of length H, a kernel of K taps with dilation D, stride S and
    padding P_before + P_after:

        out = floor((H + P_before + P_after - D*(K-1) - 1) / S) + 1

    which with P pixels on each side is floor((H + 2P - D(K-1) - 1)/S) + 1.

    >>> conv_output_size(28, 3, stride=2, padding=1)
    14

    Raises ValueError for non-positive sizes, kernels, strides or dilations,
    negative padding, or a (dilated) kernel wider than the padded input.
    Taught in chapter 02.
    """
    before, after = resolve_padding(size, kernel, stride, padding, dilation)
    span = effective_kernel(kernel, dilation)
    padded = size + before + after
    if span > padded:
        raise ValueError(
            f"the kernel spans {span} pixels (K={kernel}, D={dilation}) but "
            f"the padded input has only {padded} (size {size} + padding "
            f"{before}+{after}); use a smaller kernel or dilation, more "
            "padding, or a larger input"
        )
    return (padded - span) // stride + 1


def transposed_conv_output_size(
    size: int,
    kernel: int,
    stride: int = 1,
    padding: str = "valid",
    output_padding: int | None = None,
) -> int:
    """Number of output positions of a transposed convolution (one axis).

    A transposed convolution spreads every input pixel over a K-tap window
    of the output, stepping S output pixels per input pixel, then trims P
    pixels from each end, where P = 0 for "valid" and K // 2 for "same":

        out = (H - 1)*S + K - 2P + output_padding

    With ``output_padding=None`` Keras chooses the last term itself:
    "same" gives exactly ``H*S`` (the size a strided "same" convolution
    shrinks back to H), and "valid" gives ``H*S + max(K - S, 0)``. Matches
    ``keras.layers.Conv2DTranspose`` (tested over a grid), including its
    refusal of an even kernel with "same" and output_padding=0. Taught in
    chapter 15.

    >>> transposed_conv_output_size(16, 3, stride=2, padding="same")
    32
    """
    size = _positive_int(size, "size")
    kernel = _positive_int(kernel, "kernel")
    stride = _positive_int(stride, "stride")
    if padding not in ("valid", "same"):
        raise ValueError(f"padding must be 'valid' or 'same' (what "
                         f"Conv2DTranspose accepts), got {padding!r}")
    if output_padding is None:
        if padding == "same":
            return size * stride
        return size * stride + max(kernel - stride, 0)
    extra = _nonnegative_int(output_padding, "output_padding")
    if extra >= stride:
        raise ValueError(f"output_padding must be smaller than the stride "
                         f"({stride}), got {extra}")
    if padding == "same" and kernel % 2 == 0 and extra == 0:
        raise ValueError(
            "with padding='same' an even kernel needs output_padding >= 1: "
            f"with 0 the output would have {(size - 1) * stride} pixels, "
            f"which a stride-{stride} 'same' convolution does not map back "
            f"to {size}, and TensorFlow refuses to compute it")
    trim = 0 if padding == "valid" else kernel // 2
    return (size - 1) * stride + kernel - 2 * trim + extra


# --------------------------------------------------------------------------- receptive fields


@dataclass(frozen=True)
class RFRow:
    """One row of a receptive-field table (one spatial axis).

    ``rf`` is the receptive field after this layer in input pixels, ``jump`` the
    distance in input pixels between neighbouring outputs of this layer (the product
    of all strides so far), ``start`` the input coordinate of the first pixel seen
    by output 0 (negative when it lies in the padding; ``None`` if unknown because
    ``"same"`` padding with stride > 1 needs the input size), and ``size`` the
    layer's output size when the input size is known.
    """

    name: str
    kernel: int
    stride: int
    dilation: int
    rf: int
    jump: int
    start: int | None
    size: int | None

    def window(self, index: int) -> tuple[int, int]:
        """Input pixels ``[first, last]`` (inclusive) seen by output ``index`` of this layer.

        ``index`` is an int >= 0, and below ``size`` when the output size is known.
        """
        _nonnegative_int(index, "index")
        if self.size is not None and index >= self.size:
            raise ValueError(
                f"index must be < {self.size}, the number of outputs of {self.name}; "
                f"got {index}"
            )
        if self.start is None:
            raise ValueError(f"{self.name}: the window position is unknown without the input size")
        first = self.start + index * self.jump
        return first, first + self.rf - 1


# Layers that never change the spatial geometry (they act per pixel).
_PASS_THROUGH = {
    "InputLayer", "Activation", "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax",
    "BatchNormalization", "LayerNormalization", "GroupNormalization", "Dropout",
    "SpatialDropout1D", "SpatialDropout2D", "GaussianNoise", "GaussianDropout",
    "Rescaling", "Normalization", "Dense", "Identity",
}
# Layers after which every unit sees the whole input.
_GLOBAL = {
    "Flatten", "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling1D",
    "GlobalMaxPooling2D", "Reshape",
}


def _pick(value: Any, axis: int) -> Any:
    return value[axis] if isinstance(value, (list, tuple)) else value


def _spec_from_keras(layer: Any, axis: int) -> dict | None | str:
    """(kernel, stride, dilation, padding) of a Keras layer, None to skip, 'stop' at global."""
    kind = type(layer).__name__
    if kind in _PASS_THROUGH:
        return None
    if kind in _GLOBAL:
        return "stop"
    if kind in ("ZeroPadding1D", "ZeroPadding2D"):
        pad = layer.padding
        pad = pad[axis] if isinstance(pad[0], (list, tuple)) else pad
        return dict(kernel=1, stride=1, dilation=1, padding=tuple(pad), name=layer.name)
    if hasattr(layer, "kernel_size") and not kind.endswith("Transpose"):
        return dict(
            kernel=_pick(layer.kernel_size, axis), stride=_pick(layer.strides, axis),
            dilation=_pick(getattr(layer, "dilation_rate", 1), axis), padding=layer.padding,
            name=layer.name,
        )
    if hasattr(layer, "pool_size"):
        return dict(
            kernel=_pick(layer.pool_size, axis), stride=_pick(layer.strides, axis), dilation=1,
            padding=layer.padding, name=layer.name,
        )
    raise ValueError(
        f"receptive_field() does not know how layer {layer.name!r} ({kind}) changes the "
        "geometry; describe it as a (kernel, stride, dilation, padding) tuple instead"
    )


_SPEC_KEYS = ("kernel", "stride", "dilation", "padding", "name")


def _check_spec_keys(item: dict, index: int) -> None:
    """Refuse keys receptive_field() would ignore: a misspelt 'strides' gave stride 1."""
    unknown = [key for key in item if key not in _SPEC_KEYS]
    if unknown:
        close = [difflib.get_close_matches(str(key), _SPEC_KEYS, n=1) for key in unknown]
        hints = [f"{key!r} (did you mean {c[0]!r}?)" if c else repr(key)
                 for key, c in zip(unknown, close)]
        raise ValueError(
            f"layer {index}: unknown key{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(hints)} in {item!r}; the allowed keys are "
            f"{', '.join(map(repr, _SPEC_KEYS))}"
        )
    if "kernel" not in item:
        raise ValueError(f"layer {index}: a dict needs at least a 'kernel' key, got {item!r}")


def _spec_from_item(item: Any, index: int) -> dict:
    if isinstance(item, dict):
        _check_spec_keys(item, index)
        spec = dict(item)
    elif isinstance(item, (list, tuple)):
        if not 1 <= len(item) <= 4:
            raise ValueError(
                f"layer {index}: expected (kernel[, stride[, dilation[, padding]]]), got {item!r}"
            )
        spec = dict(zip(("kernel", "stride", "dilation", "padding"), item))
    elif hasattr(type(item), "__index__") and not isinstance(item, bool):
        spec = {"kernel": item}  # an int or a NumPy int: checked as the kernel below
    else:
        raise TypeError(
            f"layer {index}: expected a Keras layer, a (kernel, stride, dilation, padding) "
            f"tuple, a dict or an int kernel size; got {type(item).__name__}"
        )
    spec.setdefault("stride", 1)
    spec.setdefault("dilation", 1)
    spec.setdefault("padding", 0)
    spec.setdefault("name", f"layer {index + 1}")
    return spec


def _check_step(rf: Any, jump: Any, kernel: Any, stride: Any, dilation: Any) -> None:
    for value, name in ((rf, "rf"), (jump, "jump"), (kernel, "kernel"),
                        (stride, "stride"), (dilation, "dilation")):
        _positive_int(value, name)


def rf_step(
    rf: int, jump: int, kernel: int, stride: int = 1, dilation: int = 1
) -> tuple[int, int]:
    """One step of the receptive-field recursion: (R, J) before a layer ->
    (R, J) after it.

    Each tap beyond the first adds dilation * jump input pixels; the layer's
    stride multiplies the jump that later layers grow by. All five numbers
    must be ints >= 1. Taught in chapter 02.
    """
    _check_step(rf, jump, kernel, stride, dilation)
    rf = rf + (kernel - 1) * dilation * jump
    jump = jump * stride
    return rf, jump


def receptive_field(
    layers: Any, *, input_size: int | None = None, axis: int = 0
) -> list[RFRow]:
    """Receptive field after every layer of a chain of convolutions and poolings.

    ``layers`` is a Keras model (a chain, or a functional model with branches: where
    branches join, a unit sees the union of what its inputs see, the maximum over
    the paths that reach it, as in Araujo et al. 2019), a list of Keras layers, or a list of ``(kernel, stride, dilation, padding)`` tuples
    (trailing items optional; dicts with those keys also work). The recursion is

        R_l = R_{l-1} + (K_l - 1) * D_l * J_{l-1},   J_l = J_{l-1} * S_l,   R_0 = J_0 = 1

    where ``J`` is the product of strides so far. Layers that act per pixel (activations,
    batch norm, dropout, a Dense on a feature map) are skipped; the table stops at the
    first layer after which every unit sees the whole input (Flatten, global pooling).
    ``axis`` picks the height (0) or width (1) of non-square layers. ``input_size`` (taken
    from the model when it has one) lets ``"same"`` padding with stride > 1 be placed
    exactly, so :meth:`RFRow.window` can say which input pixels a unit sees.
    """
    axis = _as_int(axis, "axis", expected="0 (height) or 1 (width)")
    if axis not in (0, 1):
        raise ValueError(f"axis must be 0 (height) or 1 (width), got {axis!r}")
    items: Iterable[Any]
    branched = False
    if hasattr(layers, "layers") and hasattr(layers, "inputs"):
        model = layers
        branched = any(len(_parents(layer)) > 1 for layer in model.layers)
        if input_size is None:
            shape = getattr(model, "input_shape", None)
            if isinstance(shape, tuple) and len(shape) >= 3 and shape[1 + axis] is not None:
                input_size = int(shape[1 + axis])
        items = model.layers
    elif isinstance(layers, (list, tuple)):
        items = layers
    else:
        raise TypeError(
            f"layers must be a Keras model or a list of layers/tuples, got {type(layers).__name__}"
        )
    size = None if input_size is None else _positive_int(input_size, "input_size")
    if branched:
        return _graph_rows(layers, axis, size)
    rows: list[RFRow] = []
    row = RFRow("input", 1, 1, 1, 1, 1, 0, size)
    for index, item in enumerate(items):
        if hasattr(item, "get_config") and not isinstance(item, (dict, list, tuple)):
            spec = _spec_from_keras(item, axis)
            if spec is None:
                continue
            if spec == "stop":
                break
        else:
            spec = _spec_from_item(item, index)
        row = _step(spec, row)
        rows.append(row)
    return rows


def _step(spec: dict, prev: RFRow) -> RFRow:
    """The row after one layer described by spec, given the row before it."""
    kernel = _positive_int(spec["kernel"], "kernel")
    stride = _positive_int(spec["stride"], "stride")
    dilation = _positive_int(spec["dilation"], "dilation")
    padding = spec["padding"]
    size, start = prev.size, prev.start
    if size is not None:
        before, _ = resolve_padding(size, kernel, stride, padding, dilation)
        size = conv_output_size(size, kernel, stride, padding, dilation)
    elif isinstance(padding, str) and padding.lower() == "same" and stride > 1:
        before = None
    else:
        # Without the input size, "same" at stride 1 still pads (span-1)//2 before.
        before, _ = resolve_padding(
            effective_kernel(kernel, dilation), kernel, stride, padding, dilation
        )
    start = None if (start is None or before is None) else start - before * prev.jump
    rf, jump = rf_step(prev.rf, prev.jump, kernel, stride, dilation)
    return RFRow(str(spec["name"]), kernel, stride, dilation, rf, jump, start, size)


def _parents(layer: Any) -> list[str]:
    nodes = getattr(layer, "_inbound_nodes", [])
    if len(nodes) > 1:
        raise ValueError(f"layer {layer.name!r} is called {len(nodes)} times; "
                         "receptive_field() needs each layer used once")
    return [p.operation.name for p in nodes[0].parent_nodes] if nodes else []


def _merge(name: str, rows: list[RFRow]) -> RFRow:
    """A layer joining branches (Add, Concatenate, ...): its unit sees the union
    of what the units of its inputs see (Araujo et al. 2019)."""
    jumps = {r.jump for r in rows}
    if len(jumps) > 1:
        raise ValueError(f"layer {name!r} joins branches with different strides "
                         f"so far ({sorted(jumps)}); their units are not aligned")
    sizes = {r.size for r in rows}
    size = sizes.pop() if len(sizes) == 1 else None
    if all(r.start is not None for r in rows):
        start = min(r.start for r in rows)
        rf = max(r.start + r.rf for r in rows) - start
    else:
        start, rf = None, max(r.rf for r in rows)
    return RFRow(name, 1, 1, 1, rf, jumps.pop(), start, size)


def _graph_rows(model: Any, axis: int, size: int | None) -> list[RFRow]:
    """Rows for a functional model with branches, in the model's layer order,
    for the layers on a path to the output; the last row is the last layer
    before the output (or before global pooling / Flatten)."""
    by_name = {layer.name: layer for layer in model.layers}
    needed: set[str] = set()
    todo = [t._keras_history.operation.name for t in model.outputs]
    while todo:
        name = todo.pop()
        if name not in needed:
            needed.add(name)
            todo.extend(_parents(by_name[name]))
    state: dict[str, RFRow | str] = {}
    rows: list[RFRow] = []
    for layer in model.layers:
        if layer.name not in needed:
            continue
        inputs = [state[p] for p in _parents(layer)]
        if not inputs:
            state[layer.name] = RFRow(layer.name, 1, 1, 1, 1, 1, 0, size)
            continue
        if "global" in inputs:
            state[layer.name] = "global"
            continue
        if len(inputs) > 1:
            row = _merge(layer.name, inputs)
        else:
            spec = _spec_from_keras(layer, axis)
            if spec is None or spec == "stop":
                state[layer.name] = inputs[0] if spec is None else "global"
                continue
            row = _step(spec, inputs[0])
        rows.append(row)
        state[layer.name] = row
    return rows


def rf_table(rows: Sequence[RFRow]) -> str:
    """A plain-text table of :func:`receptive_field` rows, for printing in a notebook."""
    head = f"{'layer':<18}{'K':>3}{'S':>3}{'D':>3}{'jump':>6}{'RF':>5}{'out':>6}"
    lines = [head, "-" * len(head), f"{'input':<18}{'':>3}{'':>3}{'':>3}{1:>6}{1:>5}{'':>6}"]
    for r in rows:
        out = "" if r.size is None else r.size
        lines.append(
            f"{r.name:<18}{r.kernel:>3}{r.stride:>3}{r.dilation:>3}{r.jump:>6}{r.rf:>5}{out:>6}"
        )
    return "\n".join(lines)


def num_windows_covering(size: int, kernel: int, stride: int, padding: Padding = 0) -> list[int]:
    """How many windows of a pooling/convolution cover each input pixel along one axis.

    Non-overlapping 2/2 pooling gives all ones; AlexNet's overlapping 3/2 gives a
    mix of 1 and 2 (chapter 03).
    """
    before, _ = resolve_padding(size, kernel, stride, padding)
    out = conv_output_size(size, kernel, stride, padding)
    counts = [0] * size
    for o in range(out):
        first = o * stride - before
        for x in range(max(first, 0), min(first + kernel, size)):
            counts[x] += 1
    return counts


__all__ = [
    "Padding", "RFRow", "conv_output_size", "effective_kernel", "num_windows_covering",
    "receptive_field", "resolve_padding", "rf_step", "rf_table",
    "transposed_conv_output_size",
]
