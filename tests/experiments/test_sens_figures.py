"""Report figures as jobs: the helper process draws the same PNG files this process would, and a failed helper changes nothing."""

from __future__ import annotations

import json
import sys
import time

import pytest

from experiments.sensitivity import analyse, figures, make_design, spec_from_dict
from experiments.testfunctions import noisy_linear
from tests.experiments.test_sens_analysis import table

SPEC = {"name": "t", "model": "experiments.testfunctions:noisy_linear", "parameters": ["x1", "x2", "x3"],
        "sampler": {"name": "sobol", "N": 64}, "methods": ["sobol"], "seed": 3, "outcomes": ["y"],
        "statistics": ["mean", "std"], "replicates": 2, "bootstrap": {"resamples": 20}}  # fmt: skip
STEMS = ["sens_indices_sobol_y_mean", "sens_indices_sobol_y_std", "sens_convergence_sobol_y_mean",
         "sens_convergence_sobol_y_std", "sens_noise_design"]  # fmt: skip


@pytest.fixture(scope="module")
def analysis():
    spec = spec_from_dict(SPEC)
    design = make_design(spec)
    return analyse(spec, design, table(spec, design, fn=noisy_linear))


def _all(figs, a, folder):
    figs.add_indices(a.indices, a.convergence)
    figs.add_noise(a.noise)
    return figs.finish(folder)


def test_jobs_name_every_figure(analysis, tmp_path):
    assert [stem for stem, _, _ in figures.jobs(analysis.indices, analysis.convergence, analysis.noise)] == STEMS
    assert figures.expected_figures(tmp_path) == 0  # no manifest: no helper
    (tmp_path / "manifest.json").write_text(json.dumps({"extra": {"sensitivity": spec_from_dict(SPEC).to_dict()}}))
    assert figures.expected_figures(tmp_path) == len(STEMS)


def test_helper_draws_the_files_this_process_draws(analysis, tmp_path):
    here, there = tmp_path / "here", tmp_path / "there"
    here.mkdir(), there.mkdir()
    with figures.Figures() as alone:
        assert alone._proc is None
        _all(alone, analysis, here)
    with figures.Figures(figures.MIN_FIGURES) as figs:
        figs.add_indices(analysis.indices, analysis.convergence)
        deadline = time.monotonic() + 120
        while not figs._done and time.monotonic() < deadline:  # only the helper draws before finish()
            time.sleep(0.05)
        assert figs._done, "the helper drew nothing"
        figs.add_noise(analysis.noise)
        files = figs.finish(there)
        stage = figs._stage
    assert not stage.exists() and figs._proc.poll() is not None  # staging removed, helper stopped
    assert [p.name for p in files] == [f"{s}.png" for s in STEMS]
    for stem in STEMS:
        a, b = (here / f"{stem}.png").read_bytes(), (there / f"{stem}.png").read_bytes()
        assert a[:8] == b"\x89PNG\r\n\x1a\n" and a == b, stem


def test_failed_helper_is_replaced_by_drawing_here(analysis, tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "executable", "/bin/false")  # starts, reads nothing, exits 1
    with figures.Figures(figures.MIN_FIGURES) as figs:
        assert figs._proc is not None
        with pytest.warns(UserWarning, match="figure helper process failed"):
            files = _all(figs, analysis, tmp_path)
    assert [p.name for p in files] == [f"{s}.png" for s in STEMS] and all(p.exists() for p in files)


def test_few_figures_start_no_helper():
    with figures.Figures(figures.MIN_FIGURES - 1) as figs:
        assert figs._proc is None
