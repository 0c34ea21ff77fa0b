"""Idiomatic-Mesa reference implementation of the core clinician-level rules (speed baseline and cross-check)."""

from benchmarks.reference.model import ReferenceModel, core_scenario

__all__ = ["ReferenceModel", "core_scenario"]
