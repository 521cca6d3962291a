"""`pgnn report RUN_DIR [--out report.html]`: one self-contained HTML report of a run folder."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def report_command(
    run: Path = typer.Argument(..., help="Run folder (config.yaml + checkpoints or weights.pt.xz), e.g. a copy of "
                                         "pgnn/pretrained/<name>/."),
    out: Optional[Path] = typer.Option(None, "--out", help="Where to write the HTML (default RUN_DIR/report.html)."),
) -> None:
    """Write report.html: test metrics with units, parity plots, learning curve, Voigt heat maps of the best /
    median / worst test crystals, per-component MAE, Neumann violation histogram, config (figures embedded).

    A folder without test_predictions.npz (shipped models) gets its test split predicted first."""
    from pgnn.errors import PgnnError
    from pgnn.training.report import write_report

    if not (run / "config.yaml").is_file():
        raise PgnnError(f"{run}: not a run folder (no config.yaml); for a shipped model, copy "
                        "pgnn/pretrained/<name>/ and pass the copy")
    typer.echo(f"report: {write_report(run, out)}")


def register(app: typer.Typer) -> None:
    app.command("report")(report_command)
