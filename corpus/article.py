"""The article record every stage passes along."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Article"]


@dataclass(frozen=True)
class Article:
    """One news article, cleaned.

    ``text`` is the cleaned body, paragraphs separated by a blank line; every citation offset
    elsewhere in the project points into this string. ``date`` is ISO 8601 (``YYYY-MM-DD`` or a
    full timestamp) or None when the input had none or it could not be parsed. ``id`` is the id the
    input gave, else one derived from the content (stable across runs).
    """

    id: str
    title: str | None
    text: str
    date: str | None = None
    source: str | None = None
    url: str | None = None
    extra: tuple[tuple[str, str], ...] = field(default=())
