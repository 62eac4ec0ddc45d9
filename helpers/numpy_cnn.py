"""Reference CNN layers in plain NumPy, forward and backward, NHWC.

Taught in chapter 04 (a CNN from scratch in NumPy), which displays this source and
checks every function against Keras/TensorFlow; chapter 03 uses the pooling pair to
show how gradients are routed. Later chapters use them as ground truth.

Shapes: images ``X`` are ``(N, H, W, C)``; kernels ``W`` are Keras-ordered
``(KH, KW, C_in, C_out)``; biases ``(C_out,)``. ``stride``, ``dilation`` and
``pool`` take an int or an ``(h, w)`` pair; ``padding`` takes ``"valid"``,
``"same"`` (TensorFlow's rule), ``"full"``, an int, or ``((top, bottom), (left, right))``.
The im2col column order is ``(kh, kw, c)``, the order of ``W.reshape(-1, C_out)``.

Arguments are checked with the rule of :mod:`helpers.geometry` (shared through
:mod:`helpers.validate`): sizes, strides, dilations, pools and padding widths are
ints or NumPy ints, never bool, float (not even 2.0), str or None; arrays must be
real. A pooling window must be wider than the padding on each side of it, as in
TensorFlow.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from helpers.geometry import Padding, conv_output_size, resolve_padding
from helpers.validate import int_pair as _pair
from helpers.validate import as_int, nonnegative_int, positive_int, real_array

_PAIRS = "((top, bottom), (left, right))"


def _check_images(X: np.ndarray, name: str = "X") -> np.ndarray:
    X = real_array(X, name)
    if X.ndim != 4:
        raise ValueError(f"{name} must be a 4-D NHWC array (N, H, W, C), got shape {X.shape}")
    if not np.issubdtype(X.dtype, np.floating):
        X = X.astype(np.float32)
    return X


def _image_shape(shape: Any, name: str = "input_shape") -> tuple[int, int, int, int]:
    """(N, H, W, C) as ints: N and C >= 0, H and W >= 1."""
    if isinstance(shape, np.ndarray):
        shape = shape.tolist()
    if not isinstance(shape, (list, tuple)) or len(shape) != 4:
        raise ValueError(f"{name} must be (N, H, W, C), got {shape!r}")
    checks = (nonnegative_int, positive_int, positive_int, nonnegative_int)
    N, H, W, C = (check(size, f"{name}[{axis}] ({'NHWC'[axis]})")
                  for axis, (check, size) in enumerate(zip(checks, shape)))
    return N, H, W, C


def _expect_shape(array: np.ndarray, shape: tuple[int, ...], name: str, of: str) -> None:
    if array.shape != tuple(shape):
        raise ValueError(
            f"{name} has shape {array.shape}, expected {tuple(shape)}, the shape of {of}"
        )


def _is_pair(value: Any) -> bool:
    return isinstance(value, (list, tuple)) or (
        isinstance(value, np.ndarray) and value.ndim > 0
    )


def _check_pairs(padding: Any) -> None:
    """Refuse per-axis padding that is not exactly two (before, after) pairs."""
    if _is_pair(padding) and any(_is_pair(p) for p in padding):
        if len(padding) != 2 or not all(_is_pair(p) and len(p) == 2 for p in padding):
            raise ValueError(
                f"per-axis padding must be {_PAIRS}, one pair for each of the two "
                f"spatial axes; got {padding!r}"
            )


def _paddings(
    H: int, W: int, kernel: tuple[int, int], stride: tuple[int, int], padding: Any,
    dilation: tuple[int, int],
) -> tuple[tuple[int, int], tuple[int, int]]:
    """Explicit ((top, bottom), (left, right)) for a 2-D padding spec."""
    _check_pairs(padding)
    if isinstance(padding, (list, tuple)) and len(padding) == 2 and all(
        isinstance(p, (list, tuple)) for p in padding
    ):
        per_axis: tuple[Padding, Padding] = (tuple(padding[0]), tuple(padding[1]))
    else:
        per_axis = (padding, padding)
    return (
        resolve_padding(H, kernel[0], stride[0], per_axis[0], dilation[0]),
        resolve_padding(W, kernel[1], stride[1], per_axis[1], dilation[1]),
    )


def pad2d(X: np.ndarray, padding: Any, value: float = 0.0) -> np.ndarray:
    """Pad the two spatial axes of an NHWC batch with a constant.

    ``padding`` is an int (all four sides), ``(ph, pw)`` or ``((top, bottom), (left, right))``.
    """
    X = _check_images(X)
    pads = _explicit_pads(padding)
    return np.pad(X, ((0, 0), pads[0], pads[1], (0, 0)), constant_values=value)


def _explicit_pads(padding: Any) -> tuple[tuple[int, int], tuple[int, int]]:
    """pad2d's padding as ((top, bottom), (left, right)) of ints >= 0."""
    expected = f"an int, (ph, pw) or {_PAIRS}"
    if not _is_pair(padding):
        p = as_int(padding, "padding", 0, expected)
        return (p, p), (p, p)
    if len(padding) != 2:
        raise ValueError(f"padding must be {expected}, got {padding!r}")
    if not any(_is_pair(p) for p in padding):
        ph, pw = (nonnegative_int(p, f"padding[{i}]") for i, p in enumerate(padding))
        return (ph, ph), (pw, pw)
    _check_pairs(padding)
    (top, bottom), (left, right) = (
        (nonnegative_int(a, f"padding[{i}][0]"), nonnegative_int(b, f"padding[{i}][1]"))
        for i, (a, b) in enumerate(padding)
    )
    return (top, bottom), (left, right)


