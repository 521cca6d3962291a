"""A tiny CGCNN config on ~24 bundled structures: seconds per fit."""

import pytest
import yaml


def tiny_config(cache_dir, **trainer) -> dict:
    return {
        "seed": 0,
        "data": {"dataset": "mp_binary_moduli_2025", "targets": ["log10_K_VRH"], "limit": 24,
                 "split": {"fractions": [0.6, 0.2, 0.2]}, "batch_size": 8, "cache_dir": str(cache_dir), "workers": 1},
        "model": {"name": "cgcnn", "hidden": 8, "num_layers": 1, "head_hidden": 16, "num_basis": 12},
        "optim": {"lr": 0.01},
        "trainer": {"max_epochs": 3, "enable_progress_bar": False, "enable_model_summary": False, **trainer},
    }


@pytest.fixture
def tiny_config_file(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(tiny_config(tmp_path / "cache")))
    return path
