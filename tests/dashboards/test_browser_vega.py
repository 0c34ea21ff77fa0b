"""A chart removed from the page before vega has loaded must not raise a page error.

The user opens the dashboard and switches to the results browser before the explorer's charts are
drawn: the explorer's chart widgets are destroyed while their first draw still waits for vega. With
solara 1.58.2's own Vega-Lite template this threw "Cannot read properties of undefined (reading
'classList')" once per chart (on Mesa 3.3.1 and 3.5.1 alike); dashboards/vegalite.vue skips such a
chart. The test makes the race certain instead of likely: the browser's request for vega-embed is
held until both explorer charts have left the page, then released."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.dashboards.server import CHROMIUM, CHROMIUM_ARGS, dashboard_server
from tests.dashboards.test_browser import ARTIFACTS, KNOWN_PAGE_ERRORS, wait_charts, watch
from tests.dashboards.test_results_browser import open_dir

playwright = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium at /usr/bin/chromium")
EXPLORER_CHARTS = (".abm-chart-outcomes", ".abm-chart-organizations")


@pytest.mark.timeout(240)
def test_switching_tabs_before_the_charts_are_drawn_raises_no_page_error(experiment_dir):
    ARTIFACTS.mkdir(exist_ok=True)
    errors: list[str] = []
    held, released = [], []

    def hold(route) -> None:  # vega cannot finish loading until released
        if released:
            route.continue_()
        else:
            held.append(route)

    with dashboard_server(log=ARTIFACTS / "dashboard-vega-server.log") as (url, _), playwright.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1500, "height": 1100})
        watch(page, errors)
        page.route("**/vega-embed@6/**", hold)
        page.goto(url, timeout=60_000)
        for chart in EXPLORER_CHARTS:  # the chart widgets are on the page, waiting for vega
            page.locator(chart).wait_for(state="attached", timeout=60_000)
        page.get_by_role("tab", name="Results browser").click()
        for chart in EXPLORER_CHARTS:
            page.locator(chart).wait_for(state="detached", timeout=30_000)
        assert held, "the browser never asked for vega-embed: the race was not set up"
        assert page.locator(f"{EXPLORER_CHARTS[0]} svg.marks").count() == 0  # not drawn before they left
        released.append(True)
        for route in held:
            route.continue_()
        # vega loads now; the removed charts' pending draws run before a newly opened directory's
        # charts can draw (those wait for the same vega, after a round trip to the server)
        open_dir(page, experiment_dir, "dash-exp (experiment)")
        wait_charts(page, "comparison", "envelopes", "milestones")
        browser.close()
    unexpected = [e for e in errors if not any(k in e for k in KNOWN_PAGE_ERRORS)]
    assert not unexpected, f"page errors: {unexpected[:3]}"
