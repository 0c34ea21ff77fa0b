"""`make bench`: the model's speed side by side with an idiomatic-Mesa reference, and how its cost grows.

Measures, in one run:

1. model vs reference (benchmarks/reference) on the same synthetic regions (50 clinicians per
   organization) at 1,000, 10,000 and 50,000 clinicians, both with the mechanisms the reference
   lacks switched off: agent-steps per second (construction excluded), median of several fresh
   models, and their ratio, with the lowest and highest ratio of single repeats (model and reference
   take turns seed by seed, so each repeat has its own ratio). The model runs its weeks compiled (``run_weeks``, as every batch run
   does); its Mesa ``step()`` path is timed too. The reference runs fewer steps (it is slow); the
   counts are in the table;
2. each built-in program P1..P6: one 104-step ``run_once`` from a loaded Scenario, construction and
   result tables included (YAML loading excluded), and the same run stepped through ``step()``;
3. a large synthetic region (200 organizations, 10,000 clinicians, 104 steps, every mechanism on);
4. a province-scale region (1,000 organizations, 50,000 clinicians, 104 steps) in a fresh process:
   time and peak resident memory;
5. scaling: time per step against clinicians, 1k to 100k, over a fixed 200-organization region
   (finer resolution), and over regions that grow with their clinicians (50 per organization);
6. a national system (10,000 organizations, 500,000 clinicians, 104 steps) in a fresh process, as a
   federation of 500 regions of 20 organizations that do not interact (:mod:`abm.national`): time and
   peak resident memory, scenario building included. What one model over all 10,000 organizations
   would hold in dense organization-pair arrays (bytes per pair measured on a small region) is
   reported beside it.

The compiled kernels are loaded (:func:`abm.warmup.warm`) before anything is timed. Every timing is a
median of repeats; wall-clock (``perf_counter``) and CPU time (``process_time``)
are both recorded, since the machine may be shared. Writes ``benchmarks/results.json`` and the
generated table ``benchmarks/results.md``.

Usage: ``python benchmarks/run_benchmarks.py [--quick] [--out DIR]``
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import mesa  # noqa: E402

from abm.compat import release_model  # noqa: E402
from abm.config import load_scenario  # noqa: E402
from abm.model import IntegrationModel  # noqa: E402
from abm.run import run_once  # noqa: E402
from abm.synthetic import n_clinicians_of, synthetic_region  # noqa: E402
from abm.warmup import warm  # noqa: E402
from benchmarks.record import cpu  # noqa: E402
from benchmarks.reference import ReferenceModel, core_scenario  # noqa: E402

PER_ORG = 50  # clinicians per organization in the side-by-side and growing-region scenarios
TARGETS = {
    "ratio_at_10k": 100.0,
    "p4_ms": 3.0,
    "large_region_s": 3.0,
    "province_s": 10.0,
    "province_peak_mb": 2048.0,
    "scaling_exponent": 1.0,
    "national_s": 120.0,
    "national_peak_mb": 6144.0,
}
NATIONAL = (10_000, 500_000)  # organizations, clinicians


def timed(fn: Callable[[], Any]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one call."""
    w, c = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w, time.process_time() - c


def median_times(samples: list[tuple[float, float]]) -> dict[str, float]:
    return {
        "wall_s": statistics.median(s[0] for s in samples),
        "cpu_s": statistics.median(s[1] for s in samples),
        "repeats": len(samples),
        "wall_all_s": [round(s[0], 5) for s in samples],
    }


def step_time(cls: type, scenario: Any, steps: int, seed: int, compiled: bool = False) -> tuple[float, float]:
    """Time ``steps`` weeks of a freshly built model (construction not timed): ``step()`` each, or ``run_weeks``."""
    model = cls(scenario, seed=seed)
    try:
        if compiled:
            return timed(lambda: model.run_weeks(steps))
        return timed(lambda: [model.step() for _ in range(steps)])
    finally:
        release_model(model)  # Mesa 3.3.1 keeps every model alive otherwise
        gc.collect()  # (untimed) a model left to the collector slows the reference steps after it on Python 3.11


