"""Interactive Vega-Lite charts (Altair) for the dashboard: hover for values, drag or scroll to zoom.

Each builder takes plain tables and returns an Altair chart; :func:`spec` turns it into the
Vega-Lite dict the page sends to the browser (vega, vega-lite and vega-embed come from solara's
local asset cache, docs/DASHBOARD.md "Offline"). Colours are hex (Vega does not know matplotlib's
``tab:`` names). Nothing here reads a model or a results directory: callers pass tables.
The static matplotlib figures (:mod:`dashboards.results_figures`) remain for PNG downloads.
"""

from __future__ import annotations

import functools

import altair as alt
import numpy as np
import pandas as pd

TAB10 = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
# the explorer's outcome curves: name -> (label, colour), in legend order
CURVES = {"integration": ("integration", "#000000"), "consensus": ("consensus", "#1f77b4"),
          "connectivity": ("connectivity", "#ff7f0e"), "trust_mean": ("trust", "#2ca02c"),
          "engagement": ("engagement", "#9467bd")}  # fmt: skip
VALENCE_HEX = {"facilitating": "#2ca02c", "disrupting": "#d62728", "mixed": "#7f7f7f"}
KIND_HEX = {"hospital": "#1f77b4", "home_care": "#ff7f0e", "community": "#2ca02c", "primary_care": "#9467bd",
            "authority": "#8c564b"}  # fmt: skip
MAX_POINTS = 1000  # a longer run is thinned to at most this many weeks per curve (the page stays fast)
LEGEND_RIGHT = {"orient": "right", "labelLimit": 220}  # legends beside the plot, never over it
SHARE = "share, 0-1"


# SVG (marks a test or a user can find); vega-embed's menu saves SVG or PNG in the browser, offline,
# without "open in the Vega editor" (online)
EMBED_OPTIONS = {"renderer": "svg", "actions": {"export": True, "source": False, "compiled": False, "editor": False}}


def spec(chart: alt.TopLevelMixin | dict) -> dict:
    """The chart as a Vega-Lite dict with the page's embed options (not validated again: the
    builders here are tested)."""
    d = chart if isinstance(chart, dict) else chart.to_dict(validate=False)
    return {**d, "usermeta": {**d.get("usermeta", {}), "embedOptions": EMBED_OPTIONS}}


def _zoom(encodings=("x",)) -> alt.Parameter:
    """Drag to pan, scroll to zoom, double-click to reset (the scales follow)."""
    return alt.selection_interval(bind="scales", encodings=list(encodings))


def _thin(df: pd.DataFrame) -> pd.DataFrame:
    if len(df) <= MAX_POINTS:
        return df
    k = int(np.ceil(len(df) / MAX_POINTS))
    keep = np.zeros(len(df), bool)
    keep[::k] = True
    keep[-1] = True
    return df[keep]


# --------------------------------------------------------------------------- explorer
# The explorer redraws after every step: building an Altair chart costs ~100 ms, so its two charts
# are built once per layout (cached Vega-Lite dicts over named data sets) and each redraw only sends
# the new rows (:func:`with_data`).
def with_data(template: dict, **datasets: pd.DataFrame) -> dict:
    """A cached chart spec with its named data sets filled in (the template itself is not changed)."""
    return {**template, "datasets": {k: df.to_dict("records") for k, df in datasets.items()}}


