"""Page 05's charts: the deprivation scatter with the model's curve, funnel plots, the change
scatter, the workforce dot plots and the model's residual plots (matplotlib figures)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from solihull_analytics.constants import ENGLAND_CODE
from solihull_analytics.methods import rates
from solihull_analytics.methods.count_model import DeprivationModel
from solihull_analytics.pages.benchmarking.compute import WORKFORCE_LABELS
from solihull_analytics.report.charts import AF_COLOURS, tight_layout

#: What each chart plots, offered as its download (columns of the model or funnel tables).
MODEL_CHART_COLUMNS = (
    "la_code",
    "la_name",
    "observed",
    "population_0_17",
    "deprivation",
    "rate",
    "expected_rate",
)
FUNNEL_CHART_COLUMNS = (
    "la_code",
    "la_name",
    "observed",
    "population_0_17",
    "rate",
    "lower_95",
    "upper_95",
    "lower_99_8",
    "upper_99_8",
    "funnel_position",
)
OE_FUNNEL_CHART_COLUMNS = (
    "la_code",
    "la_name",
    "observed",
    "expected",
    "oe",
    "lower_95",
    "upper_95",
    "lower_99_8",
    "upper_99_8",
    "funnel_position",
)
RESIDUAL_CHART_COLUMNS = (
    "la_code",
    "la_name",
    "expected",
    "deprivation",
    "population_0_17",
    "pearson_resid",
    "deviance_resid",
)


def chart_data(table: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """The columns of ``table`` a chart plots (those present), for its CSV download."""
    return table[[c for c in columns if c in table.columns]]


def _spread_labels(ax: Any, points: list[tuple[float, float, str]], min_gap: float = 0.05) -> None:
    """Label points in one column of text, pushed apart vertically, with leader lines.

    The column sits just right of the right-most labelled point, or just left of the
    left-most one when there is no room on the right; labels keep the points' vertical order so
    leader lines do not cross.
    """
    if not points:
        return
    to_axes = ax.transAxes.inverted()
    frac = [to_axes.transform(ax.transData.transform((x, y))) for x, y, _ in points]
    xs = [f[0] for f in frac]
    if max(xs) + 0.05 <= 0.72:
        tx, ha = max(xs) + 0.05, "left"
    else:
        tx, ha = max(min(xs) - 0.05, 0.02), "right"
    order = sorted(range(len(points)), key=lambda i: frac[i][1])
    ys = [min(max(frac[i][1], 0.03), 0.97) for i in order]
    for k in range(1, len(ys)):
        ys[k] = max(ys[k], ys[k - 1] + min_gap)
    overflow = ys[-1] - 0.97
    if overflow > 0:
        ys = [y - overflow for y in ys]
        for k in range(len(ys) - 2, -1, -1):
            ys[k] = min(ys[k], ys[k + 1] - min_gap)
    for k, i in enumerate(order):
        x, y, text = points[i]
        ax.annotate(
            text,
            xy=(x, y),
            xycoords="data",
            xytext=(tx, ys[k]),
            textcoords="axes fraction",
            fontsize=8.5,
            ha=ha,
            va="center",
            arrowprops={"arrowstyle": "-", "color": "#3D3D3D", "lw": 0.6, "shrinkB": 4},
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85},
            zorder=5,
        )


def _scatter_groups(
    ax: Any, df: pd.DataFrame, x: str, y: str, la_code: str, neighbours: Sequence[str]
) -> None:
    others = df[~df["la_code"].isin([la_code, *neighbours])]
    nb = df[df["la_code"].isin(neighbours)]
    me = df[df["la_code"] == la_code]
    ax.scatter(
        others[x],
        others[y],
        s=16,
        color="#BFBFBF",
        marker="o",
        label="Other LAs",
        zorder=2,
        edgecolors="none",
    )
    ax.scatter(
        nb[x],
        nb[y],
        s=38,
        color=AF_COLOURS[1],
        marker="s",
        label="Statistical neighbours",
        zorder=3,
        edgecolors="white",
        linewidths=0.5,
    )
    ax.scatter(
        me[x],
        me[y],
        s=90,
        color=AF_COLOURS[2],
        marker="D",
        label="This LA",
        zorder=4,
        edgecolors="white",
        linewidths=0.8,
    )
    ax.set_xlim(*ax.get_xlim())
    ax.set_ylim(*ax.get_ylim())
    pts = [(float(r[x]), float(r[y]), str(r["la_name"])) for _, r in me.iterrows()]
    pts += [(float(r[x]), float(r[y]), str(r["la_name"])) for _, r in nb.iterrows()]
    pts = [p for p in pts if np.isfinite(p[0]) and np.isfinite(p[1])]
    _spread_labels(ax, pts)


def plot_deprivation(
    model: DeprivationModel, la_code: str, neighbours: Sequence[str], title: str, xlabel: str
) -> Any:
    """Scatter of CLA rates against deprivation with the model's expected-rate curve."""
    import matplotlib.pyplot as plt

    df = model.data
    fig, ax = plt.subplots(figsize=(9, 5.6))
    grid = np.linspace(df["deprivation"].min(), df["deprivation"].max(), 100)
    if model.coef_cov is not None:
        lower, upper = model.expected_rate_interval(grid)
        ax.fill_between(grid, lower, upper, color="#12436D", alpha=0.15, lw=0, zorder=0,
                        label="95% confidence interval of the expected rate")
    ax.plot(
        grid,
        model.expected_rate_at(grid),
        color="#12436D",
        lw=2,
        ls="--",
        label="Expected rate (model)",
        zorder=1,
    )
    ax.set_ylim(0, max(df["rate"].max(), float(model.expected_rate_at([grid[-1]])[0])) * 1.08)
    _scatter_groups(ax, df, "deprivation", "rate", la_code, neighbours)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Rate per 10,000 children aged 0-17")
    heading = ax.set_title(title, loc="left")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), frameon=False, fontsize=9, ncol=4)
    tight_layout(fig, [(heading, title)])
    return fig


