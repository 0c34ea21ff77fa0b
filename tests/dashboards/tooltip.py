"""Reading a chart's tooltip as a user does: hover, and hover again if the chart was redrawn meanwhile."""

from __future__ import annotations

from collections.abc import Callable

SHOWS = """n => {
    const t = document.querySelector('#vg-tooltip-element');
    if (!t) return false;
    const r = t.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && t.innerText.includes(n);
}"""


def tooltip_text(page, hover: Callable[[], None], needle: str, tries: int = 10) -> str:
    """Hover (``hover()``) until the Vega tooltip shows text containing ``needle``; that text.

    A chart redrawn while the mouse rests on it (an update arriving after a step) drops its tooltip,
    as it does for a user, who then moves the mouse again: so does this, up to ``tries`` times.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for _ in range(tries):
        page.mouse.move(0, 0)
        hover()
        try:
            page.wait_for_function(SHOWS, arg=needle, timeout=3_000)
            return page.locator("#vg-tooltip-element").inner_text()
        except PlaywrightTimeout:
            continue
    raise AssertionError(f"no tooltip showing {needle!r} after {tries} hovers")