def _geometry(shape, kernel, stride, padding, dilation):
    """Resolve sizes once for im2col/col2im: returns (pads, (H_out, W_out))."""
    _, H, W, _ = shape
    kernel, stride, dilation = _pair(kernel, "kernel"), _pair(stride, "stride"), _pair(dilation, "dilation")
    pads = _paddings(H, W, kernel, stride, padding, dilation)
    H_out = conv_output_size(H, kernel[0], stride[0], pads[0], dilation[0])
    W_out = conv_output_size(W, kernel[1], stride[1], pads[1], dilation[1])
    return kernel, stride, dilation, pads, (H_out, W_out)


def im2col(
    X: np.ndarray,
    kernel: Any,
    stride: Any = 1,
    padding: Any = "valid",
    dilation: Any = 1,
    pad_value: float = 0.0,
) -> tuple[np.ndarray, tuple[int, int]]:
    """Copy every (dilated, strided) patch of X into a row.

    Returns (cols, (H_out, W_out)) with cols of shape
    (N * H_out * W_out, KH * KW * C): rows in (n, i, j) order, columns in
    (kh, kw, c) order. A convolution is then cols @ W.reshape(-1, C_out).
    Taught in chapter 04.
    """
    X = _check_images(X)
    (kh, kw), (sh, sw), (dh, dw), pads, (H_out, W_out) = _geometry(
        X.shape, kernel, stride, padding, dilation
    )
    Xp = pad2d(X, pads, pad_value)
    span_h, span_w = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    windows = np.lib.stride_tricks.sliding_window_view(
        Xp, (span_h, span_w), axis=(1, 2)
    )
    # windows: (N, positions_h, positions_w, C, span_h, span_w);
    # keep the strided output positions and the dilated taps
    windows = windows[:, ::sh, ::sw, :, ::dh, ::dw][:, :H_out, :W_out]
    N, C = X.shape[0], X.shape[3]
    cols = windows.transpose(0, 1, 2, 4, 5, 3).reshape(
        N * H_out * W_out, kh * kw * C
    )
    return cols, (H_out, W_out)


