"""`fit(config)`: featurize, train with Lightning, score the best checkpoint on the test split, write the run folder.

Run folder: config.yaml (resolved), checkpoints/{best,last}.ckpt, metrics.csv (per epoch), metrics.json (test
MAE with units), parity_<target>.png, learning_curve.png, test_predictions.npz and report.html
(`pgnn.training.report`). Under DDP every process runs this function (Lightning
starts the others with the same command line); only rank 0 writes the folder's files.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import lightning as L
import torch
import yaml
from lightning.pytorch.callbacks import Callback, ModelCheckpoint
from lightning.pytorch.loggers import CSVLogger

from pgnn.atomic import atomic_open, atomic_write_text

from pgnn.data.dataset import load_dataset, partition
from pgnn.data.featurize import default_cache_dir
from pgnn.data.splits import SplitSpec
from pgnn.training.callbacks import build_callbacks
from pgnn.errors import ConfigError, PgnnError
from pgnn.safe_load import safe_torch_load
from pgnn.training.datamodule import GraphDataModule
from pgnn.training.evaluation import score
from pgnn.training.module import PgnnModule
from pgnn.training.plots import learning_curve, parity_plot
from pgnn.training.runs import load_state

RUN_DIR_ENV = "PGNN_RUN_DIR"  # hands rank 0's run folder to the DDP processes Lightning starts
RUN_MARKERS = ("config.yaml", "checkpoints", "metrics.json", "metrics.csv")


def _holds_run(folder: Path) -> bool:
    return folder.is_dir() and any((folder / m).exists() for m in RUN_MARKERS)


def check_inputs(config: dict, resume: str | Path | None) -> None:
    """What every rank checks before a run folder is touched or a graph is built: the dataset exists and is
    readable, `--resume` has a checkpoint."""
    from pgnn.data.registry import resolve_dataset

    path = resolve_dataset(config["data"]["dataset"])
    if not os.access(path, os.R_OK | (os.X_OK if path.is_dir() else 0)):
        raise ConfigError(f"data.dataset {path}: not readable")
    if resume is not None:
        ckpt = Path(resume) / "checkpoints" / "last.ckpt"
        if not ckpt.is_file():
            raise ConfigError(f"{resume}: no checkpoints/last.ckpt to resume from (was the run started? start it "
                              f"with --out {resume} --overwrite)")
        safe_torch_load(ckpt, str(ckpt))  # UnsafeFileError before Lightning opens it (also weights_only=True)


def check_out(out: str | Path | None, resume: str | Path | None, overwrite: bool) -> None:
    """Rank 0, before it creates anything: `--out` is a folder that can be written and does not hold a run (or
    other files) unless `overwrite`."""
    if out is None or resume is not None:
        return
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out}: is a file, not a folder")
    if not out.exists():
        parent = out.parent if str(out.parent) else Path(".")
        existing = next((p for p in [parent, *parent.parents] if p.exists()), Path("."))
        if not os.access(existing, os.W_OK | os.X_OK):
            raise ConfigError(f"--out {out}: {existing} is not writable")
    elif not overwrite and any(out.iterdir()):
        what = "holds a run" if _holds_run(out) else "is not empty"
        raise ConfigError(f"--out {out}: {what}; pass --overwrite to replace it (it is kept until the new run "
                          f"has finished) or --resume {out} to continue it")
    elif not os.access(out.parent if str(out.parent) else Path("."), os.W_OK | os.X_OK):
        raise ConfigError(f"--out {out}: its folder {out.parent} is not writable")


def _prepare_run_dir(config: dict, out: str | Path | None, resume: str | Path | None, name: str,
                     rank0: bool) -> tuple[Path, Path]:
    """(folder the run is written in, folder it ends up in), chosen by rank 0 only.

    A new run goes straight into its folder when that is new or empty. Replacing a finished run (`--overwrite`)
    builds the new one in a sibling temporary folder, swapped in by `_swap_in` at the end: a run that fails or is
    killed midway leaves the old run intact. Other ranks get rank 0's folder from PGNN_RUN_DIR when Lightning
    started them, else from `RunDirBroadcast` once the process group is up; they create nothing."""
    if not rank0:
        given = os.environ.get(RUN_DIR_ENV)
        work = Path(given) if given else Path("runs") / f"{name}-rank-pending"
        return work, work
    if resume is not None:
        work = final = Path(resume)
    elif out is not None:
        final = Path(out)
        if _holds_run(final) or (final.is_dir() and any(final.iterdir())):
            final.parent.mkdir(parents=True, exist_ok=True)
            work = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".{final.name}.new-"))
        else:
            work = final
    else:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
        work = final = Path("runs") / f"{name}-{stamp}"
        k = 1
        while work.exists():
            k += 1
            work = final = Path("runs") / f"{name}-{stamp}-{k}"
    work.mkdir(parents=True, exist_ok=True)
    if resume is None:
        atomic_write_text(work / "config.yaml", yaml.safe_dump(config, sort_keys=False))
    os.environ[RUN_DIR_ENV] = str(work.resolve())
    return work, final


class RunDirBroadcast(Callback):
    """Rank 0's run folder, handed to every rank when the process group is up (launchers such as SLURM's srun
    start each process on its own, so only a broadcast can tell them the folder rank 0 chose)."""

    def __init__(self, work: Path, final: Path):
        self.work, self.final = work, final

    def setup(self, trainer, pl_module, stage: str) -> None:
        work, final = trainer.strategy.broadcast((str(self.work), str(self.final)), src=0)
        self.work, self.final = Path(work), Path(final)


def _swap_in(work: Path, final: Path) -> None:
    """Replace `final` (a finished run) by the finished run in `work`; the old run is removed only after."""
    if work.resolve() == final.resolve():
        return
    _relocate_checkpoints(work, final)
    old = None
    if final.exists():
        old = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".{final.name}.old-"))
        os.rmdir(old)
        os.rename(final, old)
    os.rename(work, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _relocate_checkpoints(work: Path, final: Path) -> None:
    """Rewrite the checkpoint paths that Lightning keeps in the checkpoints' callback states (dirpath, best model
    path) from `work` to `final`, so that `--resume final` keeps the best score and best.ckpt."""
    old, new = str(work.resolve()), str(final.resolve())

    def swap(value):
        if isinstance(value, str) and value.startswith(old):
            return new + value[len(old):]
        if isinstance(value, dict):
            return {swap(k): swap(v) for k, v in value.items()}
        if isinstance(value, list):
            return [swap(v) for v in value]
        return value

    for ckpt in sorted((work / "checkpoints").glob("*.ckpt")):
        state = torch.load(ckpt, map_location="cpu", weights_only=True)  # our own file, plain data
        if "callbacks" in state:
            state["callbacks"] = swap(state["callbacks"])
            with atomic_open(ckpt, "wb") as fh:
                torch.save(state, fh)


def _threads(config: dict) -> int:
    """torch threads per process: `training.threads`, else 1 (small graph batches gain little from more
    threads, and oversubscribed cores, e.g. under DDP or beside other jobs, slow them down many times)."""
    return max(1, int(config["training"].get("threads") or 1))


def _quiet_library_noise() -> None:
    """Hide two Lightning warnings a pgnn run cannot act on: torch's LeafSpec deprecation inside Lightning's own
    code, and the CSV logger's "directory exists and is not empty" (pgnn writes config.yaml there first); and its
    advertisement for a cloud logger."""
    import logging
    import warnings

    lightning_log = logging.getLogger("lightning.pytorch.utilities.rank_zero")
    if not any(getattr(f, "pgnn", False) for f in lightning_log.filters):
        ad = logging.Filter()
        ad.filter = lambda record: "litlogger" not in str(record.getMessage())
        ad.pgnn = True
        lightning_log.addFilter(ad)

    warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\)")
    warnings.filterwarnings("ignore", message=r"Experiment logs directory .* exists and is not empty")
    warnings.filterwarnings("ignore", message=r"Checkpoint directory .* exists and is not empty")


def fit(config: dict, out: str | Path | None = None, resume: str | Path | None = None, name: str = "run",
        overwrite: bool = False) -> Path:
    """Train `config` and return the run folder. `resume`: a run folder to continue from its last.ckpt.

    Order: the model config and the data path are checked, and the Trainer is built, before any folder is
    touched; `out` holding a run is refused unless `overwrite` (the old run is replaced only when the new one has
    finished). Rank 0 (Lightning's `trainer.global_rank`) alone chooses and writes the run folder."""
    _quiet_library_noise()
    torch.set_num_threads(_threads(config))
    L.seed_everything(int(config.get("seed", 0)), workers=True, verbose=False)
    module = PgnnModule(config)
    config = module.config
    if getattr(type(module.model), "task", None) == "hamiltonian":
        from pgnn.training.hamiltonian_fit import fit_hamiltonian

        return fit_hamiltonian(module, config, out, resume, name, overwrite)
    check_inputs(config, resume)
    trainer_cfg = dict(config["trainer"])
    progress = bool(trainer_cfg.pop("enable_progress_bar", True))
    if trainer_cfg.get("accelerator") != "cpu" and trainer_cfg.get("devices", 1) not in (1, "1"):
        trainer_cfg.setdefault("sync_batchnorm", True)  # torch's SyncBatchNorm runs on GPUs only
    pending = Path("runs") / f"{name}-rank-pending"  # replaced below, before anything is written
    callbacks = build_callbacks(pending, config["training"].get("early_stopping_patience"), progress)
    trainer = L.Trainer(
        **trainer_cfg,
        logger=False,
        callbacks=callbacks,
        enable_progress_bar=progress,
        use_distributed_sampler=False,
    )
    rank0 = trainer.global_rank == 0
    if rank0:
        check_out(out, resume, overwrite)
    fresh = out is not None and resume is None and not Path(out).exists()
    work, final = _prepare_run_dir(config, out, resume, name, rank0)
    _point_trainer_at(trainer, work, final)
    try:
        run_dir = _fit_in(trainer, module, config, work, resume, rank0, progress)
    except BaseException:
        if rank0 and work != final:
            shutil.rmtree(work, ignore_errors=True)  # the old run in `final` is untouched
        elif rank0 and fresh and not (work / "checkpoints").exists():
            shutil.rmtree(work, ignore_errors=True)  # nothing trained yet: leave no half-made folder behind
        raise
    return run_dir


def _point_trainer_at(trainer, work: Path, final: Path) -> None:
    """Checkpoints and the CSV log of `trainer` go to `work`; a RunDirBroadcast callback hands rank 0's folders to
    the other ranks when the process group starts."""
    for cb in trainer.callbacks:
        if isinstance(cb, ModelCheckpoint):
            cb.dirpath = os.path.realpath(work / "checkpoints")
    trainer.logger = CSVLogger(save_dir=str(work), name="", version="")
    trainer.callbacks.insert(0, RunDirBroadcast(work, final))


def _fit_in(trainer, module: PgnnModule, config: dict, work: Path, resume, rank0: bool, progress: bool) -> Path:
    model_cls = type(module.model)
    data_cfg = config["data"]
    t0 = time.perf_counter()
    graphs = load_dataset(
        data_cfg["dataset"],
        module.targets,
        model_cls.graph_kind,
        model_cls.graph_options(config["model"]),
        cache_dir=data_cfg.get("cache_dir") or default_cache_dir(),
        workers=data_cfg.get("workers"),
        progress=rank0 and progress,
        limit=data_cfg.get("limit"),
        point_groups=data_cfg.get("point_groups"),
        spec=SplitSpec.from_config(data_cfg),
    )
    featurize_s = time.perf_counter() - t0
    parts = partition(graphs, train_fraction=float(data_cfg.get("train_fraction") or 1.0),
                      spec=SplitSpec.from_config(data_cfg))
    if rank0:
        print(f"data: {len(graphs.graphs)} graphs ({len(parts['train'].graphs)} train, {len(parts['val'].graphs)} val, "
              f"{len(parts['test'].graphs)} test), {len(graphs.skipped)} skipped; featurized in {featurize_s:.1f} s")
    if not parts["train"].graphs or not parts["val"].graphs:
        raise PgnnError(f"{data_cfg['dataset']}: too few usable entries for a train and a validation split "
                        f"({len(parts['train'].graphs)} train, {len(parts['val'].graphs)} val, "
                        f"{len(graphs.skipped)} skipped)")
    module = _keep_training_site_classes(module, parts["train"].graphs, work, rank0 and resume is None)
    module.normalizer.fit({t.name: torch.cat([getattr(g, f"y_{t.name}") for g in parts["train"].graphs])
                           for t in module.targets})
    datamodule = GraphDataModule(parts["train"].graphs, parts["val"].graphs, data_cfg["batch_size"],
                                 seed=int(config.get("seed", 0)))
    ckpt = work / "checkpoints" / "last.ckpt" if resume is not None else None
    t1 = time.perf_counter()
    # weights_only=True: resuming an untrusted run folder runs no code from its checkpoint
    trainer.fit(module, datamodule=datamodule, ckpt_path=str(ckpt) if ckpt else None, weights_only=True)
    train_s = time.perf_counter() - t1
    sync = next(cb for cb in trainer.callbacks if isinstance(cb, RunDirBroadcast))
    if trainer.is_global_zero:
        _finish(sync.work, module, parts["test"], trainer, featurize_s, train_s, len(parts["train"].graphs))
        _swap_in(sync.work, sync.final)
        print(f"report: {sync.final / 'report.html'}")
        print(f"run folder: {sync.final}")
    return sync.final


def _keep_training_site_classes(module: PgnnModule, train_graphs: list, work: Path, write: bool) -> PgnnModule:
    """A site-class model (`model.site_classes`, no `model.site_class_set` yet) gets weights only for the site
    classes of its training crystals, most frequent first: the module is rebuilt with that set, which config.yaml
    records (so the run folder loads with the same weight shapes)."""
    model_cfg = module.config["model"]
    if not model_cfg.get("site_classes") or model_cfg.get("site_class_set", 0) is not None:
        return module
    from pgnn.nn.site_class_map import classes_by_frequency

    classes = classes_by_frequency(g.site_class for g in train_graphs if getattr(g, "site_class", None) is not None)
    if not classes:
        return module
    config = {**module.config, "model": {**model_cfg, "site_class_set": classes}}
    rebuilt = PgnnModule(config)
    if write:
        atomic_write_text(work / "config.yaml", yaml.safe_dump(rebuilt.config, sort_keys=False))
    return rebuilt


def _finish(run_dir: Path, module: PgnnModule, test, trainer, featurize_s: float, train_s: float,
            train_n: int) -> None:
    """Score the best checkpoint on the test split; write metrics.json, parity plots and the learning curve."""
    module.load_state_dict(load_state(run_dir))
    module.cpu().eval()
    result, pred, true = score(module, test)
    epoch_times = [float(m) for m in _column(run_dir / "metrics.csv", "epoch_time_s")]
    best_epoch, epochs_run = _best_epoch(run_dir / "metrics.csv")
    result.update({
        "split": "test",
        "train_n": train_n,
        "skipped_reasons": [list(s) for s in test.skipped],
        "epochs": int(trainer.current_epoch),
        "epochs_run": epochs_run,
        "max_epochs": trainer.max_epochs,
        "best_epoch": best_epoch,  # 1-based epoch of the lowest val_score: the checkpoint scored on the test split
        "early_stopped": bool(epochs_run is not None and trainer.max_epochs and epochs_run < trainer.max_epochs),
        "best_val_score": float(trainer.checkpoint_callback.best_model_score or float("nan")),
        "featurize_seconds": round(featurize_s, 2),
        "train_seconds": round(train_s, 2),
        "epoch_seconds_median": round(statistics.median(epoch_times), 3) if epoch_times else None,
    })
    atomic_write_text(run_dir / "metrics.json", json.dumps(result, indent=2))
    for t in module.targets:
        if result["n"]:
            parity_plot(true[t.name], pred[t.name], t.name, t.unit, result["metrics"][t.name]["mae"],
                        run_dir / f"parity_{t.name}.png")
    if (run_dir / "metrics.csv").is_file():
        learning_curve(run_dir / "metrics.csv", run_dir / "learning_curve.png")
    from pgnn.training.report import PREDICTIONS_FILE, save_test_predictions, write_report

    save_test_predictions(run_dir / PREDICTIONS_FILE, module.targets, test.graphs, test.ids, pred, true)
    write_report(run_dir)
    print(f"test split: n={result['n']}, skipped={result['skipped']}; {result['epochs']} epochs "
          f"(best {result['best_epoch']}{', early stop' if result['early_stopped'] else ''}), "
          f"median epoch {result['epoch_seconds_median']} s, featurization {featurize_s:.1f} s")
    for name, m in result["metrics"].items():
        print(f"test MAE {name}: {'n/a' if m['mae'] is None else format(m['mae'], '.4f')} {m['unit']}")


def _best_epoch(csv_path: Path) -> tuple[int | None, int | None]:
    """(1-based epoch of the lowest val_score, epochs logged) from the per-epoch CSV log (the first of equal
    scores, as ModelCheckpoint keeps it); (None, None) without a log."""
    import csv

    if not csv_path.is_file():
        return None, None
    scores: dict[int, float] = {}
    for r in csv.DictReader(open(csv_path)):
        if r.get("val_score") not in (None, "") and r.get("epoch") not in (None, ""):
            scores.setdefault(int(float(r["epoch"])), float(r["val_score"]))
    if not scores:
        return None, None
    best = min(sorted(scores), key=lambda e: (scores[e], e))
    return best + 1, max(scores) + 1


def _column(csv_path: Path, key: str) -> list[str]:
    import csv

    if not csv_path.is_file():
        return []
    return [r[key] for r in csv.DictReader(open(csv_path)) if r.get(key)]
