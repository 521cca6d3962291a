"""Datasets (bundled or user files), targets, the split by id, and cached parallel featurization."""
