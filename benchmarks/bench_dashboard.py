"""Dashboard speed and memory: page load, step with redraw, steady play, server memory over use.

Measures
1. server start (``abm dashboard`` subprocess) to the parameter panel visible in headless Chromium,
   and page load (navigation) to a usable UI: the parameter panel and the outcome chart drawn;
2. time per Step with redraw, server side (Solara's renderer: model step + every panel redrawn and
   the widget tree updated) at the 15-partner program P4 and at about 1,000 clinicians;
3. the same in the browser, P4: from a DOM click on Step to the week counter showing the new value,
   and to the interactive outcome chart redrawn, on the browser's clock;
4. steady play at P4 (a config with a long horizon) at the fastest interval, redraw every step, for
   ``--play-seconds`` (60): weeks per second and chart redraws per second, and that no error shows;
5. server memory (resident, psutil): idle after start, after ``--use-minutes`` (10) of use (sessions
   opened one after another: Setup, play, click an organization, step; the last one still open),
   and after all sessions closed and solara ended them (``SOLARA_KERNEL_CULL_TIMEOUT`` shortened to
   30 s here; ``abm dashboard`` uses 10 minutes).
It also saves the README screenshot (docs/img/dashboard.png) after some steps.

Run: ``.venv/bin/python benchmarks/bench_dashboard.py [--steps 30] [--play-seconds 60] [--use-minutes 10] [--no-browser]``
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CLINICIANS_PER_STAFF_1000 = 0.171  # with P4's 5,850 staff and max_clinicians 1000: about 1,000 clinicians
TARGET_MS = 200.0
# In the page: when did the week counter ("week N of T") show each N, measured by the browser's clock.
OBSERVER_JS = """() => {
  window.__stepAt = {};
  new MutationObserver(() => {
    const e = [...document.querySelectorAll('span, div')].find(x => x.childElementCount === 0 && /^week \\d+ of \\d+$/.test(x.textContent));
    if (e) { const n = parseInt(e.textContent.split(' ')[1]); if (!(n in window.__stepAt)) window.__stepAt[n] = performance.now(); }
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""
CLICK_STEP_JS = """() => {
  const b = [...document.querySelectorAll('button')].find(x => x.textContent.trim().toLowerCase() === 'step');
  window.__clickAt = performance.now(); b.click();
}"""


def config_1000(tmp: Path) -> Path:
    """P4 at about 1,000 clinician agents (a config file, as a user would give one)."""
    from abm.config import builtin_programs, read_yaml

    data = read_yaml(builtin_programs()["P4"])
    data.setdefault("params", {}).update({"clinicians_per_staff": CLINICIANS_PER_STAFF_1000, "max_clinicians": 1000})
    path = tmp / "p4_1000.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def server_side(program: str, steps: int) -> tuple[float, float, int]:
    """Median and 90th percentile ms per Step click with redraw, and the clinician count."""
    import ipyvuetify as v
    import solara

    from dashboards.explorer import Explorer

    box, rc = solara.render(Explorer(inline=True, program=program), handle_error=False)
    n = next(str(c) for w in rc.find(v.Html).widgets for c in (w.children or []) if "clinicians, seed" in str(c))
    btn = rc.find(v.Btn, children=["Step"]).widget
    btn.click()  # warm-up
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        btn.click()
        times.append((time.perf_counter() - t) * 1000)
    rc.close()
    return statistics.median(times), statistics.quantiles(times, n=10)[-1], int(n.split(" partners, ")[1].split()[0])


CHART_JS = """b => { const s = document.querySelector('.abm-chart-outcomes svg.marks');
  if (s && s.innerHTML !== b) { window.__chartAt = performance.now(); return true; } return false; }"""
COUNT_REDRAWS_JS = """() => { window.__redraws = 0; const s = document.querySelector('.abm-chart-outcomes');
  new MutationObserver(() => { window.__redraws += 1; }).observe(s, {subtree: true, childList: true}); }"""
CULL = "30s"


def long_p4(tmp: Path) -> Path:
    """P4 with a horizon long enough to play for minutes."""
    from abm.config import builtin_programs, read_yaml

    data = read_yaml(builtin_programs()["P4"])
    data["steps"] = 5000  # the longest horizon a config may have is 5,200 weeks
    path = tmp / "p4_long.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def open_page(browser, url: str):
    from tests.dashboards.test_browser import watch

    ctx = browser.new_context(viewport={"width": 1500, "height": 1100})
    page = ctx.new_page()
    errors: list[str] = []
    watch(page, errors)
    t = time.perf_counter()
    page.goto(url)
    page.get_by_text("Model parameters").first.wait_for(timeout=60_000)
    from tests.dashboards.test_browser import wait_charts

    wait_charts(page, "outcomes", "organizations")
    return ctx, page, errors, time.perf_counter() - t


def setup_config(page, cfg: Path) -> None:
    page.locator(".v-select", has_text="program").first.click()
    page.locator(".v-list-item", has_text="config file...").first.click()
    box = page.get_by_label("config file (YAML path, Enter to load)")
    box.fill(str(cfg))
    box.press("Enter")
    page.get_by_role("button", name="Setup").click()
    page.get_by_text(re.compile(r"^week 0 of 5000$")).first.wait_for(timeout=60_000)


def week(page) -> int:
    from tests.dashboards.test_browser import STEP_JS

    return page.evaluate(STEP_JS)


def browser(steps: int, play_seconds: float, use_minutes: float) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    from tests.dashboards.server import (
        CHROMIUM,
        CHROMIUM_ARGS,
        dashboard_server,
        rss_mb,
        server_process,
        settle_rss,
    )
    from tests.dashboards.test_browser import KNOWN_PAGE_ERRORS, assert_no_crash
    from tests.dashboards.test_browser_play import set_slider

    out: dict[str, float] = {}
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, dashboard_server(env={"SOLARA_KERNEL_CULL_TIMEOUT": CULL}) as (url, up), \
            sync_playwright() as pw:  # fmt: skip
        proc = server_process(url)
        cfg = long_p4(Path(tmp))
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        ctx, page, errors, load = open_page(b, url)
        out["server_start_to_panel_s"] = time.perf_counter() - t0
        out["server_http_up_s"] = up
        out["first_page_load_to_usable_s"] = load
        ctx.close()
        out["rss_idle_mb"] = settle_rss(proc, seconds=90)
        ctx, page, errors, load = open_page(b, url)
        out["page_load_to_usable_s"] = load
        use_start = time.monotonic()
        page.get_by_text(re.compile(r"^week 0 of \d+$")).first.wait_for(timeout=30_000)
        page.evaluate(OBSERVER_JS)
        counter, chart = [], []
        for k in range(1, steps + 1):
            before = page.eval_on_selector(".abm-chart-outcomes svg.marks", "e => e.innerHTML")
            page.evaluate(CLICK_STEP_JS)  # a DOM click: no Playwright actionability checks in the timing
            page.wait_for_function("k => window.__stepAt[k] !== undefined", arg=k, timeout=20_000)
            page.wait_for_function(CHART_JS, arg=before, timeout=20_000, polling=5)
            counter.append(page.evaluate("k => window.__stepAt[k] - window.__clickAt", k))
            chart.append(page.evaluate("() => window.__chartAt - window.__clickAt"))
        out["browser_step_counter_median_ms"] = statistics.median(counter)
        out["browser_step_chart_median_ms"] = statistics.median(chart)
        page.wait_for_timeout(500)
        (ROOT / "docs" / "img").mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ROOT / "docs" / "img" / "dashboard.png"))
        # steady play at P4, fastest interval, redraw every step
        setup_config(page, cfg)
        set_slider(page, "Play interval", ["Home"], "Play interval: 10 ms")
        page.evaluate(COUNT_REDRAWS_JS)
        page.get_by_role("button", name="▶").click()
        page.wait_for_function("() => window.__redraws > 0", timeout=30_000)
        w0, r0, t = week(page), page.evaluate("window.__redraws"), time.monotonic()
        while time.monotonic() - t < play_seconds:
            page.wait_for_timeout(5000)
            assert_no_crash(page)
        w1, r1, dt = week(page), page.evaluate("window.__redraws"), time.monotonic() - t
        out["play_weeks_per_s"] = (w1 - w0) / dt
        out["play_chart_mutations_per_s"] = (r1 - r0) / dt
        page.get_by_role("button", name="❚❚").click()
        out["play_errors"] = len([e for e in errors if not any(k in e for k in KNOWN_PAGE_ERRORS)])
        ctx.close()
        # use until --use-minutes: sessions one after another, each: setup, play 30 s, click an organization, step
        sessions = 0
        while True:
            ctx, page, errs, _ = open_page(b, url)
            sessions += 1
            setup_config(page, cfg)
            set_slider(page, "Play interval", ["Home"], "Play interval: 10 ms")
            page.get_by_role("button", name="▶").click()
            page.wait_for_timeout(30_000)
            page.get_by_role("button", name="❚❚").click()
            page.locator(".abm-chart-organizations svg.marks .role-mark path").first.click(force=True)
            page.locator(".abm-org-numbers").wait_for(timeout=20_000)
            for _ in range(5):
                page.get_by_role("button", name="Step", exact=True).click()
            assert_no_crash(page)
            out["play_errors"] += len([e for e in errs if not any(k in e for k in KNOWN_PAGE_ERRORS)])
            if time.monotonic() - use_start >= use_minutes * 60:
                break
            ctx.close()
        out["use_minutes"] = (time.monotonic() - use_start) / 60
        out["use_sessions"] = sessions
        out["rss_after_use_mb"] = rss_mb(proc)
        ctx.close()
        b.close()
        time.sleep(35)  # the cull timeout
        out["rss_after_close_mb"] = settle_rss(proc, seconds=90)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--play-seconds", type=float, default=60.0)
    ap.add_argument("--use-minutes", type=float, default=10.0)
    ap.add_argument("--no-browser", action="store_true")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    figures: dict = {"steps": args.steps, "target_ms": TARGET_MS}
    if not args.no_browser:
        res = browser(args.steps, args.play_seconds, args.use_minutes)
        figures |= res
        print(f"server start -> parameter panel visible: {res['server_start_to_panel_s']:.2f} s "
              f"(HTTP up after {res['server_http_up_s']:.2f} s)")  # fmt: skip
        print(f"page load -> usable (panel and charts drawn): {res['page_load_to_usable_s']:.2f} s "
              f"(first page after start {res['first_page_load_to_usable_s']:.2f} s)")  # fmt: skip
        print(f"browser, P4: Step click -> week counter updated, median {res['browser_step_counter_median_ms']:.0f} ms; "
              f"-> outcome chart redrawn, median {res['browser_step_chart_median_ms']:.0f} ms")  # fmt: skip
        print(f"steady play, P4, 10 ms interval, redraw every step, {args.play_seconds:.0f} s: "
              f"{res['play_weeks_per_s']:.1f} weeks/s, {res['play_chart_mutations_per_s']:.1f} chart updates/s, "
              f"{res['play_errors']} page errors")  # fmt: skip
        print(f"server memory: idle {res['rss_idle_mb']:.0f} MB; after {res['use_minutes']:.1f} min of use "
              f"({res['use_sessions']} sessions) {res['rss_after_use_mb']:.0f} MB; after all sessions closed "
              f"{res['rss_after_close_mb']:.0f} MB")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        for label, program in (("P4 (15 partners)", "P4"), ("P4 at ~1,000 clinicians", str(config_1000(Path(tmp))))):
            med, p90, n = server_side(program, args.steps)
            flag = "OK" if med < TARGET_MS else f"above the {TARGET_MS:.0f} ms target"
            print(f"server side, {label}, {n} clinicians: step with redraw median {med:.0f} ms, p90 {p90:.0f} ms [{flag}]")
            figures[f"server_side_{program if program == 'P4' else 'P4_1000_clinicians'}"] = {
                "clinicians": n, "median_ms": med, "p90_ms": p90}  # fmt: skip
    from benchmarks.record import save

    print(f"wrote {save('dashboard', figures)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
