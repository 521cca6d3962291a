"""Training and scoring of Hamiltonian models (model class attribute `task = "hamiltonian"`), called by `fit`.

Data: `data.dataset` is a packed Hamiltonian dataset (`pgnn.data.hamiltonians`): the bundled name
`mp_hamiltonians_gfn1` (or `mp_hamiltonians_pbe_szv`, its DFT subset) or a folder with one `*.records.json.gz`.
Split: `hamiltonian_split(ids, config)` = `pgnn.data.splits.SplitSpec` of the config (by id by default, fractions /
seed, or k folds with data.folds / data.fold), the training part subsampled by `data.train_fraction`
(`in_subsample`), after `data.point_groups` and `data.limit`.

Loss: on the block entries in eV (training.loss: mse | l1 | huber), masked to the orbitals both elements have and
the blocks the data stores within the model's cutoff; training.element_weights {symbol: w} weights the entries of a
pair by the larger weight of its two elements. The loop is plain torch (AdamW, cosine or constant lr); the
checkpoint with the lowest validation block MAE is kept.

Scores (meV, test split): block MAE on-site and hopping; band-energy MAE on the supercell's commensurate k-points
(where the stored blocks are exact), with the engine's S, over the levels up to 3 eV above the engine's highest
occupied level, absolute and after the best constant shift (the median difference for the MAE), and the
band-gap MAE (eV) on those k-points.
"""

from __future__ import annotations

import json
import math
import statistics
import time
from pathlib import Path

import numpy as np
import torch

from pgnn.atomic import atomic_open, atomic_write_text
from pgnn.errors import ConfigError, PgnnError

BAND_WINDOW_EV = 3.0


def open_dataset(name_or_path: str):
    """(records, {id: loader}) of a Hamiltonian dataset name or folder."""
    from pgnn.data.hamiltonians import BUNDLED_HAM, load_dataset

    s = str(name_or_path)
    if (Path(BUNDLED_HAM) / f"{s}.records.json.gz").is_file():
        return load_dataset(BUNDLED_HAM, name=s)
    p = Path(s).expanduser()
    if not p.is_dir():
        raise ConfigError(f"data.dataset {s}: not a Hamiltonian dataset name (bundled: mp_hamiltonians_gfn1, "
                          f"mp_hamiltonians_pbe_szv) nor a folder of one", key="data.dataset")
    return load_dataset(p)


def hamiltonian_records(records: list[dict], data: dict) -> list[dict]:
    """The records a run's `data:` section uses: those of `data.point_groups` (all when null), then the first
    `data.limit` (records keep the dataset's order, m-3m crystals first)."""
    from pgnn.structures.point_groups import canonical_name

    recs = records
    if data.get("point_groups"):
        wanted = {canonical_name(str(n)) for n in data["point_groups"]}
        recs = [r for r in recs if r.get("point_group") and canonical_name(str(r["point_group"])) in wanted]
    if data.get("limit"):
        recs = recs[: int(data["limit"])]
    return recs


def record_split_key(record: dict, by: str) -> str:
    """What `data.split.by` hashes for a Hamiltonian record: its id, its point group, or its chemical system."""
    if by == "id":
        return record["id"]
    if by == "point_group":
        from pgnn.structures.point_groups import canonical_name

        return "pg:" + canonical_name(str(record.get("point_group")))
    from pymatgen.core import Composition

    from pgnn.data.splits import chemical_system

    return "chem:" + chemical_system(Composition(record["formula"]))


def hamiltonian_split(records: list[dict], config: dict) -> dict[str, list[str]]:
    """{"train"|"val"|"test": ids} of a Hamiltonian dataset's records under a run config (see module docstring):
    the same `SplitSpec` as every other family (fractions or data.folds / data.fold, data.split.by)."""
    from pgnn.data.splits import SplitSpec, in_subsample

    data = config["data"]
    recs = hamiltonian_records(records, data)
    spec = SplitSpec.from_config(data)
    out = {"train": [], "val": [], "test": []}
    for r in recs:
        part = spec.part(record_split_key(r, spec.by))
        if part == "train" and not in_subsample(r["id"], float(data.get("train_fraction") or 1.0), spec.seed):
            continue
        out[part].append(r["id"])
    return out


