"""Page 02's child counts: children in the most deprived areas, and child population change.

Pure functions like :mod:`.compute` (DataFrames and plain values in, DataFrames out; nothing
read): the 0-15 denominators of a release, the children living in England's most deprived
bands, and the growth of the child population by deprivation between two dates.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from solihull_analytics.pages.deprivation.compute import (
    NOT_AVAILABLE,
    ReleaseChildDenominators,
    ReleaseFacts,
    _band_flags,
    la_release,
    lookup_pairs,
)


@dataclass(frozen=True)
class GrowthPeriod:
    """A child population comparison between two ``population_lsoa`` sources.

    Attributes
    ----------
    label : str
        How the page names the comparison.
    key : str
        The comparison's part of its headline name (e.g. ``census_2011_2021_0_15``).
    start, end : str
        ``population_lsoa`` sources at the two dates.
    age_band : str
        The ages compared (``0-15`` or ``0-17``).
    span : str
        The dates in short, for a chart title (e.g. ``Census 2011-2021``).
    source_ids : tuple of str
        Catalogue ids of the files at the two dates.
    citation : str
        How a source line names the two sources.
    end_label : str
        How the page names the source at the end date (e.g. ``Census 2021``).
    """

    label: str
    key: str
    start: str
    end: str
    age_band: str
    span: str = ""
    source_ids: tuple[str, ...] = ()
    citation: str = ""
    end_label: str = ""


def small_area_children(population: pd.DataFrame, source: str, age_band: str) -> pd.Series:
    """Return children per LSOA from ``population_lsoa`` for one source (e.g. a census)."""
    sel = population[(population["source"] == source) & (population["age_band"] == age_band)]
    return sel.set_index("lsoa_code")["population"].astype("float64")


def _from_release(part: pd.DataFrame, release: str, facts: ReleaseFacts
                  ) -> ReleaseChildDenominators:
    year = part["denominator_year"].dropna()
    y = int(year.iloc[0]) if len(year) else None
    ids = sorted({s for joined in part["source_id"] for s in joined.split(",")})
    return ReleaseChildDenominators(
        part.set_index("lsoa_code")["children_0_15"].astype("int64"),
        f"{release} population denominators (aged 0-15, mid-{y})" if y else release,
        y,
        tuple(i for i in ids if i in facts.children_file_ids) or tuple(ids),
        True,
    )


def child_denominators(
    iod: pd.DataFrame,
    population: pd.DataFrame,
    la_code: str,
    release: str,
    facts: ReleaseFacts,
    age_band: str = "0-15",
) -> ReleaseChildDenominators | None:
    """Return the 0-15 denominators for an LA's LSOAs in one release.

    The release's own population file (``children_0_15`` in ``iod_lsoa``) is used when it
    covers every LSOA of the LA; otherwise the small-area count on the same LSOA vintage whose
    year is nearest the release's data year (``facts.data_year``; the later year on a tie).
    ``None`` when neither exists (e.g. no population on the release's LSOAs).

    Raises
    ------
    ValueError
        If a small-area count is needed and ``facts`` has no data year for ``release``.
    """
    part = la_release(iod, la_code, release)
    if part.empty:
        return None
    if part["children_0_15"].notna().all():
        return _from_release(part, release, facts)
    vintage = int(part["lsoa_vintage"].iloc[0])
    pop = population[(population["lsoa_vintage"] == vintage) & (population["age_band"] == age_band)]
    if pop.empty:
        return None
    target = facts.data_year.get(release)
    if target is None:
        raise ValueError(f"IoD release {release!r} is not in the release registry.")
    years = sorted(pop["year"].unique(), key=lambda y: (abs(int(y) - target), -int(y)))
    year = int(years[0])
    chosen = pop[pop["year"] == year]
    series = chosen.set_index("lsoa_code")["population"].reindex(part["lsoa_code"])
    if series.isna().any():
        return None
    source = str(chosen["source"].iloc[0])
    nice = facts.source_names.get(source, source)
    return ReleaseChildDenominators(
        series.astype("int64"),
        f"{nice} (aged {age_band}; nearest available to the release's mid-{target})",
        year,
        tuple(sorted(chosen["source_id"].unique())),
        False,
    )


def children_in_bands(
    iod: pd.DataFrame,
    population: pd.DataFrame,
    la_code: str,
    facts: ReleaseFacts,
    bands: Sequence[int] = (20, 10),
) -> pd.DataFrame:
    """Children aged 0-15 living in England's most deprived ``p``% of LSOAs, per release.

    Returns
    -------
    pandas.DataFrame
        One row per release of ``facts``: ``release, children_la, denominator,
        denominator_year, denominator_from_release, source_ids`` and per band
        ``children_<p>pct`` and ``share_<p>pct`` (missing where ranks/deciles or denominators
        are not available).
    """
    rows = []
    for rel in facts.labels:
        part = la_release(iod, la_code, rel)
        den = child_denominators(iod, population, la_code, rel, facts) if len(part) else None
        row: dict[str, Any] = {
            "release": rel,
            "children_la": int(den.children.sum()) if den else None,
            "denominator": den.label if den else NOT_AVAILABLE,
            "denominator_year": den.year if den else None,
            "denominator_from_release": den.from_release if den else None,
            "source_ids": ",".join(den.source_ids) if den else "",
        }
        n_eng = int(part["lsoas_in_england"].iloc[0]) if len(part) else 0
        for p in bands:
            flag, _ = _band_flags(part, n_eng, p) if len(part) else (None, None)
            if flag is None or den is None:
                row[f"children_{p}pct"] = None
                row[f"share_{p}pct"] = None
                continue
            kids = den.children.reindex(part["lsoa_code"]).to_numpy()
            inside = int(kids[flag].sum())
            row[f"children_{p}pct"] = inside
            row[f"share_{p}pct"] = inside / int(kids.sum()) if kids.sum() else None
        rows.append(row)
    out = pd.DataFrame(rows)
    for col in ["children_la", "denominator_year"] + [f"children_{p}pct" for p in bands]:
        out[col] = out[col].astype("Int64")
    for p in bands:
        out[f"share_{p}pct"] = out[f"share_{p}pct"].astype("Float64")
    return out


def apportion(
    values: pd.Series,
    lookup: pd.DataFrame,
    source_vintage: int,
    target_vintage: int,
    target_weights: pd.Series | None = None,
    targets: Iterable[str] | None = None,
) -> pd.Series:
    """Put counts on one LSOA vintage onto another through the ONS lookup.

    A target LSOA split into several source LSOAs gets their sum; a source LSOA linked to
    several target LSOAs (merges and complex changes) is shared among them in proportion to
    ``target_weights`` (e.g. census children on the target LSOAs; equal shares when missing or
    zero). Unchanged LSOAs keep their count, and the total is preserved for every source LSOA
    in the lookup.

    ``targets`` (e.g. one LA's LSOAs): only the counts of these target LSOAs are needed, so
    only the source LSOAs linked to them are shared out (with all their links, so the shares
    and the counts of ``targets`` are the same as without it); other targets in the result
    may be partial.
    """
    pairs = lookup_pairs(lookup, source_vintage, target_vintage)
    if targets is not None:
        linked = pairs.loc[_isin(pairs["target"], targets), "source"]
        pairs = pairs[_isin(pairs["source"], linked)]
    pairs = pairs[_isin(pairs["source"], values.index)].copy()
    w = target_weights if target_weights is not None else pd.Series(dtype="float64")
    pairs["w"] = pairs["target"].map(w).astype("float64").fillna(0.0)
    tot = pairs.groupby("source")["w"].transform("sum")
    n = pairs.groupby("source")["target"].transform("count")
    pairs["share"] = np.where(tot > 0, pairs["w"] / tot.where(tot > 0, 1), 1.0 / n)
    pairs["value"] = pairs["source"].map(values).astype("float64") * pairs["share"]
    return pairs.groupby("target")["value"].sum()


def _isin(codes: pd.Series, values: Iterable[str]) -> pd.Series:
    """``codes.isin(values)`` through object arrays: for tens of thousands of values, pandas'
    Arrow-string ``isin`` builds one Arrow scalar per value (seconds rather than milliseconds)."""
    return codes.astype(object).isin(pd.Index(list(values), dtype=object))


def _summarise(g: pd.DataFrame) -> pd.Series:
    s, e = g["start"].sum(), g["end"].sum()
    return pd.Series(
        {
            "lsoas": len(g),
            "children_start": s,
            "children_end": e,
            "growth_pct": 100 * (e - s) / s if s else np.nan,
        }
    )


def population_change(
    classify: pd.DataFrame,
    start: pd.Series,
    end: pd.Series,
    tenth: int | None = None,
) -> dict[str, pd.DataFrame]:
    """Growth of a child population between two years, by IDACI decile and LA-relative tenth.

    Parameters
    ----------
    classify : pandas.DataFrame
        The LA's LSOAs on one vintage with ``lsoa_code, idaci_rank, idaci_decile`` (national).
    start, end : pandas.Series
        Children per LSOA (indexed by ``lsoa_code``, same vintage) at the two dates.
    tenth : int, optional
        LSOAs in each LA-relative tenth (default ``max(1, round(n / 10))``).

    Returns
    -------
    dict
        ``"by_decile"``: national decile, LSOAs, children at start and end, growth (%);
        ``"tenths"``: the LA's most and least deprived tenth of LSOAs (ordered by IDACI rank,
        ties by code) and the whole LA, same columns; ``"lsoa"``: the per-LSOA table.
    """
    df = classify[["lsoa_code", "idaci_rank", "idaci_decile"]].copy()
    df["start"] = df["lsoa_code"].map(start).astype("float64")
    df["end"] = df["lsoa_code"].map(end).astype("float64")
    df = df.dropna(subset=["start", "end"])
    by_dec = (
        df.groupby("idaci_decile")[["start", "end"]]
        .apply(_summarise)
        .reset_index()
        .rename(columns={"idaci_decile": "decile"})
    )
    by_dec["lsoas"] = by_dec["lsoas"].astype("int64")
    ordered = df.assign(_r=df["idaci_rank"].astype("float64")).sort_values(["_r", "lsoa_code"])
    k = tenth or max(1, round(len(ordered) / 10))
    parts = {
        "Most deprived tenth of the LA's neighbourhoods": ordered.head(k),
        "Least deprived tenth of the LA's neighbourhoods": ordered.tail(k),
        "Whole LA": ordered,
    }
    tenths = pd.DataFrame([{"group": name, **_summarise(g).to_dict()} for name, g in parts.items()])
    tenths["lsoas"] = tenths["lsoas"].astype("int64")
    return {"by_decile": by_dec, "tenths": tenths, "lsoa": df.reset_index(drop=True)}


def growth_age_band(population: pd.DataFrame, start: str, end: str) -> str:
    """The widest child age band both sources give per LSOA: ``0-17``, else ``0-15``."""
    # unique() before set(): iterating every row of an Arrow string column is slow.
    bands = [
        set(population.loc[population["source"] == s, "age_band"].unique()) for s in (start, end)
    ]
    return "0-17" if all("0-17" in b for b in bands) else "0-15"


def growth_by_period(
    classify: pd.DataFrame,
    population: pd.DataFrame,
    periods: Sequence[GrowthPeriod],
    classify_vintage: int,
    lookups: Mapping[tuple[int, int], pd.DataFrame],
    weight_source: str | None,
) -> dict[str, dict[str, pd.DataFrame]]:
    """:func:`population_change` for each period, counts put on ``classify_vintage`` LSOAs.

    An end count on another LSOA vintage is apportioned onto ``classify_vintage`` through
    the ONS lookup between the two (``lookups``, keyed by vintage pairs; weights:
    ``weight_source``'s 0-15 on ``classify_vintage`` LSOAs); a period whose data or lookup
    are missing is left out.

    Returns
    -------
    dict
        Period label -> :func:`population_change` result.
    """
    out: dict[str, dict[str, pd.DataFrame]] = {}
    for period in periods:
        start = small_area_children(population, period.start, period.age_band)
        end = small_area_children(population, period.end, period.age_band)
        if start.empty or end.empty:
            continue
        end_vintage = int(
            population.loc[population["source"] == period.end, "lsoa_vintage"].iloc[0]
        )
        if end_vintage != classify_vintage:
            pair = (classify_vintage, end_vintage)
            lookup = lookups.get(pair, lookups.get(pair[::-1]))
            if lookup is None:
                continue
            weights = (
                small_area_children(population, weight_source, "0-15") if weight_source else None
            )
            end = apportion(end, lookup, end_vintage, classify_vintage, weights,
                            targets=classify["lsoa_code"])
        out[period.label] = population_change(classify, start, end)
    return out
