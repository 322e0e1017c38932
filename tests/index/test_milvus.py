"""Milvus as the index, on Milvus Lite (skipped without the ``scale`` extra): the assistant answers
from it as from the local index, with the same citations; a local index copies into it without
embedding anything; filters become Milvus expressions; and a Milvus Lite server started here is
reached over ``http://127.0.0.1:PORT``. The protocol cases both backends share are in
``test_backend_contract.py``."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")

from assistant.api import Assistant  # noqa: E402
from assistant.records import Answer, AskSettings, Filters  # noqa: E402
from index.copy import copy_index  # noqa: E402
from index.facets import ChunkFilter  # noqa: E402
from index.location import is_milvus, open_index  # noqa: E402
from index.milvus import milvus_filter  # noqa: E402
from newsqa.cli import main  # noqa: E402
from tests.assistant.conftest import OverlapScorer, build_index  # noqa: E402

QUESTIONS = [
    "How many points did Sam Ortiz score in the final?",
    "Who designed the new library?",
    "Why was the Old Mill bridge closed?",
    "When will the bridge reopen?",
]


def test_locations_are_told_apart() -> None:
    assert is_milvus("data/x.db") and is_milvus(Path("x.db")) and is_milvus("http://localhost:19530")
    assert is_milvus("https://milvus.example:443/newsqa")
    assert not is_milvus("data/index") and not is_milvus(Path("data/db")) and not is_milvus("x.dbx")


def test_filters_become_milvus_expressions() -> None:
    assert milvus_filter(None) == milvus_filter(ChunkFilter()) == ""
    assert milvus_filter(ChunkFilter(date_from="2021-03-02T10:00:00Z")) == 'day >= "2021-03-02"'
    assert milvus_filter(ChunkFilter(date_from="2021-01-01", date_to="2021-12-31", sources=("A", 'The "B"\\'))) == (
        'day >= "2021-01-01" and day <= "2021-12-31" and source in ["A", "The \\"B\\"\\\\"]'
    )


def _cited(answer: Answer) -> list[tuple[str, int, int, str]]:
    return [(s.citation.article_id, s.citation.start, s.citation.end, s.text) for s in answer.sentences]


def test_the_assistant_answers_from_milvus_lite_as_the_local_index(tmp_path: Path, small_corpus_file: Path) -> None:
    embedder = build_index(small_corpus_file, tmp_path / "ix")
    build_index(small_corpus_file, tmp_path / "ix.db")
    settings = AskSettings(min_confidence=0.2)
    local = Assistant.load(tmp_path / "ix", settings, embedder=embedder, scorer=OverlapScorer())
    lite = Assistant.load(tmp_path / "ix.db", settings, embedder=embedder, scorer=OverlapScorer())
    try:
        assert lite.stats() == local.stats() and lite.model == local.model
        answered = 0
        for question in QUESTIONS:
            mine, theirs = lite.ask(question), local.ask(question)
            assert mine.is_answer == theirs.is_answer and _cited(mine) == _cited(theirs), question
            for s in mine.sentences:  # real citations: offsets into the article's text
                assert lite.article_text(s.citation.article_id)[s.citation.start : s.citation.end] == s.text
            answered += mine.is_answer
            assert [h.chunk_id for h in lite.search(question, k=5)] == [h.chunk_id for h in local.search(question, k=5)]
        assert answered >= 3
        sports = Filters(sources=("sports daily",))  # spelt as the index spells it, regardless of case
        hits = lite.search("Riverton bridge library championship", k=10, filters=sports)
        assert {h.article_id for h in hits} == {"a2"}
        assert not lite.ask("Why was the Old Mill bridge closed?", filters=Filters(date_from="2022-01-01")).is_answer
    finally:
        lite.close()
        local.close()


def test_copy_index_reuses_the_vectors_and_resumes(tmp_path: Path, small_corpus_file: Path) -> None:
    from index.chunk import Chunker
    from index.ingest import delete

    embedder = build_index(small_corpus_file, tmp_path / "ix")
    report = copy_index(tmp_path / "ix", tmp_path / "copy.db", batch_articles=2)
    source, copy = open_index(tmp_path / "ix"), open_index(tmp_path / "copy.db")
    try:
        keys = source.chunk_ids_of(["a1", "a2", "a3"])
        assert (report.copied, report.unchanged, report.chunks) == (3, 0, sum(map(len, keys.values())))
        assert copy.chunk_ids_of(["a1", "a2", "a3"]) == keys  # the local chunk ids are the keys
        assert copy.chunks(keys["a3"]) == source.chunks(keys["a3"]) and copy.stats() == source.stats()
        assert copy.model == source.model and copy.is_up_to_date()
        record = copy.chunks(keys["a2"][:1])[0]
        vectors, _ = copy.load_search()
        found = vectors.search_vector(embedder.embed([f"{record.title}\n{record.text}"])[0], 1)
        assert found[0][0] == record.id and found[0][1] == pytest.approx(1.0, abs=1e-5)  # the very vector
    finally:
        source.close()
        copy.close()
    delete(["a1"], tmp_path / "ix", lambda: embedder, Chunker(25, 5))
    again = copy_index(tmp_path / "ix", tmp_path / "copy.db")
    assert (again.copied, again.unchanged, again.removed) == (0, 2, 1)
    copy = open_index(tmp_path / "copy.db")
    try:
        assert copy.article_ids() == ["a2", "a3"] and copy.stats().articles == 2
    finally:
        copy.close()


def test_the_commands_take_a_milvus_location(
    tmp_path: Path, small_corpus_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build_index(small_corpus_file, tmp_path / "ix")
    assert main(["copy-index", str(tmp_path / "ix"), str(tmp_path / "copy.db"), "-q"]) == 0
    assert "articles copied: 3" in capsys.readouterr().out
    assert main(["stats", "--index", str(tmp_path / "copy.db"), "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert (stats["articles"], stats["up_to_date"]) == (3, True)
    assert stats["sources"] == {"Riverton Post": 2, "Sports Daily": 1}
    assert main(["stats", "--index", str(tmp_path / "none.db")]) == 1
    assert "no index at" in capsys.readouterr().err
    assert main(["copy-index", str(tmp_path / "ix"), str(tmp_path / "other"), "-q"]) == 1  # not a Milvus location


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def milvus_server(tmp_path: Path) -> Iterator[str]:
    """``milvus-lite server`` on a free 127.0.0.1 port, stopped after the test; its URI."""
    port = _free_port()
    script = Path(sys.executable).with_name("milvus-lite")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "milvus_lite"]
    log = tmp_path / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [*command, "server", "--data-dir", str(tmp_path / "server-data"), "--host", "127.0.0.1",
             "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"milvus-lite server exited ({proc.returncode}):\n{log.read_text(errors='replace')}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"milvus-lite server did not listen in 60 s:\n{log.read_text(errors='replace')}")
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(tmp_path / "server-data", ignore_errors=True)


def test_a_milvus_server_is_reached_over_its_uri(milvus_server: str, small_corpus_file: Path) -> None:
    embedder = build_index(small_corpus_file, milvus_server)  # type: ignore[arg-type]
    qa = Assistant.load(milvus_server, AskSettings(min_confidence=0.2), embedder=embedder, scorer=OverlapScorer())
    try:
        answer = qa.ask("How many points did Sam Ortiz score in the final?")
        assert answer.is_answer and answer.sentences[0].citation.article_id == "a2"
        assert "31 points" in answer.sentences[0].text and qa.stats().articles == 3
    finally:
        qa.close()
