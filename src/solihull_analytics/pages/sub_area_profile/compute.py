"""The measures of page 03 (sub-area profile): pure DataFrame in, DataFrame out; reads nothing.

Every measure is built from LSOA rows summed over each sub-area's LSOAs (see
:mod:`~solihull_analytics.geo.sub_areas`), so that the sub-areas add up to the LA. LA and England
rows use the same LSOA sums where the measure exists at LSOA level, and LA-level published
tables where it exists only there (e.g. age 0-17, 19 ethnic groups, households, DWP low income).

Each measure returns a tidy :class:`pandas.DataFrame` with one row per area (``area`` and
``level``: ``"sub-area"``, ``"LA"`` or ``"England"``). The tables come from
:mod:`.inputs`, which reads them once and picks the census releases from the registry; here a
census is only ever "the latest" or "the previous" one.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from solihull_analytics.constants import ENGLAND_CODE
from solihull_analytics.geo.sub_areas import AreaDefinition

ENGLAND = "England"
WHITE = "White"
WHITE_BRITISH_PREFIX = "White: English, Welsh, Scottish, Northern Irish or British"
LONE_PARENT_CATEGORY = "Single family household: Lone parent family: With dependent children"


def pct(num: Any, den: Any) -> Any:
    """``100 * num / den`` elementwise, NaN where the denominator is not positive."""
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(den > 0, 100.0 * num / den, np.nan)
    return out if out.ndim else float(out)


def levels(defn: AreaDefinition) -> pd.DataFrame:
    """Sub-area rows (only when the LA has a configuration) plus the LA row."""
    rows = []
    if defn.configured:
        rows += [(a.name, "sub-area") for a in defn.areas]
    rows.append((defn.la_name, "LA"))
    return pd.DataFrame(rows, columns=["area", "level"])


def sum_by_area(
    values: pd.DataFrame,
    member: pd.DataFrame,
    key: str,
    cols: list[str],
    defn: AreaDefinition,
    england: pd.DataFrame | None,
) -> pd.DataFrame:
    """Sum ``cols`` of LSOA rows by sub-area, for the LA, and for England (``england``'s rows)."""
    # The LA's rows first: merging all of England's LSOAs costs more than the sums (issue 16).
    values = values[values[key].isin(member[key])]
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


def _english(df: pd.DataFrame, key: str) -> pd.DataFrame:
    return df[df[key].str.startswith("E01")]


def lsoa_wide(pop: pd.DataFrame, year: int, vintage: int) -> pd.DataFrame:
    """``population_lsoa`` rows of one year on one LSOA vintage, one column per age band.

    LSOAs and age bands in sorted order, each age band's population summed (as
    ``pivot_table(aggfunc="sum")``).
    """
    sel = pop[(pop["year"] == year) & (pop["lsoa_vintage"] == vintage)]
    wide = full_grid_wide(sel, "lsoa_code", "age_band", "population")
    if wide is not None:
        return wide
    wide = sel.pivot_table(
        index="lsoa_code", columns="age_band", values="population", aggfunc="sum"
    ).reset_index()
    wide.columns.name = None
    return wide


def lsoa_wides(pop: pd.DataFrame, keys: list[tuple[int, int]]) -> dict[tuple[int, int],
                                                                         pd.DataFrame]:
    """:func:`lsoa_wide` for each (year, vintage) of ``keys``, from one frame of rows.

    ``lsoa_code`` and ``age_band`` may be categoricals (read from the file's dictionary, so no
    string is built per row): the frames are those :func:`lsoa_wide` gives on text columns.
    Codes are sorted once for all the keys (issue 16: page 03 pivots five years of England's
    LSOAs cold).
    """
    row_codes, row_keys = _sorted_codes(pop["lsoa_code"])
    col_codes, col_keys = _sorted_codes(pop["age_band"])
    year, vintage = pop["year"].to_numpy(), pop["lsoa_vintage"].to_numpy()
    values = pop["population"].to_numpy()
    out = {}
    for y, v in keys:
        mask = (year == y) & (vintage == v)
        wide = _full_grid(row_codes[mask], col_codes[mask], values[mask], row_keys, col_keys,
                          "lsoa_code")
        if wide is None:
            text = pop[mask].astype({"lsoa_code": "str", "age_band": "str"})
            wide = lsoa_wide(text, y, v)
        out[(y, v)] = wide
    return out


def _sorted_codes(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes of a text column by the sorted order of its values (-1: missing), and the values."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        labels = column.cat.categories.to_numpy(dtype=object)
        order = np.argsort(labels, kind="stable")
        rank = np.empty(len(labels) + 1, dtype=np.int64)
        rank[order] = np.arange(len(labels))
        rank[-1] = -1  # a missing value's code -1 stays -1
        return rank[column.cat.codes.to_numpy()], labels[order]
    codes, uniques = pd.factorize(column, sort=True)
    return codes, np.asarray(uniques, dtype=object)


def full_grid_wide(
    rows: pd.DataFrame, index: str, columns: str, values: str
) -> pd.DataFrame | None:
    """``rows`` pivoted (``index`` sorted, one column per sorted ``columns`` value) when they
    hold exactly one value for every pair, as a national table by LSOA and age band does; else
    None (use ``pivot_table``).

    The same frame as ``pivot_table(index=index, columns=columns, values=values,
    aggfunc="sum").reset_index()`` for such rows (``index`` a text column), without its
    group-by: each value is placed by its two sorted codes.
    """
    row_codes, row_keys = _sorted_codes(rows[index])
    col_codes, col_keys = _sorted_codes(rows[columns])
    numbers = rows[values]
    nullable_int = isinstance(numbers.dtype, pd.api.extensions.ExtensionDtype) \
        and numbers.dtype.kind in "iu"
    if nullable_int:  # e.g. Int64 counts: placed as numbers, the columns given their dtype back
        if numbers.isna().any():
            return None
        numbers = numbers.astype(numbers.dtype.numpy_dtype)
    wide = _full_grid(row_codes, col_codes, numbers.to_numpy(), row_keys, col_keys, index)
    if wide is not None and nullable_int:
        wide = wide.astype({c: rows[values].dtype for c in wide.columns if c != index})
    return wide


def _present(codes: np.ndarray, n_codes: int) -> tuple[np.ndarray, np.ndarray]:
    """The codes present, sorted, and each value's position among them (``np.unique`` with
    ``return_inverse``, by counting rather than sorting)."""
    present = np.flatnonzero(np.bincount(codes, minlength=n_codes))
    position = np.full(n_codes, -1, dtype=np.int64)
    position[present] = np.arange(len(present))
    return present, position[codes]


def _full_grid(row_codes: np.ndarray, col_codes: np.ndarray, vals: np.ndarray,
               row_keys: np.ndarray, col_keys: np.ndarray, index: str) -> pd.DataFrame | None:
    """The grid of :func:`full_grid_wide` from sorted codes; None unless every (row, column)
    pair present holds exactly one number."""
    if vals.dtype.kind not in "iuf" or (vals.dtype.kind == "f" and np.isnan(vals).any()):
        return None
    if len(vals) == 0 or (row_codes < 0).any() or (col_codes < 0).any():
        return None
    rows_present, row_at = _present(row_codes, len(row_keys))
    cols_present, col_at = _present(col_codes, len(col_keys))
    n, m = len(rows_present), len(cols_present)
    cell = row_at.astype(np.int64) * m + col_at
    if len(vals) != n * m or np.bincount(cell, minlength=n * m).max() != 1:
        return None
    grid = np.empty(n * m, dtype=vals.dtype)
    grid[cell] = vals
    grid = grid.reshape(n, m)
    out = {index: pd.Series(row_keys[rows_present], dtype="str")}
    out.update({key: grid[:, j] for j, key in enumerate(col_keys[cols_present])})
    return pd.DataFrame(out)


def census_population(
    defn: AreaDefinition, lsoa: pd.DataFrame, la_age: pd.DataFrame
) -> pd.DataFrame:
    """Usual residents and children at the latest census by sub-area, LA and England.

    Parameters
    ----------
    defn : AreaDefinition
        The LA's sub-areas.
    lsoa : pandas.DataFrame
        The census on its LSOAs, from :func:`lsoa_wide`: ``lsoa_code, all, 0-15``.
    la_age : pandas.DataFrame
        ``census_la`` age rows of the same census: ``la_code, category, value`` (children
        aged 0-17 exist only at LA level, with their own total as denominator).

    Returns
    -------
    pandas.DataFrame
        ``area, level, lsoas, residents, children_0_15, pct_0_15, children_0_17, pct_0_17``.
    """
    wide = lsoa.rename(columns={"lsoa_code": "lsoa21_code"}).assign(lsoas=1)
    cols = ["lsoas", "all", "0-15"]
    out = sum_by_area(wide, defn.membership(), "lsoa21_code", cols, defn,
                      _english(wide, "lsoa21_code"))
    out = out.rename(columns={"all": "residents", "0-15": "children_0_15"})
    out["pct_0_15"] = pct(out["children_0_15"], out["residents"])
    ts = {}
    for code, name in ((defn.la_code, defn.la_name), (ENGLAND_CODE, ENGLAND)):
        r = la_age[la_age["la_code"] == code].set_index("category")["value"]
        if {"0-17", "all"} <= set(r.index):
            ts[name] = (int(r["0-17"]), int(r["all"]))
    out["children_0_17"] = [ts.get(a, (np.nan, np.nan))[0] for a in out["area"]]
    out["pct_0_17"] = [pct(*ts[a]) if a in ts else np.nan for a in out["area"]]
    for c in ("lsoas", "residents", "children_0_15"):
        out[c] = out[c].astype("int64")
    out["children_0_17"] = out["children_0_17"].astype("Int64")
    return out


def child_growth(
    defn: AreaDefinition,
    previous: pd.DataFrame,
    latest: pd.DataFrame,
    previous_membership: pd.DataFrame,
) -> pd.DataFrame:
    """Children aged 0-15, previous census to latest census, by sub-area, LA and England.

    Parameters
    ----------
    previous, latest : pandas.DataFrame
        The two censuses on their own LSOAs (:func:`lsoa_wide`): ``lsoa_code, all, 0-15``.
    previous_membership : pandas.DataFrame
        The previous census's LSOAs assigned to sub-areas
        (:func:`~solihull_analytics.geo.sub_areas.lsoa11_membership`):
        ``lsoa11_code, area, split_across_areas``.

    Returns
    -------
    pandas.DataFrame
        ``area, level, children_previous, children_latest, residents_previous,
        residents_latest, lsoas_previous_split, change, pct_change``.
    """
    w11 = previous.rename(columns={"lsoa_code": "lsoa11_code"})
    w21 = latest.rename(columns={"lsoa_code": "lsoa21_code"})
    m11 = previous_membership
    w11 = w11.merge(m11[["lsoa11_code", "split_across_areas"]], on="lsoa11_code", how="left")
    w11["split"] = w11["split_across_areas"].fillna(False).astype(int)
    a = sum_by_area(w11, m11[["lsoa11_code", "area"]], "lsoa11_code", ["0-15", "all", "split"],
                    defn, _english(w11, "lsoa11_code").assign(split=0))
    b = sum_by_area(w21, defn.membership(), "lsoa21_code", ["0-15", "all"], defn,
                    _english(w21, "lsoa21_code"))
    out = pd.DataFrame(
        {
            "area": a["area"],
            "level": a["level"],
            "children_previous": a["0-15"].astype("int64"),
            "children_latest": b["0-15"].astype("int64"),
            "residents_previous": a["all"].astype("int64"),
            "residents_latest": b["all"].astype("int64"),
            "lsoas_previous_split": a["split"].astype("int64"),
        }
    )
    out["change"] = out["children_latest"] - out["children_previous"]
    out["pct_change"] = pct(out["change"], out["children_previous"])
    return out


def ethnicity(defn: AreaDefinition, eth: pd.DataFrame) -> pd.DataFrame:
    """Residents by the five high-level ethnic groups by sub-area, LA and England.

    Parameters
    ----------
    eth : pandas.DataFrame
        ``census_lsoa`` ethnic-group rows: ``lsoa21_code, category, count, total``.

    Returns
    -------
    pandas.DataFrame
        ``area, level, residents, white, non_white, pct_non_white`` and one count column per
        non-White group.
    """
    return ethnicity_by_area(defn, ethnicity_wide(eth))


def ethnicity_wide(eth: pd.DataFrame) -> pd.DataFrame:
    """Ethnic-group rows of ``census_lsoa`` as one row per LSOA: ``lsoa21_code``, one count
    column per group, ``residents`` (the same for every LA: a warm kernel derives it once)."""
    wide = full_grid_wide(eth, "lsoa21_code", "category", "count")
    if wide is None:
        wide = eth.pivot_table(
            index="lsoa21_code", columns="category", values="count", aggfunc="sum"
        ).reset_index()
        wide.columns.name = None
    totals = eth.groupby("lsoa21_code")["total"].first()
    wide["residents"] = wide["lsoa21_code"].map(totals).astype("int64")
    return wide


def ethnicity_by_area(defn: AreaDefinition, wide: pd.DataFrame) -> pd.DataFrame:
    """:func:`ethnicity` from :func:`ethnicity_wide`'s table."""
    groups = [c for c in wide.columns if c not in ("lsoa21_code", "residents")]
    out = sum_by_area(wide, defn.membership(), "lsoa21_code", ["residents", *groups], defn,
                      _english(wide, "lsoa21_code"))
    out["white"] = out[WHITE]
    out["non_white"] = out["residents"] - out["white"]
    out["pct_non_white"] = pct(out["non_white"], out["residents"])
    others = [g for g in groups if g != WHITE]
    out = out[["area", "level", "residents", "white", "non_white", "pct_non_white", *others]]
    for c in ["residents", "white", "non_white", *others]:
        out[c] = out[c].astype("int64")
    return out


def ethnicity_19_la(defn: AreaDefinition, la_eth19: pd.DataFrame) -> pd.DataFrame:
    """Non-White-British and non-White shares for the LA and England (19 groups).

    Parameters
    ----------
    la_eth19 : pandas.DataFrame
        ``census_la`` rows of the 19-group topic: ``la_code, category, value``.

    Returns
    -------
    pandas.DataFrame
        ``area, level, residents, white_british, pct_non_white_british, non_white,
        pct_non_white`` (empty if the LA is not in the table).
    """
    rows = []
    for code, name, level in ((defn.la_code, defn.la_name, "LA"),
                              (ENGLAND_CODE, ENGLAND, "England")):
        sel = la_eth19[la_eth19["la_code"] == code]
        if sel.empty:
            continue
        total = int(sel["value"].sum())
        wb = int(sel.loc[sel["category"].str.startswith(WHITE_BRITISH_PREFIX), "value"].sum())
        white = int(sel.loc[sel["category"].str.startswith("White:"), "value"].sum())
        rows.append({"area": name, "level": level, "residents": total, "white_british": wb,
                     "pct_non_white_british": pct(total - wb, total), "non_white": total - white,
                     "pct_non_white": pct(total - white, total)})
    return pd.DataFrame(rows)


def lone_parents(
    defn: AreaDefinition, hh_lsoa: pd.DataFrame, la_households: pd.DataFrame
) -> pd.DataFrame:
    """Households, and lone-parent households with dependent children where the data allow.

    Parameters
    ----------
    hh_lsoa : pandas.DataFrame
        ``census_lsoa`` household-composition rows (empty without the optional LSOA file).
    la_households : pandas.DataFrame
        ``census_la`` households rows: ``la_code, value`` (LA and England totals).

    Returns
    -------
    pandas.DataFrame
        ``area, level, households, lone_parent_dependent, pct_lone_parent_dependent,
        households_source`` (lone-parent columns NaN without the LSOA file).
    """
    if not hh_lsoa.empty:
        lp = hh_lsoa[hh_lsoa["category"] == LONE_PARENT_CATEGORY]
        lp = lp[["lsoa21_code", "count", "total"]].rename(
            columns={"count": "lone_parent_dependent", "total": "households"})
        out = sum_by_area(lp, defn.membership(), "lsoa21_code",
                          ["households", "lone_parent_dependent"], defn,
                          _english(lp, "lsoa21_code"))
        out["pct_lone_parent_dependent"] = pct(out["lone_parent_dependent"], out["households"])
        out["households_source"] = "TS003 LSOA"
        return out
    la_hh = {c: int(v) for c, v in zip(la_households["la_code"], la_households["value"],
                                       strict=True)}
    out = pd.concat([levels(defn), pd.DataFrame([{"area": ENGLAND, "level": "England"}])],
                    ignore_index=True)
    code = {defn.la_name: defn.la_code, ENGLAND: ENGLAND_CODE}
    out["households"] = [la_hh.get(code.get(a, ""), np.nan) for a in out["area"]]
    out["lone_parent_dependent"] = np.nan
    out["pct_lone_parent_dependent"] = np.nan
    out["households_source"] = ["TS003 LA total" if a in code else "" for a in out["area"]]
    return out


def low_income_year(li_la: pd.DataFrame, estimate_years: list[int], fye: int | None) -> int:
    """The DWP financial year ending to show: ``fye``, or the latest with a 0-15 denominator.

    A financial year ending in April of Y takes the small-area estimate for mid-year Y-1.
    """
    return fye or max(set(li_la["financial_year_ending"]) & {y + 1 for y in estimate_years})


def estimates_0_15(
    defn: AreaDefinition, estimates: pd.DataFrame, previous_membership: pd.DataFrame
) -> pd.DataFrame:
    """Children aged 0-15 from small-area estimates on previous-census LSOAs, by area."""
    w = estimates.rename(columns={"lsoa_code": "lsoa11_code"})
    return sum_by_area(w, previous_membership[["lsoa11_code", "area"]], "lsoa11_code", ["0-15"],
                       defn, _english(w, "lsoa11_code"))


def _lsoa_counts(defn: AreaDefinition, lsoa: pd.DataFrame,
                 previous_membership: pd.DataFrame) -> pd.Series:
    """Sum LSOA counts by sub-area, matching the codes to either LSOA vintage."""
    m21 = defn.membership()
    vals = lsoa.rename(columns={"lsoa_code": "code"})
    m = pd.concat([m21.rename(columns={"lsoa21_code": "code"}),
                   previous_membership.rename(columns={"lsoa11_code": "code"})[["code", "area"]]])
    share21 = vals["code"].isin(m21["lsoa21_code"]).mean()
    m = m.drop_duplicates("code") if share21 >= 0.5 else m.iloc[::-1].drop_duplicates("code")
    return vals.merge(m, on="code").groupby("area")["children"].sum()


def low_income(
    defn: AreaDefinition,
    li_la: pd.DataFrame,
    li_lsoa: pd.DataFrame,
    denominator: pd.DataFrame,
    previous_membership: pd.DataFrame,
) -> pd.DataFrame:
    """Children aged 0-15 in relative low-income families (DWP), count and share, one year.

    Parameters
    ----------
    li_la : pandas.DataFrame
        ``low_income_la_year`` rows of the year, age 0-15: ``la_code, children`` (England = the
        sum of English LAs).
    li_lsoa : pandas.DataFrame
        ``low_income_lsoa_year`` rows of the year, age 0-15 (empty without the LSOA export;
        sub-area counts are then NaN).
    denominator : pandas.DataFrame
        From :func:`estimates_0_15`: ``area, level, 0-15``.

    Returns
    -------
    pandas.DataFrame
        ``area, level, children_low_income, children_0_15, pct_low_income``.
    """
    den = denominator.rename(columns={"0-15": "children_0_15"})
    counts = {
        defn.la_name: li_la.loc[li_la["la_code"] == defn.la_code, "children"].sum(min_count=1),
        ENGLAND: li_la.loc[li_la["la_code"].str.startswith("E"), "children"].sum(min_count=1),
    }
    if not li_lsoa.empty and defn.configured:
        by = _lsoa_counts(defn, li_lsoa, previous_membership)
        for name in defn.names:
            counts[name] = by.get(name, 0)
    den["children_low_income"] = [counts.get(a, np.nan) for a in den["area"]]
    den["children_low_income"] = pd.to_numeric(den["children_low_income"], errors="coerce")
    den["pct_low_income"] = pct(den["children_low_income"], den["children_0_15"])
    den["children_0_15"] = den["children_0_15"].astype("int64")
    den["children_low_income"] = den["children_low_income"].round().astype("Int64")
    return den[["area", "level", "children_low_income", "children_0_15", "pct_low_income"]]


def latest_with_deciles(iod: pd.DataFrame, lsoa_vintage: int, order: list[str]) -> str | None:
    """The latest IoD release (in ``order``) on ``lsoa_vintage`` LSOAs with IDACI deciles."""
    held = iod[(iod["lsoa_vintage"] == lsoa_vintage) & iod["idaci_decile"].notna()]
    held_releases = set(held["release"].unique())  # once: iterating Arrow strings is slow
    labels = [r for r in order if r in held_releases]
    return labels[-1] if labels else None


def _decile_table(g: pd.DataFrame) -> pd.DataFrame:
    """LSOAs and children of ``g`` by IDACI decile 1-10, with their shares."""
    children = g["children"].to_numpy(dtype=float)
    known = children[~np.isnan(children)]
    if (known == np.round(known)).all() and np.abs(known).sum() < 2**53:
        # Whole numbers: the sums are exact in any order, so counting by decile with numpy
        # gives pandas' group sums (missing as 0) for a fraction of the cost (issue 16).
        decile = g["idaci_decile"].to_numpy(dtype=float).astype(np.int64)
        agg = pd.DataFrame({
            "decile": np.arange(1, 11, dtype=np.int64),
            "lsoas": np.bincount(decile, minlength=11)[1:11].astype(np.int64),
            "children": np.bincount(decile, weights=np.nan_to_num(children, nan=0.0),
                                    minlength=11)[1:11].astype(float),
        })
    else:
        agg = g.groupby("idaci_decile").agg(lsoas=("lsoa_code", "size"),
                                            children=("children", "sum"))
        agg = agg.reindex(range(1, 11), fill_value=0)
        agg.index.name = "decile"
        agg = agg.reset_index()
    agg["pct_lsoas"] = pct(agg["lsoas"], agg["lsoas"].sum())
    agg["pct_children"] = pct(agg["children"], agg["children"].sum())
    return agg


def _release_children(
    la: pd.DataFrame, rel: str, vintage: int, census_children: pd.Series, census: tuple[str, int]
) -> tuple[pd.DataFrame, str]:
    """Children per LSOA of one release: its own denominators, else the census on its LSOAs."""
    label, census_vintage = census
    if len(la) and la["children_0_15"].notna().all():
        source = f"{rel} denominators (mid-{int(la['denominator_year'].iloc[0])})"
        return la.assign(children=la["children_0_15"].astype(float)), source
    if vintage == census_vintage:
        return (la.assign(children=la["lsoa_code"].map(census_children).astype(float)),
                f"{label} aged 0-15")
    return la.assign(children=np.nan), "not available"


def idaci_composition(
    defn: AreaDefinition,
    iod: pd.DataFrame,
    releases: tuple[str, ...],
    census_children: pd.Series,
    census: tuple[str, int],
    previous_membership: pd.DataFrame,
) -> pd.DataFrame:
    """LSOAs and children by national IDACI decile (1 = most deprived 10% in England).

    Deciles are the published ``idaci_decile`` of each release. Children are the release's own
    0-15 denominators when present for every LSOA of the LA, otherwise the latest census's
    children aged 0-15 (``census_children``, by LSOA code) for releases on that census's LSOAs.
    Releases on older LSOAs are assigned to sub-areas through ``previous_membership``.

    Parameters
    ----------
    census : (str, int)
        The latest census's label and LSOA vintage.

    Returns
    -------
    pandas.DataFrame
        ``release, area, level, decile, lsoas, children, pct_lsoas, pct_children,
        children_source`` (every decile 1-10 for every area, zeros included).
    """
    m21 = defn.membership().rename(columns={"lsoa21_code": "lsoa_code"})
    m11 = previous_membership.rename(columns={"lsoa11_code": "lsoa_code"})[["lsoa_code", "area"]]
    frames = []
    for rel in releases:
        sel = iod[(iod["release"] == rel) & iod["idaci_decile"].notna()]
        if sel.empty:
            continue
        vintage = int(sel["lsoa_vintage"].iloc[0])
        la = sel.merge(m21 if vintage == census[1] else m11, on="lsoa_code")
        la, source = _release_children(la, rel, vintage, census_children, census)
        groups = [(a, "sub-area", la[la["area"] == a]) for a in defn.names] \
            if defn.configured else []
        groups.append((defn.la_name, "LA", la))
        for name, level, g in groups:
            agg = _decile_table(g)
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
