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

Weights, learning rates, probabilities and amounts (helpers.pixels, explain,
style, augment, training, model_stats) are finite real numbers: Python or NumPy
ints and floats, never bool (finite_number; >= 0 or > 0: real_number).

Images entering the helpers of chapters 05-14 hold finite values (finite_array;
float_tensor also casts integer images to float32 so that sums of squares
neither wrap nor truncate), lie in the range the function works in
(value_range_of), and a size whose arrays could not fit in memory is refused
with the estimate before anything is allocated (check_allocation).

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


def finite_number(value: Any, name: str) -> float:
    """A finite real number as a float: a Python or NumPy int or float, not a
    bool (True would silently mean 1); a ValueError naming it otherwise."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(
            value, (int, float, np.integer, np.floating)) \
            or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got "
                         f"{_describe(value)}")
    return float(value)


def real_number(value: Any, name: str, *, positive: bool = False) -> float:
    """A finite int or float (Python or NumPy, not bool) as a float: >= 0, or
    > 0 with positive=True (weights, learning rates); a ValueError naming it
    otherwise."""
    wanted = "a positive number" if positive else "a number >= 0"
    try:
        number = finite_number(value, name)
    except ValueError:
        raise ValueError(f"{name} must be {wanted}, got {_describe(value)}"
                         ) from None
    if number < 0 or (positive and number == 0):
        raise ValueError(f"{name} must be {wanted}, got {number!r}")
    return number


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


def finite_array(value: Any, name: str) -> np.ndarray:
    """real_array, refused if it holds NaN or infinite values."""
    array = real_array(value, name)
    if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
        bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise ValueError(f"{name} holds {bad} NaN or infinite values; find "
                         "where they come from (a division by zero?) first")
    return array


def float_tensor(value: Any, name: str):
    """A tensor of real numbers as a floating tensor: integer images are cast
    to float32 (so squares and sums neither wrap nor truncate); bool, complex
    and strings are refused, and so are NaN and infinities whenever the
    values are known (eagerly; inside a traced function they are not)."""
    import tensorflow as tf

    if not tf.is_tensor(value):
        value = finite_array(value, name)
        if value.dtype.kind == "b":
            raise TypeError(f"{name} must hold numbers, got booleans")
    tensor = tf.convert_to_tensor(value)
    dtype = tensor.dtype
    if dtype.is_bool or dtype.is_complex or not (dtype.is_integer
                                                  or dtype.is_floating):
        raise TypeError(f"{name} must hold real numbers, got {dtype.name}")
    if not dtype.is_floating:
        tensor = tf.cast(tensor, tf.float32)
    elif tf.executing_eagerly() and hasattr(tensor, "numpy") and \
            not bool(tf.reduce_all(tf.math.is_finite(tensor))):
        finite_array(tensor.numpy(), name)  # raises, with the count
    return tensor


def value_range_of(array: Any, value_range, name: str) -> None:
    """Refuse ``array`` unless its values lie in ``value_range`` (low, high);
    the message names the argument and the range found."""
    low, high = value_range
    values = np.asarray(array)
    if values.size == 0:
        return
    found = (float(np.min(values)), float(np.max(values)))
    if found[0] < low or found[1] > high:
        raise ValueError(
            f"{name} has values in [{found[0]:g}, {found[1]:g}], outside "
            f"value_range ({low:g}, {high:g}): scale it to that range, or "
            "pass the value_range it is in")


def memory_budget() -> int:
    """Bytes this machine can give a new array: MemAvailable, else RAM."""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import os

    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 2**63 - 1


def check_allocation(nbytes: int, what: str) -> None:
    """Refuse to build ``what`` if its ``nbytes`` exceed what memory can
    hold, before trying: a ValueError with the estimate."""
    budget = memory_budget()
    if nbytes > budget:
        raise ValueError(
            f"{what} would need about {nbytes / 2**30:,.1f} GiB, more than "
            f"the {budget / 2**30:,.1f} GiB of memory available here: "
            "choose a smaller size")


__all__ = ["as_int", "check_allocation", "finite_array", "finite_number",
           "float_tensor", "int_pair", "memory_budget", "nonnegative_int",
           "positive_int", "real_array", "real_number", "value_range_of"]
