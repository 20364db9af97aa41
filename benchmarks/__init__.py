"""Benchmarks of backprop-lab against micrograd: `python -m benchmarks.run` (see `run.py`)."""
