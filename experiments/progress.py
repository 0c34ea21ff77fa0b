"""A rich progress bar: runs done, failures, elapsed time and ETA (on stderr)."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.progress import Progress as RichProgress


class Progress:
    """Progress of a sweep; a no-op when disabled."""

    def __init__(self, total: int, done: int, failed: int, enabled: bool = True, label: str = "runs") -> None:
        self.enabled = enabled
        self._bar: RichProgress | None = None
        if enabled:
            self._bar = RichProgress(
                TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("[red]{task.fields[failed]} failed"), TextColumn("elapsed"), TimeElapsedColumn(),
                TextColumn("ETA"), TimeRemainingColumn(), console=Console(stderr=True), transient=False,
            )  # fmt: skip
            self._task = self._bar.add_task(label, total=total, completed=done + failed, failed=failed)

    def __enter__(self) -> Progress:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.stop()

    def update(self, completed: int, failed: int) -> None:
        if self._bar is not None:
            self._bar.update(self._task, completed=completed + failed, failed=failed)
