"""Hamiltonian datasets: pick crystals, compute each with an engine (resumable, one atomic file per crystal),
pack them into shards (< 5 MB each) with a records file of band gaps and folded-band checks.

Layout of a build folder: ``crystals/<id>.npz`` + ``crystals/<id>.json`` (the record), ``skipped/<id>.json``
(the reason). ``pack`` writes ``<name>-000.npz ...`` and ``<name>.records.json.gz``.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import time
from pathlib import Path

import numpy as np

from pgnn.errors import HamiltonianError, PgnnError

__all__ = ["select_crystals", "build", "pack", "unpack", "load_dataset", "crystal_record", "NONMETALS"]

# Entries without any of these elements are intermetallics (metals) and are left out by `insulators=True`
# when the record has no band gap.
NONMETALS = {"H", "B", "C", "N", "O", "F", "Si", "P", "S", "Cl", "Ge", "As", "Se", "Br", "Sb", "Te", "I"}
BUNDLED_HAM = Path(__file__).parent / "bundled" / "mp_hamiltonians_gfn1"


def _safe_id(cid: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", cid)


def select_crystals(data: list[str], max_atoms: int = 8, insulators: bool = True, first_point_group: str = "m-3m",
                    limit: int | None = None, ids: list[str] | None = None):
    """(entries, skipped) from bundled dataset names / paths, deduplicated by id, primitive cells with at most
    ``max_atoms`` atoms; with ``insulators`` keep records with band_gap_eV > 0, or, without a band gap field, with
    at least one non-metal element. Order: ``first_point_group`` crystals first, then those with a known gap,
    then by id; ``ids`` keeps only those, in that order."""
    from pgnn.data.dataset import read_entries

    seen, chosen, skipped = set(), [], []
    for name in data:
        entries, bad = read_entries(name)
        skipped += bad
        for e in entries:
            if e.id in seen:
                continue
            seen.add(e.id)
            st = e.structure.get_primitive_structure()
            if len(st) > max_atoms:
                continue
            gap = e.fields.get("band_gap_eV")
            if insulators:
                if gap is not None and not gap > 0:
                    continue
                if gap is None and not ({el.symbol for el in st.composition.elements} & NONMETALS):
                    continue
            e.structure = st
            e.fields = {k: v for k, v in e.fields.items() if isinstance(v, (str, int, float)) or v is None}
            e.fields["dataset"] = name
            chosen.append(e)
    chosen.sort(key=lambda e: (e.fields.get("point_group") != first_point_group,
                               e.fields.get("band_gap_eV") is None, e.id))
    if ids:
        by_id = {e.id: e for e in chosen}
        missing = [i for i in ids if i not in by_id]
        skipped += [(i, "not among the selected crystals of the data") for i in missing]
        chosen = [by_id[i] for i in ids if i in by_id]
    return (chosen[:limit] if limit else chosen), skipped


def crystal_record(entry, blocks, info: dict) -> dict:
    """The record of one computed crystal: ids, gaps, timings, folded-band checks, float32 storage error,
    the smallest eigenvalue of S(k) at 8 random k."""
    from pgnn.hamiltonians.checks import band_errors
    from pgnn.hamiltonians.store import from_arrays, to_arrays
    from pgnn.hamiltonians.supercell import commensurate_kpoints

    k = commensurate_kpoints(np.array(info["supercell"]))
    e64 = blocks.eigenvalues(k)
    e32 = from_arrays(to_arrays(blocks, np.float32)).eigenvalues(k)
    rng = np.random.default_rng(0)
    smin = min(float(np.linalg.eigvalsh(blocks.hk_sk(kk)[1]).min()) for kk in rng.random((8, 3)))
    st = entry.structure
    rec = {
        "id": entry.id, "formula": st.composition.reduced_formula, "dataset": entry.fields.get("dataset"),
        "space_group": entry.fields.get("space_group"), "point_group": entry.fields.get("point_group"),
        "n_atoms": len(st), "band_gap_eV_source": entry.fields.get("band_gap_eV"),
        "float32_band_error": band_errors(e32, e64, info["homo_eV"]),
        "S_min_eig_random_k": smin, "n_R": int(len(blocks.R)),
        "d_onsite": d_onsite_levels(blocks),
    }
    rec.update({k_: v for k_, v in info.items()})
    return rec


def split_pattern(ev, rel: float = 0.05) -> dict:
    """Group five sorted d levels (eV) as 2 + 3 or 3 + 2 when the spread inside each group is below ``rel`` times
    the gap between the groups (an O_h or T_d site gives e_g + t_2g; the spread is the engine's numerical noise).
    The 2-fold group is e_g. The sign of the on-site splitting in a non-orthogonal basis need not be the ligand-field
    one: the on-site block holds the neighbours' potentials, the hoppings carry the hybridization."""
    ev = np.sort(np.asarray(ev, dtype=float))
    if ev[4] - ev[0] < 1e-3:
        return {"split": "degenerate (5)"}
    for lo, name in ((2, "eg(2) < t2g(3)"), (3, "t2g(3) < eg(2)")):
        gap = ev[lo] - ev[lo - 1]
        spread = max(ev[lo - 1] - ev[0], ev[4] - ev[lo])
        if spread < rel * gap:
            eg = ev[:2] if lo == 2 else ev[3:]
            t2g = ev[2:] if lo == 2 else ev[:3]
            return {"split": name, "eg_minus_t2g_eV": float(eg.mean() - t2g.mean()), "spread_in_groups_eV": float(spread)}
    return {"split": "other"}


def d_onsite_levels(blocks, symprec: float = 1e-3) -> list[dict]:
    """For every atom with a d shell: its site symmetry and the eigenvalues (eV) of the d-d part of the on-site
    block H_aa(0), with the e_g - t_2g splitting when the levels group 2 + 3 (an O_h or T_d site)."""
    import spglib

    frac = blocks.positions @ np.linalg.inv(blocks.cell)
    try:
        sites = spglib.get_symmetry_dataset((blocks.cell, frac, blocks.numbers), symprec=symprec).site_symmetry_symbols
    except Exception:
        sites = ["?"] * len(blocks.numbers)
    off = blocks.orbital_offsets()
    r0 = blocks.r_index([0, 0, 0])
    out = []
    for a, z in enumerate(blocks.numbers):
        basis = blocks.bases[int(z)]
        o = off[a]
        for sh in basis.shells:
            if sh.l == 2:
                d = blocks.H[r0, o:o + 5, o:o + 5]
                s_ = blocks.S[r0, o:o + 5, o:o + 5]
                import scipy.linalg

                ev = scipy.linalg.eigh(d, s_, eigvals_only=True)
                rec = {"atom": a, "element": basis.element, "shell": sh.label, "site_symmetry": str(sites[a]),
                       "levels_eV": [float(x) for x in ev]}
                rec.update(split_pattern(ev))
                out.append(rec)
            o += 2 * sh.l + 1
    return out


def _work(args):
    entry, out, engine, options = args
    from pgnn.hamiltonians.engines import run_engine
    from pgnn.hamiltonians.store import atomic_write_bytes, save_blocks

    sid = _safe_id(entry.id)
    st = entry.structure
    try:
        blocks, info = run_engine(engine, st.lattice.matrix, st.cart_coords, st.atomic_numbers,
                                  source=entry.source or entry.id, **options)
        rec = crystal_record(entry, blocks, info)
    except HamiltonianError as exc:
        rec = {"id": entry.id, "reason": exc.reason, "error": type(exc).__name__}
        atomic_write_bytes(out / "skipped" / f"{sid}.json", lambda fh: fh.write(json.dumps(rec).encode()))
        return entry.id, None, exc.reason
    save_blocks(out / "crystals" / f"{sid}.npz", blocks)
    atomic_write_bytes(out / "crystals" / f"{sid}.json", lambda fh: fh.write(json.dumps(rec).encode()))
    return entry.id, rec, None


def build(entries, out, engine: str = "tblite", options: dict | None = None, workers: int | None = None,
          progress: bool = True, retry_skipped: bool = False):
    """Compute every entry not already in ``out`` (resumes after a kill). Returns (done ids, skipped (id, reason))."""
    from tqdm import tqdm

    out = Path(out)
    (out / "crystals").mkdir(parents=True, exist_ok=True)
    (out / "skipped").mkdir(parents=True, exist_ok=True)
    todo, done, skipped = [], [], []
    for e in entries:
        sid = _safe_id(e.id)
        if (out / "crystals" / f"{sid}.json").exists() and (out / "crystals" / f"{sid}.npz").exists():
            done.append(e.id)
        elif (out / "skipped" / f"{sid}.json").exists() and not retry_skipped:
            skipped.append((e.id, json.loads((out / "skipped" / f"{sid}.json").read_text())["reason"]))
        else:
            todo.append(e)
    workers = workers or os.cpu_count() or 1
    jobs = [(e, out, engine, options or {}) for e in todo]
    bar = tqdm(total=len(jobs), disable=not progress, desc=f"hamiltonians ({engine})", unit="crystal")
    if workers == 1:
        results = map(_work, jobs)
    else:
        import multiprocessing as mp

        pool = mp.get_context("spawn").Pool(workers)
        results = pool.imap_unordered(_work, jobs)
    for cid, rec, reason in results:
        if reason is None:
            done.append(cid)
        else:
            skipped.append((cid, reason))
            bar.write(f"skipped {cid}: {reason}")
        bar.update(1)
    bar.close()
    if workers != 1:
        pool.close()
        pool.join()
    return done, skipped


def pack(out, name: str, dest=None, max_shard_bytes: int = 4_000_000, ids: list[str] | None = None) -> dict:
    """Pack the computed crystals of ``out`` into ``<name>-NNN.npz`` shards of at most ~max_shard_bytes
    (compressed estimate) and ``<name>.records.json.gz`` in ``dest`` (default: ``out``). Returns a summary."""
    from pgnn.hamiltonians.store import atomic_write_bytes, write_shard

    out = Path(out)
    dest = Path(dest or out)
    recs = {}
    for p in sorted((out / "crystals").glob("*.json")):
        r = json.loads(p.read_text())
        if (out / "crystals" / f"{p.stem}.npz").exists():
            recs[r["id"]] = (r, out / "crystals" / f"{p.stem}.npz")
    order = ids or sorted(recs)
    shards, cur, cur_bytes, n_shard = [], [], 0, 0

    def flush():
        nonlocal cur, cur_bytes, n_shard
        if not cur:
            return
        fname = f"{name}-{n_shard:03d}.npz"
        items = []
        for cid in cur:
            with np.load(recs[cid][1], allow_pickle=False) as z:
                items.append((cid, {k: z[k] for k in z.files}))
            recs[cid][0]["shard"] = fname
        write_shard(dest / fname, items)
        shards.append(fname)
        n_shard += 1
        cur, cur_bytes = [], 0

    for cid in order:
        if cid not in recs:
            continue
        size = recs[cid][1].stat().st_size
        if cur and cur_bytes + size > max_shard_bytes:
            flush()
        cur.append(cid)
        cur_bytes += size
    flush()
    skipped = [json.loads(p.read_text()) for p in sorted((out / "skipped").glob("*.json"))] if (out / "skipped").exists() else []
    payload = {"name": name, "records": [recs[c][0] for c in order if c in recs], "skipped": skipped}
    data = gzip.compress(json.dumps(payload, indent=None).encode(), mtime=0)
    atomic_write_bytes(dest / f"{name}.records.json.gz", lambda fh: fh.write(data))
    return {"n": len(payload["records"]), "shards": shards, "skipped": len(skipped),
            "bytes": int(sum((dest / s).stat().st_size for s in shards))}


def unpack(src, out, name: str = "mp_hamiltonians_gfn1") -> dict:
    """Write the crystals and skipped entries of the packed dataset ``name`` in ``src`` back into a build folder
    ``out`` (``crystals/<id>.npz`` + ``.json``, ``skipped/<id>.json``), so that ``build`` resumes from it instead
    of recomputing them. Crystals already in ``out`` are kept. Returns {"crystals": n, "skipped": n}."""
    from pgnn.hamiltonians.store import atomic_write_bytes, read_shard

    src, out = Path(src), Path(out)
    f = src / f"{name}.records.json.gz"
    if not f.exists():
        raise PgnnError(f"{src}: no {name}.records.json.gz Hamiltonian records here")
    with gzip.open(f, "rt") as fh:
        payload = json.load(fh)
    (out / "crystals").mkdir(parents=True, exist_ok=True)
    (out / "skipped").mkdir(parents=True, exist_ok=True)
    by_shard: dict[str, list[dict]] = {}
    for r in payload["records"]:
        by_shard.setdefault(r["shard"], []).append(r)
    n = 0
    for shard, recs in by_shard.items():
        arrays = read_shard(src / shard)
        for r in recs:
            sid = _safe_id(r["id"])
            if (out / "crystals" / f"{sid}.json").exists():
                continue
            a = {k: np.asarray(v) for k, v in arrays[r["id"]].items()}
            atomic_write_bytes(out / "crystals" / f"{sid}.npz", lambda fh: np.savez_compressed(fh, **a))
            rec = {k: v for k, v in r.items() if k != "shard"}
            atomic_write_bytes(out / "crystals" / f"{sid}.json", lambda fh: fh.write(json.dumps(rec).encode()))
            n += 1
    for r in payload.get("skipped", []):
        p = out / "skipped" / f"{_safe_id(r['id'])}.json"
        if not p.exists():
            atomic_write_bytes(p, lambda fh: fh.write(json.dumps(r).encode()))
    return {"crystals": n, "skipped": len(payload.get("skipped", []))}


def load_dataset(path=None, name: str = "mp_hamiltonians_gfn1"):
    """(records, {id: RealSpaceBlocks loader}) of the packed dataset ``name`` in a folder (default: the bundled
    mp_hamiltonians_gfn1; its DFT subset is mp_hamiltonians_pbe_szv). ``loader()`` reads the crystal from its shard."""
    from pgnn.hamiltonians.store import from_arrays, read_shard

    path = Path(path or BUNDLED_HAM)
    files = [path / f"{name}.records.json.gz"]
    if not files[0].exists():
        alt = sorted(path.glob("*.records.json.gz"))
        if len(alt) != 1:
            raise PgnnError(f"{path}: no {name}.records.json.gz Hamiltonian records here")
        files = alt
    with gzip.open(files[0], "rt") as fh:
        payload = json.load(fh)
    cache: dict = {}

    def loader(cid, shard):
        def f():
            if shard not in cache:
                cache.clear()
                cache[shard] = read_shard(path / shard)
            return from_arrays(cache[shard][cid], f"{path / shard}#{cid}")
        return f

    return payload["records"], {r["id"]: loader(r["id"], r["shard"]) for r in payload["records"]}
