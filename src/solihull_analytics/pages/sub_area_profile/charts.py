"""Charts of page 03 (sub-area profile): bars by area, IDACI decile lines, LSOA maps."""

from __future__ import annotations

from typing import Any

import pandas as pd

from solihull_analytics.pages.sub_area_profile.maps import MapLayers
from solihull_analytics.report.charts import deferred_drawing


def bar_chart(df: pd.DataFrame, value: str, title: str, xlabel: str, fmt: str = "{:.1f}%") -> Any:
    """Horizontal bars, one per area, labelled with their values (hatching marks LA/England)."""
    import matplotlib.pyplot as plt

    from solihull_analytics.report.charts import af_colours

    d = df.dropna(subset=[value]).iloc[::-1]
    fig, ax = plt.subplots(figsize=(9, 0.6 * len(d) + 1.6))
    colours = {"sub-area": af_colours(1)[0], "LA": af_colours(2)[1], "England": af_colours(5)[4]}
    hatches = {"sub-area": "", "LA": "//", "England": ".."}
    for i, r in enumerate(d.itertuples()):
        v = getattr(r, value)
        ax.barh(i, v, color=colours[r.level], hatch=hatches[r.level], edgecolor="white")
        ax.text(v, i, " " + fmt.format(v), va="center", fontsize=11)
    ax.set_yticks(
        range(len(d)),
        [f"{a} ({lv})" if lv == "LA" else a for a, lv in zip(d["area"], d["level"], strict=True)],
    )
    ax.set_xlabel(xlabel)
    ax.set_title(title, loc="left")
    ax.set_xlim(0, float(d[value].max()) * 1.18 if len(d) else 1)
    fig.tight_layout()
    return fig


def idaci_chart(comp: pd.DataFrame, release: str, title: str) -> Any:
    """Share of children by national IDACI decile, one line (style and marker) per area."""
    import matplotlib.pyplot as plt

    from solihull_analytics.report.charts import LINE_STYLES, MARKERS, af_colours

    d = comp[comp["release"] == release]
    fig, ax = plt.subplots(figsize=(9, 5))
    areas = list(dict.fromkeys(d["area"]))
    for i, (a, col) in enumerate(zip(areas, af_colours(len(areas)), strict=True)):
        g = d[d["area"] == a].sort_values("decile")
        ax.plot(
            g["decile"],
            g["pct_children"],
            color=col,
            linestyle=LINE_STYLES[i],
            marker=MARKERS[i],
            label=a,
            linewidth=2,
        )
    ax.axhline(10, color="#3D3D3D", linestyle=":", linewidth=1)
    ax.text(10.1, 10, "England\n(10% each)", va="center", fontsize=9)
    ax.set_xticks(range(1, 11))
    ax.set_xlabel("National IDACI decile (1 = most deprived 10% of LSOAs in England)")
    ax.set_ylabel("Children aged 0-15 (% of the area's)")
    ax.set_title(title, loc="left")
    ax.legend(frameon=False)
    fig.tight_layout()
    return fig


def maps_figure(layers: MapLayers, column: str, title: str, categorical: bool = False) -> Any:
    """Choropleth of LSOAs with sub-area outlines (thick dark lines) labelled by name."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 8))
    with deferred_drawing(fig):
        g = layers.lsoas
        if categorical:
            g = g.assign(decile=g[column].astype("float"))
            g.plot(
                column="decile",
                cmap=plt.get_cmap("RdYlBu", 10),
                vmin=0.5,
                vmax=10.5,
                ax=ax,
                legend=True,
                edgecolor="white",
                linewidth=0.2,
                legend_kwds={"label": "National IDACI decile (1 = most deprived)", "shrink": 0.6},
                missing_kwds={"color": "lightgrey", "hatch": "///", "label": "no data"},
            )
        else:
            g.plot(
                column=column,
                cmap="viridis_r",
                ax=ax,
                legend=True,
                edgecolor="white",
                linewidth=0.2,
                legend_kwds={"label": "Residents aged 0-15 (%)", "shrink": 0.6},
                missing_kwds={"color": "lightgrey", "hatch": "///", "label": "no data"},
            )
        if len(layers.outlines) > 1:
            layers.outlines.boundary.plot(ax=ax, color="black", linewidth=2.2)
            for r in layers.outlines.itertuples():
                p = r.geometry.representative_point()
                ax.annotate(
                    r.area,
                    (p.x, p.y),
                    ha="center",
                    fontsize=11,
                    fontweight="bold",
                    bbox={"boxstyle": "round", "fc": "white", "alpha": 0.8},
                )
    ax.set_axis_off()
    ax.set_title(title, loc="left")
    fig.tight_layout()
    return fig


