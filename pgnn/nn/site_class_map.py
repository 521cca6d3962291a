"""Site-symmetry class id (0..31, the atom's site point group) -> weight slot of a layer with one weight set per
class (seed 002's site-class convolutions).

`classes` lists the class ids that get their own weights, most frequent first (`pgnn fit` fills it from the
training graphs, so a model holds weights only for the classes it was trained on); a class not in the list (seen
only at prediction time) uses slot 0, the weights of the most frequent training class. `classes=None` keeps one
slot per id (all 32). The map is per atom and symmetry-invariant, so equivariance is unchanged.
"""

from __future__ import annotations

import torch
from torch import nn

N_SITE_CLASSES = 32


class SiteClassMap(nn.Module):
    """forward(site_class [N] long in 0..31) -> slot [N] long in 0..n_slots-1. Buffer `slot_of` [32]."""

    def __init__(self, classes: list[int] | None = None):
        super().__init__()
        slot = torch.zeros(N_SITE_CLASSES, dtype=torch.long)
        if classes is None:
            slot = torch.arange(N_SITE_CLASSES)
            self.n_slots = N_SITE_CLASSES
        else:
            classes = [int(c) for c in classes]
            if not classes or len(set(classes)) != len(classes) or not all(0 <= c < N_SITE_CLASSES for c in classes):
                raise ValueError(f"site classes must be distinct ids in 0..{N_SITE_CLASSES - 1}, got {classes}")
            for k, c in enumerate(classes):
                slot[c] = k
            self.n_slots = len(classes)
        self.register_buffer("slot_of", slot, persistent=False)

    def forward(self, site_class: torch.Tensor) -> torch.Tensor:
        return self.slot_of.to(site_class.device)[site_class]


def classes_by_frequency(site_class_tensors) -> list[int]:
    """The class ids present in a list of site_class tensors, most frequent first (ties: lower id first)."""
    counts = torch.zeros(N_SITE_CLASSES, dtype=torch.long)
    for t in site_class_tensors:
        counts += torch.bincount(t.reshape(-1).long(), minlength=N_SITE_CLASSES)[:N_SITE_CLASSES]
    present = [int(c) for c in torch.nonzero(counts).reshape(-1)]
    return sorted(present, key=lambda c: (-int(counts[c]), c))
