"""The PNG figures of a sensitivity report: jobs drawn by this process and, for many figures, a helper process.

A job is ``(file stem, plot function, arguments)`` over one analysis table (indices, convergence or
noise), so any Python process can draw it. Matplotlib takes ~0.15 s a figure and a report has up
to four per outcome, so :class:`Figures` queues the jobs as soon as their table is final (the index
and convergence plots before the noise split is computed) and a helper interpreter, started while
the analysis runs, takes them one at a time while this process finishes the tables and then draws
too. Figures are drawn into a temporary folder and moved into ``DIR/analysis`` together at the end;
should the helper fail, this process draws what it left: the files never depend on it.
"""

from __future__ import annotations

import json
import pickle
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import warnings
from collections import deque
from pathlib import Path

import pandas as pd

from experiments.sensitivity.analysis import KEY_INDEX

Job = tuple[str, str, tuple]
TABLE = {"index_bars": "indices", "morris_plot": "indices", "convergence_plot": "convergence", "noise_plot": "noise"}
MIN_FIGURES = 8  # fewer figures than this are drawn here: a helper costs ~1 s of start-up
HELPER_TIMEOUT = 600.0  # seconds to wait for the helper's last figure before drawing it here


def _slug(*parts: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", "_".join(parts))


def jobs(indices: pd.DataFrame, convergence: pd.DataFrame, noise: pd.DataFrame) -> list[Job]:
    """Every figure of these tables, in report order: index plots, convergence plots, noise split."""
    out: list[Job] = []
    if len(indices):
        for (outcome, stat, method), _ in indices.groupby(["outcome", "statistic", "method"], sort=False):
            if method == "morris":
                out.append((_slug("sens_morris", outcome, stat), "morris_plot", (outcome, stat)))
            else:
                out.append((_slug("sens_indices", method, outcome, stat), "index_bars", (outcome, stat, method)))
    if len(convergence) and convergence["N"].nunique() > 1:
        for (outcome, stat, method), _ in convergence.groupby(["outcome", "statistic", "method"], sort=False):
            out.append((_slug("sens_convergence", method, outcome, stat), "convergence_plot",
                        (outcome, stat, method, KEY_INDEX[method])))  # fmt: skip
    if len(noise):
        out.append(("sens_noise_design", "noise_plot", ()))
    return out


def draw(job: Job, tables: dict[str, pd.DataFrame], folder: Path) -> Path:
    """Draw one job from its table and save it as ``folder/<stem>.png``."""
    from experiments.sensitivity import plots

    stem, fn, args = job
    fig = getattr(plots, fn)(tables[TABLE[fn]], *args)
    path = folder / f"{stem}.png"
    fig.savefig(path, dpi=plots.DPI)
    return path


def expected_figures(out: str | Path) -> int:
    """Figures the report of results directory ``out`` will have at most, from its manifest's spec (0 if
    unreadable): index and convergence plots per outcome x statistic x method, and the noise plot."""
    try:
        spec = json.loads((Path(out) / "manifest.json").read_text())["extra"]["sensitivity"]
        per = len(spec["outcomes"]) * len(spec.get("statistics") or ["mean"]) * len(spec["methods"])
        return per * (2 if spec.get("convergence", True) else 1) + 1
    except (OSError, ValueError, KeyError, TypeError):
        return 0


class Figures:
    """The figures of one report: queued with :meth:`add_indices` / :meth:`add_noise`, collected by :meth:`finish`.

    ``expected`` figures >= :data:`MIN_FIGURES` start a helper process now (its imports overlap the
    analysis). Use as a context manager: leaving it stops the helper and removes the staging folder.
    """

    def __init__(self, expected: int = 0) -> None:
        self._stage = Path(tempfile.mkdtemp(prefix="sens-figures-"))
        self._tables: dict[str, pd.DataFrame] = {}
        self._jobs: list[Job] = []
        self._pending: deque[Job] = deque()
        self._cond = threading.Condition()
        self._closed = False
        self._done: dict[Job, Path] = {}
        self._failure: str | None = None
        self._feeder: threading.Thread | None = None
        self._proc: subprocess.Popen | None = None
        self._err = None
        if expected >= MIN_FIGURES:
            self._start_helper()

    def __enter__(self) -> Figures:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def has_indices(self) -> bool:
        return "indices" in self._tables

    def add_indices(self, indices: pd.DataFrame, convergence: pd.DataFrame) -> None:
        """Queue the index and convergence plots (``analyse(..., on_indices=...)`` calls this)."""
        self._add({"indices": indices, "convergence": convergence}, jobs(indices, convergence, pd.DataFrame()))

    def add_noise(self, noise: pd.DataFrame) -> None:
        """Queue the noise/design plot."""
        self._add({"noise": noise}, jobs(pd.DataFrame(), pd.DataFrame(), noise))

    def finish(self, folder: Path) -> list[Path]:
        """Draw what is still queued (with the helper), move every figure into ``folder``; the paths, in report order."""
        while (job := self._take(block=False)) is not None:
            self._done[job] = draw(job, self._tables, self._stage)
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._feeder is not None:
            self._feeder.join(HELPER_TIMEOUT)
            self._stop()  # a no-op unless the helper hangs: then its figure is drawn here
            self._feeder.join()
        for job in self._jobs:  # what the helper gave back or never finished
            if job not in self._done:
                self._done[job] = draw(job, self._tables, self._stage)
        if self._failure is not None:
            warnings.warn(f"figure helper process failed ({self._failure}); its figures were drawn here", stacklevel=2)
        out = []
        for job in self._jobs:
            out.append(Path(shutil.move(self._done[job], folder / self._done[job].name)))
        return out

    def close(self) -> None:
        """Stop the helper (if running) and remove the staging folder."""
        try:
            with self._cond:
                self._closed = True
                self._cond.notify_all()
            self._stop()
            if self._feeder is not None:
                self._feeder.join()
            if self._proc is not None:
                for f in (self._proc.stdin, self._proc.stdout, self._err):
                    try:
                        f.close()
                    except OSError:  # unsent bytes to a dead helper
                        pass
        finally:
            shutil.rmtree(self._stage, ignore_errors=True)

    # --- queue and helper -------------------------------------------------------------------------------------

    def _add(self, tables: dict[str, pd.DataFrame], job_list: list[Job]) -> None:
        with self._cond:
            self._tables.update(tables)
            self._jobs += job_list
            self._pending.extend(job_list)
            self._cond.notify_all()
        if self._proc is not None and self._feeder is None:
            self._feeder = threading.Thread(target=self._feed, daemon=True)
            self._feeder.start()

    def _take(self, block: bool) -> Job | None:
        with self._cond:
            while block and not self._pending and not self._closed:
                self._cond.wait()
            return self._pending.popleft() if self._pending else None

    def _start_helper(self) -> None:
        code = ("import json, sys; sys.path[:0] = json.loads(sys.argv[1]); "
                "from experiments.sensitivity.figures import _serve; _serve()")  # fmt: skip
        err = tempfile.TemporaryFile()
        try:  # the parent's import path, so the helper imports this very package
            self._proc = subprocess.Popen([sys.executable, "-c", code, json.dumps(sys.path)], stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, stderr=err)  # fmt: skip
        except OSError:
            err.close()  # no interpreter to start: every figure is drawn here
            return
        self._err = err

    def _feed(self) -> None:
        """Thread: hand the helper one job at a time (with its table, once) until the queue is closed and empty."""
        sent: set[str] = set()
        while (job := self._take(block=True)) is not None:
            key = TABLE[job[1]]
            try:
                if key not in sent:
                    self._send(("table", key, self._tables[key]))
                    sent.add(key)
                self._send(("job", job, str(self._stage)))
                reply = self._proc.stdout.readline()
            except (OSError, ValueError):
                reply = b""
            if reply.strip() != b"ok":
                self._failure = self._helper_error()
                with self._cond:
                    self._pending.appendleft(job)  # drawn here
                return
            self._done[job] = self._stage / f"{job[0]}.png"

    def _send(self, msg: tuple) -> None:
        self._proc.stdin.write(pickle.dumps(msg))
        self._proc.stdin.flush()

    def _helper_error(self) -> str:
        self._stop()
        self._err.seek(0)
        lines = self._err.read().decode(errors="replace").strip().splitlines()
        return lines[-1] if lines else f"exit status {self._proc.returncode}"

    def _stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()


def _serve() -> None:
    """Helper process: import the plotting stack, then draw each job it is sent and answer ``ok``."""
    import matplotlib.backends.backend_agg  # noqa: F401  (imported before the jobs arrive)

    from experiments.sensitivity import plots  # noqa: F401

    tables: dict[str, pd.DataFrame] = {}
    while True:
        try:
            msg = pickle.load(sys.stdin.buffer)
        except EOFError:
            return
        if msg[0] == "table":
            tables[msg[1]] = msg[2]
        else:
            draw(msg[1], tables, Path(msg[2]))
            sys.stdout.write("ok\n")
            sys.stdout.flush()
