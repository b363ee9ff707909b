"""The commissioner's report's Table 1 and its reconciliation with counts from published data.

Table 1 of the report gives, per IoD release, how many of Solihull's LSOAs were in England's
most deprived 20%, 10%, 5% and 2% on IDACI; the report also states the share of Solihull's
children living in the most deprived 20% at one release. Both are recorded in the release
registry (``report_table1`` and ``report_children_share_20pct`` of the IoD releases): they are
facts about the report, compared with what page 02 computes, never used as results.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from solihull_analytics import releases as registry
from solihull_analytics.reference.solihull_report import REPORT_CITATION

#: How page 02 cites the report's Table 1 (the shared citation, narrowed to the table).
TABLE1_CITATION = f"{REPORT_CITATION}, Table 1."


def report_table1() -> dict[str, dict[int, int]]:
    """The report's Table 1 per release (Solihull LSOAs in England's most deprived p%)."""
    return {
        r.label: {int(k): int(v) for k, v in r.fact("report_table1").items()}
        for r in registry.releases("iod")
        if r.fact("report_table1")
    }


def report_children_share() -> tuple[str, float] | None:
    """The release and share of 0-15s in the most deprived 20% the report states, if any."""
    for r in registry.releases("iod"):
        if r.fact("report_children_share_20pct") is not None:
            return r.label, float(r.fact("report_children_share_20pct"))
    return None


def compare_with_report(
    counts: pd.DataFrame, published: Mapping[str, Mapping[int, int]], bands: Sequence[int]
) -> pd.DataFrame:
    """Return computed vs published Table 1 cells, one row per release x band.

    Parameters
    ----------
    counts : pandas.DataFrame
        Page 02's ``band_counts`` (``release`` and ``n_<p>pct`` per band).
    published : mapping
        The report's Table 1 (:func:`report_table1`).
    bands : sequence of int
        Bands in percent.

    Returns
    -------
    pandas.DataFrame
        ``release, band_pct, computed, published, agrees`` (``agrees`` is missing where either
        side is missing).
    """
    rows = []
    for r in counts.itertuples(index=False):
        for p in bands:
            pub = published.get(r.release, {}).get(p)
            comp = getattr(r, f"n_{p}pct")
            comp = None if pd.isna(comp) else int(comp)
            agrees = None if comp is None or pub is None else comp == pub
            rows.append(
                {
                    "release": r.release,
                    "band_pct": p,
                    "computed": comp,
                    "published": pub,
                    "agrees": agrees,
                }
            )
    out = pd.DataFrame(rows)
    out["computed"] = out["computed"].astype("Int64")
    out["published"] = out["published"].astype("Int64")
    out["agrees"] = out["agrees"].astype("boolean")
    return out


def describe_report_comparison(cmp: pd.DataFrame, release_order: Sequence[str]) -> str:
    """Say which of the report's Table 1 cells are reproduced, and which cannot be checked.

    Parameters
    ----------
    cmp : pandas.DataFrame
        :func:`compare_with_report` result.
    release_order : sequence of str
        Release labels in registry order (to list unchecked releases in order).
    """
    checked = cmp[cmp["agrees"].notna()]
    agree = checked[checked["agrees"].astype(bool)]
    differ = checked[~checked["agrees"].astype(bool)]
    unchecked = cmp[cmp["agrees"].isna() & cmp["published"].notna()]
    text = (
        f"Of the report's {int(cmp['published'].notna().sum())} Table 1 figures, "
        f"{len(checked)} can be computed from the data used and {len(agree)} of those agree "
        "exactly"
    )
    if len(differ):
        text += "; differences: " + ", ".join(
            f"{r.release} {r.band_pct}%: computed {r.computed}, report {r.published}"
            for r in differ.itertuples()
        )
    text += "."
    if len(unchecked):
        rels = sorted(set(unchecked["release"]), key=list(release_order).index)
        text += (
            f" {len(unchecked)} cannot be checked here ({', '.join(rels)}) because the IDACI "
            "ranks of those releases are not in the data used; the report's figures are shown "
            "for them."
        )
    return text


def report_children_text(
    children: pd.DataFrame, la_name: str, stated: tuple[str, float] | None
) -> str | None:
    """The report's children share set against the release's own figure (None if unknown).

    Parameters
    ----------
    children : pandas.DataFrame
        Page 02's ``children_in_bands`` (``release, share_20pct, children_20pct, children_la,
        denominator_year``).
    la_name : str
        The LA's name.
    stated : tuple of (str, float) or None
        The release and share the report states (:func:`report_children_share`).
    """
    if stated is None or stated[0] not in set(children["release"]):
        return None
    rel, share = stated
    row = children.set_index("release").loc[rel]
    if pd.isna(row["share_20pct"]):
        return None
    year = row.get("denominator_year")
    when = f"mid-{int(year)} " if year is not None and not pd.isna(year) else ""
    return (
        f"The report says {share:.0%} of {la_name}'s children "
        f"lived in England's 20% most income-deprived LSOAs at {rel}; with {rel}'s own "
        f"{when}denominators the share is {float(row['share_20pct']):.1%} "
        f"({int(row['children_20pct']):,} of {int(row['children_la']):,}), which the report "
        "appears to have truncated rather than rounded."
    )
