"""The one way every ``abm`` command reports bad input: one line on stderr, then exit status 2; and an interrupted
command: one line, exit status 130 (:func:`interruptible`).

Kept apart from :mod:`abm.cli` so command modules registered as ``abm.commands`` entry points can import it at
module level without a circular import.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import typer
from rich.console import Console

err = Console(stderr=True)


def fail(message: str, code: int = 2) -> None:
    """Print one clear message and exit (2 = bad input)."""
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def interruptible(what: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A command whose Ctrl-C, wherever it lands (also while the command starts its workers), ends with one line,
    ``error: NAME: interrupted; WHAT``, and exit status 130, instead of typer's silent exit."""

    def wrap(command: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(command)
        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                return command(*args, **kwargs)
            except KeyboardInterrupt:
                fail(f"{command.__name__.replace('_', '-')}: interrupted; {what}", 130)

        return run

    return wrap
