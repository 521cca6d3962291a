"""Run folders and shipped pretrained models: find them by path or name, load their weights, export them."""

from __future__ import annotations

import io
import lzma
from pathlib import Path

import torch

from pgnn.errors import PgnnError

PRETRAINED_DIR = Path(__file__).resolve().parents[1] / "pretrained"
WEIGHTS_FILE = "weights.pt.xz"


def pretrained_names() -> list[str]:
    """Names of the models shipped in `pgnn/pretrained/<name>/`."""
    if not PRETRAINED_DIR.is_dir():
        return []
    return sorted(p.name for p in PRETRAINED_DIR.iterdir() if (p / WEIGHTS_FILE).is_file())


def resolve_run(run_dir_or_name: str | Path) -> Path:
    """A run folder (with config.yaml) or the folder of a pretrained model given by name."""
    s = str(run_dir_or_name)
    if s in pretrained_names():
        return PRETRAINED_DIR / s
    p = Path(s).expanduser()
    if (p / "config.yaml").is_file():
        return p
    known = ", ".join(pretrained_names()) or "none shipped"
    raise PgnnError(f"{s}: not a run folder (no config.yaml) and not a pretrained model name (known: {known})")


def load_state(folder: Path) -> dict:
    """State dict of a run (checkpoints/best.ckpt, else last.ckpt) or a pretrained model (weights.pt.xz)."""
    if (folder / WEIGHTS_FILE).is_file():
        raw = lzma.decompress((folder / WEIGHTS_FILE).read_bytes())
        return torch.load(io.BytesIO(raw), map_location="cpu", weights_only=True)
    for name in ("best.ckpt", "last.ckpt"):
        ckpt = folder / "checkpoints" / name
        if ckpt.is_file():
            return torch.load(ckpt, map_location="cpu", weights_only=False)["state_dict"]
    raise PgnnError(f"{folder}: no checkpoints/best.ckpt, checkpoints/last.ckpt or {WEIGHTS_FILE}")


def load_module(run_dir_or_name: str | Path):
    """(PgnnModule in eval mode with the run's best weights, its config, its folder)."""
    from pgnn.training.module import PgnnModule

    from pgnn.training.config import load_run_config

    folder = resolve_run(run_dir_or_name)
    config = load_run_config(folder / "config.yaml")  # resolved; old key names mapped
    module = PgnnModule(config)
    module.load_state_dict(load_state(folder))
    module.eval()
    return module, config, folder


def export_weights(module, path: str | Path) -> None:
    """Save the module's state dict (float32) xz-compressed to `path`."""
    buf = io.BytesIO()
    torch.save({k: v.detach().cpu() for k, v in module.state_dict().items()}, buf)
    Path(path).write_bytes(lzma.compress(buf.getvalue(), preset=9 | lzma.PRESET_EXTREME))


def export_pretrained(run_dir: str | Path, name: str, command: str) -> Path:
    """Ship a finished run as `pgnn/pretrained/<name>/`: weights.pt.xz (best checkpoint), config.yaml,
    metrics.json (its test metrics), command.txt (the exact command that trained it) and its parity plots."""
    from pgnn.training.module import PgnnModule

    from pgnn.training.config import load_run_config, save_config

    run_dir = Path(run_dir)
    config = load_run_config(run_dir / "config.yaml")
    module = PgnnModule(config)
    module.load_state_dict(load_state(run_dir))
    folder = PRETRAINED_DIR / name
    folder.mkdir(parents=True, exist_ok=True)
    export_weights(module, folder / WEIGHTS_FILE)
    save_config(module.config, folder / "config.yaml")  # resolved, current key names
    (folder / "metrics.json").write_text((run_dir / "metrics.json").read_text())
    (folder / "command.txt").write_text(command.strip() + "\n")
    for png in run_dir.glob("parity_*.png"):
        (folder / png.name).write_bytes(png.read_bytes())
    return folder
