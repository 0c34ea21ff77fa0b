"""The real dashboard in a real browser: server subprocess on 127.0.0.1, headless Debian Chromium
driven by Playwright, front-end files from the local cache only (the CDN is a dead loopback address).

Fails if any request leaves 127.0.0.1, if any of solara's asset requests fails, if Step does not
advance the model and its plotted values, if an interactive chart does not draw its marks (SVG) or
shows no tooltip on hover, if clicking an organization does not show its numbers, or on any page or
console error (a vega-embed failure is one).
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.dashboards.server import CHROMIUM, CHROMIUM_ARGS, dashboard_server
from tests.dashboards.tooltip import tooltip_text

playwright = pytest.importorskip("playwright.sync_api")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
KNOWN_PAGE_ERRORS = ("reading 'usermeta'",)  # harmless first-load race (docs/DASHBOARD.md, Offline)
CRASH_TEXT = ("Traceback", "Too many renders", "RuntimeError", "ValueError", "No render context")
STEPS = 5
# the week counter's value (text "week N of T"); Play may pass a given N between polls
STEP_JS = "(() => { const e = document.querySelector('.abm-week'); return e ? parseInt(e.textContent.split(' ')[1]) : -1; })()"

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium at /usr/bin/chromium")


def assert_no_crash(page) -> None:
    body = page.locator("body").inner_text()
    crashed = [t for t in CRASH_TEXT if t in body]
    assert not crashed, f"the page shows {crashed}: {body[:2000]}"


def _img_loaded(page, selector: str) -> bool:
    return page.eval_on_selector(selector, "e => e.complete && e.naturalWidth > 50 && e.naturalHeight > 50")


# a chart has drawn when vega-embed's SVG holds at least one data mark with a shape
DRAWN_JS = """name => { const s = document.querySelector(`.abm-chart-${name} svg.marks`);
  return !!s && [...s.querySelectorAll('.role-mark path, .role-mark line')].some(e => (e.getAttribute('d') || e.getAttribute('x2')) !== null); }"""


def wait_charts(page, *names: str, timeout: float = 60_000) -> None:
    """Wait until every named interactive chart has drawn its marks (fails on a chart that never does)."""
    for name in names:
        page.wait_for_function(DRAWN_JS, arg=name, timeout=timeout)


def chart_svg(page, name: str) -> str:
    return page.eval_on_selector(f".abm-chart-{name} svg.marks", "e => e.innerHTML")


def watch(page, errors: list[str]) -> None:
    """Collect page errors and console errors (a vega-embed failure is one of them)."""
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)


@pytest.mark.timeout(240)
def test_dashboard_in_browser(experiment_dir, sensitivity_dir, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    requests, asset_failures, errors = [], [], []
    with dashboard_server(results=experiment_dir, log=ARTIFACTS / "dashboard-server.log") as (url, _), \
            playwright.sync_playwright() as pw:  # fmt: skip
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1500, "height": 1100})
        page.on("request", lambda r: requests.append(r.url))
        page.on("response", lambda r: asset_failures.append(f"{r.status} {r.url}") if "/_solara/cdn/" in r.url and r.status >= 400 else None)
        page.on("requestfailed", lambda r: asset_failures.append(f"failed {r.url}") if "/_solara/cdn/" in r.url else None)
        watch(page, errors)
        t0 = time.perf_counter()
        page.goto(url)
        page.get_by_text("Model parameters").first.wait_for(timeout=60_000)
        panel_seconds = time.perf_counter() - t0
        wait_charts(page, "outcomes", "organizations")
        page.get_by_text("week 0 of 104", exact=True).wait_for(timeout=30_000)
        kpi = page.locator(".abm-kpi-consensus")
        before_value = kpi.inner_text()
        before_svg = chart_svg(page, "outcomes")
        step = page.get_by_role("button", name="Step", exact=True)
        for k in range(1, STEPS + 1):
            step.click()
            page.get_by_text(f"week {k} of 104", exact=True).wait_for(timeout=20_000)
        page.wait_for_function("b => document.querySelector('.abm-chart-outcomes svg.marks').innerHTML !== b", arg=before_svg, timeout=20_000)
        wait_charts(page, "outcomes")
        # hover a week of the outcome chart: a tooltip with that week's values
        def hover_a_week() -> None:
            box = page.locator(".abm-chart-outcomes svg.marks").bounding_box()
            if box is not None:  # (None while the chart is being redrawn: tooltip_text hovers again)
                page.mouse.move(box["x"] + box["width"] * 0.12, box["y"] + box["height"] * 0.4)

        assert "week" in tooltip_text(page, hover_a_week, "integration")
        page.screenshot(path=str(ARTIFACTS / "dashboard-explorer-hover.png"), full_page=False)
        # click an organization: its numbers are pinned under the chart
        page.mouse.move(0, 0)
        point = page.locator(".abm-chart-organizations svg.marks .role-mark path").first
        point.click(force=True)  # force: a moving chart is never "stable" to Playwright
        page.locator(".abm-org-numbers").wait_for(timeout=20_000)
        numbers = page.locator(".abm-org-numbers").inner_text()
        assert "data-sharing links" in numbers and "workload" in numbers and "mean engagement" in numbers
        page.locator(".abm-org-numbers").scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "dashboard-organization-clicked.png"), full_page=False)
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(ARTIFACTS / "dashboard-explorer.png"), full_page=False)
        assert page.locator(".abm-kpi-week").inner_text() == f"week {STEPS}"
        after_value = kpi.inner_text()
        assert re.fullmatch(r"consensus \d\.\d{3}", after_value)
        assert after_value != before_value, "the consensus value did not change after stepping"
        assert _img_loaded(page, "img.abm-network") and _img_loaded(page, "img.abm-practice")
        # Play runs on its own until paused
        page.get_by_role("button", name="▶").click()
        page.wait_for_function(f"n => ({STEP_JS}) >= n", arg=STEPS + 3, timeout=30_000)
        page.get_by_role("button", name="❚❚").click()
        page.get_by_role("button", name="▶").wait_for(timeout=10_000)
        page.wait_for_timeout(1000)  # a step already under way when pausing still lands (Mesa's controller)
        paused_at = page.evaluate(STEP_JS)
        page.wait_for_timeout(1500)
        assert page.evaluate(STEP_JS) == paused_at, "the model kept running after pause"

        # results browser, by clicking its tab: the directory given with --results is open at start
        page.get_by_role("tab", name="Results browser").click()
        wait_charts(page, "comparison", "envelopes", "milestones")
        page.screenshot(path=str(ARTIFACTS / "dashboard-results.png"), full_page=True)

        # bad input: a message in the page, and the page stays usable
        box = page.get_by_label("results directory (path on the server)")
        box.fill(str(tmp_path / "does-not-exist"))
        box.press("Enter")
        page.get_by_text("no such directory").wait_for(timeout=20_000)
        box.fill(str(sensitivity_dir))
        box.press("Enter")
        wait_charts(page, "indices", "morris", "convergence")
        assert page.get_by_text("no such directory").count() == 0
        page.screenshot(path=str(ARTIFACTS / "dashboard-sensitivity.png"), full_page=False)
        assert_no_crash(page)
        # and back to the explorer by its tab
        page.get_by_role("tab", name="Model explorer").click()
        page.get_by_text("Model parameters").first.wait_for(timeout=60_000)
        page.locator(".abm-week").wait_for(timeout=30_000)
        assert page.url.rstrip("/") == url.rstrip("/")
        assert_no_crash(page)
        browser.close()

    hosts = {urlparse(u).hostname for u in requests if urlparse(u).scheme in ("http", "https", "ws", "wss")}
    assert hosts == {"127.0.0.1"}, f"requests left 127.0.0.1: {sorted(hosts)}"
    assert not asset_failures, f"front-end asset requests failed: {asset_failures[:5]}"
    unexpected = [e for e in errors if not any(k in e for k in KNOWN_PAGE_ERRORS)]
    assert not unexpected, f"page errors: {unexpected[:3]}"
    (ARTIFACTS / "dashboard-timing.txt").write_text(f"server start to parameter panel: see benchmark; page load to panel {panel_seconds:.2f} s\n")
