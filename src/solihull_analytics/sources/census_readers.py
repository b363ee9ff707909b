"""Readers of census and small-area population files, by layout (no tables declared here).

Each reader takes one published file in a known layout and returns a tidy frame; the registry
(``data/releases.yaml``) says which layout each census file has (``layout:``) and
:mod:`solihull_analytics.sources.census` builds the tables from them. All readers locate columns
by name and fail with a :class:`~solihull_analytics.build.BuildError` naming the file and column
when a layout changes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from solihull_analytics.build import BuildError
from solihull_analytics.sources._common import require_columns

LSOA_CODE = r"^[EW]01[0-9]{6}$"
MSOA_CODE = r"^[EW]02[0-9]{6}$"
AREA_CODE = r"^[EWSNK][0-9]{8}$"

#: Age bands (inclusive ages; ``None`` means all ages) reported at LSOA level from single years.
SINGLE_YEAR_LSOA_BANDS: dict[str, tuple[int, int] | None] = {
    "all": None,
    "0-15": (0, 15),
    "0-17": (0, 17),
    "16-17": (16, 17),
}
#: Age bands produced from single-year-of-age files at MSOA and LA level.
SINGLE_YEAR_AREA_BANDS: dict[str, tuple[int, int] | None] = {
    "all": None,
    "0-15": (0, 15),
    "0-17": (0, 17),
    "0-18": (0, 18),
}

#: Category given to the TS003 lone-parent-with-dependent-children cell, whatever its exact label.
LONE_PARENT_DEPENDENT_CATEGORY = (
    "Single family household: Lone parent family: With dependent children"
)
_LONE_PARENT_SUBSTRING = "lone parent family: with dependent children"

# --------------------------------------------------------------------------------------------
# Generic helpers
# --------------------------------------------------------------------------------------------

_SINGLE_YEAR = re.compile(
    r"^(?:Age: )?Aged? (?P<age>under 1|\d+)(?: years?)?(?P<over> and over)?(?:; measures: Value)?$",
    re.IGNORECASE,
)


def single_year_age_columns(columns: Iterable[str]) -> dict[str, int]:
    """Map single-year-of-age column names to the age they count.

    Recognises Nomis (``Age: Aged 7 years; measures: Value``), renamed Nomis
    (``Aged 7 years``, ``Age 7``, ``Age under 1``, ``Age 100 and over``) and SAPE (``7``,
    ``90+``) headers. Subtotal columns such as ``Aged 5 to 9 years`` or
    ``Aged 4 years and under`` are not matched.

    Parameters
    ----------
    columns : iterable of str
        Column names.

    Returns
    -------
    dict of str to int
        Column name to age (the open-ended top band maps to its lower bound).
    """
    found: dict[str, int] = {}
    for col in columns:
        name = str(col).strip()
        if re.fullmatch(r"\d+\+?", name):
            found[col] = int(name.rstrip("+"))
            continue
        m = _SINGLE_YEAR.match(name)
        if m:
            age = m.group("age").lower()
            found[col] = 0 if age == "under 1" else int(age)
    return found


def sum_age_bands(
    df: pd.DataFrame,
    age_columns: Mapping[str, int],
    bands: Mapping[str, tuple[int, int] | None],
    total_column: str | None,
    source_path: Path | str,
) -> pd.DataFrame:
    """Sum single-year columns into bands; return one column per band.

    Parameters
    ----------
    df : pandas.DataFrame
        Wide frame of counts.
    age_columns : mapping of str to int
        Column name to single year of age (from :func:`single_year_age_columns`).
    bands : mapping of str to (int, int) or None
        Band label to inclusive age range; ``None`` means all ages (``total_column``, or the
        sum of every age column when ``total_column`` is None).
    total_column : str or None
        Column holding the all-ages total.
    source_path : Path or str
        File the frame came from (for error messages).

    Returns
    -------
    pandas.DataFrame
        Same index as ``df``, one int64 column per band.
    """
    out = {}
    for label, rng in bands.items():
        if rng is None:
            if total_column is not None:
                out[label] = pd.to_numeric(df[total_column]).astype("int64")
            else:
                out[label] = df[list(age_columns)].sum(axis=1).astype("int64")
            continue
        lo, hi = rng
        cols = [c for c, age in age_columns.items() if lo <= age <= hi]
        if len(cols) != hi - lo + 1:
            raise BuildError(
                f"{source_path}: expected single-year columns for ages {lo}-{hi}, found "
                f"{len(cols)}. The layout may have changed; check the age column headers."
            )
        out[label] = df[cols].apply(pd.to_numeric).sum(axis=1).astype("int64")
    return pd.DataFrame(out, index=df.index)


def read_hierarchy(path: Path) -> pd.DataFrame:
    """Read the LA hierarchy (every LTLA since 2011 with its current upper tier)."""
    h = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    need = ["LADCD", "LADNM", "UTLACD", "UTLANM", "RGNCD", "RGNNM", "CTRYCD", "CTRYNM"]
    require_columns(h, need, path)
    return h[need].drop_duplicates("LADCD")


def aggregate_ltla(
    values: pd.DataFrame, code_col: str, hierarchy: pd.DataFrame, source_path: Path | str
) -> pd.DataFrame:
    """Aggregate additive LTLA counts to current upper-tier LA, region and country.

    Parameters
    ----------
    values : pandas.DataFrame
        Columns ``code_col``, ``category``, ``value`` (counts).
    code_col : str
        Column of lower-tier codes.
    hierarchy : pandas.DataFrame
        From :func:`read_hierarchy`.
    source_path : Path or str
        For error messages.

    Returns
    -------
    pandas.DataFrame
        ``la_code, la_name, geographic_level, category, value``.
    """
    merged = values.merge(hierarchy, left_on=code_col, right_on="LADCD", how="left")
    unknown = merged.loc[merged["UTLACD"].isna(), code_col].unique()
    if len(unknown):
        raise BuildError(
            f"{source_path}: lower-tier codes {', '.join(map(str, unknown[:5]))} are not in the "
            "LA hierarchy (geo_la_hierarchy); update the hierarchy file."
        )
    parts = []
    for level, code, name in (
        ("local_authority", "UTLACD", "UTLANM"),
        ("region", "RGNCD", "RGNNM"),
        ("country", "CTRYCD", "CTRYNM"),
    ):
        sub = merged
        if level == "region":
            sub = merged[merged["RGNCD"].fillna("").str.startswith("E12")]
        g = sub.groupby([code, name, "category"], as_index=False, sort=False)["value"].sum()
        g = g.rename(columns={code: "la_code", name: "la_name"})
        g["geographic_level"] = level
        parts.append(g)
    return pd.concat(parts, ignore_index=True)


# --------------------------------------------------------------------------------------------
# Age by LSOA (census and small-area estimates) and by MSOA
# --------------------------------------------------------------------------------------------

_KS102_BANDS = {
    "all": "Age: All usual residents; measures: Value",
    "0-4": "Age: Age 0 to 4; measures: Value",
    "5-7": "Age: Age 5 to 7; measures: Value",
    "8-9": "Age: Age 8 to 9; measures: Value",
    "10-14": "Age: Age 10 to 14; measures: Value",
    "15": "Age: Age 15; measures: Value",
    "16-17": "Age: Age 16 to 17; measures: Value",
}


def read_ks102_lsoa(path: Path) -> pd.DataFrame:
    """Read Census 2011 KS102EW at LSOA into ``lsoa11_code`` + bands all, 0-15, 0-17, 16-17."""
    raw = pd.read_csv(path, usecols=lambda c: c == "geography code" or c in _KS102_BANDS.values())
    require_columns(raw, ["geography code", *_KS102_BANDS.values()], path)
    c = {k: raw[v].astype("int64") for k, v in _KS102_BANDS.items()}
    under16 = c["0-4"] + c["5-7"] + c["8-9"] + c["10-14"] + c["15"]
    return pd.DataFrame(
        {
            "lsoa11_code": raw["geography code"].astype(str),
            "all": c["all"],
            "0-15": under16,
            "0-17": under16 + c["16-17"],
            "16-17": c["16-17"],
        }
    )


def read_sape_lsoa(path: Path) -> pd.DataFrame:
    """Read an ONS SAPE single-year LSOA file (only the columns needed) into band columns."""
    wanted = ["lsoa11_code", "total_population", *(str(a) for a in range(18))]
    require_columns(pd.read_csv(path, nrows=0), wanted, path)
    raw = pd.read_csv(path, usecols=wanted, engine="pyarrow")
    ages = single_year_age_columns([c for c in raw.columns if c not in ("lsoa11_code",)])
    ages.pop("total_population", None)
    bands = sum_age_bands(raw, ages, SINGLE_YEAR_LSOA_BANDS, "total_population", path)
    bands.insert(0, "lsoa11_code", raw["lsoa11_code"].astype(str))
    return bands


def read_age6_lsoa(path: Path) -> pd.DataFrame:
    """Read Census 2021 age (6 categories) at LSOA into ``lsoa21_code`` + bands all, 0-15."""
    raw = pd.read_csv(path, engine="pyarrow")
    require_columns(raw, ["lsoa21_code", "age_group", "usual_residents"], path)
    under16 = raw["age_group"].str.contains("15 years and under", case=False, regex=False)
    if not under16.any():
        raise BuildError(
            f"{path}: no 'Aged 15 years and under' rows in column 'age_group'; "
            "the age classification may have changed."
        )
    total = raw.groupby("lsoa21_code", sort=False)["usual_residents"].sum()
    child = raw[under16].groupby("lsoa21_code", sort=False)["usual_residents"].sum()
    out = pd.DataFrame({"all": total, "0-15": child.reindex(total.index)}).reset_index()
    return out


def read_single_year_msoa(path: Path, code_col: str) -> pd.DataFrame:
    """Read a single-year-of-age MSOA file (QS103EW / TS007) into ``msoa_code`` + band columns."""
    raw = pd.read_csv(path, engine="pyarrow")
    require_columns(raw, [code_col, "Total"], path)
    ages = single_year_age_columns(raw.columns)
    bands = sum_age_bands(raw, ages, SINGLE_YEAR_AREA_BANDS, "Total", path)
    bands.insert(0, "msoa_code", raw[code_col].astype(str))
    return bands


# --------------------------------------------------------------------------------------------
# Census topics at LSOA and LA level
# --------------------------------------------------------------------------------------------

def read_ethnic5_lsoa(path: Path) -> pd.DataFrame:
    """Read Census 2021 TS021 (5 groups) at LSOA into the ``census_lsoa`` layout."""
    raw = pd.read_csv(path, engine="pyarrow")
    require_columns(raw, ["lsoa21_code", "total_residents", "ethnic_group", "n"], path)
    return pd.DataFrame(
        {
            "lsoa21_code": raw["lsoa21_code"].astype(str),
            "topic": "ethnic_group",
            "category": raw["ethnic_group"].astype(str),
            "count": raw["n"].astype("Int64"),
            "total": raw["total_residents"].astype("Int64"),
        }
    )


def read_nomis_bulk_lsoa(path: Path, prefix: str, topic: str) -> pd.DataFrame:
    """Read a Nomis Census 2021 bulk CSV at LSOA (e.g. ``census2021-ts003-lsoa.csv``).

    Expected layout: ``date``, ``geography``, ``geography code``, then one column per category
    named ``"<prefix>: <category>; measures: Value"``, the first being ``"<prefix>: Total ..."``.
    Categories are returned by their label; the TS003 column containing
    ``Lone parent family: With dependent children`` is given the category
    :data:`LONE_PARENT_DEPENDENT_CATEGORY`.

    Parameters
    ----------
    path : Path
        The CSV.
    prefix : str
        Column prefix, e.g. ``"Household composition"``.
    topic : str
        Topic written to the output.

    Returns
    -------
    pandas.DataFrame
        ``lsoa21_code, topic, category, count, total``.
    """
    raw = pd.read_csv(path, engine="pyarrow")
    require_columns(raw, ["geography code"], path)
    value_cols = [c for c in raw.columns if str(c).lower().startswith(prefix.lower() + ":")]
    total_cols = [c for c in value_cols if re.search(r":\s*Total\b", str(c), re.IGNORECASE)]
    if not value_cols or not total_cols:
        raise BuildError(
            f"{path}: no columns starting '{prefix}:' (with a Total column); expected the Nomis "
            "bulk layout (date, geography, geography code, '<topic>: <category>; measures: Value')."
        )
    total = raw[total_cols[0]].astype("Int64")
    parts = []
    for col in value_cols:
        if col == total_cols[0]:
            continue
        label = re.sub(r";\s*measures:.*$", "", str(col))[len(prefix) + 1 :].strip()
        if _LONE_PARENT_SUBSTRING in label.lower():
            label = LONE_PARENT_DEPENDENT_CATEGORY
        parts.append(
            pd.DataFrame(
                {
                    "lsoa21_code": raw["geography code"].astype(str),
                    "topic": topic,
                    "category": label,
                    "count": raw[col].astype("Int64"),
                    "total": total,
                }
            )
        )
    out = pd.concat(parts, ignore_index=True)
    if not (out["category"] == LONE_PARENT_DEPENDENT_CATEGORY).any() and topic == (
        "household_composition"
    ):
        raise BuildError(
            f"{path}: no column contains 'Lone parent family: With dependent children'; "
            "check the TS003 category labels."
        )
    return out[out["lsoa21_code"].str.match(LSOA_CODE)]


def read_ts007_nomis(path: Path) -> pd.DataFrame:
    """Read a Nomis TS007 single-year bulk CSV into code, name and band columns."""
    raw = pd.read_csv(path)
    total = "Age: Total; measures: Value"
    require_columns(raw, ["geography", "geography code", total], path)
    bands = sum_age_bands(
        raw, single_year_age_columns(raw.columns), SINGLE_YEAR_AREA_BANDS, total, path
    )
    bands.insert(0, "la_name", raw["geography"].astype(str))
    bands.insert(0, "la_code", raw["geography code"].astype(str))
    return bands



def read_ethnic19_la(path: Path, code_col: str) -> pd.DataFrame:
    """Read the census ethnic group (19 groups) LA file: ``code_col, category, value`` counts."""
    raw = pd.read_csv(path)
    require_columns(raw, [code_col, "ethnic_group", "value"], path)
    number = raw["ethnic_group"].str.endswith("(number)")
    if not number.any():
        raise BuildError(f"{path}: no '(number)' rows in column 'ethnic_group'.")
    return pd.DataFrame(
        {
            code_col: raw.loc[number, code_col].astype(str),
            "category": raw.loc[number, "ethnic_group"]
            .str.replace(r"\s*\(number\)$", "", regex=True)
            .str.strip(),
            "value": raw.loc[number, "value"].round().astype("int64"),
        }
    )


def read_households_la(path: Path, code_col: str) -> pd.DataFrame:
    """Read the census households-by-LA file: ``code_col, category ("all"), value``."""
    raw = pd.read_csv(path)
    require_columns(raw, [code_col, "households"], path)
    return pd.DataFrame(
        {
            code_col: raw[code_col].astype(str),
            "category": "all",
            "value": raw["households"].astype("int64"),
        }
    )

