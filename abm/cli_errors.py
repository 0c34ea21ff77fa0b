"""The one way every ``abm`` command reports bad input: one line on stderr, then exit status 2.

Kept apart from :mod:`abm.cli` so command modules registered as ``abm.commands`` entry points can import it at
module level without a circular import.
"""

from __future__ import annotations

import typer
from rich.console import Console

err = Console(stderr=True)


def fail(message: str, code: int = 2) -> None:
    """Print one clear message and exit (2 = bad input)."""
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)
