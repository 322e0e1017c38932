import numpy as np
import pytest

from assistant.answer import answered_in_turn, build_answer, candidates, near_duplicate_key
from assistant.records import Hit

ARTICLE_A = "Intro line here.\n\nThe council voted 7 to 2 on Monday to close the bridge. Repairs start in May."
ARTICLE_B = "Wire copy. The council voted 7 to 2 on Monday to close the bridge! Officials were not available."


def hit(article_id: str, text: str, start: int, end: int, chunk_id: int) -> Hit:
    return Hit(
        article_id, chunk_id, f"Title {article_id}", f"Source {article_id}", "2021-01-01", None,
        text[start:end], start, end, 1.0,
    )


def test_candidate_offsets_slice_the_article() -> None:
    hits = [hit("a", ARTICLE_A, 18, len(ARTICLE_A), 1)]
    found = candidates(hits)
    assert [c.span.sentence for c in found] == [
        "The council voted 7 to 2 on Monday to close the bridge.", "Repairs start in May."]
    for c in found:
        assert ARTICLE_A[c.span.start : c.span.end] == c.span.sentence


def test_overlapping_chunks_give_each_sentence_once() -> None:
    hits = [hit("a", ARTICLE_A, 18, len(ARTICLE_A), 1), hit("a", ARTICLE_A, 0, len(ARTICLE_A), 2)]
    found = candidates(hits)
    assert len(found) == len({(c.hit.article_id, c.span.start) for c in found}) == 2  # "Intro line here." is too short
    assert all(c.passage_rank == 0 for c in found)


def test_same_sentence_in_two_outlets_is_one_answer_reported_by_both() -> None:
    hits = [hit("a", ARTICLE_A, 0, len(ARTICLE_A), 1), hit("b", ARTICLE_B, 0, len(ARTICLE_B), 2)]
    found = candidates(hits)
    scores = np.array([0.9 if "voted" in c.span.sentence else 0.2 for c in found], dtype=np.float32)
    answer = build_answer("q", "q", found, scores, hits, max_sentences=3, min_confidence=0.5)
    first = answer.sentences[0]
    assert "voted 7 to 2" in first.text and first.n_sources == 2
    assert first.also_reported_by[0].article_id == "b"
    other = first.also_reported_by[0]
    assert ARTICLE_B[other.start : other.end] == other.sentence
    assert sum("voted" in s.text for s in answer.sentences) == 1
    for s in answer.sentences:
        text = ARTICLE_A if s.citation.article_id == "a" else ARTICLE_B
        assert text[s.citation.start : s.citation.end] == s.text == s.citation.sentence


def test_sentences_that_may_not_be_quoted_are_never_shown() -> None:
    hits = [hit("a", ARTICLE_A, 0, len(ARTICLE_A), 1), hit("b", ARTICLE_B, 0, len(ARTICLE_B), 2)]
    found = candidates(hits)
    scores = np.array([0.9 if "voted" in c.span.sentence else 0.6 for c in found], dtype=np.float32)
    barred = [c.hit.article_id == "a" for c in found]  # article a's sentences may not be quoted
    answer = build_answer("q", "q", found, scores, hits, 3, 0.5, may_quote=[not b for b in barred])
    assert answer.is_answer and {s.citation.article_id for s in answer.sentences} == {"b"}
    # the same wire sentence in a is then no "also reported by" of b's either
    assert answer.sentences[0].also_reported_by == ()
    nothing = build_answer("q", "q", found, scores, hits, 3, 0.5, may_quote=[False] * len(found))
    assert not nothing.is_answer and nothing.sentences == () and nothing.confidence == 0.0


def test_low_confidence_abstains_and_keeps_what_was_searched() -> None:
    hits = [hit("a", ARTICLE_A, 0, len(ARTICLE_A), 1)]
    found = candidates(hits)
    answer = build_answer("q", "q", found, np.full(len(found), 0.1, np.float32), hits, 3, 0.5)
    assert not answer.is_answer and answer.sentences == () and answer.searched == tuple(hits)
    assert answer.confidence == np.float32(0.1)


def test_at_most_max_sentences_best_first() -> None:
    hits = [hit("a", ARTICLE_A, 0, len(ARTICLE_A), 1), hit("b", ARTICLE_B, 0, len(ARTICLE_B), 2)]
    found = candidates(hits)
    scores = np.linspace(0.6, 0.9, len(found)).astype(np.float32)
    answer = build_answer("q", "q", found, scores, hits, 2, 0.5)
    assert len(answer.sentences) == 2
    assert answer.sentences[0].score >= answer.sentences[1].score


def test_follow_scores_order_the_sentences_after_the_best_only() -> None:
    hits = [hit("a", ARTICLE_A, 0, len(ARTICLE_A), 1), hit("b", ARTICLE_B, 0, len(ARTICLE_B), 2)]
    found = candidates(hits)
    texts = [c.span.sentence for c in found]
    assert texts == [
        "The council voted 7 to 2 on Monday to close the bridge.", "Repairs start in May.",
        "The council voted 7 to 2 on Monday to close the bridge!", "Officials were not available.",
    ]
    scores = np.array([0.9, 0.7, 0.85, 0.6], np.float32)
    plain = build_answer("q", "q", found, scores, hits, 3, 0.5)
    assert [s.text for s in plain.sentences] == [texts[0], texts[1], texts[3]]
    # follow scores that would put the last sentence first reorder only those after the best
    follow = np.array([0.1, 0.2, 0.1, 0.8], np.float32)
    answer = build_answer("q", "q", found, scores, hits, 3, 0.5, follow_scores=follow)
    assert [s.text for s in answer.sentences] == [texts[0], texts[3], texts[1]]
    assert answer.confidence == plain.confidence == np.float32(0.9)
    assert len(answer.sentences[0].also_reported_by) == 1  # the wire copy still merged into the best


