import pytest

from assistant.question import Question
from assistant.support import asked_words, question_support
from index.lexical import LexicalIndex

# chunk id -> text; articles a (chunks 1, 2), b (3), c (4)
TEXTS = {
    1: "Joey Chestnut won the hot dog eating contest on Coney Island.",
    2: "Chestnut ate 63 hot dogs in ten minutes, his 15th title.",
    3: "The Nathan's contest in 2024 is expected to draw a record crowd to Coney Island.",
    4: "Doctors measured the resting heart rate of marathon runners.",
}
ARTICLES = {"a": [1, 2], "b": [3], "c": [4]}


@pytest.fixture(scope="module")
def lexical() -> LexicalIndex:
    return LexicalIndex.build(list(TEXTS), list(TEXTS.values()))


def test_an_article_mentioning_all_of_the_question_covers_it(lexical: LexicalIndex) -> None:
    support = question_support(Question.of("How many hot dogs did Joey Chestnut eat?"), ARTICLES, lexical)
    assert support.article_id == "a" and support.names_together
    assert support.coverage == pytest.approx(1.0) and support.missing == ()


def test_naming_lists_the_articles_that_mention_the_names_together(lexical: LexicalIndex) -> None:
    assert question_support(Question.of("How many hot dogs did Joey Chestnut eat?"), ARTICLES, lexical).naming == {"a"}
    apart = question_support(Question.of("How many hot dogs did Chestnut eat at Nathan's contest?"), ARTICLES, lexical)
    assert apart.naming == set()
    # no names in the question: every article names all of them
    assert question_support(Question.of("Who won the eating contest?"), ARTICLES, lexical).naming == {"a", "b", "c"}
    # what a question asks for counts among its names: only a has "hot dogs"
    assert question_support(Question.of("How many hot dogs were eaten?"), ARTICLES, lexical).naming == {"a"}


def test_names_must_stand_together_in_one_article(lexical: LexicalIndex) -> None:
    # "Chestnut" is in a, "Nathan's" in b: no article has both
    q = Question.of("How many hot dogs did Chestnut eat at Nathan's contest?")
    support = question_support(q, ARTICLES, lexical)
    assert not support.names_together
    assert support.article_id == "a" and support.missing == ("Nathan's",)


def test_a_detail_no_article_gives_leaves_words_missing(lexical: LexicalIndex) -> None:
    support = question_support(Question.of("Did Joey Chestnut's resting heart rate rise?"), ARTICLES, lexical)
    assert support.names_together and support.article_id == "a"
    assert support.missing == ("resting", "heart", "rate", "rise") and support.coverage < 0.5


def test_what_a_question_asks_for_must_stand_with_its_names(lexical: LexicalIndex) -> None:
    # "resting heart rate" is what is asked: the article on Chestnut lacks it, the one with it
    # lacks Chestnut, and the closest (by coverage) is named with what it does not mention
    support = question_support(Question.of("What is Joey Chestnut's resting heart rate?"), ARTICLES, lexical)
    assert not support.names_together and support.naming == set()
    assert support.article_id == "c" and support.missing == ("Joey", "Chestnut's")
    q = Question.of("How many stitches did Joey Chestnut need?")
    assert not question_support(q, ARTICLES, lexical).names_together
    assert question_support(Question.of("How many hot dogs did Joey Chestnut eat?"), ARTICLES, lexical).names_together


@pytest.mark.parametrize(
    ("question", "asked"),
    [
        ("How many bedrooms does the house in Conqueiros have?", ("bedrooms",)),
        ("About how many positive monkeypox cases are in the US?", ("positive", "monkeypox", "cases")),
        ("What is Sue Bird's shoe size?", ("shoe", "size")),
        ("What was the temperature in Paris during the final?", ("temperature",)),
        ("What was the name of the driver who took Rishi Sunak to the palace?", ("driver",)),
        ("SpaceX launched a rocket on Wednesday. What was its destination?", ("destination",)),
        # kinds of answer, units and qualities; names; what something is called; verbs
        ("How many people died in the fire?", ()),
        ("How many firefighters fought the flames at Notre Dame?", ("firefighters",)),
        ("How many goals struck the post?", ("goals",)),
        ("How many hit singles did she have?", ("hit", "singles")),  # a past tense that is also a noun
        ("How many teams hit the target?", ()),
        ("How many people live in Ottersby Wick?", ()),
        ("What is his age?", ()),
        ("What is the name of Rishi Sunak's Brexit deal?", ()),
        ("What is the policy called?", ()),
        ("What is he accused of?", ()),
        ("What was Krispy Kreme offering to customers?", ()),
        ("Which hotel did she stay at?", ()),
        ("Who won the 2022 Stanley Cup?", ()),
    ],
)
def test_asked_words(question: str, asked: tuple[str, ...]) -> None:
    assert asked_words(question) == asked


def test_no_articles_or_no_words(lexical: LexicalIndex) -> None:
    none = question_support(Question.of("Who won the contest?"), {}, lexical)
    assert none.coverage == 0.0 and none.missing == ("won", "contest")
    assert question_support(Question.of("Who is it?"), ARTICLES, lexical).coverage == 1.0


