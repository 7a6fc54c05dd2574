"""Argument checks shared by every stage of the package."""

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
