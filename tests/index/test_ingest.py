import json
import logging
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import bm25s
import numpy as np
import pytest
import Stemmer
from tests_support import DEMO

from index.chunk import Chunker
from index.embed import Embedder, HashingEmbedder
from index.errors import IndexCorruptError, IndexMismatchError, IndexNotFoundError, InputNotFoundError, NewsQAError
from index.ingest import delete, ingest
from index.store import IndexStore
from index.vectors import search_faiss

MODEL = "hashing-test"
WORKER = Path(__file__).resolve().parents[1] / "support" / "ingest_worker.py"


def run(paths, index_dir, embedder=None, **kw):  # type: ignore[no-untyped-def]
    embedder = embedder or HashingEmbedder(dim=32)
    return ingest([str(p) for p in paths], index_dir, lambda: embedder, MODEL, Chunker(30, 5), **kw)


def write_jsonl(path: Path, rows: list[dict]) -> Path:  # type: ignore[type-arg]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def check_consistent(index_dir: Path) -> dict[str, int]:
    """The invariants a loadable index must hold; returns its counts."""
    store = IndexStore.open(index_dir)
    try:
        db = store.db
        kept = {r[0] for r in db.execute("SELECT id FROM articles WHERE duplicate_of IS NULL")}
        with_chunks = {r[0] for r in db.execute("SELECT DISTINCT article_id FROM chunks")}
        assert with_chunks == kept, "every kept article has chunks and only kept articles do"
        dup_chunks = db.execute(
            'SELECT COUNT(*) FROM (SELECT article_id, start, "end" FROM chunks GROUP BY 1, 2, 3 HAVING COUNT(*) > 1)'
        ).fetchone()[0]
        assert dup_chunks == 0, "no chunk stored twice"
        dangling = db.execute("SELECT COUNT(*) FROM articles WHERE duplicate_of IS NOT NULL AND duplicate_of NOT IN "
                              "(SELECT id FROM articles WHERE duplicate_of IS NULL)").fetchone()[0]
        assert dangling == 0, "duplicates point at kept articles"
        for aid, start, end, text in db.execute('SELECT article_id, start, "end", text FROM chunks'):
            assert store.article(aid).text[start:end] == text  # type: ignore[union-attr]
        vectors, lexical = store.load_derived()
        n_chunks = db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        assert vectors.ntotal == n_chunks and len(lexical) == n_chunks  # type: ignore[attr-defined]
        return {"articles": len(kept), "chunks": n_chunks}
    finally:
        store.close()


def test_ingest_then_search(tmp_path: Path, small_corpus_file: Path) -> None:
    embedder = HashingEmbedder(dim=32)
    report = run([small_corpus_file], tmp_path / "ix", embedder)
    assert (report.read, report.added, report.updated, report.unchanged, report.duplicates) == (3, 3, 0, 0, 0)
    assert report.chunks > 3 and not report.skipped
    counts = check_consistent(tmp_path / "ix")
    assert counts["articles"] == 3
    store = IndexStore.open(tmp_path / "ix")
    vectors, lexical = store.load_derived()
    top = lexical.search("bridge flooded river", 3)[0][0]
    assert store.chunks([top])[0].article_id == "a1"
    q = embedder.embed(["basketball championship Rockets"])[0]
    assert store.chunks([search_faiss(vectors, q, 1)[0][0]])[0].article_id == "a2"
    manifest = json.loads((tmp_path / "ix" / "manifest.json").read_text())
    assert manifest["model"] == MODEL and manifest["dim"] == 32 and manifest["articles"] == 3
    assert manifest["chunks"] == counts["chunks"] and manifest["schema_version"] == 1


def test_chunk_dates_are_those_of_their_articles(tmp_path: Path, small_corpus_file: Path) -> None:
    run([small_corpus_file], tmp_path / "ix", HashingEmbedder(dim=32))
    store = IndexStore.open(tmp_path / "ix")
    ids = [c for ids in store.chunk_ids_of(["a1", "a3"]).values() for c in ids]
    dates = store.chunk_dates([*ids, 10**9])  # an unknown id is left out
    assert dates == {r.id: r.date for r in store.chunks(ids)}
    assert set(dates.values()) == {"2021-03-02", "2020-11-20"}


