"""Rotation (any O(3) matrix, inversions included) of Cartesian tensors of any rank."""

from __future__ import annotations

from pgnn.tensors._backend import einsum

_LETTERS = "abcdefgh"
_NEW = "ijklmnop"


def rotate(t, R, rank: int | None = None):
    """T'_{i1..ir} = R_{i1 a1} ... R_{ir ar} T_{a1..ar}: the tensor of the same material in the frame x' = R x.

    t: [..., (3,)*rank] Cartesian tensor (numpy or torch). R: [3, 3] or [..., 3, 3] (same leading axes as t).
    rank: the tensor rank; by default t.ndim - R.ndim + 2 (t and R share their leading axes). With a single
    R [3, 3] and batched t, pass rank. Polar tensors (all material tensors here) rotate with R itself, so an
    inversion R = -I flips the sign of odd-rank tensors (e.g. the piezoelectric tensor).
    """
    if rank is None:
        rank = t.ndim - R.ndim + 2
    if not 0 <= rank <= len(_NEW):
        raise ValueError(f"unsupported rank {rank}")
    if rank == 0:
        return t
    old, new = _LETTERS[:rank], _NEW[:rank]
    if R.ndim == 2:
        eq = ",".join(f"{n}{o}" for n, o in zip(new, old)) + f",...{old}->...{new}"
    else:
        eq = ",".join(f"...{n}{o}" for n, o in zip(new, old)) + f",...{old}->...{new}"
    return einsum(eq, *([R] * rank), t)
