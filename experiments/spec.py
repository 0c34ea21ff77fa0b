"""The experiment spec: a YAML file validated by a frozen schema (unknown keys are errors).

A spec names scenarios, interventions (named override sets), a parameter design, replicates, a master
seed, the horizon, the outputs to keep and the executor. :func:`load_spec` validates the file;
:mod:`experiments.plan` resolves it against the model (scenarios loaded, overrides checked).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, PrivateAttr, ValidationError, ValidationInfo, field_validator

from abm.config import ConfigError, read_yaml
from abm.params import Frozen

MAX_SEED = 2**63 - 1
MECHANISMS = (
    "trust_building", "shadowing", "engagement", "co_design", "data_sharing",
    "prior_partnerships", "workload_burden", "exit", "milestones",
)  # fmt: skip

# Built-in interventions: a spec may list these by name instead of spelling out their overrides.
BUILTIN_INTERVENTIONS: dict[str, dict[str, Any]] = {
    "baseline": {},
    **{f"no_{m}": {f"params.mechanisms.{m}": False} for m in MECHANISMS},
    "dashboard_off": {"program.features.realtime_dashboard": False},
    "no_coordinator": {"program.features.coordinator": False},
    "no_champions": {"program.features.champions": False},
    "co_design": {"program.pathway": "co_design"},
    "top_down": {"program.pathway": "top_down"},
    "no_pathway": {"program.pathway": "none"},
}


class SpecError(ConfigError):
    """A spec failed to load or validate: ``<file>: <field>: <expected>``."""


class NoDesign(Frozen):
    """A single design point: the scenario as configured."""

    type: Literal["none"] = "none"


class GridDesign(Frozen):
    """Full factorial over listed values, in the order given (first parameter varies slowest)."""

    type: Literal["grid"]
    parameters: dict[str, Annotated[list[Any], Field(min_length=1)]] = Field(min_length=1)


class SampledDesign(Frozen):
    """Latin hypercube, Sobol (Saltelli) or Morris samples over closed bounds [lo, hi]."""

    type: Literal["lhs", "sobol", "morris"]
    parameters: dict[str, tuple[float, float]] = Field(min_length=1, description="name -> [lo, hi]")
    samples: int = Field(ge=1, le=1_000_000, description="LHS: points; Sobol: base N (a power of two); Morris: trajectories")
    second_order: bool = Field(True, description="Sobol only: also sample for second-order indices")
    levels: int = Field(4, ge=2, le=100, description="Morris only: grid levels")
    seed: int | None = Field(None, ge=0, le=MAX_SEED, description="sampler seed (default: the master seed)")

    @field_validator("parameters")
    @classmethod
    def _bounds(cls, v: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
        for name, (lo, hi) in v.items():
            if not lo < hi:
                raise ValueError(f"{name}: bounds must satisfy lo < hi, got [{lo}, {hi}]")
        return v

    @field_validator("samples")
    @classmethod
    def _power_of_two(cls, n: int, info: ValidationInfo) -> int:
        if info.data.get("type") == "sobol" and n & (n - 1):
            raise ValueError(f"sobol samples must be a power of two (e.g. {1 << (n.bit_length() - 1)} or {1 << n.bit_length()})")
        return n


class CsvDesign(Frozen):
    """Design rows from a CSV file: one column per parameter, one row per design point."""

    type: Literal["csv"]
    path: str


class RowsDesign(Frozen):
    """Design rows given inline (or by the Python API, e.g. SALib samples)."""

    type: Literal["rows"]
    rows: list[dict[str, Any]] = Field(min_length=1)


Design = Annotated[NoDesign | GridDesign | SampledDesign | CsvDesign | RowsDesign, Field(discriminator="type")]


class Outputs(Frozen):
    """Which tables to keep besides the summary (one row per run, always kept)."""

    steps: bool = Field(True, description="every-step table")
    milestones: bool = Field(True, description="milestone timeline")
    step_metrics: list[str] | None = Field(None, description="keep only these step columns (default: all)")
    chunk_runs: int = Field(200, ge=1, le=1_000_000, description="runs per Parquet chunk (memory bound)")
    chunk_seconds: float = Field(20.0, gt=0, description="write a chunk at least this often while runs finish")


class LocalExecutor(Frozen):
    """A local process pool."""

    type: Literal["local"] = "local"
    workers: int | None = Field(None, ge=1, le=1024, description="processes (default: all cores)")


class DaskExecutor(Frozen):
    """A Dask distributed scheduler (``dask scheduler``, dask-jobqueue, ...)."""

    type: Literal["dask"]
    address: str = Field(min_length=1, description="scheduler address, e.g. tcp://10.0.0.5:8786")
    timeout: float = Field(10.0, gt=0, le=600, description="seconds to wait for the scheduler")


Executor = Annotated[LocalExecutor | DaskExecutor, Field(discriminator="type")]


class ExperimentSpec(Frozen):
    """A batch experiment: scenarios x interventions x design points x replicates."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    model: str = Field("abm.run:run_once", pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$",
                       description="one-run function 'module:function' with run_once's signature")
    scenarios: list[str] = Field(min_length=1, description="config paths or built-in programs P1..P6")
    interventions: list[str] | dict[str, dict[str, Any] | None] = Field(
        default_factory=lambda: ["baseline"],
        description="built-in names, or name -> dotted-key overrides (null = the built-in of that name)",
    )
    design: Design = Field(default_factory=NoDesign)
    replicates: int = Field(ge=1, le=1_000_000)
    seed: int = Field(ge=0, le=MAX_SEED, description="master seed")
    steps: int | None = Field(None, ge=1, le=5200, description="horizon (default: each scenario's)")
    outputs: Outputs = Field(default_factory=Outputs)
    executor: Executor = Field(default_factory=LocalExecutor)
    posterior: str | None = Field(None, min_length=1, description="an `abm calibrate` --out directory: each replicate draws "
                                  "its parameter set from that posterior (weighted, seeded), recorded in param.<name> columns")
    # where the spec came from: relative scenario and CSV paths are resolved against base_dir
    _source: str = PrivateAttr("<spec>")
    _base_dir: str = PrivateAttr(".")

    @property
    def source(self) -> str:
        return self._source

    @property
    def base_dir(self) -> str:
        return self._base_dir

    @field_validator("scenarios")
    @classmethod
    def _unique_scenarios(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("scenarios must be unique")
        return v

    @field_validator("interventions")
    @classmethod
    def _nonempty(cls, v: Any) -> Any:
        if not v:
            raise ValueError("give at least one intervention (e.g. [baseline])")
        if isinstance(v, list) and len(set(v)) != len(v):
            raise ValueError("intervention names must be unique")
        return v


def _loc(loc: tuple[Any, ...]) -> str:
    # drop the discriminator tag pydantic inserts ("design.grid.parameters" -> "design.parameters")
    tags = {"none", "grid", "lhs", "sobol", "morris", "csv", "rows", "local", "dask", "list[str]", "dict[str,nullable[dict[str,any]]]"}
    parts = [str(x) for i, x in enumerate(loc) if not (i > 0 and str(x) in tags)]
    return ".".join(parts) or "(top level)"


def format_errors(err: ValidationError, source: str) -> str:
    """``<file>: <field>: <expected>`` for each error, joined by '; '."""
    parts = []
    seen = set()
    for e in err.errors():
        loc = _loc(e["loc"])
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown key (not a field of the experiment spec; check the spelling)"
        elif e["type"] not in ("missing",) and "input" in e and not isinstance(e["input"], dict | list):
            msg = f"{msg} (got {e['input']!r})"
        if (loc, msg) not in seen:
            seen.add((loc, msg))
            parts.append(f"{loc}: {msg}")
    return f"{source}: " + "; ".join(parts)


def spec_from_dict(data: Any, source: str = "<spec>", base_dir: str | Path = ".") -> ExperimentSpec:
    """Validate a plain mapping as an :class:`ExperimentSpec` (raises :class:`SpecError`)."""
    if not isinstance(data, dict):
        raise SpecError(f"{source}: (top level): expected a mapping, got {type(data).__name__}")
    try:
        spec = ExperimentSpec.model_validate(data)
    except ValidationError as e:
        raise SpecError(format_errors(e, source)) from None
    spec._source, spec._base_dir = source, str(base_dir)
    return spec


def load_spec(path: str | Path) -> ExperimentSpec:
    """Read and validate a spec file (schema only; see :func:`experiments.plan.resolve`)."""
    try:
        data = read_yaml(path)
    except ConfigError as e:
        raise SpecError(str(e)) from None
    return spec_from_dict(data, str(path), Path(path).parent)