def test_whole_articles_are_ranked_from_the_saved_files(tmp_path: Path, small_corpus_file: Path) -> None:
    run([small_corpus_file], tmp_path / "ix")
    store = IndexStore.open(tmp_path / "ix")
    assert store.is_complete()
    _, lexical = store.load_derived()
    ids = [c for ids in store.chunk_ids_of(["a1", "a2", "a3"]).values() for c in ids]
    ranks = dict(zip(ids, lexical.article_ranks("basketball championship Rockets", ids, 3).tolist(), strict=True))
    by_article = {r.article_id: ranks[r.id] for r in store.chunks(ids)}
    assert by_article["a2"] == 1 and all(ranks[c] == 1 for c in store.chunk_ids_of(["a2"])["a2"])
    article_of, texts = store.all_article_texts()
    assert len(article_of) == len(lexical) and len(texts) == 3


def _without_article_ranking(lexical_dir: Path) -> None:
    (lexical_dir / "article_of.npy").unlink()
    for f in (lexical_dir / "articles").iterdir():
        f.unlink()
    (lexical_dir / "articles").rmdir()


def _with_accents_kept(lexical_dir: Path) -> None:
    """As the BM25 files were before accents were folded (their texts tokenized with accents)."""
    from index.lexical import LexicalIndex

    store = IndexStore.open(lexical_dir.parent)
    chunk_ids, texts = store.all_chunk_texts()
    store.close()
    shutil.rmtree(lexical_dir)
    tokens = bm25s.tokenize(texts, stopwords="en", stemmer=Stemmer.Stemmer("english"), show_progress=False)
    bm25 = bm25s.BM25()
    bm25.index(tokens, show_progress=False)
    LexicalIndex(bm25, np.asarray(chunk_ids, dtype=np.int64), folded=False).save(lexical_dir)


@pytest.mark.parametrize("saved_before", [_without_article_ranking, _with_accents_kept])
def test_an_index_saved_by_an_earlier_version_is_completed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], saved_before: Callable[[Path], None]
) -> None:
    from argparse import Namespace

    from newsqa.cli import cmd_stats

    def up_to_date() -> bool:
        cmd_stats(Namespace(index=tmp_path / "ix", json=True))
        return bool(json.loads(capsys.readouterr().out)["up_to_date"])

    rows = [
        {"id": "k", "title": "Eruption", "text": "Lava from Kīlauea reached the ocean and fed the phytoplankton."},
        {"id": "b", "title": "Bridge", "text": "The old bridge over the river flooded after a week of rain."},
        {"id": "r", "title": "Final", "text": "The Rockets won the basketball championship in overtime."},
    ]
    corpus = write_jsonl(tmp_path / "c.jsonl", rows)
    run([corpus], tmp_path / "ix")
    manifest = json.loads((tmp_path / "ix" / "manifest.json").read_text())
    old = tmp_path / "ix" / manifest["lexical_dir"]
    saved_before(old)
    store = IndexStore.open(tmp_path / "ix")
    assert not store.is_complete() and not up_to_date()
    _, lexical = store.load_derived()  # made whole in memory meanwhile
    assert lexical.ranks_articles and lexical.is_current
    assert [store.chunks([c])[0].article_id for c, _ in lexical.search("Kilauea", 3)] == ["k"]
    store.close()
    embedder = HashingEmbedder(dim=32)
    report = run([corpus], tmp_path / "ix", embedder)  # nothing changed, yet the files are completed
    assert report.unchanged == 3 and embedder.calls == 0
    again = json.loads((tmp_path / "ix" / "manifest.json").read_text())
    assert again["generation"] == manifest["generation"] and again["lexical_dir"] != manifest["lexical_dir"]
    assert not old.exists() and (tmp_path / "ix" / again["lexical_dir"] / "articles").is_dir()
    assert IndexStore.open(tmp_path / "ix").is_complete() and up_to_date()
    check_consistent(tmp_path / "ix")


