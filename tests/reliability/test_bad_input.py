"""Issue item 7 (the bullets on input): truncated CIFs, multi-block CIFs, empty folders and datasets, vacuum
gaps, point-group subsets, symmetry tolerances, the subduction degree bound, the "file" field."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from pymatgen.core import Lattice, Structure

from pgnn.errors import ConfigError, DomainWarning, PgnnError, StructureError

from .conftest import invoke


def _cut_inside_atoms(cif_text: str, keep_atoms: int) -> str:
    lines = cif_text.rstrip("\n").splitlines()
    first = next(i for i, ln in enumerate(lines) if ln.strip().startswith(("Na ", "Na\t")))
    return "\n".join(lines[: first + keep_atoms]) + "\n"


def test_cif_cut_inside_atom_list_is_an_error(tmp_path, nacl_cif):
    from pgnn.structures.files import read_structure_file

    cut = tmp_path / "cut.cif"
    cut.write_text(_cut_inside_atoms(nacl_cif.read_text(), 5))  # 4 Na + 1 Cl of Na4Cl4
    with pytest.raises(StructureError, match=r"cut\.cif: inconsistent CIF: Incorrect stoichiometry"):
        read_structure_file(cut)
    assert read_structure_file(nacl_cif).composition.reduced_formula == "NaCl"  # the intact file reads


def test_two_block_cif_predicts_every_block(tmp_path, nacl_cif):
    text = nacl_cif.read_text()
    two = tmp_path / "two.cif"
    two.write_text(text + "\n" + text.replace("data_NaCl", "data_wide").replace("5.64000000", "5.90000000"))
    code, out, exc = invoke("predict", "cgcnn-log-kvrh", two, "--json")
    assert exc is None and code == 0, out
    rows = json.loads(out)
    assert [r["id"] for r in rows] == ["two#NaCl", "two#wide"]
    assert {r["file"] for r in rows} == {str(two)}
    assert rows[0]["log10_K_VRH"] != rows[1]["log10_K_VRH"]  # really two structures
    from pgnn.structures.files import read_structure_file

    with pytest.raises(StructureError, match="2 structure data blocks"):
        read_structure_file(two)  # the one-structure reader never silently keeps the first


def test_folder_predictions_name_the_file(tmp_path, nacl_cif):
    folder = tmp_path / "crystals"
    folder.mkdir()
    (folder / "a.cif").write_text(nacl_cif.read_text())
    Structure.from_file(nacl_cif).to(filename=str(folder / "POSCAR"))
    code, out, exc = invoke("predict", "cgcnn-log-kvrh", folder, "--json")
    assert exc is None and code == 0, out
    assert sorted(r["file"] for r in json.loads(out)) == sorted([str(folder / "POSCAR"), str(folder / "a.cif")])


def test_empty_folder_is_an_error(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    from pgnn.structures.readers import read_entries

    with pytest.raises(PgnnError, match="no structure files"):
        read_entries(empty)
    code, out, exc = invoke("predict", "cgcnn-log-kvrh", empty)
    assert code == 2 and "no structure files" in out


def test_evaluate_without_usable_entries_is_an_error(tmp_path, nacl_cif):
    folder = tmp_path / "no_targets"
    folder.mkdir()
    (folder / "a.cif").write_text(nacl_cif.read_text())
    code, out, exc = invoke("evaluate", "cgcnn-log-kvrh", "--data", folder)
    assert isinstance(exc, PgnnError) and "no usable entries to evaluate" in str(exc)


def test_vacuum_gaps(nacl_cif):
    from pgnn.structures.validate import vacuum_gaps

    bulk = Structure.from_file(nacl_cif)
    assert vacuum_gaps(bulk) == []
    molecule = Structure(Lattice.cubic(15.0), ["N", "N"], [[0, 0, 0], [1.1 / 15, 0, 0]])
    assert [d for d, _ in vacuum_gaps(molecule)] == ["a", "b", "c"]
    slab = bulk.copy()
    slab.make_supercell([1, 1, 1])
    slab = Structure(Lattice.from_parameters(5.64, 5.64, 25.0, 90, 90, 90), slab.species,
                     slab.cart_coords, coords_are_cartesian=True)  # 5.64 A of NaCl, ~19 A of vacuum along c
    gaps = vacuum_gaps(slab)
    assert [d for d, _ in gaps] == ["c"] and gaps[0][1] == pytest.approx(25.0 - 2.82, abs=1e-6)
    # invariant under atom order and under moving the slab through the periodic boundary
    perm = slab.copy()
    perm.sites = [slab.sites[i] for i in np.random.default_rng(0).permutation(len(slab))]
    perm.translate_sites(list(range(len(perm))), [0, 0, 0.9])
    assert vacuum_gaps(perm)[0][1] == pytest.approx(gaps[0][1], abs=1e-6)


def test_molecule_in_box_warns_and_strict_refuses(tmp_path):
    import pgnn

    molecule = Structure(Lattice.cubic(15.0), ["N", "N"], [[0, 0, 0], [1.1 / 15, 0, 0]])
    predictor = pgnn.load("cgcnn-log-kvrh")
    with pytest.warns(DomainWarning, match="molecule or cluster in a box"):
        predictor.predict([molecule])
    with pytest.raises(StructureError, match="vacuum gap"):
        predictor.predict([molecule], strict=True)
    path = tmp_path / "n2.cif"
    molecule.to(filename=str(path))
    code, out, exc = invoke("predict", "cgcnn-log-kvrh", path, "--strict", "--json")
    assert code == 2 and "vacuum gap" in out


def test_point_group_subset_model_warns_outside(tmp_path, nacl_cif):
    import pgnn

    rutile = Structure.from_spacegroup("P4_2/mnm", Lattice.tetragonal(4.594, 2.959), ["Ti", "O"],
                                       [[0, 0, 0], [0.3048, 0.3048, 0]])
    predictor = pgnn.load("pg-oh-elastic")
    assert predictor.config["data"]["point_groups"] == ["m-3m"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", DomainWarning)
        predictor.predict([Structure.from_file(nacl_cif)])  # m-3m: no warning
    with pytest.warns(DomainWarning, match="point group 4/mmm is outside"):
        predictor.predict([rutile])
    with pytest.raises(StructureError, match="outside the model's training set"):
        predictor.predict([rutile], strict=True)
    # a model trained on all point groups has no subset
    assert pgnn.load("pg-elastic").domain_problems([rutile]) == []


def test_symprec_is_validated_before_spglib(nacl_cif):
    from pgnn.structures.symmetry import analyze_symmetry

    s = Structure.from_file(nacl_cif)
    for bad in (-1, 0, float("nan"), 5.0):
        with pytest.raises(ConfigError, match="symprec"):
            analyze_symmetry(s, symprec=bad)
    with pytest.raises(ConfigError, match="angle_tolerance"):
        analyze_symmetry(s, angle_tolerance=-5)
    code, out, _ = invoke("symmetry", nacl_cif, "--symprec", "-1")
    assert code == 2 and "symprec" in out
    assert analyze_symmetry(s).point_group == "m-3m"


def test_decompose_degree_is_bounded():
    from pgnn.groups import point_group
    from pgnn.groups.subduction import MAX_L

    code, out, _ = invoke("groups", "Oh", "--decompose", "170")
    assert code == 2 and f"between 0 and {MAX_L}" in out
    with pytest.raises(ValueError, match="out of range"):
        point_group("Oh").subduce(MAX_L + 1, "even")
    code, out, _ = invoke("groups", "Oh", "--decompose", "2", "--parity", "even", "--json")
    assert code == 0 and json.loads(out)["irreps"] == {"Eg": 1, "T2g": 1}
