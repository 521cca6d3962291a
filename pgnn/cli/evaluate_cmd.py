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
    point_groups: str = typer.Option(
        None, "--point-groups",
        help="Comma-separated point groups (e.g. m-3m) to score only those crystals; default: the subset the model "
             "was trained on (data.point_groups) when DATA is its training dataset, else all. 'all' turns it off."),
) -> None:
    """MAE of a trained model on a dataset; targets derived from the records exactly as in training.

    Entries that cannot be used (a bad structure, a missing or non-positive modulus, ...) are counted in
    `skipped`; their reasons go to stderr."""
    from pgnn.errors import ConfigError
    from pgnn.training.runs import resolve_run

    resolve_run(run)  # fail fast on a wrong name, before the heavy imports
    if split not in ("all", "train", "val", "test"):
        raise ConfigError(f"--split {split!r}: expected all, train, val or test")
    from pgnn.data.dataset import load_dataset
    from pgnn.data.splits import SplitSpec
    from pgnn.data.featurize import default_cache_dir
    from pgnn.training.evaluation import score
    from pgnn.training.runs import load_module

    module, config, _ = load_module(run)
    model_cls = type(module.model)
    if getattr(model_cls, "task", None) == "hamiltonian":
        from pgnn.training.hamiltonian_fit import evaluate_hamiltonian

        result = evaluate_hamiltonian(module, config, data, split, _subset(point_groups, data, config))
        for src, why in result["skipped_reasons"]:
            typer.echo(f"skipped {src}: {why}", err=True)
        crystals = result.pop("crystals")
        if as_json:
            sys.stdout.write(json.dumps({**result, "crystals": crystals}) + "\n")
            return
        typer.echo(f"{data} ({split}): n={result['n']}, skipped={result['skipped']}")
        for name, m in result["metrics"].items():
            med = f" (median over crystals {m['median']:.4g})" if "median" in m else ""
            typer.echo(f"  MAE {name}: {m['mae']:.4g} {m['unit']}{med}")
        return
    subset = _subset(point_groups, data, config)
    graphs = load_dataset(
        data, module.targets, model_cls.graph_kind, model_cls.graph_options(config["model"]), split=split,
        spec=SplitSpec.from_config(config["data"]), cache_dir=default_cache_dir(),
        progress=not as_json, point_groups=subset,
    )
    for src, why in graphs.skipped:
        typer.echo(f"skipped {src}: {why}", err=True)
    if not graphs.graphs:
        from pgnn.errors import PgnnError

        where = f"split {split}" + (f", point groups {','.join(subset)}" if subset else "")
        raise PgnnError(f"{data}: no usable entries to evaluate ({where}; {len(graphs.skipped)} skipped, "
                        "reasons above)")
    result, _, _ = score(module, graphs, batch_size)
    if as_json:
        sys.stdout.write(json.dumps(result) + "\n")
        return
    where = f", point groups {','.join(subset)}" if subset else ""
    typer.echo(f"{data} ({split}{where}): n={result['n']}, skipped={result['skipped']}")
    for name, m in result["metrics"].items():
        typer.echo(f"  MAE {name}: {'n/a' if m['mae'] is None else format(m['mae'], '.4f')} {m['unit']}")


def _subset(option: str | None, data: str, config: dict) -> list[str] | None:
    """The point-group subset to score: the option, else the training subset on the training dataset."""
    if option is not None:
        return None if option.strip().lower() == "all" else [p.strip() for p in option.split(",") if p.strip()]
    return config["data"].get("point_groups") if str(data) == str(config["data"]["dataset"]) else None


def register(app: typer.Typer) -> None:
    app.command("evaluate")(evaluate_command)
