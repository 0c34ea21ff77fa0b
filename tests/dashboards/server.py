"""Browser-test settings shared by the browser test and the benchmark."""

from __future__ import annotations

from dashboards.launch import serve

DEAD_CDN = "http://127.0.0.1:9/npm/"  # a missing front-end file fails loudly instead of being fetched
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip


def dashboard_server(results=None, log=None, env: dict[str, str] | None = None):
    """The real server, with the CDN pointed at a dead loopback address (``env``: more settings)."""
    return serve(results=results, log=log, env={"SOLARA_ASSETS_CDN": DEAD_CDN, **(env or {})})


def server_process(url: str):
    """The psutil process listening on the server's port (None if it cannot be seen)."""
    import psutil

    port = int(url.rstrip("/").rsplit(":", 1)[1])
    for c in psutil.net_connections(kind="tcp"):
        if c.laddr and c.laddr.port == port and c.status == psutil.CONN_LISTEN and c.pid:
            return psutil.Process(c.pid)
    return None


def rss_mb(proc) -> float:
    """Resident memory of the server process, MB."""
    return proc.memory_info().rss / 2**20


def settle_rss(proc, seconds: float = 60.0, quiet_mb: float = 2.0, every: float = 3.0) -> float:
    """The server's resident memory once it stops changing by more than ``quiet_mb`` between two
    readings ``every`` seconds apart (at most ``seconds``): the figure after start-up or a cull."""
    import time

    last = rss_mb(proc)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(every)
        now = rss_mb(proc)
        if abs(now - last) < quiet_mb:
            return now
        last = now
    return last