@functools.lru_cache(maxsize=32)
def outcomes_template(x_max: int, labelled: bool, detected: bool) -> dict:
    """Outcome curves over weeks (data set ``history``: ``step`` and the :data:`CURVES` columns);
    hovering a week shows every value; drag or scroll zooms the weeks. Configured or manual
    milestones (``labelled``) are dashed rules, detected ones (``detected``, with ``y``) triangles
    at the top, coloured by valence; hover them for name, category and who."""
    names = [label for label, _ in CURVES.values()]
    colour = alt.Color("outcome:N", scale=alt.Scale(domain=names, range=[c for _, c in CURVES.values()]),
                       legend=alt.Legend(orient="bottom", title=None, columns=5))  # fmt: skip
    x = alt.X("step:Q", title="week", scale=alt.Scale(domain=[0, x_max], nice=False))
    base = alt.Chart(alt.Data(name="history"))
    lines = (base.transform_fold(names, as_=["outcome", "level"])
             .mark_line()
             .encode(x=x, y=alt.Y("level:Q", title=f"level ({SHARE})", scale=alt.Scale(domain=[0, 1.08])),
                     color=colour, strokeWidth=alt.condition(alt.datum.outcome == "integration", alt.value(2.6), alt.value(1.5)))
             .add_params(_zoom()))  # fmt: skip
    hover = alt.selection_point(name="week", nearest=True, on="mouseover", fields=["step"], empty=False, clear="mouseout")
    tips = [alt.Tooltip("step:Q", title="week")] + [alt.Tooltip(f"{lab}:Q", format=".3f") for lab in names]
    rule = (base.mark_rule(color="#888888", strokeWidth=6)
            .encode(x="step:Q", opacity=alt.condition(hover, alt.value(0.35), alt.value(0)), tooltip=tips)
            .add_params(hover))  # fmt: skip
    layers = [lines, rule]
    mtips = ["step:Q", "name:N", "category:N", "valence:N", "who:N", "source:N"]
    vcol = alt.Color("valence:N", scale=alt.Scale(domain=list(VALENCE_HEX), range=list(VALENCE_HEX.values())), legend=None)
    if labelled:
        layers.append(alt.Chart(alt.Data(name="labelled")).mark_rule(strokeDash=[5, 3], strokeWidth=1.3)
                      .encode(x="step:Q", color=vcol, tooltip=mtips))  # fmt: skip
    if detected:
        layers.append(alt.Chart(alt.Data(name="detected")).mark_point(shape="triangle-down", filled=True, size=45)
                      .encode(x="step:Q", y="y:Q", color=vcol, tooltip=mtips))  # fmt: skip
    return spec(alt.layer(*layers).resolve_scale(color="independent").properties(width="container", height=260))


def outcomes_spec(history: pd.DataFrame, milestones: pd.DataFrame | None, x_max: int) -> dict:
    """The outcome chart of a run: ``history`` one row per week, ``milestones`` the model's table."""
    wide = _thin(history[["step", *CURVES]].astype(float)).rename(columns={k: lab for k, (lab, _) in CURVES.items()})
    ms = milestones if milestones is not None and len(milestones) else pd.DataFrame(columns=["source", "category"])
    ms = ms.assign(category=ms["category"].astype(str).str.replace("_", " "))
    keep = ["step", "name", "category", "valence", "who", "source"]
    labelled = ms.loc[ms["source"] != "detected", keep] if len(ms) else ms
    detected = ms.loc[ms["source"] == "detected", keep].assign(y=1.05) if len(ms) else ms
    tmpl = outcomes_template(int(x_max), bool(len(labelled)), bool(len(detected)))
    return with_data(tmpl, history=wide, labelled=labelled, detected=detected)


