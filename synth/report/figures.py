"""Figures as base64 PNGs (matplotlib, Agg canvas; no pyplot, no global state)."""

from __future__ import annotations

import base64
import io
import math
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from synth.report.columns import MISSING, OTHER, Prepared

DPI = 90
REAL, SYNTH = "#2b6cb0", "#dd6b20"
TRAIN, HOLDOUT = "#b83280", "#319795"
MAX_PANELS = 16
MAX_BARS = 10
INK = "#2d3748"
RC = {
    "font.size": 8,
    "axes.titlesize": 9,
    "axes.labelsize": 8,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 7,
}


def _figure(w: float, h: float, *, layout: str | None = "constrained") -> Figure:
    fig = Figure(figsize=(w, h), dpi=DPI, layout=layout)
    FigureCanvasAgg(fig)
    return fig


def _style(ax: Any) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color("#a0aec0")
    ax.tick_params(colors=INK, length=2)
    ax.grid(axis="y", color="#edf2f7", linewidth=0.8)
    ax.set_axisbelow(True)


def _legend(fig: Figure, *, outside: bool = False) -> None:
    """One legend for the whole figure, above the panels."""
    from matplotlib.patches import Patch

    handles = [Patch(color=REAL, label="real (training)"), Patch(color=SYNTH, label="synthetic")]
    if outside:  # constrained layout makes room for it
        fig.legend(handles=handles, loc="outside upper left", ncol=2, frameon=False, fontsize=8)
    else:
        fig.legend(
            handles=handles,
            loc="upper left",
            ncol=2,
            frameon=False,
            bbox_to_anchor=(0.01, 1.0),
            fontsize=8,
        )


def encode(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, facecolor="white")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _short(label: str, n: int = 14) -> str:
    return label if len(label) <= n else label[: n - 1] + "…"


def _panel_bars(c: Prepared) -> tuple[list[str], np.ndarray, np.ndarray]:
    n = c.n_codes
    p = np.bincount(c.real_codes, minlength=n) / max(1, len(c.real_codes))
    q = np.bincount(c.synth_codes, minlength=n) / max(1, len(c.synth_codes))
    labels = list(c.labels)
    if not c.numeric:
        # the most frequent real categories; everything else pooled into "other"
        k = n - 2
        top = list(range(min(k, MAX_BARS)))
        rest = [*range(len(top), k), k]
        idx = [*top, k, k + 1]
        p = np.array([*p[top], p[rest].sum(), p[k + 1]])
        q = np.array([*q[top], q[rest].sum(), q[k + 1]])
        labels = [labels[i] for i in idx]
        labels[-2] = OTHER
    keep = [
        i for i in range(len(labels)) if p[i] > 0 or q[i] > 0 or (labels[i] not in (OTHER, MISSING))
    ]
    return [labels[i] for i in keep], p[keep], q[keep]


def marginals_figure(cols: list[Prepared], tvd: dict[str, float]) -> str:
    cols = cols[:MAX_PANELS]
    ncol = min(4, max(1, len(cols)))
    nrow = math.ceil(len(cols) / ncol)
    with mpl.rc_context(RC):
        # a fixed grid (no constrained layout): half the drawing time for many panels
        height = 2.3 * nrow + 0.45
        fig = _figure(2.75 * ncol, height, layout=None)
        fig.subplots_adjust(
            left=0.05,
            right=0.99,
            top=1 - 0.55 / height,
            bottom=0.75 / height,
            wspace=0.28,
            hspace=0.95,
        )
        axes = fig.subplots(nrow, ncol, squeeze=False)
        for ax, c in zip(axes.flat, cols, strict=False):
            labels, p, q = _panel_bars(c)
            x = np.arange(len(labels))
            ax.bar(x - 0.2, p, 0.4, color=REAL, label="real")
            ax.bar(x + 0.2, q, 0.4, color=SYNTH, label="synthetic")
            ax.set_title(
                f"{_short(c.name, 26)}  ·  TVD {tvd.get(c.name, float('nan')):.3f}",
                loc="left",
                color=INK,
            )
            ax.set_xticks(
                x,
                [_short(v) for v in labels],
                rotation=60,
                ha="right",
                fontsize=6 if len(labels) > 8 else 7,
            )
            ax.yaxis.set_major_formatter(lambda v, _: f"{100 * v:.0f}%")
            _style(ax)
        for ax in axes.flat[len(cols) :]:
            ax.set_visible(False)
        _legend(fig)
        return encode(fig)


def association_figure(names: list[str], diff: np.ndarray) -> str:
    m = len(names)
    side = min(8.0, 2.2 + 0.26 * m)
    lim = max(0.1, float(np.nanmax(np.abs(diff))) if np.isfinite(diff).any() else 0.1)
    with mpl.rc_context(RC):
        fig = _figure(side + 1.6, side + 0.4)
        ax = fig.add_subplot()
        im = ax.imshow(np.ma.masked_invalid(diff), cmap="RdBu_r", vmin=-lim, vmax=lim)
        ax.set_xticks(
            range(m),
            [_short(n, 16) for n in names],
            rotation=60,
            ha="right",
            rotation_mode="anchor",
        )
        ax.set_yticks(range(m), [_short(n, 16) for n in names])
        ax.tick_params(length=0)
        for s in ax.spines.values():
            s.set_visible(False)
        cb = fig.colorbar(im, ax=ax, shrink=0.8)
        cb.set_label("Cramér's V: real − synthetic")
        return encode(fig)


