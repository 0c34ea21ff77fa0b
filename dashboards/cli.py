"""The ``abm dashboard`` command (registered on the ``abm`` app through the ``abm.commands`` entry point).

Only typer is imported here; the command starts ``solara run dashboards/app.py`` in this process's
place, so Ctrl-C stops the server directly.
"""

from __future__ import annotations

from pathlib import Path

import typer


def dashboard(
    host: str = typer.Option("127.0.0.1", help="address to listen on; give 0.0.0.0 only to expose it deliberately"),
    port: int = typer.Option(8765, min=0, max=65535, help="port to listen on"),
    results: Path | None = typer.Option(None, help="results directory to open in the results browser"),
) -> None:
    """Start the dashboard: explore a program live, and browse experiment and sensitivity results."""
    import os

    from dashboards.launch import command, environment

    if results is not None and not results.is_dir():
        typer.echo(f"error: {results}: no such results directory", err=True)
        raise typer.Exit(2)
    cmd = command(host, port)
    typer.echo(f"dashboard on http://{host}:{port} (Ctrl-C to stop)")
    os.execve(cmd[0], cmd, environment(results))


def register(app: typer.Typer) -> None:
    """Add the ``dashboard`` command to the ``abm`` app."""
    app.command("dashboard")(dashboard)