@functools.lru_cache(maxsize=32)
def organizations_template(kinds: tuple[str, ...]) -> dict:
    """One point per organization (data set ``orgs``, see :func:`organizations_spec`): mean engagement
    (x) against mutual trust with its partners (y), size ~ staff, colour ~ kind, hollow when exited,
    a thick outline when picked; hover for its numbers, click to pin them, drag or scroll to zoom."""
    tips = [alt.Tooltip("name:N"), alt.Tooltip("kind:N"), alt.Tooltip("status:N"),
            alt.Tooltip("engagement:Q", format=".3f", title="mean engagement"),
            alt.Tooltip("trust:Q", format=".3f", title="mutual trust (partners)"),
            alt.Tooltip("links:Q", title="data-sharing links"), alt.Tooltip("workload:Q", format=".3f", title="overload")]  # fmt: skip
    chart = (alt.Chart(alt.Data(name="orgs")).mark_point(filled=True, cursor="pointer")
             .encode(x=alt.X("engagement:Q", title=f"mean engagement ({SHARE})", scale=alt.Scale(zero=False, padding=12)),
                     y=alt.Y("trust:Q", title=f"mutual trust with partners ({SHARE})", scale=alt.Scale(zero=False, padding=12)),
                     size=alt.Size("staff:Q", title="staff", legend=None, scale=alt.Scale(range=[40, 600])),
                     color=alt.Color("kind:N", scale=alt.Scale(domain=list(kinds), range=[KIND_HEX.get(k, "#7f7f7f") for k in kinds]),
                                     legend=alt.Legend(orient="bottom", title=None)),
                     fillOpacity=alt.condition(alt.datum.status == "exited", alt.value(0.0), alt.value(0.75)),
                     stroke=alt.condition(alt.datum.picked, alt.value("#000000"), alt.value("#333333")),
                     strokeWidth=alt.condition(alt.datum.picked, alt.value(3), alt.value(0.8)),
                     tooltip=tips)
             .add_params(_zoom(("x", "y")))
             .properties(width="container", height=240))  # fmt: skip
    return spec(chart)


def organizations_spec(orgs: pd.DataFrame, picked: str | None = None) -> dict:
    """``orgs``: one row per organization (name, kind, active, staff, engagement, trust, links, workload)."""
    cols = ["name", "kind", "staff", "engagement", "trust", "links", "workload"]
    data = orgs[cols].assign(picked=orgs["name"] == picked, status=np.where(orgs["active"], "active", "exited"))
    kinds = tuple(k for k in KIND_HEX if k in set(data["kind"])) or tuple(sorted(set(data["kind"])))
    return with_data(organizations_template(kinds), orgs=data)


# --------------------------------------------------------------------------- results browser
def comparison_chart(cmp: pd.DataFrame, outcome: str, label: str) -> alt.LayerChart:
    """Mean and 95% CI per row of ``cmp`` (column ``row``: program / intervention / design point),
    colour per intervention; hover for n, mean, CI and the design point's parameter values."""
    params = [c for c in cmp.columns if c.startswith("param.")]
    data = cmp.assign(**{c.replace("param.", "p_"): cmp[c] for c in params})
    tips = ["scenario:N", "intervention:N", "point:N", "n:Q", alt.Tooltip("mean:Q", format=".4f"),
            alt.Tooltip("ci_low:Q", format=".4f", title="CI low"), alt.Tooltip("ci_high:Q", format=".4f", title="CI high")]
    tips += [alt.Tooltip(f"{c.replace('param.', 'p_')}:Q", title=c.replace("param.", ""), format=".4g") for c in params]
    y = alt.Y("row:N", title="program / intervention", sort=list(data["row"]), axis=alt.Axis(labelLimit=420))
    colour = alt.Color("intervention:N", scale=alt.Scale(range=TAB10), legend=alt.Legend(orient="top", title="intervention"))
    base = alt.Chart(data)
    bars = base.mark_rule(strokeWidth=2).encode(y=y, x=alt.X("ci_low:Q", title=f"{label}: mean and 95% bootstrap CI",
                                                              scale=alt.Scale(zero=False)), x2="ci_high:Q", color=colour, tooltip=tips)  # fmt: skip
    dots = base.mark_point(filled=True, size=60).encode(y=y, x="mean:Q", color=colour, tooltip=tips).add_params(_zoom())
    return alt.layer(bars, dots).properties(width="container", height=max(120, 22 * len(data)), title=f"{outcome.replace('_', ' ')}")


