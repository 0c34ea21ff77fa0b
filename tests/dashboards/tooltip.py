"""Reading a chart's tooltip as a user does: hover, and hover again if the chart was redrawn meanwhile."""

from __future__ import annotations

from collections.abc import Callable

SHOWS = """n => {
    const t = document.querySelector('#vg-tooltip-element');
    if (!t) return false;
    const r = t.getBoundingClientRect();
    const text = t.innerText;
    return r.width > 0 && r.height > 0 && text.includes(n) ? text : false;
}"""  # the text itself, read in the same instant as the check (a redraw may clear it right after)


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
            return page.wait_for_function(SHOWS, arg=needle, timeout=3_000).json_value()
        except PlaywrightTimeout:
            page.wait_for_timeout(500)  # let a redraw finish before hovering again
    raise AssertionError(f"no tooltip showing {needle!r} after {tries} hovers")
