import numpy as np
import pytest

from index.lexical import LexicalIndex, tokenize

TEXTS = ["The cat sat on the mat", "Dogs are barking loudly", "A cat and a dog played together", "Stock markets fell"]
IDS = [10, 11, 12, 13]


def test_best_match_first_and_only_positive_scores() -> None:
    index = LexicalIndex.build(IDS, TEXTS)
    got = index.search("cat dog", 10)
    assert got[0][0] == 12
    assert {c for c, _ in got} == {10, 11, 12}
    assert all(s > 0 for _, s in got)


def test_stemming_and_stopwords() -> None:
    assert tokenize(["The dogs are barking"]) == [["dog", "bark"]]


def test_allowed_restricts_and_empty_allows_nothing() -> None:
    index = LexicalIndex.build(IDS, TEXTS)
    assert [c for c, _ in index.search("cat", 10, allowed={10})] == [10]
    assert index.search("cat", 10, allowed=set()) == []
    assert index.search("cat", 10, allowed={13}) == []


def test_query_of_stopwords_or_unknown_words_finds_nothing() -> None:
    index = LexicalIndex.build(IDS, TEXTS)
    assert index.search("the of and", 5) == []
    assert index.search("zebra", 5) == []


def test_save_and_load(tmp_path) -> None:  # type: ignore[no-untyped-def]
    index = LexicalIndex.build(IDS, TEXTS)
    index.save(tmp_path / "bm25")
    again = LexicalIndex.load(tmp_path / "bm25")
    assert again.search("dog", 5) == index.search("dog", 5)


def test_empty_index(tmp_path) -> None:  # type: ignore[no-untyped-def]
    index = LexicalIndex.build([], [])
    assert index.search("anything", 3) == []
    index.save(tmp_path / "e")
    assert len(LexicalIndex.load(tmp_path / "e")) == 0


def test_unknown_terms_are_those_no_passage_contains() -> None:
    index = LexicalIndex.build(IDS, TEXTS)
    # tokenized like the index: "Dogs" and "barked" stem to words it holds; stop-words are never unknown
    assert index.unknown_terms(["Zebra", "Dogs", "barked", "The", "Mat-Zorvath"]) == ["Zebra", "Mat-Zorvath"]
    assert index.unknown_terms([]) == []
    assert LexicalIndex.build([], []).unknown_terms(["Zebra"]) == []  # an empty index cannot tell


def test_presence_tells_which_passages_hold_which_tokens() -> None:
    index = LexicalIndex.build(IDS, TEXTS)
    held = index.presence([12, 10, 99], ["cat", "dog", "zebra"])
    assert held.tolist() == [[True, True, False], [True, False, False], [False, False, False]]
    assert LexicalIndex.build([], []).presence([1], ["cat"]).tolist() == [[False]]


def test_idf_is_highest_for_the_rarest_token() -> None:
    index = LexicalIndex.build(IDS, TEXTS)
    cat, stock, zebra = index.idf(["cat", "stock", "zebra"])
    assert 0 < cat < stock < zebra


def test_knows_its_own_chunk_ids() -> None:
    assert LexicalIndex.build(IDS, TEXTS).knows([10, 99]).tolist() == [True, False]


# Chunks 10 and 11 belong to article 0, 12 and 13 to article 1: only article 1 names both words.
ARTICLE_OF = [0, 0, 1, 1]
ARTICLES = ["Cats of the city. The cat sat on the mat. Dogs are barking loudly",
            "Markets and pets. A cat and a dog played together. Stock markets fell"]


def test_article_ranks_rank_each_chunk_by_its_whole_article() -> None:
    index = LexicalIndex.build(IDS, TEXTS).with_articles(ARTICLE_OF, ARTICLES)
    assert index.ranks_articles and not LexicalIndex.build(IDS, TEXTS).ranks_articles
    # "stock cat": article 1 holds both words; chunk 13 ranks by its article though it lacks "cat"
    assert index.article_ranks("stock cat", [13, 10, 12, 99], 5).tolist() == [1, 2, 1, 0]
    assert index.article_ranks("stock", [10, 13], 5).tolist() == [0, 1]  # article 0 lacks the word
    assert index.article_ranks("stock cat", [10, 13], 1).tolist() == [0, 1]  # depth 1: the best article only
    # allowed chunk ids restrict the articles ranked to theirs
    assert index.article_ranks("stock cat", [10, 13], 5, allowed={10}).tolist() == [1, 0]
    assert index.article_ranks("stock cat", [10, 13], 5, allowed=set()).tolist() == [0, 0]
    assert LexicalIndex.build(IDS, TEXTS).article_ranks("cat", [10], 5).tolist() == [0]


