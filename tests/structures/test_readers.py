"""Every reader format, dispatch by path type, and skipped entries reported with file/entry and reason."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest
from known_crystals import perovskite, rocksalt, wurtzite, write_cif
from pymatgen.core import Lattice, Structure

from pgnn.errors import PgnnError
from pgnn.structures import read_entries, read_structure_file

EPS = [[10.0, 0.1, 0.0], [0.1, 11.0, 0.0], [0.0, 0.0, 12.0]]


def _same(a: Structure, b: Structure) -> bool:
    return len(a) == len(b) and np.allclose(a.lattice.matrix, b.lattice.matrix, atol=1e-5) and np.allclose(
        a.cart_coords, b.cart_coords, atol=1e-4) and [s.symbol for s in a.species] == [s.symbol for s in b.species]


def test_bundled_name(bundled_records):
    from pgnn.data.dataset import read_entries as read_dataset

    entries, skipped = read_dataset("mp_piezo_2015")  # bundled names are resolved by the data layer
    assert len(entries) == 650 and skipped == []
    first = bundled_records("mp_piezo_2015", 1)[0]
    assert entries[0].id == first.id and entries[0].source == f"mp_piezo_2015#{first.id}"
    assert np.asarray(entries[0].fields["piezo_tensor_voigt_Cm2"]).shape == (3, 6)


def test_records_file_json_and_gz(tmp_path):
    recs = [
        {"id": "x-1", "structure": rocksalt().as_dict(), "K_VRH_GPa": 24.0},
        {"id": "x-2", "structure": wurtzite().as_dict(), "dielectric_total": EPS},
        {"id": "x-3", "structure": {"lattice": "nonsense"}},
        {"id": "x-4", "K_VRH_GPa": 1.0},
        {"id": "x-5", "structure": Structure(Lattice.cubic(4), ["Na", "Na"], [[0, 0, 0], [0, 0, 0.01]]).as_dict()},
    ]
    for path in (tmp_path / "set.json", tmp_path / "set.json.gz"):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "wt") as fh:
            json.dump(recs, fh)
        entries, skipped = read_entries(path)
        assert [e.id for e in entries] == ["x-1", "x-2"]
        assert entries[0].fields["K_VRH_GPa"] == 24.0 and entries[1].fields["dielectric_total"] == EPS
        assert _same(entries[0].structure, rocksalt())
        sources = [s for s, _ in skipped]
        assert sources == [f"{path}#x-3", f"{path}#x-4", f"{path}#x-5"]
        assert "no 'structure'" in skipped[1][1] and "closer than 0.5 A" in skipped[2][1]


def _write_folder(folder, with_csv=True, key="id"):
    folder.mkdir()
    write_cif(rocksalt(), folder / "nacl.cif")
    perovskite().to(filename=str(folder / "srtio3.vasp"), fmt="poscar")
    wurtzite().to(filename=str(folder / "POSCAR_zno"), fmt="poscar")
    (folder / "broken.cif").write_text("data_x\n_cell_length_a 3\n")
    if with_csv:
        names = {"id": ["nacl", "srtio3", "POSCAR_zno", "broken", "ghost"],
                 "file": ["nacl.cif", "srtio3.vasp", "POSCAR_zno", "broken.cif", "ghost.cif"]}[key]
        eps = json.dumps(EPS)
        rows = [f"{key},K_VRH_GPa,eps_total,note",
                f'{names[0]},24.5,"{eps}",rock salt',
                f'{names[1]},170,"{eps}",',
                f"{names[2]},140,,wurtzite",
                f"{names[3]},1,,",
                f"{names[4]},2,,"]
        (folder / "targets.csv").write_text("\n".join(rows) + "\n")


@pytest.mark.parametrize("key", ["id", "file"])
def test_folder_with_csv(tmp_path, key):
    folder = tmp_path / "cifs"
    _write_folder(folder, key=key)
    entries, skipped = read_entries(folder)
    assert [e.id for e in entries] == ["nacl", "srtio3", "POSCAR_zno"]
    nacl, sto, zno = entries
    assert nacl.fields == {"K_VRH_GPa": 24.5, "eps_total": EPS, "note": "rock salt"}
    assert sto.fields["eps_total"] == EPS and sto.fields["note"] is None and zno.fields["eps_total"] is None
    assert _same(nacl.structure, rocksalt()) and _same(sto.structure, perovskite())
    assert nacl.source == str(folder / "nacl.cif")
    reasons = dict(skipped)
    assert "unreadable" in reasons[str(folder / "broken.cif")]
    ghost = [s for s in reasons if "ghost" in s]
    assert len(ghost) == 1 and "no structure file" in reasons[ghost[0]] and "targets.csv" in ghost[0]


def test_folder_with_csv_and_required_targets(tmp_path):
    folder = tmp_path / "cifs"
    _write_folder(folder)
    entries, skipped = read_entries(folder, targets=["eps_total"])
    assert [e.id for e in entries] == ["nacl", "srtio3"]
    assert any("POSCAR_zno" in s and "missing" in r for s, r in skipped)


def test_folder_without_csv_and_cgcnn_id_prop(tmp_path):
    folder = tmp_path / "plain"
    _write_folder(folder, with_csv=False)
    entries, skipped = read_entries(folder)
    assert sorted(e.id for e in entries) == ["POSCAR_zno", "nacl", "srtio3"] and len(skipped) == 1
    (folder / "id_prop.csv").write_text("nacl,1.5\nsrtio3,2.5\n")
    entries, skipped = read_entries(folder)
    assert [(e.id, e.fields) for e in entries] == [("nacl", {"target": 1.5}), ("srtio3", {"target": 2.5})]
    assert {s.split("/")[-1] for s, _ in skipped} == {"broken.cif", "POSCAR_zno"}


def test_csv_without_key_column(tmp_path):
    folder = tmp_path / "f"
    folder.mkdir()
    write_cif(rocksalt(), folder / "a.cif")
    (folder / "targets.csv").write_text("name,y\na,1\n")
    with pytest.raises(PgnnError, match="no 'id' or 'file' column"):
        read_entries(folder)


def test_extxyz(tmp_path):
    import ase.io
    from ase import Atoms
    from pymatgen.io.ase import AseAtomsAdaptor

    frames = []
    for k, s in enumerate((rocksalt(), wurtzite())):
        atoms = AseAtomsAdaptor.get_atoms(s)
        atoms.info["id"] = f"frame-{k}"
        atoms.info["K_VRH_GPa"] = 20.0 + k
        atoms.info["eps"] = np.array(EPS)
        frames.append(atoms)
    molecule = Atoms("H2", positions=[[0, 0, 0], [0, 0, 0.74]])
    molecule.info["id"] = "h2"
    frames.append(molecule)
    path = tmp_path / "set.extxyz"
    ase.io.write(str(path), frames, format="extxyz")
    entries, skipped = read_entries(path)
    assert [e.id for e in entries] == ["frame-0", "frame-1"]
    assert entries[0].fields["K_VRH_GPa"] == 20.0
    assert np.allclose(entries[1].fields["eps"], EPS)
    assert _same(entries[1].structure, wurtzite())
    assert skipped == [(f"{path}#h2", skipped[0][1])] and "not periodic" in skipped[0][1]


def test_single_files(tmp_path):
    write_cif(rocksalt(), tmp_path / "nacl.cif")
    wurtzite().to(filename=str(tmp_path / "POSCAR"), fmt="poscar")
    (tmp_path / "s.json").write_text(json.dumps(perovskite().as_dict()))
    for name, ref in (("nacl.cif", rocksalt()), ("POSCAR", wurtzite()), ("s.json", perovskite())):
        entries, skipped = read_entries(tmp_path / name)
        assert skipped == [] and len(entries) == 1 and _same(entries[0].structure, ref)
        assert entries[0].source == str(tmp_path / name)
    (tmp_path / "bad.cif").write_text("garbage")
    entries, skipped = read_entries(tmp_path / "bad.cif")
    assert entries == [] and skipped[0][0] == str(tmp_path / "bad.cif") and "unreadable" in skipped[0][1]
    assert _same(read_structure_file(tmp_path / "nacl.cif"), rocksalt())


def test_missing_path():
    with pytest.raises(PgnnError, match="no such file"):
        read_entries("/nonexistent/place.json")
