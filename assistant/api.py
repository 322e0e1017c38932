"""The Python API: load an index once, then ask questions and search."""

from __future__ import annotations

import functools
import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from assistant.answer import SentenceScoring, build_answer, candidates
from assistant.chat import Conversation, Turn, resolve
from assistant.dates import date_mentions
from assistant.filters import match_sources
from assistant.phrase import answer_phrase, typed_order
from assistant.question import Question
from assistant.reader import Reader, reread
from assistant.records import Answer, AskSettings, Citation, Correction, Filters, Hit
from assistant.retrieve import FusionWeights, Retriever
from assistant.spelling import corrected, spelling_corrections, without_possessive
from assistant.support import (
    Support,
    published_year,
    question_support,
    unstated_years,
    year_of,
)
from assistant.synonyms import neighbours
from assistant.terms import checked_words
from index.backend import TermStatistics
from index.embed import CachedEmbedder, Embedder, OnnxEmbedder, SentenceTransformerEmbedder, cache_dir
from index.errors import IndexMismatchError
from index.location import OpenIndex, open_index
from index.store import Stats

__all__ = ["Assistant"]

logger = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 2000  # longer questions are cut: nothing useful is that long, and time stays bounded


class Assistant:
    """Answers questions over one index. Build it with :meth:`load`; ``__init__`` only wires parts:
    ``terms`` are the statistics of the words ``retriever`` searches (see :mod:`index.backend`)."""

    def __init__(
        self,
        store: OpenIndex,
        retriever: Retriever,
        terms: TermStatistics,
        scorer: SentenceScoring,
        settings: AskSettings,
        reader: Reader | None = None,
    ) -> None:
        self.store = store
        self.retriever = retriever
        self.terms = terms
        self.scorer = scorer
        self.settings = settings
        self.reader = reader
        self._lock = threading.RLock()
        self._generation = store.search_generation
        self._years, self._sources = _dates_and_sources(store.stats())

    @classmethod
    def load(
        cls,
        index_dir: str | os.PathLike[str],
        settings: AskSettings | None = None,
        model: str | None = None,
        embedder: Embedder | None = None,
        scorer: SentenceScoring | None = None,
        weights: FusionWeights | None = None,
        onnx: bool = True,
        reader: Reader | None = None,
    ) -> Assistant:
        """Open the index at ``index_dir`` (a directory, or a Milvus location: see
        :mod:`index.location`) and load the embedding model it was built with (or
        ``embedder``), and the sentence scorer. Fails with a clear error if the index is missing,
        damaged, or was built with another model than ``model``.

        With ``onnx`` (the default) the model runs on onnxruntime when it can (see
        :class:`index.embed.OnnxEmbedder`; the first load exports it, which takes some seconds),
        and on torch otherwise.

        The reader (:class:`assistant.reader.Reader`) is loaded with the packaged scorer when
        ``settings.reader`` is on; it was fitted on that scorer's scores, so with another ``scorer``
        it reads only when given as ``reader``."""
        settings = settings or AskSettings()
        store = open_index(index_dir)
        if model is not None and model != store.model:
            raise IndexMismatchError(f"{index_dir} was built with {store.model!r}, not {model!r}.")
        vectors, lexical = store.load_search()
        if embedder is None:
            # A question embeds itself and up to top_n short sentences: batches of 8, sorted by
            # length, pad less than one batch of 16 (81 against 91 ms for 16 sentences on 2 cores).
            model_embedder = SentenceTransformerEmbedder.from_name(store.model, batch_size=8)
            fast = OnnxEmbedder.from_sentence_transformer(model_embedder, cache_dir()) if onnx else None
            embedder = fast if fast is not None else model_embedder
        if embedder.dim != store.dim:
            raise IndexMismatchError(f"{index_dir} holds {store.dim}-d vectors but the model gives {embedder.dim}-d.")
        if not isinstance(embedder, CachedEmbedder):
            embedder = CachedEmbedder(embedder)
        if scorer is None:
            from assistant.score import SentenceScorer

            scorer = SentenceScorer.load(embedder=embedder, top_n=settings.scored_sentences)
            if reader is None and settings.reader:
                reader = Reader.load(onnx=onnx)
        retriever = Retriever(store, vectors, lexical, embedder, settings.retrieval, weights)
        return cls(store, retriever, lexical, scorer, settings, reader)

    # -- keeping up with ingests ---------------------------------------------------------------

    def refresh(self) -> bool:
        """Reload the search files if an ingest has published new ones since; True if it did."""
        with self._lock:
            try:
                fresh = open_index(self.store.location)
            except Exception:  # a half-written index is not ours to judge here: keep serving the old one
                logger.exception("could not reopen %s; still serving the loaded index", self.store.location)
                return False
            if fresh.search_generation == self._generation and fresh.is_current():
                fresh.close()
                return False
            vectors, lexical = fresh.load_search()
            old = self.store
            self.store = fresh
            self.retriever = Retriever(
                fresh, vectors, lexical, self.retriever.embedder, self.retriever.mode, self.retriever.weights
            )
            self.terms = lexical
            self._generation = fresh.search_generation
            self._years, self._sources = _dates_and_sources(fresh.stats())
            old.close()
            return True

    # -- asking --------------------------------------------------------------------------------

    def checked_filters(self, filters: Filters | None) -> Filters:
        """``filters`` with their sources spelt as the index spells them (matched regardless of
        case); a :class:`assistant.filters.FilterError` naming a source the index does not hold,
        and those it does. Dates are checked when a :class:`Filters` is made."""
        filters = filters or Filters()
        if not filters.sources:
            return filters
        with self._lock:
            known = list(self._sources)
        return replace(filters, sources=match_sources(filters.sources, known))

    def search(self, query: str, k: int = 10, filters: Filters | None = None) -> list[Hit]:
        """Passages for ``query``, best first (reranked by sentence evidence when ``rerank`` is on)."""
        query = _clean_question(query)
        filters = self.checked_filters(filters)
        with self._lock:
            hits, _, _ = self.retriever.ranked(query, max(k, self.settings.passages), filters)
            if self.settings.rerank and hits:
                found = candidates(hits[: self.settings.passages])
                scores = self._score(query, found, hits)
                hits = _rerank(hits, found, scores, self.settings.passages)
            return hits[:k]

    def ask(
        self,
        question: str,
        conversation: Conversation | None = None,
        filters: Filters | None = None,
        follow_up: bool | None = None,
    ) -> Answer:
        """Answer ``question`` with up to ``max_sentences`` cited sentences, or abstain.

        With a ``conversation``, a follow-up is resolved against its earlier turns, and the turn
        is added to it (see :mod:`assistant.chat`). A question that may go either way stays a
        follow-up when that reading quotes the story the conversation was on, and is otherwise
        read on its own when that finds an answer. ``follow_up`` True or False overrides the
        guess: False asks the question on its own. A question word no indexed article
        holds, spelt close to an indexed one, is searched as that one (see
        :mod:`assistant.spelling`). ``filters`` are checked first (:meth:`checked_filters`).
        """
        question = _clean_question(question)
        filters = self.checked_filters(filters)
        with self._lock:
            typed = Question.of(question)
            fixes, unknown = self._spelling(typed)
            asked = Question.of(corrected(question, fixes)) if fixes else typed
            reading = asked.reading if follow_up is None else "follow-up" if follow_up else "own"
            query = resolve(asked.text, conversation, reading != "own")
            answer = self._answer(question, asked, query, unknown, filters)
            if reading == "either" and query != asked.text and not _on_earlier_story(answer, conversation):
                alone = self._answer(question, asked, asked.text, unknown, filters)
                if alone.is_answer:
                    answer, query = alone, asked.text
            earlier = conversation.last if conversation is not None and query != asked.text else None
            answer = replace(
                answer, corrections=tuple(fixes), filters=filters,
                follow_up_to=earlier.question if earlier is not None else None,
            )
        if conversation is not None:
            conversation.add(Turn(question, query, answer, filters))
        return answer

    def _spelling(self, question: Question) -> tuple[list[Correction], tuple[str, ...]]:
        """The corrections of ``question``'s words no indexed passage holds, and the checked words
        (:meth:`_unknown_terms`) still unknown after them. None is made while another checked word
        stays unknown: that question is declined for it, and is about something the corpus lacks
        rather than misspelt ("Tobiah Vanterpool" is not "Tobias")."""
        words = list(question.words)
        missing = self.terms.unknown_terms(words)
        unknown = self._unknown_terms(question, set(missing))
        if not missing:
            return [], unknown
        fixes = spelling_corrections(missing, self.terms, self._passage_texts, words)
        fixed = {c.typed for c in fixes}
        left = tuple(w for w in unknown if without_possessive(w) not in fixed)
        return ([], unknown) if left else (fixes, left)

    def _passage_texts(self, chunk_ids: Sequence[int]) -> list[str]:
        return [c.text for c in self.store.chunks(chunk_ids)]

    def _answer(
        self, question: str, asked: Question, query: str, unknown: tuple[str, ...], filters: Filters
    ) -> Answer:
        """The answer to ``asked`` (``question`` with its misspellings corrected), searched as ``query``."""
        hits = self._passages(query, filters) if query.strip() else []
        checked = hits and not unknown and self.settings.min_coverage > 0
        support = self.support(asked, hits) if checked else None
        if not hits or unknown or (support is not None and not support.names_together):
            # nothing to score: the passages searched are still shown
            missing = support.missing if support is not None else ()
            return Answer(question, query, (), 0.0, False, tuple(hits), unknown, missing)
        found = candidates(hits)
        scores = self._score(query, found, hits)
        confidences = None
        # The reader's probabilities are the scores, or (reader_confidence off) only the order: then
        # whether to answer stays the scorer's, read off its best sentence.
        orders_only = self._reads and not self.settings.reader_confidence
        if query != asked.text:
            # A follow-up: the context found the passages, but the sentence must answer what was
            # asked now, so the new question's own words count as much again in the order. Its
            # own words alone ("How old is he?") say too little to be sure of any sentence: the
            # confidence may be the one read with the context. The reader reads the question with
            # its context: where it rereads, its probability is the confidence.
            in_context, own = scores, self.settings.followup_own_weight
            scores = (1 - own) * scores + own * self._score(asked.text, found, hits)
            if self.settings.followup_context_confidence and (orders_only or not self._reads):
                confidences = np.maximum(in_context, scores)
        read = self._read(query, found, scores)
        if not orders_only:
            scores = read
        if self.settings.rerank and hits:
            hits = _rerank(hits, found, scores, len(hits))
        covered = support is None or support.coverage >= self.settings.min_coverage
        threshold = self.settings.min_confidence
        if not covered:
            threshold = max(threshold, self.settings.uncovered_min_confidence)
        # A date preference that ordered the passages orders their sentences too (the confidence
        # stays the chosen sentence's own score), and the sentences after the best one rather come
        # from articles on the question's subject.
        factors = self.retriever.date_factors([c.hit.date for c in found], filters)
        ranked = read if orders_only else scores
        ranked = ranked if factors is None else (ranked * factors).astype(ranked.dtype)
        if confidences is not None:
            scores = confidences.astype(scores.dtype)
        ranked = typed_order(
            asked, [c.span.sentence for c in found], ranked, self.settings.typed_top, self.settings.typed_weight
        )
        follow = None if support is None else _off_subject_scaled(
            ranked, found, support.naming, self.settings.off_subject_weight
        )
        if follow is not None and self.settings.off_subject_best:
            ranked = follow
        years = asked.years if self.settings.later_years_stated else frozenset()
        unstated = [unstated_years(c.span.sentence, years, c.hit.date) for c in found] if years else None
        may_quote = None if unstated is None else [not u for u in unstated]
        answer = build_answer(
            question, query, found, scores, hits, self.settings.max_sentences, threshold, follow, ranked,
            may_quote, self.settings.min_later_confidence, pooled=orders_only,
        )
        if not answer.is_answer and not covered and support is not None:
            answer = replace(answer, uncovered_terms=support.missing)
        if not answer.is_answer and unstated is not None:
            answer = replace(answer, unreported_years=_unreported(unstated, scores, threshold))
        answer = _with_dates(self._with_syndicated_copies(answer))
        if not (self.settings.answer_phrases and answer.is_answer):
            return answer
        return _with_phrases(answer, asked, self.settings.phrase_min_confidence)

    def _passages(self, query: str, filters: Filters | None) -> list[Hit]:
        return self.retriever.ranked(query, self.settings.passages, filters)[0]

    def _unknown_terms(self, question: Question, missing: set[str]) -> tuple[str, ...]:
        """The words of ``question`` that occur in no indexed passage (``missing``, of its
        :func:`assistant.terms.question_words`): its names and numbers when ``require_known_names``
        is on, its uncommon other words when ``require_known_words`` is (see :mod:`assistant.terms`)."""
        checked = checked_words(question, self.settings.require_known_names, self.settings.require_known_words)
        # A date places the question in time, and the articles of that time need not spell it out:
        # months, days, and the years the articles were published in are not looked up.
        dates, (first, last) = question.dates, self._years
        checked = [
            w for w in checked
            if w not in dates or ((year := year_of(w)) is not None and not (first <= year <= last))
        ]
        return tuple(w for w in checked if w in missing)

    def support(self, question: Question, hits: Sequence[Hit]) -> Support:
        """How well the best article of ``hits`` covers ``question`` (see :mod:`assistant.support`)."""
        published = {h.article_id: h.date for h in hits}
        with self._lock:
            chunks_of = self.store.chunk_ids_of(list(published))
            threshold = self.settings.synonym_threshold
            synonyms = functools.partial(neighbours, threshold=threshold) if threshold > 0 else None
            return question_support(
                question, chunks_of, self.terms, published, synonyms, self.settings.kind_words_count
            )

    def _score(self, query: str, found: Sequence, hits: Sequence[Hit]) -> np.ndarray:  # type: ignore[type-arg]
        if not found:
            return np.zeros(0, dtype=np.float32)
        rank_of = {h.chunk_id: r for r, h in enumerate(hits)}
        passage = [1.0 / (1.0 + rank_of.get(c.hit.chunk_id, len(hits))) for c in found]
        sentences, titles = [c.span.sentence for c in found], [c.hit.title or "" for c in found]
        return self.scorer.score(query, sentences, passage_scores=passage, titles=titles)

    @property
    def _reads(self) -> bool:
        """Whether the reader rereads the scorer's best sentences."""
        return self.reader is not None and self.settings.reader

    def _read(self, query: str, found: Sequence, scores: np.ndarray) -> np.ndarray:  # type: ignore[type-arg]
        """``scores`` with the scorer's best sentences rescored by the reader (:func:`reread`)."""
        if self.reader is None or not self._reads or not len(found):
            return scores
        sentences, titles = [c.span.sentence for c in found], [c.hit.title for c in found]
        return reread(self.reader, query, sentences, titles, scores, self.settings.read_sentences).astype(np.float32)

    def _with_syndicated_copies(self, answer: Answer) -> Answer:
        """Add the duplicates ingest merged into the cited article (syndicated copies) wherever the
        sentence stands verbatim in them, so the answer can say how many outlets ran it."""
        if not answer.sentences:
            return answer
        out = []
        for s in answer.sentences:
            extra = list(s.also_reported_by)
            for dup in self.store.duplicates_of(s.citation.article_id):
                at = dup.text.find(s.text)
                if at >= 0:
                    extra.append(
                        Citation(dup.id, dup.title, dup.source, dup.date, dup.url, s.text, at, at + len(s.text))
                    )
            out.append(replace(s, also_reported_by=tuple(extra)))
        return replace(answer, sentences=tuple(out))

    # -- the corpus ----------------------------------------------------------------------------

    # Every read of the store holds the lock, as asking does: a refresh closes the store it replaces,
    # and closing an SQLite connection while another thread reads through it crashes the process.

    def article_text(self, article_id: str) -> str:
        with self._lock:
            article = self.store.article(article_id)
        if article is None:
            raise KeyError(article_id)
        return article.text

    def stats(self) -> Stats:
        with self._lock:
            return self.store.stats()

    @property
    def model(self) -> str:
        """The embedding model the index was built with (an ingest into it must use the same)."""
        with self._lock:
            return self.store.model

    def sample_titles(self, n: int) -> list[str]:
        """Up to ``n`` titles spread across the articles (by id, so the choice is stable)."""
        with self._lock:
            ids = self.store.article_ids()
            step = max(1, len(ids) // max(1, n))
            titles = []
            for article_id in ids[::step]:
                article = self.store.article(article_id)
                if article is not None and article.title:
                    titles.append(article.title)
                if len(titles) == n:
                    break
            return titles

    def score_sentences(self, question: str, sentences: Sequence[str]) -> np.ndarray:
        return self.scorer.score(question, sentences)

    def close(self) -> None:
        with self._lock:
            self.store.close()


def _on_earlier_story(answer: Answer, conversation: Conversation | None) -> bool:
    """Whether ``answer``'s best sentence comes from an article the conversation's last turn quoted
    or found closest (a story is often told by several articles): a follow-up that stayed on the
    story."""
    last = conversation.last if conversation is not None else None
    if last is None or last.answer is None or not answer.sentences:
        return False
    earlier = {c.article_id for c in last.answer.citations} | {h.article_id for h in last.answer.closest_articles(5)}
    return answer.sentences[0].citation.article_id in earlier


def _with_dates(answer: Answer) -> Answer:
    """Each quoted sentence with its relative dates resolved against its article's date."""
    sentences = tuple(
        replace(s, dates=date_mentions(s.text, s.citation.date, s.citation.start)) for s in answer.sentences
    )
    return replace(answer, sentences=sentences)


def _with_phrases(answer: Answer, asked: Question, min_score: float) -> Answer:
    """Each quoted sentence of at least ``min_score`` with the words that answer ``asked`` marked,
    where they are clear."""
    sentences = tuple(
        replace(s, phrase=answer_phrase(asked, s.text, s.citation.start)) if s.score >= min_score else s
        for s in answer.sentences
    )
    return replace(answer, sentences=sentences)


def _dates_and_sources(stats: Stats) -> tuple[tuple[int, int], list[str]]:
    """The first and last years the index's articles were published in ((0, -1) when none is
    dated), and the outlets it holds, from one read of its statistics."""
    first, last = published_year(stats.date_min), published_year(stats.date_max)
    years = (first, last) if first is not None and last is not None else (0, -1)
    return years, [s for s, _ in stats.sources if s]


def _clean_question(text: str) -> str:
    text = "".join(ch if ch.isprintable() or ch in "\n\t" else " " for ch in text[: MAX_QUESTION_CHARS * 2])
    return " ".join(text.split())[:MAX_QUESTION_CHARS]


def _off_subject_scaled(
    scores: np.ndarray, found: Sequence, naming: frozenset[str], weight: float  # type: ignore[type-arg]
) -> np.ndarray:
    """Scores of sentences from articles that do not mention the question's names and numbers
    together, times ``weight``: "How many died in the Magnitogorsk collapse?" is not supported by a
    death toll from another disaster, however well its words match."""
    if weight == 1.0 or not naming:
        return scores
    off = np.array([c.hit.article_id not in naming for c in found], dtype=bool)
    return np.where(off, scores * weight, scores).astype(scores.dtype)


def _unreported(unstated: Sequence[frozenset[int]], scores: np.ndarray, threshold: float) -> tuple[str, ...]:  # type: ignore[type-arg]
    """The years that kept a confident sentence from being quoted: ``unstated[i]`` are those
    candidate ``i`` would have had to name (:func:`assistant.support.unstated_years`)."""
    out = set().union(*(u for u, score in zip(unstated, scores, strict=True) if score >= threshold))
    return tuple(str(y) for y in sorted(out))


def _rerank(hits: Sequence[Hit], found: Sequence, scores: np.ndarray, limit: int) -> list[Hit]:  # type: ignore[type-arg]
    """Passages reordered by their best sentence's score, blended with their fused rank, so a
    passage that holds a sentence answering the question rises; passages beyond ``limit`` keep
    their order after the reranked ones."""
    best: dict[int, float] = {}
    for c, s in zip(found, scores, strict=True):
        best[c.hit.chunk_id] = max(best.get(c.hit.chunk_id, 0.0), float(s))
    head = list(hits[:limit])
    order = sorted(range(len(head)), key=lambda r: -(best.get(head[r].chunk_id, 0.0) + 0.5 / (1 + r)))
    return [head[r] for r in order] + list(hits[limit:])
