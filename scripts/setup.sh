#!/usr/bin/env bash
# Creates (or reuses) .venv in the repository root and installs pgnn with its test and dft extras
# (tblite and sisl are core dependencies; pyscf, the DFT engine, is the `dft` extra: `pip install .[dft]`).
# torch is installed first from the CPU wheel index so that pip does not pull a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
. .venv/bin/activate
if ! python -c "import torch" >/dev/null 2>&1; then
  # torch 2.13.0 first. pip's find-links wheel cache (a CPU build) is used when configured; elsewhere
  # set PGNN_TORCH_INDEX=https://download.pytorch.org/whl/cpu to avoid the multi-GB CUDA build.
  python -m pip install -q "torch==2.13.0" ${PGNN_TORCH_INDEX:+--index-url "$PGNN_TORCH_INDEX"}
fi
if ! python -c "import pgnn, e3nn, torch_geometric, lightning, pymatgen, vesin, spglib, tblite, sisl, pyscf" >/dev/null 2>&1 \
   || [ pyproject.toml -nt .venv/.pgnn-installed ]; then
  python -m pip install -q -e ".[test,dft]"
  touch .venv/.pgnn-installed
fi
# Optional: Debian's chromium, for the test that renders `pgnn report` in a headless browser (it skips without one).
# Only as root with apt-get, only when missing; a failure here never fails the setup.
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 \
    || echo "setup: chromium not installed (optional; the report rendering test will skip)" >&2
fi
