"""Tests for corpus.clean: scraped-text clean-up, dates and titles."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from corpus.clean import clean_text, normalize_date, normalize_title

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "corpus"
SHARED_SAMPLE = Path("/work/shared/data/samples/scraped_article.txt")

BODY = [
    "The Riverton town council voted on Tuesday to rebuild the Old Mill bridge, which was closed in March "
    "after the river rose four metres and undermined its supports.",
    "The new bridge will cost 6.2 million dollars and is due to open in the autumn of next year. Mayor Jane "
    "Holloway said the design had been chosen to withstand a once-in-a-century flood.",
    "Residents who share a driveway with the mill will be asked to subscribe to the council\u2019s flood alerts "
    "by text message.",
    "Engineers found that two of the three supports had been scoured by the floodwater. \u201cWe could not "
    "reopen it safely,\u201d said chief engineer Priya Nair.",
]


# --- scraped input -------------------------------------------------------------------------------


def test_own_scraped_fixture_keeps_body_and_drops_debris() -> None:
    raw = (FIXTURES / "scraped_like.txt").read_text(encoding="utf-8")
    _title, _, body = raw.partition("\n")
    assert clean_text(body) == "\n\n".join(BODY)


@pytest.mark.skipif(not SHARED_SAMPLE.exists(), reason="shared scraped sample not available")
def test_shared_scraped_sample() -> None:
    raw = SHARED_SAMPLE.read_text(encoding="utf-8")
    cleaned = clean_text(raw)
    assert "Please enter your comment" not in cleaned
    assert "Please enter your name here" not in cleaned
    paragraphs = cleaned.split("\n\n")
    assert paragraphs[0] == "Intensive talks underway to negotiate one-month Gaza truce, sources report"
    assert paragraphs[1].startswith("An agreement between Israel and Hamas")
    assert paragraphs[-1].endswith("fighting in recent weeks.")
    assert len(paragraphs) == 6
    assert "\n\n\n" not in cleaned


@pytest.mark.parametrize(
    "debris",
    [
        "Please enter your comment!",
        "Please enter your name here",
        "You have entered an incorrect email address!",
        "Leave a Reply",
        "Leave a Reply Cancel reply",
        "Save my name, email, and website in this browser for the next time I comment.",
        "Your email address will not be published. Required fields are marked *",
        "Share this article",
        "Share on Facebook",
        "Share via Email",
        "Click to share on Twitter (Opens in new window)",
        "Facebook Twitter WhatsApp Email",
        "Share | Tweet | Email",
        "Follow us on Twitter",
        "Follow Jordan Mendoza on Twitter: @jordan_mendoza5.",
        "Sign up for our newsletter",
        "Sign up for CNN\u2019s Wonder Theory science newsletter. Explore the universe with news on discoveries.",
        "Would you like to receive The WeekDay newsletter ?",
        "Subscribe",
        "SUBSCRIBE NOW!",
        "We use cookies to improve your experience. By continuing to browse, you agree to our use of cookies.",
        "This website uses cookies to ensure you get the best experience on our website.",
        "Accept all cookies",
        "Advertisement",
        "ADVERTISEMENT",
        "Story continues below advertisement",
        "Read more: Council approves flood defences budget",
        "READ MORE:",
        "Read More",
        "\u25ba Read the full story here.",
        "Related: Riverton Rockets win regional championship",
        "More: Who is getting paid more? 16 states where personal incomes are booming",
        "Copyright \u00a9 2023 Riverton Post. All rights reserved.",
        "\u00a9 2022 Cable News Network. A Warner Bros. Discovery Company. All Rights Reserved.",
        "Copyright 2019 The Associated Press. All rights reserved.",
        "This material may not be published, broadcast, rewritten or redistributed.",
        "Home | News | Sport | Weather | Opinion",
        "Fire in the frame of Notre Dame. Image: LeLaisserPasserA38.",
        "Keisha Lance Bottoms Image: Afdahe.",
        "Jo JorgensenImage: Jo Jorgensen for President.",
        "The collapse of the spire, around 19:45 CEST Image: Remi Mathis (photos), Incnis Mrsi (montage).",
        "The JET tokamak near Oxford produced a record amount of energy. Credit: EUROFusion.",
        "A capsule is lowered to Earth under three parachutes. Photo Credit: (NASA/Bill Ingalls)",
        "Photos: Amazing pictures of Earth",
        "Video: Helpful tips for a hurricane survival kit",
        "Back to top",
        "***",
        "___",
    ],
)
def test_debris_paragraph_is_removed(debris: str) -> None:
    raw = f"{BODY[0]}\n\n{debris}\n\n{BODY[1]}"
    assert clean_text(raw) == f"{BODY[0]}\n\n{BODY[1]}"


@pytest.mark.parametrize(
    "sentence",
    [
        "Shareholders voted to share the profits with employees, the company said on Monday.",
        "Subscribers who sign up before June will pay less, the company said.",
        "More than 70 vendors were present at the event.",
        "Copyright law reform was debated in parliament on Tuesday.",
        "Advertisement revenue fell 12 percent in the quarter.",
        "Read more about the plan in the council's report, the mayor said.",
        "The newsletter was shared more than a million times.",
        "Follow-up inspections are planned for the spring.",
        "We use the bridge every day, said one resident.",
        "Home sales fell in March.",
        "Share prices rose.",
        "The agency released the image: a flag flying over the ruined city hall.",
        "Paramount Pictures: the studio said the film would open in June.",
        "Best Picture: \"12 Years a Slave.\"",
        "Photographs taken on Monday show the damage: Video footage was also released, police said.",
    ],
)
def test_normal_sentences_survive(sentence: str) -> None:
    raw = f"{BODY[0]}\n\n{sentence}\n\n{BODY[1]}"
    assert clean_text(raw) == raw


# --- characters, whitespace, paragraphs ----------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Cafe\u0301 opens.", "Caf\u00e9 opens."),  # NFC
        ("Zero\u200bwidth\ufeff and soft\u00adhyphen.", "Zerowidth and softhyphen."),
        ("Bell\x07 and\x00 nul.", "Bell and nul."),
        ("Too   many\t\tspaces\u00a0here.", "Too many spaces here."),
        ("  Leading and trailing.  ", "Leading and trailing."),
        ("First.\r\nSecond.\rThird.", "First.\n\nSecond.\n\nThird."),
        ("First.\u2029Second.", "First.\n\nSecond."),
        ("A.\n\n\n\n\nB.", "A.\n\nB."),
        ("A.\n   \n\t\nB.", "A.\n\nB."),
        ("One paragraph per line.\nAnother one.", "One paragraph per line.\n\nAnother one."),
        ("The mayor said the\nbridge would reopen.", "The mayor said the bridge would reopen."),
        ("", ""),
        ("  \n\n \t ", ""),
    ],
)
def test_characters_and_whitespace(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("The mayor\u00e2\u20ac\u2122s office", "The mayor\u2019s office"),
        ("Caf\u00c3\u00a9 society", "Caf\u00e9 society"),
        ("S\u00e3o Paulo and Caf\u00e9 stay as they are", "S\u00e3o Paulo and Caf\u00e9 stay as they are"),
    ],
)
def test_mojibake_is_repaired(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


def test_leading_dateline_is_removed() -> None:
    assert clean_text("New York CNN \u2014\n\n\u201cSquid Game\u201d is coming back.") == (
        "\u201cSquid Game\u201d is coming back."
    )
    assert clean_text("WASHINGTON (AP) --\n\nThe Senate voted.") == "The Senate voted."


def test_short_first_paragraph_that_is_not_a_dateline_is_kept() -> None:
    raw = "Thank you, Vice President Pence \u2013\n\nThe debate began at nine."
    assert clean_text(raw) == raw


def test_repeated_navigation_lines_are_removed() -> None:
    raw = "Most read\n\nFirst story.\n\nMost read\n\nSecond story.\n\nMost read"
    assert clean_text(raw) == "First story.\n\nSecond story."
    raw = "Sign in\n\nLatest news\n\nFirst story.\n\nSign in\n\nLatest news\n\nSign in\n\nLatest news"
    assert clean_text(raw) == "First story."
    twice = "Most read\n\nFirst story.\n\nMost read"  # twice is not "many times"
    assert clean_text(twice) == twice


def test_repeated_lines_that_carry_content_are_kept() -> None:
    transcript = "PAGE\n\nThank you.\n\nHARRIS\n\nThank you too.\n\nPAGE\n\nWell.\n\nHARRIS\n\nYes.\n\nPAGE\n\nNo."
    assert clean_text(transcript) == transcript
    headings = (
        "Frye Fire\n\nThe Frye Fire started on June 7.\n\nFrye Fire\n\nThe Frye Fire grew.\n\n"
        "Frye Fire\n\nThe Frye Fire is out."
    )
    assert clean_text(headings) == headings
    fields = "Age: 37\n\nShe ran.\n\nAge: 37\n\nHe ran.\n\nAge: 37\n\nThey ran."
    assert clean_text(fields) == fields
    nominees = "Best album\n\nDrake\n\nAdele\n\nBest song\n\nDrake\n\nAdele\n\nBest video\n\nDrake\n\nAdele"
    assert clean_text(nominees) == nominees
    gift_guide = "Less than $100\n\nA lamp.\n\nLess than $100\n\nA rug.\n\nLess than $100\n\nA mug."
    assert clean_text(gift_guide) == gift_guide


_DEBRIS_WORDS = ["Share", "Advertisement", "Subscribe", "Read more:", "Home", "CNN \u2014", "***", "PENCE"]
_texty = st.lists(
    st.one_of(
        st.sampled_from(_DEBRIS_WORDS + BODY),
        st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40),
    ),
    max_size=12,
).map(lambda parts: "\n".join(parts))


@settings(max_examples=300, deadline=None)
@given(_texty)
@example("\x80Â¡")  # a control character inside mojibake: repaired only on a second pass, once
def test_clean_text_is_idempotent(raw: str) -> None:
    once = clean_text(raw)
    assert clean_text(once) == once
    assert "\n\n\n" not in once
    assert once == once.strip()


def test_clean_text_is_idempotent_on_fixture() -> None:
    raw = (FIXTURES / "scraped_like.txt").read_text(encoding="utf-8")
    once = clean_text(raw)
    assert clean_text(once) == once


# --- dates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2022/06/12", "2022-06-12"),
        ("2019-01-04", "2019-01-04"),
        ("12 June 2022", "2022-06-12"),
        ("June 12, 2022", "2022-06-12"),
        ("Jun 12 2022", "2022-06-12"),
        ("Sun, 12 Jun 2022 10:00:00 +0000", "2022-06-12"),
        ("Sun, 12 Jun 2022 23:30:00 -0500", "2022-06-12"),  # the printed date, not UTC's
        ("2022-06-12T23:30:00-05:00", "2022-06-12"),
        ("2022-06-12T08:15:00Z", "2022-06-12"),
        ("2022-06-12 08:15:00.123456", "2022-06-12"),
        ("Updated 10:32 AM EDT, Sun June 12, 2022", "2022-06-12"),
        ("20220612", "2022-06-12"),
        (1655000000, "2022-06-12"),
        (1655000000.75, "2022-06-12"),
        ("1655000000", "2022-06-12"),
        (1655000000000, "2022-06-12"),  # milliseconds
        ("1655000000000", "2022-06-12"),
        (-86400, "1969-12-31"),
        (date(2020, 2, 29), "2020-02-29"),
        (datetime(2020, 2, 29, 23, 59), "2020-02-29"),
        ("  2019-01-04  ", "2019-01-04"),
    ],
)
def test_normalize_date_parses_many_forms(value: object, expected: str) -> None:
    assert normalize_date(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "   ",
        "None",
        "not a date",
        "hello world 5",
        "June 2022",  # no day
        "2022",  # a year alone
        "12",
        "2022-02-30",
        "0001-01-01",
        "1799-12-31",
        "2101-01-01",
        "3000-01-01T00:00:00Z",
        99999999999999999999,
        float("nan"),
        float("inf"),
        True,
        ["2022-06-12"],
        {"date": "2022-06-12"},
        "9" * 500,
        "x" * 10_000,
    ],
)
def test_normalize_date_rejects_junk(value: object) -> None:
    assert normalize_date(value) is None


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=60), st.integers(), st.floats(), st.none(), st.booleans()))
def test_normalize_date_never_raises(value: object) -> None:
    result = normalize_date(value)
    assert result is None or (len(result) == 10 and 1800 <= int(result[:4]) <= 2100)


# --- titles --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("  Flooding   closes\nbridge ", "Flooding closes bridge"),
        ("Caf\u0065\u0301\u200b opens", "Caf\u00e9 opens"),
        (None, None),
        ("", None),
        ("   ", None),
        ("None", None),
        ("null", None),
        ("NaN", None),
        ("nan", None),
        (float("nan"), None),
        (2022, "2022"),
        ("None of the above", "None of the above"),
    ],
)
def test_normalize_title(value: object, expected: str | None) -> None:
    assert normalize_title(value) == expected
