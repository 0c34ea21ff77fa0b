"""A calibration's posterior as a source of parameter sets: weighted, seeded draws.

Experiments (``posterior: DIR`` in a spec), ``abm validate --posterior DIR`` and ``abm cmo --posterior DIR``
give replicate ``r`` the particle drawn by ``default_rng(SeedSequence(seed, spawn_key=(POSTERIOR_KEY, r)))``
with probability its weight: the same replicate gets the same parameter set in every scenario, arm
and intervention (paired, like its seed), and raising the replicate count keeps the earlier draws.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.storage import read_frame

POSTERIOR_KEY = 7_777_777


class PosteriorError(ValueError):
    """A posterior directory that cannot be read: ``<path>: <what was expected>``."""


@dataclass(frozen=True)
class Posterior:
    """Particles (``param.<name>`` columns) and their weights, with where they came from."""

    path: str
    params: pd.DataFrame
    weights: np.ndarray
    digest: str

    @property
    def names(self) -> list[str]:
        return [c.removeprefix("param.") for c in self.params.columns]

    def index(self, seed: int, replicate: int) -> int:
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(POSTERIOR_KEY, replicate)))
        return int(rng.choice(len(self.weights), p=self.weights))

    def draw(self, seed: int, replicate: int) -> dict[str, float]:
        """Parameter values (plain names) of replicate ``replicate``'s particle."""
        row = self.params.iloc[self.index(seed, replicate)]
        return {c.removeprefix("param."): float(v) for c, v in row.items()}

    def overrides(self, seed: int, replicate: int) -> dict[str, float]:
        """The same draw as the model's dotted-key overrides (``params.<name>``)."""
        return {f"params.{k}": v for k, v in self.draw(seed, replicate).items()}


def load_posterior(path: str | Path) -> Posterior:
    """Read ``DIR/posterior.parquet`` (or the file itself); raises :class:`PosteriorError`."""
    p = Path(path)
    f = p / "posterior.parquet" if p.is_dir() else p
    if not f.exists():
        raise PosteriorError(f"{path}: no posterior.parquet; expected the --out directory of a finished `abm calibrate`")
    try:
        df = read_frame(f)
    except Exception as e:  # noqa: BLE001 - any unreadable file is bad input
        raise PosteriorError(f"{f}: cannot read ({type(e).__name__}: {e})") from None
    cols = [c for c in df.columns if c.startswith("param.")]
    if not cols or "weight" not in df.columns or df.empty:
        raise PosteriorError(f"{f}: expected param.<name> columns, a weight column and at least one particle")
    w = df["weight"].to_numpy(float)
    if not np.all(np.isfinite(w)) or (w < 0).any() or w.sum() <= 0:
        raise PosteriorError(f"{f}: weight: expected non-negative weights with a positive sum")
    digest = hashlib.sha256(f.read_bytes()).hexdigest()[:20]
    return Posterior(str(path), df[cols].reset_index(drop=True), w / w.sum(), digest)


def replicate_overrides(post: Posterior, seed: int, replicates: int) -> list[dict[str, float]]:
    """Overrides of replicates 0..n-1 (validation and CMO arms)."""
    return [post.overrides(seed, r) for r in range(replicates)]
