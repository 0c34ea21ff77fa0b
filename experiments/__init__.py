"""Batch experiments over the model: spec, design, execution, crash-safe storage and analysis.

The public entry points are in :mod:`experiments.api`; the results directory layout is described in
docs/RESULTS-FORMAT.md. Importing this package imports nothing heavy.
"""