def element_weight_array(weights: dict) -> np.ndarray:
    from pymatgen.core.periodic_table import Element

    w = np.ones(120)
    for sym, v in (weights or {}).items():
        try:
            w[Element(sym).Z] = float(v)
        except ValueError:
            raise ConfigError(f"training.element_weights: {sym!r} is not an element symbol",
                              key="training.element_weights") from None
    return w


def _loss_fn(name: str):
    import torch.nn.functional as F

    return {"mse": lambda d: d.pow(2), "l1": lambda d: d.abs(),
            "huber": lambda d: F.huber_loss(d, torch.zeros_like(d), reduction="none", delta=1.0)}[name]


def residual(H, batch, shifted: bool = True) -> torch.Tensor:
    """H - H_ref (eV) [P, n, n], after each crystal's best shift c S (`best_shift`) when `shifted`."""
    from pgnn.models.hamiltonian_common import best_shift

    d = H - batch["target"].to(H.dtype)
    if not shifted:
        return d
    S = batch["target_S"].to(H.dtype)
    c = best_shift(d, S, batch["target_mask"].to(H.dtype), batch["pair_graph"], int(batch["num_graphs"]))
    return d - c[batch["pair_graph"]][:, None, None] * S


def batch_loss(H, batch, loss: str, zw: torch.Tensor | None, shifted: bool = True) -> torch.Tensor:
    """Masked mean loss over block entries (eV), after each crystal's best shift c S; zw [120] element weights or
    None."""
    mask = batch["target_mask"]
    err = _loss_fn(loss)(residual(H, batch, shifted)[mask])
    if zw is None:
        return err.mean()
    z = batch["z"]
    wz = torch.maximum(zw[z[batch["pair_i"]]], zw[z[batch["pair_j"]]]).to(H.dtype)  # [P]
    w = wz[:, None, None].expand_as(mask)[mask]
    return (w * err).sum() / w.sum().clamp(min=1e-12)


@torch.no_grad()
def block_errors(H, batch) -> dict:
    """Sums and counts of |error| (eV) over the masked entries, on-site and hopping, after each crystal's best
    shift c S ("onsite", "hopping") and absolute ("onsite_abs", "hopping_abs")."""
    mask = batch["target_mask"]
    on = batch["onsite"][:, None, None].expand_as(mask)
    out = {}
    for suffix, shifted in (("", True), ("_abs", False)):
        err = residual(H, batch, shifted).abs()
        out["onsite" + suffix] = (float(err[mask & on].sum()), int((mask & on).sum()))
        out["hopping" + suffix] = (float(err[mask & ~on].sum()), int((mask & ~on).sum()))
    return out


def predict_samples(model, samples: list[dict], batch_size: int = 16) -> list[np.ndarray]:
    """Padded blocks [P, n, n] (eV, float64 numpy) of each sample."""
    from pgnn.models.hamiltonian_common import collate

    out = []
    model.eval()
    with torch.no_grad():
        for k in range(0, len(samples), batch_size):
            chunk = samples[k:k + batch_size]
            batch = collate(chunk)
            H = model(batch).double().numpy()
            n = np.cumsum([0] + [len(s["pair_i"]) for s in chunk])
            out += [H[n[a]:n[a + 1]] for a in range(len(chunk))]
    return out


def band_scores(pred_blocks, ref_blocks, record: dict) -> dict:
    """Band-energy errors (meV) and gaps (eV) on the commensurate k-points of the record's supercell."""
    from pgnn.hamiltonians.supercell import commensurate_kpoints

    k = commensurate_kpoints(np.array(record["supercell"]))
    e_ref = ref_blocks.eigenvalues(k)
    e_pred = pred_blocks.eigenvalues(k)
    homo = float(record["homo_eV"])
    sel = e_ref <= homo + BAND_WINDOW_EV
    d = (e_pred - e_ref)[sel]
    shift = float(np.median(d))
    n_occ = int(round(float(record["n_electrons"]) / 2 / max(len(k), 1)))
    gap = lambda e: float(e[:, n_occ].min() - e[:, n_occ - 1].max()) if 0 < n_occ < e.shape[1] else float("nan")
    return {"band_mae_meV": 1000 * float(np.abs(d).mean()), "band_mae_shifted_meV": 1000 * float(np.abs(d - shift).mean()),
            "shift_meV": 1000 * shift, "gap_pred_eV": gap(e_pred), "gap_ref_eV": gap(e_ref), "n_levels": int(sel.sum())}


