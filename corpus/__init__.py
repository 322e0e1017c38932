"""Corpus stage: read news files into cleaned, de-duplicated ``Article`` records.

- ``corpus.article``: the ``Article`` record every stage passes along.
- ``corpus.load``: ``read_articles`` over JSONL/JSON/CSV/TSV (optionally gzipped), TXT, Markdown,
  HTML and news feeds, yielding an ``Article`` or a ``Skipped`` (place and reason) per record; it
  walks the paths and picks a reader by suffix:
  - ``corpus.tabular``: JSON lines, JSON and CSV/TSV records (``ColumnMap`` names their fields);
  - ``corpus.documents``: plain text, Markdown and HTML files, one article each;
  - ``corpus.feeds``: RSS, Atom, NewsML-G2 and NITF;
  - ``corpus.reading``: what the readers share (``Skipped``, ``content_id``, binary sniffing).
- ``corpus.clean``: pure ``clean_text``, ``normalize_date`` and ``normalize_title``.
- ``corpus.dedup``: exact fingerprints, MinHash signatures and the LSH-backed ``DuplicateFinder``.

Nothing is re-exported here, so importing one module does not pull in the others' dependencies.
"""
