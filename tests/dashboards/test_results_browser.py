"""The results browser in a real browser on a directory written by the real sensitivity pipeline:
its stored indices appear on the page (server subprocess on 127.0.0.1, Debian's Chromium)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from experiments.results import load_results
from tests.dashboards import real_results as rr
from tests.dashboards.server import CHROMIUM, CHROMIUM_ARGS, dashboard_server

playwright = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium at /usr/bin/chromium")


@pytest.mark.timeout(240)
def test_real_morris_indices_in_browser(tmp_path):
    d = rr.build_sensitivity(tmp_path / "morris", "morris")
    ind = load_results(d).sensitivity_indices
    mu = ind[ind["index"] == "mu_star"].set_index("parameter")["value"].round(4)
    with dashboard_server(results=d) as (url, _), playwright.sync_playwright() as pw:  # fmt: skip
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1500, "height": 1100})
        page.goto(url, timeout=60_000)
        page.get_by_role("tab", name="Results browser").click()
        page.get_by_text("dash-morris (sensitivity)").wait_for(timeout=60_000)
        for chart in ("indices", "morris"):
            page.wait_for_function(f"() => {{ const e = document.querySelector('img.abm-chart-{chart}'); return e && e.complete && e.naturalWidth > 50; }}", timeout=30_000)
        text = page.inner_text("body")
        for p, value in mu.items():
            assert p in text and f"{value:g}"[:5] in text, (p, value)
        assert not pd.isna(mu).any()
        browser.close()
