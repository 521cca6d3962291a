"""`load_predictor(run_dir_or_model_name).predict(structures)`: a trained model as a plain Python object."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pgnn.errors import StructureError


class Predictor:
    """A trained model. targets: list of TargetSpec; units: {target: unit}; folder: where it was loaded from."""

    def __init__(self, module, config: dict, folder: Path):
        self.module = module.double()  # float64 inference: atom order moves answers by ~1e-12, not float32's ~1e-5
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

    def domain_problems(self, structures: list, sources: list[str] | None = None) -> list[tuple[int, str]]:
        """[(index, reason)] of the structures this model was not made for: a vacuum gap (slab, wire, molecule;
        `pgnn.structures.validate.vacuum_gaps`), or a crystal point group outside the model's training subset
        (its config's `data.point_groups`, e.g. pg-oh-* models are trained on m-3m crystals only)."""
        from pgnn.structures.point_groups import canonical_name
        from pgnn.structures.symmetry import analyze_symmetry
        from pgnn.structures.validate import vacuum_reason, validate_structure

        subset = self.config.get("data", {}).get("point_groups") or []
        wanted = {canonical_name(str(n)) for n in subset}
        out = []
        for i, s in enumerate(structures):
            src = sources[i] if sources else f"structure {i}"
            try:
                validate_structure(s, src, cutoff=None)
            except StructureError:
                continue  # unusable anyway: reported by the featurizer
            why = vacuum_reason(s)
            if why:
                out.append((i, why))
            if wanted:
                try:
                    pg = analyze_symmetry(s, source=src).point_group
                except StructureError:
                    continue  # reported by the featurizer
                if pg not in wanted:
                    out.append((i, f"point group {pg} is outside the model's training set (data.point_groups: "
                                   f"{', '.join(sorted(wanted))}); the prediction is an extrapolation"))
        return out

    def predict_graphs(self, graphs: list, batch_size: int = 64) -> list[dict[str, np.ndarray]]:
        """One {target: array} per graph (scalars as 0-d arrays, tensors [3, ..., 3] in the graph's frame)."""
        from pgnn.training.evaluation import predict_graphs

        pred = predict_graphs(self.module, graphs, batch_size)
        return [{name: np.asarray(v[i]) for name, v in pred.items()} for i in range(len(graphs))]

    def predict(self, structures: list, batch_size: int = 64, strict: bool = False,
                as_pymatgen: bool = False) -> list[dict]:
        """One {target: numpy array} per pymatgen Structure, in the frame of each input structure.

        as_pymatgen=True: tensors as pymatgen objects instead (ElasticTensor, PiezoTensor, SquareTensor for the
        dielectric; see `pgnn.tensors.pymatgen_tensors`), scalars as floats.
        Raises StructureError naming the first structure that cannot be turned into a graph. Structures the model
        was not made for (`domain_problems`) give a DomainWarning, or a StructureError with `strict=True`."""
        import warnings

        from pgnn.errors import DomainWarning

        structures = list(structures)
        for i, why in self.domain_problems(structures):
            src = f"structure {i} ({structures[i].composition.reduced_formula})"
            if strict:
                raise StructureError(src, why)
            warnings.warn(f"{src}: {why}", DomainWarning, stacklevel=2)
        graphs, skipped = self.graphs(structures)
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
    if getattr(type(module.model), "task", None) == "hamiltonian":
        from pgnn.training.hamiltonian_predictor import HamiltonianPredictor

        return HamiltonianPredictor(module, config, folder)
    return Predictor(module, config, folder)
