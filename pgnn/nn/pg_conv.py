"""PGConv: the point-group-equivariant convolution of seed 003, section 3.

    v'^gamma_(n, c') = sum_c W_self^gamma[c, c'] v^gamma_(n, c)
                     + 1/sqrt(avg_neighbors) sum_(p: alpha, beta -> gamma, m) sum_c W_msg^p[c, c']
                         sum_(b in N(n)) w_(p, c)(|r_nb|) sum_(i, j) U^(p)_(i j k) F^beta_j(r_nb) v^alpha_(b, c, i)

with U^(p) running over a complete basis of the equivariant bilinear maps alpha x beta -> gamma (`G.intertwiners`:
every coupling copy m times every element of the commutant of gamma, so a joined complex-conjugate gamma gets both
U_m and U_m J; dim Hom(alpha (x) beta, gamma) paths per triple), F^beta the edge
features (a copy of irrep beta, see `pg_edge_features`), w_(p, c) learned radial weights per path and channel
(an MLP of a Bessel basis of |r|), W_msg a channel mixing per path (the sum over paths and channels of one output
irrep gamma is the linear "update"), W_self a channel-mixing self-interaction per irrep and commutant element (x -> C_r x, C_0 = identity). When the input and output
layouts are equal a residual v is added (the seed's v + sum ...).

Site-symmetry classes (seed 002): with `n_classes > 0`, W_msg and W_self are chosen by the class of the receiving
atom n (`node_class` [N] long in [0, n_classes)). Weights are scalars per node, so equivariance is unchanged.

Implementation: features are packed as [N, types, channels, partners] (zero padding), every path is a row of
a packed coupling tensor U (paths, d_in, d_edge, d_out), and the layer is a handful of dense contractions:
    T[e,p,i,k]   = U[p,i,j,k] F[e,b(p),j]                  (edge-dependent coupling, all paths at once)
    Z[e,a,q,c]   = sum_i T[e,p(q),i,k(q)] v[src(e), a, c, i]   (one matmul per edge and input irrep a; q runs over
                                                               the (path, output partner) pairs of a's paths)
    msg          = Z * w[e, p(q), c]                        (radial weights per path and channel)
    agg[n,p,c,k] = sum_(e: dst(e)=n) msg                    (index_add, then regrouped by path)
    out[n,g,d,k] = sum_(p: gamma(p)=g) sum_c agg[n,p,c,k] W_msg[p,c,d]   (+ self-interaction)
No Python loop runs over irreps or edges in `forward`: input irreps are batched by channel count (one pass per
distinct count, two for the usual scalars + non-scalars layout) so that messages are not padded to the widest
input; with site classes, the update is one contraction per class present in the batch.

Shapes: x [N, irreps_in.dim], edge_index [2, E] (row 0 source/neighbour b, row 1 receiving atom n),
edge_attr [E, irreps_edge.dim] (edge features), edge_length [E]; returns [N, irreps_out.dim].
Equivariance: if x -> D_in(g) x and edge_attr -> D_edge(g) edge_attr then out -> D_out(g) out.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from pgnn.groups.layout import PGIrreps
from pgnn.nn.radial import BesselBasis, polynomial_cutoff


def _edge_slots(irreps: PGIrreps) -> tuple[list[str], np.ndarray]:
    """Every irrep copy of an edge layout as its own slot: (names per slot, idx (slots, dmax) into flat+pad)."""
    names, starts = [], []
    for (mul, name), sl in zip(irreps.terms, irreps.slices()):
        d = irreps.irrep_dim(name)
        for c in range(mul):
            names.append(name)
            starts.append((sl.start + c * d, d))
    dmax = max([d for _, d in starts] + [1])
    idx = np.full((len(names), dmax), irreps.dim, dtype=np.int64)
    for s, (st, d) in enumerate(starts):
        idx[s, :d] = st + np.arange(d)
    return names, idx


def _take(t: torch.Tensor, dim: int, idx: torch.Tensor) -> torch.Tensor:
    """t gathered along `dim` by an index tensor of any shape (index_select: its backward is an index_add)."""
    out = t.index_select(dim, idx.reshape(-1))
    return out.view(t.shape[:dim] + idx.shape + t.shape[dim + 1 :])


def _pad_idx(idx: np.ndarray, dmax: int, pad_value: int) -> np.ndarray:
    if idx.shape[-1] == dmax:
        return idx
    pad = np.full(idx.shape[:-1] + (dmax - idx.shape[-1],), pad_value, dtype=np.int64)
    return np.concatenate([idx, pad], axis=-1)


class PGConv(nn.Module):
    """Point-group equivariant graph convolution (see module docstring).

    Args:
        irreps_in, irreps_edge, irreps_out: `PGIrreps` (or strings) of one group.
        n_basis, cutoff: Bessel radial basis of the radial weight MLP (Angstrom).
        radial_hidden: hidden width of the radial MLP.
        avg_neighbors: messages are divided by sqrt(avg_neighbors).
        n_classes: 0 for shared weights, else the number of site-symmetry classes of receiving atoms.
        residual: add the input when irreps_in == irreps_out.
    """

    def __init__(self, irreps_in, irreps_edge, irreps_out, n_basis: int = 8, cutoff: float = 6.0,
                 radial_hidden: int = 32, avg_neighbors: float = 12.0, n_classes: int = 0,
                 residual: bool = True) -> None:
        super().__init__()
        G = next(i.group for i in (irreps_in, irreps_edge, irreps_out) if isinstance(i, PGIrreps))
        self.irreps_in = PGIrreps(G, irreps_in)
        self.irreps_edge = PGIrreps(G, irreps_edge)
        self.irreps_out = PGIrreps(G, irreps_out)
        self.n_classes = int(n_classes)
        self.avg_neighbors = float(avg_neighbors)
        self.residual = bool(residual) and self.irreps_in == self.irreps_out

        in_names, in_idx = self.irreps_in.pack_index()
        out_names, out_idx = self.irreps_out.pack_index()
        e_names, e_idx = _edge_slots(self.irreps_edge)
        dims = [self.irreps_in.irrep_dim(n) for n in in_names + out_names + e_names]
        d = max(dims + [1])
        self.dmax = d
        in_idx = _pad_idx(in_idx, d, self.irreps_in.dim)
        out_idx = _pad_idx(out_idx, d, self.irreps_out.dim)
        e_idx = _pad_idx(e_idx, d, self.irreps_edge.dim)
        self.register_buffer("in_idx", torch.as_tensor(in_idx), persistent=False)
        self.register_buffer("e_idx", torch.as_tensor(e_idx), persistent=False)
        cin = [self.irreps_in.count(n) for n in in_names]
        cout = [self.irreps_out.count(n) for n in out_names]
        self.cin_max, self.cout_max = in_idx.shape[1], out_idx.shape[1]
        self.n_out_types = len(out_names)

        # flat output position -> packed position (types, cout_max, d) raveled
        flat_from_packed = np.zeros(self.irreps_out.dim, dtype=np.int64)
        for pos, f in np.ndenumerate(out_idx):
            if f < self.irreps_out.dim:
                flat_from_packed[f] = np.ravel_multi_index(pos, out_idx.shape)
        self.register_buffer("out_gather", torch.as_tensor(flat_from_packed), persistent=False)

        # ---- paths --------------------------------------------------------------------------------------------
        paths, Us = [], []
        for a, an in enumerate(in_names):
            for b, bn in enumerate(e_names):
                for g, gn in enumerate(out_names):
                    U = G.intertwiners(an, bn, gn)
                    for m in range(U.shape[0]):
                        Up = np.zeros((d, d, d))
                        Up[: U.shape[1], : U.shape[2], : U.shape[3]] = U[m]
                        paths.append((a, b, g))
                        Us.append(Up)
        if not paths:
            raise ValueError(f"no coupling path from {self.irreps_in} x {self.irreps_edge} to {self.irreps_out}")
        self.paths = paths
        P = len(paths)
        self.n_paths = P
        pa, pb, pg = (torch.as_tensor([p[i] for p in paths]) for i in range(3))
        self.register_buffer("path_a", pa, persistent=False)
        self.register_buffer("path_b", pb, persistent=False)
        self.register_buffer("path_g", pg, persistent=False)
        self.register_buffer("U", torch.as_tensor(np.stack(Us), dtype=torch.float64), persistent=False)
        # Regrouping of (path, output partner k) by input type, with input types grouped by channel count (e.g.
        # the scalars and the non-scalar irreps of a gated layout) so that no message is padded to the widest
        # input: per channel group h, q_index[h] (A_h, Q_h) -> p * d + k (pad P * d), q_path[h] (A_h, Q_h) -> p
        # (pad P); p_index (P, d) -> row of the concatenated aggregates of all groups (pad: one past the last).
        d_out = [self.irreps_out.irrep_dim(out_names[g]) for (_, _, g) in paths]
        q_len = [sum(d_out[p] for p in range(P) if paths[p][0] == a) for a in range(len(in_names))]
        self.channel_groups = []  # (channels, number of input types, Q_h)
        p_index = np.full((P, d), -1, dtype=np.int64)
        row0 = 0
        for h, c_h in enumerate(sorted({cin[a] for a in range(len(in_names)) if q_len[a] > 0})):
            types = [a for a in range(len(in_names)) if cin[a] == c_h and q_len[a] > 0]
            q_h = max(q_len[a] for a in types)
            q_index = np.full((len(types), q_h), P * d, dtype=np.int64)
            q_path = np.full((len(types), q_h), P, dtype=np.int64)
            for la, a in enumerate(types):
                q = 0
                for p in range(P):
                    if paths[p][0] != a:
                        continue
                    for k in range(d_out[p]):
                        q_index[la, q] = p * d + k
                        q_path[la, q] = p
                        p_index[p, k] = row0 + la * q_h + q
                        q += 1
            self.register_buffer(f"types_{h}", torch.as_tensor(types), persistent=False)
            self.register_buffer(f"q_index_{h}", torch.as_tensor(q_index), persistent=False)
            self.register_buffer(f"q_path_{h}", torch.as_tensor(q_path), persistent=False)
            self.channel_groups.append((int(c_h), len(types), int(q_h)))
            row0 += len(types) * q_h
        p_index[p_index < 0] = row0
        self.register_buffer("p_index", torch.as_tensor(p_index), persistent=False)

        # channel masks and fan-in per output type
        cmask = np.zeros((P, self.cin_max))
        for p, (a, _, _) in enumerate(paths):
            cmask[p, : cin[a]] = 1.0
        fan_in = np.zeros(len(out_names))
        for p, (a, _, g) in enumerate(paths):
            fan_in[g] += cin[a]
        omask = np.zeros((P, self.cin_max, self.cout_max))
        for p, (a, _, g) in enumerate(paths):
            omask[p, : cin[a], : cout[g]] = 1.0 / math.sqrt(fan_in[g])
        self.register_buffer("cmask", torch.as_tensor(cmask, dtype=torch.float64), persistent=False)
        self.register_buffer("omask", torch.as_tensor(omask, dtype=torch.float64), persistent=False)

        K = max(1, self.n_classes)
        self.W_msg = nn.Parameter(torch.randn(K, P, self.cin_max, self.cout_max))

        # self-interaction between equal irreps of input and output: one weight matrix per commutant element C_r
        si = [(in_names.index(n), g, r) for g, n in enumerate(out_names) if n in in_names
              for r in range(G.irrep(n).commutant_dim)]
        self.register_buffer("si_in", torch.as_tensor([s[0] for s in si], dtype=torch.long), persistent=False)
        self.register_buffer("si_out", torch.as_tensor([s[1] for s in si], dtype=torch.long), persistent=False)
        si_C = np.zeros((len(si), d, d))
        smask = np.zeros((len(si), self.cin_max, self.cout_max))
        for s, (a, g, r) in enumerate(si):
            C = G.irrep(out_names[g]).commutant[r]
            si_C[s, : C.shape[0], : C.shape[1]] = C
            n_r = G.irrep(out_names[g]).commutant_dim
            smask[s, : cin[a], : cout[g]] = 1.0 / math.sqrt(cin[a] * n_r)
        self.si_commutant = any(r > 0 for _, _, r in si)
        self.register_buffer("si_C", torch.as_tensor(si_C, dtype=torch.float64), persistent=False)
        self.register_buffer("smask", torch.as_tensor(smask, dtype=torch.float64), persistent=False)
        self.W_self = nn.Parameter(torch.randn(K, len(si), self.cin_max, self.cout_max))

        self.cutoff = float(cutoff)
        self.radial = BesselBasis(cutoff, n_basis, unit_argument=True)
        self.radial_mlp = nn.Sequential(
            nn.Linear(n_basis, radial_hidden), nn.SiLU(), nn.Linear(radial_hidden, P * self.cin_max)
        )

    def extra_repr(self) -> str:
        return f"{self.irreps_in} (x) {self.irreps_edge} -> {self.irreps_out}, paths={self.n_paths}"

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor, edge_attr: torch.Tensor,
                edge_length: torch.Tensor, node_class: torch.Tensor | None = None) -> torch.Tensor:
        N, E = x.shape[0], edge_attr.shape[0]
        dt = x.dtype
        src, dst = edge_index[0], edge_index[1]
        xp = _take(torch.cat([x, x.new_zeros(N, 1)], dim=1), 1, self.in_idx)  # N, A, Cin, d
        fp = _take(torch.cat([edge_attr, edge_attr.new_zeros(E, 1)], dim=1), 1, self.e_idx)  # E, B, d
        T = torch.einsum("pijk,epj->epik", self.U.to(dt), fp.index_select(1, self.path_b))  # E, P, d, d
        rb = self.radial(edge_length) * polynomial_cutoff(edge_length, self.cutoff).unsqueeze(-1)
        w = self.radial_mlp(rb).view(E, self.n_paths, self.cin_max) * self.cmask.to(dt)
        # Group the paths by input irrep a: per edge and a, one matrix product of the source features
        # (C_a x d) with all of a's edge-dependent couplings (d x Q_a), Q_a = sum of the output dims of a's paths;
        # input irreps with equal channel counts C_a are batched together (one group per distinct C_a).
        d = self.dmax
        Tq = T.permute(0, 2, 1, 3).reshape(E, d, self.n_paths * d)
        Tq = torch.cat([Tq, Tq.new_zeros(E, d, 1)], dim=2)
        w = torch.cat([w, w.new_zeros(E, 1, self.cin_max)], dim=1)
        aggs = []
        for h, (c_h, a_h, q_h) in enumerate(self.channel_groups):
            Th = _take(Tq, 2, getattr(self, f"q_index_{h}")).permute(0, 2, 1, 3)  # E, A_h, d, Q_h
            xh = xp.index_select(1, getattr(self, f"types_{h}"))[:, :, :c_h].index_select(0, src)  # E, A_h, C_h, d
            # Z[e,a,q,c] = sum_i Th[e,a,i,q] x[src,a,c,i], laid out (q, c) so that the radial weights multiply a
            # contiguous tensor
            Z = torch.matmul(Th.transpose(2, 3), xh.transpose(2, 3))  # E, A_h, Q_h, C_h
            Z = Z * _take(w[:, :, :c_h], 1, getattr(self, f"q_path_{h}"))
            agg_h = x.new_zeros(N, a_h * q_h, c_h).index_add_(0, dst, Z.reshape(E, a_h * q_h, c_h))
            if c_h < self.cin_max:
                agg_h = torch.cat([agg_h, agg_h.new_zeros(N, a_h * q_h, self.cin_max - c_h)], dim=2)
            aggs.append(agg_h)
        aggs.append(x.new_zeros(N, 1, self.cin_max))
        agg = _take(torch.cat(aggs, dim=1), 1, self.p_index)  # N, P, d, C
        agg = agg.transpose(2, 3)  # N, P, C, d
        agg = agg / math.sqrt(self.avg_neighbors)

        Wm = self.W_msg.to(dt) * self.omask.to(dt)
        Ws = self.W_self.to(dt) * self.smask.to(dt)
        out = x.new_zeros(N, self.n_out_types, self.cout_max, self.dmax)
        if self.n_classes > 0:
            # one dense contraction per site-symmetry class present (gathering per-node weight copies would
            # cost N * paths * C_in * C_out memory)
            cls = node_class if node_class is not None else torch.zeros(N, dtype=torch.long, device=x.device)
            y = agg.new_zeros(N, self.n_paths, self.cout_max, self.dmax)
            s = agg.new_zeros(N, len(self.si_in), self.cout_max, self.dmax)
            xsi = self._self_input(xp)
            for k in torch.unique(cls).tolist():
                rows = torch.nonzero(cls == k).reshape(-1)
                y = y.index_copy(0, rows, torch.einsum("npck,pcd->npdk", agg[rows], Wm[k]))
                s = s.index_copy(0, rows, torch.einsum("nsck,scd->nsdk", xsi[rows], Ws[k]))
        else:
            y = torch.einsum("npck,pcd->npdk", agg, Wm[0])
            s = torch.einsum("nsck,scd->nsdk", self._self_input(xp), Ws[0])
        out = out.index_add(1, self.path_g, y).index_add(1, self.si_out, s)
        out = out.reshape(N, -1).index_select(1, self.out_gather)
        if self.residual:
            out = out + x
        return out

    def _self_input(self, xp: torch.Tensor) -> torch.Tensor:
        """Packed input features [N, A, C, d] -> [N, S, C, d]: the input irrep of each self-interaction term,
        times its commutant element (x_l -> sum_k x_k C_r[k, l]; the identity for real-type irreps)."""
        xsi = xp.index_select(1, self.si_in)
        if self.si_commutant:
            xsi = torch.einsum("nsck,skl->nscl", xsi, self.si_C.to(xp.dtype))
        return xsi

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        """Map state dicts written before the couplings came from `G.intertwiners` (they stored the packed
        coupling tensor as `U`, possibly with the opposite sign per path, and the radial frequencies as
        `radial.freq`): the sign of each stored path is folded into W_msg, so the layer computes the same map."""
        old = state_dict.pop(prefix + "U", None)
        if old is not None:
            new = self.U.to(old.dtype)
            if old.shape != new.shape:
                raise RuntimeError(f"{prefix}U: stored couplings {tuple(old.shape)} do not match {tuple(new.shape)}")
            dots = (old * new).flatten(1).sum(1) / (new * new).flatten(1).sum(1)
            if not torch.allclose(dots.abs(), torch.ones_like(dots), atol=1e-6):
                raise RuntimeError(f"{prefix}U: stored couplings are not the groups module's up to sign")
            key = prefix + "W_msg"
            if key in state_dict:
                state_dict[key] = state_dict[key] * torch.sign(dots).to(state_dict[key].dtype).view(1, -1, 1, 1)
        state_dict.pop(prefix + "radial.freq", None)  # the constant multiples n*pi, no longer saved
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def n_masked_parameters(self) -> int:
        """Entries of W_msg, W_self and the radial MLP's output layer that are padding (always multiplied by zero,
        so never trained): parameter counts of a model should leave them out."""
        K = self.W_msg.shape[0]
        pad_rows = int((self.cmask == 0).sum())  # (path, channel) pairs of the radial output that are padding
        last = self.radial_mlp[-1]
        return (K * int((self.omask == 0).sum()) + K * int((self.smask == 0).sum())
                + pad_rows * (last.in_features + 1))

    def flops(self, n_nodes: int, n_edges: int) -> dict:
        """Multiply-add counts (x2 = FLOPs) of the forward contractions, for benchmarks."""
        P, C, d, Co = self.n_paths, self.cin_max, self.dmax, self.cout_max
        n_si = int(self.si_in.numel())
        radial_hidden = self.radial_mlp[0].out_features
        counts = {
            "coupling": n_edges * P * d * d * d,
            "message": sum(n_edges * a_h * q_h * c_h * (d + 1) for c_h, a_h, q_h in self.channel_groups),
            "radial_mlp": n_edges * (self.radial_mlp[0].in_features * radial_hidden + radial_hidden * P * C),
            "aggregate": n_edges * P * C * d,
            "update": n_nodes * P * C * Co * d + n_nodes * n_si * C * Co * d,
        }
        return {k: 2 * v for k, v in counts.items()}
