"""Voigt <-> full Cartesian form of the material tensors, for numpy arrays and (batched) torch tensors.

Voigt index of a symmetric index pair: xx->1, yy->2, zz->3, yz->4, xz->5, xy->6 (0-based 0..5 here).

- dielectric eps_ij: the "Voigt" form is the symmetric 3x3 matrix itself (9 reported components).
- piezoelectric e_ijk = e_ikj (stress-charge form, C/m^2): Voigt e_{i,a} = e_{i,jk} with a = voigt(jk), 3x6.
  NO factor 2 on the shear columns: the shear columns of e hold e_{i,yz} etc. themselves (the factor 2 of engineering
  shear strain goes into the strain, not into e).
- elastic C_ijkl (ij, kl and pair symmetry, GPa): Voigt C_{ab} = C_{ijkl} with a = voigt(ij), b = voigt(kl), 6x6,
  no factors (stress = C : strain with engineering shear strain in the Voigt convention).

Every function takes `[..., *shape]` and keeps the leading (batch) axes. Full -> Voigt first projects onto the
tensors with the kind's index symmetry (average over equivalent entries), so it is a left inverse of Voigt -> full
and the closest symmetric tensor for slightly asymmetric input.
"""

from __future__ import annotations

import itertools

import numpy as np

from pgnn.tensors._backend import as_index, permute_last
from pgnn.tensors.kinds import TensorKind, tensor_kind

VOIGT_PAIRS: tuple[tuple[int, int], ...] = ((0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1))
"""Cartesian index pair of each Voigt index 0..5 (xx, yy, zz, yz, xz, xy)."""

VOIGT_INDEX = np.array([[0, 5, 4], [5, 1, 3], [4, 3, 2]])
"""[3, 3] Voigt index 0..5 of a Cartesian index pair (i, j)."""

_PERMS = {
    2: [(0, 1), (1, 0)],
    3: [(0, 1, 2), (0, 2, 1)],
    4: [(0, 1, 2, 3), (1, 0, 2, 3), (0, 1, 3, 2), (1, 0, 3, 2),
        (2, 3, 0, 1), (3, 2, 0, 1), (2, 3, 1, 0), (3, 2, 1, 0)],
}


def symmetrize(t, kind: str | TensorKind):
    """Project a Cartesian tensor [..., 3,..,3] onto the kind's index symmetry (mean over the index permutations)."""
    k = tensor_kind(kind)
    out = 0
    perms = _PERMS[k.rank]
    for p in perms:
        out = out + permute_last(t, p)
    return out / len(perms)


def _full_index(k: TensorKind) -> tuple[np.ndarray, np.ndarray]:
    """Row and column index of the Voigt matrix for each Cartesian entry, each of shape (3,)*rank."""
    grids = np.meshgrid(*([np.arange(3)] * k.rank), indexing="ij")
    if k.name == "dielectric":
        return grids[0], grids[1]
    if k.name == "piezoelectric":
        return grids[0], VOIGT_INDEX[grids[1], grids[2]]
    return VOIGT_INDEX[grids[0], grids[1]], VOIGT_INDEX[grids[2], grids[3]]


def voigt_to_full(v, kind: str | TensorKind):
    """Voigt matrix [..., 3,3 | 3,6 | 6,6] -> full Cartesian tensor [..., (3,)*rank] (same backend and dtype).

    Dielectric input is symmetrized ((v + v^T) / 2); piezo and elastic read the Voigt entry of each index tuple, so
    an elastic Voigt matrix that is not symmetric gives C_ijkl != C_klij (symmetrize afterwards if needed).
    """
    k = tensor_kind(kind)
    if tuple(v.shape[-2:]) != k.voigt_shape:
        raise ValueError(f"{k.name}: expected Voigt shape [..., {k.voigt_shape[0]}, {k.voigt_shape[1]}], got {tuple(v.shape)}")
    if k.name == "dielectric":
        return symmetrize(v, k)
    r, c = _full_index(k)
    return v[..., as_index(r, v), as_index(c, v)]


def full_to_voigt(t, kind: str | TensorKind, project: bool = True):
    """Full Cartesian tensor [..., (3,)*rank] -> Voigt matrix [..., 3,3 | 3,6 | 6,6].

    project=True (default) averages over symmetry-equivalent entries first (elastic: also over the pair symmetry).
    """
    k = tensor_kind(kind)
    if tuple(t.shape[-k.rank:]) != k.cartesian_shape:
        raise ValueError(f"{k.name}: expected Cartesian shape [..., {', '.join(['3'] * k.rank)}], got {tuple(t.shape)}")
    if project:
        t = symmetrize(t, k)
    if k.name == "dielectric":
        return t
    if k.name == "piezoelectric":
        i = np.repeat(np.arange(3), 6).reshape(3, 6)
        jk = np.array(VOIGT_PAIRS)
        j = np.broadcast_to(jk[:, 0], (3, 6))
        kk = np.broadcast_to(jk[:, 1], (3, 6))
        return t[..., as_index(i, t), as_index(j, t), as_index(kk, t)]
    a = np.array(VOIGT_PAIRS)
    i = np.broadcast_to(a[:, 0][:, None], (6, 6))
    j = np.broadcast_to(a[:, 1][:, None], (6, 6))
    kk = np.broadcast_to(a[:, 0][None, :], (6, 6))
    ll = np.broadcast_to(a[:, 1][None, :], (6, 6))
    return t[..., as_index(i, t), as_index(j, t), as_index(kk, t), as_index(ll, t)]


def independent_components(kind: str | TensorKind) -> tuple[tuple[int, int], ...]:
    """(row, col) positions in the Voigt matrix of the independent components.

    dielectric: upper triangle of 3x3 (6); piezoelectric: all of 3x6 (18); elastic: upper triangle of 6x6 (21).
    """
    k = tensor_kind(kind)
    if k.name == "piezoelectric":
        return tuple(itertools.product(range(3), range(6)))
    n = k.voigt_shape[0]
    return tuple((a, b) for a in range(n) for b in range(a, n))


def voigt_to_independent(v, kind: str | TensorKind):
    """Voigt matrix [..., *voigt_shape] -> independent components [..., n_independent] (upper triangle read)."""
    pos = np.array(independent_components(kind))
    return v[..., as_index(pos[:, 0], v), as_index(pos[:, 1], v)]


def independent_to_voigt(x, kind: str | TensorKind):
    """Independent components [..., n_independent] -> Voigt matrix [..., *voigt_shape] (symmetric where it must be)."""
    k = tensor_kind(kind)
    pos = np.array(independent_components(k))
    rows, cols = k.voigt_shape
    idx = np.full((rows, cols), -1)
    for n, (a, b) in enumerate(pos):
        idx[a, b] = n
        if k.name != "piezoelectric":
            idx[b, a] = n
    return x[..., as_index(idx, x)]


def voigt_labels(kind: str | TensorKind) -> list[list[str]]:
    """Names of the Voigt matrix components, 1-based: C11..C66, e11..e36, eps11..eps33."""
    k = tensor_kind(kind)
    prefix = {"dielectric": "eps", "piezoelectric": "e", "elastic": "C"}[k.name]
    rows, cols = k.voigt_shape
    return [[f"{prefix}{a + 1}{b + 1}" for b in range(cols)] for a in range(rows)]
