"""Notebook 01's charts: the rate trend and the comparison with neighbours (Analysis Function
style, from :mod:`solihull_analytics.report.page`)."""

from __future__ import annotations

import pandas as pd


def plot_trend(
    la: pd.DataFrame,
    england: pd.DataFrame,
    la_name: str,
    break_year: int | None,
    title: str,
    before_label: str | None = None,
    census_label: str = "the latest census",
) -> object:
    """Chart: LA and England rates (all CLA and non-UASC) with CI bands and DfE's rate.

    Parameters
    ----------
    la, england : pandas.DataFrame
        Rows of :func:`cla_rates` for the LA and for England.
    la_name : str
        Name for the legend.
    break_year : int, optional
        First year on estimates based on the latest census; a dotted vertical line is drawn
        before it.
    title : str
        Chart title (say the finding).
    before_label : str, optional
        What the years before ``break_year`` use (annotated left of the line).
    census_label : str
        The census the estimates from ``break_year`` on are based on (the registry's label,
        e.g. of the latest census release), annotated right of the line.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    from solihull_analytics.report.charts import LINE_STYLES, MARKERS, af_colours, tight_layout

    colours = af_colours(2)
    fig, ax = plt.subplots(figsize=(9, 5.5))
    series = [
        (la, "all", colours[0], LINE_STYLES[0], MARKERS[0], f"{la_name}, all CLA"),
        (la, "non_uasc", colours[0], LINE_STYLES[1], MARKERS[1], f"{la_name}, excluding UASC"),
        (england, "all", colours[1], LINE_STYLES[2], MARKERS[2], "England, all CLA"),
        (england, "non_uasc", colours[1], LINE_STYLES[3], MARKERS[3], "England, excluding UASC"),
    ]
    for df, s, colour, style, marker, label in series:
        d = df.sort_values("year")
        ax.plot(
            d["year"],
            d[f"rate_{s}"],
            color=colour,
            linestyle=style,
            marker=marker,
            markersize=4,
            label=label,
        )
        ax.fill_between(
            d["year"],
            d[f"rate_{s}_lower"].astype(float),
            d[f"rate_{s}_upper"].astype(float),
            color=colour,
            alpha=0.12,
            linewidth=0,
        )
    d = la.sort_values("year")
    ax.plot(
        d["year"],
        d["dfe_rate_per_10k"].astype(float),
        linestyle="none",
        marker="x",
        color=af_colours(3)[2],
        label=f"{la_name}, DfE published rate (all CLA)",
    )
    if break_year is not None:
        _mark_break(ax, break_year, before_label, census_label)
    heading = ax.set_title(title, loc="left")
    ax.set_xlabel("Year (position at 31 March)")
    ax.set_ylabel("Children looked after per 10,000 aged 0-17")
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left", bbox_to_anchor=(0, -0.14), ncol=2, frameon=False, fontsize=9)
    years = sorted(set(la["year"]))
    ax.set_xticks([y for y in years if y % 2 == 0])
    tight_layout(fig, [(heading, title)])
    return fig


def _mark_break(ax: object, break_year: int, before_label: str | None, census_label: str
                ) -> None:
    """A dotted line before ``break_year`` (the rebasing on ``census_label``), labelled both
    sides."""
    import textwrap

    ax.axvline(break_year - 0.5, color="#3D3D3D", linestyle=":", linewidth=1.2)
    ax.annotate(
        f"ONS estimates rebased\non {census_label} from here",
        (break_year - 0.4, 0.97),
        xycoords=("data", "axes fraction"),
        va="top",
        fontsize=9,
    )
    if before_label:
        ax.annotate(
            textwrap.fill(f"Before here: {before_label}", 26),
            (break_year - 0.6, 0.97),
            xycoords=("data", "axes fraction"),
            va="top",
            ha="right",
            fontsize=9,
        )


def plot_comparison(comparison: pd.DataFrame, year: int, title: str) -> object:
    """Horizontal dot chart of non-UASC rates with 95% CIs for the LA and its comparators."""
    import matplotlib.pyplot as plt

    from solihull_analytics.report.charts import MARKERS, af_colours, tight_layout

    d = comparison.dropna(subset=["rate_non_uasc"]).sort_values("rate_non_uasc")
    colours = af_colours(3)
    style = {
        "this LA": (colours[0], MARKERS[0]),
        "England": (colours[1], MARKERS[1]),
        "region": (colours[1], MARKERS[2]),
        "neighbour": ("#3D3D3D", MARKERS[3]),
    }
    fig, ax = plt.subplots(figsize=(9, 0.4 * len(d) + 1.8))
    for i, (_, r) in enumerate(d.iterrows()):
        colour, marker = style[r["role"]]
        ax.errorbar(
            r["rate_non_uasc"],
            i,
            xerr=[
                [r["rate_non_uasc"] - r["rate_non_uasc_lower"]],
                [r["rate_non_uasc_upper"] - r["rate_non_uasc"]],
            ],
            fmt=marker,
            color=colour,
            capsize=3,
            markersize=8 if r["role"] == "this LA" else 6,
        )
    labels = [
        f"{r['la_name']} ({r['role']})" if r["role"] in ("this LA", "region") else r["la_name"]
        for _, r in d.iterrows()
    ]
    ax.set_yticks(range(len(d)), labels)
    for tick, (_, r) in zip(ax.get_yticklabels(), d.iterrows(), strict=True):
        if r["role"] == "this LA":
            tick.set_fontweight("bold")
    ax.set_xlabel(f"Children looked after excluding UASC per 10,000 aged 0-17, 31 March {year}")
    heading = ax.set_title(title, loc="left")
    ax.set_xlim(left=0)
    tight_layout(fig, [(heading, title)])
    return fig
