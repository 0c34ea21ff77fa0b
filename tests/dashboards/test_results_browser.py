"""The results browser in a real browser on directories written by the real pipelines: the
experiment and one sensitivity analysis per method (Sobol, Morris, eFAST, delta, PAWN), opened one
after another as a user would (type the path, Enter). Every interactive chart must draw its marks
(vega, vega-lite and vega-embed from the local asset cache; the CDN is a dead loopback address), a
hover must show a tooltip, and no page or console error may occur. Screenshots: tests/artifacts/."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from experiments.results import load_results
from tests.dashboards import real_results as rr
from tests.dashboards.server import CHROMIUM, CHROMIUM_ARGS, dashboard_server
from tests.dashboards.test_browser import (
    ARTIFACTS,
    KNOWN_PAGE_ERRORS,
    assert_no_crash,
    wait_charts,
    watch,
)
from tests.dashboards.tooltip import tooltip_text

playwright = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium at /usr/bin/chromium")
SENSITIVITY_CHARTS = ("indices", "convergence")


def open_dir(page, path: Path, title: str) -> None:
    box = page.get_by_label("results directory (path on the server)")
    box.fill(str(path))
    box.press("Enter")
    page.get_by_text(title, exact=True).wait_for(timeout=60_000)


@pytest.mark.timeout(300)
def test_every_kind_of_results_directory_in_browser(experiment_dir, real_sensitivity):
    ARTIFACTS.mkdir(exist_ok=True)
    errors: list[str] = []
    with dashboard_server(log=ARTIFACTS / "dashboard-results-server.log") as (url, _), playwright.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1500, "height": 1100})
        watch(page, errors)
        page.goto(url, timeout=60_000)
        page.get_by_role("tab", name="Results browser").click()
        open_dir(page, experiment_dir, "dash-exp (experiment)")
        wait_charts(page, "comparison", "envelopes", "milestones")
        # hover a point of the comparison: its n, mean and CI
        point = page.locator(".abm-chart-comparison svg.marks .role-mark path").first
        assert "mean" in tooltip_text(page, lambda: point.hover(force=True), "CI low")
        page.mouse.move(0, 0)
        page.screenshot(path=str(ARTIFACTS / "dashboard-results-experiment.png"), full_page=True)
        for method in rr.METHODS:
            open_dir(page, real_sensitivity[method], f"dash-{method} (sensitivity)")
            wait_charts(page, *SENSITIVITY_CHARTS, *(("morris",) if method == "morris" else ()))
            assert page.locator(".abm-chart-comparison").count() == 0  # the previous directory's charts are gone
            page.screenshot(path=str(ARTIFACTS / f"dashboard-results-{method}.png"), full_page=True)
            if method == "morris":  # the stored mu* values are on the page
                ind = load_results(real_sensitivity[method]).sensitivity_indices
                mu = ind[(ind["index"] == "mu_star") & (ind["statistic"] == "mean")].set_index("parameter")["value"].round(4)
                text = page.inner_text("body")
                assert not pd.isna(mu).any()
                for p, value in mu.items():
                    assert p in text and f"{value:g}"[:5] in text, (p, value)
            assert_no_crash(page)
        browser.close()
    unexpected = [e for e in errors if not any(k in e for k in KNOWN_PAGE_ERRORS)]
    assert not unexpected, f"page errors: {unexpected[:3]}"
