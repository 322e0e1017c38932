"""The answer phrase inside a quoted sentence, with spaCy's packaged English model (real, offline)."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.phrase import answer_phrase, phrase_kind, typed_order
from assistant.question import Question


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How many people died in the collapse?", "number"),
        ("When did the plane crash?", "time"),
        ("Which company said it would cut jobs?", "organisation"),
        ("Which carmaker recalled its cars?", "organisation"),
        ("Who won the election?", "who"),
        ("Which feature did Uber bring back?", None),
        ("Which actor won the award?", "person"),
        ("Where did the building collapse?", "place"),
        ("Why did the building collapse?", None),
        ("In which town did the fire start?", "place"),
        ("Gas prices hit a record. On average nationwide, how much is a gallon?", "number"),
        ("What did the minister say when asked?", None),  # "when" opens the subject's clause
        ("Raymond Briggs, who died this week, wrote which book?", None),  # a relative clause's "who"
    ],
)
def test_the_kind_of_answer_a_question_asks_for(question: str, kind: str | None) -> None:
    assert phrase_kind(question) == kind


def test_the_one_number_of_a_sentence_answers_how_many() -> None:
    sentence = "A total of 39 are confirmed dead, the Russian Emergencies Ministry said."
    question = Question.of("How many people died in the Magnitogorsk apartment building collapse?")
    phrase = answer_phrase(question, sentence, 500)
    assert phrase is not None
    assert (phrase.text, phrase.kind) == ("39", "number")
    assert sentence[phrase.start - 500 : phrase.end - 500] == "39"


def test_what_the_question_names_is_not_its_answer() -> None:
    sentence = "Microsoft said on Wednesday it would cut 10,000 jobs by the end of March."
    phrase = answer_phrase(Question.of("Which company said it would cut 10,000 jobs?"), sentence)
    assert phrase is not None and phrase.text == "Microsoft"
    # The question's own number is not the answer to "when".
    when = answer_phrase(
        Question.of("When did Microsoft say it would cut 10,000 jobs?"),
        "Microsoft said on Wednesday it would cut 10,000 jobs.",
    )
    assert when is not None and when.text == "Wednesday"


def test_nothing_is_marked_when_two_candidates_compete_or_none_fits() -> None:
    died = Question.of("How many people died?")
    won = Question.of("Who won the election?")
    assert answer_phrase(won, "Joe Biden won the election, defeating Donald Trump.") is None
    assert answer_phrase(died, "Rescuers searched the rubble through the night.") is None
    assert answer_phrase(Question.of("Why did it collapse?"), "A gas explosion destroyed 48 flats.") is None
    # a number that describes is no count
    assert answer_phrase(died, "A gas leak brought the ten-storey building down.") is None


def test_a_leading_article_is_left_out_of_a_name() -> None:
    sentence = "The talks were hosted by the United Nations in Geneva."
    phrase = answer_phrase(Question.of("Which organisation hosted the talks?"), sentence)
    assert phrase is not None and phrase.text == "United Nations"
    assert sentence[phrase.start : phrase.end] == "United Nations"


def test_quantifiers_articles_and_possessives_stay_outside_and_a_currency_sign_inside() -> None:
    sentence = "The administration has approved more than $6 billion in aid since Sri Lanka's crisis began."
    much = answer_phrase(Question.of("How much has the administration approved in aid?"), sentence)
    assert much is not None and much.text == "$6 billion"
    where = answer_phrase(
        Question.of("Which country's cities saw protests?"), "Protests spread across Sri Lanka's cities on Monday."
    )
    assert where is not None and where.text == "Sri Lanka"


def test_the_kind_asked_for_orders_the_best_sentences_first() -> None:
    question = Question.of("How many people died in the collapse?")
    sentences = ["The building collapsed on Monday.", "A total of 39 are confirmed dead.", "It was built in a hurry."]
    scores = np.array([0.5, 0.4, 0.3])
    ordered = typed_order(question, sentences, scores, top=8, weight=0.5)
    assert list(np.argsort(-ordered)) == [1, 0, 2]
    assert ordered[1] == scores[1]  # the sentence holding a number keeps its score
    # beyond the top ones, and for a question that asks for no number, nothing moves
    assert np.array_equal(typed_order(question, sentences, scores, top=1, weight=0.5)[1:], scores[1:])
    why = Question.of("Why did the building collapse?")
    assert np.array_equal(typed_order(why, sentences, scores, top=8, weight=0.5), scores)


def test_only_a_confident_sentence_has_its_phrase_marked() -> None:
    from assistant.api import _with_phrases
    from assistant.records import Answer, AnswerSentence, Citation

    def quoted(text: str, score: float) -> AnswerSentence:
        return AnswerSentence(text, Citation("a1", "T", "S", "2021-01-01", None, text, 100, 100 + len(text)), score)

    sure, unsure = "A total of 39 are confirmed dead.", "Officials said three people died."
    answer = Answer("q", "q", (quoted(sure, 0.6), quoted(unsure, 0.2)), 0.6, True, ())
    marked = _with_phrases(answer, Question.of("How many people died in the collapse?"), 0.35)
    assert marked.sentences[0].phrase is not None and marked.sentences[0].phrase.text == "39"
    assert marked.sentences[0].phrase.start == 100 + sure.index("39")
    assert marked.sentences[1].phrase is None
    every = _with_phrases(answer, Question.of("How many people died in the collapse?"), 0.0)
    assert every.sentences[1].phrase is not None and every.sentences[1].phrase.text == "three"


def test_a_length_that_describes_is_no_date() -> None:
    when = Question.of("When did Pelosi become Speaker?")
    assert answer_phrase(when, "Pelosi ends her 20-year tenure as party leader.") is None
    marked = answer_phrase(when, "Pelosi became Speaker in 2007, ending a 12-year Republican majority.")
    assert marked is not None and marked.text == "2007"