def score_split(model, ids, samples, loaders, records_by_id, batch_size: int = 16, bands: bool = True) -> dict:
    """metrics.json-style scores of a model on samples (see module docstring), plus per-crystal rows."""
    from pgnn.hamiltonians.pairs import blocks_from_slots
    from pgnn.models.hamiltonian_common import collate

    cfg = model.config
    preds = predict_samples(model, samples, batch_size)
    sums = {k: [0.0, 0] for k in ("onsite", "hopping", "onsite_abs", "hopping_abs")}
    rows = []
    for cid, s, H in zip(ids, samples, preds):
        e = block_errors(torch.as_tensor(H), collate([s]))
        for key, (a, n) in e.items():
            sums[key][0] += a
            sums[key][1] += n
        row = {"id": cid, "formula": records_by_id[cid].get("formula"),
               "onsite_mae_meV": 1000 * e["onsite"][0] / max(e["onsite"][1], 1),
               "hopping_mae_meV": 1000 * e["hopping"][0] / max(e["hopping"][1], 1)}
        if bands:
            ref = loaders[cid]()
            pb = blocks_from_slots(s, H, ref.bases, cfg["slots"], ref.cell, ref.positions, S_blocks=ref)
            # the floor set by the cutoff: the reference's own blocks on the model's pairs, zero beyond
            fl = blocks_from_slots(s, s["target"], ref.bases, cfg["slots"], ref.cell, ref.positions, S_blocks=ref)
            try:
                row.update(band_scores(pb, ref, records_by_id[cid]))
                floor = band_scores(fl, ref, records_by_id[cid])
                row["floor_band_mae_shifted_meV"] = floor["band_mae_shifted_meV"]
            except Exception as exc:  # noqa: BLE001 - a singular S(k) at some k: report, do not stop scoring
                row["band_error"] = str(exc)[:200]
        rows.append(row)
    metrics = {f"hamiltonian_{k}": {"mae": 1000 * a / max(n, 1), "unit": "meV",
                                    "note": "absolute" if k.endswith("_abs") else "after each crystal's best c*S"}
               for k, (a, n) in sums.items()}
    if bands:
        ok = [r for r in rows if "band_mae_meV" in r]
        if ok:
            metrics["band_energy"] = {"mae": float(np.mean([r["band_mae_meV"] for r in ok])),
                                      "median": float(np.median([r["band_mae_meV"] for r in ok])), "unit": "meV",
                                      "n": len(ok)}
            metrics["band_energy_shifted"] = {"mae": float(np.mean([r["band_mae_shifted_meV"] for r in ok])),
                                              "median": float(np.median([r["band_mae_shifted_meV"] for r in ok])),
                                              "unit": "meV", "n": len(ok)}
            metrics["band_energy_shifted_cutoff_floor"] = {
                "mae": float(np.mean([r["floor_band_mae_shifted_meV"] for r in ok])),
                "median": float(np.median([r["floor_band_mae_shifted_meV"] for r in ok])), "unit": "meV",
                "n": len(ok), "note": "the reference's own blocks on the model's pairs (zero beyond its cutoff)"}
            g = [abs(r["gap_pred_eV"] - r["gap_ref_eV"]) for r in ok if math.isfinite(r["gap_pred_eV"])
                 and math.isfinite(r["gap_ref_eV"])]
            if g:
                metrics["band_gap"] = {"mae": float(np.mean(g)), "median": float(np.median(g)), "unit": "eV",
                                       "n": len(g)}
    return {"n": len(ids), "skipped": 0, "metrics": metrics, "crystals": rows}


def make_samples(model, ids, loaders, progress: bool = False) -> tuple[list, list, list]:
    """(ids, samples, skipped [(id, reason)]) of dataset crystals for `model`."""
    from pgnn.errors import PgnnError as _E

    out_ids, out, skipped = [], [], []
    for cid in ids:
        b = loaders[cid]()
        try:
            out.append(model.prepare(b.cell, b.positions, b.numbers, b.bases, blocks=b, source=cid))
            out_ids.append(cid)
        except _E as exc:
            skipped.append((cid, str(exc)))
    return out_ids, out, skipped


