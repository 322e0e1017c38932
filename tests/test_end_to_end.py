"""The real thing: the packaged model, the CLI as a user runs it, a small real corpus."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tests_support import demo_articles

pytestmark = pytest.mark.integration

SCRAPED = """Harbour fire destroys three fishing boats in Porthwen

A fire broke out in Porthwen harbour early on Tuesday and destroyed three fishing boats, the coastguard said.

Nobody was hurt. The fire started in the engine room of the trawler Morwenna, according to harbour master Alun Prŷce.

Share this article
Advertisement

Please enter your comment!
Please enter your name here
"""


def newsqa(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "newsqa", *args], capture_output=True, text=True, timeout=600)
    if check and proc.returncode not in (0, 3):
        raise AssertionError(f"newsqa {args} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("e2e")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "wikinews.jsonl").write_text("".join(json.dumps(a) + "\n" for a in demo_articles(25)), encoding="utf-8")
    (corpus / "porthwen.txt").write_text(SCRAPED, encoding="utf-8")
    (corpus / "broken.jsonl").write_text(
        '{"id": "b1", "text": "A fine short article about a new ferry route."}\n{oops\n', encoding="utf-8"
    )
    proc = newsqa("ingest", str(corpus), "--index", str(root / "ix"))
    assert proc.returncode == 3, "a skipped record makes the exit status say so"
    assert f"{corpus / 'broken.jsonl'}:2" in proc.stdout
    assert "added: 27" in proc.stdout
    assert "DEBUG" not in proc.stdout + proc.stderr, "libraries' debug logging stays quiet"
    return root / "ix"


def test_ask_answers_with_a_verbatim_cited_sentence(index: Path) -> None:
    question = "How many fishing boats did the Porthwen harbour fire destroy?"
    proc = newsqa("ask", question, "--index", str(index), "--json")
    answer = json.loads(proc.stdout)
    assert answer["is_answer"], answer
    best = answer["sentences"][0]
    assert "three fishing boats" in best["text"]
    from assistant.api import Assistant

    assistant = Assistant.load(index)
    for s in answer["sentences"]:
        c = s["citation"]
        assert assistant.article_text(c["article_id"])[c["start"] : c["end"]] == s["text"]
    # scraper debris never reaches the index
    text = assistant.article_text(best["citation"]["article_id"])
    assert "Please enter your comment" not in text and "Advertisement" not in text
    assert "Nobody was hurt." in text


def test_a_file_of_questions_is_answered_a_line_each(index: Path, tmp_path: Path) -> None:
    questions = tmp_path / "questions.jsonl"
    questions.write_text(
        '{"id": "boats", "question": "How many fishing boats did the Porthwen harbour fire destroy?"}\n'
        '{"id": "bread", "question": "What is a good recipe for banana bread with walnuts?"}\n'
        '{"id": "none"}\n',
        encoding="utf-8",
    )
    proc = newsqa("ask", "--questions", str(questions), "--index", str(index), "--json")
    assert proc.returncode == 3 and f"{questions}:3: skipped" in proc.stderr
    boats, bread = (json.loads(line) for line in proc.stdout.splitlines())
    assert boats["id"] == "boats" and boats["is_answer"] and "three fishing boats" in boats["sentences"][0]["text"]
    assert bread["id"] == "bread" and not bread["is_answer"] and bread["sentences"] == []
    # each question is asked on its own, exactly as `newsqa ask` asks it
    alone = json.loads(newsqa("ask", boats["question"], "--index", str(index), "--json").stdout)
    assert [s["citation"] for s in alone["sentences"]] == [s["citation"] for s in boats["sentences"]]


def test_wikinews_question_is_answered_from_the_right_article(index: Path) -> None:
    from assistant.api import Assistant

    assistant = Assistant.load(index)
    answer = assistant.ask("How many people were confirmed dead after the Magnitogorsk apartment building collapse?")
    assert answer.is_answer
    assert any("39" in s.text for s in answer.sentences)
    assert answer.sentences[0].citation.url and answer.sentences[0].citation.url.startswith("https://en.wikinews.org/")


def test_off_topic_question_abstains(index: Path) -> None:
    proc = newsqa("ask", "What is a good recipe for banana bread with walnuts?", "--index", str(index), "--json")
    answer = json.loads(proc.stdout)
    assert not answer["is_answer"] and answer["sentences"] == [] and answer["searched"]


def test_a_name_absent_from_the_corpus_is_named_in_the_abstention(index: Path) -> None:
    question = "How many fishing boats did the Zorvath harbour fire destroy?"
    answer = json.loads(newsqa("ask", question, "--index", str(index), "--json").stdout)
    assert not answer["is_answer"] and answer["unknown_terms"] == ["Zorvath"] and answer["searched"]
    text = newsqa("ask", question, "--index", str(index)).stdout
    assert "I found no answer to that in the articles." in text
    assert "No indexed article mentions “Zorvath”." in text


def test_a_name_typed_without_its_accent_is_found(index: Path) -> None:
    question = "Where did the fire start, according to Alun Pryce?"
    answer = json.loads(newsqa("ask", question, "--index", str(index), "--json").stdout)
    assert answer["is_answer"] and answer["unknown_terms"] == [], answer
    assert "engine room" in answer["sentences"][0]["text"] and "Alun Prŷce" in answer["sentences"][0]["text"]


def test_search_lists_the_matching_passages_with_their_place(index: Path) -> None:
    hits = json.loads(newsqa("search", "Porthwen harbour fire", "--index", str(index), "-k", "3", "--json").stdout)
    assert len(hits) == 3 and hits[0]["title"] == "Harbour fire destroys three fishing boats in Porthwen"
    from assistant.api import Assistant

    assistant = Assistant.load(index)
    assert all(assistant.article_text(h["article_id"])[h["start"] : h["end"]] == h["text"] for h in hits)
    articles = json.loads(newsqa("search", "fire", "--index", str(index), "--articles", "-k", "4", "--json").stdout)
    assert len(articles) == 4 and len({h["article_id"] for h in articles}) == 4
    text = newsqa("search", "Porthwen harbour fire", "--index", str(index), "--to", "1999").stdout
    assert text.strip() == "No passage matches that."
    # a source the index lacks, or a date that is not one: a usage error naming it, before the model loads
    refused = newsqa("search", "fire", "--index", str(index), "--source", "No Such Outlet", check=False)
    assert refused.returncode == 2 and refused.stdout == ""
    assert "no source 'No Such Outlet': it holds 'Wikinews (en)'" in refused.stderr
    refused = newsqa("ask", "What burned?", "--index", str(index), "--from", "last tuesday", check=False)
    assert refused.returncode == 2 and "'last tuesday' is not a date" in refused.stderr
    stated = newsqa("ask", "Which harbour burned?", "--index", str(index), "--source", "wikinews").stdout
    assert "Searched only articles from Wikinews (en)." in stated


def test_stats_and_reingest_and_delete(index: Path, tmp_path: Path) -> None:
    stats = json.loads(newsqa("stats", "--index", str(index), "--json").stdout)
    assert stats["articles"] == 27 and stats["model"] == "all-MiniLM-L6-v2" and stats["dim"] == 384
    assert stats["up_to_date"]
    again = newsqa("ingest", str(index.parent / "corpus"), "--index", str(index))
    assert "added: 0  updated: 0  unchanged: 27" in again.stdout and "texts embedded: 0" in again.stdout
    gone = newsqa("delete", "b1", "--index", str(index))
    assert "deleted: 1" in gone.stdout
    stats = json.loads(newsqa("stats", "--index", str(index), "--json").stdout)
    assert stats["articles"] == 26


def test_missing_index_is_a_clear_error(tmp_path: Path) -> None:
    proc = newsqa("ask", "anything", "--index", str(tmp_path / "none"), check=False)
    assert proc.returncode == 1 and "no index at" in proc.stderr and "Traceback" not in proc.stderr


def test_the_readme_python_example_runs(index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## The Python API") :]
    start = section.index("```python\n") + len("```python\n")
    code = section[start : section.index("\n```", start)]
    assert 'Assistant.load("data/demo/index")' in code, "the example loads the demo index"
    namespace: dict[str, object] = {}
    exec(compile(code.replace('"data/demo/index"', repr(str(index))), "README.md", "exec"), namespace)
    answer, follow_up = namespace["answer"], namespace["follow_up"]
    assert answer.is_answer and "Magnitogorsk" in answer.sentences[0].citation.title  # type: ignore[attr-defined]
    assert follow_up.query != follow_up.question  # type: ignore[attr-defined]
    assert "## 2. How many people died there?" in str(namespace["notes"])
    assert [t["question"] for t in namespace["record"]["turns"]] == [  # type: ignore[index]
        "Where did the apartment building collapse?", "How many people died there?"]
    assert "Magnitogorsk" in capsys.readouterr().out  # the example prints its cited sentences
