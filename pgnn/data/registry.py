"""Bundled datasets, addressable by name, and resolution of a dataset argument (name or path)."""

from __future__ import annotations

from pathlib import Path

from pgnn.errors import PgnnError

BUNDLED_DIR = Path(__file__).resolve().parent / "bundled"

BUNDLED = {
    "mp_elastic_2015": "Elastic tensors (6x6 Voigt, GPa), K_VRH/G_VRH; de Jong et al. 2015",
    "mp_dielectric_2017": "Dielectric tensors (3x3), band gap (eV); Petousis et al. 2017",
    "mp_piezo_2015": "Piezoelectric tensors (3x6 Voigt, C/m^2), IEEE frame; de Jong et al. 2015",
    "mp_binary_moduli_2025": "K_VRH/G_VRH (GPa) of Materials Project binaries, 2025",
    "wbm_formation_2025": "Formation energies (eV/atom), WBM 2021",
}


def bundled_path(name: str) -> Path:
    """Path of a bundled dataset file by name (e.g. "mp_elastic_2015")."""
    if name not in BUNDLED:
        raise PgnnError(f"{name}: unknown bundled dataset; known: {', '.join(BUNDLED)}")
    return BUNDLED_DIR / f"{name}.json.gz"


def resolve_dataset(name_or_path: str | Path) -> Path:
    """A bundled dataset name, or a path to a records file / folder / extxyz file that exists."""
    s = str(name_or_path)
    if s in BUNDLED:
        return bundled_path(s)
    p = Path(s).expanduser()
    if not p.exists():
        raise PgnnError(f"{s}: no such file or folder, and not a bundled dataset ({', '.join(BUNDLED)})")
    return p
