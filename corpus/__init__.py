"""Corpus stage: read news files into cleaned, de-duplicated ``Article`` records.

- ``corpus.article``: the ``Article`` record every stage passes along.
- ``corpus.load``: ``read_articles`` over JSONL/JSON/CSV/TSV (optionally gzipped), TXT, Markdown
  and HTML, yielding an ``Article`` or a ``Skipped`` (place and reason) per record.
- ``corpus.clean``: pure ``clean_text``, ``normalize_date`` and ``normalize_title``.
- ``corpus.dedup``: exact fingerprints, MinHash signatures and the LSH-backed ``DuplicateFinder``.

Nothing is re-exported here, so importing one module does not pull in the others' dependencies.
"""
