from assistant.question import Question
from assistant.terms import checked_words, is_common_word, is_name, question_words


def test_question_words_are_every_word_after_the_first_once() -> None:
    assert question_words("Explain why Kyiv's mayor said the mayor left in 2023") == ["Kyiv's", "mayor", "left", "2023"]
    assert question_words("What did May say in May?") == ["May"]
    assert question_words("Hello") == []


def test_names_are_capitalised_words_and_numbers() -> None:
    assert is_name("Kyiv") and is_name("2025") and is_name("x9") and is_name("Élysée")
    assert not is_name("khachapuri") and not is_name("")


def test_common_english_words_are_told_from_rare_ones() -> None:
    assert all(is_common_word(w) for w in ("many", "did", "score", "cost", "Mayor's", "explain", "café", "naïve"))
    assert not any(is_common_word(w) for w in ("khachapuri", "quicksort", "flexbox", "bibingka"))


def test_checked_words_are_names_numbers_and_rare_words() -> None:
    question = "How many points did Zorvath score with khachapuri in 1875?"
    assert checked_words(Question.of(question)) == ["Zorvath", "khachapuri", "1875"]
    assert checked_words(Question.of(question), names=False) == ["khachapuri"]
    assert checked_words(Question.of(question), words=False) == ["Zorvath", "1875"]
    assert checked_words(Question.of(question), names=False, words=False) == []


def test_a_common_word_opening_a_later_sentence_is_no_name() -> None:
    from assistant.terms import question_names

    quiz = "Twitter said this week it would restore Donald Trump's account. True or false?"
    assert question_names(quiz) == {"Donald", "Trump's"}
    assert "True" not in checked_words(Question.of(quiz))  # nor is it looked up as an unknown name
    song = "Gordon Lightfoot died this week at 84. Finish the title of one of his songs."
    assert question_names(song) == {"Lightfoot", "84"}
    # a rare word, a number, or a word also met mid-sentence stays a name where it opens one
    assert question_names("Who won? Zelenskyy said so. 2024 was long. And Paris? Ask Paris.") >= {
        "Zelenskyy", "2024", "Paris"
    }
