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