def test_reingesting_an_unchanged_corpus_changes_nothing(tmp_path: Path, small_corpus_file: Path) -> None:
    run([small_corpus_file], tmp_path / "ix")
    before = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "ix").iterdir()}
    manifest = (tmp_path / "ix" / "manifest.json").read_text()
    embedder = HashingEmbedder(dim=32)
    report = run([small_corpus_file], tmp_path / "ix", embedder)
    assert (report.added, report.updated, report.unchanged, report.embedded) == (0, 0, 3, 0)
    assert embedder.calls == 0
    assert (tmp_path / "ix" / "manifest.json").read_text() == manifest
    assert {p.name for p in (tmp_path / "ix").iterdir()} == set(before)


def test_update_replaces_chunks_and_reuses_unchanged_embeddings(tmp_path: Path, small_corpus_file: Path) -> None:
    run([small_corpus_file], tmp_path / "ix")
    rows = [json.loads(line) for line in small_corpus_file.read_text().splitlines()]
    rows[0]["text"] = rows[0]["text"] + "\n\nThe bridge reopened on Tuesday after repairs costing 2 million dollars."
    changed = write_jsonl(tmp_path / "changed.jsonl", rows)
    embedder = HashingEmbedder(dim=32)
    report = run([changed], tmp_path / "ix", embedder)
    assert (report.added, report.updated, report.unchanged) == (0, 1, 2)
    assert 0 < embedder.calls < report.chunks + 1
    store = IndexStore.open(tmp_path / "ix")
    assert "reopened on Tuesday" in store.article("a1").text  # type: ignore[union-attr]
    check_consistent(tmp_path / "ix")


def test_delete_by_id(tmp_path: Path, small_corpus_file: Path) -> None:
    run([small_corpus_file], tmp_path / "ix")
    report = delete(["a2", "nope"], tmp_path / "ix", lambda: HashingEmbedder(dim=32), Chunker(30, 5))
    assert report.deleted == ["a2"] and report.missing == ["nope"]
    counts = check_consistent(tmp_path / "ix")
    assert counts["articles"] == 2
    store = IndexStore.open(tmp_path / "ix")
    _, lexical = store.load_derived()
    assert all(store.chunks([c])[0].article_id != "a2" for c, _ in lexical.search("basketball Rockets", 5))


def test_syndicated_copy_is_merged_and_remembered(tmp_path: Path, small_corpus_file: Path) -> None:
    rows = [json.loads(line) for line in small_corpus_file.read_text().splitlines()]
    copy = dict(rows[0], id="wire-copy", source="Wire Service", url="https://example.org/wire",
                text="RIVERTON (Wire) - " + rows[0]["text"] + "\n\nCopyright Wire Service.")
    path = write_jsonl(tmp_path / "with_copy.jsonl", rows + [copy])
    report = run([path], tmp_path / "ix")
    assert report.duplicates == 1 and report.duplicate_pairs == [("wire-copy", "a1")]
    store = IndexStore.open(tmp_path / "ix")
    assert [a.id for a in store.duplicates_of("a1")] == ["wire-copy"]
    assert store.stats().duplicates == 1
    check_consistent(tmp_path / "ix")
    # deleting the kept copy promotes the duplicate, so the story stays searchable
    delete(["a1"], tmp_path / "ix", lambda: HashingEmbedder(dim=32), Chunker(30, 5))
    store = IndexStore.open(tmp_path / "ix")
    assert store.get("wire-copy").duplicate_of is None  # type: ignore[union-attr]
    assert check_consistent(tmp_path / "ix")["articles"] == 3


def test_bad_records_are_skipped_with_their_place(tmp_path: Path, small_corpus_file: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "ok1", "title": "Fine", "text": "A perfectly good article about the harbour."}\n'
                   "{not json\n"
                   '{"id": "notext", "title": "No text"}\n', encoding="utf-8")
    report = run([small_corpus_file, bad], tmp_path / "ix")
    assert report.added == 4
    places = [s.place for s in report.skipped]
    assert f"{bad}:2" in places and f"{bad}:3" in places


def never_loaded() -> Embedder:
    raise AssertionError("the embedding model was loaded")


