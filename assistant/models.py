"""The learned models the sentence scorer runs, stored as JSON: a logistic model, gradient-boosted
trees as complete binary trees, and Platt calibration of either's logit. A malformed or mismatched
entry raises :class:`WeightsError`."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["CalibratedModel", "LogisticModel", "Model", "TreeEnsemble", "WeightsError"]


class WeightsError(ValueError):
    """The weights file is missing, malformed, or was trained for other features: retrain it with
    ``python scripts/train_scorer.py``."""


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -50.0, 50.0)))


def _array(rec: dict[str, Any], key: str, dtype: type, ndim: int) -> np.ndarray:
    try:
        arr: np.ndarray = np.asarray(rec[key], dtype=dtype)
    except KeyError as exc:
        raise WeightsError(f"the weights file's model has no {key!r}: retrain it.") from exc
    except (TypeError, ValueError) as exc:
        raise WeightsError(f"the weights file's {key!r} is not a numeric array: {exc}") from exc
    if arr.ndim != ndim:
        raise WeightsError(f"the weights file's {key!r} has {arr.ndim} dimensions, expected {ndim}.")
    return arr


def _check_features(rec: dict[str, Any], expected: tuple[str, ...]) -> tuple[str, ...]:
    features = tuple(rec.get("features") or ())
    if features != expected:
        raise WeightsError(
            f"the weights were trained for features {features}, this code computes {expected}: "
            "retrain them with `python scripts/train_scorer.py`."
        )
    return features


@dataclass(frozen=True)
class LogisticModel:
    """``logit = ((x - mean) / scale) @ coef + intercept``."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def logit(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.mean) / self.scale) @ self.coef + self.intercept  # type: ignore[no-any-return]

    def to_json(self) -> dict[str, object]:
        return {
            "kind": "logistic",
            "features": list(self.features),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "coef": self.coef.tolist(),
            "intercept": self.intercept,
        }

    @classmethod
    def from_json(cls, rec: dict[str, Any], expected: tuple[str, ...]) -> LogisticModel:
        features = _check_features(rec, expected)
        try:
            intercept = float(rec["intercept"])
        except (KeyError, TypeError, ValueError) as exc:
            raise WeightsError(f"malformed logistic intercept in the weights file: {exc}") from exc
        model = cls(
            features,
            _array(rec, "mean", np.float64, 1),
            _array(rec, "scale", np.float64, 1),
            _array(rec, "coef", np.float64, 1),
            intercept,
        )
        if not (len(model.mean) == len(model.scale) == len(model.coef) == len(features)):
            raise WeightsError("the weights file's arrays do not match its feature list.")
        if np.any(model.scale <= 0):
            raise WeightsError("the weights file's logistic scales must be positive.")
        return model


@dataclass(frozen=True)
class TreeEnsemble:
    """Gradient-boosted regression trees stored as complete binary trees of one ``depth``.

    Tree ``t`` at internal node ``j`` (heap order: children ``2j+1`` left, ``2j+2`` right) sends a
    row right when ``x[feature[t, j]] > threshold[t, j]``; ``logit = base + sum of leaf values``.
    Shallower branches are padded with nodes whose threshold is +inf (always left).
    """

    features: tuple[str, ...]
    depth: int
    base: float
    feature: np.ndarray  # (trees, 2**depth - 1) int
    threshold: np.ndarray  # (trees, 2**depth - 1) float
    leaf: np.ndarray  # (trees, 2**depth) float

    def logit(self, x: np.ndarray) -> np.ndarray:
        n_trees = self.feature.shape[0]
        rows = np.arange(x.shape[0])[None, :]
        trees = np.arange(n_trees)[:, None]
        node = np.zeros((n_trees, x.shape[0]), dtype=np.int64)
        for _ in range(self.depth):
            right = x[rows, self.feature[trees, node]] > self.threshold[trees, node]
            node = 2 * node + 1 + right
        leaves = self.leaf[trees, node - (2**self.depth - 1)]
        return self.base + leaves.sum(axis=0)  # type: ignore[no-any-return]

    def to_json(self) -> dict[str, object]:
        return {
            "kind": "trees",
            "features": list(self.features),
            "depth": self.depth,
            "base": self.base,
            "feature": self.feature.tolist(),
            "threshold": [[t if math.isfinite(t) else 1e300 for t in row] for row in self.threshold.tolist()],
            "leaf": self.leaf.tolist(),
        }

    @classmethod
    def from_json(cls, rec: dict[str, Any], expected: tuple[str, ...]) -> TreeEnsemble:
        features = _check_features(rec, expected)
        try:
            depth, base = int(rec["depth"]), float(rec["base"])
        except (KeyError, TypeError, ValueError) as exc:
            raise WeightsError(f"malformed tree ensemble in the weights file: {exc}") from exc
        model = cls(
            features,
            depth,
            base,
            _array(rec, "feature", np.int64, 2),
            _array(rec, "threshold", np.float64, 2),
            _array(rec, "leaf", np.float64, 2),
        )
        internal, leaves = 2**depth - 1, 2**depth
        n_trees = model.feature.shape[0]
        if not (
            depth >= 1
            and model.feature.shape == model.threshold.shape == (n_trees, internal)
            and model.leaf.shape == (n_trees, leaves)
        ):
            raise WeightsError("the weights file's tree arrays do not match its depth.")
        if model.feature.size and (model.feature.min() < 0 or model.feature.max() >= len(features)):
            raise WeightsError("the weights file's trees split on features it does not list.")
        return model


Model = LogisticModel | TreeEnsemble


@dataclass(frozen=True)
class CalibratedModel:
    """A model's logit mapped to a probability by ``sigmoid(a * logit + b)`` (Platt scaling, fitted
    so that the best sentence's score is the probability that it holds the answer)."""

    model: Model
    a: float = 1.0
    b: float = 0.0

    @property
    def features(self) -> tuple[str, ...]:
        return self.model.features

    def predict(self, x: np.ndarray) -> np.ndarray:
        return _sigmoid(self.a * self.model.logit(x) + self.b)

    def to_json(self) -> dict[str, object]:
        return {"model": self.model.to_json(), "calibration": [self.a, self.b]}

    @classmethod
    def from_json(cls, rec: object, expected: tuple[str, ...]) -> CalibratedModel:
        if not isinstance(rec, dict) or not isinstance(rec.get("model"), dict):
            raise WeightsError("the weights file's model entry must be an object with a 'model'.")
        inner = rec["model"]
        kind = inner.get("kind")
        model: Model
        if kind == "logistic":
            model = LogisticModel.from_json(inner, expected)
        elif kind == "trees":
            model = TreeEnsemble.from_json(inner, expected)
        else:
            raise WeightsError(f"unknown model kind {kind!r} in the weights file: retrain it.")
        try:
            a, b = (float(v) for v in rec.get("calibration", (1.0, 0.0)))
        except (TypeError, ValueError) as exc:
            raise WeightsError(f"malformed calibration in the weights file: {exc}") from exc
        return cls(model, a, b)
