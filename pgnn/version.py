"""The package version (kept apart from pgnn/__init__.py so that lower layers can read it without importing the
package entry point, which reaches up to training)."""

__version__ = "0.1.0"
