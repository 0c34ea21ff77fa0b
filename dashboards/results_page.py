"""The results browser: open a stored experiment or sensitivity results directory and look at it.

Reads files only, through :mod:`dashboards.results` (which reads with :mod:`experiments.results`).
A bad path shows a message and the page stays usable; while a directory loads, the previous one's
charts are cleared and a "loading" message is shown. ``abm dashboard --results DIR`` opens DIR at start.
"""

from __future__ import annotations

import os

import solara

from dashboards import results_figures as rf
from dashboards.figures import png
from dashboards.launch import RESULTS_ENV
from dashboards.results import (
    OpenedResults,
    ResultsError,
    comparison,
    envelopes,
    milestone_frequencies,
    open_results,
    outcome_columns,
    step_metrics,
)
from experiments.results import (
    ANALYSIS_DIR,
    PAIRED_EFFECTS,
    SENSITIVITY_CONVERGENCE,
    SENSITIVITY_INDICES,
    SENSITIVITY_NOISE,
    SENSITIVITY_STABILITY,
)

ENSEMBLE_METRICS = ("integration", "consensus", "connectivity", "trust_mean", "engagement")


def Chart(fig, name: str):
    """A static figure as an image with a class the browser test can find."""
    return solara.Image(png(fig), width="100%", classes=["abm-chart", f"abm-chart-{name}"])


def _pick(options: list[str], preferred: str) -> str:
    return preferred if preferred in options else (options[0] if options else "")


@solara.component
def ExperimentView(r: OpenedResults):
    """Comparison with CIs, ensemble envelopes and milestone frequencies of an experiment."""
    outcomes = outcome_columns(r.summary) if not r.summary.empty else []
    outcome = solara.use_reactive(_pick(outcomes, "final_integration"))
    scenarios = [str(s) for s in dict.fromkeys(r.summary["scenario"])]
    scenario = solara.use_reactive(_pick(scenarios, ""))
    shown = solara.use_reactive(scenarios)
    have = step_metrics(r)
    metrics = [m for m in ENSEMBLE_METRICS if m in have]
    metric = solara.use_reactive(_pick(metrics, "integration"))
    if not outcomes:
        solara.Info("No completed runs to show yet.")
        return
    with solara.Columns([1, 1]):
        with solara.Card("Summary outcomes: scenario x intervention", margin=0):
            with solara.Row():
                solara.Select("outcome", values=outcomes, value=outcome)
                solara.SelectMultiple("programs (scenarios)", all_values=scenarios, values=shown)
            cmp = comparison(r, outcome.value, list(shown.value))
            Chart(rf.comparison_figure(cmp, outcome.value), "comparison")
            solara.DataFrame(cmp.round(4), items_per_page=10)
            paired = r.analysis.get(PAIRED_EFFECTS)
            if paired is not None and "outcome" in paired:
                sel = paired[(paired["outcome"] == outcome.value) & paired["scenario"].isin(shown.value)]
                with solara.Details("paired differences from baseline (same seeds)"):
                    solara.DataFrame(sel.round(4), items_per_page=10)
        with solara.Column():
            with solara.Card("Ensemble envelopes over time", margin=0):
                if metrics:
                    with solara.Row():
                        solara.Select("scenario", values=scenarios, value=scenario)
                        solara.Select("metric", values=metrics, value=metric)
                    Chart(rf.envelope_figure(envelopes(r, scenario.value, metric.value), scenario.value, metric.value), "envelopes")
                else:
                    solara.Info("No steps/ tables in this directory.")
            with solara.Card("Milestone frequencies by category", margin=0):
                freq = milestone_frequencies(r)
                if freq.empty:
                    solara.Info("No milestones/ tables in this directory.")
                else:
                    Chart(rf.milestones_figure(freq), "milestones")


