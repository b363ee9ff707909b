"""Page 02's words: commentary, chart titles and alt text, written from the numbers.

Every function returns plain text or Markdown; nothing here computes a figure the page shows
that :mod:`.compute` or :mod:`.children` did not.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from solihull_analytics.pages.deprivation.children import GrowthPeriod
from solihull_analytics.pages.deprivation.compute import NOT_AVAILABLE

#: How Table 1's bands are defined (shown under the commentary).
TABLE1_METHOD = (
    "An LSOA is in England's most deprived p% when its published IDACI rank (1 = most "
    "deprived) is at most p% of the number of LSOAs in England in that release, rounded "
    "down; tied LSOAs keep their shared rank. Each release is counted on its own LSOAs "
    '(2001, 2011 or 2021). "(from deciles)" marks counts taken from published deciles '
    "because the ranks are not in the data used."
)

#: The method section's rules.
METHOD = (
    "Cut-off: a release's p% band holds ranks up to floor(p% x N), N being the number of "
    "LSOAs in England in that release; this reproduces MHCLG's published deciles exactly. "
    "Ties: tied LSOAs share the lower rank number in the published files and are used as "
    "published, so a tie across a cut-off would put both LSOAs in the band; the table shows "
    "whether that happens. Like-for-like: a changed LSOA takes the rank of the linked LSOA "
    "with most children (equal weights for 2001 LSOAs)."
)


def releases_intro(n_releases: int, n_ranks: int, n_deciles: int, la_name: str) -> str:
    """Paragraph opening "What each release holds"."""
    return (
        f"{_count_word(n_releases)} releases of the Indices of Deprivation rank England's "
        f"neighbourhoods on IDACI. {n_ranks} of them have IDACI ranks for {la_name} in the data "
        f"used and {n_deciles} has deciles only; the others are listed with the official file "
        "that holds their IDACI ranks."
    )


def _count_word(n: int) -> str:
    words = ("No", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten")
    return words[n] if 0 <= n < len(words) else str(n)


def growth_method(
    la_name: str, vintage: int, release: str, periods: Sequence[GrowthPeriod]
) -> str:
    """Paragraph opening the growth section: how LSOAs are grouped and counts aligned.

    ``periods`` are the comparisons (the census one first, then the small-area estimates).
    """
    census = periods[0]
    text = (
        f"{la_name}'s {vintage} LSOAs are grouped by their {release} national IDACI decile, "
        "and into the most and least deprived tenth of the LA's own neighbourhoods (by IDACI "
        f"rank). {census.end_label} counts are put on {vintage} LSOAs through the ONS lookup. "
        f"{census.end_label} gives ages {census.age_band} only at LSOA level"
    )
    if len(periods) > 1:
        text += f"; the ONS small-area estimates give {periods[1].age_band}"
    return text + "."


def _n(value: Any) -> str:
    return NOT_AVAILABLE if value is None or pd.isna(value) else f"{int(value):,}"


def describe_bands(counts: pd.DataFrame, la_name: str) -> str:
    """One paragraph on how many of the LA's LSOAs were in the most deprived 10% and 20%."""
    ok = counts[counts["n_10pct"].notna() | counts["n_20pct"].notna()]
    if ok.empty:
        return f"No release in the data used has IDACI ranks or deciles for {la_name}."
    parts = []
    for r in ok.itertuples(index=False):
        parts.append(
            f"{r.release} ({r.lsoa_vintage} LSOAs): {_n(r.n_10pct)} of {_n(r.lsoas_in_la)} in "
            f"the most deprived 10% and {_n(r.n_20pct)} in the most deprived 20%"
        )
    first, last = ok.iloc[0], ok.iloc[-1]
    trend = ""
    if len(ok) > 1 and pd.notna(first["n_20pct"]) and pd.notna(last["n_20pct"]):
        diff = int(last["n_20pct"]) - int(first["n_20pct"])
        word = "more" if diff > 0 else "fewer"
        trend = (
            f" Between {first['release']} and {last['release']} the number in England's most "
            f"deprived 20% went from {_n(first['n_20pct'])} to {_n(last['n_20pct'])}"
            + (f" ({abs(diff)} {word})." if diff else " (no change).")
        )
    return f"{la_name}'s neighbourhoods on IDACI: " + "; ".join(parts) + "." + trend


def describe_children(ch: pd.DataFrame, la_name: str) -> str:
    """One paragraph on the share of the LA's children in the most deprived 20% (and 10%)."""
    ok = ch[ch["share_20pct"].notna()]
    if ok.empty:
        return (
            f"The share of {la_name}'s children in England's most deprived areas is "
            f"{NOT_AVAILABLE}."
        )
    parts = [
        f"{r.release}: {r.share_20pct:.0%} ({_n(r.children_20pct)} of {_n(r.children_la)} "
        f"children aged 0-15; denominators: {r.denominator})"
        for r in ok.itertuples(index=False)
    ]
    return (
        f"Share of {la_name}'s children aged 0-15 living in England's most deprived 20% of "
        "neighbourhoods on IDACI — " + "; ".join(parts) + "."
    )


def describe_growth(tenths: pd.DataFrame, label: str) -> str:
    """Compare child population growth in the LA's most and least deprived tenths."""
    t = tenths.set_index("group")
    most = t.iloc[0]
    least = t.iloc[1]
    whole = t.iloc[2]
    if np.isnan(most["growth_pct"]) or np.isnan(least["growth_pct"]):
        return f"Growth by deprivation ({label}) cannot be computed from the data used."
    faster = "faster" if most["growth_pct"] > least["growth_pct"] else "slower"
    return (
        f"{label}: the number of children grew by {most['growth_pct']:+.1f}% in the most "
        f"deprived tenth of the LA's neighbourhoods ({int(most['lsoas'])} LSOAs, "
        f"{int(most['children_start']):,} to {int(round(most['children_end'])):,}) and by "
        f"{least['growth_pct']:+.1f}% in the least deprived tenth ({int(least['lsoas'])} LSOAs) "
        f"— {faster} in the most deprived; {whole['growth_pct']:+.1f}% across the whole LA."
    )