def envelope_chart(env: pd.DataFrame, scenario: str, metric: str, label: str) -> alt.FacetChart:
    """Median, 50% and 90% of runs over weeks: one small panel per intervention (envelopes never
    overlap), shared axes; hover for the quantiles of a week, drag or scroll to zoom."""
    tips = [alt.Tooltip("intervention:N"), alt.Tooltip("step:Q", title="week"), alt.Tooltip("median:Q", format=".3f")]
    tips += [alt.Tooltip(f"{q}:Q", format=".3f") for q in ("q05", "q25", "q75", "q95")]
    x = alt.X("step:Q", title="week")
    colour = alt.Color("intervention:N", scale=alt.Scale(range=TAB10), legend=None)
    base = alt.Chart().encode(x=x, color=colour)
    outer = base.mark_area(opacity=0.15).encode(y=alt.Y("q05:Q", title=label), y2="q95:Q")
    inner = base.mark_area(opacity=0.3).encode(y="q25:Q", y2="q75:Q")
    med = base.mark_line(strokeWidth=2).encode(y="median:Q")
    hover = alt.selection_point(nearest=True, on="mouseover", fields=["step"], empty=False, clear="mouseout")
    pts = base.mark_point(size=30, filled=True).encode(y="median:Q", opacity=alt.condition(hover, alt.value(1), alt.value(0)),
                                                       tooltip=tips).add_params(hover)  # fmt: skip
    layer = alt.layer(outer, inner, med.add_params(_zoom()), pts, data=env)
    return layer.properties(width=300, height=190).facet(
        facet=alt.Facet("intervention:N", title=f"{scenario}: {metric.replace('_', ' ')} (line: median; bands: 50% and 90% of runs)"),
        columns=2)  # fmt: skip


def milestones_chart(freq: pd.DataFrame) -> alt.Chart:
    """Mean milestones per run by category (stacked), one bar per program / intervention."""
    long = freq.reset_index().melt(id_vars=["scenario", "intervention"], var_name="category", value_name="per_run")
    long = long.assign(row=long["scenario"] + " / " + long["intervention"], category=long["category"].str.replace("_", " "))
    return (alt.Chart(long).mark_bar()
            .encode(y=alt.Y("row:N", title="program / intervention", sort=list(dict.fromkeys(long["row"]))),
                    x=alt.X("per_run:Q", title="milestones per run (mean)"),
                    color=alt.Color("category:N", legend=alt.Legend(orient="bottom", title="category", columns=4)),
                    tooltip=["row:N", "category:N", alt.Tooltip("per_run:Q", format=".2f", title="per run")])
            .properties(width="container", height=max(100, 24 * long["row"].nunique())))  # fmt: skip


def indices_chart(rows: pd.DataFrame, outcome: str, method: str) -> alt.FacetChart:
    """Sensitivity indices with 95% CIs, one panel per index (S1 | ST ...), parameters sorted by the
    last index; hover for value, CI and N."""
    kinds = list(dict.fromkeys(rows["index"]))
    order = rows[rows["index"] == kinds[-1]].sort_values("value", ascending=False)["parameter"].tolist()
    data = rows.assign(lo=rows.get("lo", rows["value"]), hi=rows.get("hi", rows["value"]))
    tips = ["parameter:N", "index:N", alt.Tooltip("value:Q", format=".4f"), alt.Tooltip("lo:Q", format=".4f", title="CI low"),
            alt.Tooltip("hi:Q", format=".4f", title="CI high")] + (["N:Q"] if "N" in data else [])  # fmt: skip
    y = alt.Y("parameter:N", sort=order, title="parameter", axis=alt.Axis(labelLimit=260))
    colour = alt.Color("index:N", scale=alt.Scale(domain=kinds, range=TAB10[: len(kinds)]), legend=None)
    bars = alt.Chart().mark_bar(opacity=0.8).encode(y=y, x=alt.X("value:Q", title="index value (line: 95% CI)"), color=colour, tooltip=tips)
    ci = alt.Chart().mark_rule(color="#222222").encode(y=y, x="lo:Q", x2="hi:Q", tooltip=tips)
    return alt.layer(bars, ci, data=data).properties(width=260, height=max(80, 16 * len(order))).facet(
        column=alt.Column("index:N", sort=kinds, title=f"{method} indices of {outcome}"))


