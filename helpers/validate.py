"""One rule for the integer and array arguments of the geometry and NumPy layers.

Used by helpers.geometry (chapter 02) and helpers.numpy_cnn (chapter 04), so that
both accept and refuse the same values.

Kernel sizes, strides, dilations, pool sizes, padding widths, shapes, indices and
axes must be true integers: a Python int or a NumPy integer (np.int64 from an
array's shape or from arithmetic on one is fine). Refused with a TypeError that
names the argument:

- bool: True would silently mean 1;
- float, even 2.0: int() would turn stride=1.9 into 1 without a word, so floats
  are refused rather than truncated, as range() and operator.index() do;
- str ("2"), None, Decimal, Fraction and anything else without __index__.

A value below the allowed minimum is a ValueError. Arguments of numpy_cnn that
take an int or an (h, w) pair apply the same rule to each item (int_pair).

Weights and learning rates (helpers.pixels, helpers.explain, helpers.style)
are finite real numbers, >= 0 or > 0 (real_number).

Arrays of numbers must be real: a complex array would otherwise be cast to float
(dropping its imaginary part) or give a complex result (real_array).
"""

from __future__ import annotations

import math
import operator
import reprlib
from typing import Any

import numpy as np

_short = reprlib.Repr()
_short.maxstring = _short.maxother = 40


def _describe(value: Any) -> str:
    """'float 1.9', "str '2'", 'None': the type and a short repr of a value."""
    if value is None:
        return "None"
    return f"{type(value).__name__} {_short.repr(value)}"


def as_int(
    value: Any, name: str, minimum: int | None = None, expected: str = "an int"
) -> int:
    """value as a Python int, or a TypeError/ValueError that names the argument.

    Accepts int and NumPy integers; refuses bool, float (even 2.0), str, None and
    everything else. expected says what is wanted, for the message.
    """
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be {expected}, got {_describe(value)}")
    try:
        number = operator.index(value)
    except TypeError:
        hint = ""
        if isinstance(value, (float, np.floating)):
            hint = " (floats are refused, not truncated: write an int)"
        raise TypeError(
            f"{name} must be {expected}, got {_describe(value)}{hint}"
        ) from None
    if minimum is not None and number < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {number}")
    return number


def positive_int(value: Any, name: str) -> int:
    """as_int with a minimum of 1: sizes, kernels, strides, dilations."""
    return as_int(value, name, 1)


def nonnegative_int(value: Any, name: str) -> int:
    """as_int with a minimum of 0: padding widths, indices."""
    return as_int(value, name, 0)


def real_number(value: Any, name: str, *, positive: bool = False) -> float:
    """A finite int or float (not bool) as a float: >= 0, or > 0 with
    positive=True (weights, learning rates); a ValueError naming it otherwise."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float)) \
            or not math.isfinite(value) or value < 0 or (positive and value == 0):
        wanted = "a positive number" if positive else "a number >= 0"
        raise ValueError(f"{name} must be {wanted}, got {value!r}")
    return float(value)


def int_pair(value: Any, name: str, minimum: int = 1) -> tuple[int, int]:
    """An int (used for both axes) or an (h, w) pair of ints, as (h, w)."""
    if isinstance(value, (list, tuple)) or (
        isinstance(value, np.ndarray) and value.ndim > 0
    ):
        if len(value) != 2:
            raise ValueError(
                f"{name} must be an int or an (h, w) pair, got {_short.repr(value)}"
            )
        return (as_int(value[0], f"{name}[0]", minimum),
                as_int(value[1], f"{name}[1]", minimum))
    number = as_int(value, name, minimum, "an int or an (h, w) pair of ints")
    return number, number


def real_array(value: Any, name: str) -> np.ndarray:
    """np.asarray(value), refused unless it holds real numbers (bool, int, float)."""
    array = np.asarray(value)
    if array.dtype.kind == "c":
        raise TypeError(
            f"{name} must be real, got a complex array ({array.dtype}); pass "
            f"{name}.real if you mean to drop the imaginary part"
        )
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold numbers, got dtype {array.dtype}")
    return array


__all__ = ["as_int", "int_pair", "nonnegative_int", "positive_int", "real_array"]
