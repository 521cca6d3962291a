"""Real spherical harmonics and their Wigner D-matrices, in numpy, for l = 0..8 (any l works).

Two component conventions:

- ``"e3nn"``: the component order and signs of ``e3nn.o3.spherical_harmonics`` (e3nn >= 0.5):
  the polar axis is y and m = -l..l runs over the azimuth in the (z, x) plane. Concretely the e3nn
  component m of degree l equals the standard real harmonic Y_lm evaluated at (X, Y, Z) = (z, x, y).
  For l = 1 this is (x, y, z). Checked against e3nn in ``tests/groups/test_subduction.py``.
- ``"z"``: standard real harmonics with polar axis z, m = -l..l, no Condon-Shortley phase
  (l = 2: xy, yz, 3z^2 - r^2, xz, x^2 - y^2). Used to build readable irrep bases.

Normalization: orthonormal on the sphere (e3nn's ``normalization="integral"``). The Wigner matrix
is defined by Y(g x) = D(g) Y(x) for a rotation g, so D is orthogonal and D(g h) = D(g) D(h).
For O(3) elements with parity p: D^{l,p}(g) = p^{[det g < 0]} D^l(det(g) g).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

__all__ = ["real_sh", "wigner_d", "o3_rep"]


def _sh_standard(l: int, X: np.ndarray, Y: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """Standard real solid harmonics r^l Y_lm (no Condon-Shortley phase), m = -l..l on the last axis."""
    r2 = X * X + Y * Y + Z * Z
    out = np.zeros(X.shape + (2 * l + 1,))
    # (X + iY)^m as real/imag parts
    cm, sm = np.ones_like(X), np.zeros_like(X)
    for m in range(0, l + 1):
        if m > 0:
            cm, sm = cm * X - sm * Y, cm * Y + sm * X
        # Q_l^m(Z, r2): P_l^m(cos t) = sin^m(t) * Q; recurrence in l at fixed m
        q_prev = np.zeros_like(X)
        q = np.full_like(X, float(_double_factorial(2 * m - 1)))
        for ll in range(m + 1, l + 1):
            q, q_prev = ((2 * ll - 1) * Z * q - (ll + m - 1) * r2 * q_prev) / (ll - m), q
        norm = np.sqrt((2 * l + 1) / (4 * np.pi) * _fact_ratio(l - m, l + m))
        if m == 0:
            out[..., l] = norm * q
        else:
            out[..., l + m] = np.sqrt(2.0) * norm * q * cm
            out[..., l - m] = np.sqrt(2.0) * norm * q * sm
    return out


def _double_factorial(n: int) -> int:
    return 1 if n <= 0 else n * _double_factorial(n - 2)


def _fact_ratio(a: int, b: int) -> float:
    """a! / b! for a <= b."""
    out = 1.0
    for k in range(a + 1, b + 1):
        out /= k
    return out


def real_sh(l: int, xyz: np.ndarray, convention: str = "e3nn") -> np.ndarray:
    """Real spherical harmonics of degree l at the directions ``xyz`` [..., 3] (normalized first).

    Returns [..., 2l+1], orthonormal on the unit sphere, in the given component convention.
    """
    v = np.asarray(xyz, dtype=np.float64)
    v = v / np.linalg.norm(v, axis=-1, keepdims=True)
    x, y, z = v[..., 0], v[..., 1], v[..., 2]
    if convention == "e3nn":
        return _sh_standard(l, z, x, y)
    if convention == "z":
        return _sh_standard(l, x, y, z)
    raise ValueError(f"unknown spherical-harmonic convention {convention!r}")


@lru_cache(maxsize=None)
def _sample(l: int, convention: str):
    """Fixed sample directions and the pseudo-inverse of the harmonics there (for fitting D)."""
    n = 4 * (2 * l + 1) + 8
    k = np.arange(n) + 0.5
    theta = np.arccos(1 - 2 * k / n)
    phi = np.pi * (1 + 5**0.5) * k
    pts = np.stack([np.sin(theta) * np.cos(phi), np.sin(theta) * np.sin(phi), np.cos(theta)], -1)
    Y = real_sh(l, pts, convention)  # [n, 2l+1]
    return pts, np.linalg.pinv(Y)  # pinv: [2l+1, n]


def wigner_d(l: int, rotations: np.ndarray, convention: str = "e3nn") -> np.ndarray:
    """D^l(g) for proper rotations ``rotations`` [N, 3, 3] -> [N, 2l+1, 2l+1], Y(g x) = D(g) Y(x)."""
    R = np.asarray(rotations, dtype=np.float64).reshape(-1, 3, 3)
    pts, pinv = _sample(l, convention)
    Yg = real_sh(l, np.einsum("gab,nb->gna", R, pts), convention)  # [N, n, 2l+1]
    # Yg[g, n, :] = D(g) @ Y(pts[n])  =>  Yg[g]^T = D(g) Y^T  =>  D = Yg^T pinv^T
    return np.einsum("gnm,kn->gmk", Yg, pinv)


def o3_rep(l: int, parity: int, elements: np.ndarray, convention: str = "e3nn") -> np.ndarray:
    """Matrices of the O(3) irrep (l, parity) for the O(3) elements [N, 3, 3] -> [N, 2l+1, 2l+1].

    parity is +1 (even) or -1 (odd); improper elements get the factor ``parity``.
    """
    g = np.asarray(elements, dtype=np.float64).reshape(-1, 3, 3)
    det = np.sign(np.linalg.det(g))
    D = wigner_d(l, g * det[:, None, None], convention)
    factor = np.where(det < 0, float(parity), 1.0)
    return D * factor[:, None, None]
