"""Check the shipped reader on sets it never trained on, beside the scorer alone, in one run.

    python scripts/check_reader.py [--data ../shared/data] [--limit N] [--top-n N ...] [--typed W ...]
                                   [--reader DIR]

RealtimeQA 2023 (the check; never trained or tuned on), or with ``--year 2022`` the fifth of 2022's
questions held out of training (where settings such as ``--top-n`` are chosen): each question's candidates are the
sentences of its BM25 top-5 articles, as ``scripts/build_reader_data.py`` makes them for 2022; the
scorer ranks them all and the reader rereads its best ``top_n``. Prints answer@1/@3 (an answer
string in the first 1/3 sentences) of the scorer alone and of the scorer with the reader, and the
share of questions whose candidates hold an answer at all. TrecQA dev (never trained on): MAP and
MRR over the questions with a positive, the scorer alone and with the reader. No index is needed:
this measures the answer step alone, apart from retrieval (``newsqa eval`` measures the whole).
Each line also gives the answer phrase marked in the best sentence (assistant/phrase.py): the
share of questions with one, the share whose phrase is an answer string, and the precision.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from build_reader_data import DEFAULT_DATA, candidate_groups, held_out  # noqa: E402
from train_reader import answer_at  # noqa: E402
from train_scorer import load_trecqa, trec_metrics  # noqa: E402

from assistant.phrase import answer_phrase, typed_order  # noqa: E402
from assistant.question import Question  # noqa: E402
from assistant.reader import Reader, reread  # noqa: E402
from assistant.records import AskSettings  # noqa: E402
from assistant.score import SentenceScorer  # noqa: E402
from eval.metrics import normalize_answer  # noqa: E402


def _phrases(
    groups: Sequence[dict], questions: Sequence[Question],  # type: ignore[type-arg]
    scores: Sequence[np.ndarray], probabilities: Sequence[np.ndarray],
) -> str:
    """The answer phrase marked in each question's best sentence (by ``scores``), where its
    probability reaches ``AskSettings.phrase_min_confidence``, as the assistant marks it: the share
    marked, the share that is an answer string (exact match after normalising), and that share
    among the marked."""
    floor = AskSettings().phrase_min_confidence
    marked = exact = in_answer = exact_in_answer = 0
    for g, q, s, p in zip(groups, questions, scores, probabilities, strict=True):
        best = int(np.argmax(s)) if len(s) else -1
        sure = len(s) and p[best] >= floor
        phrase = answer_phrase(q, g["sentences"][best]) if sure else None
        if phrase is not None:
            right = normalize_answer(phrase.text) in {normalize_answer(a) for a in g["answers"]}
            marked += 1
            exact += right
            if g["labels"][best]:
                in_answer += 1
                exact_in_answer += right
    n = max(len(groups), 1)
    return (f"phrase: marked {marked / n:.3f}  exact {exact / n:.3f}  precision {exact / max(marked, 1):.3f}"
            f"  (in a sentence holding an answer: {exact_in_answer} of {in_answer})")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--limit", type=int, help="only the first N questions of each set")
    parser.add_argument("--year", type=int, choices=(2022, 2023), default=2023,
                        help="2023 (the check), or 2022's questions held out of training (to choose settings on)")
    parser.add_argument("--no-trec", action="store_true", help="skip TrecQA dev")
    parser.add_argument("--top-n", type=int, nargs="*", help="sentences the reader rereads (default: its own)")
    parser.add_argument("--typed", type=float, nargs="*", default=[],
                        help="also order the scorer's best sentences by the kind of answer asked for, with these "
                             "weights (AskSettings.typed_weight)")
    parser.add_argument("--no-reader", action="store_true", help="the scorer (and --typed) only")
    parser.add_argument("--reader", type=Path, help="the reader's folder (default: the shipped one)")
    args = parser.parse_args(argv)
    scorer = SentenceScorer.load()
    reader = None if args.no_reader else Reader.load(args.reader)
    tops = [] if reader is None else args.top_n or [reader.top_n]

    t0 = time.time()
    groups = candidate_groups(args.data, args.year)
    if args.year == 2022:
        groups = [g for g in groups if held_out(g["id"])]
    groups = groups[: args.limit]
    labels = [np.array(g["labels"]) for g in groups]
    questions = [Question.of(g["question"]) for g in groups]
    scored = [scorer.score(g["question"], g["sentences"], passage_scores=[1 / (1 + r) for r in g["ranks"]],
                           titles=g["titles"]) for g in groups]
    print(f"RealtimeQA {args.year}: {len(groups)} questions; an answer among the candidates for "
          f"{np.mean([lab.any() for lab in labels]):.3f}")
    at1, at3 = answer_at(labels, scored, 1), answer_at(labels, scored, 3)
    print(f"  scorer alone: answer@1 {at1:.3f}  answer@3 {at3:.3f}  {_phrases(groups, questions, scored, scored)}")
    for weight in args.typed:
        typed = [typed_order(q, g["sentences"], s, 8, weight)
                 for g, q, s in zip(groups, questions, scored, strict=True)]
        at1, at3 = answer_at(labels, typed, 1), answer_at(labels, typed, 3)
        phrases = _phrases(groups, questions, typed, scored)
        print(f"  scorer, typed {weight}: answer@1 {at1:.3f}  answer@3 {at3:.3f}  {phrases}")
    for n in tops:
        assert reader is not None
        read = [reread(reader, g["question"], g["sentences"], g["titles"], s.astype(np.float64), n)
                for g, s in zip(groups, scored, strict=True)]
        at1, at3 = answer_at(labels, read, 1), answer_at(labels, read, 3)
        print(f"  scorer + reader (top {n}): answer@1 {at1:.3f}  answer@3 {at3:.3f}")
    print(f"  ({time.time() - t0:.0f} s)", flush=True)

    if args.no_trec:
        return 0
    trec = load_trecqa(args.data / "trecqa" / "dev.jsonl")[: args.limit]
    plain = [scorer.score(g.question, g.sentences) for g in trec]
    print(f"TrecQA dev: {len(trec)} questions")
    print("  scorer alone: MAP {:.3f}  MRR {:.3f}".format(*trec_metrics(trec, plain)))
    for n in tops:
        assert reader is not None
        read = [reread(reader, g.question, g.sentences, [None] * len(g.sentences), s.astype(np.float64), n)
                for g, s in zip(trec, plain, strict=True)]
        print(f"  scorer + reader (top {n}): " + "MAP {:.3f}  MRR {:.3f}".format(*trec_metrics(trec, read)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
