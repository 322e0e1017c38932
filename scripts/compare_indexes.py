"""Whether two indexes hold the same thing: articles, duplicate groups, chunks and vectors.

    python scripts/compare_indexes.py INDEX_A INDEX_B

Both are local index directories (:mod:`index.compare`). Prints the counts of each, whether
the articles (content hashes), the duplicate groups and the chunks (offsets and texts, by article
and place in it) are the same, and the lowest and mean cosine between the two vectors of each
chunk. Exits 1 when they differ or a cosine is below 0.9999. As used to check an ingest on Ray
against the plain one (docs/SCALE.md):

    newsqa ingest data/demo/wikinews.jsonl --index /tmp/ray-demo --ray=127.0.0.1:6379
    python scripts/compare_indexes.py data/demo/index /tmp/ray-demo
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from index.compare import compare, index_contents  # noqa: E402

MIN_COSINE = 0.9999


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("a")
    parser.add_argument("b")
    args = parser.parse_args(argv)
    a, b = index_contents(args.a), index_contents(args.b)
    for name, held in ((args.a, a), (args.b, b)):
        print(f"{name}: {len(held.articles)} articles, {held.duplicates} of them duplicates, {len(held.chunks)} chunks")
    result = compare(a, b)
    print(f"same articles and duplicate groups: {result.same_articles}")
    print(f"same chunks (offsets and texts): {result.same_chunks}")
    if len(result.cosines):
        print(f"vectors: {len(result.cosines)} pairs, cosine min {result.cosines.min():.6f}, "
              f"mean {result.cosines.mean():.6f}")
    print(f"every vector within cosine {MIN_COSINE}: {result.vectors_within(MIN_COSINE)}")
    return 0 if result.same(MIN_COSINE) else 1


if __name__ == "__main__":
    raise SystemExit(main())
