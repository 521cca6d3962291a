"""Read-outs of point-group features: invariant scalars and Cartesian tensors obeying Neumann's principle.

`PGScalarReadout`: an MLP on the trivial-irrep channels of every atom, averaged over the atoms of each graph:
[N, irreps_in.dim] -> [B]. Invariant under G by construction.

`PGTensorReadout`: the Cartesian tensor space with an index symmetry (e.g. "ij=ji") is a representation of G,
t -> (R_g (x) ... (x) R_g) t. The groups module decomposes it into G-irreps (`G.tensor_space(formula).irrep_basis`,
orthonormal B (3^r, dim_T): T(g) B = B D_T(g)). Node features are averaged per graph; for each irrep alpha the pooled
alpha-channels are mapped linearly onto the alpha-copies of the tensor space by every equivariant map (channel
mixing, and for a joined complex-conjugate pair also x -> J x with J its commutant, so all commute with D^alpha); the Cartesian tensor is B @ coefficients. Hence t(g . crystal) = T(g) t(crystal) for every g in G, and
for a crystal whose own point group H is a subgroup of G (in the standard setting) the pooled features are
H-invariant, so t is H-invariant: Neumann's principle holds by construction, with no symmetrisation step.
A learned bias (with a gain of 10, see `bias_gain`) is added on the trivial components only (a G-invariant tensor).
Output: [B, 3, ..., 3] in the standard setting of G.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from pgnn.groups.layout import PGIrreps
from pgnn.nn.pooling import graph_mean


class PGScalarReadout(nn.Module):
    """Invariant scalar per graph: MLP(trivial channels) per atom, mean over atoms. [N, dim] -> [B]."""

    def __init__(self, irreps_in: PGIrreps, hidden: int = 64) -> None:
        super().__init__()
        triv = irreps_in.trivial
        idx = []
        for (m, n), sl in zip(irreps_in.terms, irreps_in.slices()):
            if n == triv:
                idx += list(range(sl.start, sl.stop))
        if not idx:
            raise ValueError(f"layout {irreps_in} has no trivial channels for a scalar read-out")
        self.register_buffer("idx", torch.as_tensor(idx), persistent=False)
        self.mlp = nn.Sequential(nn.Linear(len(idx), hidden), nn.SiLU(), nn.Linear(hidden, 1))

    def forward(self, x: torch.Tensor, batch: torch.Tensor, num_graphs: int) -> torch.Tensor:
        per_atom = self.mlp(x[:, self.idx]).squeeze(-1)
        return graph_mean(per_atom.unsqueeze(-1), batch, num_graphs).squeeze(-1)


class PGTensorReadout(nn.Module):
    """Cartesian tensor per graph from pooled G-irrep features (see module docstring).

    Args:
        irreps_in: node layout; must contain every irrep of the tensor space (else those components stay 0 and
            a ValueError is raised, unless allow_missing).
        formula: "dielectric" | "piezoelectric" | "elastic" | "vector" | index formula.
        scale: constant multiplying the output (unit scale of the target).
    Forward: x [N, irreps_in.dim], batch [N] -> [B, 3, ..., 3].
    """

    def __init__(self, irreps_in: PGIrreps, formula: str, scale: float = 1.0, allow_missing: bool = False) -> None:
        super().__init__()
        G = irreps_in.group
        space = G.tensor_space(formula)
        self.rank = space.rank
        self.tensor_irreps = PGIrreps(G, [(m, n) for n, m in space.irrep_terms])
        B = space.irrep_basis.T  # (3^rank, dim_T): tensor = B @ coefficients, coefficients in tensor_irreps order
        self.scale = float(scale)
        in_names, in_idx = irreps_in.pack_index()
        triv = irreps_in.trivial
        missing = [n for _, n in self.tensor_irreps.terms if n not in in_names]
        if missing and not allow_missing:
            raise ValueError(f"node layout {irreps_in} lacks irreps {missing} of the {formula} tensor space")
        # for each term of the tensor layout (m copies of alpha): pooled alpha channels -> m coefficients
        self.terms = []
        coef_index = []  # flat coefficient position -> (term, copy, partner)
        cmax = in_idx.shape[1]
        mmax = max(m for m, _ in self.tensor_irreps.terms)
        self.dmax = in_idx.shape[2]
        t_of_in = []
        for t, (m, n) in enumerate(self.tensor_irreps.terms):
            a = in_names.index(n) if n in in_names else -1
            t_of_in.append(a)
            d = irreps_in.irrep_dim(n)
            for c in range(m):
                for k in range(d):
                    coef_index.append((t, c, k))
        n_terms = len(self.tensor_irreps.terms)
        self.register_buffer("in_idx", torch.as_tensor(in_idx), persistent=False)
        self.register_buffer("type_in", torch.as_tensor([max(a, 0) for a in t_of_in]), persistent=False)
        mask = np.zeros((n_terms, cmax, mmax))
        bias_mask = np.zeros((n_terms, mmax, self.dmax))
        for t, (m, n) in enumerate(self.tensor_irreps.terms):
            a = t_of_in[t]
            if a >= 0:
                c_alpha = irreps_in.count(n)
                mask[t, :c_alpha, :m] = 1.0 / math.sqrt(c_alpha)
            if n == triv:
                bias_mask[t, :m, 0] = 1.0
        self.register_buffer("mask", torch.as_tensor(mask, dtype=torch.float64), persistent=False)
        self.register_buffer("bias_mask", torch.as_tensor(bias_mask, dtype=torch.float64),
                             persistent=False)
        self.W = nn.Parameter(torch.randn(n_terms, cmax, mmax))
        # Joined complex-conjugate irreps (commutant dimension 2) have a second equivariant map per channel pair,
        # x -> J x: its weights W_commutant exist only where such a term occurs (groups with real-type irreps only,
        # e.g. Oh and D6h, keep the parameters they always had).
        J = np.zeros((n_terms, self.dmax, self.dmax))
        for t, (m, n) in enumerate(self.tensor_irreps.terms):
            ir = G.irrep(n)
            if ir.commutant_dim > 1 and t_of_in[t] >= 0:
                J[t, : ir.dim, : ir.dim] = ir.commutant[1]
        self.has_commutant = bool(np.any(J))
        if self.has_commutant:
            self.register_buffer("J", torch.as_tensor(J, dtype=torch.float64), persistent=False)
            self.W_commutant = nn.Parameter(torch.randn(n_terms, cmax, mmax))
        self.bias = nn.Parameter(torch.zeros(n_terms, mmax, self.dmax))
        # The invariant bias carries the mean tensor, of order 1 in normalized units (e.g. the isotropic part of a
        # dielectric or elastic tensor); Adam moves a parameter by about lr per step whatever its gradient, so a
        # gain lets the bias reach that scale within tens of steps instead of hundreds.
        self.bias_gain = 10.0
        flat = np.array([np.ravel_multi_index(ix, (n_terms, mmax, self.dmax)) for ix in coef_index], dtype=np.int64)
        self.register_buffer("coef_gather", torch.as_tensor(flat), persistent=False)
        self.register_buffer("B", torch.tensor(B, dtype=torch.float64))

    def forward(self, x: torch.Tensor, batch: torch.Tensor, num_graphs: int) -> torch.Tensor:
        pooled = graph_mean(x, batch, num_graphs)  # B, dim
        packed = torch.cat([pooled, pooled.new_zeros(num_graphs, 1)], dim=1)[:, self.in_idx]  # B, A, C, d
        per_term = packed[:, self.type_in]  # B, T, C, d
        coef = torch.einsum("btck,tcm->btmk", per_term, self.W.to(x.dtype) * self.mask.to(x.dtype))
        if self.has_commutant:  # x_l -> sum_k x_k J[k, l] on the joined complex terms (J = 0 elsewhere)
            per_term_J = torch.einsum("btck,tkl->btcl", per_term, self.J.to(x.dtype))
            coef = coef + torch.einsum("btck,tcm->btmk", per_term_J, self.W_commutant.to(x.dtype) * self.mask.to(x.dtype))
        coef = coef + self.bias_gain * self.bias.to(x.dtype) * self.bias_mask.to(x.dtype)
        coef = coef.reshape(num_graphs, -1)[:, self.coef_gather]  # B, dim_T in tensor-layout order
        t = coef @ self.B.to(x.dtype).T * self.scale
        return t.reshape((num_graphs,) + (3,) * self.rank)
