"""Did you mean: misspelt words searched as the indexed words closest to them."""

from __future__ import annotations

from assistant.api import Assistant
from assistant.records import Correction
from assistant.spelling import corrected, max_edits


def test_a_misspelt_name_is_searched_as_the_indexed_one_and_says_so(small_assistant: Assistant) -> None:
    answer = small_assistant.ask("Why was the bridge in Rivertin closed?")
    assert answer.corrections == (Correction("Rivertin", "Riverton"),)
    assert answer.unknown_terms == ()
    assert answer.is_answer and "bridge" in answer.sentences[0].text
    assert "Riverton" in answer.query and "Rivertin" not in answer.query
    assert answer.question == "Why was the bridge in Rivertin closed?"  # the user's words are kept


def test_a_name_close_to_nothing_is_still_declined(small_assistant: Assistant) -> None:
    answer = small_assistant.ask("What did Zorvath say about the bridge?")
    assert answer.corrections == () and answer.unknown_terms == ("Zorvath",) and not answer.is_answer


def test_a_name_is_never_taken_for_a_common_word(small_assistant: Assistant) -> None:
    # "Bridgr" is one edit from the indexed "bridge", which names nothing: a name the corpus lacks
    answer = small_assistant.ask("What did Bridgr say about the flood?")
    assert answer.corrections == () and answer.unknown_terms == ("Bridgr",) and not answer.is_answer


def test_short_words_are_not_corrected() -> None:
    assert max_edits("sunk") == 0 and max_edits("hampsir") == 1 and max_edits("championshp") == 2
    # other words than names: only long ones, one edit away
    assert max_edits("alight", name=False) == 0 and max_edits("youngster", name=False) == 1


def test_a_misspelt_long_word_is_corrected_and_a_swap_is_one_edit(small_assistant: Assistant) -> None:
    answer = small_assistant.ask("Which team won the regional championhsip?")  # two letters swapped
    assert answer.corrections == (Correction("championhsip", "championship"),)
    assert answer.is_answer and answer.sentences[0].citation.article_id == "a2"
    # a word of the user's own that is not in the articles is left alone
    assert small_assistant.ask("Which youngsters won the basketball final?").corrections == ()


def test_corrected_replaces_whole_words_only() -> None:
    fixes = [Correction("Hampsire", "Hampshire")]
    assert corrected("Who won New Hampsire's primary? Hampsirex", fixes) == "Who won New Hampshire's primary? Hampsirex"


def test_a_possessive_is_kept(small_assistant: Assistant) -> None:
    answer = small_assistant.ask("When does Rivertin's bridge reopen?")
    assert answer.corrections == (Correction("Rivertin", "Riverton"),)
    assert answer.query.startswith("When does Riverton's bridge reopen?") and answer.unknown_terms == ()


def test_no_correction_while_another_name_stays_unknown(small_assistant: Assistant) -> None:
    # a question about something the corpus lacks, not a misspelling: declined for the unknown name
    answer = small_assistant.ask("What did Zorvath say about the Rivertin bridge?")
    assert answer.corrections == () and "Zorvath" in answer.unknown_terms and not answer.is_answer


def test_a_correction_must_stand_beside_another_word_of_the_question(small_assistant: Assistant) -> None:
    # "Rivertin" is one edit from "Riverton", but no passage on Riverton speaks of a volcano
    answer = small_assistant.ask("When did the Rivertin volcano erupt?")
    assert answer.corrections == ()
