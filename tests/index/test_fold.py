import pytest

from index.fold import fold_accents


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Kīlauea", "Kilauea"),
        ("Erdoğan met Peña Nieto in São Paulo", "Erdogan met Pena Nieto in Sao Paulo"),
        ("Łódź, Ørsted, Straße, İstanbul", "Lodz, Orsted, Strasse, Istanbul"),
        ("ﬁnal score ２–１", "final score 2–1"),  # compatibility forms; the dash is no accent
        ("Zelenskyy’s “plan”", "Zelenskyy’s “plan”"),  # punctuation is left to the tokenizers
        ("Москва́", "Москва"),
        ("नमस्ते 日本 한국어", "नमस्ते 日本 한국어"),  # marks that make other scripts' letters stay
        ("plain ASCII", "plain ASCII"),
    ],
)
def test_accents_are_folded_and_other_scripts_kept(text: str, folded: str) -> None:
    assert fold_accents(text) == folded
