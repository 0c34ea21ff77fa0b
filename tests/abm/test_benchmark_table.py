"""The README's performance section is the generated benchmark table, not hand-typed figures."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_readme_performance_block_is_the_generated_table():
    results = ROOT / "benchmarks" / "results.md"
    if not results.exists():
        pytest.skip("no benchmarks/results.md yet (run `make bench`)")
    readme = (ROOT / "README.md").read_text()
    block = readme.split("<!-- benchmarks:start -->", 1)[1].split("<!-- benchmarks:end -->", 1)[0]
    assert block.strip() == results.read_text().strip(), "README performance block is stale: run `make bench`"
