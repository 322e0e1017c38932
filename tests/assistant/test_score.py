"""The sentence scorer: features on hand cases, answer types, the weights file, the two stages.

No real bi-encoder: a hashed bag-of-words embedder stands in for it, and weights are built by hand
(or read from the packaged file, when it is there, only to check that it loads). The lexical
features read synonyms from the packaged model's word-piece table unless a test gives its own.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from assistant import features as F
from assistant import lexicon as L
from assistant import models as M
from assistant import score as S
from assistant import scorer_weights as W
from assistant import signals as G

_WORD = re.compile(r"\w+")


class FakeEmbedder:
    """Hashed bag of words, L2-normalised; records every batch it is asked to embed."""

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim
        self.calls: list[list[str]] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for w in _WORD.findall(text.lower()):
                out[i, int(hashlib.md5(w.encode()).hexdigest(), 16) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1.0)


def _logistic(names: tuple[str, ...], coefs: dict[str, float], intercept: float = -2.0) -> M.CalibratedModel:
    coef = np.array([coefs.get(n, 0.0) for n in names])
    return M.CalibratedModel(M.LogisticModel(names, np.zeros(len(names)), np.ones(len(names)), coef, intercept))


def _weights(top_n: int = 3) -> W.ScorerWeights:
    first = {"bm25_rel": 3.0, "cover_frac": 1.0}
    final = {"bm25_rel": 2.0, "cos": 4.0, "new_number": 0.5}
    return W.ScorerWeights(
        first_plain=_logistic(F.stage_features("first", False), first),
        first_passage=_logistic(F.stage_features("first", True), {**first, "passage_rr": 1.0}),
        final_plain=_logistic(F.stage_features("final", False), final),
        final_passage=_logistic(F.stage_features("final", True), {**final, "passage_rr": 1.0}),
        top_n=top_n,
        meta={"note": "hand-made"},
    )


QUESTION = "How many people died in the Magnitogorsk building collapse?"
SENTENCES = [
    "The weather in Moscow was cold on Monday.",
    "Thirty-nine people died when the building in Magnitogorsk collapsed.",
    "Rescue workers searched the rubble for survivors.",
    "The collapse of the Magnitogorsk building was caused by a gas explosion.",
    "Officials said the investigation would take weeks.",
    "After the collapse, President Putin visited Magnitogorsk.",
]


# -- text and features ------------------------------------------------------------------------


def test_content_terms_stem_and_drop_stopwords() -> None:
    assert L.content_terms("The buildings were collapsing in Russia's city") == ["build", "collaps", "russia", "citi"]
    assert L.bigrams(["a", "b", "c"]) == {("a", "b"), ("b", "c")}


def test_accents_are_folded_before_words_are_matched() -> None:
    assert L.tokenize("Kīlauea’s ash") == L.tokenize("Kilauea's ash") == ["kilauea's", "ash"]
    assert L.content_terms("Erdoğan spoke") == L.content_terms("Erdogan spoke")


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How many people died in the collapse?", "number"),
        ("When did the building collapse?", "time"),
        ("What year did the war end?", "time"),
        ("Who won the election in France?", "person"),
        ("Where did the apartment building collapse?", "place"),
        ("Which country hosted the summit?", "place"),
        ("Which company bought Twitter?", "entity"),
        ("What vaccine was approved this week?", "entity"),
        ("Why did the building collapse?", "other"),
    ],
)
def test_answer_type(question: str, kind: str) -> None:
    assert G.answer_type(question) == kind


def test_bm25_prefers_the_sentence_with_the_rare_term() -> None:
    docs = [["gas", "explos"], ["gas", "price"], ["price", "rise"]]
    scores = L.bm25_scores(["gas", "explos"], docs)
    assert scores.shape == (3,)
    assert scores[0] > scores[1] > scores[2] == 0.0
    assert L.bm25_scores(["x"], []).shape == (0,)


def test_lexical_features_on_hand_cases() -> None:
    x = F.lexical_features(QUESTION, SENTENCES)
    col = {name: x[:, i] for i, name in enumerate(F.LEXICAL_FEATURE_NAMES)}
    assert x.shape == (len(SENTENCES), len(F.LEXICAL_FEATURE_NAMES))
    assert col["cover_frac"][0] == 0.0 and col["bm25_rel"][0] == 0.0
    assert col["bm25_rel"].max() == pytest.approx(1.0)
    assert col["cover_idf_gap"].max() == pytest.approx(0.0)
    # of mani, peopl, die, magnitogorsk, build, collaps: all but mani
    assert col["cover_frac"][1] == pytest.approx(5 / 6)
    assert col["new_number"][1] == 1.0 and col["type_number_number"][1] == 1.0  # "Thirty"
    assert col["new_number"][2] == 0.0
    assert col["has_date"][0] == 1.0  # Monday
    assert col["new_caps"][5] == pytest.approx(2 / 5)  # President Putin (not the sentence-initial word)
    assert col["quote"].sum() == 0.0
    assert F.lexical_features(QUESTION, []).shape == (0, len(F.LEXICAL_FEATURE_NAMES))


def test_the_title_and_synonyms_count_for_the_coverage_in_context() -> None:
    question = "How many people died in the Magnitogorsk apartment building collapse?"
    sentences = [
        "A total of 39 are confirmed dead, officials said.",
        "An apartment building collapsed on Monday in Magnitogorsk.",
        "Two people died when a wall collapsed.",
    ]
    titles = ["Magnitogorsk apartment building collapse", "Magnitogorsk apartment building collapse", "Samos"]

    def synonyms(word: str) -> tuple[str, ...]:
        return {"died": ("dead", "killed")}.get(word, ())

    def columns(x: np.ndarray) -> dict[str, np.ndarray]:
        return {name: x[:, i] for i, name in enumerate(F.LEXICAL_FEATURE_NAMES)}

    col = columns(F.lexical_features(question, sentences, titles, synonyms))
    assert col["cover_idf"][0] == 0.0
    # read with its title, the toll's sentence covers the place and the building, and "dead" "died"
    assert col["cover_title"][0] > col["cover_title"][1] == pytest.approx(col["cover_idf"][1])
    assert col["cover_title"][2] == pytest.approx(col["cover_idf"][2])  # "Samos" adds nothing
    no_synonyms = columns(F.lexical_features(question, sentences, titles, None))
    assert no_synonyms["cover_title"][0] == pytest.approx(no_synonyms["cover_title"][1])
    alone = columns(F.lexical_features(question, sentences, None, None))
    assert alone["cover_title"].tolist() == pytest.approx(alone["cover_idf"].tolist())
    with pytest.raises(ValueError, match="titles has 1 values for 3 sentences"):
        F.lexical_features(question, sentences, titles[:1], synonyms)


def test_the_packaged_synonyms_count_without_titles_too() -> None:
    """The default synonyms (the packaged model's word-piece table): "dead" stands for "died"."""
    sentences = ["A total of 39 are confirmed dead.", "The roof fell in."]
    x = F.lexical_features("How many people died?", sentences)
    col = {name: x[:, i] for i, name in enumerate(F.LEXICAL_FEATURE_NAMES)}
    assert col["cover_idf"].tolist() == [0.0, 0.0]
    assert col["cover_title"][0] > 0.0 == col["cover_title"][1]


@pytest.mark.parametrize("word", ["seventeen", "sixteen-year-old", "ninety", "35", "two"])
def test_numbers_in_words_and_digits_are_numbers(word: str) -> None:
    question = L.content_terms("How many people died in the fire?")
    assert G.sentence_signals(f"At least {word} people died.", frozenset(question)).new_number
    assert not G.sentence_signals("Many people died.", frozenset(question)).new_number


def test_window_and_pronoun_features() -> None:
    sentences = [
        "Gas explosion in Moscow.",
        "Gas was sold in a shop far from the Moscow explosion.",
        "It was a gas leak.",
    ]
    x = F.lexical_features("gas explosion Moscow", sentences)
    col = {name: x[:, i] for i, name in enumerate(F.LEXICAL_FEATURE_NAMES)}
    assert col["window_frac"][0] == pytest.approx(1.0)
    assert col["window_frac"][1] == pytest.approx(3 / 6)  # 3 matches over a window of 6 terms
    assert col["pronoun_start"].tolist() == [0.0, 0.0, 1.0]


def test_dense_and_passage_features() -> None:
    d = F.dense_features(np.array([0.2, 0.5, 0.5, 0.1]))
    assert d[:, 0].tolist() == [0.2, 0.5, 0.5, 0.1]
    assert d[:, 1].tolist() == pytest.approx([-0.3, 0.0, 0.0, -0.4])
    assert d[:, 3].tolist() == pytest.approx([1 / 2, 1.0, 1.0, 1 / 3])  # ties share a rank
    p = F.passage_features([1.0, 0.5, 0.5, 1 / 3])
    assert p[:, 0].tolist() == pytest.approx([1.0, 0.25, 0.25, 0.0])
    assert p[:, 1].tolist() == pytest.approx([1.0, 0.5, 0.5, 1 / 3])
    assert F.passage_features([0.7, 0.7]).tolist() == [[1.0, 1.0], [1.0, 1.0]]
    x = F.feature_matrix(QUESTION, SENTENCES, np.linspace(0, 1, len(SENTENCES)))
    assert x.shape == (len(SENTENCES), len(F.FEATURE_NAMES))


# -- models and the weights file --------------------------------------------------------------


def test_tree_ensemble_walks_complete_trees() -> None:
    # depth 2: root splits on f0 > 0.5; left child on f1 > 0 (leaves 0, 1), right child padded (+inf: always left)
    trees = M.TreeEnsemble(
        features=("f0", "f1"),
        depth=2,
        base=0.5,
        feature=np.array([[0, 1, 0]]),
        threshold=np.array([[0.5, 0.0, np.inf]]),
        leaf=np.array([[1.0, 2.0, 3.0, 99.0]]),
    )
    x = np.array([[0.0, -1.0], [0.0, 1.0], [1.0, 5.0]])
    assert trees.logit(x).tolist() == [1.5, 2.5, 3.5]


def test_weights_round_trip(tmp_path: Path) -> None:
    w = _weights()
    trees = M.TreeEnsemble(
        F.stage_features("final", True),
        1,
        -1.0,
        np.array([[0], [5]]),
        np.array([[0.5], [np.inf]]),
        np.array([[0.0, 1.0], [2.0, 3.0]]),
    )
    w = W.ScorerWeights(w.first_plain, w.first_passage, w.final_plain, M.CalibratedModel(trees, 2.0, -1.0), 7, w.meta)
    path = tmp_path / "w.json"
    w.write(path)
    back = W.ScorerWeights.read(path)
    assert back.top_n == 7 and back.meta == {"note": "hand-made"}
    x = np.random.default_rng(0).random((5, len(F.stage_features("final", True))))
    assert np.allclose(back.final_passage.predict(x), w.final_passage.predict(x))
    x1 = np.random.default_rng(1).random((5, len(F.LEXICAL_FEATURE_NAMES)))
    assert np.allclose(back.first_plain.predict(x1), w.first_plain.predict(x1))


def _mutate(tmp_path: Path, change: object) -> Path:
    path = tmp_path / "w.json"
    _weights().write(path)
    rec = json.loads(path.read_text())
    change(rec)  # type: ignore[operator]
    path.write_text(json.dumps(rec))
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r.update(schema=1), "schema"),
        (lambda r: r["models"].pop("final_plain"), "final_plain"),
        (lambda r: r["models"]["first_plain"]["model"]["features"].pop(), "retrain"),
        (lambda r: r["models"]["final_plain"]["model"]["coef"].pop(), "do not match"),
        (lambda r: r["models"]["final_plain"]["model"].update(kind="forest"), "unknown model kind"),
        (lambda r: r["models"]["final_plain"]["model"].update(mean="x"), "numeric"),
        (lambda r: r.update(top_n=0), "top_n"),
    ],
)
def test_bad_weights_raise_weights_error(tmp_path: Path, change: object, message: str) -> None:
    with pytest.raises(M.WeightsError, match=message):
        W.ScorerWeights.read(_mutate(tmp_path, change))