def fit_hamiltonian(module, config: dict, out=None, resume=None, name: str = "run", overwrite: bool = False) -> Path:
    """Train the Hamiltonian model of `module` (a PgnnModule) and write the run folder (see module docstring)."""
    from pgnn.models.hamiltonian_common import collate
    from pgnn.training.fit import _prepare_run_dir, _swap_in, check_out

    if resume is not None:
        raise ConfigError("--resume: not supported for Hamiltonian models yet; start a new run")
    model = module.model
    t0 = time.perf_counter()
    records, loaders = open_dataset(config["data"]["dataset"])
    by_id = {r["id"]: r for r in records}
    parts = hamiltonian_split(records, config)
    check_out(out, None, overwrite)
    samples, skipped = {}, []
    for part, ids in parts.items():
        i2, s2, sk = make_samples(model, ids, loaders)
        parts[part], samples[part] = i2, s2
        skipped += sk
    prep_s = time.perf_counter() - t0
    print(f"data: {sum(len(v) for v in parts.values())} crystals ({len(parts['train'])} train, {len(parts['val'])} "
          f"val, {len(parts['test'])} test), {len(skipped)} skipped; prepared in {prep_s:.1f} s")
    if not parts["train"] or not parts["val"]:
        raise PgnnError(f"{config['data']['dataset']}: too few crystals for a train and a validation split")
    from pgnn.models.hamiltonian_common import fit_levels

    fit_levels(model.level, samples["train"], model.config["slots"])
    work, final = _prepare_run_dir(config, out, None, name, True)
    try:
        _train(module, config, samples, work)
        _finish(module, config, work, parts, samples, loaders, by_id, skipped, prep_s)
    except BaseException:
        if work != final:
            import shutil

            shutil.rmtree(work, ignore_errors=True)
        raise
    _swap_in(work, final)
    print(f"run folder: {final}")
    return final


def _train(module, config, samples, work: Path) -> None:
    from pgnn.models.hamiltonian_common import collate

    model = module.model
    tr = config["training"]
    epochs = int(config["trainer"]["max_epochs"])
    bs = int(config["data"]["batch_size"])
    o = config["optim"]
    opt = torch.optim.AdamW(model.parameters(), lr=float(o["lr"]), weight_decay=float(o["weight_decay"]))
    sched = (torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(epochs, 1),
                                                        eta_min=float(o["lr"]) * float(o["min_lr_ratio"]))
             if o["scheduler"] == "cosine" else None)
    loss_name = tr["loss"] if isinstance(tr["loss"], str) else tr["loss"].get("hamiltonian", "mse")
    zw = torch.as_tensor(element_weight_array(tr.get("element_weights"))) if tr.get("element_weights") else None
    rng = np.random.default_rng(int(config.get("seed", 0)))
    train, val = samples["train"], samples["val"]
    val_batches = [collate(val[k:k + bs]) for k in range(0, len(val), bs)]
    (work / "checkpoints").mkdir(parents=True, exist_ok=True)
    best, patience = float("inf"), tr.get("early_stopping_patience")
    since = 0
    rows = []
    progress = bool(config["trainer"].get("enable_progress_bar", True))
    for epoch in range(epochs):
        t = time.perf_counter()
        model.train()
        order = rng.permutation(len(train))
        tot, nb = 0.0, 0
        for k in range(0, len(order), bs):
            batch = collate([train[i] for i in order[k:k + bs]])
            loss = batch_loss(model(batch), batch, loss_name, zw)
            opt.zero_grad()
            loss.backward()
            opt.step()
            tot += float(loss.detach())
            nb += 1
        if sched is not None:
            sched.step()
        model.eval()
        sums = {k: [0.0, 0] for k in ("onsite", "hopping", "onsite_abs", "hopping_abs")}
        with torch.no_grad():
            for batch in val_batches:
                for key, (a, n) in block_errors(model(batch), batch).items():
                    sums[key][0] += a
                    sums[key][1] += n
        v_on = 1000 * sums["onsite"][0] / max(sums["onsite"][1], 1)
        v_hop = 1000 * sums["hopping"][0] / max(sums["hopping"][1], 1)
        v_all = 1000 * (sums["onsite"][0] + sums["hopping"][0]) / max(sums["onsite"][1] + sums["hopping"][1], 1)
        dt = time.perf_counter() - t
        rows.append({"epoch": epoch, "train_loss": tot / max(nb, 1), "val_mae_onsite_meV": v_on,
                     "val_mae_hopping_meV": v_hop, "val_score": v_all, "lr": opt.param_groups[0]["lr"],
                     "epoch_time_s": dt})
        state = {"state_dict": {k: v.detach().cpu() for k, v in module.state_dict().items()}, "epoch": epoch}
        with atomic_open(work / "checkpoints" / "last.ckpt", "wb") as fh:
            torch.save(state, fh)
        if v_all < best:
            best, since = v_all, 0
            with atomic_open(work / "checkpoints" / "best.ckpt", "wb") as fh:
                torch.save(state, fh)
        else:
            since += 1
        if progress:
            print(f"epoch {epoch}: train loss {tot / max(nb, 1):.4g}, val MAE on-site {v_on:.1f} meV, hopping "
                  f"{v_hop:.1f} meV, {dt:.1f} s", flush=True)
        keys = list(rows[0])
        atomic_write_text(work / "metrics.csv", ",".join(keys) + "\n" + "".join(
            ",".join(str(r[k]) for k in keys) + "\n" for r in rows))
        if patience and since >= int(patience):
            break


