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
import time
from datetime import datetime, timezone
from pathlib import Path

import lightning as L
import torch
from lightning.pytorch.loggers import CSVLogger

from pgnn.data.dataset import load_dataset, partition
from pgnn.data.featurize import default_cache_dir
from pgnn.training.callbacks import build_callbacks
from pgnn.training.config import save_config
from pgnn.training.datamodule import GraphDataModule
from pgnn.training.evaluation import score
from pgnn.training.module import PgnnModule
from pgnn.training.plots import learning_curve, parity_plot
from pgnn.training.runs import load_state

RUN_DIR_ENV = "PGNN_RUN_DIR"  # hands rank 0's run folder to the DDP processes Lightning starts


def _is_rank_zero() -> bool:
    return os.environ.get("LOCAL_RANK", "0") == "0" and os.environ.get("NODE_RANK", "0") == "0"


def _prepare_run_dir(config: dict, out: str | Path | None, resume: str | Path | None, name: str) -> Path:
    if not _is_rank_zero():
        return Path(os.environ[RUN_DIR_ENV])
    if resume is not None:
        run_dir = Path(resume)
    elif out is not None:
        run_dir = Path(out)
        for stale in ("checkpoints", "metrics.csv", "metrics.json", "hparams.yaml"):
            target = run_dir / stale
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
    else:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
        run_dir = Path("runs") / f"{name}-{stamp}"
    run_dir.mkdir(parents=True, exist_ok=True)
    save_config(config, run_dir / "config.yaml")
    os.environ[RUN_DIR_ENV] = str(run_dir.resolve())
    return run_dir


def _threads(config: dict) -> int:
    """torch threads per process: `training.threads`, else 1 (small graph batches gain little from more
    threads, and oversubscribed cores, e.g. under DDP or beside other jobs, slow them down many times)."""
    return max(1, int(config["training"].get("threads") or 1))


def fit(config: dict, out: str | Path | None = None, resume: str | Path | None = None, name: str = "run") -> Path:
    """Train `config` and return the run folder. `resume`: a run folder to continue from its last.ckpt."""
    torch.set_num_threads(_threads(config))
    rank0 = _is_rank_zero()
    L.seed_everything(int(config.get("seed", 0)), workers=True, verbose=False)
    module = PgnnModule(config)
    config = module.config
    run_dir = _prepare_run_dir(config, out, resume, name)
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
        progress=rank0 and config["trainer"].get("enable_progress_bar", True),
        limit=data_cfg.get("limit"),
        point_groups=data_cfg.get("point_groups"),
    )
    featurize_s = time.perf_counter() - t0
    fractions, split_seed = data_cfg["split"]["fractions"], int(data_cfg["split"].get("seed", 0))
    parts = partition(graphs, fractions, split_seed, float(data_cfg.get("train_fraction") or 1.0))
    if rank0:
        print(f"data: {len(graphs.graphs)} graphs ({len(parts['train'].graphs)} train, {len(parts['val'].graphs)} val, "
              f"{len(parts['test'].graphs)} test), {len(graphs.skipped)} skipped; featurized in {featurize_s:.1f} s")
    if not parts["train"].graphs or not parts["val"].graphs:
        from pgnn.errors import PgnnError

        raise PgnnError(f"{data_cfg['dataset']}: too few usable entries for a train and a validation split")
    module.normalizer.fit({t.name: torch.cat([getattr(g, f"y_{t.name}") for g in parts["train"].graphs])
                           for t in module.targets})
    datamodule = GraphDataModule(parts["train"].graphs, parts["val"].graphs, data_cfg["batch_size"],
                                 seed=int(config.get("seed", 0)))
    trainer_cfg = dict(config["trainer"])
    progress = bool(trainer_cfg.pop("enable_progress_bar", True))
    if trainer_cfg.get("accelerator") != "cpu" and trainer_cfg.get("devices", 1) not in (1, "1"):
        trainer_cfg.setdefault("sync_batchnorm", True)  # torch's SyncBatchNorm runs on GPUs only
    trainer = L.Trainer(
        **trainer_cfg,
        default_root_dir=str(run_dir),
        logger=CSVLogger(save_dir=str(run_dir), name="", version=""),
        callbacks=build_callbacks(run_dir, config["training"].get("early_stopping_patience"), progress),
        enable_progress_bar=progress,
        use_distributed_sampler=False,
    )
    ckpt = run_dir / "checkpoints" / "last.ckpt" if resume is not None else None
    t1 = time.perf_counter()
    trainer.fit(module, datamodule=datamodule, ckpt_path=str(ckpt) if ckpt else None)
    train_s = time.perf_counter() - t1
    if trainer.is_global_zero:
        _finish(run_dir, module, parts["test"], trainer, featurize_s, train_s, len(parts["train"].graphs))
    return run_dir


def _finish(run_dir: Path, module: PgnnModule, test, trainer, featurize_s: float, train_s: float,
            train_n: int) -> None:
    """Score the best checkpoint on the test split; write metrics.json, parity plots and the learning curve."""
    module.load_state_dict(load_state(run_dir))
    module.cpu().eval()
    result, pred, true = score(module, test)
    epoch_times = [float(m) for m in _column(run_dir / "metrics.csv", "epoch_time_s")]
    result.update({
        "split": "test",
        "train_n": train_n,
        "skipped_reasons": [list(s) for s in test.skipped],
        "epochs": int(trainer.current_epoch),
        "best_val_score": float(trainer.checkpoint_callback.best_model_score or float("nan")),
        "featurize_seconds": round(featurize_s, 2),
        "train_seconds": round(train_s, 2),
        "epoch_seconds_median": round(statistics.median(epoch_times), 3) if epoch_times else None,
    })
    (run_dir / "metrics.json").write_text(json.dumps(result, indent=2))
    for t in module.targets:
        if result["n"]:
            parity_plot(true[t.name], pred[t.name], t.name, t.unit, result["metrics"][t.name]["mae"],
                        run_dir / f"parity_{t.name}.png")
    if (run_dir / "metrics.csv").is_file():
        learning_curve(run_dir / "metrics.csv", run_dir / "learning_curve.png")
    from pgnn.training.report import PREDICTIONS_FILE, save_test_predictions, write_report

    save_test_predictions(run_dir / PREDICTIONS_FILE, module.targets, test.graphs, test.ids, pred, true)
    print(f"report: {write_report(run_dir)}")
    print(f"run folder: {run_dir}")
    print(f"test split: n={result['n']}, skipped={result['skipped']}; {result['epochs']} epochs, "
          f"median epoch {result['epoch_seconds_median']} s, featurization {featurize_s:.1f} s")
    for name, m in result["metrics"].items():
        print(f"test MAE {name}: {'n/a' if m['mae'] is None else format(m['mae'], '.4f')} {m['unit']}")


def _column(csv_path: Path, key: str) -> list[str]:
    import csv

    if not csv_path.is_file():
        return []
    return [r[key] for r in csv.DictReader(open(csv_path)) if r.get(key)]
