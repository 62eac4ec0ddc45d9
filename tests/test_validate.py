"""helpers.validate: one integer rule for helpers.geometry and helpers.numpy_cnn.

The property test at the end draws hostile values (floats, bools, strings, None,
NumPy scalars, Decimals...) and checks that the two modules accept and refuse the
same ones for every kernel-, stride-, dilation-, pool- and padding-like argument.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import geometry
from helpers import numpy_cnn as ncnn
from helpers import validate
from helpers.validate import as_int, int_pair, nonnegative_int, positive_int, real_array


@pytest.mark.parametrize("value", [3, np.int64(3), np.int32(3), np.uint8(3), np.array(3)])
def test_true_integers_are_accepted(value):
    assert as_int(value, "stride") == 3
    assert type(as_int(value, "stride")) is int


@pytest.mark.parametrize("value, shown", [
    (True, "bool True"), (np.bool_(False), "bool"), (1.9, "float 1.9"), (2.0, "float 2.0"),
    (np.float64(2.0), "float64"), ("2", "str '2'"), (None, "None"), (Decimal(2), "Decimal"),
    (Fraction(4, 2), "Fraction"), ([2], "list"),
])
def test_everything_else_is_a_type_error_naming_the_argument(value, shown):
    with pytest.raises(TypeError, match=r"^stride must be an int, got ") as err:
        as_int(value, "stride")
    assert shown in str(err.value)


def test_floats_say_they_are_not_truncated():
    with pytest.raises(TypeError, match="refused, not truncated"):
        as_int(1.9, "dilation")


def test_minimums():
    assert positive_int(1, "kernel") == 1 and nonnegative_int(0, "padding") == 0
    with pytest.raises(ValueError, match=r"kernel must be >= 1, got 0"):
        positive_int(0, "kernel")
    with pytest.raises(ValueError, match=r"padding must be >= 0, got -1"):
        nonnegative_int(-1, "padding")
    with pytest.raises(TypeError, match=r"axis must be 0 or 1, got bool"):
        as_int(True, "axis", expected="0 or 1")


def test_int_pair():
    assert int_pair(2, "pool") == (2, 2)
    assert int_pair((2, np.int64(3)), "pool") == (2, 3)
    assert int_pair(np.array([2, 3]), "pool") == (2, 3)
    assert int_pair([1, 2], "stride") == (1, 2)
    with pytest.raises(ValueError, match=r"pool must be an int or an \(h, w\) pair"):
        int_pair((2, 2, 2), "pool")
    with pytest.raises(TypeError, match=r"stride\[1\] must be an int, got float 1.5"):
        int_pair((1, 1.5), "stride")
    with pytest.raises(TypeError, match=r"stride must be an int or an \(h, w\) pair of ints"):
        int_pair(None, "stride")
    with pytest.raises(ValueError, match=r"stride\[0\] must be >= 1, got 0"):
        int_pair((0, 1), "stride")


def test_real_array():
    assert real_array([1, 2], "X").dtype.kind == "i"
    assert real_array(np.zeros(2, bool), "X").dtype == bool
    with pytest.raises(TypeError, match=r"X must be real.*complex128"):
        real_array(np.ones(2) + 1j, "X")
    with pytest.raises(TypeError, match=r"W must hold numbers, got dtype <U1"):
        real_array(np.array(["a"]), "W")


# --------------------------------------------------------------------------- one rule, two modules


hostile = st.one_of(
    st.integers(-3, 6), st.integers(-3, 6).map(np.int64), st.integers(0, 6).map(np.uint8),
    st.integers(0, 6).map(np.array), st.booleans(), st.booleans().map(np.bool_),
    st.floats(allow_nan=True, allow_infinity=True), st.integers(-2, 6).map(float),
    st.integers(1, 4).map(np.float64), st.integers(1, 4).map(Decimal),
    st.text(max_size=3), st.sampled_from(["2", "1", "same", "valid", "full", "SAME", "half"]),
    st.none(), st.just(Fraction(2, 1)),
)
SIZE = 12  # wide enough that every accepted value up to 6 gives an output
X = np.zeros((1, SIZE, SIZE, 1))
W3 = np.zeros((3, 3, 1, 1))


def outcome(call):
    """'ok' or the exception's type; the message must then name the argument."""
    try:
        call()
    except (TypeError, ValueError) as err:
        return type(err)
    return "ok"


