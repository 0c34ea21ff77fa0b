"""One component that shows an Altair chart in the page (solara's Vega-Lite widget), with a class
per chart so tests and users' stylesheets can find it, and an optional click callback."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import solara
import solara.widgets

from dashboards.charts import spec


@solara.component
def VegaChart(chart, name: str, on_click: Callable[[Any], None] | None = None):
    """``chart`` (an Altair chart or a Vega-Lite dict) drawn by vega-embed in the browser (SVG), inside ``div.abm-vega.abm-chart-<name>``.

    ``on_click`` gets the clicked mark's data row (a dict) or None for a click on empty space."""
    with solara.Div(classes=["abm-vega", f"abm-chart-{name}"], style={"width": "100%"}):
        solara.widgets.VegaLite.element(spec=spec(chart), on_click=on_click, listen_to_click=on_click is not None)
