"""Results-browser sections for the outputs of ``abm discover`` (scenario discovery, shown under an
experiment or sensitivity directory that has one) and ``abm calibrate`` (a calibration directory).

Tables come from :mod:`dashboards.results` (which reads with :mod:`experiments.results` and
:func:`experiments.calibration.outputs.read_calibration`); charts from :mod:`dashboards.charts`.
"""

from __future__ import annotations

import solara

from dashboards import charts
from dashboards.results import (
    OpenedResults,
    discovery_limits,
    discovery_tradeoff,
    posterior_histograms,
    predictive_rates,
)
from dashboards.vega import VegaChart
from experiments.results import DiscoveryOutputs

GENERATION_COLUMNS = ("t", "epsilon", "ess", "acceptance_rate", "particles", "samples", "runs")


def question(d: DiscoveryOutputs) -> str:
    """The question a discovery answers, in words."""
    m = d.meta
    side = "below" if m.get("below") else "above"
    return (f"Which inputs make {m['outcome']} fall {side} {m['threshold']:g}? "
            f"{m.get('n_interest', '?')} of {m.get('n_runs', '?')} runs are of interest; method {m.get('method', '?')}.")  # fmt: skip


@solara.component
def DiscoveryView(d: DiscoveryOutputs):
    """The question, the selected box's limits and the coverage-density trade-off of the trajectory."""
    m = d.meta
    s = m.get("selected_stats", {})
    with solara.Card("Scenario discovery", margin=0, classes=["abm-discovery"]):
        # plain text: solara.Markdown would load KaTeX from the CDN, which the offline page has not
        with solara.Div():
            solara.Text(f"Question: {question(d)}", style={"font-weight": "bold"}, classes=["abm-discovery-question"])
        if s:
            with solara.Div():
                solara.Text(f"Selected box {m['selected']}: coverage {s['coverage']:.3f}, density {s['density']:.3f}, "
                            f"mass {s['mass']:.3f}, {int(s['res_dim'])} input(s) restricted "
                            f"(selected among boxes with coverage >= {m.get('min_coverage', '?')}).")  # fmt: skip
        with solara.Columns([1, 1]):
            with solara.Column():
                VegaChart(charts.tradeoff_chart(discovery_tradeoff(d), m["outcome"]), "tradeoff")
            with solara.Column():
                lim = discovery_limits(d)
                if lim.empty:
                    solara.Info("The selected box restricts no input (the whole input space).")
                else:
                    solara.Text("Limits of the selected box (range: the input's range in the runs; "
                                "qp: quasi-p value of each limit)", style={"font-weight": "bold"})  # fmt: skip
                    solara.DataFrame(lim.round(4), items_per_page=12)


@solara.component
def CalibrationView(r: OpenedResults):
    """Generations, prior vs posterior per parameter and the posterior predictive checks of a calibration."""
    c = r.calibration
    if c is None:
        return
    m = c.manifest
    solara.Text(f"ABC-SMC: {len(c.parameters)} parameter(s), {len(c.posterior)} particles, "
                f"{len(c.generations)} generation(s) stored; targets: {m.get('targets_kind', '?')}; "
                f"held out: {', '.join(m.get('holdout_keys') or []) or 'none'}")  # fmt: skip
    with solara.Columns([1, 1]):
        with solara.Card("Prior vs posterior marginals", margin=0):
            VegaChart(charts.posterior_chart(posterior_histograms(c)), "posterior")
            if not c.marginals.empty:
                solara.DataFrame(c.marginals.round(4), items_per_page=12)
        with solara.Column():
            with solara.Card("Generations", margin=0, classes=["abm-generations"]):
                g = c.generations
                solara.DataFrame(g[[k for k in GENERATION_COLUMNS if k in g]].round(4), items_per_page=12)
            with solara.Card("Posterior predictive checks", margin=0, classes=["abm-predictive"]):
                pr = predictive_rates(c)
                if pr.empty:
                    solara.Info("No posterior predictive checks in this directory.")
                else:
                    if "pass_rate" not in pr:
                        solara.Text("Observed targets: no pass rule; the estimates' 5-95% range over draws against the observed value.")
                    solara.DataFrame(pr.round(4), items_per_page=12)
