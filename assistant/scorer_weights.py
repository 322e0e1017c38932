"""The sentence scorer's weights file (``weights/sentence_scorer.json``, written by
``scripts/train_scorer.py``): a calibrated model for each stage, with and without passage scores."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from assistant.features import stage_features
from assistant.models import CalibratedModel, WeightsError

__all__ = ["DEFAULT_WEIGHTS", "SCHEMA_VERSION", "ScorerWeights"]

DEFAULT_WEIGHTS = Path(__file__).resolve().parent / "weights" / "sentence_scorer.json"
SCHEMA_VERSION = 2


@dataclass(frozen=True)
class ScorerWeights:
    """The two stages, each with a model for when passage scores are given and one for when not.

    ``first`` reads only lexical (and passage) features and picks the ``top_n`` candidates worth
    embedding; ``final`` adds the bi-encoder features and scores those.
    """

    first_plain: CalibratedModel
    first_passage: CalibratedModel
    final_plain: CalibratedModel
    final_passage: CalibratedModel
    top_n: int
    meta: dict[str, object]

    _KEYS = (
        ("first_plain", "first", False),
        ("first_passage", "first", True),
        ("final_plain", "final", False),
        ("final_passage", "final", True),
    )

    def model(self, stage: str, with_passage: bool) -> CalibratedModel:
        for key, s, p in self._KEYS:
            if s == stage and p == with_passage:
                return getattr(self, key)  # type: ignore[no-any-return]
        raise ValueError(f"stage must be 'first' or 'final', not {stage!r}.")

    @classmethod
    def read(cls, path: Path) -> ScorerWeights:
        try:
            rec = json.loads(Path(path).read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise WeightsError(f"cannot read scorer weights {path}: {exc}") from exc
        if not isinstance(rec, dict):
            raise WeightsError(f"{path} is not a scorer weights file (no JSON object at the top).")
        if rec.get("schema") != SCHEMA_VERSION:
            raise WeightsError(
                f"{path} has schema {rec.get('schema')!r}, this code reads {SCHEMA_VERSION}: retrain it."
            )
        models = rec.get("models")
        if not isinstance(models, dict):
            raise WeightsError(f"{path} has no 'models' object: retrain it.")
        try:
            top_n = int(rec["top_n"])
        except (KeyError, TypeError, ValueError) as exc:
            raise WeightsError(f"{path} has no valid 'top_n': retrain it.") from exc
        if top_n < 1:
            raise WeightsError(f"{path} has top_n {top_n}; it must be at least 1.")
        parsed = {}
        for key, stage, passage in cls._KEYS:
            if key not in models:
                raise WeightsError(f"{path} lacks the {key!r} model: retrain it.")
            try:
                parsed[key] = CalibratedModel.from_json(models[key], stage_features(stage, passage))
            except WeightsError as exc:
                raise WeightsError(f"{path}, model {key!r}: {exc}") from exc
        return cls(top_n=top_n, meta=dict(rec.get("meta") or {}), **parsed)

    def write(self, path: Path) -> None:
        rec = {
            "schema": SCHEMA_VERSION,
            "meta": self.meta,
            "top_n": self.top_n,
            "models": {key: getattr(self, key).to_json() for key, _, _ in self._KEYS},
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(rec, separators=(",", ":")) + "\n")
