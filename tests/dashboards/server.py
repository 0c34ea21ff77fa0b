"""Browser-test settings shared by the browser test and the benchmark."""

from __future__ import annotations

from dashboards.launch import serve

DEAD_CDN = "http://127.0.0.1:9/npm/"  # a missing front-end file fails loudly instead of being fetched
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip


def dashboard_server(results=None, log=None):
    """The real server, with the CDN pointed at a dead loopback address."""
    return serve(results=results, log=log, env={"SOLARA_ASSETS_CDN": DEAD_CDN})
