#!/usr/bin/env bash
# Create .venv and install the project into it. torch==2.13.0 (the CPU build) goes in first, so that
# nothing pulls a CUDA build. Re-running is cheap: it reinstalls only when pyproject.toml or the
# extras asked for changed. EXTRAS (default "test") names the optional dependency groups to install.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
stamp=.venv/.newsqa-installed
EXTRAS=${EXTRAS:-test}
want="$(sha256sum pyproject.toml | cut -d' ' -f1) $EXTRAS"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet torch==2.13.0
    .venv/bin/python -m pip install --quiet -e ".[$EXTRAS]"
    echo "$want" > "$stamp"
fi
