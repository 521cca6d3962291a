"""Local structure order parameters (Zimmermann et al.; pymatgen `LocalStructOrderParams`), vectorized.

All motifs of a structure are evaluated at once on padded neighbour vectors: every quantity is an array over
(motif, j, k) or (motif, j, k, m), where the centre's neighbour j is put at the North pole, neighbour k fixes the
prime meridian and m runs over the remaining neighbours, exactly as in the per-site loops of the reference
definition. Each parameter is computed as pymatgen defines it when that type is requested on its own
(with default parameters); values agree with pymatgen to floating-point round-off (tests compare at 1e-6).
Where pymatgen returns None (too few neighbours to define angles), the value here is NaN.
"""

from __future__ import annotations

import math

import numpy as np

# Default parameters of each order parameter (the defaults shipped with pymatgen's op_params.yaml).
# Keys: TA target angle / pi; IGW_* inverse Gaussian widths (per unit of pi); min_SPP smallest angle (rad) counted
# as a South-pole position; w_SPP weight of South-pole terms; fac_AA, exp_cos_AA azimuth factor and exponent.
# cuboct uses the numeric keys lo (param 4, rad), hi (param 2, rad), igw_ep (param 5), igw_tri (param 6).
OP_PARAMS: dict[str, dict[str, float]] = {
    "cn": {"norm": 1.0},
    "sgl_bd": {},
    "bent": {"TA": 1.0, "IGW_TA": 8.667},
    "T": {"IGW_EP": 15.5, "fac_AA": 1.0, "exp_cos_AA": 2.0},
    "see_saw_rect": {"min_SPP": 2.356194490192345, "IGW_SPP": 11.5, "IGW_EP": 27.0, "fac_AA": 2.0, "exp_cos_AA": 2.0},
    "tet": {"IGW_TA": 15.0, "TA": 0.6081734479693927, "fac_AA": 1.5, "exp_cos_AA": 2.0},
    "tet_max": {"IGW_TA": 18.5, "TA": 0.6081734479693927, "fac_AA": 1.5, "exp_cos_AA": 2.0},
    "oct": {"min_SPP": 2.792526803190927, "IGW_SPP": 15.0, "IGW_EP": 18.0, "w_SPP": 3.0, "fac_AA": 2.0,
            "exp_cos_AA": 2.0},
    "oct_max": {"min_SPP": 2.356194490192345, "IGW_SPP": 15.0, "IGW_EP": 18.0, "w_SPP": 1.0, "fac_AA": 2.0,
                "exp_cos_AA": 2.0},
    "bcc": {"min_SPP": 2.5261129449194057, "IGW_SPP": 15.0, "w_SPP": 6.0},
    "tri_plan": {"IGW_TA": 13.5, "TA": 0.66666666667, "fac_AA": 1.0, "exp_cos_AA": 2.0},
    "tri_plan_max": {"IGW_TA": 17.5, "TA": 0.66666666667, "fac_AA": 1.0, "exp_cos_AA": 2.0},
    "sq_plan": {"min_SPP": 2.792526803190927, "IGW_SPP": 15.0, "IGW_EP": 18.0, "w_SPP": 1.0, "fac_AA": 1.0,
                "exp_cos_AA": 2.0},
    "sq_plan_max": {"min_SPP": 2.356194490192345, "IGW_SPP": 13.5, "IGW_EP": 17.7, "w_SPP": 1.0, "fac_AA": 1.0,
                    "exp_cos_AA": 2.0},
    "pent_plan": {"TA": 0.6, "IGW_TA": 18.0},
    "pent_plan_max": {"TA": 0.6, "IGW_TA": 19.333},
    "tri_pyr": {"IGW_EP": 15.5, "fac_AA": 1.5, "exp_cos_AA": 2.0},
    "sq_pyr": {"IGW_EP": 14.9, "fac_AA": 2.0, "exp_cos_AA": 2.0},
    "pent_pyr": {"IGW_EP": 13.8, "fac_AA": 2.5, "exp_cos_AA": 2.0},
    "hex_pyr": {"IGW_EP": 12.5, "fac_AA": 3.0, "exp_cos_AA": 2.0},
    "tri_bipyr": {"min_SPP": 2.356194490192345, "IGW_SPP": 12.0, "IGW_EP": 16.6, "fac_AA": 1.5, "exp_cos_AA": 2.0},
    "sq_bipyr": {"min_SPP": 2.356194490192345, "IGW_SPP": 15.0, "IGW_EP": 18.0, "fac_AA": 2.0, "exp_cos_AA": 2.0},
    "pent_bipyr": {"min_SPP": 2.356194490192345, "IGW_SPP": 12.5, "IGW_EP": 14.75, "fac_AA": 2.5, "exp_cos_AA": 2.0},
    "hex_bipyr": {"min_SPP": 2.356194490192345, "IGW_SPP": 14.1, "IGW_EP": 13.6, "fac_AA": 3.0, "exp_cos_AA": 2.0},
    "hex_plan_max": {"min_SPP": 2.6179938779914944, "IGW_SPP": 7.5, "fac_AA": 1.0, "exp_cos_AA": 2.0,
                     "IGW_TA": 25.0, "TA": 0.16666667},
    "cuboct": {"min_SPP": 2.792526803190927, "IGW_SPP": 15.0, "w_SPP": 1.8, "hi": 1.8325957145940461,
               "lo": 1.3089969389957472, "igw_ep": 18.0, "igw_tri": 18.0},
    "cuboct_max": {"min_SPP": 2.792526803190927, "IGW_SPP": 28.75, "w_SPP": 1.8, "hi": 1.8325957145940461,
                   "lo": 1.3089969389957472, "igw_ep": 25.5, "igw_tri": 31.25},
    "q2": {},
    "q4": {},
    "q6": {},
}

