"""Gated nonlinearity for point-group features.

Input layout  `irreps_in`  = (s + n) x T  +  non-trivial terms            (T the trivial irrep of G)
Output layout `irreps_out` = s x T        +  non-trivial terms (same order)

The first s trivial channels go through SiLU; the next n trivial channels become sigmoid gates, one per non-trivial
irrep copy (n = number of non-trivial copies), and each copy is multiplied by its gate. A scalar times a copy
commutes with D(g), so the gate is equivariant for every g. (1-dim non-trivial irreps are gated like the others.)
For a joined complex-conjugate irrep the other equivariant maps of a copy (x -> J x, its commutant) are linear and
already among the outputs of the preceding PGConv (complete intertwiner bases), so gate(s) (a + b J) x needs no
extra weights here.
Shapes: [N, irreps_in.dim] -> [N, irreps_out.dim].
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from pgnn.groups.layout import PGIrreps


class PGGate(nn.Module):
    def __init__(self, irreps_hidden: PGIrreps) -> None:
        super().__init__()
        G = irreps_hidden.group
        triv = irreps_hidden.trivial
        self.n_scalars = irreps_hidden.count(triv)
        gated = [(m, n) for m, n in irreps_hidden.terms if n != triv and m > 0]
        self.n_gates = sum(m for m, _ in gated)
        self.irreps_out = PGIrreps(G, ([(self.n_scalars, triv)] if self.n_scalars else []) + gated)
        self.irreps_in = PGIrreps(G, [(self.n_scalars + self.n_gates, triv)] + gated)
        gidx = []
        g = 0
        for m, n in gated:
            d = irreps_hidden.irrep_dim(n)
            for _ in range(m):
                gidx += [g] * d
                g += 1
        self.register_buffer("gate_index", torch.as_tensor(np.asarray(gidx, dtype=np.int64)), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s, n = self.n_scalars, self.n_gates
        scalars = F.silu(x[:, :s])
        gates = torch.sigmoid(x[:, s : s + n])
        rest = x[:, s + n :] * gates[:, self.gate_index]
        return torch.cat([scalars, rest], dim=1)
