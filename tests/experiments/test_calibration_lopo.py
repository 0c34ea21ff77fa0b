"""``abm calibrate-lopo`` on fits written by the real ``abm calibrate`` (tiny: the real model's
patterns 5 and 6, 6 particles, 1 generation): the held-out pass rates in the generated block are
those of the fits' own predictive checks, next to the full fit's, and bad input exits 2."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from abm.cli import app

SPEC = ("name: lopo-tiny\nparameters: {mu: [0.05, 0.3]}\ntargets: {patterns: [5, 6]}\nreplicates: 2\n"
        "population: 6\ngenerations: 1\nseed: 8\npredictive: {draws: 2, replicates: 3}\n"
        "executor: {type: local, workers: 1}\n")  # fmt: skip
DOC = "# Validation\n\nBefore.\n\n<!-- BEGIN GENERATED: lopo -->\nold\n<!-- END GENERATED: lopo -->\n\nAfter.\n"


def abm(*args: object) -> object:
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def fits(tmp_path_factory) -> dict[str, Path]:
    """The full fit and one fit per held-out pattern (5, 6), each by ``abm calibrate``."""
    root = tmp_path_factory.mktemp("lopo")
    spec = root / "lopo-tiny.yaml"
    spec.write_text(SPEC)
    out = {}
    for label, extra in (("full", []), ("5", ["--holdout", "5"]), ("6", ["--holdout", "6"])):
        out[label] = root / f"fit-{label}"
        res = abm("calibrate", spec, "--out", out[label], "--no-progress", *extra)
        assert res.exit_code == 0, res.output
    return out


def rate(folder: Path, keys: list[str]) -> float:
    pp = pd.read_csv(folder / "predictive.csv", dtype={"statistic": str})
    return float(pp[pp["statistic"].isin(keys)].groupby("statistic")["passed"].mean().mean())


def test_block_holds_each_fits_held_out_pass_rates_next_to_the_full_fit(tmp_path, fits):
    doc = tmp_path / "VALIDATION.md"
    doc.write_text(DOC)
    res = abm("calibrate-lopo", fits["5"], fits["6"], "--full", fits["full"], "--docs", doc)
    assert res.exit_code == 0, res.output
    text = doc.read_text()
    assert text.startswith("# Validation\n\nBefore.\n") and text.endswith("<!-- END GENERATED: lopo -->\n\nAfter.\n")
    assert "(no pattern held out; commit " in text and "may differ" not in text
    assert "\nold\n" not in text and text.count("<!-- BEGIN GENERATED: lopo -->") == 1
    block = text.split("<!-- BEGIN GENERATED: lopo -->")[1]
    assert f"abm calibrate-lopo {fits['5']} {fits['6']} --full {fits['full']}" in block
    per_fit, per_comparison = block.split("Per held-out comparison")
    rows = {m.group(1): m.group(0).split(" | ") for m in re.finditer(r"^\| (5|6) \| .*\|$", per_fit, re.M)}
    assert set(rows) == {"5", "6"}
    gens = pd.read_csv(fits["6"] / "generations.csv")
    six = [c.strip(" |") for c in rows["6"]]
    # held out | comparisons | generations | final epsilon | final ESS | fit runs | wall | fitted | held out | full
    assert six[1] == "6a, 6b" and six[2] == str(len(gens)) and six[5] == str(int(gens["runs"].sum()))
    assert float(six[8]) == pytest.approx(rate(fits["6"], ["6a", "6b"]), abs=1e-3)
    assert float(six[9]) == pytest.approx(rate(fits["full"], ["6a", "6b"]), abs=1e-3)
    assert float(six[7]) == pytest.approx(rate(fits["6"], ["5"]), abs=1e-3)
    five = [c.strip(" |") for c in rows["5"]]
    assert float(five[8]) == pytest.approx(rate(fits["5"], ["5"]), abs=1e-3)
    # per comparison: 5, 6a, 6b, each with its held-out and full-fit pass rates
    for key, fit in (("5", "5"), ("6a", "6"), ("6b", "6")):
        row = re.search(rf"^\| {key} \| {fit} \| .*\|$", per_comparison, re.M)
        assert row, key
        cells = [c.strip() for c in row.group(0).strip("|").split("|")]
        assert float(cells[-2]) == pytest.approx(rate(fits[fit], [key]), abs=1e-3)
        assert float(cells[-1]) == pytest.approx(rate(fits["full"], [key]), abs=1e-3)
    again = abm("calibrate-lopo", fits["5"], fits["6"], "--full", fits["full"], "--docs", doc)
    assert again.exit_code == 0 and doc.read_text() == text  # a second run rewrites the block, nothing else


def test_without_the_full_fit_its_column_says_n_a(tmp_path, fits):
    res = abm("calibrate-lopo", fits["5"], fits["6"], "--full", tmp_path / "absent")
    assert res.exit_code == 0, res.output
    assert "Full fit compared against: n/a" in res.output and re.search(r"^\| 6 \| 6a, 6b \| .* \| n/a \|$", res.output, re.M)


def copy_fit(src: Path, dst: Path, **manifest_changes: object) -> Path:
    dst.mkdir()
    for f in src.iterdir():
        if f.is_file():
            (dst / f.name).write_bytes(f.read_bytes())
    m = json.loads((src / "manifest.json").read_text())
    for k, v in manifest_changes.items():
        m[k] = v
    (dst / "manifest.json").write_text(json.dumps(m))
    return dst


def test_a_full_fit_of_another_commit_is_flagged(tmp_path, fits):
    older = copy_fit(fits["full"], tmp_path / "older", git_commit="0123456789abcdef")
    res = abm("calibrate-lopo", fits["5"], fits["6"], "--full", older)
    assert res.exit_code == 0, res.output
    assert "commit 0123456789; the fits' commits differ: check that the model did not change between them" in res.output


def test_bad_input_exits_2_naming_the_directory_and_leaves_the_doc_alone(tmp_path, fits):
    doc = tmp_path / "VALIDATION.md"
    doc.write_text(DOC)
    empty = tmp_path / "empty"
    empty.mkdir()
    res = abm("calibrate-lopo", fits["5"], empty, "--docs", doc)
    assert res.exit_code == 2 and f"{empty}: not a finished calibration" in res.stderr and "Traceback" not in res.stderr
    res = abm("calibrate-lopo", fits["5"], "--full", empty, "--docs", doc)  # --full exists but is no fit
    assert res.exit_code == 2 and f"{empty}: not a finished calibration" in res.stderr
    res = abm("calibrate-lopo", fits["5"], fits["full"], "--docs", doc)  # the full fit holds nothing out
    assert res.exit_code == 2 and "holdout_keys: empty" in res.stderr
    spec = json.loads((fits["full"] / "manifest.json").read_text())["spec"]
    other = copy_fit(fits["full"], tmp_path / "other", spec=spec | {"seed": 9})  # a full fit of another spec
    res = abm("calibrate-lopo", fits["5"], fits["6"], "--full", other, "--docs", doc)
    assert res.exit_code == 2 and "spec: not the same spec" in res.stderr
    assert doc.read_text() == DOC
