"""The explorer's panels: Solara components over one running model.

Each panel takes the model and a ``tick``: one component (the explorer page) subscribes to Mesa's
``update_counter`` (bumped by Mesa's ModelController after each Step/Play redraw, and by Setup and
Fire here) and passes it down, so the page redraws in one render pass at the chosen render interval.
(A subscription per panel costs one pass over the whole page per panel: twice the time per step.)
"""

from __future__ import annotations

import html
import math
import threading
import weakref
from typing import Any

import numpy as np
import pandas as pd
import solara
from pydantic import ValidationError

from abm import outcomes
from abm.compat import force_update, update_counter
from abm.config import CATEGORIES, KINDS, VALENCES, Effects, MilestoneEvent, Targets
from abm.events import pair_mask, target_mask
from abm.model import IntegrationModel
from dashboards.charts import CURVES, organizations_spec, outcomes_spec
from dashboards.figures import NetworkView, PracticeView
from dashboards.vega import VegaChart

KPIS = (("integration", "integration"), ("consensus", "consensus"), ("connectivity", "connectivity"),
        ("trust_mean", "trust"), ("engagement", "engagement"))  # fmt: skip
TIMELINE_COLUMNS = ["step", "category", "valence", "name", "who", "source"]
VALENCE_CSS = {"facilitating": "#2ca02c", "disrupting": "#d62728", "mixed": "#7f7f7f"}
MAX_TIMELINE_ROWS = 12
FIRE_EFFECTS = ("trust", "engagement", "data_level", "practice_pull", "resources", "leadership", "culture_distance")
FIRE_START = {"trust": 0.1, "engagement": 0.1, "data_level": 1}  # the fire panel starts with a visible effect
TARGET_MODES = ("all partners", "one organization", "one kind", "a pair")
_LOCKS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_LOCKS_GUARD = threading.Lock()


def model_lock(model: IntegrationModel) -> threading.RLock:
    """The model's lock: held while it steps and while a panel reads it, so the two never overlap
    (Play steps in its own thread; redraws and clicks run in the server's threads)."""
    with _LOCKS_GUARD:
        lock = _LOCKS.get(model)
        if lock is None:
            lock = _LOCKS[model] = threading.RLock()
        return lock


def use_view(factory, key: Any, model: IntegrationModel):
    """The cached view for this panel, rebuilt when its key changes (another model, an exit...)."""
    ref = solara.use_ref(None)
    if ref.current is None or ref.current.key != key:
        ref.current = factory()
    return ref.current


@solara.component
def NetworkPanel(model: IntegrationModel, tick: int = 0):
    """Partner network: who shares data with whom, how much they trust each other, who is engaged."""
    with model_lock(model):
        view = use_view(lambda: NetworkView(model), NetworkView.key_of(model), model)
        png = view.png(model)
    with solara.Card("Partner network", subtitle="node size ~ staff; colour ~ mean engagement; links ~ data-sharing level, shade ~ mutual trust", margin=0):
        solara.Image(png, width="100%", classes=["abm-network"])


def outcome_history(model: IntegrationModel) -> pd.DataFrame:
    """The outcome curves so far: one row per week (``step``) and one column per curve."""
    mv = model.datacollector.model_vars
    n = len(mv["integration"])
    return pd.DataFrame({"step": np.arange(n), **{k: np.asarray(mv[k][:n], float) for k in CURVES}})


