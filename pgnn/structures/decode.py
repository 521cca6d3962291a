"""`structure_from_dict(d, source)`: a pymatgen Structure from its `as_dict()` form, through an allow-list.

pymatgen's own `Structure.from_dict` decodes site properties with monty's `MontyDecoder`, which imports whatever
module a `"@module"` key names (and runs its top-level code) and builds whatever class `"@class"` names. A records
file or a Structure JSON is untrusted input, so it is decoded here instead, without monty:

- every `"@module"` / `"@class"` pair anywhere in the dict must be one of `ALLOWED_CLASSES` (Structure, Lattice,
  PeriodicSite/Site, Species/Element/DummySpecies and their pymatgen spellings), else StructureError;
- the Structure is rebuilt from plain values only: lattice matrix (Angstrom) and pbc, per site the species
  with occupancies (element symbol, optional oxidation state and spin), fractional coordinates (`abc`, else
  Cartesian `xyz`), label, and site properties; structure-level `properties` and `charge`;
- properties must be plain JSON (numbers, strings, booleans, null, lists, dicts without `@module`).
"""

from __future__ import annotations

import math
from typing import Any

from pymatgen.core import Lattice, Structure
from pymatgen.core.periodic_table import DummySpecies, Element, Species

from pgnn.errors import StructureError

#: (@module, @class) pairs a structure dict may contain; nothing is imported from them, they are only accepted.
ALLOWED_CLASSES = {
    ("pymatgen.core.structure", "Structure"),
    ("pymatgen.core.structure", "IStructure"),
    ("pymatgen.core.lattice", "Lattice"),
    ("pymatgen.core.sites", "PeriodicSite"),
    ("pymatgen.core.sites", "Site"),
    ("pymatgen.core.periodic_table", "Species"),
    ("pymatgen.core.periodic_table", "Specie"),
    ("pymatgen.core.periodic_table", "Element"),
    ("pymatgen.core.periodic_table", "DummySpecies"),
    ("pymatgen.core.periodic_table", "DummySpecie"),
    ("pymatgen.core.composition", "Composition"),
}
_MAX_DEPTH = 64


def check_allowed(obj: Any, source: str, depth: int = 0) -> None:
    """Raise StructureError if any dict inside `obj` names a `@module`/`@class` outside ALLOWED_CLASSES."""
    if depth > _MAX_DEPTH:
        raise StructureError(source, "structure dict nested too deeply")
    if isinstance(obj, dict):
        if "@module" in obj or "@class" in obj:
            pair = (str(obj.get("@module")), str(obj.get("@class")))
            if pair not in ALLOWED_CLASSES:
                raise StructureError(source, f"refused object {pair[0]}.{pair[1]} in the structure dict (only "
                                             "pymatgen Structure, Lattice, Site and Species objects are decoded)")
        for v in obj.values():
            check_allowed(v, source, depth + 1)
    elif isinstance(obj, list):
        for v in obj:
            check_allowed(v, source, depth + 1)


def _plain(obj: Any, source: str, what: str, depth: int = 0):
    """JSON-plain value (no '@' keys), else StructureError."""
    if depth > _MAX_DEPTH:
        raise StructureError(source, f"{what} nested too deeply")
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, list):
        return [_plain(v, source, what, depth + 1) for v in obj]
    if isinstance(obj, dict):
        if any(str(k).startswith("@") for k in obj):
            raise StructureError(source, f"{what}: objects ('@module'/'@class') are not accepted in properties")
        return {str(k): _plain(v, source, what, depth + 1) for k, v in obj.items()}
    raise StructureError(source, f"{what}: unsupported value of type {type(obj).__name__}")


def _number(x: Any, source: str, what: str) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise StructureError(source, f"{what} is not a number ({x!r:.40})")
    x = float(x)
    if not math.isfinite(x):
        raise StructureError(source, f"{what} is not finite ({x})")
    return x


def _vector(v: Any, n: int, source: str, what: str) -> list[float]:
    if not isinstance(v, list) or len(v) != n:
        raise StructureError(source, f"{what} must be a list of {n} numbers")
    return [_number(x, source, what) for x in v]


