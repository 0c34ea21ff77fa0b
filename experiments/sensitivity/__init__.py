"""Global sensitivity analysis of a stochastic model with SALib (docs/SENSITIVITY.md).

A spec (YAML, e.g. the shipped ``experiments/specs/sensitivity/``, or built in code) names the parameters and bounds (default:
the parameter schema's ranges), a SALib sampler and methods, replicates per sample point, a master
seed and the outcomes. Runs go through the experiment machinery (``experiments.api``); analysis reads
the stored results back in sample order, summarises replicates per point, and reports indices with
bootstrap CIs, the noise/design split of variance and a convergence check.

>>> from experiments import sensitivity as sa                            # doctest: +SKIP
>>> spec = sa.load_spec("experiments/specs/sensitivity/p2_efast.yaml")            # doctest: +SKIP
>>> sa.run(spec, "results/p2-efast", executor=2)                         # doctest: +SKIP
>>> stored, analysis = sa.analyse_dir("results/p2-efast")                # doctest: +SKIP
>>> analysis.indices.query("index == 'ST'")                              # doctest: +SKIP
>>> sa.report("results/p2-efast")          # tables and PNGs in results/p2-efast/analysis

Modules: ``spec`` (schema, validation), ``design`` (SALib samples, convergence subsets),
``analysis`` (tables from plain DataFrames), ``sobol_indices`` (SALib's Sobol estimator, vectorized),
``plots``, ``writer`` (files), ``pipeline`` (run, load, report).
"""

from __future__ import annotations

from experiments.sensitivity.analysis import Analysis, analyse, noise_split, order_results
from experiments.sensitivity.design import Design, make_design
from experiments.sensitivity.pipeline import Stored, analyse_dir, load, report, run
from experiments.sensitivity.spec import SensitivitySpec, SpecError, load_spec, spec_from_dict

__all__ = [
    "Analysis", "Design", "SensitivitySpec", "SpecError", "Stored", "analyse", "analyse_dir", "build_spec",
    "load", "load_spec", "make_design", "noise_split", "order_results", "report", "run", "spec_from_dict",
]  # fmt: skip


def build_spec(**fields) -> SensitivitySpec:
    """A spec from keyword fields, validated like a file (``build_spec(name="x", model=..., ...)``)."""
    return spec_from_dict(fields, "<python>")
