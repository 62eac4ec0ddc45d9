"""helpers.geometry: output sizes, padding and receptive fields (chapter 02)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from helpers import numpy_cnn as ncnn
from helpers.geometry import (
    conv_output_size, effective_kernel, num_windows_covering, receptive_field, resolve_padding,
    rf_step,
)


def test_textbook_examples():
    assert conv_output_size(28, 3, stride=2, padding=1) == 14
    assert conv_output_size(28, 5) == 24
    assert conv_output_size(7, 3, padding="full") == 9
    assert effective_kernel(3, 2) == 5
    assert resolve_padding(5, 2, 1, "same") == (0, 1)  # the odd pixel goes after


@given(
    size=st.integers(1, 40), kernel=st.integers(1, 7), stride=st.integers(1, 4),
    dilation=st.integers(1, 3), padding=st.sampled_from(["valid", "same"]),
)
@settings(max_examples=300)
def test_output_size_matches_tensorflow(size, kernel, stride, dilation, padding):
    import tensorflow as tf

    span = effective_kernel(kernel, dilation)
    assume(padding == "same" or span <= size)
    x = tf.zeros((1, size, 1, 1))
    w = tf.zeros((span, 1, 1, 1))  # a dilated kernel is a wider kernel with zero taps
    y = tf.nn.conv2d(x, w, strides=(stride, 1), padding=padding.upper())
    assert conv_output_size(size, kernel, stride, padding, dilation) == y.shape[1]


@given(
    size=st.integers(1, 30), kernel=st.integers(1, 6), stride=st.integers(1, 4),
    before=st.integers(0, 4), after=st.integers(0, 4),
)
@settings(max_examples=200)
def test_explicit_padding_matches_tensorflow(size, kernel, stride, before, after):
    import tensorflow as tf

    assume(kernel <= size + before + after)
    y = tf.nn.conv2d(
        tf.zeros((1, size, 1, 1)), tf.zeros((kernel, 1, 1, 1)), strides=(stride, 1),
        padding=[[0, 0], [before, after], [0, 0], [0, 0]],
    )
    assert conv_output_size(size, kernel, stride, (before, after)) == y.shape[1]


@pytest.mark.parametrize(
    "args, message",
    [
        ((-3, 3), "size must be >= 1"),
        ((28, 0), "kernel must be >= 1"),
        ((28, 3, 0), "stride must be >= 1"),
        ((28, 3, 1, -1), "padding must be >= 0"),
        ((28, 3, 1, 0, 0), "dilation must be >= 1"),
        ((4, 7), "kernel spans 7 pixels"),
        ((4, 3, 1, 0, 2), "kernel spans 5 pixels"),
        ((28, 3, 1, "half"), "padding must be one of"),
        ((28, 3, 1, (1, 2, 3)), "before, after"),
    ],
)
def test_bad_arguments_raise_clear_errors(args, message):
    with pytest.raises(ValueError, match=message):
        conv_output_size(*args)


def test_non_integers_are_type_errors():
    with pytest.raises(TypeError):
        conv_output_size(28.0, 3)
    with pytest.raises(TypeError):
        conv_output_size(28, True)


def test_receptive_field_tables_of_the_syllabus():
    simple_cnn = [(3, 1, 1, "same"), (2, 2), (3, 1, 1, "same"), (2, 2)]
    assert [r.rf for r in receptive_field(simple_cnn)] == [3, 4, 8, 10]
    stacks = {
        "5x5": ([(5, 1)], 5), "two 3x3": ([(3, 1)] * 2, 5), "three 3x3": ([(3, 1)] * 3, 7),
        "7x7": ([(7, 1)], 7), "3x3 s2 + 3x3": ([(3, 2), (3, 1)], 7),
    }
    for name, (layers, rf) in stacks.items():
        assert receptive_field(layers)[-1].rf == rf, name
    assert receptive_field([(3, 1, 2)])[-1].rf == 5  # dilation widens, no new weights


def test_receptive_field_of_a_keras_model():
    import keras

    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.BatchNormalization(),
        keras.layers.Conv2D(64, 3, padding="same"),
        keras.layers.ReLU(),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(10),
    ])
    rows = receptive_field(model)
    assert [r.rf for r in rows] == [3, 4, 8, 10]
    assert [r.size for r in rows] == [28, 14, 14, 7]
    assert rows[-1].window(3) == (9, 18)
    assert receptive_field(model.layers)[-1].rf == 10


def test_receptive_field_rejects_what_it_cannot_follow():
    import keras

    inp = keras.Input((16, 16, 3))
    a = keras.layers.Conv2D(4, 3)(inp)
    b = keras.layers.Conv2D(4, 3, strides=2)(inp)
    misaligned = keras.Model(inp, keras.layers.Concatenate()([a, a]))
    assert receptive_field(misaligned)[-1].rf == 3
    small = keras.Input((7, 7, 3))     # stride 1 so far, joined to stride 2
    joined = keras.layers.Concatenate()([b, small])
    with pytest.raises(ValueError, match="not aligned"):
        receptive_field(keras.Model([inp, small], joined))
    with pytest.raises(ValueError, match="does not know how"):
        receptive_field([keras.layers.UpSampling2D()])
    with pytest.raises(TypeError):
        receptive_field("conv3x3")
    with pytest.raises(ValueError, match="kernel"):
        receptive_field([(3, 1, 1, 0, 9)])


layer_strategy = st.one_of(
    st.tuples(st.just("conv"), st.integers(1, 4), st.integers(1, 2), st.integers(1, 3),
              st.sampled_from(["valid", "same", 0, 1])),
    st.tuples(st.just("pool"), st.integers(2, 3), st.integers(1, 3), st.just(1),
              st.sampled_from(["valid", "same"])),
)


@given(layers=st.lists(layer_strategy, min_size=1, max_size=4), size=st.integers(12, 40),
       where=st.floats(0, 1))
@settings(max_examples=200)
def test_analytic_window_equals_gradient_support(layers, size, where):
    """Backpropagate a one-hot gradient from one output unit: the non-zero input pixels
    lie inside the analytic window. For a unit whose window lies inside the image they
    reach both ends, and fill it unless a dilation or a stride larger than the kernel
    leaves holes."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, size, size, 1))
    shapes, kernels, current = [], [], x
    try:
        rows = receptive_field([(k, s, d, p) for _, k, s, d, p in layers], input_size=size)
    except ValueError:
        assume(False)
    for kind, k, s, d, p in layers:
        shapes.append(current.shape)
        if kind == "conv":
            w = rng.uniform(0.5, 1.5, (k, k, 1, 1))  # positive: no accidental cancellation
            kernels.append(w)
            current = ncnn.conv2d(current, w, None, s, p, d)
        else:
            kernels.append(None)
            current = ncnn.avg_pool2d(current, k, s, p)
    out = current.shape[1]
    i = min(int(where * out), out - 1)
    grad = np.zeros_like(current)
    grad[0, i, i, 0] = 1.0
    for (kind, k, s, d, p), shape, w in zip(reversed(layers), reversed(shapes), reversed(kernels)):
        if kind == "conv":
            grad = ncnn.conv2d_backward(grad, np.zeros(shape), w, s, p, d)[0]
        else:
            grad = ncnn.avg_pool2d_backward(grad, shape, k, s, p)
    first, last = rows[-1].window(i)
    expected = np.zeros(size, bool)
    expected[max(first, 0) : min(last, size - 1) + 1] = True
    assert rows[-1].size == out
    row_support = np.abs(grad[0, :, :, 0]).sum(axis=1) > 0
    assert not np.any(row_support & ~expected), "gradient reached outside the window"
    if first < 0 or last >= size:
        return  # the unit also sees padding; the window is then only an upper bound
    assert row_support[first] and row_support[last], "the outermost taps must reach the ends"
    if all(d == 1 and s <= k for _, k, s, d, _ in layers):
        np.testing.assert_array_equal(row_support, expected)  # holes need D > 1 or S > K


