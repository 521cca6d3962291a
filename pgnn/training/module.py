"""The Lightning module shared by every model family: normalized losses per target, MAE in data units,
AdamW with a cosine or plateau schedule."""

from __future__ import annotations

import lightning as L
import torch

from pgnn.data.targets import TargetSpec, resolve_target
from pgnn.models.registry import build_model
from pgnn.training.config import resolve_config
from pgnn.training.losses import log_norm_loss, loss_for, mean_abs_error
from pgnn.training.normalizer import TargetNormalizer


class PgnnModule(L.LightningModule):
    """Wraps `build_model(config["model"], targets)`; `self.config` is the resolved config (`resolve_config`: every
    section validated, every default filled in).
    `predict(batch)` returns {target: [B, ...]} in data units.

    Logged per epoch: train_loss, val_loss, val_mae_<target> (data units), val_score = sum of MAE / std over
    targets (the quantity checkpointing and early stopping minimize), lr.
    """

    def __init__(self, config: dict):
        super().__init__()
        config = resolve_config(config)
        self.config = config
        self.targets: list[TargetSpec] = [resolve_target(t) for t in config["data"]["targets"]]
        self.model = build_model(config["model"], self.targets)
        self.normalizer = TargetNormalizer(self.targets)
        train_cfg = config.get("training", {})
        self.losses = {t.name: loss_for(t.kind, train_cfg.get("loss", "mse")) for t in self.targets}
        weights = train_cfg.get("target_weights") or {}
        self.weights = {t.name: float(weights.get(t.name, 1.0)) for t in self.targets}
        self.norm_loss_weight = float(train_cfg.get("norm_loss_weight") or 0.0)

    def forward(self, batch) -> dict[str, torch.Tensor]:
        return self.model(batch)

    def predict(self, batch) -> dict[str, torch.Tensor]:
        """Predictions in data units (the targets' transformed values, e.g. log10(GPa))."""
        out = self.model(batch)
        return {t.name: self.normalizer.denormalize(t.name, out[t.name]) for t in self.targets}

    def _step(self, batch, stage: str) -> torch.Tensor:
        out = self.model(batch)
        n = int(batch.num_graphs)
        sync = stage != "train" or self.trainer.world_size > 1
        loss = 0.0
        score = 0.0
        for t in self.targets:
            y = getattr(batch, f"y_{t.name}")
            pred = out[t.name]
            y_norm = self.normalizer.normalize(t.name, y)
            term = self.losses[t.name](pred, y_norm)
            if self.norm_loss_weight and t.kind != "scalar":
                term = term + self.norm_loss_weight * log_norm_loss(pred, y_norm, t.kind)
            loss = loss + self.weights[t.name] * term
            if stage != "train":
                mae = mean_abs_error(self.normalizer.denormalize(t.name, pred.detach()), y, t.kind)
                std = getattr(self.normalizer, f"std_{t.name}")
                score = score + mae / std
                self.log(f"{stage}_mae_{t.name}", mae, batch_size=n, on_epoch=True, on_step=False, sync_dist=sync)
        self.log(f"{stage}_loss", loss, batch_size=n, on_epoch=True, on_step=False, prog_bar=True, sync_dist=sync)
        if stage != "train":
            self.log(f"{stage}_score", score, batch_size=n, on_epoch=True, on_step=False, sync_dist=sync)
        return loss

    def training_step(self, batch, batch_idx):
        return self._step(batch, "train")

    def validation_step(self, batch, batch_idx):
        self._step(batch, "val")

    def on_train_epoch_start(self) -> None:
        self.log("lr", self.optimizers().param_groups[0]["lr"], on_epoch=True, on_step=False, sync_dist=False)

    def configure_optimizers(self):
        cfg = self.config.get("optim", {})
        opt = torch.optim.AdamW(self.model.parameters(), lr=float(cfg.get("lr", 1e-3)),
                                weight_decay=float(cfg.get("weight_decay", 0.0)))
        kind = cfg.get("scheduler", "cosine")
        if kind == "cosine":
            epochs = int(self.config["trainer"].get("max_epochs") or 100)
            sched = torch.optim.lr_scheduler.CosineAnnealingLR(
                opt, T_max=max(epochs, 1), eta_min=float(cfg.get("lr", 1e-3)) * float(cfg.get("min_lr_ratio", 0.01)))
            return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "epoch"}}
        if kind == "plateau":
            sched = torch.optim.lr_scheduler.ReduceLROnPlateau(
                opt, factor=float(cfg.get("plateau_factor", 0.5)), patience=int(cfg.get("plateau_patience", 5)))
            return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "monitor": "val_score", "interval": "epoch"}}
        return opt