def test_article_ranks_are_saved_and_loaded(tmp_path) -> None:  # type: ignore[no-untyped-def]
    index = LexicalIndex.build(IDS, TEXTS).with_articles(ARTICLE_OF, ARTICLES)
    index.save(tmp_path / "bm25")
    again = LexicalIndex.load(tmp_path / "bm25")
    assert again.ranks_articles
    assert again.article_ranks("stock cat", IDS, 5).tolist() == index.article_ranks("stock cat", IDS, 5).tolist()
    LexicalIndex.build(IDS, TEXTS).save(tmp_path / "old")  # saved without them: loads without them
    assert not LexicalIndex.load(tmp_path / "old").ranks_articles


def test_article_numbers_that_do_not_fit_are_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    index = LexicalIndex.build(IDS, TEXTS)
    for bad in ([0, 0, 1], [0, 0, 1, 2], [-1, 0, 1, 1]):
        with pytest.raises(ValueError, match="article"):
            index.with_articles(bad, ARTICLES)
    index.with_articles(ARTICLE_OF, ARTICLES).save(tmp_path / "bm25")
    np.save(tmp_path / "bm25" / "article_of.npy", np.array([0, 5, 1, 1]))
    with pytest.raises(ValueError, match="article_of"):
        LexicalIndex.load(tmp_path / "bm25")


def test_accents_do_not_keep_a_name_from_matching() -> None:
    index = LexicalIndex.build([1, 2, 3], ["Eruption of Kīlauea fed the phytoplankton", "Erdogan spoke", "Cats"])
    assert [c for c, _ in index.search("Kilauea", 5)] == [1]
    assert [c for c, _ in index.search("Erdoğan", 5)] == [2]  # and the other way round
    assert index.unknown_terms(["Kilauea", "KĪLAUEA", "Erdoğan", "Kīlauea-Mauna"]) == ["Kīlauea-Mauna"]
    assert tokenize(["Pokémon"]) == tokenize(["Pokemon"])


def test_an_index_saved_with_accents_kept_says_so(tmp_path) -> None:  # type: ignore[no-untyped-def]
    index = LexicalIndex.build(IDS, TEXTS).with_articles([0, 0, 1, 1], ["The cat article", "The dog article"])
    index.save(tmp_path / "bm25")
    assert LexicalIndex.saved_whole(tmp_path / "bm25") and LexicalIndex.load(tmp_path / "bm25").is_current
    for rows in (tmp_path / "bm25" / "rows.json", tmp_path / "bm25" / "articles" / "rows.json"):
        kept = rows.read_text()
        rows.write_text('{"rows": 4}')  # as an earlier version wrote it
        loaded = LexicalIndex.load(tmp_path / "bm25")
        assert not LexicalIndex.saved_whole(tmp_path / "bm25") and not loaded.is_current
        assert loaded.search("dog", 5) == index.search("dog", 5)  # still searchable meanwhile
        rows.write_text("{not json")
        assert not LexicalIndex.saved_whole(tmp_path / "bm25")
        rows.write_text(kept)
    assert LexicalIndex.saved_whole(tmp_path / "bm25")
    (tmp_path / "bm25" / "articles" / "rows.json").unlink()
    assert not LexicalIndex.saved_whole(tmp_path / "bm25")


def test_tokens_starting_with_a_prefix_in_vocabulary_order() -> None:
    index = LexicalIndex.build(IDS, TEXTS)
    assert index.tokens_starting("ba") == ["bark"]
    assert index.tokens_starting("") == sorted(index.tokens_starting("", limit=100))[:50]
    assert index.tokens_starting("zz") == [] and LexicalIndex.build([], []).tokens_starting("a") == []
    assert len(index.tokens_starting("", limit=2)) == 2


def test_every_token_of_the_vocabulary_has_a_document_frequency() -> None:
    from index.lexical import LexicalIndex

    lexical = LexicalIndex.build([1, 2], ["The harbour fire spread.", "Firefighters reached the harbour."])
    frequencies = {t: lexical.document_frequency(t) for t in lexical._sorted_vocab}  # "" among them
    assert frequencies["harbour"] == 2 and all(n >= 0 for n in frequencies.values())