def side_by_side(sizes: list[int], model_steps: int, ref_steps: dict[int, int], repeats: int) -> list[dict[str, Any]]:
    """Model (compiled weeks, and ``step()``) and reference at each size. The three take turns, seed by seed, so
    that a slow phase of a shared machine falls on all of them alike rather than on one side of a ratio."""
    rows = []
    for n in sizes:
        sc = core_scenario(synthetic_region(n // PER_ORG, n, seed=1))
        n_clin = n_clinicians_of(sc)
        row: dict[str, Any] = {"clinicians": n_clin, "organizations": n // PER_ORG}
        sides = (("model", IntegrationModel, model_steps, True), ("model_stepped", IntegrationModel, model_steps, False),
                 ("reference", ReferenceModel, ref_steps[n], False))  # fmt: skip
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name, *_ in sides}
        for seed in range(repeats):
            for name, cls, steps, compiled in sides:
                samples[name].append(step_time(cls, sc, steps, seed, compiled))
        for name, _, steps, _ in sides:
            t = median_times(samples[name])
            t.update(steps=steps, agent_steps_per_s=n_clin * steps / t["wall_s"], agent_steps_per_cpu_s=n_clin * steps / t["cpu_s"])
            row[name] = t
            print(f"  {name:9s} {n_clin:>7,} clinicians x {steps:>3} steps: {t['wall_s'] / steps * 1e3:9.2f} ms/step, "
                  f"{t['agent_steps_per_s']:,.0f} agent-steps/s", flush=True)  # fmt: skip
        row["ratio"] = row["model"]["agent_steps_per_s"] / row["reference"]["agent_steps_per_s"]
        # each repeat's own ratio (model and reference ran one after the other on the same seed): how much it moves
        per_repeat = [(r[0] / ref_steps[n]) / (m[0] / model_steps) for m, r in zip(samples["model"], samples["reference"], strict=True)]
        row["ratio_range"] = [min(per_repeat), max(per_repeat)]
        row["ratio_stepped"] = row["model_stepped"]["agent_steps_per_s"] / row["reference"]["agent_steps_per_s"]
        row["ratio_cpu"] = row["model"]["agent_steps_per_cpu_s"] / row["reference"]["agent_steps_per_cpu_s"]
        print(f"  ratio {row['ratio']:.1f}x (CPU time {row['ratio_cpu']:.1f}x; per repeat {row['ratio_range'][0]:.1f}-{row['ratio_range'][1]:.1f}x)",
              flush=True)  # fmt: skip
        rows.append(row)
    return rows


def programs(repeats: int) -> dict[str, dict[str, Any]]:
    """Each built-in program's run time; the programs take turns (seed by seed), so that a slow phase
    of a shared machine falls on all of them alike rather than on one program's repeats."""
    names = ("P1", "P2", "P3", "P4", "P5", "P6")
    scenarios = {prog: load_scenario(prog) for prog in names}
    for sc in scenarios.values():
        run_once(sc, seed=0)  # warm-up (imports, caches)
    samples: dict[str, list[tuple[float, float]]] = {prog: [] for prog in names}
    stepped: dict[str, list[tuple[float, float]]] = {prog: [] for prog in names}
    for s in range(1, repeats + 1):
        for prog, sc in scenarios.items():
            samples[prog].append(timed(lambda sc=sc, s=s: _tables(run_once(sc, seed=s))))
            stepped[prog].append(timed(lambda sc=sc, s=s: _tables(run_once(sc, seed=s, probe=_nothing))))  # a probe: step() each week
    out = {}
    for prog, sc in scenarios.items():
        t = median_times(samples[prog])
        t["stepped"] = median_times(stepped[prog])
        t["clinicians"] = n_clinicians_of(sc)
        t["organizations"] = len(sc.organizations)
        out[prog] = t
        print(f"  {prog}: {t['wall_s'] * 1e3:.1f} ms (CPU {t['cpu_s'] * 1e3:.1f} ms; stepped {t['stepped']['wall_s'] * 1e3:.1f} ms), "
              f"{t['clinicians']} clinicians", flush=True)  # fmt: skip
    return out


def _tables(result: Any) -> Any:
    """Build the run's step and milestone DataFrames (``run_once`` builds them on first access)."""
    return result.steps, result.milestones


def _nothing(model: Any) -> None:
    """A probe that reads nothing (it makes run_once step the model week by week)."""


def large_region(repeats: int) -> dict[str, Any]:
    sc = synthetic_region(200, 10_000, seed=1)
    t = median_times([timed(lambda s=s: run_once(sc, seed=s)) for s in range(repeats)])
    t.update(organizations=200, clinicians=10_000, steps=104)
    print(f"  200 organizations, 10,000 clinicians, 104 steps: {t['wall_s']:.2f} s (CPU {t['cpu_s']:.2f} s)", flush=True)
    return t


PEAK_MB = """
def peak_mb():
    # this process's own peak resident memory: VmHWM starts afresh at exec, whereas ru_maxrss keeps the
    # parent's high-water mark across fork + exec on Linux (it would report the benchmark process's peak)
    try:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""
PROVINCE_SCRIPT = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
{peak}
from abm.synthetic import synthetic_region
from abm.run import run_once
t0 = time.perf_counter()
sc = synthetic_region(1000, 50000, seed=1)
t1, c1 = time.perf_counter(), time.process_time()
r = run_once(sc, seed={seed})
t2, c2 = time.perf_counter(), time.process_time()
print(json.dumps({{"scenario_s": t1 - t0, "wall_s": t2 - t1, "cpu_s": c2 - c1,
                  "peak_rss_mb": peak_mb(),
                  "final_consensus": r.summary["final_consensus"], "exits": r.summary["exits"]}}))
"""


def province(repeats: int) -> dict[str, Any]:
    runs = []
    for seed in range(repeats):
        res = subprocess.run([sys.executable, "-c", PROVINCE_SCRIPT.format(root=str(ROOT), seed=seed, peak=PEAK_MB)],
                             capture_output=True, text=True, check=True)  # fmt: skip
        runs.append(json.loads(res.stdout.strip().splitlines()[-1]))
    out = median_times([(r["wall_s"], r["cpu_s"]) for r in runs])
    out.update(
        organizations=1000, clinicians=50_000, steps=104,
        peak_rss_mb=max(r["peak_rss_mb"] for r in runs), scenario_build_s=statistics.median(r["scenario_s"] for r in runs),
    )  # fmt: skip
    print(f"  1,000 organizations, 50,000 clinicians, 104 steps: {out['wall_s']:.2f} s (CPU {out['cpu_s']:.2f} s), "
          f"peak RSS {out['peak_rss_mb']:.0f} MB", flush=True)  # fmt: skip
    return out


def scaling(sizes: list[int], orgs: Callable[[int], int], steps: int, repeats: int, label: str) -> dict[str, Any]:
    points = []
    for n in sizes:
        sc = synthetic_region(orgs(n), n, seed=1)
        t = median_times([step_time(IntegrationModel, sc, steps, seed, compiled=True) for seed in range(repeats if n <= 20_000 else max(1, repeats - 1))])
        points.append({"clinicians": n, "organizations": orgs(n), "ms_per_step": t["wall_s"] / steps * 1e3,
                       "cpu_ms_per_step": t["cpu_s"] / steps * 1e3, "steps": steps, "repeats": t["repeats"]})  # fmt: skip
        print(f"  [{label}] {n:>7,} clinicians, {orgs(n):>5} organizations: {points[-1]['ms_per_step']:.2f} ms/step", flush=True)
    big = [p for p in points if p["clinicians"] >= 10_000]
    exponent = None
    if len(big) >= 2:
        exponent = float(np.polyfit(np.log([p["clinicians"] for p in big]), np.log([p["ms_per_step"] for p in big]), 1)[0])
    return {"points": points, "exponent_10k_up": exponent}


def pair_bytes_per_pair(n_orgs: int = 100) -> float:
    """Bytes the model holds per ordered pair of organizations (state and model arrays of shape (O, O)),
    measured on a synthetic region of ``n_orgs`` organizations after one week."""
    model = IntegrationModel(synthetic_region(n_orgs, n_orgs * PER_ORG, seed=1), seed=0)
    try:
        model.run_weeks(1)
        arrays = [*vars(model.state).values(), *vars(model).values()]
        total = sum(a.nbytes for a in arrays if isinstance(a, np.ndarray) and a.shape == (n_orgs, n_orgs))
        return total / n_orgs**2
    finally:
        release_model(model)


NATIONAL_SCRIPT = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
{peak}
from abm.national import run_nation, synthetic_nation
t0, c0 = time.perf_counter(), time.process_time()
regions = synthetic_nation({orgs}, {clinicians}, seed=1)
r = run_nation(regions, seed={seed})
t1, c1 = time.perf_counter(), time.process_time()
print(json.dumps({{"wall_s": t1 - t0, "cpu_s": c1 - c0, "regions": len(regions),
                  "peak_rss_mb": peak_mb(),
                  "final_integration": float(r.national["integration"].iloc[-1])}}))
"""


def national() -> dict[str, Any]:
    """The national system as a federation of regions (fresh process), and what one dense model would hold."""
    n_org, n_clin = NATIONAL
    need_mb = pair_bytes_per_pair() * n_org**2 / 2**20
    res = subprocess.run([sys.executable, "-c", NATIONAL_SCRIPT.format(root=str(ROOT), orgs=n_org, clinicians=n_clin, seed=0, peak=PEAK_MB)],
                         capture_output=True, text=True, check=True)  # fmt: skip
    run = json.loads(res.stdout.strip().splitlines()[-1])
    out: dict[str, Any] = {"organizations": n_org, "clinicians": n_clin, "dense_pair_state_mb": need_mb, **run}
    print(f"  {n_org:,} organizations in {run['regions']} regions, {n_clin:,} clinicians, 104 steps: {run['wall_s']:.2f} s "
          f"(CPU {run['cpu_s']:.2f} s), peak RSS {run['peak_rss_mb']:.0f} MB; one dense model would hold {need_mb:,.0f} MB "
          "of organization-pair arrays", flush=True)  # fmt: skip
    return out


def provenance() -> dict[str, Any]:
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "abm"], cwd=ROOT, capture_output=True, text=True).stdout.strip())
    except OSError:
        commit, dirty = "unknown", None
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": commit, "abm_has_uncommitted_changes": dirty,
        "python": platform.python_version(), "numpy": np.__version__, "mesa": mesa.__version__,
        "numba": metadata.version("numba"), "llvmlite": metadata.version("llvmlite"),
        "platform": platform.platform(), "cpu_count": os.cpu_count(), "cpu": cpu(),
        "load_average_at_start": list(os.getloadavg()),
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
    }  # fmt: skip


def verdicts(r: dict[str, Any]) -> dict[str, dict[str, Any]]:
    ratio_10k = next((row["ratio"] for row in r["side_by_side"] if row["clinicians"] >= 9_000 and row["clinicians"] <= 11_000), None)
    exp = r["scaling_fixed_orgs"]["exponent_10k_up"]
    nat = r["national"]
    checks = {
        "ratio_at_10k": (ratio_10k, ratio_10k is not None and ratio_10k >= TARGETS["ratio_at_10k"], ">= 100x reference"),
        "p4_ms": (r["programs"]["P4"]["wall_s"] * 1e3, r["programs"]["P4"]["wall_s"] * 1e3 < TARGETS["p4_ms"], "< 3 ms"),
        "large_region_s": (r["large_region"]["wall_s"], r["large_region"]["wall_s"] < TARGETS["large_region_s"], "< 3 s"),
        "province_s": (r["province"]["wall_s"], r["province"]["wall_s"] < TARGETS["province_s"], "< 10 s"),
        "province_peak_mb": (r["province"]["peak_rss_mb"], r["province"]["peak_rss_mb"] < TARGETS["province_peak_mb"], "< 2048 MB"),
        "scaling_exponent": (exp, exp is not None and exp <= TARGETS["scaling_exponent"] + 0.05, "<= 1 (10k-100k clinicians)"),
        "national_s": (nat["wall_s"], nat["wall_s"] is not None and nat["wall_s"] < TARGETS["national_s"], "< 120 s"),
        "national_peak_mb": (nat["peak_rss_mb"], nat["peak_rss_mb"] is not None and nat["peak_rss_mb"] < TARGETS["national_peak_mb"], "< 6144 MB"),
    }
    return {k: {"value": v, "met": bool(ok), "target": t} for k, (v, ok, t) in checks.items()}


def _range(row: dict[str, Any]) -> str:
    """The lowest and highest of a side-by-side row's per-repeat speed-ups (absent from older results)."""
    lo, hi = row.get("ratio_range", (float("nan"), float("nan")))
    return f"{lo:.0f}-{hi:.0f}"


def markdown(r: dict[str, Any]) -> str:
    pv, v = r["provenance"], r["verdicts"]
    lines = [
        "<!-- generated by benchmarks/run_benchmarks.py; do not edit by hand -->",
        f"Measured {pv['date']} on {pv['cpu_count']} CPUs ({pv['cpu']['model']}, numba target {pv['cpu']['numba_target']}; load average at start {pv['load_average_at_start'][0]:.1f}; "
        f"the machine may be shared, so CPU times are given too), Python {pv['python']}, numpy {pv['numpy']}, Mesa {pv['mesa']}, "
        f"commit {pv['git_commit'][:10]}{' + uncommitted changes' if pv['abm_has_uncommitted_changes'] else ''}. "
        "Every figure is a median of repeats.",
        "",
        "**Model vs an idiomatic Mesa implementation** (`benchmarks/reference`: one `Agent.step` per clinician, "
        "`shuffle_do`), same synthetic regions, 50 clinicians per organization, shadowing, co-design, data sharing, "
        "workload, exit and milestones off in both. Weeks only, construction excluded. The model runs its weeks "
        "compiled (`run_weeks`, as every batch run does); its Mesa `step()` path (dashboards, `batch_run`) is shown too.",
        "",
        "| clinicians | organizations | model agent-steps/s | reference agent-steps/s | model ms/step | model `step()` ms/step | reference ms/step | steps (model / reference) | speed-up (wall; lowest-highest repeat) | speed-up (CPU) | speed-up, `step()` |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in r["side_by_side"]:
        m, ms_, ref = row["model"], row["model_stepped"], row["reference"]
        lines.append(
            f"| {row['clinicians']:,} | {row['organizations']:,} | {m['agent_steps_per_s']:,.0f} | {ref['agent_steps_per_s']:,.0f} | "
            f"{m['wall_s'] / m['steps'] * 1e3:.2f} | {ms_['wall_s'] / ms_['steps'] * 1e3:.2f} | {ref['wall_s'] / ref['steps'] * 1e3:.1f} | "
            f"{m['steps']} / {ref['steps']} | **{row['ratio']:.0f}x** ({_range(row)}) | {row['ratio_cpu']:.0f}x | {row['ratio_stepped']:.0f}x |"
        )
    lines += [
        "",
        "**Built-in programs**: one 104-step `run_once` from a loaded scenario, construction and result tables included; "
        "stepped: the same run through `step()` each week (what a `probe` costs).",
        "",
        "| program | organizations | clinicians | ms (wall) | ms (CPU) | stepped ms (wall) | speed-up |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for prog, t in r["programs"].items():
        st = t["stepped"]["wall_s"]
        lines.append(f"| {prog} | {t['organizations']} | {t['clinicians']} | {t['wall_s'] * 1e3:.1f} | {t['cpu_s'] * 1e3:.1f} | "
                     f"{st * 1e3:.1f} | {st / t['wall_s']:.1f}x |")  # fmt: skip
    lr, pr = r["large_region"], r["province"]
    lines += [
        "",
        "**Scale** (every mechanism on, 104 steps, `run_once` including construction):",
        "",
        "| scenario | organizations | clinicians | s (wall) | s (CPU) | peak memory |",
        "|---|---:|---:|---:|---:|---:|",
        f"| large synthetic region | 200 | 10,000 | {lr['wall_s']:.2f} | {lr['cpu_s']:.2f} | |",
        f"| province | 1,000 | 50,000 | {pr['wall_s']:.2f} | {pr['cpu_s']:.2f} | {pr['peak_rss_mb']:.0f} MB (whole process) |",
        _national_row(r["national"]),
        "",
        "**Scaling**: time per step against clinicians (compiled weeks, construction excluded).",
        "",
        "| clinicians | ms/step, 200 organizations | ms/step, 50 clinicians per organization (organizations) |",
        "|---:|---:|---:|",
    ]
    grow = {p["clinicians"]: p for p in r["scaling_growing_orgs"]["points"]}
    for p in r["scaling_fixed_orgs"]["points"]:
        g = grow.get(p["clinicians"])
        g_txt = f"{g['ms_per_step']:.2f} ({g['organizations']:,})" if g else ""
        lines.append(f"| {p['clinicians']:,} | {p['ms_per_step']:.2f} | {g_txt} |")
    e1, e2 = r["scaling_fixed_orgs"]["exponent_10k_up"], r["scaling_growing_orgs"]["exponent_10k_up"]
    lines += [
        "",
        f"Fitted exponent of time per step in clinicians from 10k up: {e1:.2f} over a fixed 200-organization region"
        + (f"; {e2:.2f} when organizations grow with clinicians (organization-pair arrays are O(organizations^2))." if e2 is not None else "."),
        "",
        "| target | value | met |",
        "|---|---:|:---:|",
    ]
    for k, c in v.items():
        val = "n/a" if c["value"] is None else f"{c['value']:.2f}"
        lines.append(f"| {k.replace('_', ' ')} {c['target']} | {val} | {'yes' if c['met'] else '**no**'} |")
    return "\n".join(lines) + "\n"


def _national_row(nat: dict[str, Any]) -> str:
    return (f"| national: {nat['regions']} regions that do not interact (`abm.national`; one model over all would hold "
            f"{nat['dense_pair_state_mb']:,.0f} MB of dense pair arrays) | {nat['organizations']:,} | {nat['clinicians']:,} | "
            f"{nat['wall_s']:.2f} | {nat['cpu_s']:.2f} | {nat['peak_rss_mb']:.0f} MB (whole process) |")


README = ROOT / "README.md"
START, END = "<!-- benchmarks:start -->", "<!-- benchmarks:end -->"


def inject_readme(md: str, readme: Path = README) -> None:
    """Replace the README's performance block (between the benchmark markers) with the generated table."""
    text = readme.read_text()
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(head + START + "\n" + md + END + tail)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats and smaller sizes (a smoke run)")
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent, help="directory for results.json/results.md")
    a = ap.parse_args(argv)
    q = a.quick
    sizes = [1_000, 10_000] if q else [1_000, 10_000, 50_000]
    r: dict[str, Any] = {"provenance": provenance(), "quick": q}
    t0 = time.perf_counter()
    warm()  # the compiled kernels are loaded once per process: not part of any timed week
    print("model vs reference (agent-steps per second):", flush=True)
    r["side_by_side"] = side_by_side(sizes, model_steps=20 if q else 52, ref_steps={1_000: 10 if q else 20, 10_000: 3 if q else 5, 50_000: 2}, repeats=2 if q else 5)
    print("programs (one 104-step run, construction included):", flush=True)
    r["programs"] = programs(3 if q else 15)
    print("large synthetic region:", flush=True)
    r["large_region"] = large_region(1 if q else 3)
    print("province scale (fresh process):", flush=True)
    r["province"] = province(1 if q else 2)
    print("scaling:", flush=True)
    fixed = [1_000, 10_000, 30_000] if q else [1_000, 3_000, 10_000, 30_000, 100_000]
    r["scaling_fixed_orgs"] = scaling(fixed, lambda n: 200, steps=10 if q else 20, repeats=2 if q else 3, label="200 orgs")
    growing = [1_000, 10_000] if q else [1_000, 3_000, 10_000, 30_000, 50_000]
    r["scaling_growing_orgs"] = scaling(growing, lambda n: n // PER_ORG, steps=10 if q else 20, repeats=2 if q else 3, label="50/org")
    print("national region:", flush=True)
    r["national"] = national()
    r["provenance"]["load_average_at_end"] = list(os.getloadavg())
    r["provenance"]["total_s"] = time.perf_counter() - t0
    r["verdicts"] = verdicts(r)
    a.out.mkdir(parents=True, exist_ok=True)
    (a.out / "results.json").write_text(json.dumps(r, indent=2) + "\n")
    (a.out / "results.md").write_text(markdown(r))
    if not q and a.out.resolve() == Path(__file__).resolve().parent:
        inject_readme(markdown(r))  # the README shows the last full run, generated, never typed
    print(f"wrote {a.out / 'results.json'} and {a.out / 'results.md'} ({r['provenance']['total_s']:.0f} s)")
    for k, c in r["verdicts"].items():
        print(f"  {k}: {c['value']} ({c['target']}) {'met' if c['met'] else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
