"""Extended XYZ files (ASE): one entry per frame; targets from `atoms.info` and the frame's stored results."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pgnn.errors import PgnnError
from pgnn.structures.records import Entry

ID_KEYS = ("id", "name", "material_id", "mp_id")
PER_ATOM_RESULTS = {"forces", "energies", "stresses", "magmoms", "charges", "dipoles"}


def _plain(value):
    """numpy values -> Python numbers / nested lists, so fields look like those of a records file."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def read_extxyz(path: str | Path) -> tuple[list[Entry], list[tuple[str, str]]]:
    """Entries of an .extxyz / .xyz file as (entries, skipped).

    id: `info['id']` (or name/material_id/mp_id) else `<stem>-<frame index>`. fields: every `atoms.info` key and
    the per-structure results stored with the frame (e.g. `energy`, `stress`), numpy arrays as nested lists.
    A frame without a 3D periodic cell is skipped with the reason. An unreadable file raises PgnnError.
    """
    import ase.io
    from pymatgen.io.ase import AseAtomsAdaptor

    path = Path(path)
    try:
        frames = ase.io.read(str(path), index=":", format="extxyz")
    except FileNotFoundError:
        raise PgnnError(f"{path}: file not found") from None
    except Exception as exc:
        raise PgnnError(f"{path}: unreadable extxyz file ({type(exc).__name__}: {exc})") from None
    entries: list[Entry] = []
    skipped: list[tuple[str, str]] = []
    for k, atoms in enumerate(frames):
        info = dict(atoms.info)
        eid = next((str(info[key]) for key in ID_KEYS if key in info), f"{path.stem}-{k}")
        source = f"{path}#{eid}"
        if not atoms.pbc.all() or abs(atoms.cell.volume) < 1e-9:
            skipped.append((source, "frame is not periodic in 3D (needs a Lattice and pbc=\"T T T\")"))
            continue
        fields = {key: _plain(v) for key, v in info.items() if key not in ID_KEYS}
        if atoms.calc is not None:
            for key, v in atoms.calc.results.items():
                if key not in PER_ATOM_RESULTS:  # per-structure results only
                    fields.setdefault(key, _plain(v))
        try:
            structure = AseAtomsAdaptor.get_structure(atoms)
        except Exception as exc:
            skipped.append((source, f"cannot build a structure ({type(exc).__name__}: {exc})"))
            continue
        entries.append(Entry(id=eid, structure=structure, fields=fields, source=source))
    return entries, skipped
