"""Benchmarks: `make bench` runs benchmarks/run_benchmarks.py (results in benchmarks/results.md)."""
