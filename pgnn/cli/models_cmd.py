"""`pgnn models [--json]`: the pretrained models shipped with the package and their test MAE."""

from __future__ import annotations

import json

import typer


def models_command(as_json: bool = typer.Option(False, "--json", help="Print a JSON list.")) -> None:
    """List shipped pretrained models (usable as RUN_DIR_OR_MODEL) with dataset, targets, test MAE and the data
    each one was trained on (dataset, point-group subset, split, number of training crystals)."""
    import yaml

    from pgnn.training.runs import PRETRAINED_DIR, pretrained_names

    rows = []
    for name in pretrained_names():
        folder = PRETRAINED_DIR / name
        config = yaml.safe_load((folder / "config.yaml").read_text())
        metrics = json.loads((folder / "metrics.json").read_text()) if (folder / "metrics.json").is_file() else {}
        rows.append({
            "name": name,
            "model": config["model"]["name"],
            "dataset": config["data"]["dataset"],
            "point_groups": config["data"].get("point_groups"),
            "limit": config["data"].get("limit"),
            "targets": [t if isinstance(t, str) else t["name"] for t in config["data"]["targets"]],
            "split": split_description(config["data"]),
            "train_n": metrics.get("train_n"),
            "train_fraction": float(config["data"].get("train_fraction") or 1.0),
            "epochs": metrics.get("epochs_run", metrics.get("epochs")),
            "test_n": metrics.get("n"),
            "test_metrics": metrics.get("metrics", {}),
        })
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        typer.echo("no pretrained models shipped")
    for r in rows:
        maes = ", ".join(f"{k} {v['mae']:.4f} {v['unit']}" for k, v in r["test_metrics"].items())
        data = r["dataset"] + (f" [{','.join(r['point_groups'])}]" if r["point_groups"] else "")
        if r["limit"]:
            data += f" (first {r['limit']})"
        typer.echo(f"{r['name']:<18} {r['model']:<13} {data:<31} test MAE: {maes} (n={r['test_n']})")
        frac = f" ({r['train_fraction']:g} of the training part)" if r["train_fraction"] < 1 else ""
        typer.echo(f"{'':<18} trained on {r['train_n'] if r['train_n'] is not None else '?'} crystals{frac} of "
                   f"{data}, split {r['split']}; {r['epochs']} epochs")


def split_description(data: dict) -> str:
    """How a run's data was split, in words: "by id 0.8/0.1/0.1, seed 0" or "fold 2 of 5 by composition, seed 0"."""
    split = data.get("split") or {}
    by, seed = split.get("by", "id"), split.get("seed", 0)
    if data.get("folds"):
        return f"fold {data['fold']} of {data['folds']} (test) by {by}, seed {seed}"
    fr = "/".join(f"{float(f):g}" for f in split.get("fractions", (0.8, 0.1, 0.1)))
    return f"by {by} {fr} (train/val/test), seed {seed}"


def register(app: typer.Typer) -> None:
    app.command("models")(models_command)