def morris_chart(mu: pd.DataFrame, outcome: str, labelled: int = 12) -> alt.LayerChart:
    """Morris mu* (x) against sigma (y), a point per parameter; the ``labelled`` largest mu* named,
    every point named on hover; the dashed line is sigma = mu*."""
    data = mu.assign(rank=mu["mu_star"].rank(ascending=False, method="first"))
    tips = ["parameter:N", alt.Tooltip("mu_star:Q", format=".4f", title="mu*"), alt.Tooltip("sigma:Q", format=".4f")]
    if "lo" in data:
        tips += [alt.Tooltip("lo:Q", format=".4f", title="mu* CI low"), alt.Tooltip("hi:Q", format=".4f", title="mu* CI high")]
    top = float(np.nanmax(np.r_[data["mu_star"].to_numpy(float), data["sigma"].to_numpy(float), 1e-12]))
    x = alt.X("mu_star:Q", title="mu* (mean |elementary effect|)")
    y = alt.Y("sigma:Q", title="sigma (interaction / non-linearity)")
    diag = alt.Chart(pd.DataFrame({"a": [0.0, top], "b": [0.0, top]})).mark_line(strokeDash=[4, 3], color="#888888").encode(x="a:Q", y="b:Q")
    pts = alt.Chart(data).mark_point(filled=True, size=50, color=TAB10[0]).encode(x=x, y=y, tooltip=tips).add_params(_zoom(("x", "y")))
    names = alt.Chart(data).transform_filter(alt.datum.rank <= labelled).mark_text(align="left", dx=5, dy=-4, fontSize=10).encode(
        x="mu_star:Q", y="sigma:Q", text="parameter:N")
    return alt.layer(diag, pts, names).properties(width="container", height=300, title=f"Morris screening of {outcome}")


