"""Whether two indexes hold the same thing: articles, duplicate groups, chunks and vectors.

    python scripts/compare_indexes.py INDEX_A INDEX_B

Each is a directory or a Milvus location (``index.location``). Prints the counts of each, whether
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

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from index.location import open_index  # noqa: E402

MIN_COSINE = 0.9999


def contents(location: str) -> tuple[dict[str, tuple[str, str | None]], dict[tuple[str, int], tuple[int, int, str]],
                                     dict[tuple[str, int], np.ndarray]]:
    """(articles: id -> (content hash, the article it duplicates), chunks and vectors by (article, ordinal))."""
    store = open_index(location)
    try:
        articles = {}
        for article_id, digest in store.content_hashes().items():
            stored = store.get(article_id)
            articles[article_id] = (digest, stored.duplicate_of if stored is not None else None)
        keys = [c for cs in store.chunk_ids_of(list(articles)).values() for c in cs]
        records = store.chunks(keys)
        chunks = {(r.article_id, r.ordinal): (r.start, r.end, r.text) for r in records}
        place = {r.id: (r.article_id, r.ordinal) for r in records}
        chunk_ids, matrix = store.all_chunk_vectors()
        vectors = {place[int(c)]: v for c, v in zip(chunk_ids, matrix, strict=True) if int(c) in place}
        return articles, chunks, vectors
    finally:
        store.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("a")
    parser.add_argument("b")
    args = parser.parse_args(argv)
    (art_a, ch_a, vec_a), (art_b, ch_b, vec_b) = contents(args.a), contents(args.b)
    for name, (art, ch) in ((args.a, (art_a, ch_a)), (args.b, (art_b, ch_b))):
        dups = sum(1 for _, of in art.values() if of is not None)
        print(f"{name}: {len(art)} articles, {dups} of them duplicates, {len(ch)} chunks")
    same_articles = art_a == art_b
    same_chunks = ch_a == ch_b
    print(f"same articles and duplicate groups: {same_articles}")
    print(f"same chunks (offsets and texts): {same_chunks}")
    shared = sorted(vec_a.keys() & vec_b.keys())
    cosines = np.array([float(np.dot(vec_a[k], vec_b[k])) for k in shared])
    if len(cosines):
        print(f"vectors: {len(shared)} pairs, cosine min {cosines.min():.6f}, mean {cosines.mean():.6f}")
    same_vectors = vec_a.keys() == vec_b.keys() and bool(len(cosines)) and cosines.min() >= MIN_COSINE
    print(f"every vector within cosine {MIN_COSINE}: {same_vectors}")
    return 0 if same_articles and same_chunks and same_vectors else 1


if __name__ == "__main__":
    raise SystemExit(main())
