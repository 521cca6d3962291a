"""`pgnn predict RUN_DIR_OR_MODEL FILE... [--json] [--voigt] [--out predictions.json]`."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import List, Optional

import numpy as np
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
    bands: Optional[Path] = typer.Option(None, "--bands", help="Hamiltonian models: band-structure PNG along the "
                                                               "standard k-path (one structure), or a folder (several)."),
    reference: Optional[str] = typer.Option(None, "--reference", help="Hamiltonian models: also run this engine "
                                                                      "(tblite) and draw its bands on the same plot."),
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
    if getattr(predictor, "units", {}).get("hamiltonian"):
        return _predict_hamiltonian(predictor, files, as_json, out, bands, reference)
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


def _predict_hamiltonian(predictor, files, as_json: bool, out, bands, reference) -> None:
    """Predicted Hamiltonian of each structure: the band structure along the standard k-path and its gap (JSON:
    {"file", "id", "formula", "n_orbitals", "n_R", "gap_eV", "vbm_eV", "cbm_eV", "reference": {...}})."""
    from pgnn.atomic import atomic_write_text
    from pgnn.data.dataset import read_entries
    from pgnn.errors import PgnnError
    from pgnn.training.band_plot import band_plot
    from pgnn.training.hamiltonian_predictor import band_structure, valence_electrons

    entries, skipped = [], []
    for f in files:
        try:
            got, bad = read_entries(f)
        except PgnnError as exc:
            skipped.append((f, str(exc).removeprefix(f"{f}: ")))
            continue
        entries += [(e, _file_of(e.source, f)) for e in got]
        skipped += bad
    valence = None
    rows = []
    for k, (e, fname) in enumerate(entries):
        try:
            (blocks, _), = predictor.predict_blocks([e.structure], sources=[e.source])
            ref_blocks, n_el = None, None
            if reference:
                from pgnn.hamiltonians import compute_blocks
                from pgnn.training.hamiltonian_predictor import ENGINE_OPTIONS

                ref_blocks, info = compute_blocks(e.structure, reference, source=e.source,
                                                  **ENGINE_OPTIONS.get(reference, {}))
                n_el = float(info["n_electrons"]) / abs(round(np.linalg.det(np.asarray(info["supercell"], float))))
            else:
                valence = valence if valence is not None else valence_electrons(predictor.config["data"]["dataset"])
                if all(int(z) in valence for z in blocks.numbers):
                    n_el = float(sum(valence[int(z)] for z in blocks.numbers))
            pb = band_structure(blocks, n_el)
            rb = band_structure(ref_blocks, n_el) if ref_blocks is not None else None
        except PgnnError as exc:
            skipped.append((e.source, str(exc)))
            continue
        row = {"file": fname, "id": e.id, "formula": e.structure.composition.reduced_formula,
               "n_orbitals": int(blocks.n_orb), "n_R": int(len(blocks.R)), "n_electrons_per_cell": n_el,
               "gap_eV": pb["gap_eV"], "vbm_eV": pb["vbm_eV"], "cbm_eV": pb["cbm_eV"],
               "k_path_points": pb["n_k"], "k_without_bands": pb["n_k_without_bands"],
               "units": {"gap_eV": "eV", "energies": "eV"}}
        if rb is not None:
            row["reference"] = {"engine": reference, "gap_eV": rb["gap_eV"], "vbm_eV": rb["vbm_eV"],
                                "cbm_eV": rb["cbm_eV"]}
        if bands is not None:
            png = bands if len(entries) == 1 and str(bands).endswith(".png") else Path(bands) / f"{e.id}.png"
            band_plot(pb, png, title=row["formula"], reference=rb, ref_label=reference or "reference")
            row["bands_png"] = str(png)
        rows.append(row)
    if out is not None:
        atomic_write_text(out, json.dumps(rows, indent=1) + "\n")
    if as_json:
        sys.stdout.write(json.dumps(rows) + "\n")
    else:
        for r in rows:
            gap = "n/a (no electron count)" if r["gap_eV"] is None else f"{r['gap_eV']:.3f} eV"
            line = f"{r['file']} ({r['formula']}): {r['n_orbitals']} orbitals, {r['n_R']} cells; gap {gap}"
            if r["k_without_bands"]:
                line += (f" ({r['k_without_bands']} of {r['k_path_points']} path k-points left out: the engine's "
                         f"S(k) is not positive definite there)")
            if "reference" in r and r["reference"]["gap_eV"] is not None:
                line += f"; {reference} gap {r['reference']['gap_eV']:.3f} eV"
            if "bands_png" in r:
                line += f"; bands: {r['bands_png']}"
            typer.echo(line)
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
