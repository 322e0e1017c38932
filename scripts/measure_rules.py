"""What each abstention and padding rule earns with the reader in place, on one index.

    python scripts/measure_rules.py --index DIR --questions FILE [--unanswerable FILE ...]
                                    [--conversations FILE] [--limit N]
    python scripts/measure_rules.py --index DIR --conversations FILE --conversations-only

Asks every question of the sets once per variant of ``AskSettings`` (the default, then each rule
turned off or moved one at a time) and prints, per variant: answer@1 and answer@3 and the share
abstained on the answerable questions, the share declined of each unanswerable set, and the
answer@3 of the conversations' first turns and follow-ups (with ``--conversations-only``: the
conversations alone, with the follow-ups' answer@1 and share abstained too). The model and the
reader are loaded once and shared by every variant. Tune on the demo's user-worded sets and
RealtimeQA 2022, never on 2023.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.api import Assistant  # noqa: E402
from assistant.chat import Conversation  # noqa: E402
from assistant.reader import Reader  # noqa: E402
from assistant.records import AskSettings  # noqa: E402
from eval.formats import load_conversations, load_questions, load_unanswerable  # noqa: E402
from eval.run import evaluate_conversations, evaluate_questions, evaluate_unanswerable  # noqa: E402

VARIANTS: dict[str, dict[str, object]] = {
    "default": {},
    "no reader": {"reader": False},
    "no reader, uncovered 0.3": {"reader": False, "uncovered_min_confidence": 0.3},
    "reader": {"reader": True},
    "reader, uncovered 0.2": {"reader": True, "uncovered_min_confidence": 0.2},
    "reader orders": {"reader": True, "reader_confidence": False},
    "reader orders, top 8": {"reader": True, "reader_confidence": False, "read_sentences": 8},
    "reader orders, untyped": {"reader": True, "reader_confidence": False, "typed_weight": 0.0},
    "no known-words rule": {"require_known_words": False},
    "no known-names rule": {"require_known_names": False},
    "no coverage rules": {"min_coverage": 0.0},
    "no later-years rule": {"later_years_stated": False},
    "no off-subject weight": {"off_subject_weight": 1.0},
    "min_later_confidence 0.1": {"min_later_confidence": 0.1},
    "min_later_confidence 0.2": {"min_later_confidence": 0.2},
    "min_confidence 0.05": {"min_confidence": 0.05},
    "min_confidence 0.1": {"min_confidence": 0.1},
    "min_confidence 0.15": {"min_confidence": 0.15},
    "min_confidence 0.1, uncovered 0.15": {"min_confidence": 0.1, "uncovered_min_confidence": 0.15},
    "min_confidence 0.1, uncovered 0.2": {"min_confidence": 0.1, "uncovered_min_confidence": 0.2},
    "min_confidence 0.1, no known-words": {"min_confidence": 0.1, "require_known_words": False},
    "uncovered 0.2, no known-words": {"uncovered_min_confidence": 0.2, "require_known_words": False},
    "uncovered 0.25, no known-words": {"uncovered_min_confidence": 0.25, "require_known_words": False},
    "typed 0.3": {"typed_weight": 0.3},
    "typed 0.5": {"typed_weight": 0.5},
    "typed 0.7": {"typed_weight": 0.7},
    "typed 0.5, top 4": {"typed_weight": 0.5, "typed_top": 4},
    "typed 0.5, top 16": {"typed_weight": 0.5, "typed_top": 16},
    "reader, typed 0.5": {"reader": True, "typed_weight": 0.5},
    "kind words uncounted": {"kind_words_count": False},
    "synonyms 0.45, kind words uncounted": {"synonym_threshold": 0.45, "kind_words_count": False},
    "synonyms 0.45, kind words uncounted, uncovered 0.2": {
        "synonym_threshold": 0.45, "kind_words_count": False, "uncovered_min_confidence": 0.2},
    "off-subject best": {"off_subject_best": True},
    "follow-ups: the mean's confidence": {"followup_context_confidence": False},
    "follow-ups: own words 0.4": {"followup_own_weight": 0.4},
    "follow-ups: own words 0.6": {"followup_own_weight": 0.6},
    "follow-ups: own words 0.7": {"followup_own_weight": 0.7},
    "no synonyms": {"synonym_threshold": 0.0},
    "uncovered 0.3": {"uncovered_min_confidence": 0.3},
    "synonyms 0.45, off-subject best": {"synonym_threshold": 0.45, "off_subject_best": True},
    "synonyms 0.45, uncovered 0.2, typed 0.5, off-subject best": {
        "synonym_threshold": 0.45, "uncovered_min_confidence": 0.2, "typed_weight": 0.5, "off_subject_best": True},
    "synonyms 0.4": {"synonym_threshold": 0.4},
    "synonyms 0.45": {"synonym_threshold": 0.45},
    "synonyms 0.5": {"synonym_threshold": 0.5},
    "synonyms 0.55": {"synonym_threshold": 0.55},
    "synonyms 0.45, typed 0.5": {"synonym_threshold": 0.45, "typed_weight": 0.5},
    "synonyms 0.45, uncovered 0.2": {"synonym_threshold": 0.45, "uncovered_min_confidence": 0.2},
    "min_confidence 0.1, uncovered 0.15, no known-words": {
        "min_confidence": 0.1, "uncovered_min_confidence": 0.15, "require_known_words": False},
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--questions", type=Path, help="answerable questions (required unless --conversations-only)")
    parser.add_argument("--unanswerable", type=Path, nargs="*", default=[])
    parser.add_argument("--conversations", type=Path)
    parser.add_argument("--conversations-only", action="store_true", help="measure the conversations alone")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--variants", nargs="*", choices=list(VARIANTS), default=list(VARIANTS))
    args = parser.parse_args(argv)
    if args.conversations_only and args.conversations is None:
        parser.error("--conversations-only needs --conversations")
    if not args.conversations_only and args.questions is None:
        parser.error("--questions is required (or --conversations-only)")
    questions = [] if args.conversations_only else load_questions(args.questions)[: args.limit]
    unanswerable = {} if args.conversations_only else {
        p.name: load_unanswerable(p)[: args.limit] for p in args.unanswerable
    }
    conversations = load_conversations(args.conversations)[: args.limit] if args.conversations else None
    reader = Reader.load()
    base = Assistant.load(args.index, reader=reader)
    print(f"index {args.index}: {len(questions)} questions, "
          + ", ".join(f"{n} {len(u)}" for n, u in unanswerable.items()), flush=True)
    header = ["variant"]
    if questions:
        header += ["answer@1", "answer@3", "abstained"] + [f"declined {n}" for n in unanswerable]
    if conversations is not None:
        header += ["conv first @3", "conv follow-up @3"]
        if args.conversations_only:
            header += ["conv follow-up @1", "conv abstained"]
    print(" | ".join(header), flush=True)
    for name in args.variants:
        settings = dataclasses.replace(AskSettings(), **VARIANTS[name])  # type: ignore[arg-type]
        base.settings = settings
        base.reader = reader if settings.reader else None
        row = [name]
        if questions:
            q = evaluate_questions(base, questions).metrics
            row += [f"{q['answer@1']:.3f}", f"{q['answer@3']:.3f}", f"{q['abstain_rate']:.3f}"]
        for u in unanswerable.values():
            row.append(f"{evaluate_unanswerable(base, u).metrics['abstain_rate']:.3f}")
        if conversations is not None:
            c = evaluate_conversations(base, conversations, Conversation).metrics
            keys = ["answer@3_turn1", "answer@3_followup"]
            keys += ["answer@1_followup", "abstain_rate_followup"] if args.conversations_only else []
            row += [f"{c.get(k, float('nan')):.3f}" for k in keys]
        print(" | ".join(row), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
