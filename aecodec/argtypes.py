"""argparse types that check numbers where they are parsed: a clear usage error, never a traceback later."""

from __future__ import annotations

import argparse
import math


def number(kind: type, low: float | None = None, high: float | None = None, low_open: bool = False):
    """An argparse type: a finite ``kind`` within [low, high] (or (low, high] with ``low_open``)."""
    if low is None:
        wanted = "a number" if kind is float else "an integer"
    elif high is not None:
        wanted = f"in {'(' if low_open else '['}{low:g}, {high:g}]"
    else:
        wanted = f"> {low:g}" if low_open else f">= {low:g}"

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {'a number' if kind is float else 'an integer'}")
        if not math.isfinite(value) or (low is not None and (value <= low if low_open else value < low)) or (
                high is not None and value > high):
            raise argparse.ArgumentTypeError(f"{text!r} must be {wanted}")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in its messages
    return parse


QUALITY = number(float, 1, 100)
POSITIVE = number(float, 0, low_open=True)
NON_NEGATIVE = number(float, 0)
POSITIVE_INT = number(int, 1)
NON_NEGATIVE_INT = number(int, 0)
FRACTION = number(float, 0, 1)
SCALE = number(float, 0, 1, low_open=True)
