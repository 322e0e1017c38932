#!/usr/bin/env bash
# Reproduce eval/RESULTS.md from ../shared/data: ingest RealtimeQA 2022 and 2023 (each into its own
# index, with the ordinary `newsqa ingest`), run every evaluation (questions with the ablation,
# conversations, topic shifts, unanswerable, TrecQA dev) and the benchmarks, then compose
# eval/RESULTS.md. Takes about two and a half hours on 2 cores, 85 minutes of it embedding the two
# corpora; about 25 minutes with both indexes built and BENCH_INGEST=0. Indexes already built are
# reused (an unchanged corpus embeds nothing). The ingest
# benchmark builds the 2022 index from scratch (it is an ordinary ingest, timed); set BENCH_INGEST=0
# to skip it and keep an existing 2022 index.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
DATA=${DATA:-../shared/data}
OUT=${OUT:-results}
newsqa=.venv/bin/newsqa
mkdir -p "$OUT"

if [ "${BENCH_INGEST:-1}" = 1 ]; then
    .venv/bin/python benchmarks/bench_ingest.py --corpus "$DATA/realtimeqa/articles_2022.jsonl.gz" --baseline-share 0.1 \
        --index "$OUT/index-2022" > "$OUT/bench-ingest.txt"
fi
for year in 2022 2023; do
    index="$OUT/index-$year"
    $newsqa ingest "$DATA/realtimeqa/articles_$year.jsonl.gz" --index "$index" -q
    $newsqa eval questions "$DATA/realtimeqa/questions_$year.jsonl" --index "$index" --compare --out "$OUT/questions-$year"
    $newsqa eval conversations "eval/data/conversations_$year.jsonl" --index "$index" --out "$OUT/conversations-$year"
    $newsqa eval unanswerable eval/data/unanswerable.jsonl --index "$index" --out "$OUT/unanswerable-$year"
    $newsqa eval unanswerable "eval/data/unanswerable_heldout_$year.jsonl" --index "$index" \
        --out "$OUT/unanswerable-heldout-$year"
    # The same, each question asked near its quiz date; the unanswerable ones near the year's middle quiz date.
    $newsqa eval questions "$DATA/realtimeqa/questions_$year.jsonl" --index "$index" --near-date question \
        --out "$OUT/questions-near-$year"
    middle=$(.venv/bin/python -c 'import json, sys; d = sorted(json.loads(l)["date"] for l in open(sys.argv[1]))
print(d[len(d) // 2].replace("/", "-"))' "$DATA/realtimeqa/questions_$year.jsonl")
    $newsqa eval unanswerable eval/data/unanswerable.jsonl --index "$index" --near-date "$middle" \
        --out "$OUT/unanswerable-near-$year"
    .venv/bin/python scripts/topic_shift.py "$DATA/realtimeqa/questions_$year.jsonl" > "$OUT/topic-shift-$year.jsonl"
    $newsqa eval conversations "$OUT/topic-shift-$year.jsonl" --index "$index" --out "$OUT/topic-shift-$year"
done
.venv/bin/python scripts/calibrate_coverage.py --index "$OUT/index-2022" "$DATA/realtimeqa/questions_2022.jsonl" \
    eval/data/unanswerable.jsonl > "$OUT/calibrate-coverage-2022.txt"
$newsqa eval sentences "$DATA/trecqa/dev.jsonl" --out "$OUT/sentences-trecqa-dev"
.venv/bin/python benchmarks/bench_ask.py --index "$OUT/index-2022" --n 200 > "$OUT/bench-ask-2022.txt"
.venv/bin/python -m eval.results "$OUT" > eval/RESULTS.md
echo "wrote eval/RESULTS.md"
