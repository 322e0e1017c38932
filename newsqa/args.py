"""Argument types the ``newsqa`` commands share: a bad value is a usage error (exit 2) naming it."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from assistant.filters import FilterError, date_bound, day

__all__ = ["date_from", "date_to", "iso_day", "positive_int"]


def positive_int(text: str) -> int:
    """A whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _checked(check: Callable[[str], str]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        try:
            return check(text)
        except FilterError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse


date_from = _checked(lambda text: date_bound(text, ""))
date_from.__name__ = "date"  # argparse names the type in its message
date_to = _checked(lambda text: date_bound(text, "", end=True))
date_to.__name__ = "date"
iso_day = _checked(lambda text: day(text, ""))
iso_day.__name__ = "date"