def _lattice(d: Any, source: str) -> Lattice:
    if not isinstance(d, dict):
        raise StructureError(source, "structure dict has no 'lattice' mapping")
    pbc = d.get("pbc", [True, True, True])
    if not isinstance(pbc, list) or len(pbc) != 3 or not all(isinstance(p, bool) for p in pbc):
        raise StructureError(source, "lattice 'pbc' must be three booleans")
    if "matrix" in d:
        m = d["matrix"]
        if not isinstance(m, list) or len(m) != 3:
            raise StructureError(source, "lattice 'matrix' must be 3 rows of 3 numbers")
        return Lattice([_vector(r, 3, source, "lattice matrix row") for r in m], pbc=tuple(pbc))
    try:
        a, b, c, al, be, ga = (_number(d[k], source, f"lattice {k}") for k in ("a", "b", "c", "alpha", "beta", "gamma"))
    except KeyError as exc:
        raise StructureError(source, f"lattice has neither 'matrix' nor {exc.args[0]!r}") from None
    return Lattice.from_parameters(a, b, c, al, be, ga, pbc=tuple(pbc))


def _species(sp: Any, spin: Any, source: str):
    if not isinstance(sp, dict) or not isinstance(sp.get("element"), str):
        raise StructureError(source, "site species entry without an 'element' symbol")
    symbol = sp["element"]
    try:
        if "oxidation_state" in sp:
            oxi = sp["oxidation_state"]
            oxi = None if oxi is None else _number(oxi, source, f"oxidation state of {symbol}")
            kwargs = {"spin": _number(spin, source, "spin")} if spin is not None else {}
            if Element.is_valid_symbol(symbol):
                return Species(symbol, oxi, **kwargs)
            return DummySpecies(symbol, oxi, **kwargs)
        return Element(symbol)
    except (ValueError, KeyError, TypeError) as exc:
        raise StructureError(source, f"unknown element or species {symbol!r} ({exc})") from None


def structure_from_dict(d: Any, source: str) -> Structure:
    """Rebuild a pymatgen Structure from an `as_dict()` mapping, accepting only plain data (see module docstring).

    Raises StructureError(source, reason) for a refused object, a missing field or a non-finite number."""
    check_allowed(d, source)
    if not isinstance(d, dict):
        raise StructureError(source, f"structure is a {type(d).__name__}, not a mapping")
    if "@class" in d and d["@class"] not in ("Structure", "IStructure"):
        raise StructureError(source, f"expected a Structure dict, got a {d['@class']}")
    lattice = _lattice(d.get("lattice"), source)
    sites = d.get("sites")
    if not isinstance(sites, list) or not sites:
        raise StructureError(source, "structure dict has no sites")
    species, coords, labels, props = [], [], [], []
    for k, site in enumerate(sites):
        if not isinstance(site, dict) or not isinstance(site.get("species"), list) or not site["species"]:
            raise StructureError(source, f"site {k} has no species list")
        p = _plain(site.get("properties") or {}, source, f"site {k} properties")
        if not isinstance(p, dict):
            raise StructureError(source, f"site {k} properties must be a mapping")
        occ = {}
        for sp in site["species"]:
            occ[_species(sp, p.get("spin"), source)] = _number(sp.get("occu", 1.0) if isinstance(sp, dict) else None,
                                                               source, f"site {k} occupancy")
        species.append(occ)
        if "abc" in site:
            coords.append(_vector(site["abc"], 3, source, f"site {k} abc"))
        elif "xyz" in site:
            coords.append(list(lattice.get_fractional_coords(_vector(site["xyz"], 3, source, f"site {k} xyz"))))
        else:
            raise StructureError(source, f"site {k} has neither 'abc' nor 'xyz' coordinates")
        label = site.get("label")
        labels.append(label if isinstance(label, str) else None)
        props.append(p)
    keys = sorted({key for p in props for key in p})
    site_properties = {key: [p.get(key) for p in props] for key in keys} or None
    charge = d.get("charge")
    charge = None if charge is None else _number(charge, source, "charge")
    properties = _plain(d.get("properties") or {}, source, "structure properties")
    try:
        return Structure(lattice, species, coords, coords_are_cartesian=False, site_properties=site_properties,
                         labels=labels if any(labels) else None, charge=charge, properties=properties or None)
    except (ValueError, TypeError) as exc:
        raise StructureError(source, f"cannot build a structure ({exc})") from None
