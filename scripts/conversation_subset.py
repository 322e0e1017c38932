"""A small corpus for measuring conversations: the articles their turns list, and others of the same year.

    python scripts/conversation_subset.py eval/data/conversations_2022.jsonl \
        ../shared/data/realtimeqa/articles_2022.jsonl.gz --others 700 > results/conv-subset-2022.jsonl
    newsqa ingest results/conv-subset-2022.jsonl --index results/index-conv2022 -q
    newsqa eval conversations eval/data/conversations_2022.jsonl --index results/index-conv2022

A year's whole corpus takes about half an hour to ingest on 2 cores; this one (the 264 articles the
2022 conversations list and 700 others, about 1,000) a quarter of that. Its figures compare one
version of the code with another on the same index; they are not the full corpus's. The file is
derived, not stored: the corpus's licence keeps it out of the repository.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("conversations", type=Path)
    parser.add_argument("articles", type=Path, help="the year's articles, JSON Lines (.gz or not)")
    parser.add_argument("--others", type=int, default=700, help="articles added besides those listed")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with open(args.conversations, encoding="utf-8") as f:
        listed = {a for line in f if line.strip() for t in json.loads(line)["turns"] for a in t["article_ids"]}
    opener = gzip.open if args.articles.suffix == ".gz" else open
    with opener(args.articles, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    others = [r for r in rows if r.get("id") not in listed]
    chosen = [r for r in rows if r.get("id") in listed] + random.Random(args.seed).sample(others, args.others)
    for row in chosen:
        sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