def test_overlapping_pooling_coverage():
    assert num_windows_covering(8, 2, 2) == [1] * 8
    assert num_windows_covering(13, 3, 2) == [1, 1] + [2, 1] * 5 + [1]


# --------------------------------------------------------------------------- hostile arguments


@pytest.mark.parametrize("spec, key", [
    ({"kernel": 3, "strides": 2}, "strides"), ({"kernel": 3, "dilation_rate": 2}, "dilation_rate"),
    ({"kernel": 3, "pading": 1}, "pading"), ({"kernel_size": 3}, "kernel_size"),
])
def test_layer_dicts_with_unknown_keys_are_refused(spec, key):
    """Before, {'kernel': 3, 'strides': 2} silently meant stride 1: a wrong table."""
    with pytest.raises(ValueError, match=rf"unknown key.*'{key}'.*allowed keys are 'kernel', "
                                         r"'stride', 'dilation', 'padding', 'name'"):
        receptive_field([spec, {"kernel": 3}])


def test_a_misspelt_key_gets_a_suggestion():
    with pytest.raises(ValueError, match=r"did you mean 'stride'"):
        receptive_field([{"kernel": 3, "strides": 2}])
    rows = receptive_field([{"kernel": 3, "stride": 2, "dilation": 1, "padding": 0, "name": "a"},
                            {"kernel": 3}])
    assert [r.rf for r in rows] == [3, 7] and rows[0].name == "a"