def _finish(module, config, work: Path, parts, samples, loaders, by_id, skipped, prep_s: float) -> None:
    from pgnn.safe_load import safe_torch_load

    state = safe_torch_load(work / "checkpoints" / "best.ckpt", str(work / "checkpoints" / "best.ckpt"))
    module.load_state_dict(state["state_dict"])
    module.eval()
    t = time.perf_counter()
    result = score_split(module.model, parts["test"], samples["test"], loaders, by_id)
    infer_s = time.perf_counter() - t
    import csv

    times = [float(r["epoch_time_s"]) for r in csv.DictReader(open(work / "metrics.csv"))]
    crystals = result.pop("crystals")
    result.update({
        "split": "test", "train_n": len(parts["train"]), "val_n": len(parts["val"]),
        "test_ids": parts["test"], "skipped_reasons": [list(s) for s in skipped], "skipped": len(skipped),
        "epochs": len(times), "best_val_score": float(min(float(r["val_score"]) for r in csv.DictReader(open(work / "metrics.csv")))),
        "prepare_seconds": round(prep_s, 2), "train_seconds": round(sum(times), 2),
        "epoch_seconds_median": round(statistics.median(times), 3) if times else None,
        "score_seconds_per_crystal": round(infer_s / max(len(parts["test"]), 1), 4),
        "n_parameters": int(sum(p.numel() for p in module.model.parameters())),
    })
    atomic_write_text(work / "metrics.json", json.dumps(result, indent=2))
    atomic_write_text(work / "test_crystals.json", json.dumps(crystals, indent=1))
    print(f"test split: n={result['n']}; {result['epochs']} epochs, median epoch {result['epoch_seconds_median']} s")
    for key, m in result["metrics"].items():
        med = f" (median over crystals {m['median']:.4g})" if "median" in m else ""
        print(f"test MAE {key}: {m['mae']:.4g} {m['unit']}{med}")


def evaluate_hamiltonian(module, config: dict, data: str, split: str = "all", point_groups=None) -> dict:
    """metrics.json-style scores of a Hamiltonian model on a Hamiltonian dataset (name or folder), on one part
    of the run's split by id ("all" | "train" | "val" | "test")."""
    records, loaders = open_dataset(data)
    cfg = {**config, "data": {**config["data"], "point_groups": point_groups, "limit": None, "train_fraction": 1.0}}
    parts = hamiltonian_split(records, cfg)
    ids = parts["train"] + parts["val"] + parts["test"] if split == "all" else parts[split]
    order = {r["id"]: k for k, r in enumerate(records)}
    ids = sorted(ids, key=order.get)
    ids, samples, skipped = make_samples(module.model, ids, loaders)
    if not ids:
        raise PgnnError(f"{data}: no crystals to evaluate (split {split}; {len(skipped)} skipped)")
    result = score_split(module.model, ids, samples, loaders, {r["id"]: r for r in records})
    result["skipped"] = len(skipped)
    result["skipped_reasons"] = [list(s) for s in skipped]
    result["split"] = split
    return result
