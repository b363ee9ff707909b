"""Where an LA's neighbourhoods sit in England's child income deprivation distribution (IDACI).

Definitions used throughout (and shown on the report page):

**Most deprived p% in England.** An LSOA is in England's most deprived ``p``% on the Income
Deprivation Affecting Children Index (IDACI) of a release when its published IDACI rank
(1 = most deprived) is at most ``floor(p/100 x N)``, where ``N`` is the number of LSOAs in
England in that release (32,482 on 2001 LSOAs, 32,844 on 2011 LSOAs, 33,755 on 2021 LSOAs).
Ranks are whole numbers, so ``rank <= floor(p x N)`` and ``rank <= p x N`` select the same
LSOAs; the floor is the cut-off MHCLG's published deciles use (IoD2019 decile 1 = ranks
1-3,284 of 32,844; IoD2025 decile 1 = ranks 1-3,375 of 33,755), so the 10% and 20% bands agree
with deciles 1 and 1-2 whenever both are published.

**Ties.** The published files give tied LSOAs the same (lower) rank number and skip the next
one. The published ranks are used exactly as they are: tied LSOAs are always on the same side of
a cut-off, so a tie straddling it puts both LSOAs inside (the band can then hold one more LSOA
than ``floor(p x N)``). :func:`ties_at_cutoff` reports whether that happens.

**Deciles.** As published where published. For a release with ranks but no deciles they are
derived from the ranks with the same cut-offs (decile ``d`` = ranks up to ``floor(d x N / 10)``).
For a release with deciles but no ranks (IoD2015 in the mirror) the 10% and 20% bands come from
deciles 1 and 1-2; the 5% and 2% bands cannot be computed and say so.

**LSOA vintages.** Each release is counted on its own LSOAs (2001 for ID2007/ID2010, 2011 for
IoD2015/IoD2019, 2021 for IoD2025). :func:`map_release_to_vintage` gives a like-for-like view
through the ONS lookups: a target LSOA takes the rank of the source LSOA ("piece") linked to it
that holds most children (Census 0-15 of the source vintage; equal weights when no population is
available for that vintage, e.g. 2001 LSOAs), ties going to the more deprived piece. Unchanged
LSOAs simply keep their rank.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from solihull_analytics import releases as registry
from solihull_analytics.constants import SOLIHULL_LA_CODE as REPORT_LA_CODE
from solihull_analytics.geo.las import LocalAuthority, la_info
from solihull_analytics.methods.idaci_bands import (
    band_cutoff,
    decile_from_rank,
    in_band_from_decile,
    in_most_deprived,
    ties_at_cutoff,
)
from solihull_analytics.report import downloads
from solihull_analytics.report.page import (
    Block,
    Chart,
    MissingData,
    TableBlock,
    Uses,
    deferred_drawing,
)

#: Bands of England's most deprived LSOAs shown in Table 1 (percent).
BANDS: tuple[int, ...] = (20, 10, 5, 2)
#: Notebook value meaning "the latest release that qualifies", resolved from the registry.
LATEST = registry.LATEST


def release_names() -> list[str]:
    """IoD release labels in order (release registry)."""
    return registry.labels("iod")


def release_vintage() -> dict[str, int]:
    """Release label -> the LSOA vintage it is published on (release registry)."""
    return {r.label: int(r.lsoa_vintage or 0) for r in registry.releases("iod")}


def release_year() -> dict[str, int]:
    """Release label -> the year its short label refers to (as in the report's Table 1)."""
    return {r.label: r.year for r in registry.releases("iod")}


def release_data_year() -> dict[str, int]:
    """Release label -> reference year of its income data/denominators (nearest population)."""
    return {r.label: int(r.fact("data_year", r.year)) for r in registry.releases("iod")}


def idaci_rank_files() -> dict[str, tuple[str, ...]]:
    """Release label -> catalogue ids of official files holding IDACI ranks (preferred first)."""
    return {r.label: tuple(r.fact("idaci_rank_files") or ()) for r in registry.releases("iod")}


def report_table1() -> dict[str, dict[int, int]]:
    """The report's Table 1 per release (Solihull LSOAs in England's most deprived p%)."""
    return {
        r.label: {int(k): int(v) for k, v in r.fact("report_table1").items()}
        for r in registry.releases("iod")
        if r.fact("report_table1")
    }


def _gives_children(entry_id: str) -> bool:
    """Whether the registry says an IoD file holds 0-15 denominators."""
    found = registry.release_of(entry_id, "iod")
    if found is None:
        return False
    f = found[1]
    return "children_0_15" in (*f.fields, *f.optional_fields) or "children" in f.gives


def report_children_share() -> tuple[str, float] | None:
    """The release and share of 0-15s in the most deprived 20% the report states, if any."""
    for r in registry.releases("iod"):
        if r.fact("report_children_share_20pct") is not None:
            return r.label, float(r.fact("report_children_share_20pct"))
    return None


NOT_AVAILABLE = "not available in the data used"

REPORT_CITATION = (
    "Commissioner's report on children's services in Solihull Metropolitan Borough Council, "
    "report to the Secretary of State for Education by the Children's Services Commissioner, "
    "March 2023 (GOV.UK: 'Solihull children's services: commissioner report'), Table 1; data "
    "section prepared by Solihull Council's Business Intelligence & Improvement Team."
)

# --------------------------------------------------------------------------------------------
# Per-release counts for one LA
# --------------------------------------------------------------------------------------------


def _release_order(releases: Iterable[str]) -> list[str]:
    known = [r for r in release_names() if r in set(releases)]
    return known + sorted(set(releases) - set(known))


def la_release(iod: pd.DataFrame, la_code: str, release: str) -> pd.DataFrame:
    """Return the rows of ``iod_lsoa`` for one LA and release."""
    return iod[(iod["la_code"] == la_code) & (iod["release"] == release)]


def band_counts(
    iod: pd.DataFrame,
    la_code: str,
    bands: Sequence[int] = BANDS,
    releases: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Count an LA's LSOAs in England's most deprived ``p``% per release, on its own vintage.

    Parameters
    ----------
    iod : pandas.DataFrame
        The ``iod_lsoa`` table (columns ``release, lsoa_code, lsoa_vintage, la_code,
        idaci_rank, idaci_decile, lsoas_in_england``).
    la_code : str
        Children's-services LA code.
    bands : sequence of int
        Bands in percent.
    releases : sequence of str, optional
        Releases to report (default: every IoD release in the release registry); a release with
        no rows in ``iod`` still gets a row (all counts missing).

    Returns
    -------
    pandas.DataFrame
        One row per release: ``release, year, lsoa_vintage, lsoas_in_england, lsoas_in_la,
        idaci_ranks, idaci_deciles`` (booleans: present for the LA) and, per band,
        ``n_<p>pct`` (Int64, missing when not computable) and ``method_<p>pct`` (``"ranks"``,
        ``"deciles"`` or ``None``).
    """
    releases = list(releases) if releases is not None else release_names()
    rows = []
    years, vintages = release_year(), release_vintage()
    for rel in releases:
        part = la_release(iod, la_code, rel)
        all_rel = iod[iod["release"] == rel]
        n_eng = int(all_rel["lsoas_in_england"].iloc[0]) if len(all_rel) else None
        has_ranks = bool(len(part)) and bool(part["idaci_rank"].notna().all())
        has_dec = bool(len(part)) and bool(part["idaci_decile"].notna().all())
        row: dict[str, Any] = {
            "release": rel,
            "year": years.get(rel),
            "lsoa_vintage": vintages.get(rel),
            "lsoas_in_england": n_eng,
            "lsoas_in_la": int(part["lsoa_code"].nunique()) if len(part) else None,
            "idaci_ranks": has_ranks,
            "idaci_deciles": has_dec,
            "in_data": bool(len(all_rel)),
        }
        for p in bands:
            n: int | None = None
            method = None
            if has_ranks and n_eng:
                n = int(in_most_deprived(part["idaci_rank"], n_eng, p).sum())
                method = "ranks"
            elif has_dec and p % 10 == 0:
                n = int(in_band_from_decile(part["idaci_decile"], p).sum())
                method = "deciles"
            row[f"n_{p}pct"] = n
            row[f"method_{p}pct"] = method
        rows.append(row)
    out = pd.DataFrame(rows)
    for col in ["year", "lsoa_vintage", "lsoas_in_england", "lsoas_in_la"] + [
        f"n_{p}pct" for p in bands
    ]:
        out[col] = out[col].astype("Int64")
    return out


def decile_counts(
    iod: pd.DataFrame, la_code: str, releases: Sequence[str] | None = None
) -> pd.DataFrame:
    """Count an LA's LSOAs per national IDACI decile, per release (deciles as published).

    Deciles come from the published decile column; where a release has ranks but no deciles
    they are derived with :func:`decile_from_rank`. Releases with neither are left out.

    Returns
    -------
    pandas.DataFrame
        ``release, lsoa_vintage, decile (1-10), lsoas, share`` (share of the LA's LSOAs),
        with every decile present (zeros included), plus ``decile_source``.
    """
    releases = list(releases) if releases is not None else release_names()
    frames = []
    for rel in releases:
        part = la_release(iod, la_code, rel)
        if part.empty:
            continue
        if part["idaci_decile"].notna().all():
            dec, how = part["idaci_decile"].astype("Int64"), "published"
        elif part["idaci_rank"].notna().all():
            dec = decile_from_rank(part["idaci_rank"], int(part["lsoas_in_england"].iloc[0]))
            how = "derived from published ranks"
        else:
            continue
        counts = dec.value_counts().reindex(range(1, 11), fill_value=0)
        frames.append(
            pd.DataFrame(
                {
                    "release": rel,
                    "lsoa_vintage": release_vintage().get(rel),
                    "decile": range(1, 11),
                    "lsoas": counts.to_numpy().astype("int64"),
                    "share": counts.to_numpy() / len(part),
                    "decile_source": how,
                }
            )
        )
    if not frames:
        return pd.DataFrame(
            columns=["release", "lsoa_vintage", "decile", "lsoas", "share", "decile_source"]
        )
    return pd.concat(frames, ignore_index=True)


# --------------------------------------------------------------------------------------------
# Official sources for what is missing
# --------------------------------------------------------------------------------------------


def official_url(entry_ids: Sequence[str], catalogue: dict[str, Any] | None = None) -> str:
    """Return the official download URL (else landing page) of the first known catalogue id."""
    if catalogue is None:
        from solihull_analytics.catalogue import load_catalogue

        catalogue = load_catalogue()
    for eid in entry_ids:
        e = catalogue.get(eid)
        if e is not None:
            return e.download_url or e.landing_page
    return "(no catalogue entry)"


def missing_iod_files(raw_dir: Path | None = None) -> pd.DataFrame:
    """Return the catalogue's IoD files that should be in the raw cache but are not.

    Only files the mirror normally holds (``mirrored: true``) are listed: those are the ones a
    page silently loses when they are removed. Columns ``id, title, release, url``.
    """
    from solihull_analytics.catalogue import load_catalogue

    rows = []
    for e in load_catalogue().values():
        if e.theme == "iod" and e.mirrored and not e.raw_path(raw_dir).exists():
            rows.append(
                {
                    "id": e.id,
                    "title": e.title,
                    "release": e.release,
                    "url": e.download_url or e.landing_page,
                }
            )
    return pd.DataFrame(rows, columns=["id", "title", "release", "url"])


# --------------------------------------------------------------------------------------------
# Table 1
# --------------------------------------------------------------------------------------------


def table1(
    counts: pd.DataFrame,
    la_code: str,
    bands: Sequence[int] = BANDS,
    catalogue: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Build the report's Table 1 for any LA from :func:`band_counts`, one row per release.

    Cells that need data not in the data used read ``"not available in the data used"`` and the
    row's last column gives the official file's URL (from the catalogue). For Solihull the
    report's published figure is shown beside each computed count in a column headed
    ``"<p>%: report (published)"``.

    Returns
    -------
    pandas.DataFrame
        Display table (strings and integers), one row per release.
    """
    show_report = la_code == REPORT_LA_CODE
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
            if show_report:
                pub = report_table1().get(rel, {}).get(p)
                row[f"Most deprived {p}%: report (published)"] = (
                    pub if pub is not None else "not in the report"
                )
        row["Official file for missing cells"] = (
            official_url(idaci_rank_files().get(rel, ()), catalogue) if needs_file else ""
        )
        rows.append(row)
    return pd.DataFrame(rows)


def compare_with_report(counts: pd.DataFrame, bands: Sequence[int] = BANDS) -> pd.DataFrame:
    """Return computed vs published Table 1 cells (Solihull), one row per release x band.

    Columns ``release, band_pct, computed, published, agrees`` (``agrees`` is missing where
    either side is missing).
    """
    rows = []
    table1 = report_table1()
    for r in counts.itertuples(index=False):
        for p in bands:
            pub = table1.get(r.release, {}).get(p)
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


# --------------------------------------------------------------------------------------------
# Like-for-like: a release on another LSOA vintage
# --------------------------------------------------------------------------------------------


def lookup_pairs(lookup: pd.DataFrame, source_vintage: int, target_vintage: int) -> pd.DataFrame:
    """Return ``source, target`` code pairs from an ONS lookup table (either direction).

    ``lookup`` holds two code columns named ``lsoaYY_code`` (e.g. ``lsoa_lookup_11_21`` or
    ``lsoa_lookup_01_11``).
    """
    src = f"lsoa{str(source_vintage)[2:]}_code"
    tgt = f"lsoa{str(target_vintage)[2:]}_code"
    missing = [c for c in (src, tgt) if c not in lookup.columns]
    if missing:
        raise ValueError(f"lookup has no column(s) {missing}; columns: {list(lookup.columns)}")
    return (
        lookup[[src, tgt]].rename(columns={src: "source", tgt: "target"}).dropna().drop_duplicates()
    )


def map_release_to_vintage(
    release_rows: pd.DataFrame,
    lookup: pd.DataFrame,
    target_vintage: int,
    weights: pd.Series | None = None,
) -> pd.DataFrame:
    """Put one release's IDACI ranks and deciles on another LSOA vintage (like-for-like view).

    Each target LSOA takes the rank (and decile) of the linked source LSOA holding most children
    (``weights``, indexed by source LSOA code; equal weights when ``None`` or missing), ties
    going to the more deprived piece. Ranks stay ranks of the release, so the release's own
    ``N`` still applies.

    Parameters
    ----------
    release_rows : pandas.DataFrame
        ``iod_lsoa`` rows of one release (``lsoa_code, lsoa_vintage, idaci_rank,
        idaci_decile, lsoas_in_england``).
    lookup : pandas.DataFrame
        ONS LSOA lookup between the two vintages (see :func:`lookup_pairs`).
    target_vintage : int
        2001, 2011 or 2021.
    weights : pandas.Series, optional
        Children per source LSOA.

    Returns
    -------
    pandas.DataFrame
        ``lsoa_code`` (target), ``idaci_rank, idaci_decile, lsoas_in_england, pieces``
        (number of source LSOAs linked), ``lsoa_vintage`` (= target) and ``mapped_from``.
    """
    source_vintage = int(release_rows["lsoa_vintage"].iloc[0])
    cols = ["lsoa_code", "idaci_rank", "idaci_decile", "lsoas_in_england"]
    if source_vintage == target_vintage:
        out = release_rows[cols].copy()
        out["pieces"] = 1
    else:
        pairs = lookup_pairs(lookup, source_vintage, target_vintage)
        joined = pairs.merge(
            release_rows[cols].rename(columns={"lsoa_code": "source"}), on="source", how="inner"
        )
        w = weights if weights is not None else pd.Series(dtype="float64")
        joined["weight"] = joined["source"].map(w).astype("float64").fillna(1.0)
        joined["_rank"] = joined["idaci_rank"].astype("float64").fillna(np.inf)
        joined["_dec"] = joined["idaci_decile"].astype("float64").fillna(np.inf)
        joined = joined.sort_values(
            ["target", "weight", "_rank", "_dec", "source"],
            ascending=[True, False, True, True, True],
        )
        pieces = joined.groupby("target")["source"].nunique()
        out = joined.drop_duplicates("target")[["target", *cols[1:]]].rename(
            columns={"target": "lsoa_code"}
        )
        out["pieces"] = out["lsoa_code"].map(pieces).astype("int64")
    out["lsoa_vintage"] = target_vintage
    out["mapped_from"] = source_vintage
    return out.reset_index(drop=True)


def like_for_like_counts(
    iod: pd.DataFrame,
    la_lsoas: Sequence[str],
    target_vintage: int,
    lookups: dict[tuple[int, int], pd.DataFrame],
    weights: dict[int, pd.Series] | None = None,
    bands: Sequence[int] = BANDS,
) -> pd.DataFrame:
    """Count the LA's LSOAs of ``target_vintage`` in each band, every release mapped to them.

    Parameters
    ----------
    iod : pandas.DataFrame
        ``iod_lsoa``.
    la_lsoas : sequence of str
        The LA's LSOAs on ``target_vintage``.
    target_vintage : int
        Vintage to count on (2011 or 2021).
    lookups : dict
        ``{(vintage_a, vintage_b): lookup}`` for the pairs needed ((2001, 2011), (2011, 2021)).
        A release two steps away (2001 -> 2021) is chained through 2011.
    weights : dict of int to pandas.Series, optional
        Children per LSOA by vintage (e.g. ``{2011: census 2011 0-15, 2021: census 2021 0-15}``).

    Returns
    -------
    pandas.DataFrame
        One row per release with ranks or deciles: ``release, mapped_from, lsoa_vintage,
        lsoas_in_la, lsoas_changed`` (LA LSOAs whose source was not one unchanged LSOA),
        ``n_<p>pct`` per band.
    """
    weights = weights or {}
    la_set = set(la_lsoas)

    def lookup_for(a: int, b: int) -> pd.DataFrame:
        return lookups.get((a, b), lookups.get((b, a)))

    rows = []
    for rel in _release_order(iod["release"].unique()):
        part = iod[iod["release"] == rel]
        if not (part["idaci_rank"].notna().any() or part["idaci_decile"].notna().any()):
            continue
        src_v = int(part["lsoa_vintage"].iloc[0])
        mapped = part
        steps = []
        if src_v != target_vintage:
            step = 2011 if {src_v, target_vintage} == {2001, 2021} else target_vintage
            chain = [step, target_vintage] if step != target_vintage else [target_vintage]
            for v in chain:
                lk = lookup_for(int(mapped["lsoa_vintage"].iloc[0]), v)
                if lk is None:
                    mapped = None
                    break
                mapped = map_release_to_vintage(
                    mapped, lk, v, weights.get(int(mapped["lsoa_vintage"].iloc[0]))
                )
                steps.append(mapped)
        if mapped is None:
            continue
        mapped = mapped[mapped["lsoa_code"].isin(la_set)]
        n_eng = int(part["lsoas_in_england"].iloc[0])
        changed = 0
        if steps:
            last = steps[-1]
            changed = int(last.loc[last["lsoa_code"].isin(la_set), "pieces"].gt(1).sum())
        row: dict[str, Any] = {
            "release": rel,
            "mapped_from": src_v,
            "lsoa_vintage": target_vintage,
            "lsoas_in_la": len(mapped),
            "lsoas_changed": changed,
        }
        has_ranks = mapped["idaci_rank"].notna().all() and len(mapped)
        for p in bands:
            if has_ranks:
                row[f"n_{p}pct"] = int(in_most_deprived(mapped["idaci_rank"], n_eng, p).sum())
            elif p % 10 == 0 and mapped["idaci_decile"].notna().all() and len(mapped):
                row[f"n_{p}pct"] = int(in_band_from_decile(mapped["idaci_decile"], p).sum())
            else:
                row[f"n_{p}pct"] = None
        rows.append(row)
    out = pd.DataFrame(rows)
    for p in bands:
        if f"n_{p}pct" in out:
            out[f"n_{p}pct"] = out[f"n_{p}pct"].astype("Int64")
    return out


# --------------------------------------------------------------------------------------------
# Children
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Denominators:
    """Children aged 0-15 per LSOA of an LA for one release, and where they come from."""

    children: pd.Series  # indexed by lsoa_code
    label: str
    year: int | None
    source_ids: tuple[str, ...]
    from_release: bool


def child_denominators(
    iod: pd.DataFrame,
    population: pd.DataFrame,
    la_code: str,
    release: str,
    age_band: str = "0-15",
) -> Denominators | None:
    """Return the 0-15 denominators for an LA's LSOAs in one release.

    The release's own population file (``children_0_15`` in ``iod_lsoa``, e.g. IoD2019 File 6,
    mid-2015) is used when it covers every LSOA of the LA; otherwise the small-area estimate on
    the same LSOA vintage whose year is nearest the release's data year (Census 2011, SAPE
    mid-2017/2019/2020 on 2011 LSOAs; Census 2021 on 2021 LSOAs). ``None`` when neither exists
    (e.g. 2001 LSOAs).
    """
    part = la_release(iod, la_code, release)
    if part.empty:
        return None
    if part["children_0_15"].notna().all():
        year = part["denominator_year"].dropna()
        y = int(year.iloc[0]) if len(year) else None
        ids = sorted({s for joined in part["source_id"] for s in joined.split(",")})
        return Denominators(
            part.set_index("lsoa_code")["children_0_15"].astype("int64"),
            f"{release} population denominators (aged 0-15, mid-{y})" if y else release,
            y,
            tuple(i for i in ids if _gives_children(i)) or tuple(ids),
            True,
        )
    vintage = int(part["lsoa_vintage"].iloc[0])
    pop = population[(population["lsoa_vintage"] == vintage) & (population["age_band"] == age_band)]
    if pop.empty:
        return None
    target = release_data_year().get(release)
    if target is None:
        raise ValueError(f"IoD release {release!r} is not in the release registry.")
    years = sorted(pop["year"].unique(), key=lambda y: (abs(int(y) - target), -int(y)))
    year = int(years[0])
    chosen = pop[pop["year"] == year]
    series = chosen.set_index("lsoa_code")["population"].reindex(part["lsoa_code"])
    if series.isna().any():
        return None
    source = str(chosen["source"].iloc[0])
    nice = {
        "census2011": "Census 2011",
        "census2021": "Census 2021",
    }.get(source, source.replace("sape_mid", "ONS small-area estimates, mid-"))
    return Denominators(
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
    bands: Sequence[int] = (20, 10),
    releases: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Children aged 0-15 living in England's most deprived ``p``% of LSOAs, per release.

    Returns
    -------
    pandas.DataFrame
        One row per release: ``release, children_la, denominator, denominator_year,
        denominator_from_release, source_ids`` and per band ``children_<p>pct`` and
        ``share_<p>pct`` (missing where ranks/deciles or denominators are not available).
    """
    releases = list(releases) if releases is not None else release_names()
    rows = []
    for rel in releases:
        part = la_release(iod, la_code, rel)
        den = child_denominators(iod, population, la_code, rel) if len(part) else None
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
            flag = None
            if len(part) and part["idaci_rank"].notna().all():
                flag = in_most_deprived(part["idaci_rank"], n_eng, p).to_numpy(dtype=bool)
            elif len(part) and p % 10 == 0 and part["idaci_decile"].notna().all():
                flag = in_band_from_decile(part["idaci_decile"], p).to_numpy(dtype=bool)
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


# --------------------------------------------------------------------------------------------
# Population change by deprivation
# --------------------------------------------------------------------------------------------


def apportion_to_2011(
    values21: pd.Series, lookup_11_21: pd.DataFrame, weights11: pd.Series | None = None
) -> pd.Series:
    """Put counts on 2021 LSOAs onto 2011 LSOAs through the ONS lookup.

    A 2011 LSOA split into several 2021 LSOAs gets their sum; a 2021 LSOA formed from several
    2011 LSOAs (merges and complex changes) is shared among them in proportion to ``weights11``
    (e.g. Census 2011 children; equal shares when missing or zero). Unchanged LSOAs keep their
    count, and the total is preserved for every 2021 LSOA in the lookup.
    """
    pairs = lookup_pairs(lookup_11_21, 2021, 2011)
    pairs = pairs[pairs["source"].isin(values21.index)].copy()
    w = weights11 if weights11 is not None else pd.Series(dtype="float64")
    pairs["w"] = pairs["target"].map(w).astype("float64").fillna(0.0)
    tot = pairs.groupby("source")["w"].transform("sum")
    n = pairs.groupby("source")["target"].transform("count")
    pairs["share"] = np.where(tot > 0, pairs["w"] / tot.where(tot > 0, 1), 1.0 / n)
    pairs["value"] = pairs["source"].map(values21).astype("float64") * pairs["share"]
    return pairs.groupby("target")["value"].sum()


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

    def summarise(g: pd.DataFrame) -> pd.Series:
        s, e = g["start"].sum(), g["end"].sum()
        return pd.Series(
            {
                "lsoas": len(g),
                "children_start": s,
                "children_end": e,
                "growth_pct": 100 * (e - s) / s if s else np.nan,
            }
        )

    by_dec = (
        df.groupby("idaci_decile")[["start", "end"]]
        .apply(summarise)
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
    tenths = pd.DataFrame([{"group": name, **summarise(g).to_dict()} for name, g in parts.items()])
    tenths["lsoas"] = tenths["lsoas"].astype("int64")
    return {"by_decile": by_dec, "tenths": tenths, "lsoa": df.reset_index(drop=True)}


# --------------------------------------------------------------------------------------------
# Plain-English commentary
# --------------------------------------------------------------------------------------------


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


def describe_report_comparison(cmp: pd.DataFrame) -> str:
    """Say which of the report's Table 1 cells the suite reproduces, and which it cannot check."""
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
        rels = sorted(set(unchecked["release"]), key=release_names().index)
        text += (
            f" {len(unchecked)} cannot be checked here ({', '.join(rels)}) because the IDACI "
            "ranks of those releases are not in the data used; the report's figures are shown "
            "for them."
        )
    return text


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
# Maps
# --------------------------------------------------------------------------------------------


def lsoa_polygons(la_lsoas: Sequence[str], boundaries: Any, code_col: str) -> Any | None:
    """Return the polygons of an LA's LSOAs, or ``None`` when any is missing from ``boundaries``.

    Parameters
    ----------
    la_lsoas : sequence of str
        The LA's LSOA codes on the boundaries' vintage.
    boundaries : geopandas.GeoDataFrame
        ``boundaries_lsoa11`` or ``boundaries_lsoa21_wmca`` (EPSG:27700).
    code_col : str
        Its code column (``lsoa11_code`` / ``lsoa21_code``).
    """
    sel = boundaries[boundaries[code_col].isin(set(la_lsoas))]
    if len(sel) == 0 or sel[code_col].nunique() < len(set(la_lsoas)):
        return None
    out = sel[[code_col, "geometry"]].rename(columns={code_col: "lsoa_code"})
    return out.to_crs(27700) if out.crs is not None and out.crs.to_epsg() != 27700 else out


def dissolve_by(polygons: Any, groups: pd.Series, name: str = "group") -> Any:
    """Dissolve LSOA polygons into larger areas (e.g. wards) given ``lsoa_code -> group``."""
    g = polygons.assign(**{name: polygons["lsoa_code"].map(groups)}).dropna(subset=[name])
    if g.empty:
        return None
    return g[[name, "geometry"]].dissolve(by=name, as_index=False)


def lsoa11_to_lsoa21_first(lookup_11_21: pd.DataFrame) -> pd.Series:
    """Return one 2021 LSOA per 2011 LSOA (the first listed), for placing 2011 LSOAs in wards."""
    pairs = lookup_pairs(lookup_11_21, 2011, 2021).sort_values(["source", "target"])
    return pairs.drop_duplicates("source").set_index("source")["target"]


_DECILE_NOTE = {1: " (most deprived 10%)", 10: " (least deprived 10%)"}
#: Hatching per decile (1 and 2 hatched so the most deprived 20% is visible without colour).
DECILE_HATCH = {1: "////", 2: "..."}


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
    from matplotlib.patches import Patch

    cmap = plt.get_cmap("cividis", 10)
    gdf = polygons.assign(decile=polygons["lsoa_code"].map(deciles).astype("Int64"))
    fig, ax = plt.subplots(figsize=(9, 8))
    with deferred_drawing(fig):
        for d in range(1, 11):
            part = gdf[gdf["decile"] == d]
            if len(part):
                part.plot(
                    ax=ax,
                    color=cmap(d - 1),
                    edgecolor="white",
                    linewidth=0.2,
                    hatch=DECILE_HATCH.get(d),
                )
        if gdf["decile"].isna().any():
            gdf[gdf["decile"].isna()].plot(ax=ax, color="#DDDDDD", edgecolor="white", linewidth=0.2)
        if wards is not None and len(wards):
            wards.boundary.plot(ax=ax, color="#3D3D3D", linewidth=0.7)
            if label_wards and len(wards) <= 30:
                for _, w in wards.iterrows():
                    pt = w.geometry.representative_point()
                    ax.annotate(
                        str(w["group"]),
                        (pt.x, pt.y),
                        ha="center",
                        fontsize=6.5,
                        color="black",
                        bbox={
                            "boxstyle": "round,pad=0.15", "fc": "white", "ec": "none",
                            "alpha": 0.7,
                        },
                    )
        handles = [
            Patch(
                facecolor=cmap(d - 1),
                hatch=DECILE_HATCH.get(d),
                edgecolor="white",
                label=f"{d}{_DECILE_NOTE.get(d, '')}",
            )
            for d in range(1, 11)
        ]
        if sub_areas is not None and len(sub_areas):
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
            from matplotlib.lines import Line2D

            handles.append(Line2D([0], [0], color="#F46A25", lw=2.6, ls="--", label="Sub-area"))
        if wards is not None and len(wards):
            from matplotlib.lines import Line2D

            handles.append(Line2D([0], [0], color="#3D3D3D", lw=0.7, label="Ward boundary"))
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

    Drawn with seaborn (a bar chart faceted by release, :func:`seaborn.catplot`) in the
    Analysis Function style: the afcharts rcParams that :class:`page.Page` sets with
    :func:`page.use_af_style` (seaborn's own themes are not used), the first
    afcharts colour at full saturation. Bars carry their counts; panels share
    the y axis so releases compare directly.
    """
    import seaborn as sns

    from solihull_analytics.report.page import af_colours

    releases = _release_order(deciles["release"].unique())
    grid = sns.catplot(
        data=deciles,
        kind="bar",
        x="decile",
        y="lsoas",
        col="release",
        col_order=releases,
        order=list(range(1, 11)),
        color=af_colours(1)[0],
        saturation=1,  # seaborn desaturates by default; keep the afcharts colour exact
        errorbar=None,  # one count per bar: nothing to estimate
        width=0.8,
        sharey=True,
        facet_kws={"despine": False},  # spines as the afcharts style sets them
        height=4.2,
        aspect=9 / 4.2 / max(1, len(releases)),
    )
    grid.set_titles("")  # seaborn's "release = ..." (placed left by the afcharts style)
    top = max(1, int(deciles["lsoas"].max()))
    vintages = deciles.groupby("release")["lsoa_vintage"].first()
    for rel, ax in grid.axes_dict.items():
        for bars in ax.containers:
            ax.bar_label(bars, fmt="%d", fontsize=7)
        ax.set_title(f"{rel}\n({int(vintages[rel])} LSOAs)", fontsize=10, loc="center")
        ax.set_xlabel("")
        ax.tick_params(axis="x", labelsize=7)
        ax.set_ylim(0, top * 1.18)
    grid.set_ylabels("LSOAs in the LA (number)")
    fig = grid.figure
    fig.set_size_inches(9, 4.2)
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

    from solihull_analytics.report.page import af_colours

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


# --------------------------------------------------------------------------------------------
# Loading and assembling (keeps the notebook thin)
# --------------------------------------------------------------------------------------------


#: Columns of ``iod_lsoa`` this module reads (an empty frame with them stands in when the
#: table could not be built).
IOD_COLUMNS_USED = (
    "release",
    "lsoa_code",
    "lsoa_vintage",
    "la_code",
    "idaci_rank",
    "idaci_decile",
    "children_0_15",
    "denominator_year",
    "lsoas_in_england",
    "source_id",
)


@dataclass
class IdaciInputs:
    """Processed tables the IDACI page reads (any may be ``None`` when it could not be built)."""

    iod: pd.DataFrame | None
    releases: pd.DataFrame | None
    population: pd.DataFrame | None
    lookup_11_21: pd.DataFrame | None
    lookup_01_11: pd.DataFrame | None
    problems: list[str]

    @property
    def lookups(self) -> dict[tuple[int, int], pd.DataFrame]:
        """ONS lookups keyed by ``(vintage_a, vintage_b)``."""
        out = {}
        if self.lookup_01_11 is not None:
            out[(2001, 2011)] = self.lookup_01_11
        if self.lookup_11_21 is not None:
            out[(2011, 2021)] = self.lookup_11_21
        return out


def load_inputs(processed_dir: Path | None = None) -> IdaciInputs:
    """Read ``iod_lsoa``, ``iod_releases``, ``population_lsoa`` and the LSOA lookups.

    A table that cannot be read is ``None`` and its error message goes into ``problems`` (the
    page then says what is missing instead of failing).
    """
    from solihull_analytics.build import BuildError, read_table

    problems: list[str] = []

    def read(name: str) -> pd.DataFrame | None:
        try:
            return read_table(name, processed_dir)
        except (BuildError, FileNotFoundError, OSError) as exc:
            problems.append(f"processed table {name!r} is not available ({exc})")
            return None

    iod = read("iod_lsoa")
    if iod is None:
        iod = pd.DataFrame({c: pd.Series(dtype="object") for c in IOD_COLUMNS_USED})
    return IdaciInputs(
        iod,
        read("iod_releases"),
        read("population_lsoa"),
        read("lsoa_lookup_11_21"),
        read("lsoa_lookup_01_11"),
        problems,
    )


def small_area_children(population: pd.DataFrame, source: str, age_band: str) -> pd.Series:
    """Return children per LSOA from ``population_lsoa`` for one source (e.g. ``census2011``)."""
    sel = population[(population["source"] == source) & (population["age_band"] == age_band)]
    return sel.set_index("lsoa_code")["population"].astype("float64")


def child_weights(population: pd.DataFrame | None) -> dict[int, pd.Series]:
    """Census children aged 0-15 per LSOA by vintage (weights for the like-for-like mapping)."""
    if population is None:
        return {}
    out = {}
    for vintage, source in ((2011, "census2011"), (2021, "census2021")):
        s = small_area_children(population, source, "0-15")
        if len(s):
            out[vintage] = s
    return out


def release_status(inp: IdaciInputs, catalogue: dict[str, Any] | None = None) -> pd.DataFrame:
    """One row per release: what the data used hold, and the official file for what they lack.

    Works from ``iod_releases`` when present, else from ``iod_lsoa``; a release absent from both
    is listed as not in the data used.
    """
    rows = []
    rel_table = inp.releases.set_index("release") if inp.releases is not None else None
    for rel, vintage in release_vintage().items():
        part = inp.iod[inp.iod["release"] == rel] if inp.iod is not None else pd.DataFrame()
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
                "LSOA vintage": str(vintage),
                "In the data used": holds,
                "Official file for IDACI ranks": ""
                if ranks
                else official_url(idaci_rank_files()[rel], catalogue),
                "Note": note,
            }
        )
    return pd.DataFrame(rows)


def decile_map_data(
    inp: IdaciInputs,
    la_code: str,
    release: str,
    boundaries11: Any | None,
    boundaries21: Any | None,
) -> tuple[Any, pd.Series, int, str] | tuple[None, None, None, str]:
    """Return ``(polygons, deciles, polygon_vintage, note)`` for mapping one release.

    A release is mapped on its own LSOA boundaries when the mirror has them for the LA (2011:
    all of England; 2021: West Midlands Combined Authority only). Otherwise a 2021-LSOA release
    is shown on 2011 polygons through the ONS lookup (:func:`map_release_to_vintage`), and the
    note says so. 2001 LSOAs cannot be mapped (no 2001 boundaries in the data used).
    """
    if inp.iod is None:
        return None, None, None, "IoD data not available"
    part = la_release(inp.iod, la_code, release)
    if part.empty:
        return None, None, None, f"{release} is {NOT_AVAILABLE}"
    if part["idaci_decile"].notna().all():
        dec = part.set_index("lsoa_code")["idaci_decile"]
    elif part["idaci_rank"].notna().all():
        n = int(part["lsoas_in_england"].iloc[0])
        dec = pd.Series(decile_from_rank(part["idaci_rank"], n).to_numpy(), index=part["lsoa_code"])
    else:
        return None, None, None, f"{release}: IDACI deciles are {NOT_AVAILABLE}"
    vintage = int(part["lsoa_vintage"].iloc[0])
    codes = list(part["lsoa_code"])
    if vintage == 2011 and boundaries11 is not None:
        poly = lsoa_polygons(codes, boundaries11, "lsoa11_code")
        if poly is not None:
            return poly, dec, 2011, f"{release} on its own 2011 LSOA boundaries"
    if vintage == 2021:
        if boundaries21 is not None:
            poly = lsoa_polygons(codes, boundaries21, "lsoa21_code")
            if poly is not None:
                return poly, dec, 2021, f"{release} on its own 2021 LSOA boundaries"
        if boundaries11 is not None and inp.lookup_11_21 is not None:
            whole = inp.iod[inp.iod["release"] == release]
            mapped = map_release_to_vintage(
                whole, inp.lookup_11_21, 2011, child_weights(inp.population).get(2021)
            )
            la11 = sorted(
                set(lookup_pairs(inp.lookup_11_21, 2021, 2011).query("source in @codes")["target"])
            )
            mapped = mapped[mapped["lsoa_code"].isin(la11)]
            poly = lsoa_polygons(list(mapped["lsoa_code"]), boundaries11, "lsoa11_code")
            if poly is not None:
                d = mapped.set_index("lsoa_code")["idaci_decile"]
                return (
                    poly,
                    d,
                    2011,
                    f"{release} shown on 2011 LSOA boundaries through the ONS LSOA 2011-2021 "
                    "lookup: 2021 LSOA polygons are available only for the West Midlands "
                    "Combined Authority in the data used",
                )
    return None, None, None, f"LSOA {vintage} boundaries for this LA are {NOT_AVAILABLE}"


def ward_outlines(
    la_code: str,
    polygons: Any,
    polygon_vintage: int,
    boundaries_ward_wm: Any | None,
    lsoa21_ward: pd.DataFrame | None,
    lookup_11_21: pd.DataFrame | None,
) -> tuple[Any | None, str]:
    """Return ward outlines for the map (column ``group`` = ward name) and how they were made.

    The published 2025 ward boundaries are used where the mirror has them (West Midlands
    region); elsewhere wards are drawn by dissolving the LSOA polygons by the ONS LSOA 2021 ->
    ward (2024) best-fit lookup (2011 LSOAs placed through the LSOA 2011 -> 2021 lookup).
    """
    if boundaries_ward_wm is not None:
        w = boundaries_ward_wm[boundaries_ward_wm["la_code"] == la_code]
        if len(w):
            vint = int(w["ward_vintage"].iloc[0])
            out = w.rename(columns={"ward_name": "group"})[["group", "geometry"]]
            return out, f"{vint} ward boundaries (ONS)"
    if lsoa21_ward is None:
        return None, "ward boundaries not available"
    wl = lsoa21_ward[(lsoa21_ward["la_code"] == la_code) & (lsoa21_ward["ward_vintage"] == 2024)]
    ward_of21 = wl.set_index("lsoa21_code")["ward_name"]
    if polygon_vintage == 2021:
        groups = ward_of21
    elif lookup_11_21 is not None:
        groups = lsoa11_to_lsoa21_first(lookup_11_21).map(ward_of21)
    else:
        return None, "ward boundaries not available"
    out = dissolve_by(polygons, groups)
    return out, "2024 wards drawn from LSOAs (ONS best-fit lookup; approximate)"


def sub_area_outlines(
    la_code: str,
    la_name: str,
    polygons: Any,
    polygon_vintage: int,
    lookup_11_21: pd.DataFrame | None,
    processed_dir: Path | None = None,
) -> tuple[Any | None, str]:
    """Return the LA's configured sub-areas (``areas/<la_code>.yaml``) as outlines, if any.

    Uses :mod:`~solihull_analytics.geo.sub_areas`; only named sub-areas are drawn (not the rest of
    the
    LA). Returns ``(None, reason)`` when the LA has no configuration.
    """
    try:
        from solihull_analytics.geo import sub_areas as areas
    except ImportError:  # pragma: no cover - areas.py is part of the package
        return None, "sub-area configuration module not available"
    definition = areas.resolve_areas(la_code, la_name, processed_dir)
    if not definition.configured:
        return None, f"no sub-areas are configured for {la_name}"
    named = {a.name for a in definition.areas if a.name != definition.rest_name}
    if polygon_vintage == 2021:
        m = definition.membership().set_index("lsoa21_code")["area"]
    elif lookup_11_21 is not None:
        m = areas.lsoa11_membership(definition, lookup_11_21).set_index("lsoa11_code")["area"]
    else:
        return None, "sub-areas cannot be placed on these LSOAs"
    m = m[m.isin(named)]
    out = dissolve_by(polygons, m)
    return out, f"sub-areas from {definition.config_path.name}: " + ", ".join(sorted(named))


#: Child population comparisons the data allow on 2011 LSOAs: (label, start, end, age band).
GROWTH_PERIODS: tuple[tuple[str, str, str, str], ...] = (
    ("Census 2011 to Census 2021, aged 0-15", "census2011", "census2021", "0-15"),
    (
        "Mid-2017 to mid-2020 (ONS small-area estimates), aged 0-17",
        "sape_mid2017",
        "sape_mid2020",
        "0-17",
    ),
)


def growth_views(
    inp: IdaciInputs, la_code: str, classify_release: str = LATEST
) -> dict[str, dict[str, pd.DataFrame]]:
    """Child population growth by deprivation for each period in :data:`GROWTH_PERIODS`.

    The LA's 2011 LSOAs are classified by ``classify_release`` (a release on 2011 LSOAs with
    IDACI ranks; by default the latest such). Census 2021 counts are put on 2011 LSOAs with
    :func:`apportion_to_2011` (weights: Census 2011 children). Census 2021 gives 0-15 only at
    LSOA level, so the census comparison is for 0-15 and the small-area estimates for 0-17.

    Returns
    -------
    dict
        Period label -> :func:`population_change` result; periods whose data are missing are
        left out.
    """
    out: dict[str, dict[str, pd.DataFrame]] = {}
    if inp.iod is None or inp.population is None:
        return out
    classify_release = resolve_classify_release(inp.iod, classify_release)
    classify = la_release(inp.iod, la_code, classify_release)
    if classify.empty or classify["idaci_rank"].isna().any():
        return out
    for label, start_src, end_src, band in GROWTH_PERIODS:
        start = small_area_children(inp.population, start_src, band)
        end = small_area_children(inp.population, end_src, band)
        if start.empty or end.empty:
            continue
        end_vintage = int(
            inp.population.loc[inp.population["source"] == end_src, "lsoa_vintage"].iloc[0]
        )
        if end_vintage == 2021:
            if inp.lookup_11_21 is None:
                continue
            weights = small_area_children(inp.population, "census2011", "0-15")
            end = apportion_to_2011(end, inp.lookup_11_21, weights)
        out[label] = population_change(classify, start, end)
    return out


# --------------------------------------------------------------------------------------------
# Page helpers: provenance, titles, alt text and display tables generated from the numbers
# --------------------------------------------------------------------------------------------


def la_lsoas(inp: IdaciInputs, la_code: str, vintage: int) -> list[str]:
    """The LA's LSOAs on one vintage, from ``iod_lsoa`` (any release on that vintage)."""
    if inp.iod is None or inp.iod.empty:
        return []
    sel = inp.iod[(inp.iod["la_code"] == la_code) & (inp.iod["lsoa_vintage"] == vintage)]
    return sorted(set(sel["lsoa_code"]))


def iod_source_ids(iod: pd.DataFrame, la_code: str, release: str | None = None) -> list[str]:
    """Catalogue ids of the files behind an LA's ``iod_lsoa`` rows (optionally one release)."""
    sel = iod[iod["la_code"] == la_code]
    if release is not None:
        sel = sel[sel["release"] == release]
    return sorted({s for joined in sel["source_id"].dropna().unique() for s in joined.split(",")})


def decile_title(dec: pd.DataFrame, la_name: str) -> str:
    """Chart title stating the latest release's count in England's most deprived 10%."""
    rels = _release_order(dec["release"].unique())
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
    for rel in _release_order(dec["release"].unique()):
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


def most_deprived_areas(
    polygons: Any, deciles: pd.Series, groups: Any, top: int = 3
) -> list[tuple[str, int]]:
    """Return the wards (or sub-areas) holding most of the LA's decile-1 LSOAs: (name, count)."""
    if groups is None or not len(groups):
        return []
    pts = polygons.assign(decile=polygons["lsoa_code"].map(deciles))
    pts = pts[pts["decile"] == 1].copy()
    if pts.empty:
        return []
    pts["geometry"] = pts.geometry.representative_point()
    joined = pts.sjoin(groups[["group", "geometry"]], how="inner", predicate="within")
    counts = joined["group"].value_counts().head(top)
    return [(str(k), int(v)) for k, v in counts.items()]


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


def national_ties(iod: pd.DataFrame, bands: Sequence[int] = BANDS) -> pd.DataFrame:
    """Per release with ranks: tied rank numbers, and extra LSOAs a tie adds at each cut-off."""
    rows = []
    for rel in _release_order(iod["release"].unique()):
        part = iod[(iod["release"] == rel) & iod["idaci_rank"].notna()]
        if part.empty:
            continue
        n = int(part["lsoas_in_england"].iloc[0])
        r = part["idaci_rank"].astype("int64")
        row: dict[str, Any] = {
            "Release": rel,
            "LSOAs in England": n,
            "Rank numbers shared by 2+ LSOAs": int((r.value_counts() > 1).sum()),
        }
        for p in bands:
            row[f"Cut-off {p}% (rank <=)"] = band_cutoff(n, p)
            row[f"Extra LSOAs from a tie at {p}%"] = ties_at_cutoff(r, n, p)
        rows.append(row)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# The report page (notebook 02): context, sections and headlines
# --------------------------------------------------------------------------------------------


#: What the section functions return: Markdown, charts, tables, missing data and provenance.
PageBlock = Block


def _optional_table(name: str, processed_dir: Path | None) -> Any | None:
    """Read a processed table, or ``None`` when it cannot be built or read."""
    from solihull_analytics.build import BuildError, read_table

    try:
        return read_table(name, processed_dir)
    except (BuildError, OSError):
        return None


def _ids(joined: str) -> list[str]:
    """Split a comma-joined ``source_ids`` cell into catalogue ids."""
    return [i for i in joined.split(",") if i]


@dataclass
class IdaciContext:
    """What notebook 02 needs to build its page, read once by :func:`prepare`.

    Derived tables are computed on first use and kept.

    Attributes
    ----------
    la : solihull_analytics.geo.las.LocalAuthority
        The local authority.
    processed_dir : Path or None
        Processed tables folder (``None``: the project's ``data/processed``).
    inp : IdaciInputs
        The processed tables read.
    like_for_like_vintage : int
        LSOA vintage every release is mapped onto for the like-for-like view.
    classify_release : str
        Release (on 2011 LSOAs, with ranks) used to group LSOAs for growth.
    """

    la: LocalAuthority
    processed_dir: Path | None
    inp: IdaciInputs = field(repr=False)
    like_for_like_vintage: int = 2011
    classify_release: str = LATEST

    @property
    def is_report_la(self) -> bool:
        """Whether the LA is the one the commissioner's report is about (Solihull)."""
        return self.la.code == REPORT_LA_CODE

    @cached_property
    def counts(self) -> pd.DataFrame:
        """:func:`band_counts` for the LA."""
        return band_counts(self.inp.iod, self.la.code)

    @cached_property
    def deciles(self) -> pd.DataFrame:
        """:func:`decile_counts` for the LA."""
        return decile_counts(self.inp.iod, self.la.code)

    @cached_property
    def children(self) -> pd.DataFrame:
        """:func:`children_in_bands` for the LA."""
        return children_in_bands(self.inp.iod, self.inp.population, self.la.code)

    @cached_property
    def views(self) -> dict[str, dict[str, pd.DataFrame]]:
        """:func:`growth_views` for the LA."""
        return growth_views(self.inp, self.la.code, self.classify_release)

    @property
    def source_ids(self) -> list[str]:
        """Catalogue ids of the IoD files behind the LA's rows."""
        return iod_source_ids(self.inp.iod, self.la.code)


def prepare(
    la_code: str,
    processed_dir: str | Path | None = None,
    *,
    like_for_like_vintage: int = 2011,
    classify_release: str = LATEST,
) -> IdaciContext:
    """Read the tables notebook 02 uses, for one LA.

    Parameters
    ----------
    la_code : str
        The LA.
    processed_dir : str or Path, optional
        Processed tables folder; empty or None for the project's ``data/processed``.
    like_for_like_vintage : int, default 2011
        LSOA vintage every release is mapped onto for the like-for-like view.
    classify_release : str, default "latest"
        Release used to group the LA's 2011 LSOAs for child population growth; "latest" is the
        latest release on 2011 LSOAs with IDACI ranks (see :func:`resolve_classify_release`).

    Returns
    -------
    IdaciContext
    """
    processed = Path(processed_dir) if processed_dir else None
    inp = load_inputs(processed)
    return IdaciContext(
        la=la_info(la_code, processed),
        processed_dir=processed,
        inp=inp,
        like_for_like_vintage=like_for_like_vintage,
        classify_release=resolve_classify_release(inp.iod, classify_release),
    )


def resolve_classify_release(iod: pd.DataFrame | None, value: str, vintage: int = 2011) -> str:
    """Resolve the release used to group 2011 LSOAs: ``"latest"`` or a release label.

    ``"latest"`` is the latest release (registry order) on ``vintage`` LSOAs whose IDACI ranks
    are in ``iod``; any other value must be a release of the registry.
    """
    if value != LATEST:
        return registry.get("iod", value).label
    vintages = release_vintage()
    ranked = set()
    if iod is not None and len(iod):
        ranked = set(iod.loc[iod["idaci_rank"].notna(), "release"])
    candidates = [r for r in release_names() if vintages.get(r) == vintage and r in ranked]
    if not candidates:
        candidates = [r for r in release_names() if vintages.get(r) == vintage]
    if not candidates:
        raise ValueError(f"no IoD release on {vintage} LSOAs in the release registry.")
    return candidates[-1]


def input_notes(ctx: IdaciContext) -> list[PageBlock]:
    """Provenance of the IoD files, and notes on tables or raw files that are missing.

    Returns
    -------
    list of PageBlock
        The IoD source ids, then one :class:`MissingData` per unreadable table and per IoD file
        absent from the raw cache.
    """
    out: list[PageBlock] = [Uses(tuple(ctx.source_ids))]
    for problem in ctx.inp.problems:
        out.append(
            MissingData(problem.capitalize() + ".", "rebuild with `solihull-analytics data build`")
        )
    for f in missing_iod_files().itertuples():
        out.append(MissingData(f"{f.title} is not in the raw cache ({f.id}).", f.url))
    return out


def releases_section(ctx: IdaciContext) -> list[PageBlock]:
    """Section "What each release holds": a paragraph, the status table, missing ranks.

    Returns
    -------
    list of PageBlock
    """
    counts = ctx.counts
    status = release_status(ctx.inp)
    n_ranks = int(counts["idaci_ranks"].sum())
    n_deciles = int((counts["idaci_deciles"] & ~counts["idaci_ranks"]).sum())
    out: list[PageBlock] = [
        f"Five releases of the Indices of Deprivation rank England's neighbourhoods on IDACI. "
        f"{n_ranks} of them have IDACI ranks for {ctx.la.name} in the data used "
        f"and {n_deciles} has deciles only; "
        f"the others are listed with the official file that holds their IDACI ranks.",
        TableBlock(
            status, caption="IoD releases: LSOA vintage, what the data used hold, official files"
        ),
    ]
    for r in status.itertuples(index=False):
        vintage, url = r[1], r[3]
        if url:
            out.append(
                MissingData(
                    f"IDACI ranks for {r.Release} ({vintage} LSOAs) are not in the data used.", url
                )
            )
    return out


#: Columns of the report comparison left to the download: with them it is too wide to read.
TABLE1_OFF_PAGE = ("Most deprived 5%", "Most deprived 2%")


def table1_section(ctx: IdaciContext) -> list[PageBlock]:
    """Section "Table 1": commentary, method, the report comparison (Solihull) and Table 1.

    Returns
    -------
    list of PageBlock
    """
    report = ctx.is_report_la
    out: list[PageBlock] = [
        describe_bands(ctx.counts, ctx.la.name),
        "An LSOA is in England's most deprived p% when its published IDACI rank (1 = most "
        "deprived) is at most p% of the number of LSOAs in England in that release, rounded "
        "down; tied LSOAs keep their shared rank. Each release is counted on its own LSOAs "
        '(2001, 2011 or 2021). "(from deciles)" marks counts taken from published deciles '
        "because the ranks are not in the data used.",
    ]
    if report:
        out.append(describe_report_comparison(compare_with_report(ctx.counts)))
    shown = table1(ctx.counts, ctx.la.code)
    # The official files go in a list under the table: as a column they made it too wide to
    # read or print.
    urls = shown.pop("Official file for missing cells")
    out.append(
        TableBlock(
            shown,
            caption=f"{ctx.la.name}: LSOAs in England's most deprived 20%, 10%, 5% and 2% on "
            "IDACI, by release",
            source="MHCLG/DCLG English Indices of Deprivation 2007-2025; ONS LSOA lookups"
            + ("; report column: " + REPORT_CITATION if report else ""),
            page_columns=[c for c in shown if not c.startswith(TABLE1_OFF_PAGE)],
        )
    )
    missing = [(release, url) for release, url in zip(shown["Release"], urls, strict=True) if url]
    if missing:
        out.append(
            "Official files for the cells marked not available: "
            + "; ".join(f"{release}: {url}" for release, url in missing)
            + "."
        )
    return out


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


def like_for_like_section(ctx: IdaciContext) -> list[PageBlock]:
    """Section "Like-for-like view": every release on one LSOA vintage.

    Returns
    -------
    list of PageBlock
        A note when the view cannot be built; else a paragraph, provenance and the table.
    """
    target = ctx.like_for_like_vintage
    lfl = like_for_like_counts(
        ctx.inp.iod,
        la_lsoas(ctx.inp, ctx.la.code, target),
        target,
        ctx.inp.lookups,
        child_weights(ctx.inp.population),
    )
    if lfl.empty:
        return [f"A like-for-like view on {target} LSOAs is {NOT_AVAILABLE}."]
    return [
        like_for_like_text(lfl, ctx.la.name, target),
        Uses(("iod_lookup_lsoa11_lsoa21_exact", "geo_lookup_lsoa01_lsoa11")),
        TableBlock(
            like_for_like_display(lfl),
            caption=f"{ctx.la.name}: IDACI bands with every release on {target} LSOAs",
            source="MHCLG/DCLG English Indices of Deprivation; ONS LSOA 2001-2011-2021 lookups",
        ),
    ]


def decile_display(dec: pd.DataFrame) -> pd.DataFrame:
    """Wide display table of :func:`decile_counts`: one row per decile, one column per release."""
    wide = dec.pivot(index="decile", columns="release", values="lsoas").reset_index()
    wide.columns.name = None
    return wide.rename(columns={"decile": "National IDACI decile (1 = most deprived)"})


def decile_section(ctx: IdaciContext) -> list[PageBlock]:
    """Section "Neighbourhoods by national IDACI decile": bar charts and the table.

    Returns
    -------
    list of PageBlock
    """
    dec = ctx.deciles
    if dec.empty:
        return [f"IDACI deciles for {ctx.la.name} are {NOT_AVAILABLE}."]
    return [
        Chart(
            plot_decile_bars(dec, decile_title(dec, ctx.la.name)),
            alt=decile_alt(dec, ctx.la.name),
            source="MHCLG/DCLG English Indices of Deprivation (published IDACI deciles)",
            data=dec,
            name="chart_deciles",
        ),
        TableBlock(
            decile_display(dec),
            caption=f"{ctx.la.name}: LSOAs by national IDACI decile and release",
        ),
    ]


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


def map_download(deciles: pd.Series, release: str) -> pd.DataFrame:
    """The data of one decile map: each mapped LSOA's national IDACI decile in ``release``."""
    return pd.DataFrame(
        {
            "release": release,
            "lsoa_code": deciles.index.astype(str),
            "idaci_decile": deciles.to_numpy(),
        }
    )


def maps_section(ctx: IdaciContext) -> list[PageBlock]:
    """Section "Maps of IDACI decile": one map per release with deciles and boundaries.

    Returns
    -------
    list of PageBlock
        Per release a paragraph and a map (or a :class:`MissingData` when its boundaries are
        missing), the boundary provenance, and a note listing releases not mapped.
    """
    la, inp = ctx.la, ctx.inp
    b11 = _optional_table("boundaries_lsoa11", ctx.processed_dir)
    b21 = _optional_table("boundaries_lsoa21_wmca", ctx.processed_dir)
    bward = _optional_table("boundaries_ward_wm", ctx.processed_dir)
    l21w = _optional_table("lsoa21_ward", ctx.processed_dir)
    out: list[PageBlock] = []
    mapped = []
    available = set(ctx.deciles["release"])
    for rel in [r for r in release_names() if r in available]:
        poly, deciles, vint, note = decile_map_data(inp, la.code, rel, b11, b21)
        if poly is None:
            out.append(
                MissingData(f"Map of {rel}: {note}.", "https://geoportal.statistics.gov.uk/")
            )
            continue
        wards, ward_note = ward_outlines(la.code, poly, vint, bward, l21w, inp.lookup_11_21)
        subs, sub_note = sub_area_outlines(
            la.code, la.name, poly, vint, inp.lookup_11_21, ctx.processed_dir
        )
        hot = most_deprived_areas(poly, deciles, subs if subs is not None else wards)
        out.append(map_note(rel, note, ward_note, sub_note, hot))
        out.append(
            Chart(
                plot_decile_map(poly, deciles, map_title(deciles, rel, la.name), wards, subs),
                alt=map_alt(deciles, rel, la.name, vint, wards, subs),
                source=f"MHCLG/DCLG {rel} IDACI deciles; ONS LSOA and ward boundaries "
                "(Open Government Licence; contains OS data © Crown copyright and database "
                "right)",
                data=map_download(deciles, rel),
                name=f"chart_map_{downloads.safe_stem(rel)}",
            )
        )
        mapped.append(rel)
    out.append(Uses(("geo_lsoa11_bsc_ew", "geo_lsoa21_bgc_wmca", "geo_ward25_bgc_west_midlands")))
    unmapped = [r for r in release_names() if r not in mapped]
    if unmapped:
        out.append(
            "Not mapped: " + ", ".join(unmapped) + f" (IDACI deciles {NOT_AVAILABLE}; "
            "releases on 2001 LSOAs would also need 2001 LSOA boundaries)."
        )
    return out


def report_children_text(ch: pd.DataFrame, la_name: str) -> str | None:
    """The report's children share set against the release's own figure (None if unknown).

    The release and share are those the registry records as ``report_children_share_20pct``.
    """
    stated = report_children_share()
    if stated is None or stated[0] not in set(ch["release"]):
        return None
    rel, share = stated
    row = ch.set_index("release").loc[rel]
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


def children_section(ctx: IdaciContext) -> list[PageBlock]:
    """Section "Children in England's most deprived neighbourhoods": commentary and table.

    Returns
    -------
    list of PageBlock
    """
    ch = ctx.children
    out: list[PageBlock] = [describe_children(ch, ctx.la.name)]
    if ctx.is_report_la:
        out.append(report_children_text(ch, ctx.la.name))
    out.extend(Uses(tuple(_ids(ids))) for ids in ch["source_ids"])
    out.append(
        TableBlock(
            children_display(ch),
            caption=f"{ctx.la.name}: children aged 0-15 living in England's most deprived 20% "
            "and 10% of LSOAs on IDACI, by release",
            source="MHCLG/DCLG IoD population denominators; ONS Census 2011/2021 where a "
            "release's own denominators are not in the data used",
        )
    )
    return out


def growth_title(views: dict[str, dict[str, pd.DataFrame]]) -> str:
    """Growth chart title: most vs least deprived tenth, from the first period of ``views``."""
    first = next(iter(views.values()))["tenths"]
    return (
        f"Children in the most deprived tenth of neighbourhoods grew by "
        f"{first['growth_pct'].iloc[0]:+.1f}% vs {first['growth_pct'].iloc[1]:+.1f}% in the "
        "least deprived (Census 2011-2021)"
    )


def growth_alt(views: dict[str, dict[str, pd.DataFrame]]) -> str:
    """Alt text for the growth chart: the change of every group, per period."""
    return "Horizontal bar chart of the change in the number of children. " + " ".join(
        f"{label}: "
        + "; ".join(f"{g.group} {g.growth_pct:+.1f}%" for g in r["tenths"].itertuples())
        + "."
        for label, r in views.items()
    )


def growth_section(ctx: IdaciContext) -> list[PageBlock]:
    """Section "Child population change by deprivation": method, commentary, chart, tables.

    Returns
    -------
    list of PageBlock
    """
    views = ctx.views
    if not views:
        return [f"Child population change by deprivation is {NOT_AVAILABLE}."]
    name, rel = ctx.la.name, ctx.classify_release
    out: list[PageBlock] = [
        f"{name}'s 2011 LSOAs are grouped by their {rel} national IDACI decile, "
        "and into the most and least deprived tenth of the LA's own neighbourhoods (by IDACI "
        "rank). Census 2021 counts are put on 2011 LSOAs through the ONS lookup. Census 2021 "
        "gives ages 0-15 only at LSOA level; the ONS small-area estimates give 0-17."
    ]
    out.extend(describe_growth(result["tenths"], label) for label, result in views.items())
    out.append(
        Chart(
            plot_growth({k: v["tenths"] for k, v in views.items()}, growth_title(views)),
            alt=growth_alt(views),
            source="ONS Census 2011 (KS102EW), Census 2021, small-area population estimates; "
            f"MHCLG {rel} IDACI",
            data=pd.concat(
                [v["tenths"].assign(period=label) for label, v in views.items()],
                ignore_index=True,
            ),
            name="chart_growth",
        )
    )
    out.append(
        Uses(
            (
                "census2011_ks102_age_lsoa11",
                "census2021_age6_lsoa21",
                "sape_mid2017_lsoa11",
                "sape_mid2020_lsoa11",
            )
        )
    )
    for label, result in views.items():
        by_decile, tenths = growth_display(result)
        out.append(TableBlock(tenths, caption=f"{name}: {label}, most vs least deprived tenth"))
        out.append(TableBlock(by_decile, caption=f"{name}: {label}, by national IDACI decile"))
    return out


def method_section(ctx: IdaciContext) -> list[PageBlock]:
    """Section "Method: bands, ties and boundaries": the rules and the national ties table.

    Returns
    -------
    list of PageBlock
    """
    ties = national_ties(ctx.inp.iod)
    return [
        "Cut-off: a release's p% band holds ranks up to floor(p% x N), N being the number of "
        "LSOAs in England in that release; this reproduces MHCLG's published deciles exactly. "
        "Ties: tied LSOAs share the lower rank number in the published files and are used as "
        "published, so a tie across a cut-off would put both LSOAs in the band; the table shows "
        "whether that happens. Like-for-like: a changed LSOA takes the rank of the linked LSOA "
        "with most children (equal weights for 2001 LSOAs).",
        None
        if ties.empty
        else TableBlock(ties, caption="IDACI rank cut-offs and ties in England, by release"),
    ]


def headlines(ctx: IdaciContext) -> list[dict[str, Any]]:
    """Headline figures: Table 1 counts, children's shares and child growth.

    Returns
    -------
    list of dict
        Keyword arguments for :meth:`solihull_analytics.report.page.Page.headline`, in page order:
        ``lsoas_most_deprived_<p>pct_<release>`` per band and release with a count,
        ``children_share_most_deprived_20pct_<release>`` and
        ``child_growth_most_deprived_tenth_<period>``.
    """
    la, iod = ctx.la, ctx.inp.iod
    out: list[dict[str, Any]] = []
    for r in ctx.counts.itertuples():
        ids = iod_source_ids(iod, la.code, r.release)
        for p in BANDS:
            n = getattr(r, f"n_{p}pct")
            if pd.isna(n):
                continue
            out.append(
                {
                    "name": f"lsoas_most_deprived_{p}pct_{r.release.lower()}",
                    "value": int(n),
                    "unit": "LSOAs",
                    "period": r.release,
                    "source_ids": ids,
                    "statement": f"{int(n)} of {la.name}'s {int(r.lsoas_in_la)} LSOAs were in "
                    f"England's most deprived {p}% on IDACI in {r.release}.",
                    "label": f"LSOAs in England's most deprived {p}% (IDACI, {r.release})",
                    "note": f"Counted on {int(r.lsoa_vintage)} LSOAs: {int(r.lsoas_in_la)} in "
                    f"{la.name} of {int(r.lsoas_in_england):,} in England; method: "
                    f"{getattr(r, f'method_{p}pct')}.",
                }
            )
    ch = ctx.children
    for r in ch[ch["share_20pct"].notna()].itertuples():
        out.append(
            {
                "name": f"children_share_most_deprived_20pct_{r.release.lower()}",
                "value": round(float(r.share_20pct) * 100, 1),
                "unit": "%",
                "period": r.release,
                "source_ids": _ids(r.source_ids) + iod_source_ids(iod, la.code, r.release),
                "statement": f"{float(r.share_20pct):.1%} of {la.name}'s children aged 0-15 "
                f"({int(r.children_20pct):,} of {int(r.children_la):,}) lived in England's most "
                f"deprived 20% of LSOAs on IDACI in {r.release}.",
                "label": f"Children aged 0-15 in England's most deprived 20% ({r.release})",
                "note": f"Denominators: {r.denominator}.",
            }
        )
    for label, result in ctx.views.items():
        t = result["tenths"]
        key = "census_2011_2021_0_15" if "Census" in label else "sape_2017_2020_0_17"
        out.append(
            {
                "name": f"child_growth_most_deprived_tenth_{key}",
                "value": round(float(t["growth_pct"].iloc[0]), 1),
                "unit": "%",
                "period": label,
                "source_ids": [],
                "statement": describe_growth(t, label),
                "label": f"Child population change, most deprived tenth ({label})",
                "note": f"Least deprived tenth: {float(t['growth_pct'].iloc[1]):+.1f}%.",
            }
        )
    return out


def summary(ctx: IdaciContext) -> str:
    """One-sentence page summary: the latest release's count in England's most deprived 20%."""
    latest = ctx.counts[ctx.counts["n_20pct"].notna()]
    if not len(latest):
        return f"IDACI data for {ctx.la.name} are {NOT_AVAILABLE}."
    last = latest.iloc[-1]
    return (
        f"{last['release']}: {int(last['n_20pct'])} of {ctx.la.name}'s {int(last['lsoas_in_la'])} "
        f"neighbourhoods were in England's most deprived 20% on child income deprivation."
    )