#: The order parameters computed by `order_parameters`, in output column order.
OP_TYPES: tuple[str, ...] = tuple(OP_PARAMS)

_SUM_TYPES = {"tri_plan", "tet", "bent", "sq_plan", "oct", "cuboct", "pent_plan"}
_MAX_TYPES = {"T", "tri_pyr", "see_saw_rect", "sq_pyr", "tri_bipyr", "sq_bipyr", "pent_pyr", "hex_pyr",
              "pent_bipyr", "hex_bipyr", "oct_max", "tri_plan_max", "tet_max", "sq_plan_max", "pent_plan_max",
              "cuboct_max", "hex_plan_max"}
_PYR = {"T", "tri_pyr", "sq_pyr", "pent_pyr", "hex_pyr"}
_BIPYR = {"tri_bipyr", "sq_bipyr", "pent_bipyr", "hex_bipyr", "oct_max", "sq_plan_max", "hex_plan_max"}
_VERY_SMALL = 1e-12


def _g(x):
    """Gaussian exp(-x^2/2)."""
    return np.exp(-0.5 * x * x)


def _gramschmidt(v, u):
    """Part of v orthogonal to u (not normalized); broadcasting over leading axes, last axis = 3."""
    return v - (np.sum(v * u, -1, keepdims=True) / np.sum(u * u, -1, keepdims=True)) * u


class _Geometry:
    """Angles of padded motifs. vectors [M, K, 3] (centre -> neighbour, Angstrom), mask [M, K] bool."""

    def __init__(self, vectors: np.ndarray, mask: np.ndarray):
        M, K, _ = vectors.shape
        self.mask = mask
        self.n = mask.sum(1)  # [M]
        dist = np.linalg.norm(vectors, axis=-1)
        self.dist = dist
        u = np.where(mask[..., None], vectors / np.where(dist > 0, dist, 1.0)[..., None], 0.0)
        u[~mask] = (1.0, 0.0, 0.0)  # harmless placeholder, masked out below
        self.u = u
        eye = np.eye(K, dtype=bool)
        self.pair = mask[:, :, None] & mask[:, None, :] & ~eye  # [M, j, k]
        self.cos = np.clip(np.einsum("mjc,mkc->mjk", u, u), -1.0, 1.0)
        self.theta = np.arccos(self.cos)  # [M, j, k]
        # x axis of the frame with j at the North pole and k on the prime meridian: [M, j, k, 3]
        xa = _gramschmidt(u[:, None, :, :], u[:, :, None, :])
        nx = np.linalg.norm(xa, axis=-1)
        self.flag_x = nx < _VERY_SMALL  # [M, j, k]
        xh = xa / np.where(self.flag_x, 1.0, nx)[..., None]
        # phi[m, j, k, l]: azimuth between the meridians of k and l around j
        self.phi = np.arccos(np.clip(np.einsum("mjkc,mjlc->mjkl", xh, xh), -1.0, 1.0))
        # triples (j, k, l): l not in {j, k}, valid, frame of (j, k) defined
        tri = self.pair[:, :, :, None] & mask[:, None, None, :] & ~eye[None, :, None, :] & ~eye[None, None, :, :]
        self.triple_sp = tri & ~self.flag_x[..., None]  # South-pole terms: only need the (j, k) frame
        self.triple = self.triple_sp & ~self.flag_x[:, :, None, :]  # angle terms: also need l's meridian
        self.theta_k = self.theta[:, :, :, None]  # [M, j, k, 1]
        self.theta_l = self.theta[:, :, None, :]  # [M, j, 1, l]