def plot_funnel(
    table: pd.DataFrame,
    centre: float,
    y: str,
    x: str,
    la_code: str,
    neighbours: Sequence[str],
    title: str,
    xlabel: str,
    ylabel: str,
    per: float = 10_000,
) -> Any:
    """Funnel plot: values against size with 95% and 99.8% limits around ``centre``."""
    import matplotlib.pyplot as plt

    df = table.dropna(subset=[x, y])
    fig, ax = plt.subplots(figsize=(9, 5.6))
    xs = np.geomspace(max(df[x].min() * 0.8, 1e-3), df[x].max() * 1.2, 300)
    if y == "oe":
        lim = rates.funnel_limits(1.0, xs, per=1.0)
    else:
        lim = rates.funnel_limits(centre, xs, per=per)
    ax.axhline(centre, color="#3D3D3D", lw=1.2, label="Centre line")
    ax.plot(xs, lim["upper_95"], color="#12436D", ls="--", lw=1.2, label="95% limits")
    ax.plot(xs, lim["lower_95"], color="#12436D", ls="--", lw=1.2)
    ax.plot(xs, lim["upper_99_8"], color="#F46A25", ls=":", lw=1.6, label="99.8% limits")
    ax.plot(xs, lim["lower_99_8"], color="#F46A25", ls=":", lw=1.6)
    ax.set_xscale("log")
    ax.set_xlim(xs[0], xs[-1])
    ax.set_ylim(0, df[y].max() * 1.12)
    _scatter_groups(ax, df, x, y, la_code, neighbours)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    heading = ax.set_title(title, loc="left")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), frameon=False, fontsize=9, ncol=4)
    tight_layout(fig, [(heading, title)])
    return fig


