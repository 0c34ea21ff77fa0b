"""The whole pipeline (spec file, executor, storage, analysis) against functions with known answers."""

from __future__ import annotations

import os
from concurrent.futures import Executor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from experiments.executors import ExecutorHandle, make_executor
from experiments.sensitivity import analyse, analyse_dir, load, report, run
from experiments.spec import LocalExecutor
from experiments.testfunctions import ishigami_indices, ishigami_morris_mu_star, noisy_linear_truth

ISHIGAMI = {
    "name": "ishigami", "model": "experiments.testfunctions:ishigami", "parameters": ["x1", "x2", "x3"],
    "sampler": {"name": "sobol", "N": 1024}, "methods": ["sobol"], "seed": 11, "outcomes": ["y", "constant"],
    "bootstrap": {"resamples": 300, "seed": 5}, "executor": {"type": "local", "workers": 2},
}  # fmt: skip


def write_spec(folder: Path, data: dict) -> Path:
    path = folder / f"{data['name']}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def ishigami_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ishigami")
    out = folder / "out"
    r = run(write_spec(folder, ISHIGAMI), out, progress=False)
    assert r.ok and r.completed == 1024 * 5
    return out


def test_sobol_recovers_ishigami_within_ci(ishigami_dir):
    _, a = analyse_dir(ishigami_dir)
    ix = a.indices[(a.indices["outcome"] == "y") & (a.indices["statistic"] == "mean")]
    truth = ishigami_indices(7.0, 0.1)
    for index in ("S1", "ST"):
        t = ix[ix["index"] == index].set_index("parameter").loc[["x1", "x2", "x3"]]
        assert np.all(t["conf"] > 0) and np.all(t["conf"] < 0.15)
        err = np.abs(t["value"].to_numpy() - np.array(truth[index]))
        assert np.all(err <= t["conf"].to_numpy()), (index, t[["value", "conf"]], truth[index])


def test_manifest_tables_plots_and_constant_warning(ishigami_dir):
    st = load(ishigami_dir)
    assert st.manifest["kind"] == "sensitivity" and st.manifest["status"] == "complete"
    assert st.manifest["extra"]["sensitivity"]["name"] == "ishigami"
    files = {p.name for p in (ishigami_dir / "analysis").iterdir()}
    for name in ("sensitivity_indices.parquet", "sensitivity_indices.csv", "sensitivity_convergence.csv",
                 "sensitivity_stability.csv", "sens_indices_sobol_y_mean.png",
                 "sens_convergence_sobol_y_mean.png", "sensitivity_report.md"):  # fmt: skip
        assert name in files
    ix = pd.read_parquet(ishigami_dir / "analysis" / "sensitivity_indices.parquet")
    assert "constant" not in set(ix["outcome"]) and ix["value"].notna().all()
    text = (ishigami_dir / "analysis" / "sensitivity_report.md").read_text()
    assert "constant (mean): constant output" in text
    stab = pd.read_csv(ishigami_dir / "analysis" / "sensitivity_stability.csv")
    assert bool(stab.loc[0, "stable"])
    conv = pd.read_csv(ishigami_dir / "analysis" / "sensitivity_convergence.csv")
    assert sorted(conv["N"].unique()) == [256, 512, 1024]


def test_plots_drawn_with_a_helper_process_are_those_drawn_alone(ishigami_dir, tmp_path):
    """The report's helper process draws every other plot: the files are those this process draws alone, byte for
    byte, in the same order."""
    import shutil

    from experiments.sensitivity.writer import figure_helper, write_report

    st, a = analyse_dir(ishigami_dir)
    alone, helped = tmp_path / "alone", tmp_path / "helped"
    shutil.copytree(ishigami_dir, alone)
    shutil.copytree(ishigami_dir, helped)
    files = write_report(alone, st, a, None)
    if (os.cpu_count() or 1) < 2:
        pytest.skip("one core: the report draws every plot itself")
    with figure_helper() as helper:
        assert helper is not None
        assert [p.relative_to(helped) for p in write_report(helped, st, a, helper)] == [p.relative_to(alone) for p in files]
    pngs = sorted(p.name for p in files if p.suffix == ".png")
    assert len(pngs) >= 2  # (one drawn by each process)
    assert all((alone / "analysis" / n).read_bytes() == (helped / "analysis" / n).read_bytes() for n in pngs)


def test_shuffled_stored_rows_give_identical_indices(ishigami_dir, tmp_path):
    before = pd.read_parquet(ishigami_dir / "analysis" / "sensitivity_indices.parquet")
    st = load(ishigami_dir)
    shuffled = st.results.sample(frac=1.0, random_state=np.random.default_rng(3))
    pd.testing.assert_frame_equal(analyse(st.spec, st.design, shuffled).indices, before)
    # and on disk: rewrite summary/ as differently composed, shuffled chunks, then regenerate the report
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(ishigami_dir, copy)
    parts = sorted((copy / "summary").glob("part-*.parquet"))
    table = pd.concat([pd.read_parquet(p) for p in parts]).sample(frac=1.0, random_state=np.random.default_rng(4))
    for p in parts:
        p.unlink()
    for k, chunk in enumerate(np.array_split(np.arange(len(table)), 3)):
        table.iloc[chunk].to_parquet(copy / "summary" / f"part-{k:06d}.parquet", index=False)
    report(copy)
    pd.testing.assert_frame_equal(pd.read_parquet(copy / "analysis" / "sensitivity_indices.parquet"), before)


