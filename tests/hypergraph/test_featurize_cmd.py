"""`pgnn featurize`: builds hypergraphs into the cache, reports counts and skipped entries with reasons."""

import gzip
import json

from pymatgen.core import Lattice, Structure
from typer.testing import CliRunner

from tests.hypergraph.conftest import cscl, rocksalt


def test_featurize_summary(tmp_path):
    from pgnn.cli import app

    lonely = Structure(Lattice.cubic(12.0), ["Na"], [[0, 0, 0]])
    recs = [{"id": "rs", "structure": rocksalt().as_dict()}, {"id": "cscl", "structure": cscl().as_dict()},
            {"id": "lonely", "structure": lonely.as_dict()}, {"id": "broken", "structure": {"nope": 1}}]
    path = tmp_path / "recs.json.gz"
    with gzip.open(path, "wt") as fh:
        json.dump(recs, fh)
    out = tmp_path / "graphs"
    res = CliRunner().invoke(app, ["featurize", str(path), "--hyperedges", "bond,motif", "--out", str(out),
                                   "--workers", "1", "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.output[res.output.index("{"):])
    assert summary["structures"] == 4 and summary["featurized"] == 2
    # whole shells: rocksalt 6 + 12 bonds per atom, CsCl 8 + 6
    assert summary["hyperedges"] == {"bond": 8 * 18 + 2 * 14, "motif": 8 + 2}
    reasons = {s["source"].rsplit("#", 1)[-1]: s["reason"] for s in summary["skipped"]}
    assert "no neighbour within the cutoff" in reasons["lonely"] and "broken" in reasons
    assert list(out.glob("hypergraph-*/chunk-*.pt"))