def plot_change(
    change: pd.DataFrame,
    la_code: str,
    neighbours: Sequence[str],
    england_change: float,
    title: str,
    xlabel: str,
    ylabel: str,
) -> Any:
    """Scatter of each LA's rate change against its deprivation (``deprivation`` column)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 5.6))
    ax.axhline(0, color="#3D3D3D", lw=0.8)
    if np.isfinite(england_change):
        ax.axhline(
            england_change,
            color="#12436D",
            ls="--",
            lw=1.2,
            label=f"England ({england_change:+.1f})",
        )
    lo, hi = change["change"].min(), change["change"].max()
    pad = 0.08 * (hi - lo)
    ax.set_ylim(lo - pad, hi + pad)
    ax.set_xlim(change["deprivation"].min() - 2, change["deprivation"].max() + 2)
    _scatter_groups(ax, change, "deprivation", "change", la_code, neighbours)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    heading = ax.set_title(title, loc="left")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), frameon=False, fontsize=9, ncol=4)
    tight_layout(fig, [(heading, title)])
    return fig


def plot_workforce(panel: pd.DataFrame, la_code: str, title: str) -> Any:
    """Four dot plots (agency, turnover, vacancy, caseload): LA, neighbours and England."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 4, figsize=(10, 5.4), sharey=True)
    p = panel.reset_index(drop=True)
    names = [str(n) if n else str(c) for n, c in zip(p["la_name"], p["la_code"], strict=True)]
    ypos = np.arange(len(p))[::-1]
    headings = []
    for ax, (col, label) in zip(axes, WORKFORCE_LABELS.items(), strict=True):
        for i, row in p.iterrows():
            v = row[col]
            if pd.isna(v):
                continue
            if row["la_code"] == la_code:
                kw = {"color": AF_COLOURS[2], "marker": "D", "s": 70}
            elif row["la_code"] == ENGLAND_CODE:
                kw = {"color": AF_COLOURS[0], "marker": "o", "s": 60}
            else:
                kw = {"color": AF_COLOURS[1], "marker": "s", "s": 34}
            ax.scatter([v], [ypos[i]], zorder=3, **kw)
            ax.text(v, ypos[i] + 0.3, f"{v:.1f}", fontsize=7.5, ha="center", va="bottom")
        eng = p.loc[p["la_code"] == ENGLAND_CODE, col]
        if len(eng) and pd.notna(eng.iloc[0]):
            ax.axvline(float(eng.iloc[0]), color=AF_COLOURS[0], ls="--", lw=1)
        headings.append((ax.set_title(label, fontsize=9.5, loc="left"), label))
        ax.set_ylim(-0.8, len(p) - 0.2)
        ax.margins(x=0.2)
    axes[0].set_yticks(ypos)
    axes[0].set_yticklabels(names, fontsize=8.5)
    fig.suptitle(title, x=0.01, ha="left", fontsize=13, fontweight="bold")
    tight_layout(fig, headings)
    return fig


def plot_diagnostics(model: DeprivationModel) -> Any:
    """Four diagnostic panels: residuals against fitted, deprivation and size; normal Q-Q."""
    import matplotlib.pyplot as plt

    d = model.data
    fig, axes = plt.subplots(2, 2, figsize=(9, 7))
    r = d["pearson_resid"]
    panels = [
        (axes[0, 0], np.log10(d["expected"]), "Expected count (log10)"),
        (axes[0, 1], d["deprivation"], "Deprivation measure (%)"),
        (axes[1, 0], np.log10(d["population_0_17"]), "Children aged 0-17 (log10)"),
    ]
    for ax, xv, label in panels:
        ax.scatter(xv, r, s=14, color="#12436D", marker="o", edgecolors="none", label="Authority")
        bins = pd.qcut(pd.Series(np.asarray(xv, dtype=float)), 5, duplicates="drop")
        means = (
            pd.DataFrame({"x": np.asarray(xv, dtype=float), "r": r.to_numpy()})
            .groupby(bins.to_numpy(), observed=True)
            .mean()
        )
        ax.plot(
            means["x"],
            means["r"],
            color="#F46A25",
            marker="D",
            ls="-",
            lw=1.5,
            label="Mean by fifth",
        )
        ax.axhline(0, color="#3D3D3D", lw=0.8)
        for h in (-2, 2):
            ax.axhline(h, color="#3D3D3D", ls=":", lw=0.8)
        ax.set_xlabel(label)
        ax.set_ylabel("Pearson residual")
    axes[0, 0].legend(loc="lower right", frameon=False, fontsize=8)
    ax = axes[1, 1]
    dev = np.sort(d["deviance_resid"].to_numpy())
    q = stats.norm.ppf((np.arange(1, len(dev) + 1) - 0.5) / len(dev))
    ax.scatter(q, dev, s=14, color="#28A197", marker="s", edgecolors="none")
    lim = [min(q.min(), dev.min()), max(q.max(), dev.max())]
    ax.plot(lim, lim, color="#3D3D3D", ls="--", lw=1)
    ax.set_xlabel("Normal quantile")
    ax.set_ylabel("Deviance residual (sorted)")
    dgn = model.diagnostics
    curved = np.isfinite(dgn["curvature_p"]) and dgn["curvature_p"] < 0.01
    size_left = abs(dgn["resid_size_spearman"]) >= 0.2
    if curved:
        title = "Residuals: the rate levels off among the most deprived authorities"
    elif size_left:
        title = "Residuals still vary with authority size"
    else:
        title = "Residuals show no strong pattern left by deprivation or size"
    fig.suptitle(title, x=0.01, ha="left", fontsize=13, fontweight="bold")
    fig.tight_layout()
    return fig
