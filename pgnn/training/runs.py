"""Run folders and shipped pretrained models: find them by path or name, load their weights, export them."""

from __future__ import annotations

import io
import lzma
from pathlib import Path

import torch

from pgnn.atomic import atomic_write_bytes, atomic_write_text
from pgnn.errors import PgnnError
from pgnn.safe_load import safe_torch_load

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
    """State dict of a run (checkpoints/best.ckpt, else last.ckpt) or a pretrained model (weights.pt.xz).

    Loaded with `weights_only=True`: an untrusted run folder cannot run code (see `safe_torch_load`)."""
    if (folder / WEIGHTS_FILE).is_file():
        try:
            raw = lzma.decompress((folder / WEIGHTS_FILE).read_bytes())
        except lzma.LZMAError as exc:
            raise PgnnError(f"{folder / WEIGHTS_FILE}: unreadable weights ({exc})") from None
        state = safe_torch_load(io.BytesIO(raw), str(folder / WEIGHTS_FILE))
        return _checked_state(state, folder / WEIGHTS_FILE)
    for name in ("best.ckpt", "last.ckpt"):
        ckpt = folder / "checkpoints" / name
        if ckpt.is_file():
            loaded = safe_torch_load(ckpt, str(ckpt))
            if not isinstance(loaded, dict) or "state_dict" not in loaded:
                raise PgnnError(f"{ckpt}: not a Lightning checkpoint (no state_dict)")
            return _checked_state(loaded["state_dict"], ckpt)
    raise PgnnError(f"{folder}: no checkpoints/best.ckpt, checkpoints/last.ckpt or {WEIGHTS_FILE}")


def _checked_state(state, path: Path) -> dict:
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise PgnnError(f"{path}: not a state dict of tensors")
    return state


def load_module(run_dir_or_name: str | Path):
    """(PgnnModule in eval mode with the run's best weights, its config, its folder)."""
    from pgnn.training.module import PgnnModule

    from pgnn.training.config import load_run_config

    folder = resolve_run(run_dir_or_name)
    config = load_run_config(folder / "config.yaml")  # yaml.safe_load, resolved; old key names mapped
    module = PgnnModule(config)
    state = load_state(folder)
    try:
        module.load_state_dict(state)
    except RuntimeError as exc:
        raise PgnnError(f"{folder}: the weights do not fit the model of its config.yaml "
                        f"({str(exc).strip().splitlines()[0][:200]})") from None
    module.eval()
    return module, config, folder


def export_weights(module, path: str | Path) -> None:
    """Save the module's state dict (float32) xz-compressed to `path`."""
    buf = io.BytesIO()
    torch.save({k: v.detach().cpu() for k, v in module.state_dict().items()}, buf)
    atomic_write_bytes(path, lzma.compress(buf.getvalue(), preset=9 | lzma.PRESET_EXTREME))


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
    atomic_write_text(folder / "metrics.json", (run_dir / "metrics.json").read_text())
    atomic_write_text(folder / "command.txt", command.strip() + "\n")
    for png in run_dir.glob("parity_*.png"):
        atomic_write_bytes(folder / png.name, png.read_bytes())
    return folder
