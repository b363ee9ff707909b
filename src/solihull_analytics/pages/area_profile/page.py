"""Profile named sub-areas of an LA against the rest: Census 2021/2011, ethnicity, households,
children in low income families and IDACI (the "two Solihulls" page, notebook 03).

Every measure is built from LSOA rows summed over each sub-area's LSOAs (see
:mod:`~solihull_analytics.geo.sub_areas`), so that the sub-areas add up to the LA. LA and England
rows use
the same LSOA sums where the measure exists at LSOA level, and LA-level published tables where it
exists only there (e.g. age 0-17 in 2021, 19 ethnic groups, households, DWP low income).

Each function returns a tidy :class:`pandas.DataFrame` with one row per area (``area`` and
``level``: ``"sub-area"``, ``"LA"`` or ``"England"``); ``headline_rows`` turns the results into
headline figures and the ``say_*`` functions write commentary from the numbers.

For the notebook, :func:`prepare` computes everything once into an :class:`AreaProfile`, and the
``*_section`` functions return the blocks (Markdown, :class:`~solihull_analytics.report.page.Chart`,
:class:`~solihull_analytics.report.page.TableBlock`) that :meth:`Page.show` displays.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from solihull_analytics import releases as registry
from solihull_analytics.build import read_table
from solihull_analytics.constants import ENGLAND_CODE
from solihull_analytics.geo.sub_areas import AreaDefinition, lsoa11_membership
from solihull_analytics.report.page import Block, Chart, TableBlock, deferred_drawing

ENGLAND = "England"
#: Catalogue ids behind each measure (for page.uses and headline source_ids).
SOURCES: dict[str, list[str]] = {
    "areas": [
        "geo_lookup_lsoa21_ward22",
        "geo_lookup_lsoa21_ward24",
        "geo_lookup_lsoa11_lsoa21_exact",
    ],
    "population": [
        "census2021_age6_lsoa21",
        "census2021_ts007_age_utla",
        "census2021_ts007_age_country",
    ],
    "growth": ["census2011_ks102_age_lsoa11", "census2021_age6_lsoa21"],
    "ethnicity": ["census2021_ts021_ethnic5_lsoa21"],
    "ethnicity19": ["census2021_ethnic19_ltla21"],
    "households": ["census2021_ts003_households_ltla23"],
    "lone_parents": ["census2021_ts003_lsoa21"],
    "low_income": ["dwp_cilif_utla_age_0_4", "dwp_cilif_utla_age_5_10", "dwp_cilif_utla_age_11_15"],
    "low_income_lsoa": ["dwp_cilif_lsoa"],
    "maps21": ["geo_lsoa21_bgc_wmca"],
    "maps11": ["geo_lsoa11_bsc_ew"],
    "low_income_denominator": ["sape_mid2020_lsoa11", "sape_mid2019_lsoa11", "sape_mid2017_lsoa11"],
}
#: SAPE mid-year used as the 0-15 denominator for a DWP financial year ending in April of Y.
SAPE_FOR_FYE = {2018: 2017, 2020: 2019, 2021: 2020}
WHITE = "White"
WHITE_BRITISH_PREFIX = "White: English, Welsh, Scottish, Northern Irish or British"
LONE_PARENT_CATEGORY = "Single family household: Lone parent family: With dependent children"


@lru_cache(maxsize=32)
def _table(name: str, processed_dir: str) -> pd.DataFrame:
    return read_table(name, Path(processed_dir) if processed_dir else None)


def table(name: str, processed_dir: Path | str | None = None) -> pd.DataFrame:
    """Read a processed table once per session (cached; do not modify the result in place)."""
    return _table(name, str(processed_dir or ""))


def _pct(num: Any, den: Any) -> Any:
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(den > 0, 100.0 * num / den, np.nan)
    return out if out.ndim else float(out)


def _levels(defn: AreaDefinition) -> pd.DataFrame:
    """Sub-area rows (only when the LA has a configuration) plus the LA row."""
    rows = []
    if defn.configured:
        rows += [(a.name, "sub-area") for a in defn.areas]
    rows.append((defn.la_name, "LA"))
    return pd.DataFrame(rows, columns=["area", "level"])


def _sum_by_area(
    values: pd.DataFrame,
    member: pd.DataFrame,
    key: str,
    cols: list[str],
    defn: AreaDefinition,
    england: pd.DataFrame | None,
) -> pd.DataFrame:
    """Sum ``cols`` of LSOA rows by sub-area, for the LA, and for England (E01 codes)."""
    joined = values.merge(member, on=key, how="inner")
    out = []
    if defn.configured:
        by = joined.groupby("area", sort=False)[cols].sum()
        for name in defn.names:
            row = by.loc[name] if name in by.index else pd.Series(0, index=cols)
            out.append({"area": name, "level": "sub-area", **row.to_dict()})
    out.append({"area": defn.la_name, "level": "LA", **joined[cols].sum().to_dict()})
    if england is not None:
        out.append({"area": ENGLAND, "level": "England", **england[cols].sum().to_dict()})
    return pd.DataFrame(out)


def _lsoa_wide(pop: pd.DataFrame, year: int, vintage: int) -> pd.DataFrame:
    sel = pop[(pop["year"] == year) & (pop["lsoa_vintage"] == vintage)]
    wide = sel.pivot_table(
        index="lsoa_code", columns="age_band", values="population", aggfunc="sum"
    ).reset_index()
    wide.columns.name = None
    return wide


# -- measures -----------------------------------------------------------------------------------


def population_2021(defn: AreaDefinition, processed_dir: Path | None = None) -> pd.DataFrame:
    """Usual residents and children (Census 2021) by sub-area, LA and England.

    Residents and children aged 0-15 are sums of 2021 LSOA rows (Census 2021 age, 6 categories);
    children aged 0-17 exist only at LA level (TS007 single year of age) and are given for the LA
    and England rows with their own TS007 total as denominator.

    Returns
    -------
    pandas.DataFrame
        ``area, level, lsoas, residents, children_0_15, pct_0_15, children_0_17, pct_0_17``.
    """
    pop = table("population_lsoa", processed_dir)
    wide = _lsoa_wide(pop, 2021, 2021).rename(columns={"lsoa_code": "lsoa21_code"})
    wide["lsoas"] = 1
    member = defn.membership()
    eng = wide[wide["lsoa21_code"].str.startswith("E01")]
    cols = ["lsoas", "all", "0-15"]
    out = _sum_by_area(wide, member, "lsoa21_code", cols, defn, eng)
    out = out.rename(columns={"all": "residents", "0-15": "children_0_15"})
    out["pct_0_15"] = _pct(out["children_0_15"], out["residents"])
    la = table("census_la", processed_dir)
    la = la[(la["census_year"] == 2021) & (la["topic"] == "age")]
    ts = {}
    for code, name in ((defn.la_code, defn.la_name), (ENGLAND_CODE, ENGLAND)):
        r = la[la["la_code"] == code].set_index("category")["value"]
        if {"0-17", "all"} <= set(r.index):
            ts[name] = (int(r["0-17"]), int(r["all"]))
    out["children_0_17"] = [ts.get(a, (np.nan, np.nan))[0] for a in out["area"]]
    out["pct_0_17"] = [_pct(*ts[a]) if a in ts else np.nan for a in out["area"]]
    for c in ("lsoas", "residents", "children_0_15"):
        out[c] = out[c].astype("int64")
    out["children_0_17"] = out["children_0_17"].astype("Int64")
    return out


def child_growth(defn: AreaDefinition, processed_dir: Path | None = None) -> pd.DataFrame:
    """Children aged 0-15, Census 2011 to Census 2021, by sub-area, LA and England.

    2011 LSOA counts (KS102EW) are assigned to sub-areas through the ONS LSOA11-to-LSOA21
    lookup (:func:`~solihull_analytics.geo.sub_areas.lsoa11_membership`); 2021 counts are 2021
    LSOA sums.

    Returns
    -------
    pandas.DataFrame
        ``area, level, children_2011, children_2021, change, pct_change, residents_2011,
        residents_2021, lsoas_2011_split``.
    """
    pop = table("population_lsoa", processed_dir)
    w11 = _lsoa_wide(pop, 2011, 2011).rename(columns={"lsoa_code": "lsoa11_code"})
    w21 = _lsoa_wide(pop, 2021, 2021).rename(columns={"lsoa_code": "lsoa21_code"})
    m11 = lsoa11_membership(defn, table("lsoa_lookup_11_21", processed_dir))
    w11 = w11.merge(m11[["lsoa11_code", "split_across_areas"]], on="lsoa11_code", how="left")
    w11["split"] = w11["split_across_areas"].fillna(False).astype(int)
    a = _sum_by_area(
        w11,
        m11[["lsoa11_code", "area"]],
        "lsoa11_code",
        ["0-15", "all", "split"],
        defn,
        w11[w11["lsoa11_code"].str.startswith("E01")].assign(split=0),
    )
    b = _sum_by_area(
        w21,
        defn.membership(),
        "lsoa21_code",
        ["0-15", "all"],
        defn,
        w21[w21["lsoa21_code"].str.startswith("E01")],
    )
    out = pd.DataFrame(
        {
            "area": a["area"],
            "level": a["level"],
            "children_2011": a["0-15"].astype("int64"),
            "children_2021": b["0-15"].astype("int64"),
            "residents_2011": a["all"].astype("int64"),
            "residents_2021": b["all"].astype("int64"),
            "lsoas_2011_split": a["split"].astype("int64"),
        }
    )
    out["change"] = out["children_2021"] - out["children_2011"]
    out["pct_change"] = _pct(out["change"], out["children_2011"])
    return out


def ethnicity_2021(defn: AreaDefinition, processed_dir: Path | None = None) -> pd.DataFrame:
    """Residents by the five high-level ethnic groups (Census 2021 TS021) by sub-area, LA, England.

    Returns
    -------
    pandas.DataFrame
        ``area, level, residents, white, non_white, pct_non_white`` and one count column per
        group (the non-White groups).
    """
    cen = table("census_lsoa", processed_dir)
    eth = cen[cen["topic"] == "ethnic_group"]
    wide = eth.pivot_table(
        index="lsoa21_code", columns="category", values="count", aggfunc="sum"
    ).reset_index()
    wide.columns.name = None
    totals = eth.groupby("lsoa21_code")["total"].first()
    wide["residents"] = wide["lsoa21_code"].map(totals).astype("int64")
    groups = [c for c in wide.columns if c not in ("lsoa21_code", "residents")]
    eng = wide[wide["lsoa21_code"].str.startswith("E01")]
    out = _sum_by_area(wide, defn.membership(), "lsoa21_code", ["residents", *groups], defn, eng)
    out["white"] = out[WHITE]
    out["non_white"] = out["residents"] - out["white"]
    out["pct_non_white"] = _pct(out["non_white"], out["residents"])
    others = [g for g in groups if g != WHITE]
    cols = ["area", "level", "residents", "white", "non_white", "pct_non_white", *others]
    out = out[cols]
    for c in ["residents", "white", "non_white", *others]:
        out[c] = out[c].astype("int64")
    return out


def ethnicity_19_la(defn: AreaDefinition, processed_dir: Path | None = None) -> pd.DataFrame:
    """Non-White-British and non-White shares for the LA and England (19 groups, Census 2021).

    Returns
    -------
    pandas.DataFrame
        ``area, level, residents, white_british, pct_non_white_british, non_white,
        pct_non_white`` (empty if the LA is not in the table).
    """
    la = table("census_la", processed_dir)
    la = la[(la["census_year"] == 2021) & (la["topic"] == "ethnic_group_19")]
    rows = []
    for code, name, level in (
        (defn.la_code, defn.la_name, "LA"),
        (ENGLAND_CODE, ENGLAND, "England"),
    ):
        sel = la[la["la_code"] == code]
        if sel.empty:
            continue
        total = int(sel["value"].sum())
        wb = int(sel.loc[sel["category"].str.startswith(WHITE_BRITISH_PREFIX), "value"].sum())
        white = int(sel.loc[sel["category"].str.startswith("White:"), "value"].sum())
        rows.append(
            {
                "area": name,
                "level": level,
                "residents": total,
                "white_british": wb,
                "pct_non_white_british": _pct(total - wb, total),
                "non_white": total - white,
                "pct_non_white": _pct(total - white, total),
            }
        )
    return pd.DataFrame(rows)


def lone_parents(defn: AreaDefinition, processed_dir: Path | None = None) -> pd.DataFrame:
    """Households, and lone-parent households with dependent children where the data allow.

    Households come from Census 2021 TS003 at LA level (LA and England). Lone-parent households
    need the TS003 LSOA file (``census2021_ts003_lsoa21``); without it their columns are NaN.

    Returns
    -------
    pandas.DataFrame
        ``area, level, households, lone_parent_dependent, pct_lone_parent_dependent,
        households_source``.
    """
    cen = table("census_lsoa", processed_dir)
    hh = cen[cen["topic"] == "household_composition"]
    la = table("census_la", processed_dir)
    la = la[(la["census_year"] == 2021) & (la["topic"] == "households")]
    la_hh = {c: int(v) for c, v in zip(la["la_code"], la["value"], strict=True)}
    if not hh.empty:
        lp = hh[hh["category"] == LONE_PARENT_CATEGORY][["lsoa21_code", "count", "total"]]
        lp = lp.rename(columns={"count": "lone_parent_dependent", "total": "households"})
        eng = lp[lp["lsoa21_code"].str.startswith("E01")]
        out = _sum_by_area(
            lp, defn.membership(), "lsoa21_code", ["households", "lone_parent_dependent"], defn, eng
        )
        out["pct_lone_parent_dependent"] = _pct(out["lone_parent_dependent"], out["households"])
        out["households_source"] = "TS003 LSOA"
        return out
    out = _levels(defn)
    out = pd.concat([out, pd.DataFrame([{"area": ENGLAND, "level": "England"}])], ignore_index=True)
    code = {defn.la_name: defn.la_code, ENGLAND: ENGLAND_CODE}
    out["households"] = [la_hh.get(code.get(a, ""), np.nan) for a in out["area"]]
    out["lone_parent_dependent"] = np.nan
    out["pct_lone_parent_dependent"] = np.nan
    out["households_source"] = ["TS003 LA total" if a in code else "" for a in out["area"]]
    return out


def _sape_0_15(defn: AreaDefinition, mid_year: int, processed_dir: Path | None) -> pd.DataFrame:
    pop = table("population_lsoa", processed_dir)
    w = _lsoa_wide(pop, mid_year, 2011).rename(columns={"lsoa_code": "lsoa11_code"})
    m11 = lsoa11_membership(defn, table("lsoa_lookup_11_21", processed_dir))
    return _sum_by_area(
        w,
        m11[["lsoa11_code", "area"]],
        "lsoa11_code",
        ["0-15"],
        defn,
        w[w["lsoa11_code"].str.startswith("E01")],
    )


def low_income(
    defn: AreaDefinition, processed_dir: Path | None = None, fye: int | None = None
) -> tuple[pd.DataFrame, int, bool]:
    """Children aged 0-15 in relative low-income families (DWP), count and share.

    LA and England counts are DWP's upper-tier LA figures (England = the sum of English LAs);
    sub-area counts need the LSOA export (``low_income_lsoa_year``, otherwise NaN). The share's
    denominator is the ONS mid-year 0-15 estimate (SAPE) for the mid-year before the financial
    year ends, summed over the area's 2011 LSOAs, as DWP's own rates use mid-year estimates.

    Parameters
    ----------
    fye : int, optional
        Financial year ending (e.g. 2021 for 2020/21); default the latest year with a SAPE
        denominator.

    Returns
    -------
    (pandas.DataFrame, int, bool)
        ``area, level, children_low_income, children_0_15, pct_low_income``; the financial year
        ending used; whether sub-area counts were available.
    """
    li = table("low_income_la_year", processed_dir)
    li = li[li["age_band"] == "0-15"]
    years = sorted(set(li["financial_year_ending"]) & set(SAPE_FOR_FYE))
    fye = fye or max(years)
    den = _sape_0_15(defn, SAPE_FOR_FYE[fye], processed_dir).rename(
        columns={"0-15": "children_0_15"}
    )
    yr = li[li["financial_year_ending"] == fye]
    counts = {
        defn.la_name: yr.loc[yr["la_code"] == defn.la_code, "children"].sum(min_count=1),
        ENGLAND: yr.loc[yr["la_code"].str.startswith("E"), "children"].sum(min_count=1),
    }
    lsoa = table("low_income_lsoa_year", processed_dir)
    lsoa = lsoa[(lsoa["age_band"] == "0-15") & (lsoa["financial_year_ending"] == fye)]
    have_lsoa = not lsoa.empty
    if have_lsoa and defn.configured:
        m21 = defn.membership()
        m11 = lsoa11_membership(defn, table("lsoa_lookup_11_21", processed_dir))
        vals = lsoa.rename(columns={"lsoa_code": "code"})
        m = pd.concat(
            [
                m21.rename(columns={"lsoa21_code": "code"}),
                m11.rename(columns={"lsoa11_code": "code"})[["code", "area"]],
            ]
        )
        share21 = vals["code"].isin(m21["lsoa21_code"]).mean()
        m = m.drop_duplicates("code") if share21 >= 0.5 else m.iloc[::-1].drop_duplicates("code")
        by = vals.merge(m, on="code").groupby("area")["children"].sum()
        for name in defn.names:
            counts[name] = by.get(name, 0)
    den["children_low_income"] = [counts.get(a, np.nan) for a in den["area"]]
    den["children_low_income"] = pd.to_numeric(den["children_low_income"], errors="coerce")
    den["pct_low_income"] = _pct(den["children_low_income"], den["children_0_15"])
    den["children_0_15"] = den["children_0_15"].astype("int64")
    den["children_low_income"] = den["children_low_income"].round().astype("Int64")
    return (
        den[["area", "level", "children_low_income", "children_0_15", "pct_low_income"]],
        fye,
        have_lsoa,
    )


#: IoD file roles (release registry) behind the IDACI measures of this page.
IDACI_ROLES = ("idaci", "idaci_deciles", "denominators", "denominators_extract")
#: Default IoD releases of the page: the two latest with IDACI deciles in the data.
DEFAULT_IDACI_RELEASES = "latest:2"


def idaci_source_ids(releases: tuple[str, ...] | list[str]) -> list[str]:
    """Catalogue ids of the IoD files (deciles, denominators) of ``releases`` (registry)."""
    out = []
    for label in releases:
        rel = registry.get("iod", label)
        out += [f.id for f in rel.files if f.role in IDACI_ROLES and not f.optional]
    return out


def resolve_idaci_releases(
    value: str | tuple[str, ...], processed_dir: Path | None = None
) -> tuple[str, ...]:
    """Resolve ``"latest:N"``, ``"latest"`` or a comma-separated list of IoD release labels.

    "latest" counts only releases whose IDACI deciles are in ``iod_lsoa``.
    """
    if not isinstance(value, str):
        return tuple(value)
    iod = table("iod_lsoa", processed_dir)
    available = list(iod.loc[iod["idaci_decile"].notna(), "release"].unique())
    return tuple(registry.resolve_many("iod", value, available))


def latest_with_deciles(iod: pd.DataFrame, lsoa_vintage: int) -> str | None:
    """The latest IoD release (registry order) on ``lsoa_vintage`` LSOAs with IDACI deciles."""
    held = iod[(iod["lsoa_vintage"] == lsoa_vintage) & iod["idaci_decile"].notna()]
    labels = [r for r in registry.labels("iod") if r in set(held["release"])]
    return labels[-1] if labels else None


def idaci_composition(
    defn: AreaDefinition,
    processed_dir: Path | None = None,
    releases: tuple[str, ...] | str = DEFAULT_IDACI_RELEASES,
) -> pd.DataFrame:
    """LSOAs and children by national IDACI decile (1 = most deprived 10% in England).

    Deciles are the published ``idaci_decile`` of each release. Children are the release's own
    0-15 denominators when present for every LSOA of the LA, otherwise Census 2021 aged 0-15
    (releases on 2021 LSOAs). Releases on 2011 LSOAs are assigned to sub-areas through the
    LSOA11-to-LSOA21 lookup.

    Returns
    -------
    pandas.DataFrame
        ``release, area, level, decile, lsoas, children, pct_lsoas, pct_children,
        children_source`` (every decile 1-10 for every area, zeros included).
    """
    iod = table("iod_lsoa", processed_dir)
    pop = table("population_lsoa", processed_dir)
    c21 = pop[(pop["year"] == 2021) & (pop["age_band"] == "0-15")].set_index("lsoa_code")[
        "population"
    ]
    m21 = defn.membership()
    m11 = lsoa11_membership(defn, table("lsoa_lookup_11_21", processed_dir))
    frames = []
    for rel in resolve_idaci_releases(releases, processed_dir):
        sel = iod[(iod["release"] == rel) & iod["idaci_decile"].notna()]
        if sel.empty:
            continue
        vintage = int(sel["lsoa_vintage"].iloc[0])
        member = (
            m21.rename(columns={"lsoa21_code": "lsoa_code"})
            if vintage == 2021
            else m11.rename(columns={"lsoa11_code": "lsoa_code"})[["lsoa_code", "area"]]
        )
        la = sel.merge(member, on="lsoa_code")
        if len(la) and la["children_0_15"].notna().all():
            la = la.assign(children=la["children_0_15"].astype(float))
            source = f"{rel} denominators (mid-{int(la['denominator_year'].iloc[0])})"
        elif vintage == 2021:
            la = la.assign(children=la["lsoa_code"].map(c21).astype(float))
            source = "Census 2021 aged 0-15"
        else:
            la = la.assign(children=np.nan)
            source = "not available"
        groups = (
            [(a, "sub-area", la[la["area"] == a]) for a in defn.names] if defn.configured else []
        )
        groups.append((defn.la_name, "LA", la))
        for name, level, g in groups:
            agg = g.groupby("idaci_decile").agg(
                lsoas=("lsoa_code", "size"), children=("children", "sum")
            )
            agg = agg.reindex(range(1, 11), fill_value=0)
            agg.index.name = "decile"
            agg = agg.reset_index()
            agg["pct_lsoas"] = _pct(agg["lsoas"], agg["lsoas"].sum())
            agg["pct_children"] = _pct(agg["children"], agg["children"].sum())
            agg.insert(0, "level", level)
            agg.insert(0, "area", name)
            agg.insert(0, "release", rel)
            agg["children_source"] = source
            frames.append(agg)
    out = pd.concat(frames, ignore_index=True)
    out["decile"] = out["decile"].astype("int64")
    out["lsoas"] = out["lsoas"].astype("int64")
    return out


def idaci_summary(comp: pd.DataFrame) -> pd.DataFrame:
    """Share of LSOAs and children in the most deprived 10% and 20% nationally, per area."""
    rows = []
    for (rel, area, level), g in comp.groupby(["release", "area", "level"], sort=False):
        d1, d12 = g[g["decile"] == 1], g[g["decile"] <= 2]
        rows.append(
            {
                "release": rel,
                "area": area,
                "level": level,
                "lsoas": int(g["lsoas"].sum()),
                "children": float(g["children"].sum()),
                "lsoas_most_deprived_10pct": int(d1["lsoas"].sum()),
                "pct_children_most_deprived_10pct": float(d1["pct_children"].sum()),
                "pct_children_most_deprived_20pct": float(d12["pct_children"].sum()),
            }
        )
    return pd.DataFrame(rows)


# -- maps ---------------------------------------------------------------------------------------


@dataclass
class MapLayers:
    """Polygons for the maps: LSOAs with values, sub-area outlines, and what was used."""

    lsoas: Any  # GeoDataFrame: geometry, area, pct_0_15, idaci_decile
    outlines: Any  # GeoDataFrame: geometry, area
    lsoa_vintage: int
    idaci_release: str
    note: str


def map_layers(defn: AreaDefinition, processed_dir: Path | None = None) -> MapLayers | None:
    """Build LSOA polygons (EPSG:27700) with the 2021 child share and IDACI decile.

    Uses 2021 LSOA polygons (deciles of the latest release on 2021 LSOAs) when the LA's are all
    in ``boundaries_lsoa21_wmca``; otherwise 2011 LSOA polygons (England-wide super-generalised
    file)
    with the deciles of the latest release on 2011 LSOAs, and the Census 2021 child share on
    groups of 2011 LSOAs that changed (split or merged).
    Returns None when neither covers the LA.
    """
    import geopandas as gpd

    pop = table("population_lsoa", processed_dir)
    w21 = _lsoa_wide(pop, 2021, 2021).set_index("lsoa_code")
    member = defn.membership()
    iod = table("iod_lsoa", processed_dir)
    b21 = table("boundaries_lsoa21_wmca", processed_dir)
    rel21, rel11 = latest_with_deciles(iod, 2021), latest_with_deciles(iod, 2011)
    if rel21 and set(defn.la_lsoa21) and set(defn.la_lsoa21) <= set(b21["lsoa21_code"]):
        g = b21[b21["lsoa21_code"].isin(defn.la_lsoa21)][["lsoa21_code", "geometry"]]
        g = gpd.GeoDataFrame(g.merge(member, on="lsoa21_code"), geometry="geometry")
        g["pct_0_15"] = _pct(g["lsoa21_code"].map(w21["0-15"]), g["lsoa21_code"].map(w21["all"]))
        dec = iod[iod["release"] == rel21].set_index("lsoa_code")["idaci_decile"]
        g["idaci_decile"] = g["lsoa21_code"].map(dec)
        vintage, rel = 2021, rel21
        note = f"2021 LSOA boundaries (ONS, generalised clipped); IDACI deciles from {rel}."
    else:
        b11 = table("boundaries_lsoa11", processed_dir)
        m11 = lsoa11_membership(defn, table("lsoa_lookup_11_21", processed_dir))
        g = b11[b11["lsoa11_code"].isin(m11["lsoa11_code"])][["lsoa11_code", "geometry"]]
        if g.empty or rel11 is None:
            return None
        g = gpd.GeoDataFrame(
            g.merge(m11[["lsoa11_code", "area"]], on="lsoa11_code"), geometry="geometry"
        )
        lk = table("lsoa_lookup_11_21", processed_dir)
        lk = lk[lk["lsoa11_code"].isin(g["lsoa11_code"])]
        comp = _components(lk)
        lk = lk.assign(group=lk["lsoa11_code"].map(comp))
        kids = (
            lk.drop_duplicates("lsoa21_code")
            .assign(
                c=lambda d: d["lsoa21_code"].map(w21["0-15"]),
                t=lambda d: d["lsoa21_code"].map(w21["all"]),
            )
            .groupby("group")[["c", "t"]]
            .sum()
        )
        grp = g["lsoa11_code"].map(comp)
        g["pct_0_15"] = _pct(grp.map(kids["c"]), grp.map(kids["t"]))
        dec = iod[iod["release"] == rel11].set_index("lsoa_code")["idaci_decile"]
        g["idaci_decile"] = g["lsoa11_code"].map(dec)
        vintage, rel = 2011, rel11
        note = (
            "2021 LSOA polygons are not available for this LA here, so the maps use 2011 LSOA "
            "boundaries (ONS, super generalised); the Census 2021 child share is shown on "
            f"2011 LSOAs, combining those whose boundaries changed; IDACI deciles from {rel}."
        )
    g = g.set_crs(27700, allow_override=True) if g.crs is None else g.to_crs(27700)
    outlines = g.dissolve(by="area").reset_index()[["area", "geometry"]]
    return MapLayers(g, outlines, vintage, rel, note)


def _components(lookup: pd.DataFrame) -> dict[str, str]:
    """Group 2011 LSOAs linked through shared 2021 LSOAs (union-find); 2011 code -> group id."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in zip(lookup["lsoa11_code"], "21:" + lookup["lsoa21_code"], strict=True):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[rb] = ra
    return {a: find(a) for a in lookup["lsoa11_code"]}


