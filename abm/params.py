"""Model parameters, declared once.

Every numeric parameter is a field of the frozen :class:`Params` model with its default, its
range (``ge``/``le``) and its unit. Sliders, the SALib problem, the ODD parameter table and config
validation are all generated from this one declaration (see :func:`numeric_fields`).
Mechanism switches (``Mechanisms``) turn whole mechanisms off for knock-out runs and
reductions to canonical models.

References: starting values from the model brief (documented with each parameter in docs/ODD.md section 7.11); mechanisms from
Embuldeniya et al. (2018), Milbank Q 96(4):782-813.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

PROCESSES = (
    "initialization", "apply_milestones", "patient_transitions", "planned_interactions", "update_trust",
    "update_consensus", "update_engagement", "update_data_sharing", "update_workload", "partner_exit", "observe", "summary",
)  # fmt: skip


def P(default: float, lo: float, hi: float, unit: str, description: str, process: str, *, lo_open: bool = False) -> Any:
    """A numeric parameter: default, range [lo, hi] (``lo_open``: (lo, hi], lo itself refused), unit, meaning
    and the ODD process(es) it acts in.

    ``process`` names the processes of :meth:`abm.model.IntegrationModel.step` (or ``initialization``,
    ``summary``) separated by spaces, where it acts first; a test perturbs each parameter alone and
    checks that the first process whose output changes is one of them.
    """
    assert all(p in PROCESSES for p in process.split()), process
    low = {"gt": lo} if lo_open else {"ge": lo}
    return Field(default, **low, le=hi, description=description, json_schema_extra={"unit": unit, "process": process})


class Frozen(BaseModel):
    """Base for every schema: immutable, and unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Mechanisms(Frozen):
    """Switches for whole mechanisms (knock-outs, reductions). All on by default."""

    trust_building: bool = Field(True, description="trust responds to experience (else fixed)")
    shadowing: bool = Field(True, description="work shadowing between clinicians of different partners")
    engagement: bool = Field(True, description="engagement dynamics and champions")
    co_design: bool = Field(True, description="pathway workshops pull practice to the co-designed pathway")
    data_sharing: bool = Field(True, description="data-sharing links form and decay")
    prior_partnerships: bool = Field(True, description="prior partnership matrix shapes initial state")
    workload_burden: bool = Field(True, description="participation costs create overload")
    exit: bool = Field(True, description="partners may leave when benefit is low")
    milestones: bool = Field(True, description="configured milestone events fire")
    mixing: Literal["program", "random"] = Field(
        "program",
        description="'program': interaction from hand-offs, meetings, shadowing, teams; "
        "'random': every clinician meets a uniformly random other each step (reduction tests)",
    )
    link_formation: Literal["trust", "fixed"] = Field(
        "trust",
        description="'trust': links form from joint work, mutual trust and resources; "
        "'fixed': every active pair upgrades with probability link_upgrade per step (Gilbert G(n, p) reduction)",
    )
    initial_views: Literal["clustered", "uniform"] = Field(
        "clustered", description="initial practice views: per-organization centres, or uniform on [0,1]"
    )


