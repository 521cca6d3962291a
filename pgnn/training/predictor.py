"""`load_predictor(run_dir_or_model_name).predict(structures)`: a trained model as a plain Python object."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pgnn.errors import StructureError


class Predictor:
    """A trained model. targets: list of TargetSpec; units: {target: unit}; folder: where it was loaded from."""

    def __init__(self, module, config: dict, folder: Path):
        self.module = module
        self.config = config
        self.folder = folder
        self.targets = module.targets
        self.units = {t.name: t.unit for t in self.targets}
        model_cls = type(module.model)
        self.graph_kind = model_cls.graph_kind
        self.graph_options = model_cls.graph_options(config["model"])

    def graphs(self, structures: list, sources: list[str] | None = None, progress: bool = False):
        """(graphs, skipped) of pymatgen structures; graphs[i] is None where structures[i] is unusable."""
        from pgnn.data.featurize import featurize

        sources = sources or [f"structure {i} ({s.composition.reduced_formula})" for i, s in enumerate(structures)]
        return featurize(structures, self.graph_kind, self.graph_options, sources=sources, workers=1,
                         progress=progress)

    def predict_graphs(self, graphs: list, batch_size: int = 64) -> list[dict[str, np.ndarray]]:
        """One {target: array} per graph (scalars as 0-d arrays, tensors [3, ..., 3] in the graph's frame)."""
        from pgnn.training.evaluation import predict_graphs

        pred = predict_graphs(self.module, graphs, batch_size)
        return [{name: np.asarray(v[i]) for name, v in pred.items()} for i in range(len(graphs))]

    def predict(self, structures: list, batch_size: int = 64, as_pymatgen: bool = False) -> list[dict]:
        """One {target: numpy array} per pymatgen Structure, in the frame of each input structure.

        as_pymatgen=True: tensors as pymatgen objects instead (ElasticTensor, PiezoTensor, SquareTensor for the
        dielectric; see `pgnn.tensors.pymatgen_tensors`), scalars as floats.
        Raises StructureError naming the first structure that cannot be turned into a graph."""
        graphs, skipped = self.graphs(list(structures))
        if skipped:
            raise StructureError(*skipped[0])
        preds = self.predict_graphs(graphs, batch_size)
        if as_pymatgen:
            from pgnn.tensors.pymatgen_tensors import to_pymatgen

            kinds = {t.name: t.kind for t in self.targets}
            preds = [{k: float(v) if kinds[k] == "scalar" else to_pymatgen(v, kinds[k]) for k, v in p.items()}
                     for p in preds]
        return preds


def load_predictor(run_dir_or_model_name: str | Path) -> Predictor:
    """Predictor of a run folder (its best checkpoint) or a shipped pretrained model by name (see `pgnn models`)."""
    from pgnn.training.runs import load_module

    module, config, folder = load_module(run_dir_or_model_name)
    return Predictor(module, config, folder)
