"""Fuzz harnesses (atheris); each module is also a script (``python fuzz/run.py``, see README.md)."""
