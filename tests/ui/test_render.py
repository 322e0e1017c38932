"""The page's renderers (newsqa.render), without a browser or Gradio: escaping, links, highlights,
source numbering, notes, the filter form."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from tests_support import tags_of

from assistant.filters import FilterError, describe_filters, describe_preferences
from assistant.records import Answer, AnswerPhrase, AnswerSentence, Citation, Correction, Filters, Hit
from index.store import Stats
from newsqa.render import (
    NO_ANSWER,
    date_hints,
    esc,
    example_questions,
    highlighted_paragraphs,
    number_sources,
    parse_filters,
    render_answer,
    render_error,
    render_filter_error,
    render_question,
    render_stats,
    safe_link,
    source_choices,
    upload_report,
)

ROOT = Path(__file__).resolve().parents[2]

PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    "<script>alert('x')</script>",
    '"><svg onload=alert(1)>',
    "<a href=javascript:alert(1)>click</a>",
    "${alert(1)} {{ constructor.constructor('alert(1)')() }} `x`",
]

ARTICLE = (
    "Heavy rain flooded the valley on Monday. The bridge was closed after the river rose.\n\n"
    "Mayor Jane Holloway said the bridge would reopen next week. Engineers are inspecting it.\n\n"
    "A third paragraph."
)
TEXTS = {"a1": ARTICLE}


def cite(sentence: str, article_id: str = "a1", text: str = ARTICLE, **meta: str | None) -> Citation:
    start = text.index(sentence)
    fields = {"title": "Flooding closes bridge", "source": "Riverton Post", "date": "2021-03-02",
              "url": "https://example.org/a1"} | meta
    return Citation(article_id, fields["title"], fields["source"], fields["date"], fields["url"], sentence, start,
                    start + len(sentence))


def answer_of(*sentences: AnswerSentence, query: str = "q") -> Answer:
    return Answer("q", query, sentences, 0.8, True, ())


def assert_inert(html_text: str) -> None:
    """No element or attribute a payload could have created: only the renderers' own tags, no
    event handlers, only http(s) links."""
    allowed = {"div", "p", "span", "b", "strong", "br", "ul", "li", "details", "summary", "blockquote", "mark", "a"}
    for tag, attrs in tags_of(html_text):
        assert tag in allowed, tag
        assert not any(name.startswith("on") for name in attrs), attrs
        if tag == "a":
            assert re.match(r"https?://", attrs.get("href") or ""), attrs
    assert "${" not in html_text and "{{" not in html_text and "`" not in html_text


# -- escaping and links -----------------------------------------------------------------------


@pytest.mark.parametrize("payload", PAYLOADS)
def test_esc_shows_every_character_and_creates_nothing(payload: str) -> None:
    out = esc(payload)
    assert "<" not in out and ">" not in out and '"' not in out
    assert tags_of(out) == []
    # What a browser shows is exactly the input.
    import html

    assert html.unescape(out) == payload


def test_esc_of_none_is_empty() -> None:
    assert esc(None) == ""


@pytest.mark.parametrize("url", ["https://example.org/a?b=1&c=2", "http://example.org/x", "HTTPS://EXAMPLE.ORG/"])
def test_safe_link_makes_http_urls_links(url: str) -> None:
    ((tag, attrs),) = tags_of(safe_link(url))
    assert tag == "a"
    assert attrs["href"] == url
    assert attrs["rel"] == "noopener noreferrer nofollow"


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "//evil.example/x",
        'https://example.org/" onmouseover="alert(1)',
        "https://example.org/<script>",
        "ftp://example.org/file",
    ],
)
def test_safe_link_shows_any_other_url_as_inert_text(url: str) -> None:
    out = safe_link(url)
    assert [tag for tag, _ in tags_of(out)] == ["span"]
    import html

    assert html.unescape(re.sub(r"<[^>]+>", "", out)) == url


def test_safe_link_without_url() -> None:
    assert "(no link)" in safe_link(None)
    assert "(no link)" in safe_link("")


def test_safe_link_escapes_its_label() -> None:
    out = safe_link("https://example.org/", label="<b>x</b>")
    assert "&lt;b&gt;x&lt;/b&gt;" in out


# -- highlighting a sentence in its paragraph ---------------------------------------------------


def test_highlight_is_the_sentence_within_its_paragraph_only() -> None:
    sentence = "Mayor Jane Holloway said the bridge would reopen next week."
    start = ARTICLE.index(sentence)
    (paragraph,) = highlighted_paragraphs(ARTICLE, [(start, start + len(sentence))])
    assert paragraph == [(sentence, True), (" Engineers are inspecting it.", False)]


def test_pieces_join_back_to_the_paragraph() -> None:
    first = "Heavy rain flooded the valley on Monday."
    second = "The bridge was closed after the river rose."
    spans = [(ARTICLE.index(s), ARTICLE.index(s) + len(s)) for s in (second, first)]
    (paragraph,) = highlighted_paragraphs(ARTICLE, spans)
    assert "".join(piece for piece, _ in paragraph) == ARTICLE.split("\n\n")[0]
    assert [piece for piece, quoted in paragraph if quoted] == [first, second]


def test_spans_in_two_paragraphs_give_two_paragraphs_in_text_order() -> None:
    late = "A third paragraph."
    early = "Heavy rain flooded the valley on Monday."
    spans = [(ARTICLE.index(s), ARTICLE.index(s) + len(s)) for s in (late, early)]
    paragraphs = highlighted_paragraphs(ARTICLE, spans)
    assert [[p for p, q in para if q] for para in paragraphs] == [[early], [late]]


def test_long_context_is_cut_at_words_with_an_ellipsis() -> None:
    before = " ".join(f"word{i}" for i in range(200))
    after = " ".join(f"tail{i}" for i in range(200))
    text = f"{before} The quoted sentence. {after}"
    start = text.index("The quoted sentence.")
    (paragraph,) = highlighted_paragraphs(text, [(start, start + 20)], max_side=50)
    (left, _), (middle, quoted), (right, _) = paragraph
    assert quoted and middle == "The quoted sentence."
    assert left.startswith("…") and len(left) <= 51 and left[1:].startswith("word")
    assert right.endswith("…") and len(right) <= 51
    assert all(w.startswith("tail") or w == "" for w in right.rstrip("…").split(" "))


def test_out_of_range_or_overlapping_spans_are_dropped() -> None:
    assert highlighted_paragraphs(ARTICLE, [(-1, 3), (5, 5000), (4, 4)]) == []
    (paragraph,) = highlighted_paragraphs(ARTICLE, [(0, 10), (5, 15)])
    assert [p for p, q in paragraph if q] == [ARTICLE[0:10]]


# -- answers ----------------------------------------------------------------------------------


def test_answer_quotes_sentences_with_marks_and_sources() -> None:
    s1 = "The bridge was closed after the river rose."
    s2 = "Mayor Jane Holloway said the bridge would reopen next week."
    out = render_answer(answer_of(AnswerSentence(s1, cite(s1), 0.9), AnswerSentence(s2, cite(s2), 0.8)),
                        TEXTS.__getitem__)
    # Both sentences come from one article: one source, one mark.
    assert out.count('<details class="nqa-source">') == 1
    assert f"“{s1}” <span class=\"nqa-mark\">[1]</span>" in out
    assert f"“{s2}” <span class=\"nqa-mark\">[1]</span>" in out
    assert f'<mark class="nqa-hl">{s1}</mark>' in out and f'<mark class="nqa-hl">{s2}</mark>' in out
    assert "Heavy rain flooded the valley on Monday." in out  # the paragraph around s1
    assert 'href="https://example.org/a1"' in out
    assert "Riverton Post" in out and "2021-03-02" in out and "Flooding closes bridge" in out
    assert "Reported by" not in out
    assert_inert(out)


def test_sources_are_numbered_by_article_in_order_of_first_citation() -> None:
    other_text = "Another story. The council met on Tuesday to vote."
    c_other = cite("The council met on Tuesday to vote.", "b2", other_text)
    s1, s3 = "The bridge was closed after the river rose.", "A third paragraph."
    marks, sources = number_sources([
        AnswerSentence(s1, cite(s1), 0.9),
        AnswerSentence(c_other.sentence, c_other, 0.8),
        AnswerSentence(s3, cite(s3), 0.7),
    ])
    assert marks == [1, 2, 1]
    assert [(s.n, s.citation.article_id, len(s.citations)) for s in sources] == [(1, "a1", 2), (2, "b2", 1)]


def test_syndicated_copies_are_reported_and_counted_once_per_outlet() -> None:
    s1, s2 = "The bridge was closed after the river rose.", "A third paragraph."
    wire = Citation("w9", "Bridge shut", "Coastal Wire", "2021-03-02", "https://wire.example/9", s1, 0, len(s1))
    wire2 = Citation("w9", "Bridge shut", "Coastal Wire", "2021-03-02", "https://wire.example/9", s2, 50, 50 + len(s2))
    answer = answer_of(AnswerSentence(s1, cite(s1), 0.9, (wire,)), AnswerSentence(s2, cite(s2), 0.8, (wire2,)))
    _, (source,) = number_sources(answer.sentences)
    assert source.n_sources == 2
    out = render_answer(answer, TEXTS.__getitem__)
    assert "Reported by 2 sources" in out
    assert "Coastal Wire" in out and 'href="https://wire.example/9"' in out


def test_answer_renders_hostile_fields_as_text() -> None:
    text = "Intro. " + " ".join(PAYLOADS) + " ends here.\n\nMore."
    sentence = text[len("Intro. "):text.index("\n")]
    c = Citation("x1", PAYLOADS[0], PAYLOADS[1], PAYLOADS[2], "javascript:alert(1)", sentence, 7, 7 + len(sentence))
    out = render_answer(answer_of(AnswerSentence(sentence, c, 0.9)), {"x1": text}.__getitem__)
    assert_inert(out)
    assert esc(PAYLOADS[0]) in out and esc(PAYLOADS[1]) in out
    assert '<span class="nqa-nolink">javascript:alert(1)</span>' in out


def test_the_answer_phrase_is_bold_inside_its_quote() -> None:
    s = "Mayor Jane Holloway said the bridge would reopen next week."
    c = cite(s)
    start = c.start + s.index("Jane Holloway")
    phrase = AnswerPhrase("Jane Holloway", start, start + len("Jane Holloway"), "person")
    out = render_answer(answer_of(AnswerSentence(s, c, 0.9, phrase=phrase)), TEXTS.__getitem__)
    assert ('“Mayor <strong class="nqa-phrase" title="the answer">Jane Holloway</strong> said the bridge would '
            'reopen next week.” <span class="nqa-mark">[1]</span>') in out
    assert_inert(out)


def test_a_hostile_answer_phrase_stays_text() -> None:
    text = "Intro. " + " ".join(PAYLOADS) + " ends here."
    sentence = text[len("Intro. "):]
    c = Citation("x1", "t", "s", "2020-01-01", None, sentence, 7, 7 + len(sentence))
    start = text.index(PAYLOADS[1])
    phrase = AnswerPhrase(PAYLOADS[1], start, start + len(PAYLOADS[1]), "entity")
    out = render_answer(answer_of(AnswerSentence(sentence, c, 0.9, phrase=phrase)), {"x1": text}.__getitem__)
    assert_inert(out)
    assert f'<strong class="nqa-phrase" title="the answer">{esc(PAYLOADS[1])}</strong>' in out


def test_citation_that_no_longer_matches_its_article_still_shows_the_sentence() -> None:
    s1 = "The bridge was closed after the river rose."
    answer = answer_of(AnswerSentence(s1, cite(s1), 0.9))
    changed: dict[str, str] = {"a1": "Changed since."}
    deleted: dict[str, str] = {}
    for article_text in (changed.__getitem__, deleted.__getitem__):
        out = render_answer(answer, article_text)
        assert f'<mark class="nqa-hl">{s1}</mark>' in out


def test_follow_up_correction_and_filters_are_noted() -> None:
    s1 = "The bridge was closed after the river rose."
    answer = replace(answer_of(AnswerSentence(s1, cite(s1), 0.9), query="q q bridge"),
                     follow_up_to="Why was the bridge closed?", corrections=(Correction("Rivrton", "Riverton"),),
                     filters=Filters("2021", None, ("Riverton Post",), near_date="2021-03-05"))
    out = render_answer(answer, TEXTS.__getitem__)
    notes = re.findall(r'<p class="nqa-note">(.*?)</p>', out)
    assert notes == [
        "Searched for &#x27;Riverton&#x27; (no article holds &#x27;Rivrton&#x27;).",
        "Read as a follow-up to “Why was the bridge closed?”.",
        "Searched only articles from Riverton Post; dated 2021-01-01 to now.",
        "Ranked the articles published shortly before 2021-03-05 first.",
    ]
    # The notes stand between the quotes and the sources.
    assert out.index("nqa-quote") < out.index("nqa-note") < out.index("nqa-sources")


def test_an_abstention_notes_its_filters_and_corrections_too() -> None:
    answer = Answer("q", "q", (), 0.0, False, (), ("Zorvath",), corrections=(Correction("Hampsire", "Hampshire"),),
                    filters=Filters(date_to="2020-06", prefer_recent=True))
    out = render_answer(answer, TEXTS.__getitem__)
    assert "Searched for &#x27;Hampshire&#x27; (no article holds &#x27;Hampsire&#x27;)." in out
    assert "No indexed article mentions “Zorvath”." in out
    assert "Searched only articles dated any time to 2020-06-30." in out
    assert "Ranked the articles the newest first." in out


def test_notes_from_the_user_are_escaped() -> None:
    s1 = "The bridge was closed after the river rose."
    answer = replace(answer_of(AnswerSentence(s1, cite(s1), 0.9)), follow_up_to=PAYLOADS[0],
                     corrections=(Correction(PAYLOADS[1], PAYLOADS[2]),), filters=Filters(sources=(PAYLOADS[4],)))
    out = render_answer(answer, TEXTS.__getitem__)
    assert_inert(out)
    assert esc(PAYLOADS[0]) in out


def test_an_answer_read_on_its_own_says_nothing_of_follow_ups() -> None:
    s1 = "The bridge was closed after the river rose."
    out = render_answer(answer_of(AnswerSentence(s1, cite(s1), 0.9), query="q bridge"), TEXTS.__getitem__)
    assert "follow-up" not in out and "nqa-note" not in out


def test_abstention_says_so_and_lists_the_closest_articles_once_each() -> None:
    hits = tuple(
        Hit(aid, 0, f"<b>{aid}</b>", "Outlet", "2021-01-01", url, "text", 0, 4, 1.0)
        for aid, url in (("a", "https://e.org/a"), ("a", "https://e.org/a"), ("b", "javascript:alert(1)"))
    )
    out = render_answer(Answer("q", "q", (), 0.1, False, hits), TEXTS.__getitem__)
    assert NO_ANSWER in out
    assert "Closest articles searched" in out
    assert out.count("<li>") == 2
    assert "&lt;b&gt;a&lt;/b&gt;" in out
    assert_inert(out)


def test_abstention_with_nothing_searched() -> None:
    out = render_answer(Answer("q", "q", (), 0.0, False, ()), TEXTS.__getitem__)
    assert NO_ANSWER in out and "No article matched" in out


# -- the rest of the page ---------------------------------------------------------------------


def test_question_and_error_are_escaped() -> None:
    assert render_question("<script>x</script>\nok") == "&lt;script&gt;x&lt;/script&gt;<br>ok"
    assert_inert(render_error("<img src=x onerror=alert(1)>"))


def test_stats_and_source_choices() -> None:
    stats = Stats(3, 1, 9, (("Riverton Post", 2), ("", 1), ("<b>Evil</b>", 1)), "2020-11-20", "2021-05-10")
    out = render_stats(stats)
    assert "<b>3</b> articles (+1 duplicate merged)" in out
    assert "<b>2</b> sources" in out and "2020-11-20 to 2021-05-10" in out
    assert "&lt;b&gt;Evil&lt;/b&gt;" in out
    assert_inert(out)
    assert source_choices(stats) == ["<b>Evil</b>", "Riverton Post"]


def test_example_questions_from_titles() -> None:
    assert example_questions(["Bridge closed!", "  ", "Library opens."], n=3) == [
        "What do the articles say about “Bridge closed”?",
        "What do the articles say about “Library opens”?",
    ]


def test_parse_filters() -> None:
    assert parse_filters(" 2021-01-01 ", "", ["A"], True) == Filters("2021-01-01", None, ("A",), True)
    assert parse_filters(None, None, None, False) == Filters()
    assert parse_filters("  ", " ", [], False, "  ") == Filters()
    assert parse_filters("", "", [], False, " 2022-06-10 ") == Filters(near_date="2022-06-10")
    # A month or a year is the span it names: From opens on its first day, To closes on its last.
    assert parse_filters("2020", "2021-02", None, False) == Filters("2020-01-01", "2021-02-28")


@pytest.mark.parametrize(
    ("date_from", "date_to", "near", "named"),
    [
        ("2020-31-01", "", "", "From date '2020-31-01'"),
        ("", "last tuesday", "", "To date 'last tuesday'"),
        ("March 2021", "", "", "From date 'March 2021'"),
        ("2021-05", "2021-01-31", "", "From date 2021-05-01 is after To date 2021-01-31"),
        ("", "", "last week", "“Shortly before” date 'last week'"),
        ("", "", "2022-06", "“Shortly before” date '2022-06'"),  # a preference needs a day
    ],
)
def test_parse_filters_refuses_what_it_cannot_apply_naming_the_field_and_value(
    date_from: str, date_to: str, near: str, named: str
) -> None:
    with pytest.raises(FilterError) as refused:
        parse_filters(date_from, date_to, [], False, near)
    assert str(refused.value).startswith(named), str(refused.value)
    assert isinstance(refused.value, ValueError)


def test_describe_filters_and_preferences() -> None:
    assert describe_filters(Filters()) == ""
    assert describe_filters(Filters(near_date="2022-06-10", prefer_recent=True)) == ""  # they restrict nothing
    assert describe_preferences(Filters(near_date="2022-06-10")) == "published shortly before 2022-06-10"
    assert describe_preferences(Filters(near_date="2022-06-10", prefer_recent=True)).endswith(" and the newest")
    assert describe_preferences(Filters(sources=("A",))) == ""


def test_filter_error_is_escaped_text() -> None:
    out = render_filter_error("From date '<img src=x onerror=alert(1)>' is not a date")
    assert_inert(out)
    assert "&lt;img src=x onerror=alert(1)&gt;" in out


def test_date_hints_are_the_first_and_last_dates() -> None:
    assert date_hints(Stats(3, 0, 3, (), "2020-11-20", "2021-05-10")) == ("2020-11-20", "2021-05-10")
    assert date_hints(Stats(0, 0, 0, (), None, None)) == ("YYYY-MM-DD", "YYYY-MM-DD")


def test_upload_report_names_files_not_server_paths() -> None:
    paths = ["/tmp/gradio/abc/news.jsonl", "/tmp/gradio/def/notes.txt"]
    summary = "articles read: 1\nskipped: 1\n  /tmp/gradio/abc/news.jsonl:3: missing field 'text'"
    out = upload_report(summary, paths)
    assert "/tmp/gradio" not in out
    assert out.startswith("files: news.jsonl, notes.txt\n")
    assert "news.jsonl:3: missing field 'text'" in out


def test_importing_the_app_loads_no_model() -> None:
    models = ("torch", "sentence_transformers", "transformers")
    code = f"import sys, app; print(sorted(m for m in {models!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         timeout=120)
    assert out.stdout.strip() == "[]"


def test_the_renderers_need_no_gradio() -> None:
    heavy = ("gradio", "torch", "sentence_transformers", "transformers")
    code = f"import sys, newsqa.render; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         timeout=120)
    assert out.stdout.strip() == "[]"


def test_abstention_names_the_terms_no_article_contains_escaped() -> None:
    out = render_answer(Answer("q", "q", (), 0.0, False, (), ("Zorvath", "<img src=x onerror=alert(1)>")),
                        TEXTS.__getitem__)
    assert NO_ANSWER in out
    assert "No indexed article mentions “Zorvath”, “&lt;img src=x onerror=alert(1)&gt;”." in out
    assert_inert(out)


def test_resolved_dates_are_shown_under_their_quote_as_text() -> None:
    from assistant.records import DateMention

    s1 = "Heavy rain flooded the valley on Monday."
    at = ARTICLE.index("Monday")
    mention = DateMention("Monday", at, at + len("Monday"), "2021-03-01")
    out = render_answer(answer_of(AnswerSentence(s1, cite(s1), 0.9, (), (mention,))), TEXTS.__getitem__)
    assert '<p class="nqa-dates">‘Monday’ = Monday 1 March 2021, by the article' in out
    hostile = DateMention(PAYLOADS[0], 0, 1, "2021-03-01")
    out = render_answer(answer_of(AnswerSentence(s1, cite(s1), 0.9, (), (hostile,))), TEXTS.__getitem__)
    assert_inert(out)
