#!/usr/bin/env bash
# Set up, then train and evaluate the default model (CGCNN, log10 K_VRH) on the bundled
# mp_binary_moduli_2025 split; prints the test metrics and leaves a run folder under runs/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
pgnn fit --config configs/cgcnn_log_kvrh.yaml --out runs/cgcnn_log_kvrh "$@"
