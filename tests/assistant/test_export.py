"""Saving a conversation: JSON that keeps every citation, Markdown that renders the corpus as text."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from tests_support import tags_of

from assistant.chat import Conversation, Turn
from assistant.export import (
    answer_record,
    conversation_json,
    conversation_markdown,
    conversation_record,
    markdown_text,
)
from assistant.records import Answer, AnswerSentence, Citation, Correction, Filters, Hit
from newsqa.cli import save_conversation

ARTICLE = "The ferry was suspended on Monday. Repairs will take two weeks.\n\nThe mayor said so."
HOSTILE = "<img src=x onerror=alert(1)> ![t](https://tracker.example/p.gif) [x](javascript:alert(1)) **b** `c`"


def cite(sentence: str, article_id: str = "a1", **meta: str | None) -> Citation:
    start = ARTICLE.index(sentence)
    fields = {"title": "Ferry suspended", "source": "Courier", "date": "2023-01-02",
              "url": "https://courier.example/ferry"} | meta
    return Citation(article_id, fields["title"], fields["source"], fields["date"], fields["url"], sentence,
                    start, start + len(sentence))


def answered(question: str, *sentences: AnswerSentence, query: str | None = None) -> Turn:
    return Turn(question, query or question, Answer(question, query or question, sentences, 0.61, True, ()))


def markdown_html(text: str, linkify: bool = True) -> str:
    """HTML of GitHub-flavoured Markdown: tables, strikethrough and, with ``linkify``, bare web
    addresses made links (inert until clicked; they may keep an escape inside the address)."""
    md = MarkdownIt("gfm-like") if linkify else MarkdownIt("commonmark").enable(["table", "strikethrough"])
    return md.render(text)


def links_are_web(tags: list[tuple[str, dict[str, str | None]]]) -> bool:
    return all(re.match(r"(https?|mailto):", attrs.get("href") or "") for tag, attrs in tags if tag == "a")




def test_markdown_quotes_each_sentence_with_its_citation() -> None:
    first = AnswerSentence("The ferry was suspended on Monday.", cite("The ferry was suspended on Monday."), 0.61,
                           (cite("The ferry was suspended on Monday.", "b7", source="Coastal Wire",
                                 url="https://wire.example/f"),))
    second = AnswerSentence("Repairs will take two weeks.", cite("Repairs will take two weeks."), 0.4)
    conversation = Conversation([
        answered("Why was the ferry suspended?", first, second),
        answered("How long?", second, query="How long? ferry suspended"),
    ])
    text = conversation_markdown(conversation, "demo")

    assert text.startswith("# newsqa conversation\n")
    assert "## 1. Why was the ferry suspended?" in text and "## 2. How long?" in text
    assert "> “The ferry was suspended on Monday.” \\[1\\]" in text
    cited = "- \\[2\\] Ferry suspended — Courier, 2023-01-02. <https://courier.example/ferry>"
    cited += " (article a1, characters 35–63)"
    assert cited in text
    assert "also reported by Ferry suspended — Coastal Wire, 2023-01-02. <https://wire.example/f>" in text
    assert "Read as a follow-up: searched for “How long? ferry suspended”." in text
    assert "Index: demo." in text and "Searched all articles." in text
    rendered = markdown_html(text)
    links = {a["href"] for tag, a in tags_of(rendered) if tag == "a"}
    assert links == {"https://courier.example/ferry", "https://wire.example/f"}
    assert "<blockquote>" in rendered and "[1]" in rendered


def test_an_abstention_says_so_with_its_reason_and_closest_articles_once_each() -> None:
    hit = Hit("a1", 0, "Ferry suspended", "Courier", "2023-01-02", "https://courier.example/ferry", ARTICLE, 0, 40, 1.0)
    answer = Answer("Who is the captain?", "Who is the captain?", (), 0.1, False, (hit, hit), (), ("captain",))
    text = conversation_markdown(Conversation([Turn(answer.question, answer.query, answer)]))

    assert "No answer found in the articles. The closest article found does not mention “captain”." in text
    assert text.count("- Ferry suspended — Courier, 2023-01-02 <https://courier.example/ferry>") == 1


def test_an_abstention_on_a_later_year_says_which() -> None:
    hit = Hit("a1", 0, "Ferry suspended", "Courier", "2023-01-02", "https://courier.example/ferry", ARTICLE, 0, 40, 1.0)
    answer = Answer("Who ran the 2025 ferry?", "Who ran the 2025 ferry?", (), 0.1, False, (hit,), (), (), ("2025",))
    assert answer_record(answer)["unreported_years"] == ["2025"]
    text = conversation_markdown(Conversation([Turn(answer.question, answer.query, answer)]))
    assert "No sentence found reports on “2025”: the articles it could come from were published before." in text


def test_markdown_of_hostile_fields_creates_no_markup() -> None:
    sentence = f"The ferry {HOSTILE} was suspended."
    c = Citation("a1", HOSTILE, HOSTILE, "2023-01-02", "javascript:alert(1)", sentence, 0, len(sentence))
    conversation = Conversation([answered(f"Why {HOSTILE}?", AnswerSentence(sentence, c, 0.5))])
    rendered = markdown_html(conversation_markdown(conversation))

    tags = tags_of(rendered)
    assert {tag for tag, _ in tags} <= {"h1", "h2", "p", "blockquote", "ul", "li", "a"}, tags
    assert links_are_web(tags), tags
    assert "alert(1)" in html.unescape(rendered)  # shown, not run


@given(st.text())
@example(HOSTILE)
@example("line one\n# heading\n- item\n> quote\n| a | b |\n|---|---|")
@example("www.tracker.example/x.gif and https://tracker.example")
@example("&lt;script&gt; &amp; \\*")
def test_markdown_text_renders_as_itself(text: str) -> None:
    rendered = markdown_html(markdown_text(text), linkify=False)
    assert [tag for tag, _ in tags_of(rendered)] in ([], ["p"]), rendered
    shown = html.unescape(re.sub(r"</?p>", "", rendered)).strip()
    assert shown == " ".join(text.replace("\x00", "\ufffd").split()), rendered
    # A viewer that links bare web addresses creates links, and nothing else.
    linked = tags_of(markdown_html(markdown_text(text)))
    assert {tag for tag, _ in linked} <= {"p", "a"} and links_are_web(linked), linked


def test_quotes_read_as_the_article_printed_them() -> None:
    printed = "The World Health Organization (WHO) said AT&T's 5 > 4 rule! {sic} | no."
    assert markdown_text(printed) == printed
    assert markdown_text("a *b* [c](d) <e> `f` &amp; ~g~ _h_") == r"a \*b\* \[c\](d) \<e> \`f\` \&amp; \~g\~ \_h\_"


def test_each_question_keeps_the_filters_and_preferences_it_was_asked_with() -> None:
    s = AnswerSentence("Repairs will take two weeks.", cite("Repairs will take two weeks."), 0.4)
    filters = Filters(date_from="2023-01", sources=("Courier",), near_date="2023-01-05")
    answer = Answer("How long?", "How long? ferry", (s,), 0.5, True, follow_up_to="Why was the ferry suspended?",
                    corrections=(Correction("feryy", "ferry"),), filters=filters)
    conversation = Conversation([answered("Why was the ferry suspended?", s),
                                 Turn("How long?", "How long? ferry", answer, filters)])
    record = json.loads(conversation_json(conversation, "demo"))
    assert record["turns"][0]["filters"] == {"date_from": None, "date_to": None, "sources": [],
                                             "prefer_recent": False, "near_date": None}
    assert record["turns"][1]["filters"] == {"date_from": "2023-01-01", "date_to": None, "sources": ["Courier"],
                                             "prefer_recent": False, "near_date": "2023-01-05"}
    saved = record["turns"][1]["answer"]
    assert saved["follow_up_to"] == "Why was the ferry suspended?"
    assert saved["corrections"] == [{"typed": "feryy", "searched": "ferry"}]
    assert saved["filters"] == record["turns"][1]["filters"]
    text = conversation_markdown(conversation, "demo")
    second = text[text.index("## 2."):]
    assert "Searched only articles from Courier; dated 2023-01-01 to now." in second
    assert "Ranked the articles published shortly before 2023-01-05 first." in second
    assert "Searched for 'ferry' (no article holds 'feryy')." in second
    assert "Read as a follow-up to “Why was the ferry suspended?”: searched for “How long? ferry”." in second


def test_the_json_record_keeps_offsets_that_slice_the_article() -> None:
    s = AnswerSentence("Repairs will take two weeks.", cite("Repairs will take two weeks."), 0.4)
    turn = answered("How long?", s)
    record = json.loads(json.dumps(conversation_record(Conversation([turn]), "demo")))

    assert record["index"] == "demo" and [t["question"] for t in record["turns"]] == ["How long?"]
    saved = record["turns"][0]["answer"]
    assert turn.answer is not None and saved == json.loads(json.dumps(answer_record(turn.answer)))
    c = saved["sentences"][0]["citation"]
    assert ARTICLE[c["start"] : c["end"]] == saved["sentences"][0]["text"] == s.text


@pytest.mark.parametrize("name", ["notes.md", "notes.json"])
def test_chat_save_writes_the_chosen_format(tmp_path: Path, name: str) -> None:
    s = AnswerSentence("Repairs will take two weeks.", cite("Repairs will take two weeks."), 0.4)
    target = tmp_path / name

    assert "ask a question first" in save_conversation(Conversation(), str(target))
    assert not target.exists()
    assert save_conversation(Conversation([answered("How long?", s)]), str(target)) == (
        f"(saved 1 question(s) to {target})"
    )
    text = target.read_text(encoding="utf-8")
    if name.endswith(".json"):
        assert json.loads(text)["turns"][0]["answer"]["sentences"][0]["text"] == s.text
    else:
        assert "> “Repairs will take two weeks.” \\[1\\]" in text
    assert "Could not save" in save_conversation(Conversation([answered("How long?", s)]), str(tmp_path / "no" / name))
    assert "Give a file name" in save_conversation(Conversation([answered("How long?", s)]), "")


def test_resolved_dates_are_kept_in_both_files() -> None:
    from assistant.dates import date_mentions

    sentence = "The ferry was suspended on Monday."
    c = cite(sentence)
    dates = date_mentions(sentence, "2023-01-04", c.start)
    s = AnswerSentence(sentence, c, 0.61, (), dates)
    conversation = Conversation([answered("When was the ferry suspended?", s)])
    assert "> (‘Monday’ = Monday 2 January 2023, by the article's date)" in conversation_markdown(conversation)
    (saved,) = conversation_record(conversation)["turns"][0]["answer"]["sentences"]
    assert saved["dates"] == [{"text": "Monday", "start": c.start + 27, "end": c.start + 33, "value": "2023-01-02"}]


def test_the_answer_phrase_is_kept_in_both_files() -> None:
    from assistant.records import AnswerPhrase

    sentence = "The ferry was suspended on Monday."
    c = cite(sentence)
    start = c.start + sentence.index("Monday")
    s = AnswerSentence(sentence, c, 0.61, phrase=AnswerPhrase("Monday", start, start + 6, "time"))
    conversation = Conversation([answered("When was the ferry suspended?", s)])
    assert "> (answer: Monday)" in conversation_markdown(conversation)
    (saved,) = conversation_record(conversation)["turns"][0]["answer"]["sentences"]
    assert saved["phrase"] == {"text": "Monday", "start": start, "end": start + 6, "kind": "time"}
