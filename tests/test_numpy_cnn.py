"""helpers.numpy_cnn: the NumPy reference layers against TensorFlow (chapter 04).

Property tests draw hundreds of random shapes, strides, paddings and dilations and
compare forward passes with ``tf.nn.conv2d``/``tf.nn.max_pool2d``/``tf.nn.avg_pool2d``
and backward passes with ``tf.GradientTape``. Keras' layers and ``tf.nn.convolution``
refuse a stride > 1 together with a dilation > 1 (an argument check, on every device),
and TensorFlow's CPU kernels cannot differentiate a dilated convolution, so the TF
reference spells dilation out as a wider kernel with zero taps (the same function).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from helpers import numpy_cnn as ncnn
from helpers.geometry import resolve_padding


def _tf():
    import tensorflow as tf

    return tf


def dilate_kernel(tf, W, dh, dw):
    """(KH, KW, C_in, C_out) -> the equivalent undilated kernel with zero taps in between."""
    kh, kw, c_in, c_out = W.shape
    where = [[a * dh, b * dw] for a in range(kh) for b in range(kw)]
    return tf.scatter_nd(where, tf.reshape(W, (kh * kw, c_in, c_out)),
                         (dh * (kh - 1) + 1, dw * (kw - 1) + 1, c_in, c_out))


def tf_padding(padding, H, W, kernel, stride, dilation):
    """TF's own string for valid/same, an explicit list otherwise."""
    if padding in ("valid", "same"):
        return padding.upper()
    top_bottom = resolve_padding(H, kernel[0], stride[0], padding, dilation[0])
    left_right = resolve_padding(W, kernel[1], stride[1], padding, dilation[1])
    return [[0, 0], list(top_bottom), list(left_right), [0, 0]]


conv_cases = st.fixed_dictionaries({
    "n": st.integers(1, 2), "h": st.integers(1, 9), "w": st.integers(1, 9),
    "c_in": st.integers(1, 3), "c_out": st.integers(1, 3),
    "kh": st.integers(1, 4), "kw": st.integers(1, 4),
    "sh": st.integers(1, 3), "sw": st.integers(1, 3),
    "dh": st.integers(1, 3), "dw": st.integers(1, 3),
    "padding": st.sampled_from(["valid", "same", "full", 0, 1, 2]),
    "seed": st.integers(0, 2**16),
})


def _tf_case(case):
    """_conv_setup plus TensorFlow's spelling of the case's padding."""
    X, W, b, stride, dilation = _conv_setup(case)
    pad = tf_padding(case["padding"], X.shape[1], X.shape[2], W.shape[:2], stride, dilation)
    return X, W, b, stride, dilation, pad


def _conv_setup(case):
    kernel, stride = (case["kh"], case["kw"]), (case["sh"], case["sw"])
    dilation = (case["dh"], case["dw"])
    for size, k, d, axis in ((case["h"], case["kh"], case["dh"], 0), (case["w"], case["kw"], case["dw"], 1)):
        before, after = resolve_padding(size, k, stride[axis], case["padding"], d)
        assume(d * (k - 1) + 1 <= size + before + after)
    rng = np.random.default_rng(case["seed"])
    X = rng.standard_normal((case["n"], case["h"], case["w"], case["c_in"]))
    W = rng.standard_normal(kernel + (case["c_in"], case["c_out"]))
    b = rng.standard_normal(case["c_out"])
    return X, W, b, stride, dilation


@given(case=conv_cases)
@settings(max_examples=300)
def test_conv2d_forward_matches_tensorflow(case):
    tf = _tf()
    X, W, b, stride, dilation, pad = _tf_case(case)
    expected = tf.nn.conv2d(X, dilate_kernel(tf, W, *dilation), stride, pad).numpy() + b
    got = ncnn.conv2d(X, W, b, stride, case["padding"], dilation)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)
    if stride == (1, 1):  # TF's native dilation too
        native = tf.nn.conv2d(X, W, 1, pad, dilations=dilation).numpy() + b
        np.testing.assert_allclose(got, native, rtol=1e-10, atol=1e-10)