# -- charts -------------------------------------------------------------------------------------


def bar_chart(df: pd.DataFrame, value: str, title: str, xlabel: str, fmt: str = "{:.1f}%") -> Any:
    """Horizontal bars, one per area, labelled with their values (hatching marks LA/England)."""
    import matplotlib.pyplot as plt

    from solihull_analytics.report.page import af_colours

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

    from solihull_analytics.report.page import LINE_STYLES, MARKERS, af_colours

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


# -- words --------------------------------------------------------------------------------------


def compare(a: float, b: float, unit: str = "percentage points") -> str:
    """'3.1 percentage points higher than' / 'lower than' / 'the same as'."""
    diff = a - b
    if abs(diff) < 0.05:
        return "about the same as"
    return f"{abs(diff):.1f} {unit} {'higher' if diff > 0 else 'lower'} than"


def ratio_words(a: float, b: float) -> str:
    """'1.3 times' style comparison of two positive numbers."""
    if not b or np.isnan(a) or np.isnan(b):
        return "not comparable with"
    return f"{a / b:.1f} times"


def _fmt_pct(v: float) -> str:
    return "not available" if v is None or np.isnan(v) else f"{v:.1f}%"


def _first_sub(df: pd.DataFrame) -> pd.Series | None:
    sub = df[df["level"] == "sub-area"]
    return sub.iloc[0] if len(sub) else None


