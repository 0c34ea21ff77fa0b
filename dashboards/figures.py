"""Matplotlib views of a running model: partner network and practice views (the outcome curves and
the organizations are interactive Vega-Lite charts, :mod:`dashboards.charts`).

A step with redraw must stay fast (target < 200 ms at 15 partners), and drawing text (ticks, labels)
is most of matplotlib's cost. So each view draws its static part once (axes, names, legends) and,
per step, only redraws its moving artists over that background (Agg blitting), then encodes a PNG.
A view is rebuilt when its :meth:`key` changes (another model, a partner exits, a new milestone
label). Views read only the model's public state, agents and DataCollector, and draw no random numbers.
Matplotlib renders offline with no front-end files (docs/DASHBOARD.md, "Offline").
"""

from __future__ import annotations

import io
from functools import lru_cache
from typing import Any

import networkx as nx
import numpy as np
from matplotlib import colormaps, patheffects
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from PIL import Image

from abm.config import Scenario
from abm.model import IntegrationModel

DPI = 90
ENGAGEMENT_CMAP = colormaps["viridis"]
TRUST_CMAP = colormaps["Blues"]
TRUST_SHADE_FLOOR = 0.15  # trust 0 is drawn as this shade of the map, so weak links stay visible
LINK_WIDTH = {1: 0.7, 2: 2.2, 3: 4.5}
LINK_STYLE = {1: ":", 2: "-", 3: "-"}
LINK_NAMES = {1: "1 phone/fax", 2: "2 electronic", 3: "3 real-time"}
ORG_CMAP = colormaps["tab20"]
EXITED_COLOUR = "#d62728"
STRIP_HEIGHT = 0.6  # share of a row the clinicians of one organization spread over
GOLDEN = (np.sqrt(5.0) - 1.0) / 2.0  # deterministic jitter (low-discrepancy), no random draws


