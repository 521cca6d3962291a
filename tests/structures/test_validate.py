"""Each bad-input case raises StructureError / TargetError naming the entry and the reason."""

from __future__ import annotations

import numpy as np
import pytest
from known_crystals import rocksalt, wurtzite
from pymatgen.core import Lattice, Structure
from pymatgen.core.periodic_table import DummySpecies

from pgnn.errors import StructureError, TargetError
from pgnn.structures.records import Entry
from pgnn.structures.validate import validate_entries, validate_structure, validate_target


def _raises(structure, match, cutoff=8.0):
    with pytest.raises(StructureError, match=match) as err:
        validate_structure(structure, "bad-entry-7", cutoff=cutoff)
    assert err.value.source == "bad-entry-7"
    assert str(err.value).startswith("bad-entry-7: ")
    return err.value


def test_good_structures_pass():
    for s in (rocksalt(), wurtzite()):
        assert validate_structure(s, "ok") is s


def test_unreadable_file(tmp_path):
    bad = tmp_path / "broken.cif"
    bad.write_text("this is not a CIF\n")
    with pytest.raises(StructureError, match="unreadable") as err:
        validate_structure(bad)
    assert err.value.source == str(bad)
    with pytest.raises(StructureError, match="not found"):
        validate_structure(tmp_path / "missing.cif")


def test_empty_structure():
    _raises(Structure(Lattice.cubic(4.0), [], []), "empty structure")


def test_atoms_too_close():
    s = Structure(Lattice.cubic(5.0), ["Na", "Cl"], [[0, 0, 0], [0.06, 0, 0]])  # 0.3 A apart
    err = _raises(s, "closer than 0.5 A")
    assert "atoms 0 and 1" in err.reason


def test_atoms_too_close_across_the_boundary():
    s = Structure(Lattice.cubic(5.0), ["Na", "Cl"], [[0.01, 0, 0], [0.97, 0, 0]])  # 0.2 A through the cell face
    _raises(s, "closer than 0.5 A")


def test_atom_too_close_to_its_own_image():
    s = Structure(Lattice.from_parameters(0.4, 5.0, 5.0, 90, 90, 90), ["Na"], [[0, 0, 0]])
    _raises(s, "own periodic image")


def test_duplicate_atoms():
    _raises(Structure(Lattice.cubic(4.0), ["Na", "Na"], [[0, 0, 0], [0, 0, 0]]), "0.000 A apart")


def test_non_finite_coordinates_and_lattice():
    _raises(Structure(Lattice.cubic(4.0), ["Na", "Cl"], [[0, 0, 0], [0.5, np.nan, 0.5]]), "site 1 has non-finite")
    lat = np.eye(3) * 4.0
    lat[2, 2] = np.inf
    _raises(Structure(Lattice(lat), ["Na"], [[0, 0, 0]]), "lattice has non-finite")


def test_unknown_element():
    s = Structure(Lattice.cubic(4.0), ["Na", DummySpecies("X")], [[0, 0, 0], [0.5, 0.5, 0.5]])
    _raises(s, "unknown element")


def test_atom_without_neighbours():
    s = Structure(Lattice.cubic(10.0), ["Na"], [[0, 0, 0]])
    err = _raises(s, "no neighbour within the cutoff of 6.0 A", cutoff=6.0)
    assert "atom 0 (Na)" in err.reason
    assert validate_structure(s, "ok", cutoff=10.5) is s


def test_targets():
    assert validate_target(3.5, "e").shape == ()
    assert validate_target(np.eye(3).tolist(), "e").shape == (3, 3)
    assert validate_target(np.zeros((3, 6)).tolist(), "e").shape == (3, 6)
    assert validate_target(np.zeros((6, 6)).tolist(), "e").shape == (6, 6)
    assert validate_target(np.zeros((3, 3, 3, 3)).tolist(), "e").shape == (3, 3, 3, 3)
    for value, match in ((float("nan"), "non-finite"), ([[1, 2, 3], [0, float("inf"), 0], [0, 0, 1]], "non-finite"),
                         (None, "missing"), ("abc", "not numeric"), ([1, 2, 3, 4, 5], "shape")):
        with pytest.raises(TargetError, match=match) as err:
            validate_target(value, "file.csv#mp-1", "K_VRH_GPa")
        assert "file.csv#mp-1" in str(err.value) and "K_VRH_GPa" in str(err.value)


def test_batch_skips_and_reports():
    good = Entry("a", rocksalt(), {"y": 1.0}, "set#a")
    close = Entry("b", Structure(Lattice.cubic(5.0), ["Na", "Cl"], [[0, 0, 0], [0.02, 0, 0]]), {"y": 1.0}, "set#b")
    nan_y = Entry("c", wurtzite(), {"y": float("nan")}, "set#c")
    none = Entry("d", None, {}, "set#d")
    kept, skipped = validate_entries([good, close, nan_y, none], targets=["y"])
    assert [e.id for e in kept] == ["a"]
    assert [s for s, _ in skipped] == ["set#b", "set#c [y]", "set#d"]
    assert "closer than 0.5 A" in skipped[0][1] and "non-finite" in skipped[1][1]