def _row(df: pd.DataFrame, level: str) -> pd.Series | None:
    sel = df[df["level"] == level]
    return sel.iloc[0] if len(sel) else None


def say_population(pop: pd.DataFrame) -> str:
    """Commentary on residents and the child share, generated from :func:`population_2021`."""
    la, eng = _row(pop, "LA"), _row(pop, "England")
    text = (
        f"At the 2021 Census {la['area']} had {la['residents']:,} usual residents, of whom "
        f"{la['children_0_15']:,} ({la['pct_0_15']:.1f}%) were aged 0-15, "
        f"{compare(la['pct_0_15'], eng['pct_0_15'])} England ({eng['pct_0_15']:.1f}%)."
    )
    if pd.notna(la["pct_0_17"]):
        text += f" Including 16- and 17-year-olds, {la['pct_0_17']:.1f}% were aged 0-17."
    subs = pop[pop["level"] == "sub-area"]
    if len(subs) > 1:
        top = subs.sort_values("pct_0_15", ascending=False)
        a, b = top.iloc[0], top.iloc[-1]
        text += (
            f" Children make up a larger share of residents in {a['area']} "
            f"({a['pct_0_15']:.1f}% of {a['residents']:,}) than in {b['area']} "
            f"({b['pct_0_15']:.1f}%), a gap of {a['pct_0_15'] - b['pct_0_15']:.1f} percentage "
            "points. "
            f"{a['area']} holds {100 * a['children_0_15'] / la['children_0_15']:.0f}% of the "
            f"LA's children aged 0-15 but {100 * a['residents'] / la['residents']:.0f}% of its "
            "residents."
        )
    return text


