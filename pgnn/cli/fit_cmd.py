"""`pgnn fit --config FILE [--set key=value ...] [--out DIR] [--resume RUN_DIR]`."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer


def fit_command(
    config: Optional[Path] = typer.Option(None, "--config", "-c", help="YAML run config (see configs/)."),
    set_: Optional[List[str]] = typer.Option(None, "--set", help="Override key.path=value (value parsed as YAML); "
                                             "repeat, or give several after one --set."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Run folder (default runs/<config name>-<time>)."),
    resume: Optional[Path] = typer.Option(None, "--resume", help="Continue a run folder from checkpoints/last.ckpt."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace the run already in --out (it is kept until "
                                                               "the new run has finished)."),
    overrides: Optional[List[str]] = typer.Argument(None, hidden=True),
) -> None:
    """Train a model; writes a run folder and prints the test metrics."""
    from pgnn.errors import ConfigError
    from pgnn.training.config import load_config

    sets = list(set_ or []) + list(overrides or [])
    if resume is not None:
        if not (resume / "config.yaml").is_file():
            raise ConfigError(f"{resume}: not a run folder (no config.yaml) to resume")
        cfg = load_config(resume / "config.yaml", sets, legacy=True)
        name = resume.name
    elif config is None:
        raise ConfigError("pgnn fit: give --config FILE (or --resume RUN_DIR)")
    else:
        cfg = load_config(config, sets)
        name = config.stem
    from pgnn.training.fit import fit  # after validation: a bad config fails before Lightning is imported

    fit(cfg, out=out, resume=resume, name=name, overwrite=overwrite)


def register(app: typer.Typer) -> None:
    app.command("fit", context_settings={"allow_extra_args": False})(fit_command)
