"""The page's handlers (``app.build_app``) called directly, with a fake assistant: no model, no
browser. A refused filter, asking a follow-up again on its own, and the date hints after an upload."""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.chat import Conversation, Turn, resolve
from assistant.filters import match_sources
from assistant.records import Answer, Filters
from index.store import Stats

gr = pytest.importorskip("gradio")

from app import build_app  # noqa: E402 -- only once gradio is known to be there

SOURCES = (("Riverton Post", 2), ("Valley Ledger", 1))
NO_FILTER: tuple[Any, ...] = ("", "", [], False, "")


class FakeAssistant:
    """What the page calls of ``Assistant``: ``ask`` abstains, but checks its filters, reads
    follow-ups and keeps the conversation as the real one does."""

    model = "fake-model"  # not a folder with a tokenizer: the app's chunker counts words, loads nothing

    def __init__(self) -> None:
        self.current = Stats(3, 0, 3, SOURCES, "2020-11-20", "2021-05-10")
        self.asked: list[tuple[str, Filters, bool | None]] = []

    def stats(self) -> Stats:
        return self.current

    def refresh(self) -> bool:
        return True

    def sample_titles(self, n: int) -> list[str]:
        return []

    def article_text(self, article_id: str) -> str:
        raise KeyError(article_id)

    def ask(self, question: str, conversation: Conversation | None = None, filters: Filters | None = None,
            follow_up: bool | None = None) -> Answer:
        filters = filters or Filters()
        filters = Filters(filters.date_from, filters.date_to, match_sources(filters.sources, [s for s, _ in SOURCES]),
                          filters.prefer_recent, filters.near_date)
        self.asked.append((question, filters, follow_up))
        query = resolve(question, conversation, follow_up)
        earlier = conversation.last if conversation is not None and query != question else None
        answer = Answer(question, query, (), 0.0, False, filters=filters,
                        follow_up_to=earlier.question if earlier is not None else None)
        if conversation is not None:
            conversation.add(Turn(question, query, answer, filters))
        return answer


@pytest.fixture
def assistant() -> FakeAssistant:
    return FakeAssistant()


@pytest.fixture
def handlers(assistant: FakeAssistant, tmp_path: Path) -> dict[str, Any]:
    demo = build_app(assistant, tmp_path)  # type: ignore[arg-type]
    return {str(f.name): f.fn for f in demo.fns.values()}


def asked(handlers: dict[str, Any], question: str, history: list[Any], conversation: Conversation,
          *form: Any) -> list[tuple[Any, ...]]:
    """Every update the ask handler yields: (chat, question box, conversation, ask-alone button,
    filter message, filters accordion)."""
    out: Iterator[tuple[Any, ...]] = handlers["ask"](question, history, conversation, *(form or NO_FILTER))
    return list(out)


def shown(message: Any) -> str:
    """The text a browser shows for a filter message's HTML."""
    return html.unescape(re.sub(r"<[^>]+>", "", message.value))


def is_skip(update: Any) -> bool:
    return isinstance(update, dict) and update.get("__type__") == "update" and len(update) == 1


@pytest.mark.parametrize(
    ("date_from", "date_to", "named"),
    [
        ("2020-31-01", "", "From date '2020-31-01' is not a date"),
        ("", "last tuesday", "To date 'last tuesday' is not a date"),
        ("2021-05-02", "2021-01", "From date 2021-05-02 is after To date 2021-01-31"),
    ],
)
def test_a_refused_filter_is_shown_beside_the_filters_and_the_chat_and_question_stay(
    handlers: dict[str, Any], assistant: FakeAssistant, caplog: pytest.LogCaptureFixture,
    date_from: str, date_to: str, named: str,
) -> None:
    conversation = Conversation()
    history = asked(handlers, "Why was the bridge closed?", [], conversation)[-1][0]
    caplog.clear()
    with caplog.at_level(logging.INFO):
        (update,) = asked(handlers, "  When will it reopen? ", history, conversation, date_from, date_to, [], False)
    chat, box, kept, alone, message, accordion = update
    assert chat == history and kept is conversation and len(conversation.turns) == 1
    assert box == "  When will it reopen? "  # as typed, to send again once the filter is fixed
    assert is_skip(alone)
    assert message.visible is True and named in shown(message) and 'class="nqa-filter-error"' in message.value
    assert accordion.open is True
    assert [(r.levelno, r.exc_info) for r in caplog.records] == [(logging.WARNING, None)]
    assert named in caplog.records[0].getMessage()
    assert len(assistant.asked) == 1  # nothing was searched


