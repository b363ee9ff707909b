"""Page 02's charts: decile maps, decile bar charts by release, child population growth.

Each function draws one matplotlib figure in the Analysis Function style that
:class:`solihull_analytics.report.page.Page` sets; titles and alt text come from :mod:`.text`.
"""

from __future__ import annotations

import textwrap
from typing import Any

import pandas as pd

from solihull_analytics.report.charts import deferred_drawing

_DECILE_NOTE = {1: " (most deprived 10%)", 10: " (least deprived 10%)"}
#: Hatching per decile (1 and 2 hatched so the most deprived 20% is visible without colour).
DECILE_HATCH = {1: "////", 2: "..."}


def _draw_deciles(ax: Any, gdf: Any, cmap: Any) -> None:
    """LSOAs shaded (and deciles 1-2 hatched) by national decile; grey where none.

    One collection per hatch (deciles 1 and 2 each, then deciles 3-10 and the ungraded LSOAs
    together), drawn in decile order, rather than one per decile (issue 16: fewer collections
    to build and draw; the polygons are painted in the same order).
    """
    decile = gdf["decile"]
    for d in DECILE_HATCH:
        part = gdf[decile == d]
        if len(part):
            part.plot(
                ax=ax,
                color=cmap(d - 1),
                edgecolor="white",
                linewidth=0.2,
                hatch=DECILE_HATCH[d],
            )
    rest = gdf[~decile.isin(list(DECILE_HATCH)).fillna(False)]
    rest = rest.assign(_order=rest["decile"].astype("Float64").fillna(11)).sort_values(
        "_order", kind="stable"
    )
    if len(rest):
        colours = [
            "#DDDDDD" if pd.isna(d) else cmap(int(d) - 1) for d in rest["decile"].to_numpy()
        ]
        rest.plot(ax=ax, color=colours, edgecolor="white", linewidth=0.2)


def _draw_wards(ax: Any, wards: Any, label: bool) -> None:
    """Ward outlines, named when there are at most 30 wards."""
    wards.boundary.plot(ax=ax, color="#3D3D3D", linewidth=0.7)
    if label and len(wards) <= 30:
        for _, w in wards.iterrows():
            pt = w.geometry.representative_point()
            ax.annotate(
                str(w["group"]),
                (pt.x, pt.y),
                ha="center",
                fontsize=6.5,
                color="black",
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.7},
            )


def _draw_sub_areas(ax: Any, sub_areas: Any) -> None:
    """Named sub-areas: a thick dashed outline and a label at the top right."""
    sub_areas.boundary.plot(ax=ax, color="#F46A25", linewidth=2.6, linestyle="--")
    for _, a in sub_areas.iterrows():
        b = a.geometry.bounds
        ax.annotate(
            str(a["group"]),
            (b[2], b[3]),
            ha="left",
            va="bottom",
            fontsize=9,
            fontweight="bold",
            color="#801650",
        )