def test_order_scores_choose_the_best_among_the_confident_and_its_own_score_is_the_confidence() -> None:
    hits = [hit("a", ARTICLE_A, 0, len(ARTICLE_A), 1), hit("b", ARTICLE_B, 0, len(ARTICLE_B), 2)]
    found = candidates(hits)
    texts = [c.span.sentence for c in found]
    scores = np.array([0.9, 0.7, 0.85, 0.6], np.float32)
    order = np.array([0.3, 0.5, 0.2, 0.55], np.float32)  # e.g. the scores times a date preference
    answer = build_answer("q", "q", found, scores, hits, 3, 0.65, order_scores=order)
    # texts[3] leads the order but is below the threshold: the first confident one is texts[1]
    assert [s.text for s in answer.sentences] == [texts[1], texts[3], texts[0]]
    assert [s.score for s in answer.sentences] == pytest.approx([0.7, 0.6, 0.9])
    assert answer.confidence == pytest.approx(0.7) and answer.is_answer
    # when none is confident enough, it abstains exactly as without order_scores
    low = build_answer("q", "q", found, scores, hits, 3, 0.95, order_scores=order)
    assert not low.is_answer and low.confidence == pytest.approx(0.9)


def test_no_candidates_is_an_abstention() -> None:
    answer = build_answer("q", "q", [], np.zeros(0, np.float32), [], 3, 0.5)
    assert not answer.is_answer and answer.confidence == 0.0


def test_near_duplicate_key_ignores_case_and_punctuation() -> None:
    assert near_duplicate_key("The vote: 7–2!") == near_duplicate_key("the vote 7 2")


@pytest.mark.parametrize("question", [
    "Why do you plan to make Melbourne the capital?",
    "New Zealand Prime Minister Jacinda Ardern resigns: What happened?",
    "He asked: “Will the bridge reopen in May?”",
    "(Is the bridge safe?) ",
])
def test_a_sentence_that_asks_is_never_quoted_and_lends_its_score_to_the_reply(question: str) -> None:
    text = f"{question} The council voted 7 to 2 on Monday to close the bridge. Repairs start in May."
    hits = [hit("a", text, 0, len(text), 1)]
    found = candidates(hits)
    assert [c.asks for c in found] == [True, False, False]  # still scored among the others
    scores = np.array([0.9, 0.3, 0.6], dtype=np.float32)
    answer = build_answer("q", "q", found, scores, hits, 3, 0.5, scores, scores)
    assert [s.text for s in answer.sentences] == [found[1].span.sentence, "Repairs start in May."]
    assert answer.confidence == np.float32(0.9)


def test_a_question_without_a_reply_next_to_it_lends_nothing() -> None:
    text = ("Is the bridge safe? Extraordinarily unprecedented circumstances. "
            "The council voted 7 to 2 on Monday to close the bridge. Repairs start in May.")
    other = "Will it reopen in May? Nobody at the council would say."
    hits = [hit("a", text, 0, len(text), 1), hit("b", other, 0, len(other), 2)]
    found = candidates(hits)
    assert [c.span.sentence for c in found if c.asks] == ["Is the bridge safe?", "Will it reopen in May?"]
    scores = np.array([0.9 if c.asks else 0.4 for c in found], dtype=np.float32)
    assert answered_in_turn(found, scores).tolist() == pytest.approx(
        [0.9 if c.asks or c.hit.article_id == "b" else 0.4 for c in found])  # only b's reply is next to its question
    abstained = build_answer("q", "q", found[:3], scores[:3], hits[:1], 3, 0.5)
    assert not abstained.is_answer and abstained.confidence == np.float32(0.4)


def test_a_question_mark_inside_a_statement_does_not_make_it_ask() -> None:
    text = "Critics asked “why now?” and the council voted 7 to 2 to close the bridge. Repairs start in May."
    assert [c.asks for c in candidates([hit("a", text, 0, len(text), 1)])] == [False, False]


def test_sentences_after_the_best_must_reach_min_later() -> None:
    hits = [hit("a", ARTICLE_A, 0, len(ARTICLE_A), 1), hit("b", ARTICLE_B, 0, len(ARTICLE_B), 2)]
    found = candidates(hits)
    scores = np.array([0.9 if "voted" in c.span.sentence else 0.3 if "Repairs" in c.span.sentence else 0.1
                       for c in found], dtype=np.float32)
    padded = build_answer("q", "q", found, scores, hits, 3, 0.5)
    assert len(padded.sentences) == 3
    one = build_answer("q", "q", found, scores, hits, 3, 0.5, min_later=0.2)
    assert [s.text for s in one.sentences] == [padded.sentences[0].text, "Repairs start in May."]
    alone = build_answer("q", "q", found, scores, hits, 3, 0.5, min_later=0.95)
    assert len(alone.sentences) == 1 and alone.confidence == pytest.approx(0.9)  # the best one never needs it
