import numpy as np

from assistant.answer import answered_in_turn, candidates
from assistant.records import Hit
from assistant.sentences import split_sentences, without_speaker

INTERVIEW = (
    "Wikinews spoke with her after the event.\n\n"
    "((Wikinews))  What prompted your curiosity about penguins? \n\n"
    "((Natasha Gownaris))  I have wanted to be a marine scientist since I was small.\n\n"
    "Q: Where do the penguins breed?\n"
    "Natasha Gownaris: They breed at Punta Tombo in Argentina. The colony is huge.\n"
    "The U.S. team: it stays. Note: this stays too.\n"
    "Background: one-word labels stay.\nFRIDAY AND THURSDAY: so do capitals."
)


def test_sentences_slice_their_text() -> None:
    spans = split_sentences(INTERVIEW, offset=7)
    assert spans
    for s in spans:
        assert INTERVIEW[s.start - 7 : s.end - 7] == s.sentence


def test_a_speakers_label_opening_a_line_is_no_part_of_the_sentence() -> None:
    assert [s.sentence for s in split_sentences(INTERVIEW)] == [
        "Wikinews spoke with her after the event.",
        "What prompted your curiosity about penguins?",
        "I have wanted to be a marine scientist since I was small.",
        "Where do the penguins breed?",
        "They breed at Punta Tombo in Argentina.",
        "The colony is huge.",
        "The U.S. team: it stays.",  # not all capitalised: no label
        "Note: this stays too.",  # not at the start of a line
        "Background: one-word labels stay.",  # an editor's, more often than a speaker's
        "FRIDAY AND THURSDAY: so do capitals.",
    ]


def test_without_speaker() -> None:
    assert without_speaker(" \n\n((Natasha Gownaris))  ") == ""
    assert without_speaker("\nNatasha Gownaris:") == ""
    assert without_speaker(" Extraordinary circumstances. ") == "Extraordinary circumstances."


def test_a_reply_after_a_speakers_label_inherits_its_questions_score() -> None:
    hit = Hit("a", 1, "t", "s", "2020-01-01", None, INTERVIEW, 0, len(INTERVIEW), 1.0)
    found = candidates([hit])
    scores = np.array([0.9 if c.asks else 0.1 for c in found], dtype=np.float32)
    lent = dict(zip((c.span.sentence for c in found), answered_in_turn(found, scores).tolist(), strict=True))
    assert lent["I have wanted to be a marine scientist since I was small."] == np.float32(0.9)
    assert lent["They breed at Punta Tombo in Argentina."] == np.float32(0.9)
    assert lent["The colony is huge."] == np.float32(0.1)
