"""Reference CNN layers in plain NumPy, forward and backward, NHWC.

Taught in chapter 04 (a CNN from scratch in NumPy), which displays this source and
checks every function against Keras/TensorFlow; chapter 03 uses the pooling pair to
show how gradients are routed. Later chapters use them as ground truth.

Shapes: images ``X`` are ``(N, H, W, C)``; kernels ``W`` are Keras-ordered
``(KH, KW, C_in, C_out)``; biases ``(C_out,)``. ``stride``, ``dilation`` and
``pool`` take an int or an ``(h, w)`` pair; ``padding`` takes ``"valid"``,
``"same"`` (TensorFlow's rule), ``"full"``, an int, or ``((top, bottom), (left, right))``.
The im2col column order is ``(kh, kw, c)``, the order of ``W.reshape(-1, C_out)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from helpers.geometry import Padding, conv_output_size, resolve_padding


def _pair(value: Any, name: str) -> tuple[int, int]:
    if isinstance(value, (list, tuple, np.ndarray)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or an (h, w) pair, got {value!r}")
        return int(value[0]), int(value[1])
    return int(value), int(value)


def _check_images(X: np.ndarray, name: str = "X") -> np.ndarray:
    X = np.asarray(X)
    if X.ndim != 4:
        raise ValueError(f"{name} must be a 4-D NHWC array (N, H, W, C), got shape {X.shape}")
    if not np.issubdtype(X.dtype, np.floating):
        X = X.astype(np.float32)
    return X


def _paddings(
    H: int, W: int, kernel: tuple[int, int], stride: tuple[int, int], padding: Any,
    dilation: tuple[int, int],
) -> tuple[tuple[int, int], tuple[int, int]]:
    """Explicit ((top, bottom), (left, right)) for a 2-D padding spec."""
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
    if isinstance(padding, (int, np.integer)):
        pads = ((padding, padding), (padding, padding))
    elif len(padding) == 2 and all(isinstance(p, (int, np.integer)) for p in padding):
        pads = ((padding[0], padding[0]), (padding[1], padding[1]))
    else:
        pads = (tuple(padding[0]), tuple(padding[1]))
    if min(min(p) for p in pads) < 0:
        raise ValueError(f"padding must be non-negative, got {padding!r}")
    return np.pad(X, ((0, 0), pads[0], pads[1], (0, 0)), constant_values=value)


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
    if len(input_shape) != 4:
        raise ValueError(
            f"input_shape must be (N, H, W, C), got {input_shape!r}"
        )
    N, H, W, C = (int(s) for s in input_shape)
    (kh, kw), (sh, sw), (dh, dw), pads, (H_out, W_out) = _geometry(
        (N, H, W, C), kernel, stride, padding, dilation
    )
    cols = np.asarray(cols)
    expected = (N * H_out * W_out, kh * kw * C)
    if cols.shape != expected:
        raise ValueError(
            f"cols has shape {cols.shape}, expected {expected} "
            "for these arguments"
        )
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
    X, W = _check_images(X), np.asarray(W)
    if W.ndim != 4:
        raise ValueError(f"W must be (KH, KW, C_in, C_out), got shape {W.shape}")
    if X.shape[3] != W.shape[2]:
        raise ValueError(
            f"X has {X.shape[3]} channels but W expects C_in={W.shape[2]}; "
            "kernels are (KH, KW, C_in, C_out) as in Keras"
        )
    if b is not None and np.shape(b) != (W.shape[3],):
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
    dY = np.asarray(dY)
    cols, (H_out, W_out) = im2col(X, W.shape[:2], stride, padding, dilation)
    C_out = W.shape[3]
    if dY.shape != (X.shape[0], H_out, W_out, C_out):
        raise ValueError(
            f"dY has shape {dY.shape}, "
            f"expected {(X.shape[0], H_out, W_out, C_out)}"
        )
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


def _pool_windows(X, pool, stride, padding, pad_value):
    X = _check_images(X)
    pool = _pair(pool, "pool")
    stride = pool if stride is None else _pair(stride, "stride")
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
    all the backward pass needs. "same" padding is filled with -inf and
    never wins. Taught in chapter 04.
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
    argmax = np.ravel_multi_index(np.broadcast_arrays(n, i, j, c), X.shape)
    return Y, argmax


def max_pool2d_backward(
    dY: np.ndarray, argmax: np.ndarray, input_shape: tuple[int, ...]
) -> np.ndarray:
    """Route each upstream gradient to the pixel that won its window
    (summing if it won several). Taught in chapter 04.
    """
    dY, argmax = np.asarray(dY), np.asarray(argmax)
    if dY.shape != argmax.shape:
        raise ValueError(
            f"dY {dY.shape} and argmax {argmax.shape} must have the same shape"
        )
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
    pool = _pair(pool, "pool")
    stride = pool if stride is None else _pair(stride, "stride")
    counts = _pool_counts(input_shape, pool, stride, padding)
    dY = np.asarray(dY)
    N, C = input_shape[0], input_shape[3]
    if dY.shape != (N,) + counts.shape[1:3] + (C,):
        raise ValueError(f"dY has shape {dY.shape}, expected {(N,) + counts.shape[1:3] + (C,)}")
    share = np.repeat((dY / counts)[:, :, :, None, :], pool[0] * pool[1], axis=3)
    cols = share.reshape(-1, pool[0] * pool[1] * C)
    return col2im(cols, input_shape, pool, stride, padding)


__all__ = [
    "avg_pool2d", "avg_pool2d_backward", "col2im", "conv2d", "conv2d_backward", "conv2d_naive",
    "im2col", "max_pool2d", "max_pool2d_backward", "pad2d",
]
