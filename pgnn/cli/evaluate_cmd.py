"""`pgnn evaluate RUN_DIR_OR_MODEL --data FILE_OR_DATASET_NAME [--split test|all] --json`."""

from __future__ import annotations

import json
import sys

import typer


def evaluate_command(
    run: str = typer.Argument(..., help="Run folder or pretrained model name (see `pgnn models`)."),
    data: str = typer.Option(..., "--data", "-d", help="Records file, bundled dataset name, folder or extxyz."),
    split: str = typer.Option("all", "--split", help="all | train | val | test (the split by id used in training)."),
    as_json: bool = typer.Option(False, "--json", help='Print {"n", "skipped", "metrics"} as JSON.'),
    batch_size: int = typer.Option(128, "--batch-size"),
) -> None:
    """MAE of a trained model on a dataset; targets derived from the records exactly as in training.

    Entries that cannot be used (a bad structure, a missing or non-positive modulus, ...) are counted in
    `skipped`; their reasons go to stderr."""
    from pgnn.data.dataset import load_dataset
    from pgnn.errors import ConfigError
    from pgnn.training.evaluation import score
    from pgnn.training.fit import default_cache_dir
    from pgnn.training.runs import load_module, resolve_run

    resolve_run(run)  # fail fast on a wrong name, before loading data
    if split not in ("all", "train", "val", "test"):
        raise ConfigError(f"--split {split!r}: expected all, train, val or test")
    module, config, _ = load_module(run)
    model_cls = type(module.model)
    split_cfg = config["data"]["split"]
    graphs = load_dataset(
        data, module.targets, model_cls.graph_kind, model_cls.graph_options(config["model"]), split=split,
        fractions=split_cfg["fractions"], seed=int(split_cfg.get("seed", 0)), cache_dir=default_cache_dir(),
        progress=not as_json,
    )
    result, _, _ = score(module, graphs, batch_size)
    for src, why in graphs.skipped:
        typer.echo(f"skipped {src}: {why}", err=True)
    if as_json:
        sys.stdout.write(json.dumps(result) + "\n")
        return
    typer.echo(f"{data} ({split}): n={result['n']}, skipped={result['skipped']}")
    for name, m in result["metrics"].items():
        typer.echo(f"  MAE {name}: {m['mae']:.4f} {m['unit']}")


def register(app: typer.Typer) -> None:
    app.command("evaluate")(evaluate_command)
