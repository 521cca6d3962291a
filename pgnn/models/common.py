"""Options shared by the model families, declared once: one name, one meaning, one default per kind of model.

Common names: `cutoff` (neighbour radius, Angstrom), `max_neighbors` (count cap, None = all within the cutoff),
`num_layers` (interaction layers), `num_basis` (radial basis functions of the edge length), `hidden` (node
features of the interaction layers: a width for the invariant families, an irreps layout for the equivariant
ones), `atom_embedding`.

Cutoff defaults (the values the shipped models were trained with, `pgnn/pretrained/*/config.yaml`):
invariant families (cgcnn, chgcnn) 8 A with 12 neighbours, as CGCNN (Xie & Grossman 2018); equivariant families
(o3, pgnet) 4.5 A with complete neighbour shells, which keeps symmetric crystals symmetric in the graph.
"""

from __future__ import annotations

from pgnn.schema import Option, opt

INVARIANT_CUTOFF = 8.0  # Angstrom
EQUIVARIANT_CUTOFF = 4.5  # Angstrom
ATOM_EMBEDDINGS = ("learned", "engineered", "both")


def cutoff(default: float) -> Option:
    return opt(default, gt=0.0, doc="neighbour cutoff radius (Angstrom)")


def max_neighbors(default: int | None) -> Option:
    return opt(default, int, nullable=True, min=1, doc="at most this many neighbours per atom (null: all)")


def num_layers(default: int) -> Option:
    return opt(default, min=1, doc="interaction layers")


def num_basis(default: int) -> Option:
    return opt(default, min=1, doc="radial basis functions of the edge length")


def atom_embedding(default: str) -> Option:
    return opt(default, choices=ATOM_EMBEDDINGS, doc="learned table | engineered element features | both")
