"""Report figures as jobs: the helper process draws the same PNG files this process would, and a failed helper changes nothing."""

from __future__ import annotations

import sys

import pytest

from experiments.sensitivity import analyse, figures, make_design, spec_from_dict
from experiments.testfunctions import noisy_linear
from tests.experiments.test_sens_analysis import table

SPEC = {"name": "t", "model": "experiments.testfunctions:noisy_linear", "parameters": ["x1", "x2", "x3"],
        "sampler": {"name": "sobol", "N": 64}, "methods": ["sobol"], "seed": 3, "outcomes": ["y"],
        "statistics": ["mean", "std"], "replicates": 2, "bootstrap": {"resamples": 20}}  # fmt: skip


@pytest.fixture(scope="module")
def tables():
    spec = spec_from_dict(SPEC)
    design = make_design(spec)
    a = analyse(spec, design, table(spec, design, fn=noisy_linear))
    return {"indices": a.indices, "convergence": a.convergence, "noise": a.noise}


def test_jobs_name_every_figure(tables):
    stems = [stem for stem, _, _ in figures.jobs(tables["indices"], tables["convergence"], tables["noise"])]
    assert stems == ["sens_indices_sobol_y_mean", "sens_indices_sobol_y_std", "sens_convergence_sobol_y_mean",
                     "sens_convergence_sobol_y_std", "sens_noise_design"]  # fmt: skip
    assert figures.expected_figures(spec_from_dict(SPEC)) >= len(stems)


def test_helper_draws_the_files_this_process_draws(tables, tmp_path):
    todo = figures.jobs(tables["indices"], tables["convergence"], tables["noise"])
    here, there = tmp_path / "here", tmp_path / "there"
    here.mkdir(), there.mkdir()
    figures.draw(todo, tables, here)
    helper = figures.Helper()
    try:
        helper.send(todo[1::2], tables, there)
        figures.draw(todo[0::2], tables, there)
        files = helper.finish(tables, there)
    finally:
        helper.close()
    assert [p.name for p in files] == [f"{stem}.png" for stem, _, _ in todo[1::2]]
    for stem, _, _ in todo:
        a, b = (here / f"{stem}.png").read_bytes(), (there / f"{stem}.png").read_bytes()
        assert a[:8] == b"\x89PNG\r\n\x1a\n" and a == b, stem


def test_failed_helper_is_replaced_by_drawing_here(tables, tmp_path, monkeypatch):
    todo = figures.jobs(tables["indices"], tables["convergence"], tables["noise"])
    monkeypatch.setattr(sys, "executable", "/bin/false")  # starts, reads nothing, exits 1
    helper = figures.Helper()
    helper.send(todo, tables, tmp_path)
    with pytest.warns(UserWarning, match="figure helper process failed"):
        files = helper.finish(tables, tmp_path)
    helper.close()
    assert [p.name for p in files] == [f"{stem}.png" for stem, _, _ in todo] and all(p.exists() for p in files)


def test_few_figures_need_no_helper():
    assert figures.start_helper(figures.MIN_FIGURES - 1) is None
    helper = figures.start_helper(figures.MIN_FIGURES)
    assert helper is not None
    helper.close()  # never sent anything: stopped, pipes closed
    assert helper._proc.poll() is not None