def files_of(root: Path) -> dict[str, tuple[int, bytes]]:
    """Every file under ``root``: its modification time and content."""
    return {str(p.relative_to(root)): (p.stat().st_mtime_ns, p.read_bytes()) for p in root.rglob("*") if p.is_file()}


def test_a_missing_path_fails_before_any_model_loads_or_index_is_made(tmp_path: Path) -> None:
    """Regression: ``newsqa ingest nope.jsonl --index t`` created an empty index ``t`` and loaded the
    model (about 19 s) before reporting the path as a skipped record."""
    missing = tmp_path / "nope.jsonl"
    with pytest.raises(InputNotFoundError) as err:
        ingest([str(missing)], tmp_path / "t", never_loaded, MODEL, Chunker(30, 5))
    assert isinstance(err.value, NewsQAError)  # the CLI prints it as "newsqa: error: ..." and exits 1
    assert str(err.value) == f"no such file or directory: {str(missing)!r}; nothing was ingested. Check the path."
    assert not (tmp_path / "t").exists()


def test_every_missing_path_is_named_and_nothing_is_ingested(tmp_path: Path, small_corpus_file: Path) -> None:
    run([small_corpus_file], tmp_path / "ix")
    before = files_of(tmp_path / "ix")
    other = write_jsonl(tmp_path / "other.jsonl", [{"id": "o1", "text": "Another article about the harbour."}])
    gone, typo = tmp_path / "gone.jsonl", tmp_path / "folder-typo"
    with pytest.raises(InputNotFoundError) as err:
        ingest([str(other), str(gone), str(small_corpus_file), str(typo)], tmp_path / "ix", never_loaded, MODEL,
               Chunker(30, 5))
    message = str(err.value)
    assert message.startswith(f"2 of the paths given do not exist: {str(gone)!r}, {str(typo)!r}; nothing was ingested")
    assert str(other) not in message and str(small_corpus_file) not in message
    assert files_of(tmp_path / "ix") == before, "the existing index was touched"