def convergence_chart(rows: pd.DataFrame, key: str, outcome: str, method: str) -> alt.LayerChart:
    """One index per parameter against the sample size N, with its CI band; the legend sits beside
    the plot (in columns when there are many parameters) and clicking a name highlights its line."""
    n = rows["parameter"].nunique()
    pick = alt.selection_point(fields=["parameter"], bind="legend")
    legend = alt.Legend(**LEGEND_RIGHT, columns=1 + n // 25, title="parameter (click)", symbolLimit=0)
    colour = alt.Color("parameter:N", scale=alt.Scale(range=TAB10), legend=legend)
    x = alt.X("N:Q", title="sample size N", scale=alt.Scale(type="log", base=2))
    tips = ["parameter:N", "N:Q", alt.Tooltip("value:Q", format=".4f")]
    layers = []
    if {"lo", "hi"} <= set(rows):
        layers.append(alt.Chart().mark_area(opacity=0.1).encode(x=x, y="lo:Q", y2="hi:Q", color=colour))
    y = alt.Y("value:Q", title=f"{key} (index value)")
    fade = alt.condition(pick, alt.value(1), alt.value(0.15))
    layers.append(alt.Chart().mark_line().encode(x=x, y=y, color=colour, opacity=fade).add_params(pick))
    # points drawn as their own layer: a line mark's own points would copy the selection (vega-lite 5.2)
    layers.append(alt.Chart().mark_point(filled=True, size=30).encode(x=x, y=y, color=colour, tooltip=tips, opacity=fade))
    return alt.layer(*layers, data=rows.sort_values("N")).properties(
        width="container", height=280, title=f"Convergence of {method} {key} for {outcome}")


def tradeoff_chart(traj: pd.DataFrame, outcome: str) -> alt.LayerChart:
    """Scenario discovery: coverage (x) against density (y) of every box on the PRIM peeling
    trajectory, coloured by the number of restricted inputs, the selected box ringed and labelled;
    hover a box for its coverage, density, mass and restricted inputs; drag or scroll to zoom."""
    data = traj.assign(res_dim=traj["res_dim"].astype(int), selected=traj["selected"].astype(bool))
    tips = [alt.Tooltip("id:Q", title="box"), alt.Tooltip("coverage:Q", format=".3f"), alt.Tooltip("density:Q", format=".3f"),
            alt.Tooltip("mass:Q", format=".3f", title="mass (share of runs)"), alt.Tooltip("res_dim:Q", title="inputs restricted"),
            alt.Tooltip("restricted:N", title="restricted inputs")]  # fmt: skip
    x = alt.X("coverage:Q", title="coverage (share of the runs of interest inside the box)", scale=alt.Scale(zero=False, padding=10))
    y = alt.Y("density:Q", title="density (share of the box's runs of interest)", scale=alt.Scale(zero=False, padding=10))
    base = alt.Chart(data)
    path = base.mark_line(color="#bbbbbb", strokeWidth=1).encode(x=x, y=y, order="id:Q")
    pts = (base.mark_point(filled=True, size=60)
           .encode(x=x, y=y, tooltip=tips,
                   color=alt.Color("res_dim:O", scale=alt.Scale(range=TAB10), legend=alt.Legend(**LEGEND_RIGHT, title="inputs restricted")))
           .add_params(_zoom(("x", "y"))))  # fmt: skip
    chosen = base.transform_filter(alt.datum.selected)
    ring = chosen.mark_point(shape="circle", size=420, strokeWidth=2.5, color="#d62728", filled=False).encode(x=x, y=y, tooltip=tips)
    label = chosen.mark_text(align="left", dx=14, dy=-10, fontWeight="bold", color="#d62728").encode(
        x=x, y=y, text=alt.value("selected box"))
    return alt.layer(path, pts, ring, label).properties(width="container", height=320,
                                                        title=f"PRIM trade-off for {outcome.replace('_', ' ')}")  # fmt: skip


def posterior_chart(hist: pd.DataFrame) -> alt.FacetChart:
    """Calibration: prior vs posterior per parameter, one panel each (its own x range): the weighted
    posterior histogram as a density (bars) and the uniform prior's density over its range (dashed);
    hover a bar for its range, density and posterior mass."""
    tips = ["parameter:N", alt.Tooltip("lo:Q", format=".4g", title="from"), alt.Tooltip("hi:Q", format=".4g", title="to"),
            alt.Tooltip("density:Q", format=".3f"), alt.Tooltip("mass:Q", format=".3f", title="posterior mass")]  # fmt: skip
    x = alt.X("lo:Q", title="parameter value", scale=alt.Scale(zero=False, nice=False))
    y = alt.Y("density:Q", title="density")
    bars = (alt.Chart().transform_filter(alt.datum.kind == "posterior")
            .mark_rect(color=TAB10[0], opacity=0.75, stroke="#ffffff", strokeWidth=0.5)
            .encode(x=x, x2="hi:Q", y=y, y2=alt.datum(0), tooltip=tips))  # fmt: skip
    prior_tips = ["parameter:N", alt.Tooltip("lo:Q", format=".4g", title="prior from"),
                  alt.Tooltip("hi:Q", format=".4g", title="prior to"), alt.Tooltip("density:Q", format=".4g", title="prior density")]
    prior = (alt.Chart().transform_filter(alt.datum.kind == "prior")
             .mark_rule(color="#000000", strokeDash=[5, 3], strokeWidth=2)
             .encode(x="lo:Q", x2="hi:Q", y="density:Q", tooltip=prior_tips))  # fmt: skip
    n = hist["parameter"].nunique()
    return (alt.layer(bars, prior, data=hist).properties(width=260, height=170)
            .facet(facet=alt.Facet("parameter:N", title="posterior (bars, weighted) vs uniform prior (dashed)"), columns=min(3, n))
            .resolve_scale(x="independent", y="independent"))  # fmt: skip
