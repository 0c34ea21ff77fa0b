"""The results browser: open a stored experiment, sensitivity or calibration directory and look at it
(with its scenario discovery, if ``abm discover`` ran on it: :mod:`dashboards.results_panels`).

Reads files only, through :mod:`dashboards.results` (which reads with :mod:`experiments.results`).
Charts are interactive (:mod:`dashboards.charts`), each with a PNG download (:mod:`dashboards.results_figures`).
A bad path shows a message and the page stays usable; while a directory loads, the previous one's
charts are cleared and a "loading" message is shown. ``abm dashboard --results DIR`` opens DIR at start.
"""

from __future__ import annotations

import os

import solara

from dashboards import charts
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
    row_labels,
    step_metrics,
)
from dashboards.results_panels import CalibrationView, DiscoveryView
from dashboards.vega import VegaChart
from experiments.results import (
    ANALYSIS_DIR,
    PAIRED_EFFECTS,
    SENSITIVITY_CONVERGENCE,
    SENSITIVITY_INDICES,
    SENSITIVITY_NOISE,
    SENSITIVITY_STABILITY,
)
from experiments.sensitivity.analysis import KEY_INDEX

ENSEMBLE_METRICS = ("integration", "consensus", "connectivity", "trust_mean", "engagement")


@solara.component
def Chart(chart, name: str, figure=None):
    """An interactive chart (hover, zoom), and a PNG of the same data to download when ``figure``
    (a function returning the static matplotlib figure) is given: drawn only when asked for."""
    VegaChart(chart, name)
    if figure is not None:
        solara.FileDownload(lambda: png(figure()), filename=f"{name}.png", label=f"PNG of this chart ({name}.png)", icon_name="mdi-download")


def metric_label(metric: str) -> str:
    return f"{metric.replace('_', ' ')} ({charts.SHARE})" if metric in rf.SHARE_METRICS else metric.replace("_", " ")


def _pick(options: list[str], preferred: str) -> str:
    return preferred if preferred in options else (options[0] if options else "")


def morris_table(ind, outcome: str):
    """Morris mu* (with its CI) and sigma per parameter: columns parameter, mu_star, sigma, lo, hi."""
    m = ind[(ind["outcome"] == outcome) & (ind["method"] == "morris")]
    mu = m[m["index"] == "mu_star"].set_index("parameter")
    sd = m[m["index"] == "sigma"].set_index("parameter")
    if mu.empty or sd.empty:
        return mu.iloc[:0]
    out = mu[[c for c in ("lo", "hi") if c in mu]].assign(mu_star=mu["value"], sigma=sd["value"].reindex(mu.index))
    return out.reset_index()


def convergence_rows(conv, outcome: str, method: str):
    """The convergence rows of the analysis' own key index (KEY_INDEX) and that index's name."""
    rows = rf.key_rows(conv[conv["outcome"] == outcome], method)
    if rows.empty or rows["N"].nunique() < 2:
        return rows.iloc[:0], ""
    key = KEY_INDEX.get(method, rows["index"].iloc[0])
    return (rows[rows["index"] == key] if key in set(rows["index"]) else rows), key


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
            if cmp.empty:
                solara.Info(f"no values of {outcome.value} for the chosen programs")
            else:
                cmp = cmp.assign(row=row_labels(cmp))
                Chart(charts.comparison_chart(cmp, outcome.value, rf.outcome_label(outcome.value)), "comparison",
                      lambda cmp=cmp, o=outcome.value: rf.comparison_figure(cmp, o))  # fmt: skip
                solara.DataFrame(cmp.drop(columns="row").round(4), items_per_page=10)
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
                    env = envelopes(r, scenario.value, metric.value)
                    if env.empty:
                        solara.Info(f"no step tables for {scenario.value}")
                    else:
                        Chart(charts.envelope_chart(env, scenario.value, metric.value, metric_label(metric.value)), "envelopes",
                              lambda env=env, sc=scenario.value, mt=metric.value: rf.envelope_figure(env, sc, mt))  # fmt: skip
                else:
                    solara.Info("No steps/ tables in this directory.")
            with solara.Card("Milestone frequencies by category", margin=0):
                freq = milestone_frequencies(r)
                if freq.empty:
                    solara.Info("No milestones/ tables in this directory.")
                else:
                    Chart(charts.milestones_chart(freq), "milestones", lambda: rf.milestones_figure(freq))


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
            shown = rf.key_rows(sel[sel["outcome"] == outcome.value], method.value)
            if shown.empty:
                solara.Info(f"no {method.value} indices for {outcome.value}")
            else:
                Chart(charts.indices_chart(shown, outcome.value, method.value), "indices",
                      lambda: rf.indices_figure(sel, outcome.value, method.value))
            cols = [c for c in ("parameter", "index", "value", "lo", "hi", "N") if c in shown]
            solara.DataFrame(shown[cols].round(4).reset_index(drop=True), items_per_page=12)
        with solara.Column():
            if "morris" in methods:
                with solara.Card("Morris screening", margin=0):
                    mu = morris_table(sel, outcome.value)
                    if mu.empty:
                        solara.Info(f"no Morris results for {outcome.value}")
                    else:
                        Chart(charts.morris_chart(mu, outcome.value), "morris", lambda: rf.morris_figure(sel, outcome.value))
            with solara.Card("Convergence", margin=0):
                if conv is None:
                    solara.Info(f"No {ANALYSIS_DIR}/{SENSITIVITY_CONVERGENCE} table.")
                else:
                    rows, key = convergence_rows(conv, outcome.value, method.value)
                    if rows.empty:
                        solara.Info(f"no convergence table for {method.value} / {outcome.value}")
                    else:
                        Chart(charts.convergence_chart(rows, key, outcome.value, method.value), "convergence",
                              lambda: rf.convergence_figure(conv, outcome.value, method.value))
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
    if r.kind == "calibration":
        commit = str(m.get("git_commit") or (m.get("sessions") or [{}])[-1].get("git_commit"))[:10]
        solara.Text(f"status {m.get('status', '?')}; model {m.get('model', '?')}; spec hash {str(m.get('spec_hash'))[:12]}, "
                    f"commit {commit}")  # fmt: skip
    else:
        solara.Text(f"{runs.get('completed', '?')} of {runs.get('total', '?')} runs completed, "
                    f"{runs.get('failed', 0)} failed; status {m.get('status', '?')}; model {m.get('model', '?')}, "
                    f"commit {str(m.get('git_commit'))[:10]}")  # fmt: skip
    for note in r.notes:
        solara.Warning(note, dense=True)
    if r.discovery is not None:
        DiscoveryView(r.discovery).key(f"discovery:{r.path}")
    if r.kind == "calibration":
        CalibrationView(r).key(str(r.path))
    elif r.kind == "sensitivity":
        SensitivityView(r).key(str(r.path))
    elif r.kind == "experiment":
        ExperimentView(r).key(str(r.path))
    else:
        solara.Info(f"'{r.kind}' directories are summarised by `abm report`; the browser shows experiments and sensitivity analyses.")