def test_each_skip_is_reported_once(
    tmp_path: Path, small_corpus_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Regression: every skipped record or file was logged as a warning and listed in the report,
    so ``newsqa ingest`` printed each twice."""
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "ok1", "text": "A good article about the harbour."}\n{not json\n', encoding="utf-8")
    picture = tmp_path / "picture.txt"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10")
    with caplog.at_level(logging.INFO):
        report = run([small_corpus_file, bad, picture], tmp_path / "ix")
    assert [s.place for s in report.skipped] == [f"{bad}:2", str(picture)]
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO and "skipped" in r.getMessage()]
    summary = report.summary().splitlines()
    for skip in report.skipped:
        assert [line for line in summary if skip.place in line] == [f"  {skip.place}: {skip.reason}"]


def test_other_model_is_refused(tmp_path: Path, small_corpus_file: Path) -> None:
    run([small_corpus_file], tmp_path / "ix")
    with pytest.raises(IndexMismatchError, match="hashing-test"):
        ingest(
            [str(small_corpus_file)], tmp_path / "ix", lambda: HashingEmbedder(dim=32), "other-model", Chunker(30, 5)
        )


def test_missing_index_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFoundError, match="newsqa ingest"):
        IndexStore.open(tmp_path / "nothing")


@pytest.mark.parametrize("victim", ["faiss", "manifest", "sqlite", "bm25"])
def test_damaged_files_name_themselves(tmp_path: Path, small_corpus_file: Path, victim: str) -> None:
    run([small_corpus_file], tmp_path / "ix")
    root = tmp_path / "ix"
    manifest = json.loads((root / "manifest.json").read_text())
    target = {
        "faiss": root / manifest["vectors_file"],
        "manifest": root / "manifest.json",
        "sqlite": root / "store.sqlite",
        "bm25": root / manifest["lexical_dir"] / "chunk_ids.npy",
    }[victim]
    data = target.read_bytes()
    target.write_bytes(data[: len(data) // 3] if victim != "sqlite" else b"garbage" * 100)
    with pytest.raises(IndexCorruptError) as err:
        store = IndexStore.open(root)
        store.load_derived()
    named = target.parent.name if victim == "bm25" else target.name
    assert named in str(err.value)


def wait_for_articles(db: Path, timeout: float) -> None:
    """Return once ``db`` holds a committed article, or after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
                if conn.execute("SELECT count(*) FROM articles").fetchone()[0]:
                    return
        except sqlite3.Error:  # not created yet, or its tables not yet
            pass
        time.sleep(0.02)


@pytest.mark.slow
def test_interrupted_ingest_is_loadable_and_completes(tmp_path: Path) -> None:
    """A real subprocess is SIGKILLed midway; the index loads, is consistent, and the next run
    finishes the work without duplicates, ending where an uninterrupted ingest ends."""
    corpus = tmp_path / "corpus.jsonl"
    with open(DEMO, encoding="utf-8") as src:
        corpus.write_text("".join(line for _, line in zip(range(80), src, strict=False)), encoding="utf-8")
    clean = run([corpus], tmp_path / "clean")
    rng = random.Random(7)
    interrupted = 0
    for trial in range(3):
        index_dir = tmp_path / f"killed{trial}"
        proc = subprocess.Popen([sys.executable, str(WORKER), str(index_dir), "0.1", str(corpus)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # time the kill from the first committed batch, not from the start of the process: on a busy
        # machine imports and set-up alone take seconds; nine batches of at least 0.1 s each remain
        assert proc.stdout is not None and proc.stdout.readline() == "started\n"
        wait_for_articles(index_dir / "store.sqlite", timeout=120)
        time.sleep(rng.uniform(0.0, 0.5))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        if (index_dir / "store.sqlite").exists():
            check_consistent(index_dir)
        report = run([corpus], index_dir)
        assert report.added + report.unchanged + report.updated == clean.read
        interrupted += 0 < report.unchanged < clean.read
        counts = check_consistent(index_dir)
        assert counts == check_consistent(tmp_path / "clean")
    assert interrupted, "no kill landed in the middle of an ingest: adjust the timing"


def test_embeddings_are_keyed_by_content(tmp_path: Path) -> None:
    rows = [{"id": "x1", "title": "Same", "text": "Identical text in two articles about one harbour fire."},
            {"id": "x2", "title": "Same", "text": "Identical text in two articles about one harbour fire."}]
    embedder = HashingEmbedder(dim=32)
    # identical content is a duplicate, not embedded twice
    report = run([write_jsonl(tmp_path / "c.jsonl", rows)], tmp_path / "ix", embedder)
    assert report.duplicates == 1 and embedder.calls == 1
    store = IndexStore.open(tmp_path / "ix")
    ids, vectors = store.all_chunk_vectors()
    assert len(ids) == 1 and np.allclose(np.linalg.norm(vectors, axis=1), 1.0)


def test_snapshots_of_a_feed_add_each_story_once_and_a_revision_updates_it(tmp_path: Path) -> None:
    def feed(body: str) -> str:
        return (
            '<?xml version="1.0"?><rss version="2.0"><channel><title>Coast Wire</title>'
            "<item><title>Harbour reopens</title><guid>https://wire.example/881</guid>"
            f"<pubDate>Tue, 02 Mar 2021 09:30:00 GMT</pubDate><description>{body}</description></item>"
            "</channel></rss>"
        )

    first = "The harbour at Porthwen reopened on Tuesday after the storm damage was repaired."
    (tmp_path / "feeds").mkdir()
    for hour in ("0900", "1000"):
        (tmp_path / "feeds" / f"{hour}.rss").write_text(feed(first), encoding="utf-8")
    report = run([tmp_path / "feeds"], tmp_path / "ix")
    assert (report.read, report.added, report.unchanged) == (2, 1, 1)
    (tmp_path / "feeds" / "1100.rss").write_text(feed(first + " Ferries run again from Friday."), encoding="utf-8")
    report = run([tmp_path / "feeds" / "1100.rss"], tmp_path / "ix")
    assert (report.added, report.updated) == (0, 1)
    store = IndexStore.open(tmp_path / "ix")
    article = store.article("https://wire.example/881")
    assert article is not None and article.text.endswith("Ferries run again from Friday.")
    assert (article.source, article.date) == ("Coast Wire", "2021-03-02")
    check_consistent(tmp_path / "ix")
