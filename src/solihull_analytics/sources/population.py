"""ONS mid-year population estimates of children by local authority, region and England.

``population_la_year`` holds every estimate of the child population found in the catalogue,
one row per area, mid-year, age band and vintage, so that rate calculations can choose their
denominator explicitly (this module does not choose):

The vintages, their order and their files (with each file's layout) are listed in the release
registry (``data/releases.yaml``, kind ``population``); as registered today:

======================  =====================================  ==========  ======  =========
vintage                 source                                 mid-years   ages    rounding
======================  =====================================  ==========  ======  =========
census2021_rebased      pop_0_17_la_2012_2024_rebased (DfE)    2012-2024   0-17    none
pre_census2021          pop_0_17_la_2012_2020_pre_rebasing     2012-2020   0-17    none
pre_census2021          cla_sfr27_2010_march (Mid2009Pop0-17)  2009        0-17    100 (10)
pre_census2021          cin_osr26_2011 (Mid2010Pop0-17)        2010        0-17    none
pre_census2021          pop_statxplore_la_age_* (DWP)          2008-2020   0-16    none
pre_census2021_revised  ons_mye_la_sya_mid1997_mid2020 (Nomis) 1997-2020   0-17    none
mye2022_first_release   ons_mye_mid2022_first_release          2022        0-17    none
mye2023_first_release   ons_mye_mid2023_first_release          2023        0-17    none
======================  =====================================  ==========  ======  =========

The Stat-Xplore files give ages 0-4, 5-9, 10-14, 15 and 16 only: their sum is labelled
``age_band`` "0-16" and must not be used as a 0-17 denominator. They list lower-tier
authorities by name on April-2021 boundaries; names are matched to codes through the ONS
hierarchy (``geo_la_hierarchy``) and summed to the current upper-tier authority, region and
England.

The Nomis single-year-of-age file (vintage ``pre_census2021_revised``) is ONS's pre-Census-2021
series as it stood in 2022: mid-2001 to mid-2010 are the estimates ONS revised after the 2011
Census, so they differ slightly from the figures DfE published at the time (vintage
``pre_census2021``, e.g. Solihull mid-2010 44,978 against 44,881); mid-2012 to mid-2020 equal
DfE's pre-rebasing denominators. It lists districts on April-2021 boundaries, summed here to
the current upper-tier authority, region and England; the two counties split since 2019
(Cumbria, Northamptonshire) are also summed from their districts, for the years DfE reported
them.

DfE's rate for 31 March of year Y uses the estimate for mid-(Y-1) (see ``cla_la_year``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from solihull_analytics import releases
from solihull_analytics.build import BuildError, Inputs, table
from solihull_analytics.constants import ENGLAND_CODE
from solihull_analytics.sources._common import current_la_code, require_columns, to_number

NATIONAL, REGIONAL, LOCAL = "National", "Regional", "Local authority"
#: Geographic levels as every processed table names them (EES files say National/Regional/...).
OUTPUT_LEVEL = {NATIONAL: "country", REGIONAL: "region", LOCAL: "local_authority"}
ENGLAND_NAME = "England"
AGE_0_17, AGE_0_16 = "0-17", "0-16"

#: Counties abolished after April 2021 whose districts the Nomis file still lists, so that
#: their children-looked-after rates (reported under the county code) get a denominator.
FORMER_COUNTIES = {
    "E10000006": ("Cumbria", ("E06000063", "E06000064")),  # split April 2023
    "E10000021": ("Northamptonshire", ("E06000061", "E06000062")),  # split April 2021
}
#: File layouts this module reads (``layout`` of a population file in the release registry).
LAYOUTS = ("dfe_population", "dfe_underlying_population", "ons_mye_workbook", "statxplore",
           "nomis_sya")


def population_inputs() -> list[str]:
    """Catalogue ids of every population file the registry lists in a known layout."""
    return [*releases.file_ids("population", layouts=LAYOUTS), "geo_la_hierarchy"]


OUTPUT_COLUMNS = [
    "la_code",
    "la_name",
    "geographic_level",
    "mid_year",
    "age_band",
    "population",
    "vintage",
    "source_id",
    "rounded_to",
]


def _read_csv_text(path: Path) -> pd.DataFrame:
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except UnicodeDecodeError:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="latin-1")
    df.columns = [str(c).strip() for c in df.columns]
    return df


def normalise_name(name: object) -> str:
    """Matching key for an area name: lower case, letters only, "&" as "and", no "the".

    Bilingual Welsh names ("Cardiff / Caerdydd") are reduced to their English part.
    """
    if not isinstance(name, str):
        return ""
    text = name.split(" / ")[0].strip().lower().replace("&", " and ").replace(", city of", "")
    text = re.sub(r"[^a-z ]+", " ", text)
    return " ".join(w for w in text.split() if w not in {"the", "of", "county", "borough"})


# ----------------------------------------------------------------------------------------------
# DfE EES population files (2012-2024 rebased, 2012-2020 pre-rebasing)
# ----------------------------------------------------------------------------------------------


def read_dfe_population(path: Path, vintage: str, source_id: str) -> pd.DataFrame:
    """Read a DfE/EES file of ONS 0-17 estimates (``time_period`` is the mid-year)."""
    df = _read_csv_text(path)
    require_columns(
        df,
        ["time_period", "geographic_level", "country_code", "region_code", "region_name",
         "new_la_code", "la_name", "population_estimate"],
        path,
    )
    if "age_group" in df:
        ages = df["age_group"].str.lower()
        if not ages.str.contains("0 to 17").all():
            raise BuildError(
                f"{path}: column age_group holds {sorted(ages.unique())[:5]}, expected only "
                "'Children aged 0 to 17 years'. Check the file against its catalogue entry."
            )
    df = df[df["geographic_level"].isin([NATIONAL, REGIONAL, LOCAL])]
    df = df[~(df["geographic_level"].eq(REGIONAL) & ~df["region_code"].str.startswith("E12"))]
    population = to_number(df["population_estimate"])
    df, population = df[population.notna()], population[population.notna()]
    is_la = df["geographic_level"].eq(LOCAL)
    is_region = df["geographic_level"].eq(REGIONAL)
    code = df["country_code"].where(~is_region, df["region_code"])
    code = code.where(~is_la, current_la_code(df["new_la_code"]))
    name = pd.Series(ENGLAND_NAME, index=df.index).where(~is_region, df["region_name"])
    name = name.where(~is_la, df["la_name"])
    out = pd.DataFrame(
        {
            "la_code": code,
            "la_name": name,
            "geographic_level": df["geographic_level"],
            "mid_year": pd.to_numeric(df["time_period"].str[:4]).astype(int),
            "age_band": AGE_0_17,
            "population": population.round().astype("int64"),
            "vintage": vintage,
            "source_id": source_id,
            "rounded_to": 1,
        }
    )
    return out


def old_code_lookup(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """DfE 3-digit code -> current code and name, from DfE files (latest file last)."""
    parts = []
    for rank, df in enumerate(frames):
        la = df[df["geographic_level"] == LOCAL][["old_la_code", "new_la_code", "la_name",
                                                  "time_period"]]
        parts.append(la.assign(rank=rank))
    rows = pd.concat(parts).sort_values(["rank", "time_period"])
    rows = rows.drop_duplicates("old_la_code", keep="last")
    rows["la_code"] = current_la_code(rows["new_la_code"])
    return rows.set_index(rows["old_la_code"].str.strip())[["la_code", "la_name"]]


# ----------------------------------------------------------------------------------------------
# SFR 27/2010 (mid-2009) and CIN OSR 26/2011 (mid-2010) underlying files
# ----------------------------------------------------------------------------------------------


def read_dfe_underlying_population(
    path: Path,
    column: str,
    mid_year: int,
    source_id: str,
    lookup: pd.DataFrame,
    region_codes: dict[str, str],
    rounded_to: int,
    vintage: str,
) -> pd.DataFrame:
    """Read the ONS 0-17 estimate carried by a 2010/2011 DfE underlying file.

    Rows are England (``geog_l`` National), regions (matched by name) and authorities (3-digit
    ``geog_c``); Inner/Outer London are dropped. Numbers may have thousands separators.
    """
    df = _read_csv_text(path)
    require_columns(df, ["geog_l", "geog_c", "geog_n", column], path)
    df = df.drop_duplicates(["geog_l", "geog_c", "geog_n"])
    level = df["geog_l"].str.strip().str.upper()
    names = df["geog_n"].map(normalise_name)
    is_england = level.eq("NATIONAL") | names.eq("england")
    is_la = level.eq("LA") & df["geog_c"].str.strip().str.fullmatch(r"\d{3}")
    region = names.map(region_codes)
    is_region = ~is_england & ~is_la & region.notna()
    keep = is_england | is_la | is_region
    codes = df["geog_c"].str.strip()
    unknown = is_la & ~codes.isin(lookup.index)
    if unknown.any():
        raise BuildError(
            f"{path}: DfE authority code(s) {codes[unknown].tolist()[:8]} (column geog_c) are not "
            "in the DfE population files used to map codes. Add the mapping or check the file."
        )
    out = pd.DataFrame(index=df.index)
    out["la_code"] = codes.map(lookup["la_code"]).where(is_la)
    out.loc[is_region, "la_code"] = region[is_region]
    out.loc[is_england, "la_code"] = ENGLAND_CODE
    out["la_name"] = df["geog_n"].str.strip()
    out.loc[is_la, "la_name"] = codes[is_la].map(lookup["la_name"])
    out.loc[is_england, "la_name"] = ENGLAND_NAME
    out["geographic_level"] = LOCAL
    out.loc[is_region, "geographic_level"] = REGIONAL
    out.loc[is_england, "geographic_level"] = NATIONAL
    out["mid_year"] = mid_year
    out["age_band"] = AGE_0_17
    out["population"] = to_number(df[column])
    out["vintage"] = vintage
    out["source_id"] = source_id
    out["rounded_to"] = rounded_to
    out = out[keep & out["population"].notna()]
    out["population"] = out["population"].round().astype("int64")
    if rounded_to == 100:
        # Values under 1,000 (City of London, Isles of Scilly) are given to the nearest 10.
        out.loc[out["population"] < 1000, "rounded_to"] = 10
    return out


# ----------------------------------------------------------------------------------------------
# ONS MYE workbooks (sheet "MYE2 - Persons")
# ----------------------------------------------------------------------------------------------

UPPER_TIER = re.compile(r"^(E92000001|E12\d{6}|E06\d{6}|E08\d{6}|E09\d{6}|E10\d{6})$")


def _column_labels(header: pd.Series) -> dict[object, object]:
    """Column -> label from a header row: ages as ``int`` ("0", "17.0"), other text lower-case."""
    labels: dict[object, object] = {}
    for column, value in header.items():
        text = str(value).strip()
        if re.fullmatch(r"\d+(\.0)?", text):
            labels[column] = int(float(text))
        else:
            labels[column] = text.lower()
    return labels


def read_ons_mye_workbook(path: Path, mid_year: int, vintage: str, source_id: str) -> pd.DataFrame:
    """Sum ages 0-17 for England, regions and upper-tier authorities from "MYE2 - Persons".

    The header row is found by content (the row holding "Code" and "Name"); age columns are
    the headers 0 to 17 (stored as numbers in ONS workbooks).
    """
    sheet = "MYE2 - Persons"
    try:
        raw = pd.read_excel(path, sheet_name=sheet, header=None, engine="calamine")
    except ValueError as exc:
        raise BuildError(
            f"{path}: no sheet {sheet!r} ({exc}). ONS may have renamed the sheet: check the "
            "workbook against its catalogue entry and update read_ons_mye_workbook."
        ) from exc
    first_cells = raw.iloc[:40].map(lambda v: str(v).strip().lower() if pd.notna(v) else "")
    header_rows = [i for i in first_cells.index
                   if {"code", "name"} <= set(first_cells.loc[i].tolist())]
    if not header_rows:
        raise BuildError(
            f"{path}, sheet {sheet!r}: no header row with 'Code' and 'Name' in the first 40 rows. "
            "The layout changed: update read_ons_mye_workbook."
        )
    title = " ".join(str(v) for v in raw.iloc[:3, 0].dropna())
    if f"mid-{mid_year}" not in title.lower():
        raise BuildError(
            f"{path}, sheet {sheet!r}: the title {title[:120]!r} does not mention mid-{mid_year}. "
            "Check that the catalogue entry points at the right workbook."
        )
    labels = _column_labels(raw.loc[header_rows[0]])
    body = raw.loc[header_rows[0] + 1 :].rename(columns=labels)
    ages = list(range(18))
    missing = [a for a in ["code", "name", *ages] if a not in body.columns]
    if missing:
        raise BuildError(
            f"{path}, sheet {sheet!r}: header lacks column(s) {missing}. The layout changed: "
            "update read_ons_mye_workbook."
        )
    body = body[body["code"].astype(str).str.match(UPPER_TIER)]
    population = body[ages].apply(pd.to_numeric, errors="raise").sum(axis=1)
    code = body["code"].astype(str)
    level = pd.Series(LOCAL, index=body.index)
    level[code.str.startswith("E12")] = REGIONAL
    level[code.eq(ENGLAND_CODE)] = NATIONAL
    name = body["name"].astype(str).str.strip()
    name[code.eq(ENGLAND_CODE)] = ENGLAND_NAME
    region_rows = code.str.startswith("E12")
    name[region_rows] = name[region_rows].str.title().str.replace(" And The ", " and The ")
    return pd.DataFrame(
        {
            "la_code": code,
            "la_name": name,
            "geographic_level": level,
            "mid_year": mid_year,
            "age_band": AGE_0_17,
            "population": population.round().astype("int64"),
            "vintage": vintage,
            "source_id": source_id,
            "rounded_to": 1,
        }
    )


# ----------------------------------------------------------------------------------------------
# DWP Stat-Xplore CSVs (lower-tier authorities by name, one file per age group)
# ----------------------------------------------------------------------------------------------


def parse_statxplore_csv(path: Path | str, text: str | None = None) -> pd.DataFrame:
    """Parse a Stat-Xplore table export: area name by "Mid-YYYY" columns.

    Parameters
    ----------
    path : Path or str
        The CSV (read unless ``text`` is given; named in errors).
    text : str, optional
        The file's content.

    Returns
    -------
    pandas.DataFrame
        Columns ``area_name``, ``mid_year`` (int), ``population`` (int); the "Total" row and the
        metadata and footer lines are dropped.
    """
    if text is None:
        text = Path(path).read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    header_index = next(
        (i for i, line in enumerate(lines) if line.startswith('"Year"')), None
    )
    if header_index is None:
        raise BuildError(
            f"{path}: no header line starting with \"Year\" (Stat-Xplore layout). The export "
            "layout changed: re-export as CSV with Year across the columns."
        )
    import csv

    header = next(csv.reader([lines[header_index]]))
    years = {i: int(m.group(1)) for i, h in enumerate(header)
             if (m := re.fullmatch(r"Mid-(\d{4})", h.strip()))}
    if not years:
        raise BuildError(f"{path}: the \"Year\" header has no Mid-YYYY columns.")
    records = []
    for row in csv.reader(lines[header_index + 1 :]):
        if len(row) <= max(years) or not row[0].strip():
            if records and not any(c.strip() for c in row):
                break  # blank line after the table: the footer follows
            continue
        name = row[0].strip()
        if name == "Total":
            continue
        for i, year in years.items():
            records.append((name, year, row[i].strip()))
    out = pd.DataFrame(records, columns=["area_name", "mid_year", "population"])
    values = to_number(out["population"])
    if values.isna().any():
        bad = out.loc[values.isna(), "area_name"].unique()[:5].tolist()
        raise BuildError(f"{path}: non-numeric population for {bad}. Check the export.")
    out["population"] = values.round().astype("int64")
    return out


def read_statxplore(
    paths: list[Path], hierarchy_path: Path, vintage: str, source_ids: list[str]
) -> pd.DataFrame:
    """Sum the Stat-Xplore age files to 0-16 and aggregate to upper tier, region and England."""
    parts = [parse_statxplore_csv(p) for p in paths]
    ages = pd.concat(parts).groupby(["area_name", "mid_year"], as_index=False)["population"].sum()
    counts = pd.concat(parts).groupby(["area_name", "mid_year"]).size()
    if (counts != len(paths)).any():
        short = counts[counts != len(paths)].index.get_level_values(0).unique()[:5].tolist()
        raise BuildError(
            f"{paths[0].parent}: areas {short} are missing from some Stat-Xplore age files; "
            "all five files must list the same areas and years."
        )
    hierarchy = _read_csv_text(hierarchy_path)
    require_columns(hierarchy, ["LADNM", "LADNM_ACTIVE", "UTLACD", "UTLANM", "RGNCD", "RGNNM",
                                "CTRYCD"], hierarchy_path)
    names = pd.concat([
        hierarchy[["LADNM", "UTLACD", "UTLANM", "RGNCD", "RGNNM", "CTRYCD"]],
        hierarchy[["LADNM_ACTIVE", "UTLACD", "UTLANM", "RGNCD", "RGNNM", "CTRYCD"]].rename(
            columns={"LADNM_ACTIVE": "LADNM"}),
    ])
    names["key"] = names["LADNM"].map(normalise_name)
    names = names.drop_duplicates(["key", "UTLACD"])
    ambiguous = names["key"].duplicated(keep=False)
    names = names[~ambiguous]
    ages["key"] = ages["area_name"].map(normalise_name)
    matched = ages.merge(names, on="key", how="left")
    unmatched = matched[matched["UTLACD"].isna()]["area_name"].unique()
    # Names not in the hierarchy are outside England/Wales or lower-tier names the hierarchy
    # spells differently; any English one would lose population, so stop on those.
    english_like = [n for n in unmatched if not _is_outside_england(n)]
    if english_like:
        raise BuildError(
            f"{paths[0]}: Stat-Xplore area name(s) {english_like[:8]} could not be matched to "
            f"{hierarchy_path.name} (columns LADNM/LADNM_ACTIVE). Add the spelling or update "
            "the hierarchy file."
        )
    england = matched[matched["CTRYCD"].eq(ENGLAND_CODE)]
    la = england.groupby(["UTLACD", "UTLANM", "mid_year"], as_index=False)["population"].sum()
    la = la.rename(columns={"UTLACD": "la_code", "UTLANM": "la_name"}).assign(
        geographic_level=LOCAL)
    la["la_code"] = current_la_code(la["la_code"])  # DfE's codes (Barnsley, Sheffield)
    rgn = england.groupby(["RGNCD", "RGNNM", "mid_year"], as_index=False)["population"].sum()
    rgn = rgn.rename(columns={"RGNCD": "la_code", "RGNNM": "la_name"}).assign(
        geographic_level=REGIONAL)
    eng = england.groupby("mid_year", as_index=False)["population"].sum().assign(
        la_code=ENGLAND_CODE, la_name=ENGLAND_NAME, geographic_level=NATIONAL)
    out = pd.concat([eng, rgn, la], ignore_index=True)
    out["age_band"] = AGE_0_16
    out["vintage"] = vintage
    out["source_id"] = "+".join(source_ids)
    out["rounded_to"] = 1
    return out[OUTPUT_COLUMNS]


#: Stat-Xplore names of Scottish council areas and Northern Irish districts not in the
#: hierarchy's England/Wales spelling; they are dropped (this table covers England).
def _is_outside_england(name: str) -> bool:
    scottish_or_ni = {
        "na h eileanan siar", "city edinburgh", "aberdeen city", "dundee city", "glasgow city",
        "derry city and strabane", "armagh city banbridge and craigavon",
    }
    return normalise_name(name) in scottish_or_ni


# ----------------------------------------------------------------------------------------------
# ONS single year of age by district (Nomis NM_2002_1), mid-1997 to mid-2020
# ----------------------------------------------------------------------------------------------


def district_children(path: Path) -> pd.DataFrame:
    """Children aged 0-17 by English district and mid-year from the Nomis single-year-of-age export.

    Returns
    -------
    pandas.DataFrame
        ``lad_code``, ``mid_year`` and ``population`` (ages 0 to 17 summed; every one of them
        must be a number). Welsh, Scottish and Northern Irish areas are dropped.
    """
    ages = [f"Age {a}" for a in range(18)]
    df = _read_csv_text(path)
    require_columns(df, ["code", "year", *ages], path)
    df = df[df["code"].str.strip().str.match(r"^E0[6-9]")]
    values = df[ages].apply(to_number)
    if values.isna().any().any():
        row = values.index[values.isna().any(axis=1)][0]
        raise BuildError(
            f"{path}: row {row + 2} ({df.loc[row, 'code']}, {df.loc[row, 'year']}) has a missing "
            "or non-numeric count for an age 0-17. Check the file against its catalogue entry."
        )
    return pd.DataFrame(
        {
            "lad_code": df["code"].str.strip(),
            "mid_year": pd.to_numeric(df["year"]).astype(int),
            "population": values.sum(axis=1).astype("int64"),
        }
    )


def read_nomis_single_year(
    path: Path, hierarchy_path: Path, vintage: str, source_id: str
) -> pd.DataFrame:
    """Sum the Nomis districts' 0-17 estimates to upper-tier LA, region and England.

    England is the sum of the English districts (E06/E07/E08/E09); each district is mapped to
    today's children's-services LA with the ONS hierarchy (``geo_la_hierarchy``, the same
    lookup as ``la_lookup``), and the counties in :data:`FORMER_COUNTIES` are added as the sum
    of their successors.
    """
    from solihull_analytics.sources.geo import la_of_district, read_district_lookup

    districts = read_district_lookup(hierarchy_path)
    kids = district_children(path)
    kids["la_code"] = la_of_district(kids["lad_code"], districts, str(path)).to_numpy()
    info = districts.drop_duplicates("la_code").set_index("la_code")
    la = kids.groupby(["la_code", "mid_year"], as_index=False)["population"].sum()
    la["la_name"] = la["la_code"].map(info["la_name"])
    la["geographic_level"] = LOCAL
    kids["region_code"] = kids["la_code"].map(info["region_code"])
    rgn = kids.groupby(["region_code", "mid_year"], as_index=False)["population"].sum()
    rgn = rgn.rename(columns={"region_code": "la_code"})
    region_names = districts.drop_duplicates("region_code").set_index("region_code")["region_name"]
    rgn["la_name"] = rgn["la_code"].map(region_names)
    rgn["geographic_level"] = REGIONAL
    eng = kids.groupby("mid_year", as_index=False)["population"].sum().assign(
        la_code=ENGLAND_CODE, la_name=ENGLAND_NAME, geographic_level=NATIONAL)
    counties = []
    for code, (name, successors) in FORMER_COUNTIES.items():
        part = la[la["la_code"].isin(successors)]
        if part["la_code"].nunique() == len(successors):
            county = part.groupby("mid_year", as_index=False)["population"].sum()
            counties.append(county.assign(la_code=code, la_name=name, geographic_level=LOCAL))
    out = pd.concat([eng, rgn, la, *counties], ignore_index=True)
    out["age_band"] = AGE_0_17
    out["vintage"] = vintage
    out["source_id"] = source_id
    out["rounded_to"] = 1
    return out[OUTPUT_COLUMNS]


# ----------------------------------------------------------------------------------------------
# The table
# ----------------------------------------------------------------------------------------------

POPULATION_SCHEMA = pa.DataFrameSchema(
    {
        "la_code": pa.Column(
            "str", pa.Check.str_matches(r"^E(92000001|12[0-9]{6}|0[6-9][0-9]{6}|10[0-9]{6})$")
        ),
        "la_name": pa.Column("str"),
        "geographic_level": pa.Column("str", pa.Check.isin(list(OUTPUT_LEVEL.values()))),
        "mid_year": pa.Column(int, pa.Check.in_range(1990, 2100)),
        "age_band": pa.Column("str", pa.Check.isin([AGE_0_17, AGE_0_16])),
        "population": pa.Column("int64", pa.Check.gt(0)),
        "vintage": pa.Column(
            "str",
            pa.Check(lambda s: s.isin(releases.labels("population")),
                     error="vintage must be a population release of the registry"),
        ),
        "source_id": pa.Column("str"),
        "rounded_to": pa.Column("int64", pa.Check.isin([1, 10, 100])),
    },
    unique=["la_code", "mid_year", "age_band", "vintage"],
    strict=True,
    coerce=False,
)


@table(
    "population_la_year",
    inputs=population_inputs,
    schema=POPULATION_SCHEMA,
    release_kinds=("population",),
    description="ONS child population (0-17; 0-16 from Stat-Xplore) by LA/region/England, "
    "mid-1997 to mid-2024, every vintage",
)
def build_population_la_year(inputs: Inputs) -> pd.DataFrame:
    """Every ONS child-population estimate in the registry, by area, mid-year and vintage.

    Each vintage's files are read by their layout (release registry): DfE EES files first (they
    give the DfE code lookup and the region codes for the other layouts), then the rest.
    """
    vintages = releases.releases("population")
    dfe = [(rel, f) for rel in vintages for f in rel.files_with(layout="dfe_population")]
    if not dfe:
        raise BuildError("the release registry lists no population file in layout dfe_population.")
    frames = [read_dfe_population(inputs.path(f.id), rel.label, f.id) for rel, f in dfe]
    lookup = old_code_lookup([_read_csv_text(inputs.path(f.id)) for _, f in dfe])
    regions = frames[-1][frames[-1]["geographic_level"].eq(REGIONAL)].drop_duplicates("la_code")
    region_codes = {normalise_name(n): c for c, n in zip(regions["la_code"], regions["la_name"],
                                                         strict=True)}
    region_codes["yorkshire and humber"] = "E12000003"
    parts = list(frames)
    for rel in vintages:
        for f in rel.files_with(layout="dfe_underlying_population"):
            parts.append(read_dfe_underlying_population(
                inputs.path(f.id), str(f.option("column")), int(f.option("mid_year")), f.id,
                lookup, region_codes, rounded_to=int(f.option("rounded_to", 1)),
                vintage=rel.label))
        for f in rel.files_with(layout="ons_mye_workbook"):
            parts.append(read_ons_mye_workbook(
                inputs.path(f.id), int(f.option("mid_year")), rel.label, f.id))
        statxplore = rel.files_with(layout="statxplore")
        if statxplore:
            parts.append(read_statxplore(
                [inputs.path(f.id) for f in statxplore], inputs.path("geo_la_hierarchy"),
                rel.label, [f.id for f in statxplore]))
        for f in rel.files_with(layout="nomis_sya"):
            parts.append(read_nomis_single_year(
                inputs.path(f.id), inputs.path("geo_la_hierarchy"), rel.label, f.id))
    out = pd.concat([p[OUTPUT_COLUMNS] for p in parts], ignore_index=True)
    for column in ("la_code", "la_name", "geographic_level", "age_band", "vintage", "source_id"):
        out[column] = out[column].astype("str")
    out["mid_year"] = out["mid_year"].astype(int)
    out["rounded_to"] = out["rounded_to"].astype("int64")
    order = out["geographic_level"].map({NATIONAL: 0, REGIONAL: 1, LOCAL: 2})
    out = out.assign(_order=order).sort_values(
        ["_order", "la_code", "mid_year", "age_band", "vintage"])
    out["geographic_level"] = out["geographic_level"].map(OUTPUT_LEVEL).astype("str")
    return out[OUTPUT_COLUMNS].reset_index(drop=True)
