"""`pgnn models [--json]`: the pretrained models shipped with the package and their test MAE."""

from __future__ import annotations

import json

import typer


def models_command(as_json: bool = typer.Option(False, "--json", help="Print a JSON list.")) -> None:
    """List shipped pretrained models (usable as RUN_DIR_OR_MODEL) with dataset, targets and test MAE."""
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
            "targets": [t if isinstance(t, str) else t["name"] for t in config["data"]["targets"]],
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
        typer.echo(f"{r['name']:<18} {r['model']:<13} {data:<31} test MAE: {maes} (n={r['test_n']})")


def register(app: typer.Typer) -> None:
    app.command("models")(models_command)
