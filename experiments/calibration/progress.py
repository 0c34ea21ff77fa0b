"""Progress of a calibration on stderr: generation, accepted particles, runs, elapsed and ETA."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.progress import Progress as RichProgress


class GenerationProgress:
    """One bar over generations (a generation's share done = accepted / population); a no-op when disabled."""

    def __init__(self, generations: int, population: int, done: int, enabled: bool = True, label: str = "calibration") -> None:
        self.generations, self.population, self.done = generations, population, done
        self._bar: RichProgress | None = None
        if enabled:
            self._bar = RichProgress(
                TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.fields[status]}"),
                TextColumn("elapsed"), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                console=Console(stderr=True), transient=False,
            )  # fmt: skip
            self._task = self._bar.add_task(label, total=generations, completed=done,
                                            status=f"generation {done}/{generations}")  # fmt: skip

    def __enter__(self) -> GenerationProgress:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.stop()

    def update(self, t: int, accepted: int, n: int, simulated: int) -> None:
        """After each batch of generation ``t`` (t = -1 or a repeated t: the prior calibration sample)."""
        if self._bar is None:
            return
        g = max(t, 0)
        self._bar.update(self._task, completed=min(self.generations, g + accepted / max(n, 1)),
                         status=f"generation {g + 1}/{self.generations}: {accepted}/{n} accepted, {simulated} simulated")  # fmt: skip