def named(call, name):
    """An argument error names the argument (a kernel too wide for the input is
    not an argument error: it names the sizes instead)."""
    try:
        call()
    except (TypeError, ValueError) as err:
        return name in str(err) or "kernel spans" in str(err)
    return True


@given(value=hostile)
@settings(max_examples=400, deadline=None)
def test_numpy_cnn_and_geometry_accept_and_refuse_the_same_values(value):
    calls = {  # argument -> (geometry's call, numpy_cnn's calls)
        "kernel": (lambda: geometry.conv_output_size(SIZE, value),
                   [lambda: ncnn.im2col(X, value), lambda: ncnn.im2col(X, (value, 1)),
                    lambda: ncnn.col2im(np.zeros((1, 1)), X.shape, value)]),
        "stride": (lambda: geometry.conv_output_size(SIZE, 3, value),
                   [lambda: ncnn.conv2d(X, W3, stride=value),
                    lambda: ncnn.conv2d(X, W3, stride=(1, value))]
                   + ([] if value is None else  # a pool's stride=None means the pool size
                      [lambda: ncnn.max_pool2d(X, 3, value),
                       lambda: ncnn.avg_pool2d(X, 3, value)])),
        "dilation": (lambda: geometry.conv_output_size(SIZE, 3, 1, 0, value),
                     [lambda: ncnn.conv2d(X, W3, dilation=value),
                      lambda: ncnn.conv2d_naive(X, W3, dilation=(value, 1))]),
        "pool": (lambda: geometry.conv_output_size(SIZE, value, value),
                 [lambda: ncnn.max_pool2d(X, value), lambda: ncnn.avg_pool2d(X, value),
                  lambda: ncnn.avg_pool2d(X, (value, 2), (value, 2))]),
        "padding": (lambda: geometry.conv_output_size(SIZE, 3, 1, value),
                    [lambda: ncnn.im2col(X, 3, padding=value),
                     lambda: ncnn.conv2d(X, W3, padding=value)]),
        "padding before": (lambda: geometry.conv_output_size(SIZE, 3, 1, (value, 0)),
                           [lambda: ncnn.conv2d(X, W3, padding=((value, 0), (0, 0))),
                            lambda: ncnn.im2col(X, 3, padding=((0, 0), (value, 1)))]),
    }
    for name, (reference, ours) in calls.items():
        expected = outcome(reference)
        if name == "kernel" and expected == "ok":  # col2im's cols must fit the kernel
            ours = ours[:2]
        for call in ours:
            assert outcome(call) == expected, (name, value)
            assert named(call, name), (name, value)
    # rf_step and the padding of pad2d (ints only: pad2d takes no padding words)
    for name in ("kernel", "stride", "dilation"):
        args = {"kernel": 3, "stride": 1, "dilation": 1, name: value}
        assert outcome(lambda: geometry.rf_step(1, 1, **args)) == outcome(
            lambda: positive_int(value, name)), (name, value)
    if not isinstance(value, str):
        assert outcome(lambda: ncnn.pad2d(X, value)) == outcome(
            lambda: nonnegative_int(value, "padding")), value


@pytest.mark.parametrize("value, positive, expected", [
    (0, False, 0.0), (2, True, 2.0), (0.5, False, 0.5), (np.float64(1e-3), True, 1e-3)])
def test_real_number_accepts(value, positive, expected):
    assert validate.real_number(value, "w", positive=positive) == expected


@pytest.mark.parametrize("value, positive, message", [
    (0, True, "w must be a positive number"), (-1.0, False, "w must be a number >= 0"),
    (float("nan"), False, ">= 0"), (float("inf"), True, "positive"),
    (True, False, ">= 0"), ("1", True, "positive"), (None, False, ">= 0")])
def test_real_number_refuses(value, positive, message):
    with pytest.raises(ValueError, match=message):
        validate.real_number(value, "w", positive=positive)
