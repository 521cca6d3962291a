"""`pgnn groups`: the 32 crystallographic point groups, their irreps, O(3) subductions and tensor counts.

    pgnn groups                                   # list the 32 groups
    pgnn groups Oh --json                         # name, hm, order, elements, irreps with characters
    pgnn groups Oh --decompose 2 --parity even    # O(3) irrep (l=2, even) -> Eg + T2g
    pgnn groups 6mm --tensor piezoelectric        # allowed independent components and irreps
"""

from __future__ import annotations

import json
from typing import Optional

import typer


def _num(v: float):
    r = round(float(v))
    return int(r) if abs(v - r) < 1e-12 else float(v)


def _listing(as_json: bool) -> None:
    from pgnn.groups import list_groups, point_group

    rows = []
    for name in list_groups():
        G = point_group(name)
        rows.append({"name": G.name, "hm": G.hm, "order": G.order, "crystal_system": G.crystal_system,
                     "irreps": G.irrep_names})
    if as_json:
        typer.echo(json.dumps(rows))
        return
    typer.echo(f"{'name':6s} {'HM':7s} {'order':>5s}  {'system':13s} irreps")
    for r in rows:
        typer.echo(f"{r['name']:6s} {r['hm']:7s} {r['order']:5d}  {r['crystal_system']:13s} {' '.join(r['irreps'])}")


def _describe(G, as_json: bool) -> None:
    if as_json:
        out = {
            "name": G.name,
            "hm": G.hm,
            "order": G.order,
            "elements": [[[_num(v) for v in row] for row in g] for g in G.elements],
            "irreps": [
                {"name": ir.name, "dim": ir.dim, "characters": [_num(c) for c in ir.characters],
                 **({"note": ir.note} if ir.note else {})}
                for ir in G.irreps
            ],
        }
        typer.echo(json.dumps(out))
        return
    typer.echo(f"{G.name} ({G.hm}), order {G.order}, {G.crystal_system}, holohedry {G.holohedry}, "
               f"subgroup of {G.lattice_holohedry} in the standard frame")
    typer.echo(str(G.character_table()))
    for ir in G.irreps:
        if ir.note:
            typer.echo(f"  {ir.name}: {ir.note}")


def _decompose(G, l: int, parity: str, as_json: bool) -> None:
    decomp, _ = G.subduce(l, parity)
    if as_json:
        typer.echo(json.dumps({"group": G.name, "l": l, "parity": parity, "irreps": {n: m for n, m in decomp}}))
        return
    terms = " + ".join(f"{m}{n}" if m > 1 else n for n, m in decomp)
    typer.echo(f"{G.name}: (l={l}, {parity}) -> {terms}")


def _tensor(G, formula: str, as_json: bool) -> None:
    ts = G.tensor_space(formula)
    if as_json:
        typer.echo(json.dumps({"group": G.name, "tensor": formula, "rank": ts.rank, "dim": ts.dim,
                               "independent_components": ts.n_independent, "irreps": ts.irreps}))
        return
    terms = " + ".join(f"{m}{n}" if m > 1 else n for n, m in ts.irreps.items())
    typer.echo(f"{G.name}: {formula} (rank {ts.rank}, {ts.dim} components) = {terms}")
    typer.echo(f"independent components allowed by Neumann's principle: {ts.n_independent}")


def groups(
    name: Optional[str] = typer.Argument(None, help="Schoenflies (Oh) or Hermann-Mauguin (m-3m) name; omit to list all. Put names that start with - after --: pgnn groups -- -43m."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    decompose: Optional[int] = typer.Option(None, "--decompose", help="Subduce the O(3) irrep of degree L."),
    parity: str = typer.Option("even", "--parity", help="Parity of the O(3) irrep: even or odd."),
    tensor: Optional[str] = typer.Option(
        None, "--tensor", help="vector | dielectric | piezoelectric | elastic | an index formula like ijk=ikj."),
) -> None:
    """The 32 crystallographic point groups: irreps, characters, O(3) subduction, tensor components."""
    from pgnn.groups import point_group
    from pgnn.groups.registry import UnknownGroupError

    if name is None:
        _listing(as_json)
        return
    try:
        G = point_group(name)
    except UnknownGroupError as exc:
        raise typer.BadParameter(str(exc), param_hint="NAME") from None
    if parity.lower() not in ("even", "odd", "e", "o", "g", "u"):
        raise typer.BadParameter("parity must be even or odd", param_hint="--parity")
    if decompose is not None:
        from pgnn.groups.subduction import MAX_L

        if not 0 <= decompose <= MAX_L:
            raise typer.BadParameter(f"L must be between 0 and {MAX_L} (got {decompose}; float64 spherical "
                                     "harmonics lose exactness at larger L)", param_hint="--decompose")
        _decompose(G, decompose, {"e": "even", "g": "even", "o": "odd", "u": "odd"}.get(parity.lower(), parity.lower()),
                   as_json)
    elif tensor is not None:
        try:
            _tensor(G, tensor, as_json)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--tensor") from None
    else:
        _describe(G, as_json)


def register(app: typer.Typer) -> None:
    app.command("groups")(groups)
