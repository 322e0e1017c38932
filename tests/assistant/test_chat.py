from assistant.chat import (
    Conversation,
    Turn,
    content_words,
    is_follow_up,
    names_something,
    question_names,
    resolve,
)
from assistant.records import Answer, AnswerSentence, Citation


def answered(question: str, sentence: str) -> Turn:
    c = Citation("a", "T", "S", None, None, sentence, 0, len(sentence))
    return Turn(question, question, Answer(question, question, (AnswerSentence(sentence, c, 0.9),), 0.9, True))


def test_follow_up_detection() -> None:
    assert is_follow_up("Who did she marry?")
    assert is_follow_up("And where did it happen?")
    assert is_follow_up("What about the second one?")
    assert is_follow_up("When?")
    assert not is_follow_up("Who won the 2019 Eurovision Song Contest?")
    assert not is_follow_up("How many people died in the Magnitogorsk explosion?")


def test_a_question_that_names_nothing_of_its_own_is_a_follow_up() -> None:
    # definite descriptions lean on the earlier turns as much as pronouns do
    assert is_follow_up("Where was the tournament played?")
    assert is_follow_up("Who is the city's mayor?")
    assert is_follow_up("What is the car called?")
    assert not names_something("Which province was hit hardest?")
    # a name or a number of its own makes it standalone, pronouns notwithstanding
    assert not is_follow_up("Microsoft retired its Internet Explorer browser this week. What year did it debut?")
    assert not is_follow_up("How many people died in the 2023 earthquake?")
    assert names_something("how many were there in 2023?")
    assert not names_something("I wonder who won?")


def test_a_pronoun_as_the_subject_leans_on_the_earlier_turns_even_with_names_of_its_own() -> None:
    assert is_follow_up("Did he test positive for COVID-19?")
    assert is_follow_up("Why did she leave the BBC in 2020?")
    assert is_follow_up("How old was he when he won the Nobel Prize?")
    # the pronoun's antecedent is in the question itself
    assert not is_follow_up("Which actor said he would retire from Hollywood?")
    assert not is_follow_up("What did Musk say he would do with Twitter?")
    # "it" and possessives open too many standalone questions
    assert not is_follow_up("Is it legal to grow cannabis in Thailand?")
    assert not is_follow_up("Which singer cancelled her 2023 tour of Australia?")


def test_a_standalone_question_is_searched_as_it_is() -> None:
    chat = Conversation([answered("Who won Eurovision in 2019?", "Duncan Laurence won for the Netherlands.")])
    assert resolve("How many people died in the Magnitogorsk explosion?", chat) == (
        "How many people died in the Magnitogorsk explosion?")


def test_follow_up_carries_the_earlier_subject_and_weighs_the_new_question_most() -> None:
    sentence = "Duncan Laurence won Eurovision for the Netherlands."
    chat = Conversation([answered("Who won Eurovision in 2019?", sentence)])
    query = resolve("Where was it held?", chat)
    assert query.count("Where was it held?") == 2 and query.startswith("Where was it held?")
    assert "Eurovision" in query and "2019" in query
    assert "Netherlands" in query or "Laurence" in query


def test_no_history_means_no_change() -> None:
    assert resolve("And where?", Conversation()) == "And where?"
    assert resolve("And where?", None) == "And where?"


def test_content_words_drop_question_and_stop_words() -> None:
    assert content_words("Who did she marry in Paris?") == ["marry", "Paris"]
    assert content_words("What did Erdoğan say in Łódź?") == ["Erdoğan", "Łódź"]  # accented names stay whole


def test_question_names_are_capitalised_words_after_the_first_in_any_script() -> None:
    assert question_names("Who did Beyoncé thank at the Grammys?") == ["Beyoncé", "Grammys"]
    assert question_names("Zelenskyy said what? I ask because Kyiv-based papers say so") == ["Kyiv-based"]
    assert question_names("who won?") == []



def test_the_reader_reads_a_follow_up_once_with_what_it_carries() -> None:
    from assistant.chat import reading_query

    assert reading_query("How many died there?", "How many died there? How many died there? Magnitogorsk collapse") == (
        "How many died there? Magnitogorsk collapse"
    )
    assert reading_query("Who won the 2022 Open?", "Who won the 2022 Open?") == "Who won the 2022 Open?"
