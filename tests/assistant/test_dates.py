import pytest

from assistant.dates import date_mentions, dates_note, describe_date

# 2019-04-16 was a Tuesday; 2020-01-29 a Wednesday; 2020-01-03 a Friday.


def resolved(sentence: str, published: str | None) -> list[tuple[str, str]]:
    return [(m.text, m.value) for m in date_mentions(sentence, published)]


@pytest.mark.parametrize(
    ("sentence", "published", "expected"),
    [
        ("The roof of Notre Dame caught fire yesterday.", "2019-04-16", [("yesterday", "2019-04-15")]),
        ("The mayor was stabbed last night on stage.", "2019-01-14", [("last night", "2019-01-13")]),
        ("Results are due tomorrow morning.", "2019-04-16", [("tomorrow morning", "2019-04-17")]),
        ("Parliament votes today.", "2019-04-16", [("today", "2019-04-16")]),
        ("This morning, the strike began.", "2019-04-16", [("This morning", "2019-04-16")]),
        ("The bridge reopened three days ago.", "2019-04-16", [("three days ago", "2019-04-13")]),
        # a weekday is the last such day on or before publication
        ("On Sunday morning, a helicopter crashed in Calabasas.", "2020-01-29", [("Sunday morning", "2020-01-26")]),
        ("He died Wednesday at 68.", "2020-01-29", [("Wednesday", "2020-01-29")]),
        ("Talks ended on Friday.", "2020-01-29", [("Friday", "2020-01-24")]),
        ("Last Wednesday he resigned.", "2020-01-29", [("Last Wednesday", "2020-01-22")]),
        # a month and day without a year: the year nearest publication
        ("WHO declared a pandemic on March 11.", "2020-04-08", [("March 11", "2020-03-11")]),
        ("The talks began on Dec. 28 in Geneva.", "2020-01-03", [("Dec. 28", "2019-12-28")]),
        ("Polls close on 5 January.", "2019-12-20", [("5 January", "2020-01-05")]),
        ("In early September, the parliament was dissolved.", "2019-10-23", [("September", "2019-09")]),
        ("Prices have risen since last March.", "2020-01-03", [("last March", "2019-03")]),
        ("Sales were 144% greater than last year.", "2019-02-02", [("last year", "2018")]),
        ("Talks failed earlier this month.", "2020-01-03", [("earlier this month", "2020-01")]),
        ("Mortgage rates rose last week.", "2020-01-03", [("last week", "2019-W52")]),
    ],
)
def test_relative_dates_resolve_against_the_publication_date(
    sentence: str, published: str, expected: list[tuple[str, str]]
) -> None:
    assert resolved(sentence, published) == expected


@pytest.mark.parametrize(
    "sentence",
    [
        "Biden won big on Super Tuesday.",  # a named day, not a date
        "The vote will take place on Friday.",  # a coming day, not the last one
        "The council meets next Friday and this Monday.",  # readings vary
        "The deal negotiated by May was rejected.",  # the name
        "On March 11, 2020, the WHO declared a pandemic.",  # the year is given
        "The 42nd parliament may sit in 2021.",
        "He works Mondays.",
        'Sanders said: "Today, I am asking all Americans to come together."',  # the speaker's day
        "“We will meet tomorrow,” she said.",
        "Police reported Tuesday morning that the mayor was found dead.",  # the day after: time zones
    ],
)
def test_what_cannot_be_settled_is_left_alone(sentence: str) -> None:
    assert resolved(sentence, "2020-03-16") == []


def test_no_date_without_a_publication_date() -> None:
    assert date_mentions("It happened yesterday.", None) == ()
    assert date_mentions("It happened yesterday.", "sometime in spring") == ()


def test_mentions_slice_the_article_like_citations() -> None:
    article = "Headline\n\nOn Sunday morning, a helicopter crashed. Officials spoke yesterday and last week."
    start = article.index("Officials")
    sentence = article[start:]
    mentions = date_mentions(sentence, "2020-01-29", offset=start)
    assert [m.text for m in mentions] == ["yesterday", "last week"]
    for m in mentions:
        assert article[m.start : m.end] == m.text


def test_a_weekday_followed_by_its_date_is_read_once() -> None:
    assert resolved("The party meets on Monday, March 9.", "2020-03-06") == [("March 9", "2020-03-09")]


def test_described_in_words() -> None:
    assert describe_date("2019-04-15") == "Monday 15 April 2019"
    assert describe_date("2019-W52") == "the week of Monday 23 December 2019"
    assert describe_date("2019-09") == "September 2019"
    assert describe_date("2018") == "2018"
    mentions = date_mentions("It burned yesterday, as it did last year.", "2019-04-16")
    assert dates_note(mentions) == "‘yesterday’ = Monday 15 April 2019; ‘last year’ = 2018"