class Params(Frozen):
    """Numeric parameters of the model (units: a step is a week unless `step_days` says otherwise)."""

    # --- time and resolution
    step_days: float = P(7.0, 1.0, 31.0, "days", "length of one step", "patient_transitions")
    clinicians_per_staff: float = P(0.02, 0.001, 1.0, "agents/staff", "clinician agents per staff member (resolution)", "initialization")
    min_clinicians: int = P(5, 1, 1000, "agents", "fewest clinician agents per organization", "initialization")
    max_clinicians: int = P(40, 1, 100000, "agents", "most clinician agents per organization", "initialization")
    view_dims: int = P(1, 1, 8, "dimensions", "dimensions K of a clinician's practice view", "initialization")
    # --- patient flow and hand-offs (logistic success model)
    volume_per_staff: float = P(0.004, 0.0, 0.1, "patients/staff/step", "bundle discharges per hospital staff member per step", "patient_transitions")
    catchment: float = P(0.9, 0.0, 1.0, "share", "weight of referrals that stay within the sender's region", "patient_transitions")
    handoff_intercept: float = P(1.2, -3.0, 5.0, "logit", "hand-off success intercept", "patient_transitions")
    handoff_data: float = P(0.5, 0.0, 3.0, "logit/level", "effect of data-sharing level on success", "patient_transitions")
    handoff_trust: float = P(1.5, 0.0, 5.0, "logit", "effect of sender's trust in receiver on success", "patient_transitions")
    handoff_coordinator: float = P(0.8, 0.0, 3.0, "logit", "effect of an integrated care coordinator", "patient_transitions")
    warm_handoff_share: float = P(0.7, 0.0, 1.0, "share", "a warm hand-off counts as this share of a coordinator", "initialization")
    handoff_line_24_7: float = P(0.3, 0.0, 3.0, "logit", "effect of a 24/7 line for receiving clinicians on success", "patient_transitions")
    handoff_telemonitoring: float = P(0.3, 0.0, 3.0, "logit", "effect of home telemonitoring of bundle patients on success", "patient_transitions")
    handoff_familiarity: float = P(0.5, 0.0, 3.0, "logit", "effect of a familiarity tie between the two clinicians", "patient_transitions")
    handoff_complexity: float = P(1.5, 0.0, 5.0, "logit", "penalty per unit condition complexity", "patient_transitions")
    handoff_overload: float = P(3.0, 0.0, 10.0, "logit", "penalty per unit receiver overload", "patient_transitions")
    referral_engagement: float = P(1.0, 0.0, 5.0, "logit", "effect of sender engagement on referral quality", "patient_transitions")
    # --- planned interactions
    meeting_interval: int = P(4, 1, 52, "steps", "steps between steering meetings", "planned_interactions")
    shadowing_rate: float = P(0.01, 0.0, 1.0, "1/clinician/step", "work-shadowing visits per clinician per step", "planned_interactions")
    virtual_rounds_rate: float = P(0.02, 0.0, 1.0, "1/clinician/step", "virtual-rounds contacts per clinician per step with a partner of the other sector (if the program has them)", "planned_interactions")
    outreach_rate: float = P(0.5, 0.0, 5.0, "1/champion/step", "outreach contacts per champion per step", "planned_interactions")
    team_contact: float = P(0.5, 0.0, 1.0, "1/clinician/step", "within-organization practice contacts per clinician per step", "update_consensus")
    champion_share: float = P(0.05, 0.0, 0.5, "share", "share of clinicians who are champions (if the program has champions)", "initialization")
    # --- trust (asymmetric)
    trust_alpha: float = P(0.02, 0.0, 0.2, "1/step", "trust gain rate from good experience", "update_trust")
    trust_beta_ratio: float = P(3.0, 1.0, 10.0, "ratio", "loss rate beta as a multiple of alpha (> 1: trust is lost faster than it is gained)", "update_trust", lo_open=True)
    breach_probability: float = P(0.3, 0.0, 1.0, "probability", "chance that failed hand-offs are felt as a breach", "update_trust")
    culture_damping: float = P(0.5, 0.0, 1.0, "share", "kappa: how much culture distance damps trust gains", "update_trust")
    trust_relax: float = P(0.01, 0.0, 0.2, "1/step", "relaxation of trust toward its baseline without interaction", "update_trust")
    baseline_drift: float = P(0.002, 0.0, 0.05, "1/step", "drift of the trust baseline toward current trust", "update_trust")
    trust_initial: float = P(0.35, 0.0, 1.0, "trust", "initial trust between partners with no prior partnership", "initialization")
    prior_trust_gain: float = P(0.5, 0.0, 1.0, "trust", "initial trust added by a full prior partnership", "initialization")
    shadow_alpha_ratio: float = P(4.0, 1.0, 10.0, "ratio", "trust gain of shadowing as a multiple of alpha", "update_trust")
    shadow_culture_shrink: float = P(0.01, 0.0, 0.2, "distance/event", "culture distance removed per shadowing visit", "update_trust")
    meeting_trust: float = P(0.01, 0.0, 0.1, "1/meeting", "trust gain between leaders meeting at the steering table", "update_trust")
    # --- consensus (bounded confidence)
    eps0: float = P(0.05, 0.0, 1.0, "view distance", "base openness (confidence bound)", "update_consensus")
    eps_trust: float = P(0.3, 0.0, 1.0, "view distance", "openness added by full trust in the other's organization", "update_consensus")
    engagement_openness: float = P(1.0, 0.0, 1.0, "share", "how much engagement gates openness (0 = not at all)", "update_consensus")
    mu: float = P(0.1, 0.0, 0.5, "share", "convergence step of bounded confidence", "update_consensus")
    engagement_step: float = P(1.0, 0.0, 1.0, "share", "how much the pair's engagement scales the step (0 = not at all)", "update_consensus")
    champion_persuasion: float = P(2.0, 1.0, 5.0, "ratio", "how much more a champion moves the other", "update_consensus")
    champion_firmness: float = P(0.5, 0.0, 1.0, "share", "how much less a champion moves", "update_consensus")
    org_view_spread: float = P(0.2, 0.0, 0.5, "view units (sd)", "between-organization spread of practice centres", "initialization")
    individual_view_spread: float = P(0.12, 0.0, 0.5, "view units (sd)", "within-organization spread of views", "initialization")
    prior_view_alignment: float = P(0.6, 0.0, 1.0, "share", "how far a full prior partnership pulls practice centres together", "initialization")
    workshop_interval: int = P(8, 1, 104, "steps", "steps between pathway workshops (co-design) or directives (top-down)", "update_consensus")
    workshop_share: float = P(0.2, 0.0, 1.0, "share", "share of clinicians taking part in a co-design workshop", "update_consensus")
    codesign_pull: float = P(0.15, 0.0, 1.0, "share", "pull of participants toward the co-designed pathway", "update_consensus")
    topdown_pull: float = P(0.05, 0.0, 1.0, "share", "pull toward an imposed pathway of a fully engaged clinician (each adopts in proportion to engagement)", "update_consensus")
    codesign_structure: float = P(0.05, 0.0, 1.0, "1/workshop", "shared structure gained by two partners whose clinicians co-design together", "update_consensus")
    # --- engagement
    engagement_relax: float = P(0.01, 0.0, 0.2, "1/step", "relaxation of engagement toward its role baseline", "update_engagement")
    baseline_physician: float = P(0.35, 0.0, 1.0, "engagement", "engagement baseline of physicians", "initialization")
    baseline_other: float = P(0.55, 0.0, 1.0, "engagement", "engagement baseline of other roles", "initialization")
    usefulness_gain: float = P(0.03, 0.0, 0.3, "1/success", "engagement gain per successful hand-off taken part in", "update_engagement")
    data_visibility_gain: float = P(0.02, 0.0, 0.3, "1/step", "physician engagement gain from real-time shared data", "update_engagement")
    champion_gain: float = P(0.05, 0.0, 0.5, "1/contact", "engagement gain from a champion's outreach", "update_engagement")
    inclusion_gain: float = P(0.1, 0.0, 0.5, "1/workshop", "engagement gain from taking part in co-design", "update_engagement")
    topdown_penalty: float = P(0.05, 0.0, 0.5, "1/directive", "engagement loss from an imposed pathway", "update_engagement")
    leadership_gain: float = P(0.005, 0.0, 0.1, "1/step", "engagement gain under a fully hands-on leader", "update_engagement")
    overload_penalty: float = P(0.05, 0.0, 0.5, "1/step/overload", "engagement loss per unit overload", "update_engagement")
    # --- data sharing
    link_trust_gate: float = P(0.55, 0.0, 1.0, "trust", "mutual trust needed to upgrade a data link", "update_data_sharing")
    link_upgrade: float = P(0.06, 0.0, 1.0, "1/step", "chance per step that an eligible pair upgrades its link", "update_data_sharing")
    different_it_factor: float = P(0.5, 0.0, 1.0, "factor", "upgrade chance multiplier across different IT systems", "update_data_sharing")
    privacy_mismatch_factor: float = P(0.8, 0.0, 1.0, "factor", "upgrade chance lost per unit privacy-stance difference", "update_data_sharing")
    min_resources: float = P(0.1, 0.0, 1.0, "resources", "slack resources both sides need to build a link", "update_data_sharing")
    link_collapse_trust: float = P(0.25, 0.0, 1.0, "trust", "mutual trust below which links decay", "update_data_sharing observe")
    link_decay: float = P(0.1, 0.0, 1.0, "1/step", "chance per step that a link in a low-trust pair drops a level", "update_data_sharing")
    contact_window: int = P(8, 1, 104, "steps", "a pair works together if it interacted within this many steps", "update_data_sharing")
    prior_structure: float = P(0.5, 0.0, 1.0, "structure", "shared structure (governance, roles) of a full prior partnership at start", "initialization")
    routine_smoothing: float = P(0.1, 0.01, 1.0, "1/step", "smoothing of a care pair's hand-off flow and success", "update_data_sharing")
    routine_flow: float = P(0.2, 0.0, 10.0, "patients/step", "smoothed hand-off flow from which a care pair's hand-offs are regular", "observe")
    routine_success: float = P(0.9, 0.0, 1.0, "share", "smoothed success from which a care pair's regular hand-offs are a routine", "observe")
    # --- workload, resources, exit
    base_workload: float = P(0.95, 0.0, 2.0, "capacity", "workload before the program, as a share of capacity", "update_workload")
    fixed_cost: float = P(0.12, 0.0, 0.5, "capacity x 100 staff/activity", "workload of one program activity at a 100-staff organization", "update_workload")
    patient_cost: float = P(1.0, 0.0, 20.0, "capacity/(patient/staff)", "workload per patient received per staff", "update_workload")
    slack_capacity: float = P(0.3, 0.0, 1.0, "capacity", "capacity added by full slack resources", "update_workload")
    exit_threshold: float = P(0.04, -1.0, 1.0, "benefit", "perceived benefit below which a partner may leave", "partner_exit")
    exit_hazard: float = P(0.02, 0.0, 1.0, "1/step", "chance per step of leaving while below the threshold", "partner_exit")
    # --- outcome thresholds
    consensus_threshold: float = P(0.8, 0.0, 1.0, "consensus", "consensus counted as reached", "observe")
    connectivity_threshold: float = P(0.75, 0.0, 1.0, "connectivity", "connectivity counted as reached", "summary")
    integration_threshold: float = P(0.85, 0.0, 1.0, "integration", "integration counted as reached", "observe")

    mechanisms: Mechanisms = Field(default_factory=Mechanisms, description="mechanism switches")

    def record(self) -> Any:
        """The numeric parameters as one typed record for compiled code (fields named as here).

        A one-element read-only structured array: mechanisms read ``params[0].trust_alpha``. Built
        once per parameter set (runs with equal parameters share it).
        """
        return _record(self)

    @property
    def trust_beta(self) -> float:
        """Trust loss rate beta = alpha x ratio (beta > alpha: slow to build, quick to fall)."""
        return self.trust_alpha * self.trust_beta_ratio