# --------------------------------------------------------------------------------------------


def decile_title(dec: pd.DataFrame, la_name: str) -> str:
    """Chart title stating the latest release's count in England's most deprived 10%."""
    rels = list(dict.fromkeys(dec["release"]))  # in the order of decile_counts
    last = dec[dec["release"] == rels[-1]]
    n1 = int(last.loc[last["decile"] == 1, "lsoas"].sum())
    total = int(last["lsoas"].sum())
    text = f"{rels[-1]}: {n1} of {la_name}'s {total} neighbourhoods in England's most deprived 10%"
    if len(rels) > 1:
        first = dec[dec["release"] == rels[0]]
        text += f" ({int(first.loc[first['decile'] == 1, 'lsoas'].sum())} in {rels[0]})"
    return text


def decile_alt(dec: pd.DataFrame, la_name: str) -> str:
    """Alt text listing, per release, the LSOA count in each national decile."""
    parts = []
    for rel in dict.fromkeys(dec["release"]):
        d = dec[dec["release"] == rel].sort_values("decile")
        vint = int(d["lsoa_vintage"].iloc[0])
        counts = ", ".join(f"decile {r.decile}: {r.lsoas}" for r in d.itertuples())
        parts.append(f"{rel} ({vint} LSOAs) — {counts}")
    return (
        f"Bar charts, one per release, of {la_name}'s LSOAs by national IDACI decile "
        "(1 = England's most deprived 10%). " + "; ".join(parts) + "."
    )


def map_title(deciles: pd.Series, release: str, la_name: str) -> str:
    """Map title: how many mapped LSOAs are in England's most deprived 10% and 20%."""
    d = deciles.dropna().astype(int)
    return (
        f"{release}: {int((d == 1).sum())} of {la_name}'s {len(d)} neighbourhoods in England's "
        f"most deprived 10% and {int((d <= 2).sum())} in the most deprived 20%"
    )


def map_alt(
    deciles: pd.Series, release: str, la_name: str, vintage: int, wards: Any, sub_areas: Any
) -> str:
    """Alt text for a decile map: counts by decile, and where the most deprived LSOAs lie."""
    d = deciles.dropna().astype(int)
    counts = ", ".join(f"decile {k}: {int((d == k).sum())}" for k in range(1, 11))
    text = (
        f"Map of {la_name}'s {len(d)} LSOAs ({vintage} boundaries) shaded by national IDACI "
        f"decile in {release}, darkest and hatched for England's most deprived 10% and 20%. "
        f"Counts: {counts}."
    )
    if wards is not None and len(wards):
        text += f" Outlines of {len(wards)} wards are drawn."
    if sub_areas is not None and len(sub_areas):
        text += " Sub-area boundary drawn: " + ", ".join(map(str, sub_areas["group"])) + "."
    return text



def like_for_like_text(lfl: pd.DataFrame, la_name: str, target: int) -> str:
    """Paragraph introducing the like-for-like view, with each remapped release's counts.

    Parameters
    ----------
    lfl : pandas.DataFrame
        :func:`like_for_like_counts` result.
    la_name : str
        The LA's name.
    target : int
        The LSOA vintage every release is put on.

    Returns
    -------
    str
    """
    moved = lfl[lfl["mapped_from"] != target]
    return (
        f"Here every release with IDACI data is put on {la_name}'s {target} LSOAs through the ONS "
        "lookups, so counts compare the same neighbourhoods. A changed LSOA takes the rank of the "
        "linked LSOA holding most children. "
        + " ".join(
            f"{r.release} (published on {r.mapped_from} LSOAs): {r.lsoas_changed} of "
            f"{r.lsoas_in_la} LSOAs changed boundaries, giving {r.n_20pct} in the most deprived "
            f"20% and {r.n_10pct} in the most deprived 10%."
            for r in moved.itertuples()
        )
    )



def map_note(
    release: str, note: str, ward_note: str, sub_note: str, hot: Sequence[tuple[str, int]]
) -> str:
    """Paragraph above a decile map: boundaries used, outlines, where decile-1 LSOAs are."""
    where = (
        " Most of the LSOAs in England's most deprived 10% are in "
        + ", ".join(f"{name} ({n})" for name, n in hot)
        + "."
        if hot
        else ""
    )
    return f"**{release}** — {note}; {ward_note}; {sub_note}.{where}"



def growth_title(views: dict[str, dict[str, pd.DataFrame]], span: str) -> str:
    """Growth chart title: most vs least deprived tenth, from the first period of ``views``.

    ``span`` names that period in short (e.g. ``Census 2011-2021``).
    """
    first = next(iter(views.values()))["tenths"]
    return (
        f"Children in the most deprived tenth of neighbourhoods grew by "
        f"{first['growth_pct'].iloc[0]:+.1f}% vs {first['growth_pct'].iloc[1]:+.1f}% in the "
        f"least deprived ({span})"
    )


def growth_alt(views: dict[str, dict[str, pd.DataFrame]]) -> str:
    """Alt text for the growth chart: the change of every group, per period."""
    return "Horizontal bar chart of the change in the number of children. " + " ".join(
        f"{label}: "
        + "; ".join(f"{g.group} {g.growth_pct:+.1f}%" for g in r["tenths"].itertuples())
        + "."
        for label, r in views.items()
    )