def say_growth(growth: pd.DataFrame) -> str:
    """Commentary on the 2011-2021 change in children aged 0-15."""
    la, eng = _row(growth, "LA"), _row(growth, "England")

    def change(r: pd.Series) -> str:
        word = "rose" if r["change"] > 0 else "fell" if r["change"] < 0 else "did not change"
        return (
            f"{word} from {r['children_2011']:,} to {r['children_2021']:,} "
            f"({r['pct_change']:+.1f}%)"
        )

    text = (
        f"Between the 2011 and 2021 Censuses the number of children aged 0-15 in "
        f"{la['area']} {change(la)}, against {eng['pct_change']:+.1f}% in England."
    )
    for r in growth[growth["level"] == "sub-area"].itertuples():
        text += f" In {r.area} it {change(pd.Series(r._asdict()))}."
    split = int(growth.loc[growth["level"] == "sub-area", "lsoas_2011_split"].sum())
    if split:
        text += (
            f" {split} 2011 LSOAs were split between sub-areas in 2021 and were counted in "
            "the sub-area holding most of their successors."
        )
    return text


def say_ethnicity(eth: pd.DataFrame, eth19: pd.DataFrame) -> str:
    """Commentary on the non-White (and, for the LA, non-White-British) share."""
    la, eng = _row(eth, "LA"), _row(eth, "England")
    text = (
        f"In 2021, {la['pct_non_white']:.1f}% of {la['area']}'s residents were from ethnic "
        f"groups other than White ({eng['pct_non_white']:.1f}% in England)."
    )
    subs = eth[eth["level"] == "sub-area"]
    if len(subs) > 1:
        parts = [f"{r.area} {r.pct_non_white:.1f}%" for r in subs.itertuples()]
        text += " By sub-area: " + "; ".join(parts) + "."
    la19 = _row(eth19, "LA") if len(eth19) else None
    if la19 is not None:
        eng19 = _row(eth19, "England")
        text += (
            f" Counting White minorities (Irish, Gypsy or Irish Traveller, Roma, other White) "
            f"too, {la19['pct_non_white_british']:.1f}% of residents were not White British "
            f"({eng19['pct_non_white_british']:.1f}% in England); this detail exists only "
            "at LA level."
        )
    return text


