from assistant.chat import MAX_CARRIED, Conversation, Turn, carried_words, is_follow_up, resolve
from assistant.records import Answer, AnswerSentence, Citation
from assistant.words import capitalised_words, content_words, names_something


def answered(question: str, sentence: str, query: str | None = None) -> Turn:
    c = Citation("a", "T", "S", None, None, sentence, 0, len(sentence))
    query = query or question
    return Turn(question, query, Answer(question, query, (AnswerSentence(sentence, c, 0.9),), 0.9, True))


def test_follow_up_detection() -> None:
    assert is_follow_up("Who did she marry?")
    assert is_follow_up("And where did it happen?")
    assert is_follow_up("What about the second one?")
    assert is_follow_up("When?")
    assert not is_follow_up("Who won the 2019 Eurovision Song Contest?")
    assert not is_follow_up("How many people died in the Magnitogorsk explosion?")


def test_a_short_question_that_names_nothing_of_its_own_is_a_follow_up() -> None:
    # definite descriptions lean on the earlier turns as much as pronouns do
    assert is_follow_up("Where was the tournament played?")
    assert is_follow_up("Who is the city's mayor?")
    assert is_follow_up("What is the car called?")
    assert is_follow_up("How many people died there?")
    assert is_follow_up("In which town did the oldest woman die?")
    assert not names_something("Which province was hit hardest?")
    # a name or a number of its own makes it standalone, pronouns notwithstanding
    assert not is_follow_up("Microsoft retired its Internet Explorer browser this week. What year did it debut?")
    assert not is_follow_up("How many people died in the 2023 earthquake?")
    assert names_something("how many were there in 2023?")
    assert not names_something("I wonder who won?")


def test_a_question_that_spells_out_its_subject_stands_on_its_own_without_names() -> None:
    # users who change the subject, and news quizzes, ask like this: not follow-ups
    assert not is_follow_up("Which country saw its prime minister resign this week?")
    assert not is_follow_up("Which fast food chain has the slowest drive-thru, according to a new study?")
    assert not is_follow_up("Which billionaire recently lost his top spot as the richest man in world?")
    assert not is_follow_up("What caught fire at the old cathedral in the capital last night?")


def test_a_pronoun_as_the_subject_leans_on_the_earlier_turns_even_with_names_of_its_own() -> None:
    assert is_follow_up("Did he test positive for COVID-19?")
    assert is_follow_up("Why did she leave the BBC in 2020?")
    assert is_follow_up("How old was he when he won the Nobel Prize?")
    assert is_follow_up("Which team did he play for for 20 years?")
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


def test_a_follow_up_carries_the_earlier_subject_once_without_repeating_the_question() -> None:
    sentence = "Duncan Laurence won Eurovision for the Netherlands."
    chat = Conversation([answered("Who won Eurovision in 2019?", sentence)])
    query = resolve("Where was it held?", chat)
    assert query.startswith("Where was it held? ") and query.count("Where was it held?") == 1
    assert "Eurovision" in query and "2019" in query
    assert "Netherlands" in query and "Laurence" in query


def test_the_carried_words_are_bounded_and_never_the_questions_own() -> None:
    long = "Why did the Riverton council close the old iron bridge over the Wide river to lorries and buses?"
    last = answered(long, "Mayor Ann Cole of Riverton said the Bridge Trust would pay.")
    carried = carried_words("When will the bridge reopen?", last)
    assert carried == ["Riverton", "council", "close", "old", "iron", "Wide", "river", "lorries", "buses",
                       "Mayor", "Ann", "Cole", "Trust"]  # the query's words, then the answer's names
    assert "bridge" not in [w.lower() for w in carried]  # the question says it itself
    wordy = answered(" ".join(f"word{i}" for i in range(40)) + "?", "Ann Cole said so.")
    assert carried_words("When will it reopen?", wordy) == [f"word{i}" for i in range(MAX_CARRIED)]
    # a chain of follow-ups does not pile up every earlier word
    query = f"When will the bridge reopen? {' '.join(carried)}"
    second = answered("When will the bridge reopen?", "It reopens in May.", query)
    assert len(carried_words("Who pays for it?", second)) <= MAX_CARRIED


def test_follow_up_can_be_forced_either_way() -> None:
    chat = Conversation([answered("Who won Eurovision in 2019?", "Duncan Laurence won for the Netherlands.")])
    assert resolve("Where was it held?", chat, follow_up=False) == "Where was it held?"
    assert resolve("Which country saw its prime minister resign this week?", chat, follow_up=True) != (
        "Which country saw its prime minister resign this week?")


def test_no_history_means_no_change() -> None:
    assert resolve("And where?", Conversation()) == "And where?"
    assert resolve("And where?", None) == "And where?"


def test_content_words_drop_question_and_stop_words() -> None:
    assert content_words("Who did she marry in Paris?") == ["marry", "Paris"]
    assert content_words("What did Erdoğan say in Łódź?") == ["Erdoğan", "Łódź"]  # accented names stay whole


def test_capitalised_words_are_those_after_the_first_in_any_script() -> None:
    assert capitalised_words("Who did Beyoncé thank at the Grammys?") == ["Beyoncé", "Grammys"]
    assert capitalised_words("Zelenskyy said what? I ask because Kyiv-based papers say so") == ["Kyiv-based"]
    assert capitalised_words("who won?") == []