def test_morris_ranks_ishigami_inputs(tmp_path):
    """Morris' estimand depends on its grid: check ranking and values against exact enumeration."""
    spec = ISHIGAMI | {"name": "ishigami-morris", "sampler": {"name": "morris", "N": 100, "levels": 6},
                       "methods": ["morris"], "outcomes": ["y"]}  # fmt: skip
    out = tmp_path / "out"
    assert run(write_spec(tmp_path, spec), out, executor=1, progress=False).ok
    ix = pd.read_parquet(out / "analysis" / "sensitivity_indices.parquet")
    mu = ix[ix["index"] == "mu_star"].set_index("parameter").loc[["x1", "x2", "x3"]]
    exact = np.array(ishigami_morris_mu_star(6))
    assert list(mu["value"].sort_values(ascending=False).index) == ["x1", "x3", "x2"]
    assert list(np.array(["x1", "x2", "x3"])[np.argsort(-exact)]) == ["x1", "x3", "x2"]
    assert np.all(np.abs(mu["value"].to_numpy() - exact) <= 1.5 * mu["conf"].to_numpy()), (mu, exact)
    assert (out / "analysis" / "sens_morris_y_mean.png").exists()


@pytest.mark.parametrize("sigma", [0.5, 1.5])
def test_noise_share_of_a_noisy_function(tmp_path, sigma):
    spec = {"name": "noisy", "model": "experiments.testfunctions:noisy_linear", "parameters": ["x1", "x2", "x3"],
            "fixed": {"params.sigma": sigma}, "sampler": {"name": "latin", "N": 800}, "methods": ["pawn"],
            "replicates": 4, "seed": 21, "outcomes": ["y"], "convergence": False,
            "bootstrap": {"resamples": 100, "seed": 2}, "executor": {"type": "local", "workers": 2}}  # fmt: skip
    out = tmp_path / "out"
    assert run(write_spec(tmp_path, spec), out, progress=False).ok
    noise = pd.read_csv(out / "analysis" / "sensitivity_noise.csv").set_index("outcome").loc["y"]
    truth = noisy_linear_truth(sigma)["noise_share"]
    assert abs(noise["noise_share"] - truth) < 0.05, (noise["noise_share"], truth)
    assert noise["noise_share_lo"] < noise["noise_share"] < noise["noise_share_hi"]
    assert (out / "analysis" / "sens_noise_design.png").exists()


class Interrupting(Executor):
    """A real process pool that raises KeyboardInterrupt (as Ctrl-C would) after some batches."""

    def __init__(self, inner: Executor, after: int) -> None:
        self.inner, self.after, self.n = inner, after, 0

    def submit(self, fn, /, *args, **kwargs):
        self.n += 1
        if self.n > self.after:
            raise KeyboardInterrupt
        return self.inner.submit(fn, *args, **kwargs)

    def shutdown(self, wait=True, *, cancel_futures=False):
        self.inner.shutdown(wait=wait, cancel_futures=cancel_futures)


NOISY_SOBOL = {
    "name": "noisy-sobol", "model": "experiments.testfunctions:noisy_linear", "parameters": ["x1", "x2", "x3"],
    "fixed": {"params.sigma": 1.0}, "sampler": {"name": "sobol", "N": 256}, "methods": ["sobol"],
    "replicates": 3, "seed": 8, "outcomes": ["y", "f"], "statistics": ["mean", "std"],
    "bootstrap": {"resamples": 100, "seed": 3}, "executor": {"type": "local", "workers": 2},
}  # fmt: skip


def test_resume_after_interruption_gives_the_same_indices(tmp_path):
    path = write_spec(tmp_path, NOISY_SOBOL)
    whole = tmp_path / "whole"
    assert run(path, whole, progress=False).ok
    part = tmp_path / "part"
    handle = make_executor(LocalExecutor(workers=2))
    handle = ExecutorHandle("local", 2, Interrupting(handle.executor, after=10))
    first = run(path, part, executor=handle, progress=False, batch_size=16)
    handle.close()
    assert first.interrupted and 0 < first.completed < first.total
    assert not (part / "analysis").exists()
    second = run(path, part, executor=2, progress=False)
    assert second.ok and second.skipped == first.completed
    a = pd.read_parquet(whole / "analysis" / "sensitivity_indices.parquet")
    b = pd.read_parquet(part / "analysis" / "sensitivity_indices.parquet")
    pd.testing.assert_frame_equal(a, b)
    # noise inflates ST; the denoised indices recover the noise-free function's
    truth = noisy_linear_truth(1.0)["S1"]
    dn = a[(a["outcome"] == "y") & (a["statistic"] == "mean") & (a["index"] == "ST_denoised")].set_index("parameter")
    assert np.all(np.abs(dn.loc[["x1", "x2", "x3"], "value"].to_numpy() - truth) <= dn["conf"].to_numpy())


def test_a_parameter_the_scenario_never_reads_is_reported(tmp_path, capsys):
    """P4 has virtual rounds, not work shadowing: varying shadowing_rate there is noise only. The run says so
    before it starts, the manifest keeps it and the report lists it; the parameters that act are not named."""
    spec = {"name": "inert", "scenario": "P4", "parameters": {"shadowing_rate": None, "mu": None},
            "sampler": {"name": "sobol", "N": 16}, "methods": ["sobol"], "replicates": 1, "seed": 3,
            "outcomes": ["final_integration"], "bootstrap": {"resamples": 20, "seed": 1},
            "executor": {"type": "local", "workers": 1}}  # fmt: skip
    out = tmp_path / "out"
    assert run(write_spec(tmp_path, spec), out, progress=False).ok
    assert "warning: shadowing_rate: no summary outcome of scenario P4 changed" in capsys.readouterr().err
    assert load(out).manifest["extra"]["inert_parameters"] == ["shadowing_rate"]
    md = (out / "analysis" / "sensitivity_report.md").read_text()
    assert "shadowing_rate: no summary outcome" in md and "mu: no summary" not in md
