"""Static figure of one run's outcome curves with milestones marked (matplotlib, Agg backend)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

CURVES = (("integration", "black"), ("consensus", "tab:blue"), ("connectivity", "tab:orange"),
          ("trust_mean", "tab:green"), ("engagement", "tab:purple"))  # fmt: skip
VALENCE_COLOURS = {"facilitating": "tab:green", "disrupting": "tab:red", "mixed": "tab:grey"}


def plot_run(steps: pd.DataFrame, milestones: pd.DataFrame, title: str, path: str | Path) -> Path:
    """Write a PNG of the outcome curves; configured milestones as vertical lines, detected ones as ticks."""
    fig, ax = plt.subplots(figsize=(9, 4.8), dpi=110)
    for name, colour in CURVES:
        ax.plot(steps["step"], steps[name], label=name.replace("_", " "), color=colour, lw=2 if name == "integration" else 1.4)
    for _, ev in milestones.iterrows():
        colour = VALENCE_COLOURS.get(ev["valence"], "grey")
        if ev["source"] == "detected":
            ax.plot([ev["step"]], [1.03], marker="v", color=colour, ms=5, clip_on=False)
        else:
            ax.axvline(ev["step"], color=colour, ls="--", lw=0.9, alpha=0.8)
            ax.text(ev["step"], 0.02, ev["name"], rotation=90, fontsize=7, va="bottom", ha="right", color=colour)
    ax.set(xlabel="week", ylabel="level (0-1)", ylim=(0, 1.06), xlim=(0, steps["step"].max()), title="\n".join(textwrap.wrap(title, 95)))
    ax.legend(loc="lower right", fontsize=8, ncol=2)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path)
    plt.close(fig)
    return path
