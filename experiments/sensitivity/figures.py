"""The PNG figures of a sensitivity report as jobs, drawn here and (for many figures) on a helper process.

A job is ``(file stem, plot function, arguments)`` over the analysis tables alone (indices,
convergence, noise), so any Python process can draw it. Matplotlib takes ~0.15 s a figure and a
report has up to four per outcome; :class:`Helper` starts a second interpreter while the analysis
runs (it imports pandas and matplotlib meanwhile), is sent half of the jobs with the tables, and
draws them while this process draws the other half. Should the helper fail, this process draws
its jobs too: the files written never depend on it.
"""

from __future__ import annotations

import json
import pickle
import re
import subprocess
import sys
import tempfile
import threading
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from experiments.sensitivity.analysis import KEY_INDEX

Job = tuple[str, str, tuple]
MIN_FIGURES = 8  # fewer figures than this are drawn here: a helper costs ~1 s of start-up
HELPER_TIMEOUT = 600.0  # seconds to wait for the helper's figures before drawing them here


def _slug(*parts: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", "_".join(parts))


def jobs(indices: pd.DataFrame, convergence: pd.DataFrame, noise: pd.DataFrame) -> list[Job]:
    """Every figure of the report, in report order: index plots, convergence plots, noise split."""
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


def draw(job_list: list[Job], tables: dict[str, pd.DataFrame], folder: Path) -> list[Path]:
    """Draw and save jobs into ``folder`` (``tables``: ``indices``, ``convergence``, ``noise``)."""
    from experiments.sensitivity import plots

    first = {"index_bars": "indices", "morris_plot": "indices", "convergence_plot": "convergence",
             "noise_plot": "noise"}  # fmt: skip
    files = []
    for stem, fn, args in job_list:
        fig = getattr(plots, fn)(tables[first[fn]], *args)
        path = folder / f"{stem}.png"
        fig.savefig(path, dpi=plots.DPI)
        files.append(path)
    return files


class Helper:
    """A second Python process that draws figure jobs (started early: its imports overlap the analysis)."""

    def __init__(self) -> None:
        self._err = tempfile.TemporaryFile()
        code = ("import json, sys; sys.path[:0] = json.loads(sys.argv[1]); "
                "from experiments.sensitivity.figures import _serve; _serve()")  # fmt: skip
        # the parent's import path, so the helper imports this very package
        self._proc = subprocess.Popen([sys.executable, "-c", code, json.dumps(sys.path)], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=self._err)  # fmt: skip
        self._jobs: list[Job] = []
        self._out: bytes | None = None
        self._talk: threading.Thread | None = None

    def send(self, job_list: list[Job], tables: dict[str, pd.DataFrame], folder: Path) -> None:
        """Hand the helper its jobs (it draws them while the caller draws others)."""
        self._jobs = list(job_list)
        payload = pickle.dumps((str(folder), self._jobs, tables))

        def talk() -> None:  # a thread: the pipe blocks until the helper has finished its imports
            try:
                self._out = self._proc.communicate(payload)[0]
            except (OSError, ValueError):
                self._out = None  # the helper died: finish() sees it and the caller draws its jobs

        self._talk = threading.Thread(target=talk, daemon=True)
        self._talk.start()

    def finish(self, tables: dict[str, pd.DataFrame], folder: Path) -> list[Path]:
        """The helper's files once it is done; its jobs drawn here instead if it failed."""
        want = [folder / f"{stem}.png" for stem, _, _ in self._jobs]
        self._talk.join(HELPER_TIMEOUT)
        self._stop()  # a no-op unless it hangs
        self._talk.join()
        try:
            done = json.loads(self._out) if self._proc.returncode == 0 and self._out else None
        except ValueError:
            done = None
        if done == [str(p) for p in want] and all(p.exists() for p in want):
            self.close()
            return want
        self._err.seek(0)
        why = self._err.read().decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        self.close()
        warnings.warn(f"figure helper process failed ({why[0]}); drawing its figures here", stacklevel=2)
        return draw(self._jobs, tables, folder)

    def _stop(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()

    def close(self) -> None:
        """Stop the helper if it is still running (an error in the caller, or a hung helper); release its files."""
        self._stop()
        if self._talk is None:  # never sent: nobody else closes the pipes
            self._proc.stdin.close()
            self._proc.stdout.close()
        self._err.close()


def start_helper(n_figures: int) -> Helper | None:
    """A helper for a report with ``n_figures`` figures, or None (few figures, or no interpreter to start)."""
    if n_figures < MIN_FIGURES:
        return None
    try:
        return Helper()
    except OSError:
        return None


def expected_figures(spec: Any) -> int:
    """Figures a spec's report will have at most (index and convergence plots per outcome x statistic x method)."""
    r = spec.raw
    return len(r.outcomes) * len(r.statistics) * len(spec.methods) * (2 if r.convergence else 1) + 1


def _serve() -> None:
    """Helper process: import the plotting stack, read (folder, jobs, tables) on stdin, draw, print the files."""
    import matplotlib.backends.backend_agg  # noqa: F401  (imported before the jobs arrive)

    from experiments.sensitivity import plots  # noqa: F401

    data = sys.stdin.buffer.read()
    if not data:
        return  # the caller changed its mind (few figures, or an error)
    folder, job_list, tables = pickle.loads(data)
    files = draw(job_list, tables, Path(folder))
    sys.stdout.write(json.dumps([str(p) for p in files]))
