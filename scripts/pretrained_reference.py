"""Reference predictions of every shipped pretrained model on three fixed real structures.

    PYTHONPATH=$PWD .venv/bin/python scripts/pretrained_reference.py > tests/reliability/data/pretrained_predictions.json

tests/reliability/test_config_pretrained.py loads every model in pgnn/pretrained/ and compares its predictions with
this file (rtol 1e-6). Rerun the command above (and commit the JSON) whenever a shipped model is retrained.
"""

from __future__ import annotations

import json
import sys

import numpy as np

DATASET = "mp_elastic_2015"
# the first m-3m, the first 6/mmm and the first mmm crystal of the bundled set (every model accepts at least one)
POINT_GROUPS = ["m-3m", "6/mmm", "mmm"]


def reference_structures():
    """[(record id, pymatgen Structure)] of the fixed structures, in the order of POINT_GROUPS."""
    from pgnn.data.registry import bundled_path
    from pgnn.structures.records import entry_from_record, load_json_records

    entries = [entry_from_record(r, DATASET) for r in load_json_records(bundled_path(DATASET))]
    out = []
    for pg in POINT_GROUPS:
        e = next(e for e in entries if e.fields.get("point_group") == pg and e.structure is not None)
        out.append((e.id, e.structure))
    return out


def predictions(name: str, structures) -> dict:
    """{record id: {target: nested list} | None (the model does not accept the structure)} of one model."""
    import pgnn

    predictor = pgnn.load(name)
    graphs, _ = predictor.graphs([s for _, s in structures], sources=[i for i, _ in structures])
    ok = [g for g in graphs if g is not None]
    preds = iter(predictor.predict_graphs(ok) if ok else [])
    out = {}
    for (rid, _), g in zip(structures, graphs):
        out[rid] = None if g is None else {t: np.asarray(v, dtype=float).tolist() for t, v in next(preds).items()}
    return out


def main() -> None:
    import torch

    from pgnn.training.runs import pretrained_names

    torch.set_num_threads(1)
    structures = reference_structures()
    result = {
        "command": "PYTHONPATH=$PWD .venv/bin/python scripts/pretrained_reference.py "
                   "> tests/reliability/data/pretrained_predictions.json",
        "dataset": DATASET,
        "structures": [rid for rid, _ in structures],
        # Hamiltonian models predict sisl Hamiltonians, not targets (their checks: tests/hamiltonians/)
        "models": {name: predictions(name, structures) for name in pretrained_names() if "hamiltonian" not in name},
    }
    json.dump(result, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
