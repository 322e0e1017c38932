"""Split article text into overlapping, sentence-aligned chunks with exact character offsets."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from langchain_text_splitters import RecursiveCharacterTextSplitter

__all__ = ["Chunk", "Chunker"]

logger = logging.getLogger(__name__)

# Tried in order: paragraphs, lines, sentence ends (a stop, then space, then a capital, digit or
# quote), clause ends, words. Splitting on sentence ends before clauses keeps chunks made of whole
# sentences whenever a paragraph is longer than one chunk.
_SEPARATORS = [
    "\n\n",
    "\n",
    r"(?<=[.!?\"'”’)\]])\s+(?=[\"'“‘(\[A-Z0-9])",
    r"(?<=[;:,])\s+",
    " ",
    "",
]


@dataclass(frozen=True)
class Chunk:
    """A passage of an article: ``article_text[start:end] == text``."""

    ordinal: int
    start: int
    end: int
    text: str


class Chunker:
    """Packs sentences into chunks of at most ``chunk_size`` length units, overlapping by about
    ``chunk_overlap`` units, using langchain-text-splitters.

    ``length`` measures text: pass a tokenizer-based counter (see :meth:`for_tokenizer`) so chunks fit
    the embedding model's window; the default counts words, which needs no model.
    """

    def __init__(
        self,
        chunk_size: int = 200,
        chunk_overlap: int = 40,
        length: Callable[[str], int] | None = None,
    ) -> None:
        if chunk_size < 1:
            raise ValueError("chunk_size must be greater than 0.")
        if not 0 <= chunk_overlap < chunk_size:
            raise ValueError("chunk_overlap must be at least 0 and smaller than chunk_size.")
        self.chunk_size = chunk_size
        self.chunk_overlap = chunk_overlap
        self._splitter = RecursiveCharacterTextSplitter(
            chunk_size=chunk_size,
            chunk_overlap=chunk_overlap,
            length_function=length or _count_words,
            separators=_SEPARATORS,
            is_separator_regex=True,
            keep_separator="end",
            strip_whitespace=True,
        )

    @classmethod
    def for_tokenizer(cls, tokenizer_path: str, chunk_size: int = 200, chunk_overlap: int = 40) -> Chunker:
        """A chunker measuring length in the tokens of the ``tokenizer.json`` in ``tokenizer_path``."""
        from tokenizers import Tokenizer  # only needed for token-aware splitting

        tokenizer = Tokenizer.from_file(f"{tokenizer_path}/tokenizer.json")
        tokenizer.no_truncation()
        tokenizer.no_padding()

        def count(text: str) -> int:
            return len(tokenizer.encode(text, add_special_tokens=False).ids)

        return cls(chunk_size, chunk_overlap, length=count)

    def split(self, text: str) -> list[Chunk]:
        """Chunks in reading order. Offsets are found in ``text`` itself, so they are exact."""
        chunks: list[Chunk] = []
        position = 0
        for piece in self._splitter.split_text(text):
            start = text.find(piece, position)
            if start < 0:  # the splitter only ever returns substrings; guard the invariant anyway
                logger.warning("chunk not found in its text, skipped: %.60r", piece)
                continue
            chunks.append(Chunk(len(chunks), start, start + len(piece), piece))
            position = start + 1
        return chunks


def _count_words(text: str) -> int:
    return len(text.split())