def say_low_income(li: pd.DataFrame, fye: int) -> str:
    """Commentary on children in relative low-income families."""
    la, eng = _row(li, "LA"), _row(li, "England")
    year = f"{fye - 1}/{str(fye)[2:]}"
    if pd.isna(la["children_low_income"]):
        return f"DWP figures for {la['area']} are not available for {year}."
    text = (
        f"In {year}, {int(la['children_low_income']):,} children aged 0-15 in {la['area']} "
        f"lived in relative low-income families, {la['pct_low_income']:.1f}% of the "
        f"estimated {la['children_0_15']:,} children ({eng['pct_low_income']:.1f}% in "
        "England)."
    )
    subs = li[(li["level"] == "sub-area") & li["children_low_income"].notna()]
    for r in subs.itertuples():
        text += f" {r.area}: {int(r.children_low_income):,} ({r.pct_low_income:.1f}%)."
    return text


def say_idaci(summary: pd.DataFrame) -> str:
    """Commentary on the share of children in the most deprived IDACI deciles nationally."""
    parts = []
    for rel, g in summary.groupby("release", sort=False):
        items = [
            f"{r.area} {r.pct_children_most_deprived_10pct:.0f}% "
            f"({r.lsoas_most_deprived_10pct} of {r.lsoas} LSOAs)"
            for r in g.itertuples()
        ]
        parts.append(
            f"In {rel}, the share of children aged 0-15 living in LSOAs among the most "
            "deprived 10% in England on IDACI was: " + "; ".join(items) + "."
        )
    parts.append(
        "If children were spread evenly across England's deciles, 10% would live in each decile."
    )
    return " ".join(parts)


def headline_rows(
    defn: AreaDefinition,
    pop: pd.DataFrame,
    growth: pd.DataFrame,
    eth: pd.DataFrame,
    eth19: pd.DataFrame,
    households: pd.DataFrame,
    li: pd.DataFrame,
    fye: int,
    idaci: pd.DataFrame,
) -> list[dict[str, Any]]:
    """Return headline figures (dicts for :meth:`Page.headline`), one per measure per area.

    Values are rounded (percentages to 2 decimals); a measure whose data are missing for an
    area is given with ``value=None`` (null in the headline JSON, "not available" on the pack's
    front page) and a ``note`` naming the official file needed.
    """
    out: list[dict[str, Any]] = []
    year = f"{fye - 1}/{str(fye)[2:]}"

    def add(
        name: str,
        label: str,
        value: Any,
        unit: str,
        period: str,
        area: str,
        sources: list[str],
        statement: str,
        note: str | None = None,
    ) -> None:
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            value = None  # null in the headline JSON; the note says which file is needed
        elif not isinstance(value, str):
            value = round(float(value), 2) if unit == "%" else int(round(float(value)))
        h = {
            "name": name,
            "label": f"{label}: {area}",
            "value": value,
            "unit": unit,
            "period": period,
            "source_ids": sources,
            "statement": statement,
            "area": area,
        }
        if note:
            h["note"] = note
        out.append(h)

    for r in pop.itertuples():
        add(
            "lsoas_2021",
            "2021 LSOAs",
            r.lsoas,
            "LSOAs",
            "2021",
            r.area,
            SOURCES["areas"],
            f"{r.area} is made up of {r.lsoas:,} LSOAs (2021 boundaries).",
        )
        add(
            "residents",
            "Usual residents",
            r.residents,
            "people",
            "Census 2021",
            r.area,
            SOURCES["population"],
            f"{r.area} had {r.residents:,} usual residents in 2021.",
        )
        add(
            "children_0_15",
            "Children aged 0-15",
            r.children_0_15,
            "children",
            "Census 2021",
            r.area,
            SOURCES["population"],
            f"{r.area} had {r.children_0_15:,} children aged 0-15.",
        )
        add(
            "children_0_15_pct",
            "Residents aged 0-15",
            r.pct_0_15,
            "%",
            "Census 2021",
            r.area,
            SOURCES["population"],
            f"{r.pct_0_15:.1f}% of {r.area}'s residents were aged 0-15.",
        )
        if pd.notna(r.pct_0_17):
            add(
                "children_0_17_pct",
                "Residents aged 0-17",
                r.pct_0_17,
                "%",
                "Census 2021",
                r.area,
                SOURCES["population"],
                f"{r.pct_0_17:.1f}% of {r.area}'s residents were aged 0-17.",
            )
    for r in growth.itertuples():
        add(
            "children_0_15_growth_2011_2021",
            "Change in children aged 0-15, 2011-2021",
            r.pct_change,
            "%",
            "Census 2011 to Census 2021",
            r.area,
            SOURCES["growth"],
            f"Children aged 0-15 in {r.area} changed by {r.pct_change:+.1f}% "
            f"({r.children_2011:,} to {r.children_2021:,}).",
        )
    for r in eth.itertuples():
        add(
            "non_white_pct",
            "Residents from non-White ethnic groups",
            r.pct_non_white,
            "%",
            "Census 2021",
            r.area,
            SOURCES["ethnicity"],
            f"{r.pct_non_white:.1f}% of {r.area}'s residents were from non-White ethnic groups.",
        )
    for r in eth19.itertuples():
        add(
            "non_white_british_pct",
            "Residents not White British",
            r.pct_non_white_british,
            "%",
            "Census 2021",
            r.area,
            SOURCES["ethnicity19"],
            f"{r.pct_non_white_british:.1f}% of {r.area}'s residents were not White British.",
        )
    for r in households.itertuples():
        if pd.notna(r.households):
            add(
                "households",
                "Households",
                r.households,
                "households",
                "Census 2021",
                r.area,
                SOURCES["households"],
                f"{r.area} had {int(r.households):,} households.",
            )
        ok = pd.notna(r.pct_lone_parent_dependent)
        add(
            "lone_parent_dependent_pct",
            "Lone-parent households with dependent children",
            r.pct_lone_parent_dependent if ok else None,
            "%",
            "Census 2021",
            r.area,
            SOURCES["lone_parents"],
            f"{r.pct_lone_parent_dependent:.1f}% of {r.area}'s households were lone parents "
            "with dependent children."
            if ok
            else f"The lone-parent share for {r.area} needs the Census 2021 TS003 LSOA file.",
            None if ok else "needs census2021_ts003_lsoa21 (Nomis census2021-ts003.zip)",
        )
    for r in li.itertuples():
        ok = pd.notna(r.children_low_income)
        src = SOURCES["low_income"] if r.level != "sub-area" else SOURCES["low_income_lsoa"]
        note = None if ok else "needs dwp_cilif_lsoa (DWP Stat-Xplore, LSOA level)"
        add(
            "low_income_children_0_15",
            "Children aged 0-15 in relative low-income families",
            r.children_low_income if ok else None,
            "children",
            year,
            r.area,
            src,
            f"{int(r.children_low_income):,} children aged 0-15 in {r.area} lived in relative "
            "low-income families."
            if ok
            else f"Low-income figures for {r.area} need the DWP LSOA-level file.",
            note,
        )
        add(
            "low_income_children_0_15_pct",
            "Children aged 0-15 in relative low-income families",
            r.pct_low_income if ok else None,
            "%",
            year,
            r.area,
            src + SOURCES["low_income_denominator"],
            f"{r.pct_low_income:.1f}% of {r.area}'s children aged 0-15 lived in relative "
            "low-income families."
            if ok
            else f"Low-income figures for {r.area} need the DWP LSOA-level file.",
            note,
        )
    for r in idaci.itertuples():
        tag = r.release.lower().replace("iod", "iod_")
        ok = pd.notna(r.pct_children_most_deprived_10pct)
        add(
            f"{tag}_children_most_deprived_10pct_pct",
            f"Children in England's most deprived 10% on IDACI ({r.release})",
            r.pct_children_most_deprived_10pct,
            "%",
            r.release,
            r.area,
            idaci_source_ids([r.release]),
            f"{r.pct_children_most_deprived_10pct:.1f}% of {r.area}'s children aged 0-15 lived "
            f"in LSOAs in England's most deprived 10% on IDACI ({r.release})."
            if ok
            else f"The share of {r.area}'s children in the most deprived 10% ({r.release}) "
            "needs the release's population denominators.",
            None
            if ok
            else f"needs {r.release} File 6 population denominators (MHCLG English Indices of "
            "Deprivation) for every LSOA of the area",
        )
        add(
            f"{tag}_lsoas_most_deprived_10pct",
            f"LSOAs in England's most deprived 10% on IDACI ({r.release})",
            r.lsoas_most_deprived_10pct,
            "LSOAs",
            r.release,
            r.area,
            idaci_source_ids([r.release]),
            f"{r.lsoas_most_deprived_10pct} of {r.area}'s {r.lsoas} LSOAs were in England's most "
            f"deprived 10% on IDACI ({r.release}).",
        )
    return out


