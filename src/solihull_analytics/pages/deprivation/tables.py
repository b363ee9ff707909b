"""Page 02's display tables: readable headers and cells for what :mod:`.compute` returns."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from solihull_analytics.pages.deprivation.compute import BANDS, NOT_AVAILABLE, ReleaseFacts


def table1(
    counts: pd.DataFrame,
    official_url: Callable[[str], str],
    published: Mapping[str, Mapping[int, int]] | None = None,
    bands: Sequence[int] = BANDS,
) -> pd.DataFrame:
    """Build the report's Table 1 for any LA from ``band_counts``, one row per release.

    Cells that need data not in the data used read ``"not available in the data used"`` and the
    row's last column gives the official file's URL. With ``published`` (the report's Table 1,
    shown for the LA the report is about) each computed count has the report's figure beside it
    in a column headed ``"<p>%: report (published)"``.

    Parameters
    ----------
    counts : pandas.DataFrame
        ``band_counts`` result.
    official_url : callable
        Release label -> the official file holding its IDACI ranks.
    published : mapping, optional
        The report's Table 1 (release -> band -> count).
    bands : sequence of int
        Bands in percent.

    Returns
    -------
    pandas.DataFrame
        Display table (strings and integers), one row per release.
    """
    rows = []
    for r in counts.itertuples(index=False):
        rel = r.release
        row: dict[str, Any] = {
            "Release": rel,
            "LSOA vintage": str(r.lsoa_vintage),
            "LSOAs in England": r.lsoas_in_england if r.in_data else NOT_AVAILABLE,
            "LSOAs in LA": r.lsoas_in_la if r.in_data else NOT_AVAILABLE,
        }
        needs_file = False
        for p in bands:
            n = getattr(r, f"n_{p}pct")
            if pd.isna(n):
                needs_file = True
                row[f"Most deprived {p}%: computed"] = NOT_AVAILABLE
            else:
                method = getattr(r, f"method_{p}pct")
                row[f"Most deprived {p}%: computed"] = (
                    int(n) if method == "ranks" else f"{int(n)} (from deciles)"
                )
            if published is not None:
                pub = published.get(rel, {}).get(p)
                row[f"Most deprived {p}%: report (published)"] = (
                    pub if pub is not None else "not in the report"
                )
        row["Official file for missing cells"] = official_url(rel) if needs_file else ""
        rows.append(row)
    return pd.DataFrame(rows)


def release_status(
    iod: pd.DataFrame | None,
    iod_releases: pd.DataFrame | None,
    facts: ReleaseFacts,
    official_url: Callable[[str], str],
) -> pd.DataFrame:
    """One row per release: what the data used hold, and the official file for what they lack.

    Works from ``iod_releases`` (its ``missing_note``) when present, else from ``iod_lsoa``; a
    release absent from both is listed as not in the data used.
    """
    rows = []
    rel_table = iod_releases.set_index("release") if iod_releases is not None else None
    for rel in facts.labels:
        # (only the columns looked at: selecting whole rows copies every text column)
        part = (iod.loc[iod["release"] == rel, ["idaci_rank", "idaci_decile"]]
                if iod is not None else pd.DataFrame())
        in_data = len(part) > 0
        ranks = in_data and bool(part["idaci_rank"].notna().any())
        deciles = in_data and bool(part["idaci_decile"].notna().any())
        if ranks:
            holds = "IDACI ranks and deciles"
        elif deciles:
            holds = "IDACI deciles only (no ranks)"
        elif in_data:
            holds = "no IDACI (IMD only)"
        else:
            holds = NOT_AVAILABLE
        note = ""
        if rel_table is not None and rel in rel_table.index:
            v = rel_table.loc[rel, "missing_note"]
            note = "" if v is None or pd.isna(v) or str(v) in ("", "None", "nan") else str(v)
        rows.append(
            {
                "Release": rel,
                "LSOA vintage": str(facts.lsoa_vintage.get(rel)),
                "In the data used": holds,
                "Official file for IDACI ranks": "" if ranks else official_url(rel),
                "Note": note,
            }
        )
    return pd.DataFrame(rows)


def children_display(ch: pd.DataFrame) -> pd.DataFrame:
    """Display table of children in the most deprived 20% and 10% per release."""
    out = pd.DataFrame(
        {
            "Release": ch["release"],
            "Children aged 0-15 in the LA": ch["children_la"],
            "In most deprived 20%": ch["children_20pct"],
            "Share in most deprived 20% (%)": (ch["share_20pct"] * 100).round(1),
            "In most deprived 10%": ch["children_10pct"],
            "Share in most deprived 10% (%)": (ch["share_10pct"] * 100).round(1),
            "Denominator used": ch["denominator"],
        }
    )
    return out


def growth_display(result: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Display tables (by national decile; most vs least deprived tenth) for one period."""
    by = result["by_decile"].rename(
        columns={
            "decile": "National IDACI decile",
            "lsoas": "LSOAs",
            "children_start": "Children at start",
            "children_end": "Children at end",
            "growth_pct": "Change (%)",
        }
    )
    tenths = result["tenths"].rename(
        columns={
            "group": "Neighbourhoods",
            "lsoas": "LSOAs",
            "children_start": "Children at start",
            "children_end": "Children at end",
            "growth_pct": "Change (%)",
        }
    )
    for t in (by, tenths):
        t["Children at start"] = t["Children at start"].round().astype("int64")
        t["Children at end"] = t["Children at end"].round().astype("int64")
    by["National IDACI decile"] = by["National IDACI decile"].astype("int64")
    return by, tenths


def like_for_like_display(lfl: pd.DataFrame) -> pd.DataFrame:
    """Display table of :func:`like_for_like_counts` (vintages as text, readable headers)."""
    return lfl.astype({"mapped_from": str, "lsoa_vintage": str}).rename(
        columns={
            "release": "Release",
            "mapped_from": "Published on LSOAs of",
            "lsoa_vintage": "Counted on LSOAs of",
            "lsoas_in_la": "LSOAs in LA",
            "lsoas_changed": "LSOAs with changed boundaries",
            "n_20pct": "Most deprived 20%",
            "n_10pct": "Most deprived 10%",
            "n_5pct": "Most deprived 5%",
            "n_2pct": "Most deprived 2%",
        }
    )



def decile_display(dec: pd.DataFrame) -> pd.DataFrame:
    """Wide display table of :func:`decile_counts`: one row per decile, one column per release."""
    wide = dec.pivot(index="decile", columns="release", values="lsoas").reset_index()
    wide.columns.name = None
    return wide.rename(columns={"decile": "National IDACI decile (1 = most deprived)"})



def map_download(deciles: pd.Series, release: str) -> pd.DataFrame:
    """The data of one decile map: each mapped LSOA's national IDACI decile in ``release``."""
    return pd.DataFrame(
        {
            "release": release,
            "lsoa_code": deciles.index.astype(str),
            "idaci_decile": deciles.to_numpy(),
        }
    )

