"""`pgnn symmetry FILE... [--json] [--symprec S]`: space group, point group and per-site Wyckoff data."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from pgnn.errors import PgnnError


def _analyze(arg: str, symprec: float) -> tuple[list[dict], list[tuple[str, str]]]:
    """Result objects and failures for one command-line argument (a structure file, or a multi-entry input)."""
    from pgnn.structures.readers import input_kind, read_entries
    from pgnn.structures.symmetry import analyze_symmetry

    path = Path(arg)
    if not path.exists():
        return [], [(arg, "no such file")]
    single = input_kind(path) == "structure"
    try:
        entries, skipped = read_entries(path, validate=True, cutoff=None)
    except PgnnError as exc:
        return [], [(arg, str(exc).removeprefix(f"{path}: "))]
    results, failed = [], [(arg if single else src, reason) for src, reason in skipped]
    for entry in entries:
        name = arg if single else entry.source
        try:
            info = analyze_symmetry(entry.structure, symprec=symprec, source=name)
        except PgnnError as exc:
            failed.append((name, getattr(exc, "reason", str(exc))))
            continue
        results.append({"file": name, **info.to_dict()})
    return results, failed


def format_table(result: dict) -> str:
    """Readable text of one result object."""
    lines = [
        f"{result['file']}: {result['space_group_symbol']} (No. {result['space_group_number']}), "
        f"point group {result['point_group']} ({result['point_group_schoenflies']}), {len(result['sites'])} sites",
        f"  {'#':>4}  {'species':<8}{'wyckoff':<9}{'site symmetry':<15}{'orbit':>5}",
    ]
    for k, site in enumerate(result["sites"]):
        lines.append(f"  {k:>4}  {site['species']:<8}{site['wyckoff']:<9}{site['site_symmetry']:<15}{site['orbit']:>5}")
    return "\n".join(lines)


def symmetry(
    files: list[str] = typer.Argument(..., help="Structure files (CIF, POSCAR, pymatgen JSON); records files, "
                                                "extxyz files and folders give one result per entry."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list, one object per file, in the given order."),
    symprec: float = typer.Option(0.01, "--symprec", help="Symmetry tolerance in Angstrom (spglib)."),
) -> None:
    """Space group, point group and per-site Wyckoff letter, site symmetry and orbit of each structure.

    Point groups are given in Hermann-Mauguin and Schoenflies notation. Files that fail are reported on stderr
    (exit code 2); the others are still printed.
    """
    from pgnn.errors import ConfigError
    from pgnn.structures.validate import validate_tolerances

    try:
        validate_tolerances(symprec)
    except ConfigError as exc:
        raise typer.BadParameter(str(exc), param_hint="--symprec") from None
    results, failed = [], []
    for arg in files:
        ok, bad = _analyze(arg, symprec)
        results += ok
        failed += bad
    if as_json:
        typer.echo(json.dumps(results, indent=1))
    else:
        typer.echo("\n\n".join(format_table(r) for r in results))
    for source, reason in failed:
        typer.echo(f"pgnn: error: {source}: {reason}", err=True)
    if failed:
        sys.exit(2)


def register(app: typer.Typer) -> None:
    app.command("symmetry")(symmetry)