def col2im(
    cols: np.ndarray,
    input_shape: tuple[int, int, int, int],
    kernel: Any,
    stride: Any = 1,
    padding: Any = "valid",
    dilation: Any = 1,
) -> np.ndarray:
    """The adjoint of im2col: scatter rows back into an array of input_shape,
    summing where patches overlap.

    It is not an inverse: a pixel that appears in several patches receives
    the sum of all its copies, which is exactly what backpropagation needs.
    Taught in chapter 04.
    """
    N, H, W, C = _image_shape(input_shape)
    (kh, kw), (sh, sw), (dh, dw), pads, (H_out, W_out) = _geometry(
        (N, H, W, C), kernel, stride, padding, dilation
    )
    cols = real_array(cols, "cols")
    expected = (N * H_out * W_out, kh * kw * C)
    _expect_shape(cols, expected, "cols", of="im2col's output here")
    (top, bottom), (left, right) = pads
    Xp = np.zeros((N, H + top + bottom, W + left + right, C), dtype=cols.dtype)
    patches = cols.reshape(N, H_out, W_out, kh, kw, C)
    for a in range(kh):
        rows = slice(a * dh, a * dh + sh * (H_out - 1) + 1, sh)
        for b in range(kw):
            columns = slice(b * dw, b * dw + sw * (W_out - 1) + 1, sw)
            Xp[:, rows, columns, :] += patches[:, :, :, a, b, :]
    return Xp[:, top : top + H, left : left + W, :]


