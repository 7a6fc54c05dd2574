"""Argument checks shared by every stage of the package."""

import math
import numbers


def check_positive_int(name, value):
    """`int(value)`, or a ValueError naming `name` and echoing `value`.

    Booleans are refused although Python counts them as integers.
    """
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Integral)
        or value <= 0
    ):
        raise ValueError(
            f"`{name}` must be a positive integer. Received: {name}={value!r}"
        )
    return int(value)


def check_positive_number(name, value):
    """`float(value)` of a finite real number > 0, or a ValueError naming
    `name` and echoing `value`. Booleans are refused."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ValueError(
            f"`{name}` must be a finite number > 0. Received: {name}={value!r}"
        )
    return float(value)