@pytest.mark.parametrize("args, error, message", [
    ((1, 1, 0), ValueError, "kernel must be >= 1, got 0"),
    ((1, 1, -1), ValueError, "kernel must be >= 1, got -1"),
    ((1, 1, 2.5), TypeError, "kernel must be an int, got float 2.5"),
    ((1, 1, 3.0), TypeError, "kernel must be an int, got float 3.0"),
    ((1, 1, True), TypeError, "kernel must be an int, got bool"),
    ((1, 1, 3, 0), ValueError, "stride must be >= 1, got 0"),
    ((1, 1, 3, -2), ValueError, "stride must be >= 1, got -2"),
    ((1, 1, 3, 1.5), TypeError, "stride must be an int, got float 1.5"),
    ((1, 1, 3, 1, 0), ValueError, "dilation must be >= 1, got 0"),
    ((1, 1, 3, 1, 1.5), TypeError, "dilation must be an int, got float 1.5"),
    ((0, 1, 3), ValueError, "rf must be >= 1, got 0"),
    ((1, 0, 3), ValueError, "jump must be >= 1, got 0"),
    ((1.0, 1, 3), TypeError, "rf must be an int, got float"),
    ((1, "1", 3), TypeError, "jump must be an int, got str"),
])
def test_rf_step_refuses_nonsense(args, error, message):
    with pytest.raises(error, match=f"^{message}"):
        rf_step(*args)


def test_rf_step_still_computes_the_same():
    assert rf_step(1, 1, 3) == (3, 1)
    assert rf_step(4, 2, 3, 2, 1) == (8, 4)
    out = rf_step(np.int64(1), np.int64(1), np.int64(3), np.int64(2), np.int64(2))
    assert out == (5, 2) and isinstance(out[0], np.int64)  # types pass through as before


@pytest.mark.parametrize("index, error, message", [
    (-5, ValueError, "index must be >= 0, got -5"),
    (-1, ValueError, "index must be >= 0, got -1"),
    (2.5, TypeError, "index must be an int, got float 2.5"),
    (2.0, TypeError, "index must be an int, got float"),
    (True, TypeError, "index must be an int, got bool"),
    ("1", TypeError, "index must be an int, got str"),
    (3, ValueError, r"index must be < 3, the number of outputs of layer 2"),
    (100, ValueError, r"index must be < 3"),
])
def test_window_refuses_indices_that_are_not_outputs(index, error, message):
    row = receptive_field([(3, 1), (2, 2)], input_size=8)[-1]
    assert row.size == 3 and row.window(2) == (4, 7) and row.window(np.int64(0)) == (0, 3)
    with pytest.raises(error, match=f"^{message}"):
        row.window(index)


