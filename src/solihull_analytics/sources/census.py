"""Census 2011/2021, ONS small-area population estimates and DWP children in low income families.

Tables
------
``population_lsoa``
    Usual residents by LSOA and age band (Census 2011 KS102EW, Census 2021 age-6, SAPE
    mid-2017/2019/2020 single year of age), long format.
``population_msoa``
    Census 2011 QS103EW and Census 2021 TS007 single year of age at MSOA, summarised to bands.
``census_lsoa``
    Census 2021 ethnic group (5 groups) at 2021 LSOA; household composition (TS003) when the
    optional Nomis LSOA bulk file is present.
``census_la``
    LA-level census measures (age bands, 19 ethnic groups, households) for upper-tier LAs on
    DfE's current codes, with regions and countries.
``low_income_la_year``
    DWP children in relative low income families by upper-tier LA, financial year and age band.
``low_income_lsoa_year``
    The same at LSOA level, from an optional Stat-Xplore export (empty when absent).

All readers locate columns by name and fail with a :class:`~solihull_analytics.build.BuildError`
naming the file and column when a layout changes.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from solihull_analytics.build import BuildError, Inputs, table
from solihull_analytics.sources._common import current_la_code, require_columns, to_number

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


def _read_hierarchy(path: Path) -> pd.DataFrame:
    """Read the LA hierarchy (every LTLA since 2011 with its current upper tier)."""
    h = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    need = ["LADCD", "LADNM", "UTLACD", "UTLANM", "RGNCD", "RGNNM", "CTRYCD", "CTRYNM"]
    require_columns(h, need, path)
    return h[need].drop_duplicates("LADCD")


def _aggregate_ltla(
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
        From :func:`_read_hierarchy`.
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
# population_lsoa
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


def _long_population(
    wide: pd.DataFrame, code_col: str, vintage: int, year: int, source: str, source_id: str
) -> pd.DataFrame:
    long = wide.melt(id_vars=[code_col], var_name="age_band", value_name="population")
    long = long.rename(columns={code_col: "lsoa_code"})
    long["lsoa_vintage"] = vintage
    long["year"] = year
    long["source"] = source
    long["source_id"] = source_id
    return long


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


POPULATION_LSOA_SCHEMA = pa.DataFrameSchema(
    {
        "lsoa_code": pa.Column(str, pa.Check.str_matches(LSOA_CODE)),
        "lsoa_vintage": pa.Column("int64", pa.Check.isin([2011, 2021])),
        "year": pa.Column("int64", pa.Check.in_range(2011, 2030)),
        "source": pa.Column(
            str,
            pa.Check.isin(
                ["census2011", "census2021", "sape_mid2017", "sape_mid2019", "sape_mid2020"]
            ),
        ),
        "age_band": pa.Column(str, pa.Check.isin(list(SINGLE_YEAR_LSOA_BANDS))),
        "population": pa.Column("int64", pa.Check.ge(0)),
        "source_id": pa.Column(str),
    },
    strict=True,
    unique=["lsoa_code", "lsoa_vintage", "source", "age_band"],
)

_SAPE_INPUTS = {
    "sape_mid2017_lsoa11": ("sape_mid2017", 2017),
    "sape_mid2019_lsoa11": ("sape_mid2019", 2019),
    "sape_mid2020_lsoa11": ("sape_mid2020", 2020),
}


@table(
    "population_lsoa",
    inputs=["census2011_ks102_age_lsoa11", "census2021_age6_lsoa21", *_SAPE_INPUTS],
    schema=POPULATION_LSOA_SCHEMA,
    description="Usual residents by LSOA and age band: Census 2011/2021 and SAPE mid-2017/19/20.",
)
def build_population_lsoa(inputs: Inputs) -> pd.DataFrame:
    """Usual residents by LSOA and age band from the censuses and ONS SAPE, long format.

    Age bands: Census 2011 KS102EW gives all, 0-15, 0-17, 16-17; Census 2021 age-6 gives all and
    0-15 only; SAPE single year gives all, 0-15, 0-17, 16-17. England and Wales are both kept.
    """
    parts = [
        _long_population(
            read_ks102_lsoa(inputs.path("census2011_ks102_age_lsoa11")),
            "lsoa11_code", 2011, 2011, "census2011", "census2011_ks102_age_lsoa11",
        ),
        _long_population(
            read_age6_lsoa(inputs.path("census2021_age6_lsoa21")),
            "lsoa21_code", 2021, 2021, "census2021", "census2021_age6_lsoa21",
        ),
    ]
    for entry_id, (source, year) in _SAPE_INPUTS.items():
        parts.append(
            _long_population(
                read_sape_lsoa(inputs.path(entry_id)), "lsoa11_code", 2011, year, source, entry_id
            )
        )
    out = pd.concat(parts, ignore_index=True)
    out["population"] = out["population"].astype("int64")
    cols = ["lsoa_code", "lsoa_vintage", "year", "source", "age_band", "population", "source_id"]
    return out[cols]


# --------------------------------------------------------------------------------------------
# population_msoa
# --------------------------------------------------------------------------------------------

POPULATION_MSOA_SCHEMA = pa.DataFrameSchema(
    {
        "msoa_code": pa.Column(str, pa.Check.str_matches(MSOA_CODE)),
        "msoa_vintage": pa.Column("int64", pa.Check.isin([2011, 2021])),
        "year": pa.Column("int64", pa.Check.isin([2011, 2021])),
        "age_band": pa.Column(str, pa.Check.isin(list(SINGLE_YEAR_AREA_BANDS))),
        "population": pa.Column("int64", pa.Check.ge(0)),
        "source_id": pa.Column(str),
    },
    strict=True,
    unique=["msoa_code", "msoa_vintage", "year", "age_band"],
)


def read_single_year_msoa(path: Path, code_col: str) -> pd.DataFrame:
    """Read a single-year-of-age MSOA file (QS103EW / TS007) into ``msoa_code`` + band columns."""
    raw = pd.read_csv(path, engine="pyarrow")
    require_columns(raw, [code_col, "Total"], path)
    ages = single_year_age_columns(raw.columns)
    bands = sum_age_bands(raw, ages, SINGLE_YEAR_AREA_BANDS, "Total", path)
    bands.insert(0, "msoa_code", raw[code_col].astype(str))
    return bands


@table(
    "population_msoa",
    inputs=["census2011_qs103_age_msoa11", "census2021_ts007_age_msoa21"],
    schema=POPULATION_MSOA_SCHEMA,
    description="Census 2011 (QS103EW) and 2021 (TS007) usual residents by MSOA and age band.",
)
def build_population_msoa(inputs: Inputs) -> pd.DataFrame:
    """Usual residents by MSOA and age band (all, 0-15, 0-17, 0-18), Census 2011 and 2021."""
    parts = []
    for entry_id, code_col, year in (
        ("census2011_qs103_age_msoa11", "msoa11cd", 2011),
        ("census2021_ts007_age_msoa21", "msoa21cd", 2021),
    ):
        wide = read_single_year_msoa(inputs.path(entry_id), code_col)
        long = wide.melt(id_vars=["msoa_code"], var_name="age_band", value_name="population")
        long["msoa_vintage"] = year
        long["year"] = year
        long["source_id"] = entry_id
        parts.append(long)
    out = pd.concat(parts, ignore_index=True)
    out["population"] = out["population"].astype("int64")
    return out[["msoa_code", "msoa_vintage", "year", "age_band", "population", "source_id"]]


# --------------------------------------------------------------------------------------------
# census_lsoa
# --------------------------------------------------------------------------------------------

CENSUS_LSOA_SCHEMA = pa.DataFrameSchema(
    {
        "lsoa21_code": pa.Column(str, pa.Check.str_matches(LSOA_CODE)),
        "topic": pa.Column(str, pa.Check.isin(["ethnic_group", "household_composition"])),
        "category": pa.Column(str),
        "count": pa.Column("Int64", pa.Check.ge(0), nullable=True),
        "total": pa.Column("Int64", pa.Check.ge(0), nullable=True),
        "source_id": pa.Column(str),
    },
    strict=True,
    unique=["lsoa21_code", "topic", "category"],
)


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


@table(
    "census_lsoa",
    inputs=["census2021_ts021_ethnic5_lsoa21"],
    optional_inputs=["census2021_ts003_lsoa21"],
    schema=CENSUS_LSOA_SCHEMA,
    description="Census 2021 by 2021 LSOA: ethnic group (5); household composition if present.",
)
def build_census_lsoa(inputs: Inputs) -> pd.DataFrame:
    """Census 2021 topics at 2021 LSOA, long: counts with the LSOA total for shares."""
    eth = read_ethnic5_lsoa(inputs.path("census2021_ts021_ethnic5_lsoa21"))
    eth["source_id"] = "census2021_ts021_ethnic5_lsoa21"
    parts = [eth]
    ts003 = inputs.optional_path("census2021_ts003_lsoa21")
    if ts003 is not None:
        hh = read_nomis_bulk_lsoa(ts003, "Household composition", "household_composition")
        hh["source_id"] = "census2021_ts003_lsoa21"
        parts.append(hh)
    out = pd.concat(parts, ignore_index=True)
    return out[["lsoa21_code", "topic", "category", "count", "total", "source_id"]]


# --------------------------------------------------------------------------------------------
# census_la
# --------------------------------------------------------------------------------------------

CENSUS_LA_SCHEMA = pa.DataFrameSchema(
    {
        "la_code": pa.Column(str, pa.Check.str_matches(AREA_CODE)),
        "la_name": pa.Column(str, nullable=True),
        "geographic_level": pa.Column(str, pa.Check.isin(["local_authority", "region", "country"])),
        "census_year": pa.Column("int64", pa.Check.isin([2011, 2021])),
        "topic": pa.Column(str, pa.Check.isin(["age", "ethnic_group_19", "households"])),
        "category": pa.Column(str),
        "value": pa.Column("Int64", pa.Check.ge(0)),
        "source_id": pa.Column(str),
    },
    strict=True,
    unique=["la_code", "census_year", "topic", "category"],
)

_TS007_FILES = {
    "census2021_ts007_age_utla": "local_authority",
    "census2021_ts007_age_region": "region",
    "census2021_ts007_age_country": "country",
}


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


def _ts007_la(inputs: Inputs, hierarchy: pd.DataFrame) -> pd.DataFrame:
    parts = []
    for entry_id, level in _TS007_FILES.items():
        wide = read_ts007_nomis(inputs.path(entry_id))
        long = wide.melt(id_vars=["la_code", "la_name"], var_name="category", value_name="value")
        long["geographic_level"] = level
        long["source_id"] = entry_id
        parts.append(long)
    out = pd.concat(parts, ignore_index=True)
    # The region file also lists Wales, which the country file already holds.
    out = out[(out["geographic_level"] != "region") | out["la_code"].str.startswith("E12")]
    is_la = out["geographic_level"] == "local_authority"
    out.loc[is_la, "la_code"] = current_la_code(out.loc[is_la, "la_code"])
    # Upper tiers abolished since 2021 without a 1:1 successor (Cumbria) are rebuilt from LTLAs.
    current = set(hierarchy["UTLACD"].dropna())
    english_or_welsh = out["la_code"].str[0].isin(["E", "W"])
    stale = is_la & english_or_welsh & ~out["la_code"].isin(current)
    out = out[~stale]
    have = set(out.loc[out["geographic_level"] == "local_authority", "la_code"])
    ltla_path = inputs.path("census2021_ts007_age_ltla")
    ltla = read_ts007_nomis(ltla_path).drop(columns="la_name")
    ltla = ltla.melt(id_vars=["la_code"], var_name="category", value_name="value")
    agg = _aggregate_ltla(ltla, "la_code", hierarchy, ltla_path)
    agg = agg[(agg["geographic_level"] == "local_authority") & ~agg["la_code"].isin(have)]
    agg["source_id"] = "census2021_ts007_age_ltla"
    out = pd.concat([out, agg], ignore_index=True)
    out["census_year"] = 2021
    out["topic"] = "age"
    return out


def _ks102_la(inputs: Inputs, hierarchy: pd.DataFrame) -> pd.DataFrame:
    lsoa = read_ks102_lsoa(inputs.path("census2011_ks102_age_lsoa11")).drop(columns="16-17")
    lookup_path = inputs.path("geo_lookup_lsoa11_lsoa21_exact")
    lookup = pd.read_csv(lookup_path, dtype=str, encoding="utf-8-sig")
    require_columns(lookup, ["LSOA11CD", "LAD22CD"], lookup_path)
    lookup = lookup[["LSOA11CD", "LAD22CD"]].drop_duplicates("LSOA11CD")
    merged = lsoa.merge(lookup, left_on="lsoa11_code", right_on="LSOA11CD", how="left")
    if merged["LAD22CD"].isna().any():
        missing = merged.loc[merged["LAD22CD"].isna(), "lsoa11_code"].head(5).tolist()
        raise BuildError(
            f"{lookup_path}: 2011 LSOAs {missing} from KS102EW are not in the LSOA11->LSOA21 "
            "lookup; use a lookup of the same vintage."
        )
    long = merged.drop(columns=["lsoa11_code", "LSOA11CD"]).melt(
        id_vars=["LAD22CD"], var_name="category", value_name="value"
    )
    long = long.groupby(["LAD22CD", "category"], as_index=False, sort=False)["value"].sum()
    out = _aggregate_ltla(long, "LAD22CD", hierarchy, lookup_path)
    out["source_id"] = "census2011_ks102_age_lsoa11"
    out["census_year"] = 2011
    out["topic"] = "age"
    return out


def _ethnic19_la(inputs: Inputs, hierarchy: pd.DataFrame) -> pd.DataFrame:
    path = inputs.path("census2021_ethnic19_ltla21")
    raw = pd.read_csv(path)
    require_columns(raw, ["ltla21_code", "ethnic_group", "value"], path)
    number = raw["ethnic_group"].str.endswith("(number)")
    if not number.any():
        raise BuildError(f"{path}: no '(number)' rows in column 'ethnic_group'.")
    counts = pd.DataFrame(
        {
            "ltla21_code": raw.loc[number, "ltla21_code"].astype(str),
            "category": raw.loc[number, "ethnic_group"]
            .str.replace(r"\s*\(number\)$", "", regex=True)
            .str.strip(),
            "value": raw.loc[number, "value"].round().astype("int64"),
        }
    )
    out = _aggregate_ltla(counts, "ltla21_code", hierarchy, path)
    out["source_id"] = "census2021_ethnic19_ltla21"
    out["census_year"] = 2021
    out["topic"] = "ethnic_group_19"
    return out


def _households_la(inputs: Inputs, hierarchy: pd.DataFrame) -> pd.DataFrame:
    path = inputs.path("census2021_ts003_households_ltla23")
    raw = pd.read_csv(path)
    require_columns(raw, ["ltla23_code", "households"], path)
    counts = pd.DataFrame(
        {
            "ltla23_code": raw["ltla23_code"].astype(str),
            "category": "all",
            "value": raw["households"].astype("int64"),
        }
    )
    out = _aggregate_ltla(counts, "ltla23_code", hierarchy, path)
    out["source_id"] = "census2021_ts003_households_ltla23"
    out["census_year"] = 2021
    out["topic"] = "households"
    return out


@table(
    "census_la",
    inputs=[
        "census2021_ts007_age_utla",
        "census2021_ts007_age_region",
        "census2021_ts007_age_country",
        "census2021_ts007_age_ltla",
        "census2021_ethnic19_ltla21",
        "census2021_ts003_households_ltla23",
        "census2011_ks102_age_lsoa11",
        "geo_lookup_lsoa11_lsoa21_exact",
        "geo_la_hierarchy",
    ],
    schema=CENSUS_LA_SCHEMA,
    description="Census 2011/2021 age bands, 19 ethnic groups and households by upper-tier LA.",
)
def build_census_la(inputs: Inputs) -> pd.DataFrame:
    """Census measures by upper-tier LA (DfE's current codes), region and country, long format.

    Topics: ``age`` (2021 from TS007 at UTLA/region/country, bands all/0-15/0-17/0-18; 2011 from
    KS102EW LSOAs aggregated, bands all/0-15/0-17), ``ethnic_group_19`` (2021 counts summed from
    LTLAs) and ``households`` (2021, summed from 2023 LTLAs). Lower-tier counts are summed to the
    current upper tier with the LA hierarchy, so reorganised areas (Cumberland, North Yorkshire)
    appear on their current codes.
    """
    hierarchy = _read_hierarchy(inputs.path("geo_la_hierarchy"))
    out = pd.concat(
        [
            _ts007_la(inputs, hierarchy),
            _ks102_la(inputs, hierarchy),
            _ethnic19_la(inputs, hierarchy),
            _households_la(inputs, hierarchy),
        ],
        ignore_index=True,
    )
    is_la = out["geographic_level"] == "local_authority"
    out.loc[is_la, "la_code"] = current_la_code(out.loc[is_la, "la_code"])
    out["value"] = out["value"].astype("Int64")
    out["census_year"] = out["census_year"].astype("int64")
    cols = ["la_code", "la_name", "geographic_level", "census_year", "topic", "category",
            "value", "source_id"]
    return out[cols].sort_values(["topic", "census_year", "la_code", "category"]).reset_index(
        drop=True
    )


# --------------------------------------------------------------------------------------------
# DWP children in low income families
# --------------------------------------------------------------------------------------------

_FYE = re.compile(r"^(?P<start>\d{4})/(?P<end>\d{2})(?P<p>\s*\(p\))?$")


def read_statxplore_csv(path: Path | str, text: str | None = None) -> tuple[pd.DataFrame, dict]:
    """Read a DWP Stat-Xplore CSV export (one row per area, one column per year).

    The export starts with metadata lines (title, ``Filters:`` and filter lines such as
    ``"Age of Child (years and bands)","0-4"``), then a header line whose first cell is
    ``Year`` listing the years, each followed by an ``... - Annotations`` column, then a line
    naming the geography dimension, the area rows, a ``Total`` row and footnotes after a blank
    line. ``..`` means nil or negligible and becomes missing.

    Parameters
    ----------
    path : Path or str
        The file (named in errors).
    text : str, optional
        The file content, when already read (used by tests).

    Returns
    -------
    tuple of (pandas.DataFrame, dict)
        Long frame ``area_code, year_label, financial_year_ending, provisional, value``
        (``value`` Int64) and the filters found in the metadata (name to value).
    """
    if text is None:
        text = Path(path).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    header_at = next((i for i, r in enumerate(rows) if r and r[0].strip() == "Year"), None)
    if header_at is None:
        raise BuildError(
            f"{path}: no line starting with \"Year\"; expected a Stat-Xplore table export "
            "with years in columns. Re-export the table as CSV from Stat-Xplore."
        )
    filters = {
        r[0].strip(): r[1].strip()
        for r in rows[:header_at]
        if len(r) >= 2 and r[0].strip() and r[0].strip() != "Default Summation"
    }
    header = rows[header_at]
    year_cols = {
        i: name.strip()
        for i, name in enumerate(header)
        if i > 0 and name.strip() and "annotation" not in name.lower()
    }
    records = []
    for r in rows[header_at + 1 :]:
        if not r or not any(cell.strip() for cell in r):
            break  # a blank line ends the table
        code = r[0].strip()
        if len(r) < 2 or not re.fullmatch(AREA_CODE, code):
            continue  # dimension title, Total and unknown-area rows
        for i, label in year_cols.items():
            records.append((code, label, r[i] if i < len(r) else ""))
    if not records:
        raise BuildError(f"{path}: no area rows keyed by a GSS code after the \"Year\" line.")
    out = pd.DataFrame(records, columns=["area_code", "year_label", "raw"])
    parsed = out["year_label"].str.extract(_FYE)
    if parsed["start"].isna().any():
        bad = out.loc[parsed["start"].isna(), "year_label"].iloc[0]
        raise BuildError(f"{path}: year column {bad!r} is not a financial year like '2020/21'.")
    out["financial_year_ending"] = parsed["start"].astype(int) + 1
    out["provisional"] = parsed["p"].notna()
    out["value"] = to_number(out.pop("raw")).round().astype("Int64")
    return out, filters


LOW_INCOME_LA_SCHEMA = pa.DataFrameSchema(
    {
        "la_code": pa.Column(str, pa.Check.str_matches(r"^[ENSW][0-9]{8}$")),
        "la_name": pa.Column(str, nullable=True),
        "financial_year_ending": pa.Column("int64", pa.Check.in_range(2010, 2040)),
        "provisional": pa.Column(bool),
        "age_band": pa.Column(str, pa.Check.isin(["0-4", "5-10", "11-15", "16", "0-19", "0-15"])),
        "children": pa.Column("Int64", pa.Check.ge(0), nullable=True),
        "source_id": pa.Column(str),
    },
    strict=True,
    unique=["la_code", "financial_year_ending", "age_band"],
)

_CILIF_UTLA = {
    "dwp_cilif_utla_age_0_4": "0-4",
    "dwp_cilif_utla_age_5_10": "5-10",
    "dwp_cilif_utla_age_11_15": "11-15",
    "dwp_cilif_utla_age_16": "16",
    "dwp_cilif_utla_all_ages": "0-19",
}


#: Names of upper-tier codes retired without a 1:1 successor (absent from the LA hierarchy).
RETIRED_UTLA_NAMES = {"E10000006": "Cumbria", "E10000021": "Northamptonshire"}


def _la_names(hierarchy: pd.DataFrame) -> dict[str, str]:
    names = dict(RETIRED_UTLA_NAMES)
    names.update(zip(hierarchy["LADCD"], hierarchy["LADNM"], strict=True))
    names.update(zip(hierarchy["UTLACD"], hierarchy["UTLANM"], strict=True))
    return names


@table(
    "low_income_la_year",
    inputs=[*_CILIF_UTLA, "geo_la_hierarchy"],
    schema=LOW_INCOME_LA_SCHEMA,
    description="DWP children in relative low income families by upper-tier LA, year and age.",
)
def build_low_income_la_year(inputs: Inputs) -> pd.DataFrame:
    """DWP children in relative low income (before housing costs) by upper-tier LA and year.

    ``financial_year_ending`` is the calendar year the financial year ends (2021 for 2020/21);
    ``provisional`` flags years DWP marks "(p)". Age band ``0-15`` is the sum of 0-4, 5-10 and
    11-15 (missing when any part is). Codes for counties that became unitary on the same area are
    replaced by the current code; names come from the LA hierarchy.
    """
    parts = []
    for entry_id, band in _CILIF_UTLA.items():
        long, _ = read_statxplore_csv(inputs.path(entry_id))
        long["age_band"] = band
        long["source_id"] = entry_id
        parts.append(long)
    out = pd.concat(parts, ignore_index=True).rename(columns={"area_code": "la_code"})
    keys = ["la_code", "financial_year_ending", "provisional"]
    young = out[out["age_band"].isin(["0-4", "5-10", "11-15"])]
    under16 = (
        young.groupby(keys, as_index=False)
        .agg(value=("value", lambda s: s.sum() if s.notna().all() and len(s) == 3 else pd.NA),
             source_id=("source_id", lambda s: "+".join(sorted(s))))
    )
    under16["age_band"] = "0-15"
    out = pd.concat([out, under16], ignore_index=True)
    out["la_code"] = current_la_code(out["la_code"])
    names = _la_names(_read_hierarchy(inputs.path("geo_la_hierarchy")))
    out["la_name"] = out["la_code"].map(names).astype("string")
    out["children"] = out["value"].astype("Int64")
    out["financial_year_ending"] = out["financial_year_ending"].astype("int64")
    out["provisional"] = out["provisional"].astype(bool)
    cols = ["la_code", "la_name", "financial_year_ending", "provisional", "age_band", "children",
            "source_id"]
    return out[cols].sort_values(["la_code", "financial_year_ending", "age_band"]).reset_index(
        drop=True
    )


LOW_INCOME_LSOA_SCHEMA = pa.DataFrameSchema(
    {
        "lsoa_code": pa.Column(str, pa.Check.str_matches(LSOA_CODE)),
        "financial_year_ending": pa.Column("int64", pa.Check.in_range(2010, 2040)),
        "provisional": pa.Column(bool),
        "age_band": pa.Column(str),
        "children": pa.Column("Int64", pa.Check.ge(0), nullable=True),
        "source_id": pa.Column(str),
    },
    strict=True,
    unique=["lsoa_code", "financial_year_ending", "age_band"],
)


@table(
    "low_income_lsoa_year",
    inputs=[],
    optional_inputs=["dwp_cilif_lsoa"],
    schema=LOW_INCOME_LSOA_SCHEMA,
    description="DWP children in relative low income by LSOA (optional Stat-Xplore export).",
)
def build_low_income_lsoa_year(inputs: Inputs) -> pd.DataFrame:
    """DWP children in relative low income by LSOA, from an optional Stat-Xplore export.

    Expected file (not in the mirror): Stat-Xplore "Children in Low Income Families - Relative
    Low Income", rows = LSOAs (GSS ``E01``/``W01`` codes in the first column), columns = years
    (``2020/21``, ``2021/22 (p)`` ...), exported as CSV with annotations, optionally filtered on
    ``Age of Child (years and bands)`` (e.g. ``0-15``; no filter = all dependent children 0-19).
    The LSOA vintage is the one Stat-Xplore used for the export (2021 LSOAs in current releases).
    Empty when the file is absent.
    """
    cols = ["lsoa_code", "financial_year_ending", "provisional", "age_band", "children",
            "source_id"]
    path = inputs.optional_path("dwp_cilif_lsoa")
    if path is None:
        empty = pd.DataFrame({c: pd.Series(dtype="str") for c in cols})
        return empty.astype(
            {"financial_year_ending": "int64", "provisional": bool, "children": "Int64"}
        )
    long, filters = read_statxplore_csv(path)
    age = next((v for k, v in filters.items() if k.lower().startswith("age of child")), "0-19")
    out = pd.DataFrame(
        {
            "lsoa_code": long["area_code"],
            "financial_year_ending": long["financial_year_ending"].astype("int64"),
            "provisional": long["provisional"].astype(bool),
            "age_band": age,
            "children": long["value"],
            "source_id": "dwp_cilif_lsoa",
        }
    )
    return out[out["lsoa_code"].str.match(LSOA_CODE)].reset_index(drop=True)