def measure_notes() -> pd.DataFrame:
    """One row per measure: source and geography (for the page's 'about the data' table)."""
    rows = [
        (
            "Residents, children 0-15",
            "ONS Census 2021, usual residents by age (6 categories)",
            "2021 LSOA, summed to sub-areas, LA and England",
        ),
        ("Children 0-17", "ONS Census 2021 TS007 (single year of age)", "LA and England only"),
        (
            "Children 0-15, 2011",
            "ONS Census 2011 KS102EW (age structure)",
            "2011 LSOA, assigned to sub-areas via the ONS LSOA11-LSOA21 lookup",
        ),
        ("Ethnic group (5 groups)", "ONS Census 2021 TS021", "2021 LSOA"),
        ("Ethnic group (19 groups)", "ONS Census 2021 ethnic group bulletin data", "LA, England"),
        ("Households", "ONS Census 2021 TS003 (total)", "LA, England"),
        (
            "Lone-parent households",
            "ONS Census 2021 TS003 (LSOA bulk file)",
            "2021 LSOA, when the file is present",
        ),
        (
            "Children in low income families",
            "DWP/HMRC Children in low income families "
            "(relative, before housing costs); denominator ONS mid-year estimates (SAPE)",
            "Upper-tier LA; LSOA when the Stat-Xplore export is present",
        ),
        (
            "IDACI deciles",
            "MHCLG English Indices of Deprivation, the releases shown on this page",
            "each release's own LSOAs (2011 or 2021 LSOA)",
        ),
        (
            "Sub-areas",
            "Project file areas/<LA code>.yaml; ONS LSOA (2021) to ward best-fit lookups",
            "2021 LSOA",
        ),
    ]
    return pd.DataFrame(rows, columns=["measure", "source", "geography"])


# -- page sections (notebook 03) ------------------------------------------------------------------

#: Data the page needs but the mirror lacks: (what, where), keyed by page section.
ETHNICITY_2011_MISSING = (
    "Census 2011 ethnic group, needed to compare 2011 with 2021 for the LA (and the sub-areas).",
    "ONS Census 2011 table KS201EW 'Ethnic group' at local authority and LSOA level, "
    "https://www.nomisweb.co.uk/census/2011/ks201ew",
)
LONE_PARENT_MISSING = (
    "Census 2021 household composition (lone parent with dependent children) at LSOA level "
    "(catalogue entry census2021_ts003_lsoa21).",
    "ONS/Nomis bulk file https://www.nomisweb.co.uk/output/census/2021/census2021-ts003.zip, "
    "member census2021-ts003-lsoa.csv (save it as data/raw/census/census2021-ts003-lsoa.csv "
    "and run `solihull-analytics data build`)",
)
LOW_INCOME_LSOA_MISSING = (
    "Children in low income families by LSOA (catalogue entry dwp_cilif_lsoa), needed for "
    "the sub-area figures; the published files here are at local-authority level only.",
    "DWP Stat-Xplore, dataset 'Children in Low Income Families - Relative Low Income' "
    "(https://stat-xplore.dwp.gov.uk/), table by LSOA and year, saved as "
    "data/raw/census/dwp_cilif_relative_low_income_lsoa.csv",
)


@dataclass
class AreaProfile:
    """Everything notebook 03 shows, computed once by :func:`prepare`.

    Attributes
    ----------
    areas : AreaDefinition
        The LA's sub-areas (or the whole LA).
    processed_dir : Path or None
        Processed-tables folder (None: the project's default).
    pop, growth, eth, eth19, households, li, comp, idaci : pandas.DataFrame
        Results of :func:`population_2021`, :func:`child_growth`, :func:`ethnicity_2021`,
        :func:`ethnicity_19_la`, :func:`lone_parents`, :func:`low_income`,
        :func:`idaci_composition` and :func:`idaci_summary`.
    fye : int
        DWP financial year ending used for low income.
    have_lsoa_low_income : bool
        Whether DWP's LSOA-level low-income file was present.
    layers : MapLayers or None
        Map polygons (None when no boundaries cover the LA).
    source_ids : list of str
        Catalogue ids behind the page, in the order the sections use them.
    missing : dict
        Section name -> list of ``(what, where)`` pairs for :meth:`Page.missing_data`.
    """

    areas: AreaDefinition
    processed_dir: Path | None
    pop: pd.DataFrame
    growth: pd.DataFrame
    eth: pd.DataFrame
    eth19: pd.DataFrame
    households: pd.DataFrame
    li: pd.DataFrame
    fye: int
    have_lsoa_low_income: bool
    comp: pd.DataFrame
    idaci: pd.DataFrame
    layers: MapLayers | None
    source_ids: list[str]
    missing: dict[str, list[tuple[str, str]]]

    @property
    def la_code(self) -> str:
        """The LA's code."""
        return self.areas.la_code

    @property
    def la_name(self) -> str:
        """The LA's name (from the data)."""
        return self.areas.la_name

    @property
    def year(self) -> str:
        """The DWP financial year as ``2020/21``."""
        return f"{self.fye - 1}/{str(self.fye)[2:]}"