def dcr_figure(dcr_train: np.ndarray, dcr_holdout: np.ndarray | None) -> str:
    a = np.asarray(dcr_train, dtype=float)
    a = a[np.isfinite(a)]
    b = None if dcr_holdout is None else np.asarray(dcr_holdout, dtype=float)
    if b is not None:
        b = b[np.isfinite(b)]
    both = a if b is None else np.concatenate([a, b])
    hi = float(np.quantile(both, 0.99)) if len(both) else 1.0
    hi = hi if hi > 0 else 1.0
    bins = np.linspace(0, hi, 41)
    shown_a = a[a <= hi]
    shown_b = None if b is None else b[b <= hi]
    with mpl.rc_context(RC):
        fig = _figure(9.0, 2.9)
        ax1, ax2 = fig.subplots(1, 2)
        series = [(a, shown_a, TRAIN, "synthetic → nearest train row")]
        if b is not None and shown_b is not None:
            series.append((b, shown_b, HOLDOUT, "synthetic → nearest holdout row"))
        for d, shown, color, label in series:
            ax1.hist(shown, bins=bins, density=True, histtype="stepfilled", alpha=0.25, color=color)
            ax1.hist(
                shown,
                bins=bins,
                density=True,
                histtype="step",
                linewidth=1.4,
                color=color,
                label=label,
            )
            xs = np.sort(d)
            ax2.step(
                xs,
                np.arange(1, len(xs) + 1) / len(xs),
                where="post",
                color=color,
                linewidth=1.4,
                label=label,
            )
        ax1.set_title("Distance to closest record (density)", loc="left", color=INK)
        ax1.set_xlabel("distance (up to the 99th percentile)")
        ax2.set_title("Cumulative share of synthetic rows", loc="left", color=INK)
        ax2.set_xlabel("distance")
        ax2.set_xlim(0, hi)
        ax2.yaxis.set_major_formatter(lambda v, _: f"{100 * v:.0f}%")
        ax2.legend(loc="lower right", frameon=False)
        for ax in (ax1, ax2):
            _style(ax)
        return encode(fig)


def gate_figure(metrics: list[dict[str, Any]]) -> str | None:
    rows = [
        m
        for m in metrics
        if isinstance(m.get("interval"), list | tuple)
        and len(m["interval"]) == 2
        and m.get("threshold") is not None
        and None not in m["interval"]
        and m.get("value") is not None
    ]
    if not rows:
        return None
    with mpl.rc_context(RC):
        fig = _figure(9.0, 0.45 * len(rows) + 0.9)
        ax = fig.add_subplot()
        for i, m in enumerate(rows):
            y = len(rows) - 1 - i
            color = "#c53030" if m.get("verdict") == "block" else "#2f855a"
            lo, hi = float(m["interval"][0]), float(m["interval"][1])
            ax.plot([lo, hi], [y, y], color=color, linewidth=3, solid_capstyle="round")
            ax.plot(float(m["value"]), y, "o", color=color, markersize=6)
            ax.plot(float(m["threshold"]), y, "|", color=INK, markersize=16, markeredgewidth=2)
            if m.get("baseline") is not None:
                ax.plot(float(m["baseline"]), y, "d", color="#718096", markersize=5)
        ax.set_yticks(range(len(rows)), [str(m["name"]) for m in reversed(rows)])
        ax.set_ylim(-0.6, len(rows) - 0.4)
        ax.set_title(
            "Gate metrics: value and interval (dot, bar), baseline (◆), threshold (|)",
            loc="left",
            color=INK,
        )
        _style(ax)
        ax.grid(axis="x", color="#edf2f7")
        return encode(fig)


def bias_figure(attrs: list[dict[str, Any]]) -> str | None:
    attrs = [a for a in attrs if a.get("groups")]
    if not attrs:
        return None
    has_rate = any(a.get("outcome") for a in attrs)
    with mpl.rc_context(RC):
        fig = _figure(9.0, 2.4 * len(attrs) + 0.2)
        axes = fig.subplots(len(attrs), 2 if has_rate else 1, squeeze=False)
        for row, a in zip(axes, attrs, strict=True):
            groups = a["groups"]
            labels = [_short(str(g["group"]), 16) for g in groups]
            x = np.arange(len(groups))
            ax = row[0]
            ax.bar(x - 0.2, [g["share_real"] for g in groups], 0.4, color=REAL, label="real")
            ax.bar(
                x + 0.2, [g["share_synthetic"] for g in groups], 0.4, color=SYNTH, label="synthetic"
            )
            ax.set_title(f"{a['column']}: group share", loc="left", color=INK)
            for ax_ in row:
                ax_.set_xticks(x, labels, rotation=45, ha="right")
                ax_.yaxis.set_major_formatter(lambda v, _: f"{100 * v:.0f}%")
                _style(ax_)
            for i, g in enumerate(groups):
                if "share" in g["flags"]:
                    ax.annotate(
                        "!",
                        (i, max(g["share_real"], g["share_synthetic"])),
                        ha="center",
                        va="bottom",
                        color="#c53030",
                        fontweight="bold",
                    )
            if has_rate:
                ax = row[1]
                if a.get("outcome"):
                    rr = [np.nan if g.get("rate_real") is None else g["rate_real"] for g in groups]
                    rs = [
                        np.nan if g.get("rate_synthetic") is None else g["rate_synthetic"]
                        for g in groups
                    ]
                    ax.bar(x - 0.2, rr, 0.4, color=REAL)
                    ax.bar(x + 0.2, rs, 0.4, color=SYNTH)
                    ax.set_title(
                        _short(f"{a['column']}: {a['outcome']}", 60), loc="left", color=INK
                    )
                    if str(a["outcome"]).startswith("mean "):
                        ax.yaxis.set_major_formatter(lambda v, _: f"{v:g}")
                else:
                    ax.set_visible(False)
        _legend(fig, outside=True)
        return encode(fig)