def test_window_without_a_known_size_has_no_upper_bound():
    row = receptive_field([(3, 1), (2, 2)])[-1]
    assert row.size is None and row.window(100) == (200, 203)


@pytest.mark.parametrize("axis, error", [(True, TypeError), (False, TypeError), (1.0, TypeError),
                                         (0.0, TypeError), ("0", TypeError), (2, ValueError),
                                         (-1, ValueError), (None, TypeError)])
def test_receptive_field_axis_must_be_0_or_1(axis, error):
    with pytest.raises(error, match=r"^axis must be 0 \(height\) or 1 \(width\)"):
        receptive_field([(3, 1)], axis=axis)


def test_receptive_field_accepts_numpy_integers():
    assert receptive_field([(3, 1)], axis=np.int64(1))[-1].rf == 3
    assert [r.rf for r in receptive_field([np.int64(3), (np.int64(2), np.int64(2))])] == [3, 4]
    with pytest.raises(TypeError, match="got bool"):
        receptive_field([np.bool_(True)])


@pytest.mark.parametrize("value, shown", [(2.0, "float 2.0"), (None, "None"), (True, "bool"),
                                          ("2", "str '2'"), (np.float64(2), "float64")])
def test_geometry_type_errors_show_the_value(value, shown):
    with pytest.raises(TypeError, match=r"^stride must be an int, got ") as err:
        conv_output_size(28, 3, value)
    assert shown in str(err.value)


@pytest.mark.parametrize("function", [conv_output_size, rf_step])
def test_functions_chapter_02_displays_fit_the_code_column(function):
    import helpers

    listing = repr(helpers.show_source(function))
    assert "``" not in listing and ":func:" not in listing


def _gradient_extent(model, size):
    """Receptive field measured: the rows of the input whose pixels change the
    centre unit of the last spatial layer (positive weights, so no cancelling)."""
    import keras
    import tensorflow as tf

    for layer in model.layers:
        if layer.weights:
            layer.set_weights([np.full(w.shape, 0.1, "float32")
                               for w in layer.get_weights()])
    x = tf.ones((1, size, size, 1))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = model(x)
        unit = y[0, y.shape[1] // 2, y.shape[2] // 2, 0]
    rows = np.nonzero(np.abs(tape.gradient(unit, x).numpy()[0, :, :, 0]).sum(1))[0]
    return rows.max() - rows.min() + 1, rows.min()


def test_branched_receptive_field_matches_the_gradient():
    import keras
    from keras import layers

    inp = keras.Input((64, 64, 1))
    x = layers.Conv2D(2, 3, padding="same")(inp)
    a = layers.Conv2D(2, 5, padding="same")(x)          # branch with a 5x5
    b = layers.AveragePooling2D(3, strides=1, padding="same")(x)
    b = layers.Conv2D(2, 1)(b)
    x = layers.Concatenate()([a, b])                     # Inception-like join
    y = layers.Conv2D(2, 3, strides=2, padding="same")(x)
    s = layers.Conv2D(2, 1, strides=2)(x)                # projection shortcut
    x = layers.Add()([y, s])
    x = layers.Conv2D(2, 7, dilation_rate=2, padding="same")(x)
    model = keras.Model(inp, layers.Add()([x, layers.Conv2D(2, 1)(x)]))
    rows = receptive_field(model)
    extent, first = _gradient_extent(model, 64)
    last = rows[-1]
    assert last.rf == extent
    centre = (model.output.shape[1] // 2)
    assert last.window(centre)[0] == first
    assert rows[-1].name == model.layers[-1].name   # the output is the last row
    # a chain model still follows the chain code path
    chain = keras.Sequential([keras.Input((32, 32, 1)), layers.Conv2D(1, 3),
                              layers.MaxPooling2D(2), layers.Conv2D(1, 3)])
    assert [r.rf for r in receptive_field(chain)] == [3, 4, 8]


def test_branched_receptive_field_of_resnet50_grows_past_the_input():
    from helpers import models

    rows = receptive_field(models.resnet50())
    assert rows[-1].name == "conv5_block3_add"
    assert rows[-1].jump == 32 and rows[-1].rf > 224
