#!/usr/bin/env bash
# Install what is needed, build the demo index on first run, and open the chat on the Wikinews demo
# corpus at http://127.0.0.1:7860 . Extra arguments go to `newsqa demo` (e.g. --port 8000, --ask "...").
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False
exec .venv/bin/newsqa demo "$@"
