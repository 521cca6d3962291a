"""Training and inference: `fit(config)` (Lightning), `PgnnModule`, evaluation, run folders, `load_predictor`."""