@given(case=conv_cases)
@settings(max_examples=300)
def test_conv2d_backward_matches_gradient_tape(case):
    tf = _tf()
    X, W, b, stride, dilation, pad = _tf_case(case)
    Y = ncnn.conv2d(X, W, b, stride, case["padding"], dilation)
    dY = np.random.default_rng(case["seed"] + 1).standard_normal(Y.shape)
    Xt, Wt, bt = tf.constant(X), tf.constant(W), tf.constant(b)
    with tf.GradientTape() as tape:
        tape.watch([Xt, Wt, bt])
        Yt = tf.nn.conv2d(Xt, dilate_kernel(tf, Wt, *dilation), stride, pad) + bt
        loss = tf.reduce_sum(Yt * dY)
    gX, gW, gb = tape.gradient(loss, [Xt, Wt, bt])
    dX, dW, db = ncnn.conv2d_backward(dY, X, W, stride, case["padding"], dilation)
    np.testing.assert_allclose(dX, gX.numpy(), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(dW, gW.numpy(), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(db, gb.numpy(), rtol=1e-9, atol=1e-9)


@given(case=conv_cases)
@settings(max_examples=100)
def test_im2col_conv_equals_the_loop_definition(case):
    X, W, b, stride, dilation = _conv_setup(case)
    np.testing.assert_allclose(
        ncnn.conv2d(X, W, b, stride, case["padding"], dilation),
        ncnn.conv2d_naive(X, W, b, stride, case["padding"], dilation), rtol=1e-10, atol=1e-10,
    )


@given(case=conv_cases)
@settings(max_examples=100)
def test_col2im_is_the_adjoint_of_im2col(case):
    """<im2col(X), C> == <X, col2im(C)> for all X, C: the defining property of an adjoint."""
    X, W, _, stride, dilation = _conv_setup(case)
    cols, _ = ncnn.im2col(X, W.shape[:2], stride, case["padding"], dilation)
    C = np.random.default_rng(case["seed"] + 2).standard_normal(cols.shape)
    back = ncnn.col2im(C, X.shape, W.shape[:2], stride, case["padding"], dilation)
    assert back.shape == X.shape
    np.testing.assert_allclose(np.sum(cols * C), np.sum(X * back), rtol=1e-9, atol=1e-9)


pool_cases = st.fixed_dictionaries({
    "n": st.integers(1, 2), "h": st.integers(1, 10), "w": st.integers(1, 10),
    "c": st.integers(1, 3), "ph": st.integers(1, 4), "pw": st.integers(1, 4),
    "sh": st.integers(1, 4), "sw": st.integers(1, 4),
    "padding": st.sampled_from(["valid", "same"]), "seed": st.integers(0, 2**16),
})


@given(case=pool_cases)
@settings(max_examples=300)
def test_pooling_forward_and_backward_match_tensorflow(case):
    tf = _tf()
    pool, stride = (case["ph"], case["pw"]), (case["sh"], case["sw"])
    assume(case["padding"] == "same" or (case["ph"] <= case["h"] and case["pw"] <= case["w"]))
    rng = np.random.default_rng(case["seed"])
    X = rng.standard_normal((case["n"], case["h"], case["w"], case["c"]))  # no ties
    Xt = tf.constant(X)
    pad = case["padding"].upper()
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(Xt)
        M = tf.nn.max_pool2d(Xt, pool, stride, pad)
        A = tf.nn.avg_pool2d(Xt, pool, stride, pad)
        dY = rng.standard_normal(M.shape)
        loss_max, loss_avg = tf.reduce_sum(M * dY), tf.reduce_sum(A * dY)
    Y, argmax = ncnn.max_pool2d(X, pool, stride, case["padding"])
    np.testing.assert_allclose(Y, M.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ncnn.avg_pool2d(X, pool, stride, case["padding"]), A.numpy(),
                               rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ncnn.max_pool2d_backward(dY, argmax, X.shape),
                               tape.gradient(loss_max, Xt).numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(
        ncnn.avg_pool2d_backward(dY, X.shape, pool, stride, case["padding"]),
        tape.gradient(loss_avg, Xt).numpy(), rtol=1e-10, atol=1e-12)


def test_textbook_pooling_and_routing():
    X = np.array([[1, 3, 2, 1], [5, 6, 4, 2], [8, 9, 5, 3], [7, 4, 8, 7]], float)[None, :, :, None]
    Y, argmax = ncnn.max_pool2d(X, 2)
    assert Y[0, :, :, 0].tolist() == [[6, 4], [9, 8]]
    assert ncnn.avg_pool2d(X, 2)[0, :, :, 0].tolist() == [[3.75, 2.25], [7.0, 5.75]]
    x = np.array([[1.0, 2.0], [3.0, 4.0]])[None, :, :, None]
    _, am = ncnn.max_pool2d(x, 2)
    assert ncnn.max_pool2d_backward(np.ones((1, 1, 1, 1)), am, x.shape)[0, :, :, 0].tolist() == [[0, 0], [0, 1]]


def test_corrected_edge_example():
    image = np.array([[1, 1, 1, 0, 0]] * 3 + [[0, 0, 1, 1, 1]] * 2, float)
    kernel = np.array([[1, 0, -1]] * 3, float)
    Y = ncnn.conv2d(image[None, :, :, None], kernel[:, :, None, None])
    assert Y[0, :, :, 0].tolist() == [[0, 3, 3], [-1, 1, 2], [-2, -1, 1]]


def test_bad_arguments_raise_clear_errors():
    X = np.zeros((1, 5, 5, 3))
    with pytest.raises(ValueError, match="channels"):
        ncnn.conv2d(X, np.zeros((3, 3, 2, 4)))
    with pytest.raises(ValueError, match="kernel spans 7"):
        ncnn.conv2d(X, np.zeros((7, 7, 3, 1)))
    with pytest.raises(ValueError, match="4-D NHWC"):
        ncnn.conv2d(np.zeros((5, 5, 3)), np.zeros((3, 3, 3, 1)))
    with pytest.raises(ValueError, match="b must have shape"):
        ncnn.conv2d(X, np.zeros((3, 3, 3, 4)), np.zeros(3))
    with pytest.raises(ValueError, match="stride must be >= 1"):
        ncnn.conv2d(X, np.zeros((3, 3, 3, 1)), stride=0)
    with pytest.raises(ValueError, match="size must be >= 1"):
        ncnn.im2col(np.zeros((1, 0, 5, 1)), 1)
    with pytest.raises(ValueError, match="padding must be >= 0"):
        ncnn.pad2d(X, -1)
    with pytest.raises(ValueError, match="dY has shape"):
        ncnn.conv2d_backward(np.zeros((1, 2, 2, 1)), X, np.zeros((3, 3, 3, 1)))
    with pytest.raises(ValueError, match="cols has shape"):
        ncnn.col2im(np.zeros((4, 4)), X.shape, 3)
    with pytest.raises(ValueError, match="pool must be"):
        ncnn.max_pool2d(X, (2, 2, 2))
    with pytest.raises(ValueError, match="padding must be one of"):
        ncnn.avg_pool2d(X, 2, padding="reflect")


# --------------------------------------------------------------------------- hostile arguments
# Each case below was accepted silently (a truncated int(), a dropped imaginary part,
# NaN) or failed with an error that did not name the argument.

X5 = np.arange(1.0, 26.0).reshape(1, 5, 5, 1)
X3 = np.arange(75.0).reshape(1, 5, 5, 3)
W3 = np.ones((3, 3, 3, 2))


@pytest.mark.parametrize("call, message", [
    (lambda: ncnn.conv2d(X3, W3, stride=1.9), r"stride must be an int.*got float 1\.9"),
    (lambda: ncnn.conv2d(X3, W3, stride=2.0), r"stride must be an int.*got float 2\.0"),
    (lambda: ncnn.conv2d(X3, W3, stride=np.float64(2.0)), r"stride must be an int"),
    (lambda: ncnn.conv2d(X3, W3, stride=True), r"stride must be an int.*got bool True"),
    (lambda: ncnn.conv2d(X3, W3, stride=np.bool_(True)), r"stride must be an int.*bool"),
    (lambda: ncnn.conv2d(X3, W3, stride="2"), r"stride must be an int.*got str '2'"),
    (lambda: ncnn.conv2d(X3, W3, stride=None), r"stride must be an int.*got None"),
    (lambda: ncnn.conv2d(X3, W3, stride=(1, 1.5)), r"stride\[1\] must be an int, got float"),
    (lambda: ncnn.conv2d(X3, W3, dilation=2.7), r"dilation must be an int.*got float 2\.7"),
    (lambda: ncnn.conv2d(X3, W3, dilation=True), r"dilation must be an int.*bool"),
    (lambda: ncnn.conv2d(X3, W3, dilation="2"), r"dilation must be an int.*str"),
    (lambda: ncnn.max_pool2d(X5, 2.9), r"pool must be an int.*got float 2\.9"),
    (lambda: ncnn.avg_pool2d(X5, True), r"pool must be an int.*bool"),
    (lambda: ncnn.avg_pool2d(X5, "2"), r"pool must be an int.*str"),
    (lambda: ncnn.max_pool2d(X5, 2, 1.5), r"stride must be an int.*float"),
    (lambda: ncnn.avg_pool2d_backward(np.ones((1, 2, 2, 1)), X5.shape, 2.0),
     r"pool must be an int.*float"),
    (lambda: ncnn.im2col(X5, 2.5), r"kernel must be an int.*float"),
    (lambda: ncnn.im2col(X5, True), r"kernel must be an int.*bool"),
    (lambda: ncnn.col2im(np.zeros((9, 9)), (1, 5.5, 5, 1), 3), r"input_shape\[1\].*float 5\.5"),
    (lambda: ncnn.col2im(np.zeros((9, 9)), (1, 5, 5, "1"), 3), r"input_shape\[3\].*str"),
    (lambda: ncnn.pad2d(X5, True), r"padding must be an int.*bool"),
    (lambda: ncnn.pad2d(X5, 1.5), r"padding must be an int.*float"),
    (lambda: ncnn.pad2d(X5, None), r"padding must be an int.*None"),
    (lambda: ncnn.pad2d(X5, "same"), r"padding must be an int.*str"),
])
def test_non_integer_arguments_are_refused_naming_the_argument(call, message):
    """The rule of helpers.geometry: int or NumPy int; bool, float (even 2.0), str,
    None refused with a TypeError, never truncated."""
    with pytest.raises(TypeError, match=message):
        call()


def test_numpy_integers_still_work():
    i = np.int64
    Y = ncnn.conv2d(X3, W3, stride=(i(2), 1), dilation=i(1), padding=i(1))
    np.testing.assert_array_equal(Y, ncnn.conv2d(X3, W3, stride=(2, 1), padding=1))
    cols, size = ncnn.im2col(X5, np.array([2, 2]), np.uint8(1))
    assert size == (4, 4) and type(size[0]) is int
    shape = tuple(i(s) for s in X5.shape)
    assert ncnn.col2im(cols, shape, 2).shape == X5.shape
    np.testing.assert_array_equal(ncnn.max_pool2d(X5, i(2))[0], ncnn.max_pool2d(X5, 2)[0])
    assert ncnn.pad2d(X5, (i(1), i(2))).shape == (1, 7, 9, 1)
    assert ncnn.pad2d(X5, np.array([[0, 1], [2, 0]])).shape == (1, 6, 7, 1)


@pytest.mark.parametrize("padding", [((1, 1), (1, 1), (1, 1)), ((0, 0), (1, 1), (1, 1), (0, 0)),
                                     (1, (1, 1)), ((1, 1, 1), (1, 1))])
def test_padding_with_the_wrong_number_of_pairs_is_refused(padding):
    with pytest.raises(ValueError, match=r"padding must be .*\(\(top, bottom\), \(left, right\)\)"):
        ncnn.pad2d(X5, padding)
    for call in (lambda: ncnn.conv2d(X3, W3, padding=padding),
                 lambda: ncnn.max_pool2d(X5, 2, padding=padding)):
        with pytest.raises(ValueError, match=r"\(\(top, bottom\), \(left, right\)\)"):
            call()


@pytest.mark.parametrize("padding, side", [(2, "top"), (3, "top"), (((0, 0), (0, 2)), "right"),
                                           (((0, 5), (0, 0)), "bottom")])
def test_pooling_padding_must_be_smaller_than_the_window(padding, side):
    """TensorFlow refuses it ("Top padding 2 needs to be smaller than the window size 2");
    before, max_pool2d crashed in np.ravel_multi_index and avg_pool2d returned NaN."""
    message = rf"{side}, but the pool window"
    with pytest.raises(ValueError, match=message):
        ncnn.max_pool2d(X5, 2, 1, padding)
    with pytest.raises(ValueError, match=message):
        ncnn.avg_pool2d(X5, 2, 1, padding)
    with pytest.raises(ValueError, match=message):
        ncnn.avg_pool2d_backward(np.ones((1, 8, 8, 1)), X5.shape, 2, 1, padding)
    assert ncnn.max_pool2d(X5, 2, 1, 1)[0].shape == (1, 6, 6, 1)  # 1 < 2 is fine
    assert not np.isnan(ncnn.avg_pool2d(X5, 3, 1, 2)).any()


def test_tensorflow_refuses_pool_padding_as_wide_as_the_window():
    tf = _tf()
    with pytest.raises(tf.errors.InvalidArgumentError, match="smaller than the window"):
        tf.nn.max_pool2d(X5, 2, 1, [[0, 0], [2, 2], [2, 2], [0, 0]])
    assert tf.nn.max_pool2d(X5, 2, 1, [[0, 0], [1, 1], [1, 1], [0, 0]]).shape == (1, 6, 6, 1)


@pytest.mark.parametrize("X, pool, stride, padding", [
    (np.full((1, 3, 3, 1), -np.inf), 3, 1, "same"),
    (np.full((1, 3, 3, 1), -np.inf), 2, 2, "same"),
    (np.full((1, 3, 3, 1), -np.inf), 2, 1, 1),
    (np.full((2, 2, 2, 2), -np.inf), 2, 2, "valid"),
    (np.array([[-np.inf, 5, -np.inf], [-np.inf] * 3, [-np.inf, -np.inf, 2.0]])[None, :, :, None],
     2, 1, 1),
])
def test_max_pool_of_windows_of_minus_infinity_matches_tensorflow(X, pool, stride, padding):
    """A window holding only -inf used to pick a padded pixel, and np.ravel_multi_index
    crashed ("invalid entry in coordinates array"). TensorFlow routes its gradient to
    the window's first real pixel; so do we. Its value is -inf here (np.max, the true
    maximum) where TensorFlow's kernel reports the lowest finite float."""
    tf = _tf()
    Xt = tf.constant(X)
    pad = padding.upper() if isinstance(padding, str) else [[0, 0], [padding] * 2,
                                                            [padding] * 2, [0, 0]]
    with tf.GradientTape() as tape:
        tape.watch(Xt)
        M = tf.nn.max_pool2d(Xt, pool, stride, pad)
        dY = np.arange(1.0, M.numpy().size + 1).reshape(M.shape)
        loss = tf.reduce_sum(M * dY)
    Y, argmax = ncnn.max_pool2d(X, pool, stride, padding)
    lowest = np.finfo(X.dtype).min
    np.testing.assert_array_equal(np.where(Y == -np.inf, lowest, Y), M.numpy())
    np.testing.assert_array_equal(ncnn.max_pool2d_backward(dY, argmax, X.shape),
                                  tape.gradient(loss, Xt).numpy())


def test_zero_output_channels_are_refused():
    with pytest.raises(ValueError, match=r"W has 0 output channels"):
        ncnn.conv2d(X3, np.ones((3, 3, 3, 0)))
    with pytest.raises(ValueError, match=r"W has 0 output channels"):
        ncnn.conv2d_backward(np.ones((1, 3, 3, 0)), X3, np.ones((3, 3, 3, 0)))
    with pytest.raises(ValueError, match=r"W has 0 input channels"):
        ncnn.conv2d(np.ones((1, 5, 5, 0)), np.ones((3, 3, 0, 2)))


@pytest.mark.parametrize("call, name", [
    (lambda: ncnn.conv2d(X3 + 1j, W3), "X"),
    (lambda: ncnn.conv2d(X3, W3 + 1j), "W"),
    (lambda: ncnn.conv2d(X3, W3, np.ones(2) + 1j), "b"),
    (lambda: ncnn.conv2d_naive(X3, W3 + 1j), "W"),
    (lambda: ncnn.conv2d_backward(np.ones((1, 3, 3, 2)) * 1j, X3, W3), "dY"),
    (lambda: ncnn.im2col(X5 + 1j, 2), "X"),
    (lambda: ncnn.col2im(np.zeros((9, 9)) + 1j, (1, 5, 5, 1), 3), "cols"),
    (lambda: ncnn.max_pool2d(X5 + 1j, 2), "X"),
    (lambda: ncnn.avg_pool2d(X5 + 1j, 2), "X"),
    (lambda: ncnn.pad2d(X5 + 1j, 1), "X"),
    (lambda: ncnn.max_pool2d_backward(np.ones((1, 2, 2, 1)) * 1j,
                                      ncnn.max_pool2d(X5, 2)[1], X5.shape), "dY"),
    (lambda: ncnn.avg_pool2d_backward(np.ones((1, 2, 2, 1)) * 1j, X5.shape, 2), "dY"),
])
def test_complex_input_is_refused_naming_the_argument(call, name):
    """Before, X was cast to float32 (imaginary part silently dropped) and a complex W,
    b or dY gave a complex result."""
    with pytest.raises(TypeError, match=rf"^{name} must be real"):
        call()


def test_non_numeric_arrays_are_refused():
    with pytest.raises(TypeError, match=r"X must hold numbers"):
        ncnn.conv2d(np.full((1, 5, 5, 3), "a"), W3)
    # bool and int images are still cast to float32, as before
    assert ncnn.conv2d(X3 > 3, W3).dtype == ncnn.conv2d(X3.astype(int), W3).dtype


def test_backward_passes_check_their_shapes():
    with pytest.raises(ValueError, match=r"dY has shape \(1, 2, 2, 2\), expected \(1, 3, 3, 2\), "
                                         r"the shape of conv2d's output"):
        ncnn.conv2d_backward(np.ones((1, 2, 2, 2)), X3, W3)
    Y, argmax = ncnn.max_pool2d(X5, 2)
    with pytest.raises(ValueError, match=r"dY \(1, 3, 3, 1\) and argmax \(1, 2, 2, 1\)"):
        ncnn.max_pool2d_backward(np.ones((1, 3, 3, 1)), argmax, X5.shape)
    with pytest.raises(ValueError, match=r"argmax points at pixel 18.*input_shape \(1, 2, 2, 1\)"):
        ncnn.max_pool2d_backward(np.ones(Y.shape), argmax, (1, 2, 2, 1))
    with pytest.raises(TypeError, match=r"argmax must hold integer indices"):
        ncnn.max_pool2d_backward(np.ones(Y.shape), argmax.astype(float), X5.shape)
    with pytest.raises(TypeError, match=r"input_shape\[1\] \(H\) must be an int.*float 5\.0"):
        ncnn.max_pool2d_backward(np.ones(Y.shape), argmax, (1, 5.0, 5, 1))
    with pytest.raises(ValueError, match=r"input_shape must be \(N, H, W, C\)"):
        ncnn.avg_pool2d_backward(np.ones((1, 2, 2, 1)), (5, 5, 1), 2)
    with pytest.raises(TypeError, match=r"input_shape\[1\] \(H\) must be an int.*float 5\.5"):
        ncnn.avg_pool2d_backward(np.ones((1, 2, 2, 1)), (1, 5.5, 5, 1), 2)
    with pytest.raises(ValueError, match=r"dY has shape \(1, 3, 3, 1\), expected \(1, 2, 2, 1\)"):
        ncnn.avg_pool2d_backward(np.ones((1, 3, 3, 1)), X5.shape, 2)


@pytest.mark.parametrize("name", ["im2col", "conv2d", "col2im", "conv2d_backward", "max_pool2d",
                                  "max_pool2d_backward"])
def test_functions_chapter_04_displays_fit_the_code_column(name):
    """helpers.show_source refuses lines over 80 characters; docstrings stay plain text."""
    import helpers

    listing = repr(helpers.show_source(getattr(ncnn, name)))
    assert "``" not in listing and ":func:" not in listing and ":mod:" not in listing