@solara.component
def OutcomesPanel(model: IntegrationModel, tick: int = 0):
    """Outcome curves with milestone markers (interactive: hover a week for its values, drag or
    scroll to zoom, double-click to reset), and the current values as numbers."""
    with model_lock(model):
        m = dict(model.metrics)
        week, n_orgs, horizon = model.steps, model.state.n_orgs, model.scenario.steps
        history = outcome_history(model)
        ms = model.datacollector.get_table_dataframe("milestones")
    with solara.Card("Outcomes", subtitle="hover a week for its values; drag or scroll to zoom, double-click to reset", margin=0):
        with solara.Row(classes=["abm-kpis"], style={"flex-wrap": "wrap", "gap": "4px 16px"}):
            solara.Text(f"week {week}", classes=["abm-kpi-week"], style={"font-weight": "bold"})
            for key, label in KPIS:
                solara.Text(f"{label} {m[key]:.3f}", classes=[f"abm-kpi-{key}"])
            solara.Text(f"partners {int(m['active_partners'])}/{n_orgs}")
        VegaChart(outcomes_spec(history, ms, horizon * (1 + week // max(horizon, 1))), "outcomes")


def organization_table(model: IntegrationModel) -> pd.DataFrame:
    """Each organization's numbers: kind, staff, clinicians, mean engagement, mutual trust with its
    active partners (mean; and the trust it gives and receives), data-sharing links by level,
    workload (overload, >= 0), resources, and whether it is active."""
    s = model.state
    act = s.active
    mutual = np.minimum(s.trust, s.trust.T)
    partners = act[None, :] & ~np.eye(s.n_orgs, dtype=bool)
    npart = np.maximum(partners.sum(1), 1)
    lv = np.where(partners, s.data_level, 0)
    eng = model.org_engagement()
    return pd.DataFrame({
        "name": list(s.names), "kind": [KINDS[k] for k in s.kind], "active": act.astype(bool),
        "staff": s.size.astype(float), "clinicians": np.diff(s.block_start), "engagement": eng,
        "trust": (mutual * partners).sum(1) / npart, "trust_given": (s.trust * partners).sum(1) / npart,
        "trust_received": (s.trust.T * partners).sum(1) / npart, "links": (lv > 0).sum(1),
        "links_1": (lv == 1).sum(1), "links_2": (lv == 2).sum(1), "links_3": (lv == 3).sum(1),
        "workload": s.overload.astype(float), "resources": s.resources.astype(float),
    })  # fmt: skip


ORG_ROWS = (("kind", "kind"), ("status", "status"), ("staff", "staff"), ("clinicians", "clinicians"),
            ("engagement", "mean engagement (0-1)"), ("trust", "mutual trust with partners (0-1)"),
            ("trust_given", "trust it gives partners (0-1)"), ("trust_received", "trust partners give it (0-1)"),
            ("links", "data-sharing links"), ("links_1", "  level 1 phone/fax"), ("links_2", "  level 2 electronic"),
            ("links_3", "  level 3 real-time"), ("workload", "workload: overload (>= 0)"), ("resources", "resources"))  # fmt: skip


def organization_html(row: pd.Series) -> str:
    """One organization's numbers as a two-column HTML table (values escaped)."""
    cells = []
    for key, label in ORG_ROWS:
        x = ("active" if row["active"] else "exited") if key == "status" else row[key]
        if key == "staff":
            shown = f"{float(x):,.0f}"
        elif isinstance(x, float | np.floating):
            shown = f"{x:.3f}"
        else:
            shown = html.escape(str(x).replace("_", " "))
        cells.append(f"<tr><td style='padding:1px 8px'>{html.escape(label)}</td><td style='padding:1px 8px'><b>{shown}</b></td></tr>")
    return f"<table style='font-size:0.85em'>{''.join(cells)}</table>"


@solara.component
def OrganizationsPanel(model: IntegrationModel, tick: int = 0):
    """Every organization as a point (engagement x mutual trust); hover for its numbers, click one
    (or pick it in the list) to pin its trust, engagement, links and workload under the chart."""
    with model_lock(model):
        orgs = organization_table(model)
    names = orgs["name"].tolist()
    picked, set_picked = solara.use_state(None)
    if picked not in names:
        picked = None

    def on_click(datum) -> None:
        if isinstance(datum, dict) and datum.get("name") in names:
            set_picked(datum["name"])

    with solara.Card("Organizations", subtitle="size ~ staff, hollow = exited; hover for numbers, click one to pin them", margin=0):
        VegaChart(organizations_spec(orgs, picked), "organizations", on_click=on_click)
        solara.Select("organization", values=names, value=picked, on_value=set_picked)
        if picked is not None:
            row = orgs.set_index("name").loc[picked]
            solara.Text(picked, style={"font-weight": "bold"}, classes=["abm-org-name"])
            solara.HTML(tag="div", unsafe_innerHTML=organization_html(row), classes=["abm-org-numbers"])


@solara.component
def PracticePanel(model: IntegrationModel, tick: int = 0):
    """Clinicians' practice views by organization (one strip each)."""
    dim, set_dim = solara.use_state(0)
    with model_lock(model):
        k = model.state.views.shape[1]
        dim = min(dim, k - 1)
        view = use_view(lambda: PracticeView(model, dim), PracticeView.key_of(model, dim), model)
        consensus = model.metrics["consensus"]
        png = view.png(model)
    with solara.Card("Clinicians' practice", subtitle=f"consensus {consensus:.3f}", margin=0):
        if k > 1:
            solara.SliderInt("view dimension", value=dim + 1, min=1, max=k, on_value=lambda v: set_dim(v - 1))
        solara.Image(png, width="100%", classes=["abm-practice"])


def timeline_html(df) -> str:
    """The timeline as an HTML table (values escaped), valence shown by colour."""
    head = "".join(f"<th style='text-align:left;padding:2px 6px'>{c}</th>" for c in TIMELINE_COLUMNS)
    rows = []
    for rec in df.itertuples(index=False):
        colour = VALENCE_CSS.get(rec.valence, "#555")
        cells = [str(rec.step), html.escape(str(rec.category).replace("_", " ")),
                 f"<span style='color:{colour};font-weight:bold'>{html.escape(str(rec.valence))}</span>",
                 html.escape(str(rec.name)), html.escape(str(rec.who)), html.escape(str(rec.source))]  # fmt: skip
        rows.append("<tr>" + "".join(f"<td style='padding:2px 6px'>{c}</td>" for c in cells) + "</tr>")
    return f"<table style='font-size:0.8em;border-collapse:collapse;width:100%'><tr>{head}</tr>{''.join(rows)}</table>"


def timeline(model: IntegrationModel):
    """The milestone table, newest first."""
    df = model.datacollector.get_table_dataframe("milestones")
    return df[TIMELINE_COLUMNS].iloc[::-1].reset_index(drop=True) if len(df) else df


@solara.component
def MilestonePanel(model: IntegrationModel, tick: int = 0):
    """Milestone timeline: configured, detected and hand-fired events with category and valence."""
    with model_lock(model):
        df = timeline(model)
    with solara.Card("Milestone timeline", margin=0):
        by_cat = df["category"].value_counts() if len(df) else {}
        by_val = df["valence"].value_counts() if len(df) else {}
        counts = [f"{c.replace('_', ' ')}: {by_cat[c]}" for c in CATEGORIES if c in by_cat]
        counts += [f"{v}: {by_val[v]}" for v in VALENCES if v in by_val]
        solara.Text(" | ".join(counts) if counts else "no milestones yet", style={"font-size": "0.85em"})
        if len(df):
            # one HTML element, not a data-table widget per cell: cheap to redraw every step
            solara.HTML(tag="div", unsafe_innerHTML=timeline_html(df.head(MAX_TIMELINE_ROWS)), classes=["abm-timeline"])
            if len(df) > MAX_TIMELINE_ROWS:
                solara.Text(f"latest {MAX_TIMELINE_ROWS} of {len(df)} shown", style={"font-size": "0.8em"})


def effect_fields() -> dict[str, dict[str, Any]]:
    """The fire panel's effect inputs, generated from the Effects schema (bounds, description)."""
    out = {}
    for name in FIRE_EFFECTS:
        f = Effects.model_fields[name]
        lo = next(m.ge for m in f.metadata if getattr(m, "ge", None) is not None)
        hi = next(m.le for m in f.metadata if getattr(m, "le", None) is not None)
        out[name] = {"lo": lo, "hi": hi, "default": f.default, "integer": f.annotation is int, "description": f.description or ""}
    return out


def target_summary(model: IntegrationModel, event: MilestoneEvent) -> dict[str, float]:
    """Measures of the event's targets (and the program) to show before and after it fires."""
    s = model.state
    mask = target_mask(s, event) & s.active
    pm = pair_mask(mask) & s.active[:, None] & s.active[None, :]
    clin = mask[s.clin_org] & s.clin_active
    live = s.clin_active
    nan = float("nan")
    return {
        "targets' trust (pairs)": float(s.trust[pm].mean()) if pm.any() else nan,
        "targets' data level (pairs)": float(s.data_level[pm].mean()) if pm.any() else nan,
        "targets' engagement": float(s.engagement[clin].mean()) if clin.any() else nan,
        "targets' resources": float(s.resources[mask].mean()) if mask.any() else nan,
        "program consensus": outcomes.consensus(outcomes.sorted_columns(s.views[live])) if live.any() else nan,
        "program connectivity": outcomes.connectivity(s.data_level, s.active, s.original_clinical)[0],
    }


def make_event(name: str, category: str, valence: str, targets: Targets, effects: dict[str, float], step: int) -> MilestoneEvent:
    """A validated hand-fired event (raises pydantic ValidationError on bad input)."""
    return MilestoneEvent(name=name or "manual event", category=category, valence=valence, at=step,
                          targets=targets, effects=Effects(**effects))  # fmt: skip


@solara.component
def FirePanel(model: IntegrationModel):
    """Fire a milestone event by hand (category, target, valence, effects) and see what it changed.

    It does not redraw on every step (it reads the model only when Fire is pressed)."""
    with model_lock(model):
        names = list(model.state.names)
    name = solara.use_reactive("steering committee decision")
    category = solara.use_reactive(CATEGORIES[0])
    valence = solara.use_reactive("facilitating")
    mode = solara.use_reactive(TARGET_MODES[0])
    org = solara.use_reactive(names[0])
    org2 = solara.use_reactive(names[1])
    kind = solara.use_reactive(KINDS[0])
    fields = effect_fields()
    values = solara.use_reactive({k: FIRE_START.get(k, f["default"]) for k, f in fields.items()})
    result = solara.use_reactive(None)
    error = solara.use_reactive("")
    if org.value not in names:  # another program was set up
        org.set(names[0])
        org2.set(names[1])

    def targets() -> Targets:
        if mode.value == "one organization":
            return Targets(orgs=[org.value])
        if mode.value == "one kind":
            return Targets(kinds=[kind.value])
        if mode.value == "a pair":
            return Targets(pair=[org.value, org2.value])
        return Targets(all=True)

    def fire() -> None:
        try:
            if mode.value == "a pair" and org.value == org2.value:
                raise ValueError("a pair needs two different organizations")
            ev = make_event(name.value, category.value, valence.value, targets(), values.value, model.steps)
        except (ValidationError, ValueError) as e:
            error.set(str(e).splitlines()[0] if not isinstance(e, ValidationError) else "; ".join(x["msg"] for x in e.errors()))
            return
        with model_lock(model):
            before = target_summary(model, ev)
            model.fire(ev)
            after = target_summary(model, ev)
            week = model.steps
        error.set("")
        result.set({"event": f"{ev.name} ({ev.category.replace('_', ' ')}, {ev.valence}) at week {week}", "rows": [(k, before[k], after[k]) for k in before]})
        force_update()

    with solara.Card("Fire a milestone by hand", margin=0, classes=["abm-fire-panel", "abm-parameters"]):  # labels above sliders
        solara.InputText("name", value=name)
        with solara.Row():
            solara.Select("category", values=list(CATEGORIES), value=category)
            solara.Select("valence", values=list(VALENCES), value=valence)
        with solara.Row():
            solara.Select("target", values=list(TARGET_MODES), value=mode)
            if mode.value in ("one organization", "a pair"):
                solara.Select("organization", values=names, value=org)
            if mode.value == "a pair":
                solara.Select("and", values=names, value=org2)
            if mode.value == "one kind":
                solara.Select("kind", values=list(KINDS), value=kind)
        for key, f in fields.items():
            setter = lambda v, key=key: values.set({**values.value, key: v})  # noqa: E731
            label = f"{key} = {values.value[key]:g} (+/-)"
            if f["integer"]:
                solara.SliderInt(label, value=values.value[key], min=int(f["lo"]), max=int(f["hi"]), on_value=setter)
            else:
                solara.SliderFloat(label, value=values.value[key], min=f["lo"], max=f["hi"], step=0.01, on_value=setter)
        solara.Button("Fire now", color="warning", on_click=fire, classes=["abm-fire"])
        if error.value:
            solara.Error(error.value)
        if result.value:
            solara.Text(f"Fired: {result.value['event']}", style={"font-weight": "bold"}, classes=["abm-fired"])
            rows = "".join(f"<tr><td>{html.escape(k)}</td><td>{_fmt(b)}</td><td>{_fmt(a)}</td></tr>" for k, b, a in result.value["rows"])
            solara.HTML(tag="div", unsafe_innerHTML=f"<table style='font-size:0.85em'><tr><th>measure</th><th>before</th><th>after</th></tr>{rows}</table>")


def _fmt(x: float) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.3f}"


@solara.component
def LivePanels(model: IntegrationModel, tick: int | None = None):
    """All panels, redrawn together whenever ``tick`` changes (None: follow Mesa's update counter)."""
    if tick is None:
        tick = update_counter.get()
    with solara.Columns([1, 1]):
        with solara.Column():
            NetworkPanel(model, tick)
            OrganizationsPanel(model, tick)
            PracticePanel(model, tick)
        with solara.Column():
            OutcomesPanel(model, tick)
            MilestonePanel(model, tick)
            FirePanel(model)
