#!/usr/bin/env bash
# Install what is needed (the project, its test tools, Debian's chromium for the browser test), lint,
# and run the whole test suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
# The scale extras (Milvus Lite, Ray) too, so that their tests run rather than skip.
EXTRAS=test,scale bash scripts/setup.sh
# Lint first, so a style or typing error fails in seconds rather than after the suite.
.venv/bin/ruff check .
.venv/bin/mypy corpus index assistant eval newsqa app.py
if [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    fi
fi
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False TOKENIZERS_PARALLELISM=false
exec .venv/bin/python -m pytest -q -rs "$@"
