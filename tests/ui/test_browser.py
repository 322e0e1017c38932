"""The chat in headless Chromium against the real app (``python app.py``) over the UI fixture corpus.

A cited answer and its source, a follow-up (and asking it again on its own), a misspelt name
searched as the articles spell it, a source filter, a date preference, a refused filter shown beside
the filters, a new conversation, a hostile article that must stay inert text, the conversation saved
as Markdown and JSON, uploads (one under a file name made of markup) that grow the index without a
restart, and two users at once. Each test starts on a fresh page (a fresh conversation), and the
one that adds articles does so on an app of its own, so the tests pass in any order. Every wait is
on a condition in the page; any browser dialog fails the test (the payloads all call ``alert``).
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from assistant.export import markdown_text

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

pytestmark = [pytest.mark.browser, pytest.mark.integration]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ui"
ANSWER_TIMEOUT = 120_000  # ms: one answer on a busy 2-core machine
INGEST_TIMEOUT = 240_000  # ms: embedding the uploads, then reloading the index
HOSTILE_NAME = "<img src=x onerror=alert(1)>.txt"

# Elements and attributes an injected payload would leave in the DOM. (Gradio's own config script
# holds the corpus strings too, JSON-escaped: a script counts only if it *is* a payload.)
_INJECTED = r"""() => ({
  img_onerror: [...document.querySelectorAll('img')].filter(
      i => i.hasAttribute('onerror') || i.getAttribute('src') === 'x').length,
  injected_scripts: [...document.querySelectorAll('script')].filter(s => /^\s*alert\(/.test(s.textContent)).length,
  javascript_links: [...document.querySelectorAll('a[href]')].filter(
      a => a.getAttribute('href').trim().toLowerCase().startsWith('javascript:')).length,
  on_attributes_in_chat: [...document.querySelectorAll('#chat *, #stats *')].filter(
      e => [...e.attributes].some(a => a.name.startsWith('on'))).length,
})"""


@dataclass
class Chat:
    """The page, driven the way a reader uses it."""

    page: Any
    artifacts: Path
    dialogs: list[str] = field(default_factory=list)

    @property
    def answers(self) -> Any:
        return self.page.locator("#chat .nqa-answer")

    def ask(self, question: str) -> Any:
        """Ask ``question``; return the new answer once it is on the page."""
        before = self.answers.count()
        self.page.locator("#question textarea").fill(question)
        self.page.locator("#ask").click()
        expect(self.answers).to_have_count(before + 1, timeout=ANSWER_TIMEOUT)
        return self.answers.nth(before)

    def cited(self, answer: Any) -> list[str]:
        """The articles an answer points to: its sources, or the closest articles of an abstention."""
        return [str(t) for t in answer.locator("details.nqa-source summary, .nqa-closest li").all_inner_texts()]

    def open_source(self, source: Any) -> Any:
        """Expand one ``details.nqa-source`` of an answer."""
        source.locator("summary").click()
        expect(source.locator("blockquote.nqa-context")).to_be_visible()
        return source

    def choose_sources(self, *names: str) -> None:
        for name in names:
            self.page.locator("#source-filter input").click()
            self.page.get_by_role("option", name=name, exact=True).click()
            expect(self.page.locator("#source-filter")).to_contain_text(name)
        self.page.keyboard.press("Escape")

    def record_dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(self.artifacts / f"{name}.png"), full_page=True)

    def assert_inert(self) -> None:
        injected = self.page.evaluate(_INJECTED)
        assert injected == dict.fromkeys(injected, 0), f"markup from the corpus became live: {injected}"
        assert not self.dialogs, f"a script ran and opened dialogs: {self.dialogs}"


@contextmanager
def _open_chat(browser: Any, url: str, artifacts: Path) -> Iterator[Chat]:
    """A fresh browser context on ``url``: its own page, session and conversation."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.set_default_timeout(30_000)
        session = Chat(page, artifacts)
        page.on("dialog", session.record_dialog)
        page.goto(url)
        expect(page.locator("#question textarea")).to_be_visible()
        yield session
        session.assert_inert()
    finally:
        context.close()


@pytest.fixture
def chat(browser: Any, app_url: str, artifacts: Path) -> Iterator[Chat]:
    """The shared app (whose index no test changes), on a page of the test's own."""
    with _open_chat(browser, app_url, artifacts) as session:
        yield session


@pytest.fixture
def own_chat(browser: Any, own_app_url: str, artifacts: Path) -> Iterator[Chat]:
    """An app of the test's own over a copy of the index, for a test that adds articles."""
    with _open_chat(browser, own_app_url, artifacts) as session:
        yield session


def test_answer_quotes_cited_sentences_and_opens_a_source(chat: Chat) -> None:
    expect(chat.page.locator("#stats")).to_contain_text("5 articles")
    expect(chat.page.locator("#stats")).to_contain_text("2022-10-21 to 2023-04-05")
    answer = chat.ask("Why was the Gull Island ferry service suspended?")
    quotes = answer.locator(".nqa-quote")
    expect(quotes.first).to_contain_text("[1]")
    expect(answer).to_contain_text("suspended")
    expect(answer.locator(".nqa-sources-title")).to_have_text("Sources")

    courier = answer.locator("details.nqa-source", has_text="Northgate Courier")
    expect(courier).to_have_count(1)
    expect(courier.locator("summary")).to_contain_text("Reported by 2 sources")  # the Coastal Wire copy
    source = chat.open_source(courier)
    highlighted = source.locator("mark.nqa-hl").first
    expect(highlighted).to_be_visible()
    # The highlight is a sentence of the answer, shown inside more of its paragraph.
    assert highlighted.inner_text() in " ".join(quotes.all_inner_texts())
    assert len(source.locator("blockquote.nqa-context").inner_text()) > len(highlighted.inner_text())
    link = source.locator(".nqa-link a")
    expect(link).to_have_attribute("href", "https://courier.example/ferry-fire")
    expect(source.locator(".nqa-reported")).to_contain_text("Coastal Wire")
    chat.shot("01-answer-with-source")


def test_follow_up_uses_the_conversation_and_new_conversation_clears_it(chat: Chat) -> None:
    chat.ask("Why was the Gull Island ferry service suspended?")
    expect(chat.page.locator("#ask-alone")).to_be_hidden()  # that question was read on its own
    follow_up = chat.ask("When is it expected to resume?")
    expect(follow_up).to_contain_text(
        "Read as a follow-up to “Why was the Gull Island ferry service suspended?”."
    )
    # "it" was read as the ferry service: the story the first answer came from leads.
    assert "Gull Island ferry" in chat.cited(follow_up)[0], chat.cited(follow_up)
    chat.shot("02-follow-up")

    chat.page.locator("#new-conversation").click()
    expect(chat.answers).to_have_count(0)
    expect(chat.page.locator("#chat")).not_to_contain_text("Gull Island")
    expect(chat.page.locator("#ask-alone")).to_be_hidden()
    # The server forgot the conversation too: the same words are now a question of their own.
    fresh = chat.ask("When is it expected to resume?")
    expect(fresh).not_to_contain_text("Read as a follow-up")


def test_a_follow_up_can_be_asked_again_on_its_own(chat: Chat) -> None:
    chat.page.locator("#date-to input").fill("2023-04")  # the filters of the turn go with it
    chat.ask("Why was the Gull Island ferry service suspended?")
    follow_up = chat.ask("When is it expected to resume?")
    expect(follow_up).to_contain_text("Read as a follow-up to")
    alone = chat.page.locator("#ask-alone")
    expect(alone).to_have_text("Ask the last question on its own")
    chat.page.locator("#date-to input").fill("")  # changed since: the question keeps its own filters
    alone.click()
    # The follow-up's answer is replaced by the question's answer on its own; the exchange before stays.
    expect(chat.answers.last).not_to_contain_text("Read as a follow-up", timeout=ANSWER_TIMEOUT)
    expect(chat.answers).to_have_count(2)
    expect(chat.page.locator("#chat")).to_contain_text("Why was the Gull Island ferry service suspended?")
    expect(chat.page.locator("#chat")).to_contain_text("When is it expected to resume?")
    expect(chat.answers.last).to_contain_text("Searched only articles dated any time to 2023-04-30.")
    expect(alone).to_be_hidden()


def test_a_misspelt_name_is_searched_as_the_articles_spell_it(chat: Chat) -> None:
    # "Maribel", the burnt ferry, is in two of the corpus's passages; "Marbel" is in none.
    answer = chat.ask("What caused the fire aboard the Marbel?")
    expect(answer).to_contain_text("Searched for 'Maribel' (no article holds 'Marbel').")
    expect(answer.locator(".nqa-quote").first).to_contain_text("fuel pump")
    chat.shot("03-searched-for")


def test_source_filter_limits_the_next_answer(chat: Chat) -> None:
    chat.choose_sources("Valley Ledger")
    answer = chat.ask("Why was the ferry service suspended?")
    expect(answer).to_contain_text("Searched only articles from Valley Ledger.")
    # Whether it answers or abstains, every article it points to is from the chosen outlet.
    cited = chat.cited(answer)
    assert cited and all("Valley Ledger" in text for text in cited), cited
    assert "Northgate Courier" not in answer.inner_text()
    chat.shot("04-source-filter")


def test_near_date_is_named_in_the_answer(chat: Chat) -> None:
    chat.page.locator("#near-date input").fill("2023-01-10")
    answer = chat.ask("Why was the Gull Island ferry service suspended?")
    expect(answer).to_contain_text("Ranked the articles published shortly before 2023-01-10 first.")
    expect(answer).not_to_contain_text("Searched only articles")  # a preference restricts nothing


def test_a_refused_filter_is_shown_beside_the_filters_and_the_conversation_stays(
    chat: Chat, shared_app: Any
) -> None:
    log_before = shared_app.log.read_text(encoding="utf-8", errors="replace")
    first = chat.ask("Why was the Gull Island ferry service suspended?")
    page = chat.page
    message = page.locator("#filter-error")
    box = page.locator("#question textarea")
    question = "When is it expected to resume?"
    for date_from, date_to, said in (
        ("2020-31-01", "", "From date '2020-31-01' is not a date: give a day as YYYY-MM-DD"),
        ("", "last tuesday", "To date 'last tuesday' is not a date"),
        ("2023-05-01", "2023-04", "From date 2023-05-01 is after To date 2023-04-30: no article can match."),
    ):
        page.locator("#date-from input").fill(date_from)
        page.locator("#date-to input").fill(date_to)
        box.fill(question)
        page.locator("#ask").click()
        expect(message).to_contain_text(said)
        expect(message).to_be_visible()
        # No error toast and no "Error" over the chat: the conversation and the question stay.
        expect(page.locator(".toast-body")).to_have_count(0)
        expect(page.get_by_text("Error", exact=True)).to_have_count(0)
        expect(first).to_be_visible()
        expect(chat.answers).to_have_count(1)
        expect(box).to_have_value(question)
    chat.shot("05-filter-refused")

    # Fixed, the same question is sent again as it stands in the box; the message goes.
    page.locator("#date-from input").fill("2023")
    page.locator("#ask").click()
    expect(chat.answers).to_have_count(2, timeout=ANSWER_TIMEOUT)
    expect(message).to_be_hidden()
    answer = chat.answers.last
    expect(answer).to_contain_text("Searched only articles dated 2023-01-01 to 2023-04-30.")
    expect(answer).to_contain_text("Read as a follow-up to “Why was the Gull Island ferry service suspended?”.")
    # The server logged each refusal as one warning line, and nothing else went wrong.
    logged = shared_app.log.read_text(encoding="utf-8", errors="replace")[len(log_before):].splitlines()
    refusals = [line for line in logged if "filter refused" in line]
    assert len(refusals) == 3 and all(line.startswith("WARNING ") for line in refusals), logged
    assert not [line for line in logged if "Traceback" in line or line.startswith("ERROR")], logged


def test_hostile_article_shows_its_markup_as_text_and_runs_nothing(chat: Chat) -> None:
    # The stats panel and the source filter list the hostile outlet by its literal name.
    expect(chat.page.locator("#stats")).to_contain_text("Night Wire <script>alert('source')</script>")
    answer = chat.ask("What words were engraved on the brass plate inside the lighthouse lamp room?")
    for source in answer.locator("details.nqa-source").all():
        chat.open_source(source)
    text = answer.inner_text()
    if answer.locator("details.nqa-source").count():  # quoted: the payloads in its text show too
        assert "<img src=x onerror=alert(1)>" in text
        assert "<script>alert('text')</script>" in text
    # Quoted or only among the closest articles searched, its title and outlet show as written.
    assert "Lighthouse <img src=x onerror=alert('title')> lamp restored" in text
    assert "Night Wire <script>alert('source')</script>" in text
    # The javascript: url is shown, and is not a link.
    expect(answer.locator(".nqa-nolink").first).to_have_text("javascript:alert('url')")
    # Other articles quoted beside it may carry real links: every anchor is http(s), none javascript:.
    hrefs = [a.get_attribute("href") or "" for a in answer.locator("a").all()]
    assert all(h.startswith(("http://", "https://")) for h in hrefs), hrefs
    chat.choose_sources("Night Wire <script>alert('source')</script>")
    chat.assert_inert()
    chat.shot("06-hostile-article")


def test_saving_the_conversation_gives_its_quotes_and_citations_as_markdown_and_json(chat: Chat) -> None:
    chat.ask("Why was the Gull Island ferry service suspended?")
    chat.ask("What words were engraved on the brass plate inside the lighthouse lamp room?")
    chat.page.locator("#save-conversation").click()
    saved = chat.page.locator("#saved")
    for name in ("conversation.md", "conversation.json"):
        expect(saved.locator(f"a[href$='/{name}']")).to_have_count(1)
    files = {}
    for link in saved.locator("a[href]").all():
        href = link.get_attribute("href") or ""
        name = href.rsplit("/", 1)[-1]
        if name in ("conversation.md", "conversation.json") and name not in files:
            response = chat.page.request.get(href if href.startswith("http") else chat.page.url.rstrip("/") + href)
            assert response.ok, (href, response.status)
            files[name] = response.text()
    assert set(files) == {"conversation.md", "conversation.json"}, saved.inner_html()

    record = json.loads(files["conversation.json"])
    assert [t["question"] for t in record["turns"]] == [
        "Why was the Gull Island ferry service suspended?",
        "What words were engraved on the brass plate inside the lighthouse lamp room?",
    ]
    first = record["turns"][0]["answer"]
    assert first["is_answer"] and first["sentences"], first
    quoted = [s["text"] for s in first["sentences"]]
    assert all(s["citation"]["end"] - s["citation"]["start"] == len(s["text"]) for s in first["sentences"])
    markdown = files["conversation.md"]
    assert "## 1. Why was the Gull Island ferry service suspended?" in markdown
    assert "\\[1\\]" in markdown and "Northgate Courier" in markdown
    assert all(f"> “{markdown_text(q)}”" in markdown for q in quoted), markdown
    # The hostile article's title, quoted or among the closest articles, is escaped markup.
    assert markdown_text("Lighthouse <img src=x onerror=alert('title')> lamp restored") in markdown
    assert not re.search(r"(?<!\\)<(img|script)", markdown), markdown  # every "<" of the corpus is "\<"

    chat.page.locator("#new-conversation").click()
    expect(saved).to_be_hidden()


def test_uploads_grow_the_index_without_a_restart(own_chat: Chat, tmp_path: Path) -> None:
    hostile = tmp_path / HOSTILE_NAME
    shutil.copyfile(FIXTURES / "upload_museum.txt", hostile)
    herald = tmp_path / "upload_herald.jsonl"
    shutil.copyfile(FIXTURES / "upload_herald.jsonl", herald)
    wire = tmp_path / "upload_wire.rss"
    shutil.copyfile(FIXTURES / "upload_wire.rss", wire)

    chat = own_chat  # the articles are added to a copy of the index, on an app of this test's own
    expect(chat.page.locator("#date-from input")).to_have_attribute("placeholder", "2022-10-21")
    expect(chat.page.locator("#date-to input")).to_have_attribute("placeholder", "2023-04-05")
    chat.page.locator("#add-articles").get_by_text("Add articles").click()
    chat.page.locator("#upload input[type=file]").set_input_files([str(hostile), str(herald), str(wire)])
    # The file list shows each name as text (stem and extension in separate elements).
    expect(chat.page.locator("#upload")).to_contain_text(HOSTILE_NAME.removesuffix(".txt"))
    expect(chat.page.locator("#upload")).to_contain_text("upload_herald")
    chat.page.locator("#add").click()
    report = chat.page.locator("#ingest-report textarea")
    expect(report).to_have_value(re.compile(r"added: 3\b"), timeout=INGEST_TIMEOUT)
    # Gradio stores uploads under a cleaned name (without "<>"); the report names them by it.
    assert "img src=x onerror=alert(1).txt" in report.input_value()
    expect(chat.page.locator("#stats")).to_contain_text("8 articles")
    expect(chat.page.locator("#stats")).to_contain_text("Harbour Herald")
    # The From and To hints follow the index, as the source list does.
    expect(chat.page.locator("#date-to input")).to_have_attribute("placeholder", "2023-05-03")
    expect(chat.page.locator("#date-from input")).to_have_attribute("placeholder", "2022-10-21")
    chat.page.locator("#source-filter input").click()
    expect(chat.page.get_by_role("option", name="Harbour Herald", exact=True)).to_be_visible()
    chat.page.keyboard.press("Escape")
    chat.shot("07-uploaded")

    answer = chat.ask("How many antique barometers were in the exhibition when the Museum of Tides opened?")
    assert "Museum of Tides opens" in chat.cited(answer)[0], chat.cited(answer)
    herald_answer = chat.ask("What is the name of the new all-weather lifeboat at Kestrel Point?")
    assert "Harbour Herald" in chat.cited(herald_answer)[0], chat.cited(herald_answer)
    wire_answer = chat.ask("How far away can the new lantern of the Gull Rock lighthouse be seen?")
    assert "The Islander" in chat.cited(wire_answer)[0], chat.cited(wire_answer)
    assert "19 nautical miles" in wire_answer.inner_text()
    chat.shot("08-answer-from-upload")


def test_a_milvus_lite_index_is_served_as_a_directory_is(browser: Any, milvus_app_url: str, artifacts: Path) -> None:
    with _open_chat(browser, milvus_app_url, artifacts) as chat:
        expect(chat.page.locator("#stats")).to_contain_text("5 articles")
        answer = chat.ask("Why was the Gull Island ferry service suspended?")
        expect(answer).to_contain_text("suspended")
        courier = answer.locator("details.nqa-source", has_text="Northgate Courier")
        expect(courier).to_have_count(1)
        expect(courier.locator("summary")).to_contain_text("Reported by 2 sources")  # duplicates came along
        chat.shot("09-answer-from-milvus-lite")


def test_two_users_at_once_are_both_answered(chat: Chat, browser: Any, app_url: str) -> None:
    other_context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        other = Chat(other_context.new_page(), chat.artifacts)
        other.page.on("dialog", other.record_dialog)
        other.page.goto(app_url)
        for user, question in ((chat, "How many tonnes of apples did growers in the Lowen valley pick this autumn?"),
                               (other, "How much will the protected cycle lanes on Station Road cost?")):
            user.page.locator("#question textarea").fill(question)
        chat.page.locator("#ask").click()
        other.page.locator("#ask").click()
        expect(chat.answers).to_have_count(1, timeout=ANSWER_TIMEOUT)
        expect(other.answers).to_have_count(1, timeout=ANSWER_TIMEOUT)
        assert "apple harvest" in chat.cited(chat.answers.first)[0]
        assert "cycle lanes" in other.cited(other.answers.first)[0]
        other.assert_inert()
    finally:
        other_context.close()
