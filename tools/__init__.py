"""Maintenance tools run from the repository root (``python -m tools.NAME``): training recipes, byte checks."""