def png(fig: Figure) -> bytes:
    """A whole figure as PNG bytes (static figures: results browser)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


class BlitView:
    """A figure whose static part is drawn once; :meth:`png` redraws only the moving artists."""

    def __init__(self, fig: Figure, moving: list[Any], key: Any) -> None:
        self.fig, self.moving, self.key = fig, moving, key
        for a in moving:
            a.set_animated(True)  # left out of the background drawing
        self.canvas = FigureCanvasAgg(fig)
        self.canvas.draw()
        self.background = self.canvas.copy_from_bbox(fig.bbox)

    def update(self, model: IntegrationModel) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def png(self, model: IntegrationModel) -> bytes:
        """Update the moving artists from ``model`` and return the frame as PNG bytes."""
        self.update(model)
        self.canvas.restore_region(self.background)
        for a in self.moving:
            a.axes.draw_artist(a)
        w, h = self.canvas.get_width_height()
        img = Image.frombuffer("RGBA", (w, h), self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        buf = io.BytesIO()
        # a 256-colour palette is exact enough for charts, and 3-4x smaller and faster than RGB
        img.convert("RGB").quantize(256, method=Image.Quantize.FASTOCTREE).save(buf, format="png", compress_level=1)
        return buf.getvalue()


# --------------------------------------------------------------------------- partner network
@lru_cache(maxsize=32)
def _layout_cached(n: int, weights: tuple[tuple[float, ...], ...]) -> np.ndarray:
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_weighted_edges_from((i, j, weights[i][j]) for i in range(n) for j in range(i + 1, n) if weights[i][j] > 0)
    pos = nx.spring_layout(g, seed=0, weight="weight", k=1.6 / np.sqrt(max(n, 1)))  # layout seed, not the model's
    return np.array([pos[i] for i in range(n)])


def org_layout(scenario: Scenario) -> np.ndarray:
    """Node positions (O x 2), fixed per scenario: prior partners and same-region partners sit close."""
    orgs = scenario.organizations
    n = len(orgs)
    given = scenario.prior_matrix()
    prior = given if given is not None and given.size else np.zeros((n, n))
    region = np.array([o.region for o in orgs])
    w = 0.05 + prior + 0.5 * (region[:, None] == region[None, :])
    return _layout_cached(n, tuple(tuple(float(x) for x in row) for row in w))


class NetworkView(BlitView):
    """Organizations as nodes (size ~ staff, colour ~ mean engagement, red ring when exited);
    data-sharing links by level (width and style), shaded by mutual trust. Layout fixed per scenario."""

    @staticmethod
    def key_of(model: IntegrationModel) -> Any:
        return (id(model), tuple(np.flatnonzero(~model.state.active)))

    def __init__(self, model: IntegrationModel, size: tuple[float, float] = (6.6, 5.0)) -> None:
        s = model.state
        self.pos = pos = org_layout(model.scenario)
        fig = Figure(figsize=size, dpi=DPI)
        fig.subplots_adjust(left=0.01, right=0.8, bottom=0.01, top=0.99)
        ax = fig.add_subplot()
        self.links = {lv: LineCollection([], linewidths=LINK_WIDTH[lv], linestyles=LINK_STYLE[lv], zorder=1) for lv in (1, 2, 3)}
        for lc in self.links.values():
            ax.add_collection(lc)
        staff = s.size / s.size.max()
        sizes = 60 + 900 * np.sqrt(staff)
        self.nodes = ax.scatter(pos[:, 0], pos[:, 1], s=sizes, c=np.zeros(s.n_orgs), cmap=ENGAGEMENT_CMAP, vmin=0, vmax=1,
                                edgecolors="#333333", linewidths=0.8, zorder=2)  # fmt: skip
        exited = ~s.active
        if exited.any():
            ax.scatter(pos[exited, 0], pos[exited, 1], s=sizes[exited] * 1.9, facecolors="none",
                       edgecolors=EXITED_COLOUR, linewidths=2.5, zorder=3)  # fmt: skip
        # names are drawn last, over links and nodes, with a white halo, so they stay readable
        halo = [patheffects.withStroke(linewidth=2.5, foreground="white")]
        labels = [ax.annotate(f"{name} (exited)" if exited[k] else name, pos[k], xytext=(0, -9 - 7 * np.sqrt(staff[k])),
                              textcoords="offset points", ha="center", va="top", fontsize=7, path_effects=halo,
                              color=EXITED_COLOUR if exited[k] else "#222222", zorder=4)
                  for k, name in enumerate(s.names)]  # fmt: skip
        pad_x = 0.25 + (0.15 if exited.any() else 0.0)  # room for the longer "(exited)" names at the edges
        ax.set(xlim=(pos[:, 0].min() - pad_x, pos[:, 0].max() + pad_x), ylim=(pos[:, 1].min() - 0.3, pos[:, 1].max() + 0.25))
        ax.set_axis_off()
        handles = [Line2D([], [], color=TRUST_CMAP(0.8), lw=LINK_WIDTH[lv], ls=LINK_STYLE[lv], label=LINK_NAMES[lv]) for lv in (1, 2, 3)]
        handles.append(Line2D([], [], marker="o", ls="", mfc="none", mec=EXITED_COLOUR, mew=2, ms=9, label="exited"))
        ax.legend(handles=handles, title="data sharing", fontsize=7, title_fontsize=7, loc="upper left", frameon=False)
        cax1, cax2 = fig.add_axes((0.83, 0.55, 0.025, 0.38)), fig.add_axes((0.83, 0.08, 0.025, 0.38))
        fig.colorbar(ScalarMappable(Normalize(0, 1), ENGAGEMENT_CMAP), cax=cax1).set_label("mean engagement", fontsize=8)
        fig.colorbar(ScalarMappable(Normalize(0, 1), TRUST_CMAP), cax=cax2).set_label("mutual trust (links)", fontsize=8)
        super().__init__(fig, [*self.links.values(), self.nodes, *labels], self.key_of(model))

    def update(self, model: IntegrationModel) -> None:
        s, pos = model.state, self.pos
        mutual = np.minimum(s.trust, s.trust.T)
        i, j = np.triu_indices(s.n_orgs, 1)
        level = s.data_level[i, j]
        shade = TRUST_SHADE_FLOOR + (1 - TRUST_SHADE_FLOOR) * np.clip(mutual[i, j], 0, 1)
        for lv, lc in self.links.items():
            k = level == lv
            lc.set_segments(np.stack([pos[i[k]], pos[j[k]]], axis=1))
            lc.set_color(TRUST_CMAP(shade[k]))
        self.nodes.set_array(model.org_engagement())


# --------------------------------------------------------------------------- practice views
class PracticeView(BlitView):
    """Clinicians' practice views (one dimension) as a strip per organization, coloured by organization;
    the dashed line is the program mean. Clinicians of exited partners are grey."""

    @staticmethod
    def key_of(model: IntegrationModel, dim: int = 0) -> Any:
        return (id(model), dim, tuple(np.flatnonzero(~model.state.active)))

    def __init__(self, model: IntegrationModel, dim: int = 0, size: tuple[float, float] = (6.6, 4.2)) -> None:
        s = model.state
        self.dim = dim
        fig = Figure(figsize=size, dpi=DPI)
        fig.subplots_adjust(left=0.3, right=0.98, bottom=0.12, top=0.93)
        ax = fig.add_subplot()
        n = s.n_clinicians
        self.y = s.clin_org + ((np.arange(n) * GOLDEN) % 1.0 - 0.5) * STRIP_HEIGHT
        colours = ORG_CMAP(s.clin_org % ORG_CMAP.N)
        colours[~s.clin_active] = (0.75, 0.75, 0.75, 0.6)
        self.points = ax.scatter(s.views[:, dim], self.y, c=colours, s=9 if n > 400 else 16, linewidths=0)
        self.mean = ax.axvline(0.5, color="black", lw=1, ls="--")
        names = [nm if s.active[k] else f"{nm} (exited)" for k, nm in enumerate(s.names)]
        ax.set_yticks(np.arange(s.n_orgs), names, fontsize=7)
        ax.set(xlim=(0, 1), ylim=(s.n_orgs - 0.5, -0.5), xlabel=f"practice view (dimension {dim + 1} of {s.views.shape[1]})")
        ax.set_title(f"Practice views of {n} clinicians (dashed: program mean)", fontsize=9)
        ax.grid(axis="x", alpha=0.3)
        super().__init__(fig, [self.points, self.mean], self.key_of(model, dim))

    def update(self, model: IntegrationModel) -> None:
        s = model.state
        self.points.set_offsets(np.column_stack([s.views[:, self.dim], self.y]))
        live = s.clin_active
        m = float(s.views[live, self.dim].mean()) if live.any() else 0.5
        self.mean.set_xdata([m, m])
