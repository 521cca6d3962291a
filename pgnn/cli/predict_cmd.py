"""`pgnn predict RUN_DIR_OR_MODEL FILE... [--json] [--voigt] [--out predictions.json]`."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import List, Optional

import typer


def _plain(value):
    return value.tolist() if hasattr(value, "tolist") else value


def predict_command(
    run: str = typer.Argument(..., help="Run folder or pretrained model name (see `pgnn models`)."),
    files: List[str] = typer.Argument(..., help="Structure files (CIF, POSCAR, records .json/.json.gz, ...)."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list, one object per structure."),
    voigt: bool = typer.Option(False, "--voigt", help="JSON tensors as Voigt matrices (dielectric 3x3, piezoelectric "
                                                      "3x6, elastic 6x6; order xx, yy, zz, yz, xz, xy) instead of "
                                                      "full Cartesian arrays (the text output always shows Voigt "
                                                      "matrices, rounded, with 0 where the point group forces it)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Also write the JSON list to this file (atomically)."),
    derived: bool = typer.Option(False, "--derived", help="Also give derived properties (pymatgen): K_VRH, G_VRH, "
                                                          "universal anisotropy; dielectric eigenvalues; max |e_ij|."),
) -> None:
    """Predict the model's targets for every structure of FILE...; tensors in the frame of the input file.

    Each object: {"file", "id", <target>: value (nested lists for tensors), "units": {target: unit}}.
    Unusable structures are reported on stderr (file and reason) and the exit code is 2."""
    from pgnn.data.dataset import read_entries
    from pgnn.errors import PgnnError
    from pgnn.training.predictor import load_predictor

    predictor = load_predictor(run)
    entries, skipped, files_of = [], [], []
    for f in files:
        try:
            got, bad = read_entries(f)
        except PgnnError as exc:  # a missing or unreadable file: report it, predict the others
            skipped.append((f, str(exc).removeprefix(f"{f}: ")))
            continue
        entries += got
        files_of += [f] * len(got)
        skipped += bad
    graphs, bad = predictor.graphs([e.structure for e in entries], sources=[e.source for e in entries],
                                   progress=not as_json and len(entries) > 50)
    skipped += bad
    ok = [i for i, g in enumerate(graphs) if g is not None]
    preds = predictor.predict_graphs([graphs[i] for i in ok])
    kinds = {t.name: t.kind for t in predictor.targets}
    rows = []
    for i, p in zip(ok, preds):
        row = {"file": files_of[i], "id": entries[i].id}
        row.update({k: _plain(_as_voigt(v, kinds[k]) if voigt else v) for k, v in p.items()})
        row["units"] = predictor.units
        if derived:
            row["derived"] = _derived(p, kinds)
        rows.append(row)
    if out is not None:
        tmp = out.with_name(out.name + ".tmp")
        tmp.write_text(json.dumps(rows, indent=1) + "\n")
        os.replace(tmp, out)
    if as_json:
        sys.stdout.write(json.dumps(rows) + "\n")
    else:
        from pgnn.cli.formatting import format_prediction

        for i, p, row in zip(ok, preds, rows):
            typer.echo(format_prediction(row, p, entries[i].structure, kinds, predictor.units))
    for src, why in skipped:
        typer.echo(f"pgnn: error: {src}: {why}", err=True)
    if skipped:
        raise typer.Exit(2)


def _derived(pred: dict, kinds: dict) -> dict:
    """{target: derived properties} of the tensor targets of one prediction (pgnn.tensors.pymatgen_tensors)."""
    from pgnn.tensors.pymatgen_tensors import derived_properties

    return {k: derived_properties(v, kinds[k]) for k, v in pred.items() if kinds[k] != "scalar"}


def _as_voigt(value, kind: str):
    """A full Cartesian tensor -> its Voigt matrix (scalars unchanged)."""
    if kind == "scalar":
        return value
    import numpy as np
    import torch

    from pgnn.tensors import full_to_voigt

    return full_to_voigt(torch.as_tensor(np.asarray(value), dtype=torch.float64), kind).numpy()


def register(app: typer.Typer) -> None:
    app.command("predict")(predict_command)
