"""Callbacks of a training run: best and last checkpoints, early stopping, progress bar, epoch timer."""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import lightning as L
from lightning.pytorch.callbacks import Callback, EarlyStopping, ModelCheckpoint, ProgressBar, TQDMProgressBar


class EpochTimer(Callback):
    """Logs `epoch_time_s`, the wall time of each training epoch (seconds)."""

    def on_train_epoch_start(self, trainer, pl_module) -> None:
        self._start = time.perf_counter()

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        pl_module.log("epoch_time_s", time.perf_counter() - self._start, on_epoch=True, on_step=False)


class EpochLineProgress(ProgressBar):
    """The progress display when stdout is not a terminal (CI, `| tee`, nohup, `> log`): one line per epoch

        epoch 3/40  train_loss 0.2117  val_loss 0.3012  val_mae_log10_K_VRH 0.0981  1.9 s

    and one summary line when training ends (epochs, wall time, best val_score and its epoch), instead of the
    carriage-return frames of a tqdm bar (about 2 KB per epoch)."""

    def __init__(self, stream=None):
        super().__init__()
        self._enabled = True
        self._stream = stream
        self._best: tuple[float, int] | None = None
        self._epochs = 0

    def disable(self) -> None:
        self._enabled = False

    def enable(self) -> None:
        self._enabled = True

    def _write(self, line: str) -> None:
        stream = self._stream or sys.stdout
        stream.write(line + "\n")
        stream.flush()

    def on_train_start(self, trainer, pl_module) -> None:
        self._t0 = time.perf_counter()

    def on_train_epoch_start(self, trainer, pl_module) -> None:
        self._start = time.perf_counter()

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        if not self._enabled or trainer.sanity_checking:
            return
        metrics = {k: float(v) for k, v in trainer.callback_metrics.items() if getattr(v, "numel", lambda: 1)() == 1}
        epoch = trainer.current_epoch
        score = metrics.get("val_score")
        if score is not None and math.isfinite(score) and (self._best is None or score < self._best[0]):
            self._best = (score, epoch)
        self._epochs += 1
        keys = ["train_loss", "val_loss"] + sorted(k for k in metrics if k.startswith("val_mae_"))
        shown = "  ".join(f"{k} {metrics[k]:.4g}" for k in keys if k in metrics)
        total = f"/{trainer.max_epochs}" if trainer.max_epochs and trainer.max_epochs > 0 else ""
        self._write(f"epoch {epoch + 1}{total}  {shown}  {time.perf_counter() - self._start:.1f} s")

    def on_train_end(self, trainer, pl_module) -> None:
        if not self._enabled:
            return
        wall = time.perf_counter() - getattr(self, "_t0", time.perf_counter())
        best = f", best val_score {self._best[0]:.4g} at epoch {self._best[1] + 1}" if self._best else ""
        stop = " (early stop)" if trainer.should_stop and trainer.current_epoch < (trainer.max_epochs or 0) else ""
        self._write(f"trained {self._epochs} epochs in {wall:.1f} s{stop}{best}")


def progress_callback(stream=None) -> ProgressBar:
    """A tqdm bar on a terminal, one line per epoch otherwise (`EpochLineProgress`)."""
    stream = stream or sys.stdout
    return TQDMProgressBar(refresh_rate=10) if stream.isatty() else EpochLineProgress(stream)


def build_callbacks(run_dir: Path, patience: int | None, progress: bool) -> list[L.Callback]:
    """checkpoints/best.ckpt (lowest val_score) and checkpoints/last.ckpt, early stopping on val_score."""
    callbacks: list[L.Callback] = [
        ModelCheckpoint(
            dirpath=run_dir / "checkpoints",
            filename="best",
            monitor="val_score",
            mode="min",
            save_top_k=1,
            enable_version_counter=False,
        ),
        # Lightning's save_last only rewrites last.ckpt when the monitored score improves, so `--resume` would go
        # back to the best epoch; an unmonitored checkpoint keeps the latest epoch instead.
        ModelCheckpoint(
            dirpath=run_dir / "checkpoints",
            filename="last",
            monitor=None,
            save_top_k=1,
            every_n_epochs=1,
            enable_version_counter=False,
        ),
        EpochTimer(),
    ]
    if patience:
        callbacks.append(EarlyStopping(monitor="val_score", mode="min", patience=int(patience)))
    if progress:
        callbacks.append(progress_callback())
    return callbacks
