import json
import subprocess
import sys
from pathlib import Path

from eval.results import compose

ROOT = Path(__file__).resolve().parents[2]


def write_metrics(folder: Path, metrics: dict[str, float]) -> None:
    folder.mkdir(parents=True)
    (folder / "metrics.json").write_text(json.dumps(metrics), encoding="utf-8")


def test_compose_lays_out_each_run_and_says_what_was_not_run(tmp_path: Path) -> None:
    write_metrics(tmp_path / "questions-2022", {"n": 522, "recall@5": 0.879, "bm25/recall@5": 0.874,
                                                "hybrid+rerank/recall@5": 0.879, "bm25/n": 522,
                                                "hybrid+rerank/n": 522})
    write_metrics(tmp_path / "unanswerable-2023", {"n": 127, "abstain_rate": 0.5, "abstain_unknown_names_rate": 0.25})
    write_metrics(tmp_path / "topic-shift-2022", {"n_followup": 261, "answer@3_followup": 0.65})
    write_metrics(tmp_path / "questions-near-2022", {"n": 522, "recall@5": 0.912, "text_recall@5": 0.95})
    (tmp_path / "bench-ask-2022.txt").write_text("p50 123 ms\n", encoding="utf-8")
    page = compose(tmp_path)
    near = page[page.index("asked near their quiz date") :]
    assert "| metric | 2022 |" in near and "| recall@5 | 0.912 |" in near and "| text_recall@5 | 0.950 |" in near
    assert "| metric | bm25 | hybrid+rerank |" in page and "| recall@5 | 0.874 | 0.879 |" in page
    assert "(not run: no `questions-2023` run in" in page
    assert "| metric | 2023 |" in page and "| abstain_unknown_names_rate | 0.250 |" in page
    assert "## Topic shifts" in page and "| answer@3_followup | 0.650 |" in page
    assert "p50 123 ms" in page
    assert page.count("(not run)") >= 2  # TrecQA and the ingest benchmark


def test_topic_shift_pairs_each_question_with_one_half_a_set_away(tmp_path: Path) -> None:
    rows = [{"id": f"q{i}", "question": f"Question {i}?", "answers": [f"a{i}"],
             "article_ids_containing_answer": [f"d{i}"]} for i in range(5)]
    questions = tmp_path / "questions.jsonl"
    questions.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "topic_shift.py"), str(questions)],
                         capture_output=True, text=True, check=True).stdout
    conversations = [json.loads(line) for line in out.splitlines()]
    assert [[t["question"] for t in c["turns"]] for c in conversations] == [
        ["Question 0?", "Question 2?"], ["Question 1?", "Question 3?"]]
    assert conversations[0]["turns"][1] == {"question": "Question 2?", "answers": ["a2"], "article_ids": ["d2"]}
