"""One component that shows an Altair chart in the page (solara's Vega-Lite widget), with a class
per chart so tests and users' stylesheets can find it, and an optional click callback.

The widget is solara's ``VegaLite`` with its own front-end template (``dashboards/vegalite.vue``): solara
1.58.2's template draws a chart after a 100 ms debounce and the loading of vega, and then reads its
element without checking that the chart is still on the page. A chart removed in between (the user
switches tabs while the explorer's charts are still loading) threw "Cannot read properties of
undefined (reading 'classList')" in the browser, on every Mesa version. The template here skips
such a chart, finalizes views it replaces or that finish drawing after removal, and keeps one resize
observer per chart (``tests/dashboards/test_browser_vega.py``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import solara
import solara.widgets

from dashboards.charts import spec


class VegaLite(solara.widgets.VegaLite):
    """solara's Vega-Lite widget (same traits and click/hover callbacks) with a template that handles
    a chart removed from the page before or while it is drawn."""

    template_file = str(Path(__file__).with_name("vegalite.vue"))


@solara.component
def VegaChart(chart, name: str, on_click: Callable[[Any], None] | None = None):
    """``chart`` (an Altair chart or a Vega-Lite dict) drawn by vega-embed in the browser (SVG), inside ``div.abm-vega.abm-chart-<name>``.

    ``on_click`` gets the clicked mark's data row (a dict) or None for a click on empty space."""
    with solara.Div(classes=["abm-vega", f"abm-chart-{name}"], style={"width": "100%"}):
        VegaLite.element(spec=spec(chart), on_click=on_click, listen_to_click=on_click is not None)
