"""The scenario discovery section and a calibration directory in a real browser (Debian chromium),
on directories written by the real ``abm experiment`` + ``abm discover`` and ``abm calibrate``:
the trade-off and prior/posterior charts draw their SVG marks, hovering shows their tooltips, the
tables are on the page, and no page or console error occurs. Screenshots: tests/artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest

from experiments.calibration.outputs import read_calibration
from experiments.results import read_discovery
from tests.dashboards import real_results as rr
from tests.dashboards.server import CHROMIUM, CHROMIUM_ARGS, dashboard_server
from tests.dashboards.test_browser import (
    ARTIFACTS,
    KNOWN_PAGE_ERRORS,
    assert_no_crash,
    wait_charts,
    watch,
)
from tests.dashboards.test_results_browser import open_dir

playwright = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium at /usr/bin/chromium")


def hover_tooltip(page, selector: str) -> str:
    """Hover the first visible mark of ``selector`` with some size; the tooltip's text."""
    marks = page.locator(selector)
    for i in range(marks.count()):
        box = marks.nth(i).bounding_box()
        if box and box["width"] > 2 and box["height"] > 2:
            marks.nth(i).hover(force=True)
            break
    else:
        raise AssertionError(f"no mark of {selector} with a size to hover")
    tip = page.locator("#vg-tooltip-element")
    tip.wait_for(state="visible", timeout=10_000)
    text = tip.inner_text()
    page.mouse.move(0, 0)
    return text


@pytest.mark.timeout(240)
def test_discovery_and_calibration_in_browser(discovery_dir, calibration_dir):
    ARTIFACTS.mkdir(exist_ok=True)
    errors: list[str] = []
    with dashboard_server(log=ARTIFACTS / "dashboard-discovery-server.log") as (url, _), playwright.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1500, "height": 1100})
        watch(page, errors)
        page.goto(url, timeout=60_000)
        page.get_by_role("tab", name="Results browser").click()
        # an experiment with a scenario discovery: its own charts and the discovery section
        open_dir(page, discovery_dir, f"{rr.DISCOVERY_SPEC['name']} (experiment)")
        wait_charts(page, "tradeoff", "comparison")
        d = read_discovery(discovery_dir)
        section = page.locator(".abm-discovery")
        text = section.inner_text()
        assert "Scenario discovery" in text and f"{d.meta['outcome']} fall above {d.meta['threshold']:g}" in text
        for name in d.selected_box["input"]:  # the selected box's limits table
            assert name in text
        assert page.locator(".abm-chart-tradeoff svg.marks g.mark-symbol.role-mark path").count() >= len(d.trajectory)
        tip = hover_tooltip(page, ".abm-chart-tradeoff svg.marks g.mark-symbol.role-mark path")
        assert "coverage" in tip and "density" in tip and "restricted inputs" in tip
        section.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "dashboard-results-discovery.png"), full_page=True)
        assert_no_crash(page)
        # a calibration directory
        c = read_calibration(calibration_dir)
        open_dir(page, calibration_dir, f"{rr.TOY_CALIBRATION['name']} (calibration)")
        wait_charts(page, "posterior")
        assert page.locator(".abm-chart-tradeoff").count() == 0 and page.locator(".abm-chart-comparison").count() == 0
        assert page.locator(".abm-chart-posterior svg.marks g.mark-rect.role-mark path").count() >= 10
        assert page.locator(".abm-chart-posterior svg.marks g.mark-rule.role-mark line").count() == len(c.parameters)  # the prior
        tip = hover_tooltip(page, ".abm-chart-posterior svg.marks g.mark-rect.role-mark path")
        assert "posterior mass" in tip and "density" in tip
        gens = page.locator(".abm-generations").inner_text()
        assert "epsilon" in gens and "ess" in gens and "acceptance_rate" in gens
        assert f"{c.generations['epsilon'].iloc[-1]:.4f}".rstrip("0")[:5] in gens
        pred = page.locator(".abm-predictive").inner_text()
        assert "observed" in pred and "y" in pred
        page.screenshot(path=str(ARTIFACTS / "dashboard-results-calibration.png"), full_page=True)
        assert_no_crash(page)
        browser.close()
    unexpected = [e for e in errors if not any(k in e for k in KNOWN_PAGE_ERRORS)]
    assert not unexpected, f"page errors: {unexpected[:3]}"
