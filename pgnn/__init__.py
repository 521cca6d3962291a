"""pgnn: symmetry-group-equivariant graph neural networks for crystals.

Four model families trained and compared from one CLI on the same data:
CGCNN (crystal graphs), CHGCNN (crystal hypergraphs), O3 (e3nn tensor-field networks) and
PG (point-group-equivariant networks built on `pgnn.groups`).
"""

from __future__ import annotations

from pgnn.errors import PgnnError, StructureError, SymmetryError, TargetError  # noqa: F401
from pgnn.version import __version__  # noqa: F401


def load(run_dir_or_model_name: str):
    """Load a trained model (a run folder or the name of a shipped pretrained model) as a predictor.

    The predictor's `.predict(list_of_pymatgen_structures)` returns a list of `{target_name: numpy array}`,
    tensors in the Cartesian frame of each input structure; `.predict(structures, as_pymatgen=True)` gives
    pymatgen `ElasticTensor`, `PiezoTensor` or `SquareTensor` (dielectric) objects instead.
    """
    from pgnn.training.predictor import load_predictor

    return load_predictor(run_dir_or_model_name)
