"""Loaders of train/val graphs. The batch size is global: under DDP each of the W processes takes
batch_size / W graphs of the same epoch permutation, so one step sees the same graphs as a single process
(BatchNorm statistics are per process unless `trainer.sync_batchnorm`, which torch supports on GPUs only)."""

from __future__ import annotations

import lightning as L
from torch.utils.data.distributed import DistributedSampler
from torch_geometric.loader import DataLoader


class GraphDataModule(L.LightningDataModule):
    """train, val: lists of graphs (with `y_<target>`); batch_size: global batch size; seed: shuffling seed."""

    def __init__(self, train: list, val: list, batch_size: int, seed: int = 0):
        super().__init__()
        self.train, self.val = train, val
        self.batch_size = int(batch_size)
        self.seed = int(seed)

    def _loader(self, graphs: list, shuffle: bool) -> DataLoader:
        world = self.trainer.world_size if self.trainer is not None else 1
        rank = self.trainer.global_rank if self.trainer is not None else 0
        # DistributedSampler even for one process: its seed + epoch permutation is what DDP ranks share.
        sampler = DistributedSampler(graphs, num_replicas=world, rank=rank, shuffle=shuffle, seed=self.seed)
        per_device = max(1, -(-self.batch_size // world))
        return DataLoader(graphs, batch_size=per_device, sampler=sampler)

    def train_dataloader(self) -> DataLoader:
        return self._loader(self.train, shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader(self.val, shuffle=False)
