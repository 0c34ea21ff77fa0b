"""The malformed-input corpus: scenario configs, experiment specs and sensitivity specs that must be refused.

Every case runs the real command (``abm check FILE``, ``abm experiment SPEC --out DIR``,
``abm sensitivity SPEC --out DIR``) and must exit 2 with exactly one line, ``error: <file>: <field>: ...``
(with the line number where YAML gives one), no traceback, and no results folder. Cases run in process
(typer's CliRunner: same exit code and output); a few also run the installed ``abm`` in a subprocess.

More cases live next to their subject (tests/abm/test_cli.py, tests/experiments/test_exp_spec.py,
tests/experiments/test_sens_spec.py); this corpus does not repeat them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from abm.cli import app

CONFIG = """\
name: tiny
organizations:
  - {name: H, kind: hospital, size: 800}
  - {name: C, kind: home_care, size: 300}
program:
  pathway: co_design
  features: {coordinator: true}
params:
  mu: 0.2
  eps0: 0.1
"""

EXPERIMENT = """\
name: tiny
scenarios: [P2]
interventions: [baseline]
design: {type: grid, parameters: {mu: [0.2, 0.3]}}
replicates: 2
seed: 3
steps: 5
"""

SENSITIVITY = """\
name: t
scenario: P2
parameters:
  mu: null
  eps0: [0.0, 0.3]