def _conv_inputs(X: Any, W: Any, b: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """Arrays for a convolution, with shapes checked: NHWC ``X``, ``(KH, KW, C_in, C_out)`` ``W``."""
    X, W = _check_images(X), real_array(W, "W")
    if W.ndim != 4:
        raise ValueError(f"W must be (KH, KW, C_in, C_out), got shape {W.shape}")
    for axis, what in enumerate(("rows (KH)", "columns (KW)", "input channels (C_in)",
                                 "output channels (C_out)")):
        if W.shape[axis] == 0:
            raise ValueError(
                f"W has 0 {what}: its shape {W.shape} must be (KH, KW, C_in, C_out) "
                "with every size >= 1"
            )
    if X.shape[3] != W.shape[2]:
        raise ValueError(
            f"X has {X.shape[3]} channels but W expects C_in={W.shape[2]}; "
            "kernels are (KH, KW, C_in, C_out) as in Keras"
        )
    if b is not None and real_array(b, "b").shape != (W.shape[3],):
        raise ValueError(f"b must have shape ({W.shape[3]},), got {np.shape(b)}")
    return X, W


def conv2d(
    X: np.ndarray,
    W: np.ndarray,
    b: np.ndarray | None = None,
    stride: Any = 1,
    padding: Any = "valid",
    dilation: Any = 1,
) -> np.ndarray:
    """2-D cross-correlation as Keras' Conv2D computes it: im2col, one
    matrix product, reshape. Taught in chapter 04.
    """
    X, W = _conv_inputs(X, W, b)
    cols, (H_out, W_out) = im2col(X, W.shape[:2], stride, padding, dilation)
    Y = (cols @ W.reshape(-1, W.shape[3])).reshape(
        X.shape[0], H_out, W_out, W.shape[3]
    )
    return Y if b is None else Y + b


def conv2d_backward(
    dY: np.ndarray,
    X: np.ndarray,
    W: np.ndarray,
    stride: Any = 1,
    padding: Any = "valid",
    dilation: Any = 1,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of conv2d given the upstream gradient dY (shaped like Y).

    With cols = im2col(X) and Z = cols @ W_mat the chain rule gives
    dW = cols.T @ dZ, db = sum(dZ) and dX = col2im(dZ @ W_mat.T).
    Returns (dX, dW, db). Taught in chapter 04.
    """
    X, W = _conv_inputs(X, W)
    dY = real_array(dY, "dY")
    cols, (H_out, W_out) = im2col(X, W.shape[:2], stride, padding, dilation)
    C_out = W.shape[3]
    Y_shape = (X.shape[0], H_out, W_out, C_out)
    _expect_shape(dY, Y_shape, "dY", of="conv2d's output")
    dZ = dY.reshape(-1, C_out)
    dW = (cols.T @ dZ).reshape(W.shape)
    db = dZ.sum(axis=0)
    dX = col2im(
        dZ @ W.reshape(-1, C_out).T, X.shape, W.shape[:2], stride, padding,
        dilation,
    )
    return dX, dW, db


def conv2d_naive(
    X: np.ndarray, W: np.ndarray, b: np.ndarray | None = None, stride: Any = 1,
    padding: Any = "valid", dilation: Any = 1,
) -> np.ndarray:
    """The definition, one output pixel at a time: the slow reference :func:`conv2d` must match."""
    X, W = _conv_inputs(X, W, b)
    (kh, kw), (sh, sw), (dh, dw), pads, (H_out, W_out) = _geometry(X.shape, W.shape[:2], stride, padding, dilation)
    Xp = pad2d(X, pads)
    Y = np.zeros((X.shape[0], H_out, W_out, W.shape[3]), dtype=np.result_type(X, W))
    for i in range(H_out):
        for j in range(W_out):
            patch = Xp[:, i * sh : i * sh + dh * (kh - 1) + 1 : dh, j * sw : j * sw + dw * (kw - 1) + 1 : dw, :]
            Y[:, i, j, :] = np.tensordot(patch, W, axes=([1, 2, 3], [0, 1, 2]))
    return Y if b is None else Y + b


def _pool_args(shape, pool, stride, padding):
    """pool and stride as (h, w) pairs; padding narrower than the window."""
    pool = _pair(pool, "pool")
    stride = pool if stride is None else _pair(stride, "stride")
    pads = _paddings(shape[1], shape[2], pool, stride, padding, (1, 1))
    for (before, after), size, sides in zip(
        pads, pool, (("top", "bottom"), ("left", "right"))
    ):
        for pixels, side in zip((before, after), sides):
            if pixels >= size:
                raise ValueError(
                    f"padding {padding!r} puts {pixels} pixels on the {side}, but the "
                    f"pool window is only {size} wide there: padding must be smaller "
                    "than the pool window, or some windows would see padding alone "
                    "(TensorFlow refuses it too)"
                )
    return pool, stride


def _pool_windows(X, pool, stride, padding, pad_value):
    X = _check_images(X)
    pool, stride = _pool_args(X.shape, pool, stride, padding)
    N, _, _, C = X.shape
    cols, (H_out, W_out) = im2col(X, pool, stride, padding, 1, pad_value=pad_value)
    # (N*H_out*W_out, ph*pw*C) -> (N, H_out, W_out, ph*pw, C): one window per (n, i, j, c)
    return X, pool, stride, cols.reshape(N, H_out, W_out, pool[0] * pool[1], C)


def max_pool2d(
    X: np.ndarray, pool: Any = 2, stride: Any = None, padding: Any = "valid"
) -> tuple[np.ndarray, np.ndarray]:
    """Max pooling (stride defaults to pool). Returns (Y, argmax).

    argmax (shaped like Y) holds, for every output, the flat index of the
    winning pixel in X (np.ravel_multi_index over the NHWC shape), which is
    all the backward pass needs. Padding is filled with -inf, so it never
    wins; where a window holds only -inf, mode="clip" moves the pick off
    the padding to the window's first real pixel, where TensorFlow routes
    the gradient too (its Y there is the lowest float, ours -inf).
    Taught in chapter 04.
    """
    X, pool, stride, win = _pool_windows(X, pool, stride, padding, -np.inf)
    N, H, W, C = X.shape
    Y = win.max(axis=3)
    k = win.argmax(axis=3)  # position inside the window, first max on ties
    _, H_out, W_out, _ = Y.shape
    pads = _paddings(H, W, pool, stride, padding, (1, 1))
    i = np.arange(H_out)[None, :, None, None] * stride[0] - pads[0][0]
    i = i + k // pool[1]
    j = np.arange(W_out)[None, None, :, None] * stride[1] - pads[1][0]
    j = j + k % pool[1]
    n = np.arange(N)[:, None, None, None]
    c = np.arange(C)[None, None, None, :]
    nijc = np.broadcast_arrays(n, i, j, c)
    argmax = np.ravel_multi_index(nijc, X.shape, mode="clip")
    return Y, argmax


def _routing_args(dY, argmax, input_shape):
    """max_pool2d_backward's arguments, checked against each other."""
    dY, argmax = real_array(dY, "dY"), np.asarray(argmax)
    input_shape = _image_shape(input_shape)
    if dY.shape != argmax.shape:
        raise ValueError(
            f"dY {dY.shape} and argmax {argmax.shape} must have the same shape"
        )
    if argmax.dtype.kind not in "iu":
        raise TypeError(
            f"argmax must hold integer indices (max_pool2d's second output), "
            f"got dtype {argmax.dtype}"
        )
    size = int(np.prod(input_shape))
    if argmax.size and (argmax.min() < 0 or argmax.max() >= size):
        bad = argmax.max() if argmax.max() >= size else argmax.min()
        raise ValueError(
            f"argmax points at pixel {bad}, outside input_shape {input_shape} "
            f"({size} pixels): pass the shape of the X given to max_pool2d"
        )
    return dY, argmax, input_shape


def max_pool2d_backward(
    dY: np.ndarray, argmax: np.ndarray, input_shape: tuple[int, ...]
) -> np.ndarray:
    """Route each upstream gradient to the pixel that won its window
    (summing if it won several). Taught in chapter 04.
    """
    dY, argmax, input_shape = _routing_args(dY, argmax, input_shape)
    dtype = dY.dtype if dY.dtype.kind == "f" else np.float32
    dX = np.zeros(int(np.prod(input_shape)), dtype=dtype)
    np.add.at(dX, argmax.ravel(), dY.ravel())
    return dX.reshape(input_shape)


def avg_pool2d(X: np.ndarray, pool: Any = 2, stride: Any = None, padding: Any = "valid") -> np.ndarray:
    """Average pooling (``stride`` defaults to ``pool``).

    With ``"same"`` padding, padded pixels are left out of the average (TensorFlow's rule),
    so a border window divides by the number of real pixels it covers.
    """
    X, pool, stride, win = _pool_windows(X, pool, stride, padding, 0.0)
    counts = _pool_counts(X.shape, pool, stride, padding)
    return win.sum(axis=3) / counts


def _pool_counts(shape, pool, stride, padding):
    ones = np.ones((1, shape[1], shape[2], 1), dtype=np.float64)
    _, _, _, win = _pool_windows(ones, pool, stride, padding, 0.0)
    return win.sum(axis=3)  # (1, H_out, W_out, 1): real pixels under each window


def avg_pool2d_backward(
    dY: np.ndarray, input_shape: tuple[int, int, int, int], pool: Any = 2, stride: Any = None,
    padding: Any = "valid",
) -> np.ndarray:
    """Spread each upstream gradient equally over the real pixels of its window."""
    input_shape = _image_shape(input_shape)
    pool, stride = _pool_args(input_shape, pool, stride, padding)
    counts = _pool_counts(input_shape, pool, stride, padding)
    dY = real_array(dY, "dY")
    N, C = input_shape[0], input_shape[3]
    Y_shape = (N,) + counts.shape[1:3] + (C,)
    _expect_shape(dY, Y_shape, "dY", of="avg_pool2d's output")
    share = np.repeat((dY / counts)[:, :, :, None, :], pool[0] * pool[1], axis=3)
    cols = share.reshape(-1, pool[0] * pool[1] * C)
    return col2im(cols, input_shape, pool, stride, padding)


__all__ = [
    "avg_pool2d", "avg_pool2d_backward", "col2im", "conv2d", "conv2d_backward", "conv2d_naive",
    "im2col", "max_pool2d", "max_pool2d_backward", "pad2d",
]
