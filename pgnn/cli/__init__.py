"""The `pgnn` command line: fit | evaluate | predict | models | symmetry | groups | featurize | hamiltonians.

Each command lives in its own module with a `register(app)` function.
"""

from __future__ import annotations

import importlib
import os
import sys

import typer

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Symmetry-group-equivariant graph neural networks for crystals.",
)

# Command modules, in the order they appear in `pgnn --help`.
COMMAND_MODULES = ["fit", "evaluate", "predict", "report", "models", "symmetry", "groups", "featurize",
                   "hamiltonians"]


def _register_commands() -> None:
    for name in COMMAND_MODULES:
        modname = f"pgnn.cli.{name}_cmd"
        try:
            module = importlib.import_module(modname)
        except ModuleNotFoundError as exc:
            if exc.name == modname:  # command not written yet in this checkout
                continue
            raise
        module.register(app)


_register_commands()


def main() -> None:
    """Entry point of the `pgnn` script. pgnn errors print as one line naming the input, exit code 2."""
    from pgnn.errors import PgnnError

    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    try:
        app()
    except PgnnError as exc:
        typer.echo("pgnn: error: " + " ".join(str(exc).split()), err=True)  # one line
        sys.exit(2)