def prepare(
    la_code: str,
    processed_dir: Path | str | None = None,
    areas_config: Path | str | None = None,
    low_income_fye: int | None = None,
    idaci_releases: str | tuple[str, ...] = DEFAULT_IDACI_RELEASES,
) -> AreaProfile:
    """Resolve the LA's sub-areas and compute every measure of the page.

    Parameters
    ----------
    la_code : str
        A current English children's-services LA code.
    processed_dir : Path or str, optional
        Processed-tables folder; empty or None for the project's ``data/processed``.
    areas_config : Path or str, optional
        Sub-area file; empty or None for the package file ``areas/<la_code>.yaml`` if any.
    low_income_fye : int, optional
        DWP financial year ending; 0 or None for the latest with a population denominator.
    idaci_releases : str or tuple of str
        IoD releases, as a tuple or a comma-separated string of labels, or ``"latest:N"`` (the
        N latest releases with IDACI deciles in the data; default the two latest).

    Returns
    -------
    AreaProfile
    """
    from solihull_analytics.geo.las import la_info
    from solihull_analytics.geo.sub_areas import resolve_areas

    processed = Path(processed_dir) if processed_dir else None
    la = la_info(la_code, processed)
    areas = resolve_areas(la.code, la.name, processed, areas_config or None)
    idaci_releases = resolve_idaci_releases(idaci_releases, processed)
    hh = lone_parents(areas, processed)
    li, fye, have_lsoa = low_income(areas, processed, low_income_fye or None)
    comp = idaci_composition(areas, processed, tuple(idaci_releases))
    layers = map_layers(areas, processed)
    have_lone = bool(hh["pct_lone_parent_dependent"].notna().any())
    keys = ["areas", "population", "growth", "ethnicity", "ethnicity19", "households"]
    keys += ["lone_parents"] if have_lone else []
    keys += ["low_income", "low_income_denominator"]
    if layers is not None:
        keys.append("maps21" if layers.lsoa_vintage == 2021 else "maps11")
    source_ids = [i for k in keys for i in SOURCES[k]] + idaci_source_ids(idaci_releases)
    source_ids = list(dict.fromkeys(source_ids))
    missing = {
        "ethnicity": [ETHNICITY_2011_MISSING],
        "households": [] if have_lone else [LONE_PARENT_MISSING],
        "low_income": [LOW_INCOME_LSOA_MISSING] if areas.configured and not have_lsoa else [],
    }
    return AreaProfile(
        areas=areas,
        processed_dir=processed,
        pop=population_2021(areas, processed),
        growth=child_growth(areas, processed),
        eth=ethnicity_2021(areas, processed),
        eth19=ethnicity_19_la(areas, processed),
        households=hh,
        li=li,
        fye=fye,
        have_lsoa_low_income=have_lsoa,
        comp=comp,
        idaci=idaci_summary(comp),
        layers=layers,
        source_ids=source_ids,
        missing=missing,
    )


def values_list(df: pd.DataFrame, column: str, fmt: str = "{:.1f}%") -> str:
    """``"North Solihull 23.8%; Rest of Solihull 18.3%"``: each area with its formatted value.

    Parameters
    ----------
    df : pandas.DataFrame
        Rows with an ``area`` column.
    column : str
        The value column.
    fmt : str, default ``"{:.1f}%"``
        Format applied to each value.

    Returns
    -------
    str
    """
    return "; ".join(f"{a} {fmt.format(v)}" for a, v in zip(df["area"], df[column], strict=True))


def definition_section(ctx: AreaProfile) -> list[Block]:
    """Blocks for 'How the sub-areas are defined' (see :func:`areas.definition_section`).

    Parameters
    ----------
    ctx : AreaProfile
        The page's data, from :func:`prepare`.

    Returns
    -------
    list of Block
        A paragraph, then the sub-area table or a starter YAML file.
    """
    from solihull_analytics.geo.sub_areas import definition_section as _definition

    return _definition(ctx.areas, ctx.processed_dir)


def population_section(ctx: AreaProfile) -> list[Block]:
    """Commentary, bar chart and table of residents and children aged 0-15/0-17 (Census 2021).

    Parameters
    ----------
    ctx : AreaProfile
        The page's data, from :func:`prepare`.

    Returns
    -------
    list of Block
        Commentary, the bar chart and the table, in page order.
    """
    pop = ctx.pop
    top = pop[pop["residents"].notna()].sort_values("pct_0_15", ascending=False).iloc[0]
    chart = Chart(
        bar_chart(
            pop,
            "pct_0_15",
            f"{top['area']} has the highest share of children aged 0-15",
            "Residents aged 0-15 (% of usual residents, Census 2021)",
        ),
        alt="Bar chart of the share of usual residents aged 0-15 in 2021: "
        + values_list(pop, "pct_0_15")
        + ".",
        source="ONS Census 2021, usual residents by age (6 categories), LSOA; summed to each area.",
        data=pop,
    )
    shown = pop.rename(
        columns={
            "lsoas": "LSOAs",
            "residents": "usual residents",
            "children_0_15": "aged 0-15",
            "pct_0_15": "% aged 0-15",
            "children_0_17": "aged 0-17",
            "pct_0_17": "% aged 0-17",
        }
    )
    table = TableBlock(
        shown,
        caption="Usual residents and children, Census 2021",
        source="ONS Census 2021 (age 6 categories at LSOA; TS007 single year of age for 0-17, "
        "LA and England only)",
    )
    return [say_population(pop), chart, table]


def growth_section(ctx: AreaProfile) -> list[Block]:
    """Commentary, bar chart and table of the 2011-2021 change in children aged 0-15.

    Parameters
    ----------
    ctx : AreaProfile
        The page's data, from :func:`prepare`.

    Returns
    -------
    list of Block
        Commentary, the bar chart and the table, in page order.
    """
    growth = ctx.growth
    fastest = growth.sort_values("pct_change", ascending=False).iloc[0]
    chart = Chart(
        bar_chart(
            growth,
            "pct_change",
            f"Children aged 0-15 grew fastest in {fastest['area']}, 2011 to 2021",
            "Change in children aged 0-15, Census 2011 to Census 2021 (%)",
            fmt="{:+.1f}%",
        ),
        alt="Bar chart of the percentage change in children aged 0-15 between the 2011 and 2021 "
        "Censuses: " + values_list(growth, "pct_change", "{:+.1f}%") + ".",
        source="ONS Census 2011 KS102EW and Census 2021 age (6 categories), LSOA.",
        data=growth,
    )
    cols = ["area", "level", "children_2011", "children_2021", "change", "pct_change"]
    table = TableBlock(
        growth[cols].rename(
            columns={
                "children_2011": "aged 0-15, 2011",
                "children_2021": "aged 0-15, 2021",
                "pct_change": "% change",
            }
        ),
        caption="Children aged 0-15, Census 2011 and Census 2021",
        source="ONS Census 2011 KS102EW (2011 LSOAs, matched to 2021 LSOAs with the ONS lookup); "
        "Census 2021 age (6 categories)",
    )
    return [say_growth(growth), chart, table]


def ethnicity_section(ctx: AreaProfile) -> list[Block]:
    """Commentary, bar chart and tables of ethnic group (5 groups by area; 19 groups for the LA).

    Parameters
    ----------
    ctx : AreaProfile
        The page's data, from :func:`prepare`.

    Returns
    -------
    list of Block
        Commentary, the bar chart, the 5-group table and (when published) the 19-group table.
    """
    eth, eth19 = ctx.eth, ctx.eth19
    lowest = eth.sort_values("pct_non_white").iloc[0]["area"]
    chart = Chart(
        bar_chart(
            eth,
            "pct_non_white",
            f"{lowest} has the lowest share of residents from non-White groups",
            "Residents from ethnic groups other than White (%, Census 2021)",
        ),
        alt="Bar chart of the share of residents from non-White ethnic groups in 2021: "
        + values_list(eth, "pct_non_white")
        + ".",
        source="ONS Census 2021 TS021 ethnic group (5 groups), LSOA.",
        data=eth,
    )
    blocks: list[Block] = [
        say_ethnicity(eth, eth19),
        chart,
        TableBlock(
            eth.rename(
                columns={"pct_non_white": "% non-White", "white": "White", "non_white": "non-White"}
            ),
            caption="Residents by high-level ethnic group, Census 2021",
            source="ONS Census 2021 TS021 (5 groups) at LSOA",
        ),
    ]
    if len(eth19):
        shown = eth19.rename(
            columns={
                "pct_non_white_british": "% not White British",
                "white_british": "White British",
                "non_white": "non-White",
                "pct_non_white": "% non-White",
            }
        )
        blocks.append(
            TableBlock(
                shown,
                caption="Residents who are not White British (19 ethnic groups), Census 2021",
                source="ONS, Ethnic group, England and Wales: Census 2021 (LA level)",
            )
        )
    return blocks


def households_section(ctx: AreaProfile) -> list[Block]:
    """Lone-parent households with dependent children (or the LA's households when unavailable).

    When the TS003 LSOA file is missing, ``ctx.missing["households"]`` says where to get it.

    Parameters
    ----------
    ctx : AreaProfile
        The page's data, from :func:`prepare`.

    Returns
    -------
    list of Block
        A sentence and the table, or a sentence giving the LA's households only.
    """
    hh = ctx.households
    if hh["pct_lone_parent_dependent"].notna().any():
        text = (
            "Lone-parent households with dependent children as a share of all households: "
            + values_list(hh, "pct_lone_parent_dependent")
            + "."
        )
        table = TableBlock(
            hh.drop(columns="households_source"),
            caption="Households and lone-parent households with dependent children, 2021",
            source="ONS Census 2021 TS003 household composition, LSOA",
        )
        return [text, table]
    la_hh = hh[hh["level"] == "LA"].iloc[0]
    return [
        f"{ctx.la_name} had {int(la_hh['households']):,} households at the 2021 Census. The "
        "number that are lone parents with dependent children is not in the data used here, for "
        "the LA or its sub-areas."
    ]


