"""`pgnn hamiltonians make DATA --engine tblite --out DIR`: real-space Hamiltonians of a dataset's crystals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

ham_app = typer.Typer(no_args_is_help=True, help="Crystal Hamiltonians as data (tblite GFN1-xTB, PySCF DFT).")


@ham_app.command("make")
def make_command(
    data: str = typer.Argument(..., help="Bundled dataset name(s), comma-separated, a records file, or a folder "
                                         "of CIF/POSCAR files."),
    out: Path = typer.Option(..., "--out", "-o", help="Build folder (resumes: crystals already there are kept)."),
    engine: str = typer.Option("tblite", help="tblite (GFN1-xTB) or pyscf (PBE, GTH basis)."),
    name: str = typer.Option("hamiltonians", help="Name of the packed shards and records file."),
    max_atoms: int = typer.Option(8, help="Keep crystals whose primitive cell has at most this many atoms."),
    all_crystals: bool = typer.Option(False, "--all", help="Keep metals too (default: band gap > 0, or a "
                                                           "non-metal element when no gap is recorded)."),
    limit: Optional[int] = typer.Option(None, help="Compute only the first N crystals (m-3m first)."),
    ids: Optional[str] = typer.Option(None, help="Comma-separated record ids to compute, in this order."),
    radius: Optional[float] = typer.Option(None, help="tblite: inscribed radius of the supercell (Angstrom)."),
    supercell_atoms: Optional[int] = typer.Option(None, help="tblite: most atoms in the supercell."),
    kmesh: Optional[int] = typer.Option(None, help="pyscf: n for an n x n x n k-mesh."),
    basis: Optional[str] = typer.Option(None, help="pyscf: GTH basis name (gth-szv, gth-dzvp, ...)."),
    option: Optional[list[str]] = typer.Option(None, "--option", help="Any other engine option as KEY=VALUE "
                                                                     "(repeatable), e.g. max_cycle=150 or "
                                                                     "smearing_eV=0.1 for pyscf."),
    workers: Optional[int] = typer.Option(None, help="Worker processes (default: all cores)."),
    retry_skipped: bool = typer.Option(False, help="Recompute crystals that were skipped before."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Compute every crystal (each written atomically, a killed run resumes), pack them into <5 MB npz shards
    with a records file of band gaps and folded-band checks, and list the skipped crystals with the reason."""
    from pgnn.data.hamiltonians import build, pack, select_crystals
    from pgnn.errors import ConfigError

    if engine not in ("tblite", "pyscf"):
        raise ConfigError(f"--engine {engine!r}: valid engines are tblite, pyscf")
    options = {}
    if engine == "tblite":
        if radius is not None:
            options["radius"] = radius
        if supercell_atoms is not None:
            options["max_atoms"] = supercell_atoms
    else:
        if kmesh is not None:
            options["kmesh"] = kmesh
        if basis is not None:
            options["basis"] = basis
    for item in option or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"--option {item!r}: expected KEY=VALUE")
        options[key.strip()] = _number(value.strip())
    from pgnn.hamiltonians.engines import check_options

    check_options(engine, options)
    entries, bad = select_crystals([d for d in data.split(",") if d], max_atoms=max_atoms,
                                   insulators=not all_crystals, limit=limit,
                                   ids=[i for i in (ids or "").split(",") if i] or None)
    done, skipped = build(entries, out, engine, options, workers=workers, retry_skipped=retry_skipped)
    summary = pack(out, name, ids=[e.id for e in entries])
    summary.update(data=data, engine=engine, selected=len(entries), unreadable=len(bad),
                   skipped_reasons=[{"id": i, "reason": r} for i, r in skipped + [(s, r) for s, r in bad]])
    if as_json:
        typer.echo(json.dumps(summary, indent=1))
        return
    typer.echo(f"{summary['n']} crystals in {len(summary['shards'])} shards ({summary['bytes'] / 1e6:.1f} MB) in {out}")
    for s in summary["skipped_reasons"]:
        typer.echo(f"  skipped {s['id']}: {s['reason']}")


def _number(text: str):
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(text.lower(), text)


@ham_app.command("pack")
def pack_command(
    out: Path = typer.Argument(..., help="A build folder of `pgnn hamiltonians make` (crystals/, skipped/)."),
    name: str = typer.Option(..., help="Name of the shards and records file."),
    dest: Optional[Path] = typer.Option(None, help="Where to write them (default: the build folder)."),
) -> None:
    """Pack the crystals computed so far (e.g. of an interrupted build) into shards and a records file."""
    from pgnn.data.hamiltonians import pack
    from pgnn.errors import PgnnError

    if not (out / "crystals").is_dir():
        raise PgnnError(f"{out}: not a Hamiltonian build folder (no crystals/)")
    s = pack(out, name, dest)
    typer.echo(f"{s['n']} crystals in {len(s['shards'])} shards ({s['bytes'] / 1e6:.2f} MB), {s['skipped']} skipped")


@ham_app.command("unpack")
def unpack_command(
    out: Path = typer.Argument(..., help="Build folder to write (crystals/, skipped/)."),
    src: Optional[Path] = typer.Option(None, "--from", help="Folder of the packed dataset (default: the bundled "
                                                              "Hamiltonian folder)."),
    name: str = typer.Option("mp_hamiltonians_gfn1", help="Name of the packed dataset."),
) -> None:
    """Turn a packed dataset back into a build folder, so that `make --out` extends it without recomputing."""
    from pgnn.data.hamiltonians import BUNDLED_HAM, unpack

    s = unpack(src or BUNDLED_HAM, out, name)
    typer.echo(f"{s['crystals']} crystals and {s['skipped']} skipped entries written to {out}")


def register(app: typer.Typer) -> None:
    app.add_typer(ham_app, name="hamiltonians")
