"""Crash safety: real ingest, update and delete processes SIGKILLed at random moments.

After every kill the index loads and agrees with itself (SQLite rows, FAISS ids, BM25 rows and the
manifest's counts), and the same operation run again ends exactly where an uninterrupted one ends:
nothing lost, no chunk twice. ``scripts/kill_trials.py --trials N`` runs more (and with the real
model); this file runs 22 with the fast fake embedder.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path

import pytest
from crash_trials import KillTrials
from index_checks import check_consistent, snapshot

from index.schema import DATABASE, SCHEMA

pytestmark = pytest.mark.slow  # about a minute of killed processes on two cores; still in the default run

PLAN = {"ingest": 8, "update": 7, "delete": 7}
SEED = 20240611


@pytest.fixture(scope="module")
def trials(tmp_path_factory: pytest.TempPathFactory) -> KillTrials:
    kt = KillTrials(tmp_path_factory.mktemp("kill"), n_articles=40)
    kt.prepare()
    return kt


def test_random_kills_never_lose_or_duplicate_anything(trials: KillTrials) -> None:
    results = trials.run(PLAN, seed=SEED)
    assert Counter(r.mode for r in results) == Counter(PLAN)
    interrupted = Counter(r.mode for r in results if r.outcome == "interrupted")
    # Kill times are drawn within each operation's measured duration, so most land mid-way.
    assert all(interrupted[m] >= n // 2 for m, n in PLAN.items()), interrupted


def test_kill_while_the_index_is_being_created_leaves_it_resumable(trials: KillTrials, tmp_path: Path) -> None:
    """The smallest window: the database file exists, its tables are (partly) made, its metadata
    not yet written, no manifest. The next ingest must start over, not call the index damaged."""
    for made in ("", "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);", SCHEMA):
        index_dir = tmp_path / f"half-{len(made)}"
        index_dir.mkdir()
        db = sqlite3.connect(index_dir / DATABASE)
        db.execute("PRAGMA journal_mode = WAL")
        db.executescript(made)
        db.close()
        trials.run_ingest(trials.v1, index_dir)
        check_consistent(index_dir)
        assert snapshot(index_dir) == snapshot(trials.base)
