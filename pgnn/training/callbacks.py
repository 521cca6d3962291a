"""Callbacks of a training run: best and last checkpoints, early stopping, progress bar, epoch timer."""

from __future__ import annotations

import time
from pathlib import Path

import lightning as L
from lightning.pytorch.callbacks import Callback, EarlyStopping, ModelCheckpoint, TQDMProgressBar


class EpochTimer(Callback):
    """Logs `epoch_time_s`, the wall time of each training epoch (seconds)."""

    def on_train_epoch_start(self, trainer, pl_module) -> None:
        self._start = time.perf_counter()

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        pl_module.log("epoch_time_s", time.perf_counter() - self._start, on_epoch=True, on_step=False)


def build_callbacks(run_dir: Path, patience: int | None, progress: bool) -> list[L.Callback]:
    """checkpoints/best.ckpt (lowest val_score) and checkpoints/last.ckpt, early stopping on val_score."""
    callbacks: list[L.Callback] = [
        ModelCheckpoint(
            dirpath=run_dir / "checkpoints",
            filename="best",
            monitor="val_score",
            mode="min",
            save_top_k=1,
            save_last=True,
            enable_version_counter=False,
        ),
        EpochTimer(),
    ]
    if patience:
        callbacks.append(EarlyStopping(monitor="val_score", mode="min", patience=int(patience)))
    if progress:
        callbacks.append(TQDMProgressBar(refresh_rate=10))
    return callbacks
