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
    strict: bool = typer.Option(False, "--strict", help="Refuse (exit 2) instead of warning about structures the "
                                                        "model was not made for: vacuum gaps (slabs, wires, "
                                                        "molecules in a box) and, for a model trained on a "
                                                        "point-group subset, crystals outside it."),
    derived: bool = typer.Option(False, "--derived", help="Also give derived properties (pymatgen): K_VRH, G_VRH, "
                                                          "universal anisotropy; dielectric eigenvalues; max |e_ij|."),
) -> None:
    """Predict the model's targets for every structure of FILE...; tensors in the frame of the input file.

    Each object: {"file", "id", <target>: value (nested lists for tensors), "units": {target: unit}}.
    Unusable structures are reported on stderr (file and reason) and the exit code is 2."""
    from pgnn.atomic import atomic_write_text, check_writable
    from pgnn.data.dataset import read_entries
    from pgnn.errors import PgnnError
    from pgnn.training.predictor import load_predictor

    if out is not None:
        check_writable(out, "--out file")  # before any computation
    predictor = load_predictor(run)
    entries, skipped, files_of = [], [], []
    for f in files:
        try:
            got, bad = read_entries(f)
        except PgnnError as exc:  # a missing or unreadable file: report it, predict the others
            skipped.append((f, str(exc).removeprefix(f"{f}: ")))
            continue
        entries += got
        files_of += [_file_of(e.source, f) for e in got]
        skipped += bad
    problems = predictor.domain_problems([e.structure for e in entries], [e.source for e in entries])
    refused = set()
    for i, why in problems:
        if strict:
            skipped.append((entries[i].source, why))
            refused.add(i)
        else:
            typer.echo(f"pgnn: warning: {entries[i].source}: {why} (--strict refuses it)", err=True)
    keep = [i for i in range(len(entries)) if i not in refused]
    entries, files_of = [entries[i] for i in keep], [files_of[i] for i in keep]
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
        atomic_write_text(out, json.dumps(rows, indent=1) + "\n")  # unique temp file + os.replace
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


def _file_of(source: str, given: str) -> str:
    """The structure file an entry came from: its source without a `#block`/`#id` suffix (the file inside a
    folder, the records file of a record), else the argument it was read from."""
    head = source.rsplit("#", 1)[0] if "#" in source else source
    return head if head and os.path.exists(head) else given


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