@lru_cache(maxsize=256)
def _record(params: Params) -> Any:
    from abm.mechanisms._numba import params_record

    fields = params.__dict__
    rec = params_record({name: fields[name] for name in _NUMERIC})
    rec.flags.writeable = False
    return rec


def numeric_fields() -> dict[str, dict[str, Any]]:
    """Name -> {default, lo, hi, lo_open, unit, description, type, process} for every numeric parameter.

    ``lo_open``: the range is (lo, hi], lo itself is refused (e.g. ``trust_beta_ratio`` > 1); a sampler
    or slider over the range starts just above it (:func:`sampling_range`).
    """
    out: dict[str, dict[str, Any]] = {}
    for name, f in Params.model_fields.items():
        if f.annotation not in (int, float):
            continue
        lo = hi = None
        lo_open = False
        for m in f.metadata:
            lo = getattr(m, "ge", lo) if getattr(m, "ge", None) is not None else lo
            if getattr(m, "gt", None) is not None:
                lo, lo_open = m.gt, True
            hi = getattr(m, "le", hi) if getattr(m, "le", None) is not None else hi
        out[name] = {
            "default": f.default,
            "lo": lo,
            "hi": hi,
            "lo_open": lo_open,
            "unit": (f.json_schema_extra or {}).get("unit", ""),
            "process": (f.json_schema_extra or {}).get("process", ""),
            "description": f.description or "",
            "type": f.annotation.__name__,
        }
    return out


def sampling_range(entry: dict[str, Any]) -> tuple[float, float]:
    """The closed range a sampler may draw from for a :func:`numeric_fields` entry: [lo, hi], or for an
    open lower bound [the next float above lo, hi] (every point of it is a valid value)."""
    lo, hi = float(entry["lo"]), float(entry["hi"])
    return (float(np.nextafter(lo, hi)) if entry.get("lo_open") else lo), hi


_NUMERIC = tuple(numeric_fields())