def _op(t: str, g: _Geometry) -> np.ndarray:
    """[M] values of order parameter `t` (NaN where undefined)."""
    p = OP_PARAMS[t]
    M = g.mask.shape[0]
    n = g.n.astype(np.float64)
    if t == "cn":
        return n / p["norm"]
    if t == "sgl_bd":
        d = np.sort(np.where(g.mask, g.dist, np.inf), axis=1)
        out = np.zeros(M)
        out[g.n == 1] = 1.0
        many = g.n > 1
        if many.any():
            out[many] = 1.0 - d[many, 0] / d[many, 1]
        return out
    if t in ("q2", "q4", "q6"):
        ell = int(t[1])
        pl = np.polynomial.legendre.legval(g.cos, [0.0] * ell + [1.0])
        both = g.mask[:, :, None] & g.mask[:, None, :]
        s = np.where(both, pl, 0.0).sum((1, 2))
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.sqrt(np.maximum(s, 0.0)) / n
        out[g.n == 0] = np.nan
        return out

    th_k, th_l, phi = g.theta_k, g.theta_l, g.phi
    ipi = 1.0 / math.pi
    pair, tri, tri_sp = g.pair, g.triple, g.triple_sp
    zero_pair = np.zeros(pair.shape)
    zero_tri = np.zeros(tri.shape)
    q2, n2 = zero_pair.copy(), zero_pair.copy()  # pair (j, k) contributions
    q3, n3 = zero_tri, zero_tri  # triple (j, k, l) contributions, summed over l at the end
    thk = g.theta

    if t == "bent":
        q2 = np.where(pair, _g(p["IGW_TA"] * (thk * ipi - p["TA"])), 0.0)
        n2 = pair * 1.0
    elif t in ("tri_plan", "tri_plan_max", "tet", "tet_max"):
        gk = _g(p["IGW_TA"] * (th_k * ipi - p["TA"]))
        if t.endswith("_max"):
            q2 = np.where(pair, gk[..., 0], 0.0)
            n2 = pair * 1.0
            gk = 1.0
        term = gk * _g(p["IGW_TA"] * (th_l * ipi - p["TA"])) * np.cos(p["fac_AA"] * phi) ** p["exp_cos_AA"]
        q3, n3 = np.where(tri, term, 0.0), tri * 1.0
    elif t in ("pent_plan", "pent_plan_max"):
        ck = np.where(th_k <= p["TA"] * math.pi, 0.4, 0.8)
        gk = _g(p["IGW_TA"] * (th_k * ipi - ck))
        if t.endswith("_max"):
            q2 = np.where(pair, gk[..., 0], 0.0)
            n2 = pair * 1.0
            gk = 1.0
        cl = np.where(th_l <= p["TA"] * math.pi, 0.4, 0.8)
        term = gk * _g(p["IGW_TA"] * (th_l * ipi - cl)) * np.cos(phi) ** 2
        q3, n3 = np.where(tri, term, 0.0), tri * 1.0
    elif t in _PYR:
        q2 = np.where(pair, _g(p["IGW_EP"] * (thk * ipi - 0.5)), 0.0)
        n2 = pair * 1.0
        term = np.cos(p["fac_AA"] * phi) ** p["exp_cos_AA"] * _g(p["IGW_EP"] * (th_l * ipi - 0.5))
        q3, n3 = np.where(tri, term, 0.0), tri * 1.0
    elif t in ("sq_plan", "oct"):
        sp = pair & (thk >= p["min_SPP"])
        q2 = np.where(sp, p["w_SPP"] * _g(p["IGW_SPP"] * (thk * ipi - 1.0)), 0.0)
        n2 = sp * p["w_SPP"]
        ok = tri & (th_k < p["min_SPP"]) & (th_l < p["min_SPP"])
        term = np.cos(p["fac_AA"] * phi) ** p["exp_cos_AA"] * _g(p["IGW_EP"] * (th_l * ipi - 0.5))
        q3, n3 = np.where(ok, term, 0.0), ok * 1.0
    elif t in _BIPYR or t == "see_saw_rect":
        eq = pair & (thk < p["min_SPP"])
        if t == "hex_plan_max":
            ep_k = _g(p["IGW_TA"] * (np.abs(thk * ipi - 0.5) - p["TA"]))
            ep_l = _g(p["IGW_TA"] * (np.abs(th_l * ipi - 0.5) - p["TA"]))
        else:
            ep_k = _g(p["IGW_EP"] * (thk * ipi - 0.5))
            ep_l = _g(p["IGW_EP"] * (th_l * ipi - 0.5))
        q2 = np.where(eq, ep_k, 0.0)
        n2 = eq * 1.0
        # South pole contributions of l (need only the (j, k) frame)
        south = tri_sp & (th_l >= p["min_SPP"])
        q3 = np.where(south, _g(p["IGW_SPP"] * (th_l * ipi - 1.0)), 0.0)
        n3 = south * 1.0
        ok = tri & (th_l < p["min_SPP"]) & (th_k < p["min_SPP"])
        if t == "see_saw_rect":
            ok = ok & (phi < 0.75 * math.pi)
        term = np.cos(p["fac_AA"] * phi) ** p["exp_cos_AA"] * ep_l
        q3 = q3 + np.where(ok, term, 0.0)
        n3 = n3 + ok
    elif t in ("cuboct", "cuboct_max"):
        sp = pair & (thk >= p["min_SPP"])
        q2 = np.where(sp, p["w_SPP"] * _g(p["IGW_SPP"] * (thk * ipi - 1.0)), 0.0)
        n2 = sp * p["w_SPP"]
        base = tri & (th_l < p["min_SPP"]) & (p["lo"] < th_k) & (th_k < p["hi"])
        mid = base & (p["lo"] < th_l) & (th_l < p["hi"])
        low = base & (th_l < p["lo"])
        high = base & (th_l > p["hi"])
        az = _g(0.0556 * (np.cos(phi - 0.5 * math.pi) - 0.81649658))
        q3 = (
            np.where(mid, np.cos(phi) ** 2 * _g(p["igw_ep"] * (th_l * ipi - 0.5)), 0.0)
            + np.where(low, az * _g(p["igw_tri"] * (th_l * ipi - 1.0 / 3.0)), 0.0)
            + np.where(high, az * _g(p["igw_tri"] * (th_l * ipi - 2.0 / 3.0)), 0.0)
        )
        n3 = (mid | low | high) * 1.0
    elif t == "bcc":
        upper = pair & np.triu(np.ones(pair.shape[1:], dtype=bool), 1)[None]
        sp = upper & (thk >= p["min_SPP"])
        q2 = np.where(sp, p["w_SPP"] * _g(p["IGW_SPP"] * (thk * ipi - 1.0)), 0.0)
        ok = tri & upper[..., None] & (th_k < p["min_SPP"])
        fac = np.where(th_k > 0.5 * math.pi, 1.0, -1.0)
        x = (th_l - 0.5 * math.pi) / math.asin(1.0 / 3.0)
        term = fac * np.cos(3.0 * phi) * (1.0 / math.exp(-0.5)) * x * _g(x)
        total = q2.sum((1, 2)) + np.where(ok, term, 0.0).sum((1, 2, 3))
        denom = 0.5 * n * (6.0 + (n - 2.0) * (n - 3.0))
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(g.n > 3, total / denom, np.nan)
    else:
        raise ValueError(f"unknown order parameter type {t!r}")

    qjk = q2 + q3.sum(-1)
    njk = n2 + n3.sum(-1)
    if t in _SUM_TYPES:
        num, den = qjk.sum((1, 2)), njk.sum((1, 2))
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(den > _VERY_SMALL, num / np.where(den > _VERY_SMALL, den, 1.0), np.nan)
    # max types: maximum over (j, k) of the normalized contribution
    ratio = np.where(njk > _VERY_SMALL, qjk / np.where(njk > _VERY_SMALL, njk, 1.0), 0.0)
    ratio = np.where(pair, ratio, -np.inf)
    out = ratio.max((1, 2)) if ratio.size else np.full(M, np.nan)
    return np.where(g.n > 1, out, np.nan)


def order_parameters(vectors: np.ndarray, mask: np.ndarray, types: tuple[str, ...] = OP_TYPES) -> np.ndarray:
    """Order parameters of many motifs at once.

    vectors: [M, K, 3] float, centre -> neighbour vectors (Angstrom), padded; mask: [M, K] bool, True for real
    neighbours. Returns [M, len(types)] float64, NaN where the parameter is undefined (e.g. angles with < 2 neighbours).
    """
    vectors = np.asarray(vectors, dtype=np.float64)
    mask = np.asarray(mask, dtype=bool)
    out = np.zeros((vectors.shape[0], len(types)))
    # motifs are grouped by their number of neighbours so that the (j, k, l) arrays carry no padding
    size = mask.sum(1)
    for n in np.unique(size):
        rows = np.flatnonzero(size == n)
        order = np.argsort(~mask[rows], axis=1, kind="stable")[:, :n]  # real neighbours first
        v = np.take_along_axis(vectors[rows], order[..., None], axis=1)
        geo = _Geometry(v, np.ones((len(rows), int(n)), dtype=bool))
        out[rows] = np.stack([_op(t, geo) for t in types], axis=1)
    return out
