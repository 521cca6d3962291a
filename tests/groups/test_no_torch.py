"""pgnn.groups is pure numpy: importing and using it must not import torch."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_groups_do_not_import_torch():
    code = (
        "import sys\n"
        "from pgnn.groups import point_group\n"
        "from pgnn.groups.matching import match_point_group\n"
        "G = point_group('Oh'); G.coupling('T1u', 'T1u', 'T2g'); G.subduce(2, 'even'); G.tensor_basis('elastic')\n"
        "match_point_group(point_group('D6h').elements)\n"
        "assert 'torch' not in sys.modules and 'e3nn' not in sys.modules, 'torch imported'\n"
    )
    env = {"PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"}
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
