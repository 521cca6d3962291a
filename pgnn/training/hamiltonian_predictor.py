"""A trained Hamiltonian model as a plain Python object: `.predict(structures)[k]["hamiltonian"]` is the
`sisl.Hamiltonian` of structure k (geometry = the input cell, atoms in input order, the engine's overlap S, the
predicted H in eV), the same contract as `pgnn.hamiltonians.compute`, so `pgnn.hamiltonians.eigenvalues(H, k)`
works on both.

The overlap of a crystal no engine has run on comes from `engine_overlap` (the one place it is computed):
`pgnn.hamiltonians.overlap_blocks(structure, engine, **options)`, S only, no self-consistency.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pgnn.errors import PgnnError, StructureError

ENGINE_OF_DATASET = {"mp_hamiltonians_gfn1": "tblite", "mp_hamiltonians_pbe_szv": "pyscf"}
ENGINE_OPTIONS = {"tblite": {"max_atoms": 64}}  # as the bundled GFN1 set was made (--supercell-atoms 64)


def engine_overlap(structure, engine: str = "tblite", source: str = "", **options):
    """RealSpaceBlocks with the engine's S (H zero) of a pymatgen Structure."""
    from pgnn.hamiltonians import overlap_blocks

    return overlap_blocks(structure, engine=engine, source=source, **{**ENGINE_OPTIONS.get(engine, {}), **options})


class HamiltonianPredictor:
    """A trained Hamiltonian model (module: PgnnModule in eval mode). engine: the engine that gives S."""

    def __init__(self, module, config: dict, folder: Path, engine: str | None = None):
        self.module, self.config, self.folder = module, config, Path(folder)
        self.model = module.model.double()  # float64 inference: covariance to ~1e-12 eV, not float32's 1e-6
        self.engine = engine or ENGINE_OF_DATASET.get(str(config["data"]["dataset"]), "tblite")
        self.targets = module.targets
        self.units = {"hamiltonian": "eV"}

    def predict_blocks(self, structures: list, overlaps: list | None = None, sources: list[str] | None = None):
        """[(RealSpaceBlocks with predicted H and the engine's S, sample)] per structure. `overlaps`: the
        engine's S blocks of each structure when already computed (RealSpaceBlocks of the same cell and atoms)."""
        from pgnn.hamiltonians.pairs import blocks_from_slots
        from pgnn.training.hamiltonian_fit import predict_samples

        structures = list(structures)
        sources = sources or [f"structure {k} ({s.composition.reduced_formula})" for k, s in enumerate(structures)]
        out = []
        for k, st in enumerate(structures):
            ov = overlaps[k] if overlaps is not None else engine_overlap(st, self.engine, sources[k])
            cell, pos, z = np.asarray(st.lattice.matrix), np.asarray(st.cart_coords), np.asarray(st.atomic_numbers)
            if ov.positions.shape != pos.shape or not np.allclose(ov.positions, pos, atol=1e-6):
                raise StructureError(sources[k], "the overlap blocks given are not of this cell (positions differ)")
            sample = self.model.prepare(cell, pos, z, ov.bases, source=sources[k])
            H = predict_samples(self.model, [sample])[0]
            blocks = blocks_from_slots(sample, H, ov.bases, self.model.config["slots"], cell, pos, S_blocks=ov,
                                       engine=f"{self.folder.name} ({self.engine} S)")
            blocks.meta = dict(ov.meta)
            out.append((blocks, sample))
        return out

    def predict(self, structures: list, overlaps: list | None = None, **_ignored) -> list[dict]:
        """One {"hamiltonian": sisl.Hamiltonian, "blocks": RealSpaceBlocks} per pymatgen Structure."""
        return [{"hamiltonian": b.to_sisl(), "blocks": b} for b, _ in self.predict_blocks(structures, overlaps)]


def is_hamiltonian_module(module) -> bool:
    return getattr(type(module.model), "task", None) == "hamiltonian"


def load_hamiltonian_predictor(run_dir_or_name) -> HamiltonianPredictor:
    from pgnn.training.runs import load_module

    module, config, folder = load_module(run_dir_or_name)
    if not is_hamiltonian_module(module):
        raise PgnnError(f"{folder}: not a Hamiltonian model")
    return HamiltonianPredictor(module, config, folder)


def valence_electrons(dataset: str) -> dict[int, int]:
    """{Z: valence electrons} the engine counts per atom, solved (least squares, rounded) from the electron counts
    of a Hamiltonian dataset's records (per primitive cell = record n_electrons / supercell size)."""
    from pgnn.training.hamiltonian_fit import open_dataset

    records, loaders = open_dataset(dataset)
    rows, rhs, elements = [], [], set()
    comps = []
    for r in records:
        if r.get("n_electrons") is None or r.get("supercell") is None:
            continue
        b = loaders[r["id"]]()
        n_cells = abs(round(np.linalg.det(np.asarray(r["supercell"], float))))
        zs, counts = np.unique(b.numbers, return_counts=True)
        comps.append(dict(zip(zs.tolist(), counts.tolist())))
        elements |= set(zs.tolist())
        rhs.append(float(r["n_electrons"]) / max(n_cells, 1))
    el = sorted(elements)
    A = np.array([[c.get(z, 0) for z in el] for c in comps], float)
    v, *_ = np.linalg.lstsq(A, np.array(rhs), rcond=None)
    return {z: int(round(x)) for z, x in zip(el, v)}


def band_structure(blocks, n_electrons: float | None, n_points: int = 120) -> dict:
    """Bands of RealSpaceBlocks along the standard k-path of its cell: {"kpoints", "x", "ticks", "energies_eV",
    "gap_eV", "vbm_eV", "cbm_eV", "n_k", "n_k_without_bands"} (gap on the path, from the electron count per cell;
    None without it). GFN1's diffuse basis with minimum-image overlaps gives an S(k) that is not positive definite
    at many k off the supercell's commensurate mesh: those k have no bands (NaN) and are counted."""
    from pgnn.errors import HamiltonianError
    from pgnn.hamiltonians import band_path, eigenvalues

    k, x, ticks = band_path(blocks.cell, blocks.positions, blocks.numbers, n_points=n_points)
    H = blocks.to_sisl()
    e = np.full((len(k), H.no), np.nan)
    for a, kk in enumerate(k):  # a k where the engine's S(k) is not positive definite is left out (NaN)
        try:
            e[a] = eigenvalues(H, kk[None])[0]
        except HamiltonianError:
            pass
    ok = np.isfinite(e).all(axis=1)
    out = {"kpoints": k, "x": x, "ticks": ticks, "energies_eV": e, "gap_eV": None, "vbm_eV": None, "cbm_eV": None,
           "n_k": int(len(k)), "n_k_without_bands": int((~ok).sum())}
    if ok.any() and n_electrons is not None and abs(float(n_electrons) / 2 - round(float(n_electrons) / 2)) < 1e-4:
        n_occ = int(round(float(n_electrons) / 2))
        if 0 < n_occ < e.shape[1]:
            vbm, cbm = float(e[ok, n_occ - 1].max()), float(e[ok, n_occ].min())
            out.update(gap_eV=max(cbm - vbm, 0.0), vbm_eV=vbm, cbm_eV=cbm)
    return out