def low_income_section(ctx: AreaProfile) -> list[Block]:
    """Commentary and table of children aged 0-15 in relative low-income families (DWP).

    Parameters
    ----------
    ctx : AreaProfile
        The page's data, from :func:`prepare`.

    Returns
    -------
    list of Block
        Commentary and the table.
    """
    table = TableBlock(
        ctx.li.rename(
            columns={
                "children_low_income": "in relative low income",
                "children_0_15": "children aged 0-15 (mid-year estimate)",
                "pct_low_income": "%",
            }
        ),
        caption=f"Children aged 0-15 in relative low-income families, {ctx.year}",
        source="DWP/HMRC Children in low income families (before housing costs); ONS mid-"
        f"{SAPE_FOR_FYE[ctx.fye]} small area population estimates",
    )
    return [say_low_income(ctx.li, ctx.fye), table]


def idaci_alt(summary: pd.DataFrame, release: str) -> str:
    """Alt text of the IDACI decile chart for ``release``: each area's decile 1 and 1-2 shares.

    Parameters
    ----------
    summary : pandas.DataFrame
        From :func:`idaci_summary`.
    release : str
        IoD release, e.g. ``"IoD2025"``.

    Returns
    -------
    str
        Areas in ascending order of the decile-1 share.
    """
    s = summary[summary["release"] == release].sort_values("pct_children_most_deprived_10pct")
    return (
        f"Line chart of the share of children aged 0-15 in each national IDACI decile, {release}: "
        + "; ".join(
            f"{r.area} {r.pct_children_most_deprived_10pct:.0f}% in decile 1 and "
            f"{r.pct_children_most_deprived_20pct:.0f}% in deciles 1-2"
            for r in s.itertuples()
        )
        + "."
    )


def idaci_section(ctx: AreaProfile) -> list[Block]:
    """Commentary, one decile chart per IoD release, and tables of LSOAs and children.

    Parameters
    ----------
    ctx : AreaProfile
        The page's data, from :func:`prepare`.

    Returns
    -------
    list of Block
        Commentary, one chart per release, then the two tables.
    """
    comp, idaci = ctx.comp, ctx.idaci
    blocks: list[Block] = [say_idaci(idaci)]
    for rel in comp["release"].unique():
        s = idaci[idaci["release"] == rel].sort_values("pct_children_most_deprived_10pct")
        title = f"{s.iloc[-1]['area']}: most children in the most deprived deciles ({rel})"
        children = comp.loc[comp["release"] == rel, "children_source"].iloc[0]
        blocks.append(
            Chart(
                idaci_chart(comp, rel, title),
                alt=idaci_alt(idaci, rel),
                source=f"MHCLG English Indices of Deprivation ({rel}), IDACI deciles; children: "
                f"{children}.",
                data=comp[comp["release"] == rel],
            )
        )
    wide = comp.pivot_table(
        index=["release", "decile"], columns="area", values="lsoas", aggfunc="sum"
    ).reset_index()
    wide.columns.name = None
    blocks.append(
        TableBlock(
            wide,
            caption="LSOAs by national IDACI decile (1 = most deprived 10% in England)",
            source="MHCLG English Indices of Deprivation 2019 and 2025",
        )
    )
    shown = idaci.rename(
        columns={
            "lsoas": "LSOAs",
            "children": "children aged 0-15",
            "lsoas_most_deprived_10pct": "LSOAs in most deprived 10%",
            "pct_children_most_deprived_10pct": "% children in most deprived 10%",
            "pct_children_most_deprived_20pct": "% children in most deprived 20%",
        }
    )
    blocks.append(
        TableBlock(
            shown,
            caption="Children aged 0-15 in England's most deprived IDACI deciles",
            source="MHCLG English Indices of Deprivation; children from the IoD denominators or "
            "Census 2021",
        )
    )
    return blocks


def maps_section(ctx: AreaProfile) -> list[Block]:
    """A note and two maps (child share; IDACI decile) of the LA's LSOAs with sub-area outlines.

    Parameters
    ----------
    ctx : AreaProfile
        The page's data, from :func:`prepare`.

    Returns
    -------
    list of Block
        A note and two maps, or a single sentence when no boundaries cover the LA.
    """
    layers, name = ctx.layers, ctx.la_name
    if layers is None:
        return [f"No LSOA boundaries for {name} are in the data used, so no maps are shown."]
    outline = (
        "Thick black lines outline the sub-areas, labelled by name. "
        if len(layers.outlines) > 1
        else ""
    )
    hi = layers.lsoas["pct_0_15"]
    kids = Chart(
        maps_figure(layers, "pct_0_15", "Share of residents aged 0-15 by LSOA, 2021"),
        alt=f"Map of {name}'s LSOAs shaded by the share of residents aged 0-15 in 2021, from "
        f"{hi.min():.1f}% to {hi.max():.1f}%. "
        + outline
        + "Per sub-area: "
        + values_list(ctx.pop, "pct_0_15")
        + ".",
        source="ONS Census 2021; ONS LSOA boundaries (Open Geography Portal).",
        data=pd.DataFrame(layers.lsoas.drop(columns="geometry", errors="ignore")),
    )
    dec = layers.lsoas.groupby("area")["idaci_decile"].apply(lambda s: int((s == 1).sum()))
    rel = layers.idaci_release
    deciles = Chart(
        maps_figure(layers, "idaci_decile", f"National IDACI decile by LSOA ({rel})", True),
        alt=f"Map of {name}'s LSOAs shaded by national IDACI decile ({rel}), "
        "from red (decile 1, most deprived) to blue (decile 10). "
        + outline
        + "LSOAs in decile 1: "
        + "; ".join(f"{a} {n}" for a, n in dec.items())
        + ".",
        source=f"MHCLG English Indices of Deprivation ({rel}); ONS LSOA boundaries.",
        data=pd.DataFrame(layers.lsoas.drop(columns="geometry", errors="ignore")),
    )
    note = layers.note + " " + outline + "The tables above give the figures behind the maps."
    return [note, kids, deciles]


def about_section() -> list[Block]:
    """The 'About the data' paragraph and table of each measure's source and geography."""
    text = (
        "Each measure, where it comes from and the geography it is published for. Sub-area "
        "figures are sums of published LSOA figures, so the sub-areas add up to the authority. "
        "Census counts are published by ONS with small random adjustments, so totals from "
        "different tables can differ by a few people."
    )
    return [text, TableBlock(measure_notes(), caption="Sources and geography of each measure")]


def headlines(ctx: AreaProfile) -> list[dict[str, Any]]:
    """Headline figures of the page (dicts for :meth:`Page.headline`); see :func:`headline_rows`.

    Parameters
    ----------
    ctx : AreaProfile
        The page's data, from :func:`prepare`.

    Returns
    -------
    list of dict
        Keyword arguments for :meth:`Page.headline`, one per measure per area.
    """
    return headline_rows(
        ctx.areas,
        ctx.pop,
        ctx.growth,
        ctx.eth,
        ctx.eth19,
        ctx.households,
        ctx.li,
        ctx.fye,
        ctx.idaci,
    )


def page_summary(ctx: AreaProfile) -> str:
    """One-line summary for the pack's front page.

    Parameters
    ----------
    ctx : AreaProfile
        The page's data, from :func:`prepare`.

    Returns
    -------
    str
        The summary sentence.
    """
    if not ctx.areas.configured:
        return f"{ctx.la_name} compared with England (no sub-areas defined)."
    first = ctx.pop.iloc[0]
    return f"{first['area']}: {first['pct_0_15']:.1f}% of residents aged 0-15 (Census 2021)."
