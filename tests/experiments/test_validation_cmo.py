"""``abm cmo`` writes the program x knock-out interaction (pattern 7c) next to its context x mechanism table."""

from __future__ import annotations

import pandas as pd
from typer.testing import CliRunner

from abm.cli import app


def test_cmo_writes_context_dependence(tmp_path):
    res = CliRunner().invoke(app, ["cmo", "--replicates", "3", "--program", "P2", "--program", "P6", "--mechanism", "co_design",
                                   "--mechanism", "engagement", "--mechanism", "exit", "--workers", "1", "--out", str(tmp_path)])  # fmt: skip
    assert res.exit_code == 0, res.output
    dep = pd.read_csv(tmp_path / "cmo_context.csv")
    assert list(dep["mechanism"]) == ["co_design", "engagement"]  # facilitating only (not exit), in the order given
    assert dep["testable"].all() and set(dep["most"]) | set(dep["least"]) <= {"P2", "P6"}
    assert (dep["difference"] >= 0).all() and (dep["lo"] <= dep["difference"]).all() and (dep["difference"] <= dep["hi"]).all()
    md = (tmp_path / "cmo_table.md").read_text()
    assert "Context dependence (program x knock-out interaction, pattern 7c)" in md
    assert "| co-design | P2 " in md and "most - least [95% CI]" in md
