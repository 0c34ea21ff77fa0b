"""The dashboard app (``solara run dashboards/app.py``; start it with ``abm dashboard``).

Two pages: the model explorer (one program, live) and the results browser (stored experiment and
sensitivity results). Nothing shared is built at import: each browser session builds its own
model. A throw-away model is run once in the background at start (:func:`dashboards.explorer.warm_up`).
"""

from __future__ import annotations

import threading
import warnings

import solara
import solara.lab

# Mesa's SolaraViz (mesa/visualization/solara_viz.py) calls a hook after an early return, and solara's
# rules-of-hooks lint printed a warning about it at every start. Only that known warning about Mesa's
# code is silenced (before Mesa's components are defined); ours stay checked.
warnings.filterwarnings(
    "ignore", message=r".*[/\\]mesa[/\\]visualization[/\\]solara_viz\.py:\d+: \w+: `use_state` found despite early return",
    category=UserWarning,
)
# Served over plain http (loopback by default), solara falls back to samesite=lax session cookies, which is
# what a page that is not embedded in an iframe needs; its advice on iframes printed at the first page load.
warnings.filterwarnings("ignore", message="Cookies with samesite=none require https", category=UserWarning)

from dashboards.explorer import Explorer, warm_up  # noqa: E402
from dashboards.results_page import ResultsBrowser  # noqa: E402

TITLE = "Integration of care: agent-based model"
threading.Thread(target=warm_up, name="abm-warm-up", daemon=True).start()

@solara.component
def Layout(children=[]):  # noqa: B006 - solara's layout signature
    """The app bar with the title, then one tab per page (named by its label, not its path)."""
    current, all_routes = solara.use_route()
    router = solara.use_router()
    index = all_routes.index(current) if current in all_routes else 0
    # resolve the paths now: solara.resolve_path needs the render context, which a click handler lacks
    paths = [solara.resolve_path(r) for r in all_routes]

    def go(i: int) -> None:
        if paths[i] != router.path:
            router.push(paths[i])

    solara.Title(f"{all_routes[index].label}: {TITLE}")
    with solara.AppLayout(title=TITLE, navigation=False, color="primary") as main:
        with solara.Column(gap="4px"):  # one child: AppLayout would put a first of several in the sidebar
            with solara.lab.Tabs(value=index, on_value=go, align="center"):
                for r in all_routes:
                    solara.lab.Tab(r.label)
            for child in children:
                solara.display(child)
    return main


# The first route's layout wraps every page (solara's rule for a module that defines ``routes``).
routes = [
    solara.Route(path="/", component=Explorer, label="Model explorer", layout=Layout),
    solara.Route(path="results", component=ResultsBrowser, label="Results browser"),
]