def test_passages_the_lexical_index_does_not_hold_cannot_be_judged(lexical: LexicalIndex) -> None:
    support = question_support(Question.of("What is Joey Chestnut's resting heart rate?"), {"x": [98, 99]}, lexical)
    assert support.coverage == 1.0 and support.names_together and support.missing == ()


def test_dates_place_the_question_in_time_and_need_not_stand_in_the_article(lexical: LexicalIndex) -> None:
    from assistant.support import date_words

    assert date_words("Who won on June 30, 2022, and on Monday, Sept. 5 in the 1990s?") == {
        "June", "30", "2022", "Monday", "Sept", "5", "1990s"
    }
    support = question_support(Question.of("How many hot dogs did Joey Chestnut eat in July 2022?"), ARTICLES, lexical)
    assert support.names_together and support.article_id == "a"
    assert support.missing == ("July", "2022")  # still missing, and weighing on the coverage


def test_a_year_after_the_article_was_published_must_be_in_it(lexical: LexicalIndex) -> None:
    question = "How many hot dogs did Joey Chestnut eat in 2025?"
    # a is from 2022: it cannot report on 2025 without saying so
    late = question_support(Question.of(question), ARTICLES, lexical, published={"a": "2022-07-05", "b": "2022-07-01"})
    assert not late.names_together and late.missing == ("2025",)
    # its own year, an earlier one, or an article without a date: the year may go unsaid; an
    # article of December may tell of the next year's January
    for published in ({"a": "2025-07-05"}, {"a": "2026-01-02T10:00:00"}, {"a": "2024-12-30"}, {"a": None}, {}):
        support = question_support(Question.of(question), ARTICLES, lexical, published=published)
        assert support.names_together and support.article_id == "a", published
    # and an article that does mention the later year covers it
    q = Question.of("When is Nathan's contest in 2024?")
    support = question_support(q, ARTICLES, lexical, published={"b": "2022-06-01"})
    assert support.names_together and support.article_id == "b" and support.missing == ()


def test_the_years_a_question_asks_about_are_not_those_of_its_plans() -> None:
    from assistant.support import event_years

    assert event_years("Who won the women's singles title at the 2024 French Open?") == {2024}
    assert event_years("Which team won the NBA title in the 2022-23 season, and in the 1990s?") == {2022, 1990}
    assert event_years("Who won the French Open?") == frozenset()
    # the future, as the news of an earlier year reports it, names its year once, if at all
    for planned in (
        "Which celebrity will host the 2024 Academy Awards?",
        "What would Biden be if he is re-elected in 2024?",
        "Who is the next governor in 2024?",
        "What will be the leading cause of cancer by 2030?",
        "Which airline plans to fly to Mars in 2030?",
        "The park is set to open in 2024. Where?",
    ):
        assert event_years(planned) == frozenset(), planned


def test_a_sentence_reports_on_a_later_year_only_by_naming_it() -> None:
    from assistant.support import unstated_years

    years = frozenset({2024})
    assert unstated_years("In 2023 Djokovic won the French Open.", years, "2023-06-12")
    assert not unstated_years("Swiatek won the 2024 French Open on Saturday.", years, "2023-06-12")
    assert unstated_years("A prize of 120245 euros.", years, "2023-06-12")  # a number, not the year
    # the article's own year, or an earlier one, need not be said; an undated article is trusted
    assert not unstated_years("Swiatek won the French Open on Saturday.", years, "2024-06-08")
    assert not unstated_years("Swiatek won the French Open on Saturday.", frozenset({2023}), "2023-06-12T09:00:00")
    assert not unstated_years("Swiatek won the French Open on Saturday.", years, None)
    # an article of December tells of its January too: "the launch from Cornwall next month"
    launch = "The plane is to take off from Newquay in Cornwall."
    assert not unstated_years(launch, frozenset({2023}), "2022-12-20")
    assert unstated_years(launch, frozenset({2023}), "2022-11-30")
    assert unstated_years(launch, frozenset({2024}), "2022-12-20")


def test_unstated_years_are_those_a_sentence_would_have_to_name() -> None:
    from assistant.support import unstated_years

    years = frozenset({2023, 2024})
    assert unstated_years("Plans for 2024 were announced.", years, "2022-06-01") == {2023}
    assert unstated_years("Plans for 2024 were announced.", years, "2023-03-01") == frozenset()
    assert unstated_years("Nothing dated.", years, None) == frozenset()


def test_a_demonym_is_met_by_its_place_and_us_is_no_sign_of_a_subject() -> None:
    texts = {
        1: "President Joe Biden met the president of Mexico in Washington on Monday.",
        2: "The U.S. economy grew faster than Canada's last year.",
        3: "Biden spoke about the economy.",
    }
    lexical = LexicalIndex.build(list(texts), list(texts.values()))
    articles = {"a": [1], "b": [2], "c": [3]}
    support = question_support(Question.of("Who is Joe Biden's Mexican counterpart?"), articles, lexical)
    assert support.names_together and support.article_id == "a" and support.naming == {"a"}
    assert support.missing == ("Mexican", "counterpart")  # the word itself still counts as missing
    # "U.S." has no token and "US" is in nearly every article: Canada alone must be found
    q = Question.of("How did the US economy compare with Canada's?")
    assert question_support(q, articles, lexical).naming == {"b"}
    q = Question.of("What did Biden say about Brazilian coffee?")
    assert not question_support(q, articles, lexical).names_together
