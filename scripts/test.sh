#!/usr/bin/env bash
# Set up, then run the whole test suite (tiny configs, a handful of real structures).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
python -m pytest -q -n 2 "$@"