@solara.component
def SensitivityView(r: OpenedResults):
    """Indices with CIs, Morris plot and convergence of a sensitivity analysis."""
    ind = r.analysis.get(SENSITIVITY_INDICES)
    has = ind is not None and not ind.empty
    outcomes = list(dict.fromkeys(ind["outcome"])) if has else []
    methods = list(dict.fromkeys(ind["method"])) if has else []
    stats = list(dict.fromkeys(ind["statistic"])) if has and "statistic" in ind else []
    outcome = solara.use_reactive(_pick(outcomes, ""))
    method = solara.use_reactive(_pick(methods, "sobol"))
    stat = solara.use_reactive(_pick(stats, "mean"))
    if not has:
        solara.Info("No sensitivity indices stored in analysis/ yet.")
        return
    sel = ind[ind["statistic"] == stat.value] if stats else ind
    conv = r.analysis.get(SENSITIVITY_CONVERGENCE)
    conv = conv[conv["statistic"] == stat.value] if conv is not None and stats and "statistic" in conv else conv
    with solara.Row():
        solara.Select("outcome", values=outcomes, value=outcome)
        solara.Select("method", values=methods, value=method)
        if stats:
            solara.Select("statistic over replicates", values=stats, value=stat)
    with solara.Columns([1, 1]):
        with solara.Card("Sensitivity indices (95% CI)", margin=0):
            Chart(rf.indices_figure(sel, outcome.value, method.value), "indices")
            shown = rf.key_rows(sel[sel["outcome"] == outcome.value], method.value)
            cols = [c for c in ("parameter", "index", "value", "lo", "hi", "N") if c in shown]
            solara.DataFrame(shown[cols].round(4).reset_index(drop=True), items_per_page=12)
        with solara.Column():
            if "morris" in methods:
                with solara.Card("Morris screening", margin=0):
                    Chart(rf.morris_figure(sel, outcome.value), "morris")
            with solara.Card("Convergence", margin=0):
                if conv is None:
                    solara.Info(f"No {ANALYSIS_DIR}/{SENSITIVITY_CONVERGENCE} table.")
                else:
                    Chart(rf.convergence_figure(conv, outcome.value, method.value), "convergence")
    for name in (SENSITIVITY_STABILITY, SENSITIVITY_NOISE):
        tab = r.analysis.get(name)
        if tab is not None and len(tab):
            with solara.Details(f"{name.replace('_', ' ')} table"):
                solara.DataFrame(tab, items_per_page=10)


@solara.component
def ResultsBrowser():
    """The results browser page.

    Opening is two steps: the request clears the shown directory and says "loading" (sent to the
    browser at once), then an effect reads the directory and the new charts are drawn.
    """
    path = solara.use_reactive(os.environ.get(RESULTS_ENV, ""))
    pending = solara.use_reactive(path.value.strip() or None)
    opened = solara.use_reactive(None)
    error = solara.use_reactive("")

    def do_open(p: str | None = None) -> None:
        if p is not None:
            path.set(p)
        opened.set(None)  # old charts go away at once, not after the new directory is read
        error.set("")
        pending.set(path.value)

    def load() -> None:
        if pending.value is None:
            return
        try:
            opened.set(open_results(pending.value))
        except ResultsError as e:
            error.set(str(e))
        finally:
            pending.set(None)

    solara.use_effect(load, [pending.value])
    with solara.Card("Open a results directory", classes=["abm-results-open"]):
        with solara.Row():
            solara.InputText("results directory (path on the server)", value=path.value, on_value=do_open, style={"min-width": "480px"})
            solara.Button("Open", color="primary", on_click=lambda: do_open(), classes=["abm-open"])
        if error.value:
            solara.Error(error.value, classes=["abm-error"])
    if pending.value is not None:
        solara.Info(f"loading {pending.value} ...", classes=["abm-loading"])
        return
    r: OpenedResults | None = opened.value
    if r is None:
        return
    m = r.manifest
    runs = m.get("runs", {})
    solara.Text(f"{r.name} ({r.kind})", style={"font-size": "1.3em", "font-weight": "bold"}, classes=["abm-results-title"])
    solara.Text(f"{runs.get('completed', '?')} of {runs.get('total', '?')} runs completed, "
                    f"{runs.get('failed', 0)} failed; status {m.get('status', '?')}; model {m.get('model', '?')}, "
                    f"commit {str(m.get('git_commit'))[:10]}")  # fmt: skip
    for note in r.notes:
        solara.Warning(note, dense=True)
    if r.kind == "sensitivity":
        SensitivityView(r).key(str(r.path))
    elif r.kind == "experiment":
        ExperimentView(r).key(str(r.path))
    else:
        solara.Info(f"'{r.kind}' directories are summarised by `abm report`; the browser shows experiments and sensitivity analyses.")
