"""Issue items 1-3: untrusted run folders, graph caches and records files never run code; --out never follows
a planted link. Each poisoned file would run `touch <marker>` if loaded unsafely (checked on the unsafe path)."""

from __future__ import annotations

import json
import pickle
import sys

import pytest
import torch
from typer.testing import CliRunner

from pgnn.cli import app
from pgnn.errors import PgnnError, StructureError
from pgnn.safe_load import UnsafeFileError

from .conftest import Poison, run_cli


def _poison_run_folder(copy_model, marker):
    run = copy_model("cgcnn-log-kvrh")
    (run / "weights.pt.xz").unlink()  # a run folder: config.yaml + checkpoints/
    (run / "checkpoints").mkdir()
    torch.save({"state_dict": Poison(marker), "epoch": 1}, run / "checkpoints" / "best.ckpt")
    return run


def test_the_poison_is_real(tmp_path, marker):
    path = tmp_path / "p.ckpt"
    torch.save({"state_dict": Poison(marker)}, path)
    torch.load(path, weights_only=False)  # what runs.py did before
    assert marker.exists()


def test_poisoned_checkpoint_is_refused(copy_model, marker):
    from pgnn.training.predictor import load_predictor

    run = _poison_run_folder(copy_model, marker)
    with pytest.raises(UnsafeFileError, match=r"best\.ckpt: refused to load"):
        load_predictor(run)
    assert not marker.exists()


def test_poisoned_checkpoint_cli_exit_2(copy_model, marker, nacl_cif):
    run = _poison_run_folder(copy_model, marker)
    rc, out, err = run_cli("predict", run, nacl_cif, "--json")
    assert rc == 2, err[-2000:]
    assert "best.ckpt: refused to load" in err and "Traceback" not in err
    assert out == "" and not marker.exists()


def test_poisoned_checkpoint_is_refused_on_resume(tmp_path, marker):
    import yaml

    from .conftest import invoke, tiny_config

    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "config.yaml").write_text(yaml.safe_dump(tiny_config(tmp_path / "cache")))
    torch.save({"state_dict": {}, "loops": Poison(marker)}, run / "checkpoints" / "last.ckpt")
    code, out, exc = invoke("fit", "--resume", run)
    assert isinstance(exc, UnsafeFileError) and "last.ckpt: refused to load" in str(exc)
    assert not marker.exists()


def test_poisoned_graph_cache_is_refused(tmp_path, marker, nacl_cif):
    from pymatgen.core import Structure

    from pgnn.data.featurize import featurize

    s = Structure.from_file(nacl_cif)
    cache = tmp_path / "cache"
    graphs, _ = featurize([s], "crystal_graph", {"cutoff": 6.0}, cache_dir=cache, workers=1, progress=False)
    assert graphs[0] is not None
    (folder,) = list(cache.iterdir())
    chunks = list(folder.glob("chunk-*.pt"))
    assert len(chunks) == 1
    # a second run reads the (plain) cache with weights_only=True
    again, _ = featurize([s], "crystal_graph", {"cutoff": 6.0}, cache_dir=cache, workers=1, progress=False)
    assert torch.equal(again[0].edge_index, graphs[0].edge_index)
    torch.save({"x": Poison(marker)}, folder / "chunk-0000evil.pt")
    with pytest.raises(UnsafeFileError, match=r"chunk-0000evil\.pt: refused to load"):
        featurize([s], "crystal_graph", {"cutoff": 6.0}, cache_dir=cache, workers=1, progress=False)
    assert not marker.exists()


def test_damaged_cache_chunk_is_rebuilt(tmp_path, nacl_cif):
    from pymatgen.core import Structure

    from pgnn.data.featurize import featurize

    s = Structure.from_file(nacl_cif)
    cache = tmp_path / "cache"
    featurize([s], "crystal_graph", {}, cache_dir=cache, workers=1, progress=False)
    (folder,) = list(cache.iterdir())
    (chunk,) = list(folder.glob("chunk-*.pt"))
    chunk.write_bytes(chunk.read_bytes()[:50])
    graphs, skipped = featurize([s], "crystal_graph", {}, cache_dir=cache, workers=1, progress=False)
    assert graphs[0] is not None and not skipped


def _evil_module(tmp_path, marker):
    """A module that, when imported, writes the marker and prints to stdout (what monty's decoder would do)."""
    mod = tmp_path / "evilmod_pgnn_test.py"
    mod.write_text(f"import pathlib\npathlib.Path({str(marker)!r}).touch()\nprint('EVIL OUTPUT')\n"
                   "class X:\n    @classmethod\n    def from_dict(cls, d):\n        return 1.0\n")
    return mod