sampler: {name: sobol, N: 16}
methods: [sobol]
seed: 1
outcomes: [final_integration]
"""

BASE = {"config": CONFIG, "experiment": EXPERIMENT, "sensitivity": SENSITIVITY}


@dataclass(frozen=True)
class Case:
    id: str
    kind: str  # config | experiment | sensitivity
    text: str | bytes  # the file's content
    field: str  # the field the message must name (after '<file>: ')
    needles: tuple[str, ...] = ()  # more text the message must hold (e.g. 'line 7', the value)
    extra: tuple[tuple[str, str | bytes], ...] = ()  # side files (name, content) next to the file


def edit(kind: str, old: str, new: str) -> str:
    """The base file of ``kind`` with ``old`` replaced (which must occur)."""
    base = BASE[kind]
    assert old in base, (kind, old)
    return base.replace(old, new, 1)


def drop(kind: str, line: str) -> str:
    return edit(kind, line + "\n", "")


C, E, S = "config", "experiment", "sensitivity"
DUP_SEED_SENS = SENSITIVITY + "seed: 2\n"

CASES = [
    # --- scenario configs (abm check) ----------------------------------------------------------------
    Case("cfg_empty", C, "", "(top level)", ("empty",)),
    Case("cfg_only_comments", C, "# name: tiny\n# params: {mu: 0.2}\n", "(top level)", ("empty",)),
    Case("cfg_only_blanks", C, "\n   \n\n", "(top level)", ("empty",)),
    Case("cfg_null_document", C, "~\n", "(top level)", ("null",)),
    Case("cfg_duplicate_top_key", C, CONFIG + "name: other\n", "name", ("duplicate key", "line 11", "line 1")),
    Case("cfg_duplicate_nested_key", C, CONFIG + "  mu: 0.3\n", "params.mu", ("duplicate key", "line 11", "line 9")),
    Case("cfg_duplicate_key_in_list_item", C, edit(C, "size: 800}", "size: 800, size: 900}"),
         "organizations.0.size", ("duplicate key", "line 3")),
    Case("cfg_duplicate_flow_key", C, edit(C, "{coordinator: true}", "{coordinator: true, coordinator: false}"),
         "program.features.coordinator", ("line 7",)),
    Case("cfg_two_documents", C, CONFIG + "---\nname: second\n", "invalid YAML", ("line 11",)),
    Case("cfg_top_level_list", C, "- name: tiny\n", "(top level)", ("mapping",)),
    Case("cfg_top_level_scalar", C, "tiny\n", "(top level)", ("mapping",)),
    Case("cfg_python_tag", C, "name: !!python/name:os.system\n", "invalid YAML", ("line 1",)),
    Case("cfg_unclosed_quote", C, edit(C, "name: tiny", 'name: "tiny'), "invalid YAML", ("line",)),
    Case("cfg_not_utf8", C, b"name: \xff\xfe tiny\n", "not a UTF-8", ()),
    Case("cfg_too_few_organizations", C, edit(C, "  - {name: C, kind: home_care, size: 300}\n", ""), "organizations", ("at least 2",)),
    Case("cfg_unknown_kind", C, edit(C, "kind: hospital", "kind: clinic"), "organizations.0.kind", ("clinic",)),
    Case("cfg_negative_size", C, edit(C, "size: 300", "size: -5"), "organizations.1.size", ("-5",)),
    Case("cfg_resources_above_one", C, edit(C, "size: 800}", "size: 800, resources: 1.5}"), "organizations.0.resources", ("1.5",)),
    Case("cfg_duplicate_org_names", C, edit(C, "name: C,", "name: H,"), "(top level)", ("organization names must be unique",)),
    Case("cfg_fractional_integer_param", C, edit(C, "eps0: 0.1", "eps0: 0.1\n  meeting_interval: 2.5"), "params.meeting_interval", ("2.5",)),
    Case("cfg_integer_param_below_range", C, edit(C, "eps0: 0.1", "eps0: 0.1\n  view_dims: 0"), "params.view_dims", ("greater than or equal to 1",)),
    Case("cfg_steps_zero", C, CONFIG + "steps: 0\n", "steps", ("greater than or equal to 1",)),
    Case("cfg_steps_too_many", C, CONFIG + "steps: 6000\n", "steps", ("6000",)),
    Case("cfg_unknown_pathway", C, edit(C, "pathway: co_design", "pathway: sideways"), "program.pathway", ("sideways",)),
    Case("cfg_unknown_feature", C, edit(C, "{coordinator: true}", "{telepathy: true}"), "program.features.telepathy", ("unknown key",)),
    Case("cfg_unknown_role", C, edit(C, "pathway: co_design", "pathway: co_design\n  engagement_start: {surgeon: 0.5}"),
         "program.engagement_start", ("surgeon",)),
    Case("cfg_shared_system_unknown_org", C, edit(C, "pathway: co_design", "pathway: co_design\n  shared_systems: [{orgs: [H, X]}]"),
         "(top level)", ("program.shared_systems.0.orgs", "'X'")),
    Case("cfg_hazard_above_one", C, CONFIG + "milestones:\n  - {name: x, category: political, valence: disrupting, hazard: 1.5}\n",
         "milestones.0.hazard", ("1.5",)),
    Case("cfg_unknown_valence", C, CONFIG + "milestones:\n  - {name: x, category: political, valence: neutral, at: 3}\n",
         "milestones.0.valence", ("neutral",)),
    Case("cfg_unknown_effect", C, CONFIG + "milestones:\n  - {name: x, category: political, valence: mixed, at: 3, effects: {mood: 1}}\n",
         "milestones.0.effects.mood", ("unknown key",)),
    Case("cfg_prior_entry_above_one", C, CONFIG + "prior_partnerships: [[0, 2], [2, 0]]\n", "(top level)", ("prior_partnerships", "[0, 1]")),
    Case("cfg_prior_pair_unknown_org", C, CONFIG + "prior_partnerships: [{between: [H, X], strength: 0.5}]\n", "(top level)",
         ("prior_partnerships.0.between", "'X'", "expected one of")),
    Case("cfg_prior_pair_strength_above_one", C, CONFIG + "prior_partnerships: [{between: [H, C], strength: 1.5}]\n",
         "prior_partnerships.pairs.0.strength", ("1.5",)),
    Case("cfg_prior_pair_twice", C, CONFIG + "prior_partnerships:\n  - {between: [H, C], strength: 0.5}\n  - {between: [C, H], strength: 0.2}\n",
         "(top level)", ("prior_partnerships.1.between", "listed twice")),
    Case("cfg_prior_pair_with_itself", C, CONFIG + "prior_partnerships: [{between: [H, H], strength: 0.5}]\n", "(top level)",
         ("prior_partnerships.0.between", "paired with itself")),
    Case("cfg_unknown_mechanism", C, edit(C, "eps0: 0.1", "eps0: 0.1\n  mechanisms: {teleport: false}"), "params.mechanisms.teleport", ("unknown key",)),
    # --- experiment specs (abm experiment SPEC --out DIR) --------------------------------------------
    Case("exp_empty", E, "", "(top level)", ("empty",)),
    Case("exp_only_comments", E, "# name: tiny\n", "(top level)", ("empty",)),
    Case("exp_duplicate_replicates", E, EXPERIMENT + "replicates: 4\n", "replicates", ("duplicate key", "line 8", "line 5")),
    Case("exp_duplicate_design_parameter", E, edit(E, "design: {type: grid, parameters: {mu: [0.2, 0.3]}}",
                                                    "design:\n  type: grid\n  parameters:\n    mu: [0.2]\n    mu: [0.3]"),
         "design.parameters.mu", ("line 8", "line 7")),
    Case("exp_duplicate_intervention", E, edit(E, "interventions: [baseline]", "interventions:\n  a: {params.mu: 0.1}\n  a: {params.mu: 0.2}"),
         "interventions.a", ("line 5",)),
    Case("exp_grid_fractional_integer", E, edit(E, "{mu: [0.2, 0.3]}", "{meeting_interval: [2.5, 4]}"),
         "design.parameters.meeting_interval", ("2.5", "integer")),
    Case("exp_lhs_bound_outside_range", E, edit(E, "{type: grid, parameters: {mu: [0.2, 0.3]}}", "{type: lhs, samples: 4, parameters: {mu: [0.1, 0.9]}}"),
         "design.parameters.mu", ("upper bound 0.9", "[0, 0.5]")),
    Case("exp_lhs_lower_bound_not_allowed", E, edit(E, "{type: grid, parameters: {mu: [0.2, 0.3]}}",
                                                     "{type: lhs, samples: 4, parameters: {program.volume_multiplier: [-1, 2]}}"),
         "design.parameters.program.volume_multiplier", ("lower bound -1",)),
    Case("exp_sobol_fractional_integer_bounds", E, edit(E, "{type: grid, parameters: {mu: [0.2, 0.3]}}",
                                                         "{type: sobol, samples: 8, parameters: {meeting_interval: [1.5, 4], mu: [0.1, 0.2]}}"),
         "design.parameters.meeting_interval", ("integer bounds", "1.5")),
    Case("exp_rows_fractional_integer", E, edit(E, "{type: grid, parameters: {mu: [0.2, 0.3]}}",
                                                 "{type: rows, rows: [{meeting_interval: 2}, {meeting_interval: 3.5}]}"),
         "design.rows.1.meeting_interval", ("3.5",)),
    Case("exp_csv_fractional_integer", E, edit(E, "{type: grid, parameters: {mu: [0.2, 0.3]}}", "{type: csv, path: points.csv}"),
         "design.path: row 2, column meeting_interval", ("4.5",), (("points.csv", "meeting_interval,mu\n2,0.1\n4.5,0.2\n"),)),
    Case("exp_csv_missing", E, edit(E, "{type: grid, parameters: {mu: [0.2, 0.3]}}", "{type: csv, path: nowhere.csv}"),
         "design.path", ("nowhere.csv",)),
    Case("exp_rows_missing_value", E, edit(E, "{type: grid, parameters: {mu: [0.2, 0.3]}}", "{type: rows, rows: [{mu: 0.1}, {eps0: 0.2}]}"),
         "design", ("missing values",)),
    Case("exp_grid_not_a_list", E, edit(E, "{mu: [0.2, 0.3]}", "{mu: 0.2}"), "design.parameters.mu", ("list",)),
    Case("exp_missing_seed", E, drop(E, "seed: 3"), "seed", ("Field required",)),
    Case("exp_missing_replicates", E, drop(E, "replicates: 2"), "replicates", ("Field required",)),
    Case("exp_missing_scenarios", E, drop(E, "scenarios: [P2]"), "scenarios", ("Field required",)),
    Case("exp_missing_name", E, drop(E, "name: tiny"), "name", ("Field required",)),
    Case("exp_name_with_space", E, edit(E, "name: tiny", "name: my run"), "name", ("my run",)),
    Case("exp_negative_seed", E, edit(E, "seed: 3", "seed: -1"), "seed", ("-1",)),
    Case("exp_steps_zero", E, edit(E, "steps: 5", "steps: 0"), "steps", ("greater than or equal to 1",)),
    Case("exp_duplicate_scenarios", E, edit(E, "[P2]", "[P2, P2]"), "scenarios", ("unique",)),
    Case("exp_no_scenarios", E, edit(E, "[P2]", "[]"), "scenarios", ("at least 1",)),
    Case("exp_scenario_file_empty", E, edit(E, "[P2]", "[side.yaml]"), "scenarios.0", ("side.yaml", "empty"), (("side.yaml", "# nothing yet\n"),)),
    Case("exp_scenario_file_duplicate_key", E, edit(E, "[P2]", "[side.yaml]"), "scenarios.0", ("params.mu", "line 3"),
         (("side.yaml", "params:\n  mu: 0.1\n  mu: 0.2\n"),)),
    Case("exp_duplicate_interventions", E, edit(E, "[baseline]", "[baseline, baseline]"), "interventions", ("unique",)),
    Case("exp_no_interventions", E, edit(E, "[baseline]", "[]"), "interventions", ("at least one",)),
    Case("exp_intervention_out_of_range", E, edit(E, "interventions: [baseline]", "interventions: {strong: {params.mu: 0.9}}"),
         "interventions.strong", ("params.mu", "0.9")),
    Case("exp_unknown_step_metric", E, EXPERIMENT + "outputs: {step_metrics: [happiness]}\n", "outputs.step_metrics", ("happiness",)),
    Case("exp_chunk_runs_zero", E, EXPERIMENT + "outputs: {chunk_runs: 0}\n", "outputs.chunk_runs", ("greater than or equal to 1",)),
    Case("exp_unknown_executor", E, EXPERIMENT + "executor: {type: slurm}\n", "executor", ("slurm",)),
    Case("exp_zero_workers", E, EXPERIMENT + "executor: {type: local, workers: 0}\n", "executor.workers", ("greater than or equal to 1",)),
    Case("exp_morris_one_level", E, edit(E, "{type: grid, parameters: {mu: [0.2, 0.3]}}",
                                          "{type: morris, samples: 4, levels: 1, parameters: {mu: [0.1, 0.2]}}"),
         "design.levels", ("greater than or equal to 2",)),
    Case("exp_lhs_no_samples", E, edit(E, "{type: grid, parameters: {mu: [0.2, 0.3]}}", "{type: lhs, samples: 0, parameters: {mu: [0.1, 0.2]}}"),
         "design.samples", ("greater than or equal to 1",)),
    Case("exp_model_without_colon", E, EXPERIMENT + "model: abm.run.run_once\n", "model", ("abm.run.run_once",)),
    # --- sensitivity specs (abm sensitivity SPEC --out DIR) ------------------------------------------
    Case("sens_empty", S, "", "(top level)", ("empty",)),
    Case("sens_duplicate_seed", S, DUP_SEED_SENS, "seed", ("duplicate key", "line 10", "line 8")),
    Case("sens_duplicate_bound_key", S, edit(S, "  eps0: [0.0, 0.3]", "  eps0: [0.0, 0.3]\n  eps0: [0.1, 0.2]"),
         "parameters.eps0", ("duplicate key", "line 5")),
    Case("sens_duplicate_parameter", S, edit(S, "  mu: null\n  eps0: [0.0, 0.3]", "  [mu, eps0, mu]").replace("parameters:\n  [", "parameters: ["),
         "parameters.2", ("'mu'", "twice")),
    Case("sens_parameter_and_dotted_alias", S, edit(S, "  eps0: [0.0, 0.3]", "  params.mu: [0.1, 0.2]"), "parameters.params.mu", ("twice",)),
    Case("sens_fractional_integer_bounds", S, edit(S, "  eps0: [0.0, 0.3]", "  meeting_interval: [2.5, 4]"),
         "parameters.meeting_interval", ("integer", "2.5")),
    Case("sens_all_fractional_integer_bounds", S, edit(S, "  mu: null\n  eps0: [0.0, 0.3]", " all\nbounds: {view_dims: [1.5, 3]}")
         .replace("sampler: {name: sobol, N: 16}", "sampler: {name: morris, N: 8}").replace("methods: [sobol]", "methods: [morris]"),
         "bounds.view_dims", ("integer", "1.5")),
    Case("sens_duplicate_exclude", S, edit(S, "  mu: null\n  eps0: [0.0, 0.3]", " all\nexclude: [mu, params.mu]")
         .replace("sampler: {name: sobol, N: 16}", "sampler: {name: morris, N: 8}").replace("methods: [sobol]", "methods: [morris]"),
         "exclude.1", ("twice",)),
    Case("sens_upper_bound_outside_range", S, edit(S, "eps0: [0.0, 0.3]", "eps0: [0.0, 1.5]"), "parameters.eps0", ("upper bound 1.5", "[0, 1]")),
    Case("sens_missing_seed", S, drop(S, "seed: 1"), "seed", ("Field required",)),
    Case("sens_missing_sampler", S, drop(S, "sampler: {name: sobol, N: 16}"), "sampler", ("Field required",)),
    Case("sens_missing_outcomes", S, drop(S, "outcomes: [final_integration]"), "outcomes", ("Field required",)),
    Case("sens_unknown_sampler", S, edit(S, "name: sobol, N", "name: halton, N"), "sampler.name", ("halton",)),
    Case("sens_no_methods", S, edit(S, "methods: [sobol]", "methods: []"), "methods", ("at least 1",)),
    Case("sens_unknown_method", S, edit(S, "methods: [sobol]", "methods: [anova]"), "methods.0", ("anova",)),
    Case("sens_method_twice", S, edit(S, "methods: [sobol]", "methods: [sobol, sobol]"), "methods", ("at most once",)),
    Case("sens_one_parameter", S, edit(S, "  eps0: [0.0, 0.3]\n", ""), "parameters", ("at least two",)),
    Case("sens_parameters_number", S, edit(S, "  mu: null\n  eps0: [0.0, 0.3]", " 5"), "parameters", ("'all'",)),
    Case("sens_three_bounds", S, edit(S, "[0.0, 0.3]", "[0.0, 0.1, 0.3]"), "parameters.eps0", ("two finite numbers",)),
    Case("sens_bounds_as_text", S, edit(S, "[0.0, 0.3]", "low"), "parameters.eps0", ("'low'",)),
    Case("sens_exclude_without_all", S, SENSITIVITY + "exclude: [mu]\n", "exclude", ("parameters: all",)),
    Case("sens_unknown_scenario_lists_builtins", S, edit(S, "scenario: P2", "scenario: P7"), "scenario", ("'P7'", "P1", "P6")),
    Case("sens_scenario_file_empty", S, edit(S, "scenario: P2", "scenario: side.yaml"), "scenario", ("side.yaml", "empty"), (("side.yaml", ""),)),
    Case("sens_confidence_above_one", S, SENSITIVITY + "bootstrap: {confidence: 1.5}\n", "bootstrap.confidence", ("1.5",)),
    Case("sens_zero_replicates", S, SENSITIVITY + "replicates: 0\n", "replicates", ("greater than or equal to 1",)),
    Case("sens_nan_fill_unknown_outcome", S, SENSITIVITY + "nan_fill: {happiness: 0}\n", "nan_fill.happiness", ("not an outcome",)),
    Case("sens_unknown_statistic", S, SENSITIVITY + "statistics: [mode]\n", "statistics.0", ("mode",)),
    Case("sens_sobol_too_small_for_convergence", S, edit(S, "N: 16", "N: 8"), "sampler.N", ("N >= 16",)),
    Case("sens_second_order_with_latin", S, edit(S, "{name: sobol, N: 16}", "{name: latin, N: 16, second_order: true}")
         .replace("methods: [sobol]", "methods: [delta]"), "sampler.second_order", ("sobol",)),
    Case("sens_efast_too_small", S, edit(S, "{name: sobol, N: 16}", "{name: fast, N: 64}").replace("methods: [sobol]", "methods: [fast]"),
         "sampler.N", ("eFAST",)),
]  # fmt: skip

BY_ID = {c.id: c for c in CASES}
# also run through the installed console script (a separate process): one or two per kind
SUBPROCESS = ("cfg_empty", "cfg_duplicate_nested_key", "exp_lhs_bound_outside_range", "sens_duplicate_parameter")


def test_corpus_is_large_and_covers_every_kind():
    assert len(BY_ID) == len(CASES) >= 60, "ids must be unique"
    for kind in BASE:
        assert sum(c.kind == kind for c in CASES) >= 20, kind
    assert set(SUBPROCESS) <= set(BY_ID)


def _write(tmp_path: Path, case: Case) -> tuple[Path, Path, list[str]]:
    path = tmp_path / f"{case.id}.yaml"
    for name, content in ((path.name, case.text), *case.extra):
        target = tmp_path / name
        target.write_bytes(content) if isinstance(content, bytes) else target.write_text(content)
    out = tmp_path / "out"
    if case.kind == "config":
        args = ["check", str(path)]
    else:
        args = [case.kind, str(path), "--out", str(out)]
    return path, out, args


def _check_message(case: Case, code: int, output: str, path: Path, out: Path) -> None:
    assert code == 2, f"exit {code}: {output}"
    assert "Traceback" not in output, output
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line, got {len(lines)}:\n{output}"
    msg = lines[0]
    assert msg.startswith("error: "), msg
    assert f" {path}: " in msg, msg
    rest = msg.split(f" {path}: ", 1)[1].removeprefix("invalid config: ")  # scenario configs say so
    assert rest.startswith(case.field), (case.field, msg)
    for needle in case.needles:
        assert needle in msg, (needle, msg)
    assert not out.exists(), "nothing may be created on bad input"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_malformed_input_exits_2_with_one_line(tmp_path, case):
    path, out, args = _write(tmp_path, case)
    res = CliRunner().invoke(app, args + ([] if case.kind == "config" else ["--no-progress"]))
    _check_message(case, res.exit_code, res.output, path, out)


@pytest.mark.parametrize("case_id", SUBPROCESS)
def test_malformed_input_in_a_real_process(tmp_path, case_id):
    case = BY_ID[case_id]
    path, out, args = _write(tmp_path, case)
    exe = Path(sys.executable).with_name("abm")
    env = {**os.environ, "COLUMNS": "80", "NO_COLOR": "1"}  # narrow: the one line must not wrap
    res = subprocess.run([str(exe), *args], capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path)
    _check_message(case, res.returncode, res.stdout + res.stderr, path, out)