def test_unreadable_weights_raise_weights_error(tmp_path: Path) -> None:
    with pytest.raises(M.WeightsError, match="cannot read"):
        W.ScorerWeights.read(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(M.WeightsError, match="cannot read"):
        W.ScorerWeights.read(tmp_path / "bad.json")
    (tmp_path / "list.json").write_text("[]")
    with pytest.raises(M.WeightsError, match="not a scorer weights file"):
        W.ScorerWeights.read(tmp_path / "list.json")


def test_packaged_weights_load_when_present() -> None:
    if not W.DEFAULT_WEIGHTS.exists():
        pytest.skip("no trained weights yet: run scripts/train_scorer.py")
    assert W.DEFAULT_WEIGHTS.stat().st_size < 2_000_000
    w = W.ScorerWeights.read(W.DEFAULT_WEIGHTS)
    assert w.top_n >= 1 and "table" in w.meta


# -- scoring ----------------------------------------------------------------------------------


def test_score_shape_range_and_order() -> None:
    scorer = S.SentenceScorer(_weights(top_n=10), FakeEmbedder())
    scores = scorer.score(QUESTION, SENTENCES)
    assert scores.shape == (len(SENTENCES),) and scores.dtype == np.float32
    assert np.all((scores >= 0) & (scores <= 1))
    assert int(np.argmax(scores)) == 1
    assert scores[0] == scores.min()
    assert scorer.score(QUESTION, []).shape == (0,)


def test_score_with_passage_scores_uses_the_passage_model() -> None:
    scorer = S.SentenceScorer(_weights(top_n=10), FakeEmbedder())
    plain = scorer.score(QUESTION, SENTENCES)
    ranked = scorer.score(QUESTION, SENTENCES, passage_scores=[1.0, 1 / 2, 1 / 2, 1 / 3, 1 / 3, 1 / 4])
    assert not np.allclose(plain, ranked)
    with pytest.raises(ValueError, match="one per sentence"):
        scorer.score(QUESTION, SENTENCES, passage_scores=[1.0])


def test_two_stages_embed_only_the_top_n() -> None:
    embedder = FakeEmbedder()
    scorer = S.SentenceScorer(_weights(top_n=2), embedder)
    scores = scorer.score(QUESTION, SENTENCES)
    assert len(embedder.calls) == 1
    batch = embedder.calls[0]
    assert batch[0] == QUESTION and len(batch) == 3  # the question and the two best by the first stage
    embedded = [SENTENCES.index(s) for s in batch[1:]]
    rest = [i for i in range(len(SENTENCES)) if i not in embedded]
    assert scores[rest].max() < scores[embedded].min()  # the rest stay below, in [0, 1]
    assert np.all(scores[rest] >= 0)
    first = scorer.weights.first_plain.predict(F.lexical_features(QUESTION, SENTENCES))
    assert np.argsort(-scores[rest], kind="stable").tolist() == np.argsort(-first[rest], kind="stable").tolist()
    wide = scorer.score(QUESTION, SENTENCES, top_n=len(SENTENCES))
    assert len(embedder.calls[-1]) == len(SENTENCES) + 1
    assert wide.shape == scores.shape
    with pytest.raises(ValueError, match="top_n"):
        scorer.score(QUESTION, SENTENCES, top_n=0)


def test_the_scorer_can_score_fewer_than_its_weights_were_trained_with() -> None:
    embedder = FakeEmbedder()
    scorer = S.SentenceScorer(_weights(top_n=5), embedder, top_n=2)
    scorer.score(QUESTION, SENTENCES)
    assert len(embedder.calls[-1]) == 3  # the question and its own two, not the weights' five
    scorer.score(QUESTION, SENTENCES, top_n=4)
    assert len(embedder.calls[-1]) == 5  # a call's own number still wins
    with pytest.raises(ValueError, match="top_n"):
        S.SentenceScorer(_weights(top_n=5), embedder, top_n=0)


def test_given_sentence_embeddings_are_used() -> None:
    embedder = FakeEmbedder()
    scorer = S.SentenceScorer(_weights(top_n=3), embedder)
    vectors = embedder.embed(SENTENCES)
    embedder.calls.clear()
    given = scorer.score(QUESTION, SENTENCES, sentence_embeddings=vectors)
    assert embedder.calls == [[QUESTION]]
    assert np.allclose(given, scorer.score(QUESTION, SENTENCES), atol=1e-6)
    with pytest.raises(ValueError, match="rows"):
        scorer.score(QUESTION, SENTENCES, sentence_embeddings=vectors[:2])


def test_below_keeps_order_under_the_ceiling() -> None:
    s = np.array([0.9, 0.2, 0.5])
    out = S.below(s, 0.4)
    assert out.max() < 0.4 and np.argsort(-out).tolist() == np.argsort(-s).tolist()
    assert S.below(np.array([0.1]), 0.4).tolist() == [0.1]