def _poisoned_records(tmp_path, nacl_cif):
    from pymatgen.core import Structure

    d = Structure.from_file(nacl_cif).as_dict()
    d["sites"][0]["properties"] = {"magmom": {"@module": "evilmod_pgnn_test", "@class": "X"}}
    path = tmp_path / "records.json"
    path.write_text(json.dumps([{"id": "evil-1", "structure": d}]))
    return path, d


def test_the_records_poison_is_real(tmp_path, marker, nacl_cif, monkeypatch):
    from pymatgen.core import Structure

    _evil_module(tmp_path, marker)
    monkeypatch.syspath_prepend(str(tmp_path))
    _, d = _poisoned_records(tmp_path, nacl_cif)
    Structure.from_dict(json.loads(json.dumps(d)))  # pymatgen's decoder imports the module
    assert marker.exists()
    sys.modules.pop("evilmod_pgnn_test", None)


def test_records_with_foreign_module_are_refused(tmp_path, marker, nacl_cif, monkeypatch):
    from pgnn.structures.readers import read_entries

    _evil_module(tmp_path, marker)
    monkeypatch.syspath_prepend(str(tmp_path))
    path, d = _poisoned_records(tmp_path, nacl_cif)
    entries, skipped = read_entries(path)
    assert entries == [] and len(skipped) == 1
    assert skipped[0][0].endswith("#evil-1") and "refused object evilmod_pgnn_test.X" in skipped[0][1]
    # one Structure JSON file, and the class name at top level
    one = tmp_path / "one.json"
    one.write_text(json.dumps(d))
    with pytest.raises(StructureError, match="refused object"):
        from pgnn.structures.files import read_structure_file

        read_structure_file(one)
    assert not marker.exists() and "evilmod_pgnn_test" not in sys.modules


def test_records_poison_cli(tmp_path, marker, nacl_cif):
    _evil_module(tmp_path, marker)
    path, _ = _poisoned_records(tmp_path, nacl_cif)
    rc, out, err = run_cli("predict", "cgcnn-log-kvrh", path, "--json", env={"PYTHONPATH": f"{tmp_path}:"
                                                                             f"{__import__('pgnn').__path__[0]}/.."})
    assert rc == 2 and "refused object evilmod_pgnn_test.X" in err, err[-2000:]
    assert "EVIL" not in out and json.loads(out) == [] and not marker.exists()


@pytest.mark.parametrize("name", ["x.json.bz2", "x.mson", "x.yaml"])
def test_monty_decoded_file_names_are_refused(tmp_path, name):
    from pgnn.structures.files import read_structure_file

    path = tmp_path / name
    path.write_text("{}")
    with pytest.raises(StructureError, match="unsupported file type"):
        read_structure_file(path)


def _predict_out(out_path, nacl_cif):
    return CliRunner().invoke(app, ["predict", "cgcnn-log-kvrh", str(nacl_cif), "--out", str(out_path)])


def test_out_does_not_follow_a_planted_tmp_link(tmp_path, nacl_cif):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    (tmp_path / "o.json.tmp").symlink_to(victim)
    res = _predict_out(tmp_path / "o.json", nacl_cif)
    assert res.exit_code == 0, res.output
    assert victim.read_text() == "precious\n"
    assert json.loads((tmp_path / "o.json").read_text())[0]["id"] == "nacl"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no stray temp file


def test_out_replaces_a_link_not_its_target(tmp_path, nacl_cif):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    (tmp_path / "o.json").symlink_to(victim)
    res = _predict_out(tmp_path / "o.json", nacl_cif)
    assert res.exit_code == 0, res.output
    assert victim.read_text() == "precious\n" and not (tmp_path / "o.json").is_symlink()


def test_atomic_write_leaves_old_file_on_error(tmp_path):
    from pgnn.atomic import atomic_open

    target = tmp_path / "m.json"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_open(target) as fh:
            fh.write("half")
            raise RuntimeError("killed")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["m.json"]


def test_pickle_is_not_used_by_pgnn():
    """No pgnn module imports pickle for loading, or calls torch.load with weights_only=False."""
    from pathlib import Path

    root = Path(__import__("pgnn").__file__).parent
    for path in root.rglob("*.py"):
        text = path.read_text()
        assert "weights_only=False" not in text, path
        assert "pickle.load" not in text and "MontyDecoder(" not in text and "cls=MontyDecoder" not in text, path
        assert "Structure.from_dict(" not in text, path  # structure dicts go through structures/decode.py
    assert pickle  # imported above only to build poisoned files