def test_a_refused_filter_value_is_escaped(handlers: dict[str, Any]) -> None:
    (update,) = asked(handlers, "q", [], Conversation(), "<img src=x onerror=alert(1)>", "", [], False)
    assert "<img" not in update[4].value and "&lt;img src=x onerror=alert(1)&gt;" in update[4].value


def test_a_source_the_index_no_longer_holds_takes_the_question_back(
    handlers: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    conversation = Conversation()
    with caplog.at_level(logging.INFO):
        updates = asked(handlers, "Why?", [], conversation, "", "", ["Gone Gazette"], False)
    echoed, last = updates[0], updates[-1]
    assert len(echoed[0]) == 1  # the question showed while it was checked...
    assert last[0] == [] and last[1] == "Why?" and not conversation.turns  # ...and is taken back
    assert shown(last[4]) == "The index holds no source 'Gone Gazette': it holds 'Riverton Post', 'Valley Ledger'."
    assert [r.levelno for r in caplog.records] == [logging.WARNING]


def test_the_next_good_question_clears_the_filter_message(handlers: dict[str, Any]) -> None:
    conversation = Conversation()
    asked(handlers, "Why?", [], conversation, "yesterday", "", [], False)
    updates = asked(handlers, "Why was the bridge closed?", [], conversation, "2021", "", [], False)
    message = updates[0][4]
    assert message.visible is False and message.value == ""
    chat = updates[-1][0]
    assert [m["role"] for m in chat] == ["user", "assistant"]
    assert "Searched only articles dated 2021-01-01 to now." in chat[-1]["content"]


def test_a_follow_up_can_be_asked_again_on_its_own_with_its_filters(
    handlers: dict[str, Any], assistant: FakeAssistant
) -> None:
    conversation = Conversation()
    history = asked(handlers, "Why was the Riverton bridge closed?", [], conversation)[-1][0]
    first = asked(handlers, "When will it reopen?", history, conversation, "2021", "", ["riverton post"], False)
    history, _, _, alone, *_ = first[-1]
    assert alone.visible is True
    assert "Read as a follow-up to “Why was the Riverton bridge closed?”." in history[-1]["content"]

    chat, kept, alone, message, accordion = handlers["ask_alone"](history, conversation)
    assert alone.visible is False and is_skip(message) and is_skip(accordion)
    # The follow-up's answer is replaced; the question above it stays, as the conversation has it.
    assert [m["role"] for m in chat] == ["user", "assistant", "user", "assistant"]
    assert chat[:3] == history[:3]
    assert "follow-up" not in chat[-1]["content"]
    assert "Searched only articles from Riverton Post; dated 2021-01-01 to now." in chat[-1]["content"]
    assert [t.question for t in kept.turns] == ["Why was the Riverton bridge closed?", "When will it reopen?"]
    assert kept.turns[-1].answer is not None and kept.turns[-1].answer.follow_up_to is None
    assert assistant.asked[-1] == ("When will it reopen?", Filters("2021", None, ("Riverton Post",)), False)


def test_a_question_read_on_its_own_offers_no_ask_alone(handlers: dict[str, Any], assistant: FakeAssistant) -> None:
    conversation = Conversation()
    updates = asked(handlers, "Why was the Riverton bridge closed?", [], conversation)
    history, alone = updates[-1][0], updates[-1][3]
    assert alone.visible is False
    chat, kept, alone, *_ = handlers["ask_alone"](history, conversation)
    assert chat == history and len(kept.turns) == 1 and alone.visible is False
    assert len(assistant.asked) == 1


def test_an_upload_moves_the_date_hints(
    handlers: dict[str, Any], assistant: FakeAssistant, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    class Report:
        def summary(self) -> str:
            return "added: 1"

    def ingest(paths: list[str], *args: Any, **kwargs: Any) -> Report:
        assistant.current = Stats(4, 0, 4, SOURCES, "2019-02-01", "2023-05-03")
        return Report()

    monkeypatch.setattr("index.ingest.ingest", ingest)  # build_app imports it when it is called
    upload = tmp_path / "new.jsonl"
    upload.write_text("{}\n", encoding="utf-8")
    demo = build_app(assistant, tmp_path)  # type: ignore[arg-type]
    add_files: Any = next(f.fn for f in demo.fns.values() if f.name == "add_files")
    report, stats, sources, date_from, date_to, files = add_files([str(upload)])
    assert (date_from.placeholder, date_to.placeholder) == ("2019-02-01", "2023-05-03")
    assert "4</b> articles" in stats and files is None


def test_saved_conversations_name_the_index_as_served(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from app import _index_label

    monkeypatch.chdir(tmp_path)
    assert _index_label(tmp_path / "data" / "demo" / "index") == "data/demo/index"  # not just "index"
    assert _index_label(Path("/elsewhere/ix")) == "/elsewhere/ix"