def _legend_handles(cmap: Any, wards: Any | None, sub_areas: Any | None) -> list[Any]:
    """Legend entries: the ten deciles, then the sub-area and ward outlines drawn."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[Any] = [
        Patch(
            facecolor=cmap(d - 1),
            hatch=DECILE_HATCH.get(d),
            edgecolor="white",
            label=f"{d}{_DECILE_NOTE.get(d, '')}",
        )
        for d in range(1, 11)
    ]
    if sub_areas is not None and len(sub_areas):
        handles.append(Line2D([0], [0], color="#F46A25", lw=2.6, ls="--", label="Sub-area"))
    if wards is not None and len(wards):
        handles.append(Line2D([0], [0], color="#3D3D3D", lw=0.7, label="Ward boundary"))
    return handles


def plot_decile_map(
    polygons: Any,
    deciles: pd.Series,
    title: str,
    wards: Any | None = None,
    sub_areas: Any | None = None,
    label_wards: bool = True,
) -> Any:
    """Choropleth of national IDACI decile by LSOA with ward outlines and sub-area boundaries.

    Decile 1 (most deprived 10% in England) is darkest; deciles 1 and 2 are also hatched so
    that the most deprived 20% reads without colour. Ward names are written on the map when
    there are at most 30 wards; named sub-areas get a thick dashed outline and a label.

    Parameters
    ----------
    polygons : geopandas.GeoDataFrame
        ``lsoa_code, geometry`` in EPSG:27700.
    deciles : pandas.Series
        National IDACI decile per ``lsoa_code``.
    title : str
        Chart title (say the finding).
    wards, sub_areas : geopandas.GeoDataFrame, optional
        Outlines with a name column (``group``).
    """
    import matplotlib.pyplot as plt

    cmap = plt.get_cmap("cividis", 10)
    gdf = polygons.assign(decile=polygons["lsoa_code"].map(deciles).astype("Int64"))
    fig, ax = plt.subplots(figsize=(9, 8))
    with deferred_drawing(fig):
        _draw_deciles(ax, gdf, cmap)
        if wards is not None and len(wards):
            _draw_wards(ax, wards, label_wards)
        if sub_areas is not None and len(sub_areas):
            _draw_sub_areas(ax, sub_areas)
        handles = _legend_handles(cmap, wards, sub_areas)
    ax.legend(
        handles=handles,
        title="National IDACI decile",
        loc="upper left",
        bbox_to_anchor=(1.01, 1),
        fontsize=8,
        title_fontsize=9,
        frameon=False,
    )
    ax.set_axis_off()
    ax.set_aspect("equal")
    ax.set_title(textwrap.fill(title, 70), loc="left", fontsize=12)
    fig.tight_layout()
    return fig


def plot_decile_bars(deciles: pd.DataFrame, title: str) -> Any:
    """Small multiples: the LA's LSOAs by national IDACI decile, one panel per release.

    Plain matplotlib bars, one panel per release (it was seaborn's :func:`seaborn.catplot`,
    which cost about a second per LA in its own layout passes, issue 16), in the Analysis
    Function style that :class:`page.Page` sets with :func:`charts.use_af_style`, in the first
    afcharts colour. Bars carry their counts; panels share the y axis so releases compare
    directly.
    """
    import matplotlib.pyplot as plt

    from solihull_analytics.report.charts import af_colours

    releases = list(dict.fromkeys(deciles["release"]))  # in the order of decile_counts
    fig, axes = plt.subplots(
        1, max(1, len(releases)), figsize=(9, 4.2), sharey=True, squeeze=False
    )
    top = max(1, int(deciles["lsoas"].max()))
    vintages = deciles.groupby("release")["lsoa_vintage"].first()
    for rel, ax in zip(releases, axes[0], strict=False):
        part = deciles[(deciles["release"] == rel) & deciles["decile"].between(1, 10)]
        part = part.sort_values("decile")
        bars = ax.bar(
            part["decile"].astype(int) - 1, part["lsoas"], width=0.8, color=af_colours(1)[0]
        )
        ax.bar_label(bars, fmt="%d", fontsize=7)
        ax.set_title(f"{rel}\n({int(vintages[rel])} LSOAs)", fontsize=10, loc="center")
        ax.set_xticks(range(10), [str(d) for d in range(1, 11)])
        ax.set_xlim(-0.5, 9.5)
        ax.xaxis.grid(False)  # categories: no vertical grid lines
        ax.tick_params(axis="x", labelsize=7)
        ax.set_ylim(0, top * 1.18)
    axes[0][0].set_ylabel("LSOAs in the LA (number)")
    fig.supxlabel("National IDACI decile (1 = England's most deprived 10%)", fontsize=9)
    fig.suptitle(textwrap.fill(title, 80), x=0.01, ha="left", fontsize=12, fontweight="bold")
    fig.tight_layout()
    return fig


def plot_growth(tenths: dict[str, pd.DataFrame], title: str) -> Any:
    """Horizontal bars: child population growth in the LA's most and least deprived tenths.

    Parameters
    ----------
    tenths : dict of str to pandas.DataFrame
        Period label -> :func:`population_change` ``"tenths"`` table.
    """
    import matplotlib.pyplot as plt

    from solihull_analytics.report.charts import af_colours

    fig, ax = plt.subplots(figsize=(9, 4.5))
    colours = af_colours(3)
    hatches = ("////", "", "..")
    periods = list(tenths)
    groups = list(next(iter(tenths.values()))["group"]) if tenths else []
    height = 0.8 / max(1, len(groups))
    for j, g in enumerate(groups):
        ys = [i + (j - (len(groups) - 1) / 2) * height for i in range(len(periods))]
        vals = [float(tenths[p].set_index("group").loc[g, "growth_pct"]) for p in periods]
        ax.barh(
            ys,
            vals,
            height=height * 0.95,
            color=colours[j],
            hatch=hatches[j % 3],
            edgecolor="white",
            label=g,
        )
        for y, v in zip(ys, vals, strict=True):
            ax.annotate(
                f"{v:+.1f}%",
                (v, y),
                xytext=(3 if v >= 0 else -3, 0),
                textcoords="offset points",
                va="center",
                ha="left" if v >= 0 else "right",
                fontsize=8,
            )
    ax.set_yticks(range(len(periods)))
    ax.set_yticklabels([textwrap.fill(p, 24) for p in periods], fontsize=9)
    lo, hi = ax.get_xlim()
    span = hi - lo
    ax.set_xlim(min(lo, 0) - 0.12 * span, hi + 0.1 * span)
    ax.axvline(0, color="#3D3D3D", lw=0.8)
    ax.set_xlabel("Change in the number of children (%)")
    ax.invert_yaxis()
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, -0.42), ncol=3, fontsize=8, frameon=False)
    ax.set_title(textwrap.fill(title, 70), loc="left", fontsize=12)
    fig.tight_layout()
    return fig
