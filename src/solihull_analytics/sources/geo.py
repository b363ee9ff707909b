"""ONS geography: LA hierarchy, LSOA and ward lookups, and boundary layers.

Tables
------
``la_lookup``
    Every English lower-tier district since 2011 (current and abolished) with the current
    children's-services LA it now belongs to.
``children_services_la``
    One row per current English children's-services LA (153, as in DfE's 2025 release).

The LSOA lookups, LSOA-to-ward lookups and boundary layers (``lsoa_lookup_11_21``,
``lsoa21_ward``, ``boundaries_lsoa11`` ...) are declared from the release registry's
``geography`` records in :mod:`solihull_analytics.sources.geography`; their readers are here.

Codes: ``la_code`` is the children's-services LA code as DfE's latest (2025) release uses it.
DfE still publishes Barnsley and Sheffield under their pre-2024 codes (E08000016, E08000019),
whereas ONS products re-coded them to E08000038 and E08000039; :data:`ONS_TO_DFE_LA_CODE`
translates. Lower-tier districts keep their ONS codes in ``lad_code``.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pandera.pandas as pa
import pyogrio

from solihull_analytics.build import BuildError, Inputs, table
from solihull_analytics.sources._common import require_columns

#: ONS codes of current upper-tier LAs that DfE's 2025 release still publishes under the old code
#: (same area; ONS re-coded them in 2024 after a boundary change that did not alter the LA).
ONS_TO_DFE_LA_CODE = {
    "E08000038": "E08000016",  # Barnsley
    "E08000039": "E08000019",  # Sheffield
}

#: LA type by the first three characters of the upper-tier GSS code.
LA_TYPE_BY_PREFIX = {
    "E06": "unitary",
    "E08": "metropolitan district",
    "E09": "London borough",
    "E10": "county",
}

#: Tiny LAs that DfE sometimes publishes combined with a neighbour (suppressed alone).
SMALL_LA_MERGED_WITH = {
    "E06000053": "E06000052",  # Isles of Scilly, combined with Cornwall in some DfE tables
    "E09000001": "E09000012",  # City of London, combined with Hackney in some DfE tables
}

BRITISH_NATIONAL_GRID = 27700
WGS84 = 4326

ENGLISH_LAD = r"^E0[6-9][0-9]{6}$"
ENGLISH_LA = r"^E(06|08|09|10)[0-9]{6}$"
ENGLISH_LSOA = r"^E01[0-9]{6}$"
EW_LSOA = r"^[EW]01[0-9]{6}$"
ENGLISH_WARD = r"^E05[0-9]{6}$"
REGION = r"^E12[0-9]{6}$"

_HIERARCHY_COLUMNS = ["LADCD", "LADNM", "LADCD_ACTIVE", "UTLACD", "UTLANM", "RGNCD", "RGNNM"]


def to_dfe_la_code(codes: pd.Series) -> pd.Series:
    """Translate ONS upper-tier codes to the codes DfE's latest release uses."""
    return codes.replace(ONS_TO_DFE_LA_CODE)


def la_type_from_code(codes: pd.Series) -> pd.Series:
    """Return the LA type ("unitary", "metropolitan district", ...) from the code prefix."""
    return codes.str[:3].map(LA_TYPE_BY_PREFIX).astype("str")


def read_district_lookup(path: Path) -> pd.DataFrame:
    """Read the ONS-derived LA hierarchy and map every English district to its current LA.

    Parameters
    ----------
    path : Path
        ``la_codes_names_hierarchy_uk.csv`` (catalogue id ``geo_la_hierarchy``).

    Returns
    -------
    pandas.DataFrame
        Columns ``lad_code, lad_name, lad_current, successor_lad_code, la_code, la_name,
        region_code, region_name, la_type``; one row per English district code.

    Raises
    ------
    BuildError
        If a column is missing or a district has no upper tier.
    """
    raw = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    require_columns(raw, _HIERARCHY_COLUMNS, path)
    raw = raw[raw["LADCD"].str.match(ENGLISH_LAD, na=False)]
    if raw["UTLACD"].isna().any():
        bad = raw.loc[raw["UTLACD"].isna(), "LADCD"].tolist()
        raise BuildError(f"{path}: district(s) {bad} have no UTLACD; check the file.")
    out = pd.DataFrame(
        {
            "lad_code": raw["LADCD"],
            "lad_name": raw["LADNM"],
            "lad_current": raw["LADCD"] == raw["LADCD_ACTIVE"],
            "successor_lad_code": raw["LADCD_ACTIVE"],
            "la_code": to_dfe_la_code(raw["UTLACD"]),
            "la_name": raw["UTLANM"],
            "region_code": raw["RGNCD"],
            "region_name": raw["RGNNM"],
        }
    )
    out["la_type"] = la_type_from_code(out["la_code"])
    return out.drop_duplicates("lad_code").sort_values("lad_code").reset_index(drop=True)


def la_of_district(lad_codes: pd.Series, districts: pd.DataFrame, source: str) -> pd.Series:
    """Map district codes to current children's-services ``la_code`` (missing codes raise).

    Parameters
    ----------
    lad_codes : pandas.Series
        District codes as published (any vintage since 2011).
    districts : pandas.DataFrame
        Output of :func:`read_district_lookup`.
    source : str
        File the codes came from, for the error message.
    """
    mapping = districts.set_index("lad_code")["la_code"]
    la = lad_codes.map(mapping)
    unknown = sorted(set(lad_codes[la.isna() & lad_codes.notna()]))
    if unknown:
        raise BuildError(
            f"{source}: district code(s) {unknown[:10]} are not in the LA hierarchy "
            "(geo_la_hierarchy). Update la_codes_names_hierarchy_uk.csv from the ONS code lists."
        )
    return la.astype("str")


# --------------------------------------------------------------------------------------------
# la_lookup and children_services_la
# --------------------------------------------------------------------------------------------

LA_LOOKUP_SCHEMA = pa.DataFrameSchema(
    {
        "lad_code": pa.Column(str, pa.Check.str_matches(ENGLISH_LAD), unique=True),
        "lad_name": pa.Column(str),
        "lad_current": pa.Column(bool),
        "successor_lad_code": pa.Column(str, pa.Check.str_matches(ENGLISH_LAD)),
        "la_code": pa.Column(str, pa.Check.str_matches(ENGLISH_LA)),
        "la_name": pa.Column(str),
        "region_code": pa.Column(str, pa.Check.str_matches(REGION)),
        "region_name": pa.Column(str),
        "la_type": pa.Column(str, pa.Check.isin(list(LA_TYPE_BY_PREFIX.values()))),
    },
    strict=True,
)


@table(
    "la_lookup",
    inputs=["geo_la_hierarchy"],
    schema=LA_LOOKUP_SCHEMA,
    description="English districts since 2011 (current and abolished) -> current children's-"
    "services LA, region and LA type",
)
def build_la_lookup(inputs: Inputs) -> pd.DataFrame:
    """English districts since 2011 mapped to the current children's-services LA.

    One row per district code that has existed since 2011, including abolished ones mapped to
    their successor (e.g. Corby E07000150 -> North Northamptonshire E06000061; Allerdale
    E07000026 -> Cumberland E06000063; Mendip E07000187 -> Somerset E06000066; Aylesbury Vale
    E07000004 -> Buckinghamshire E06000060), so IoD2019's 2019 districts and IoD2025's 2024
    districts both map to today's LAs. ``lad_current`` is False for abolished or re-coded
    districts; ``successor_lad_code`` is the district code in use now.
    """
    return read_district_lookup(inputs.path("geo_la_hierarchy"))


CHILDREN_SERVICES_LA_SCHEMA = pa.DataFrameSchema(
    {
        "la_code": pa.Column(str, pa.Check.str_matches(ENGLISH_LA), unique=True),
        "la_name": pa.Column(str, unique=True),
        "region_code": pa.Column(str, pa.Check.str_matches(REGION)),
        "region_name": pa.Column(str),
        "la_type": pa.Column(str, pa.Check.isin(list(LA_TYPE_BY_PREFIX.values()))),
        "la_code_ons": pa.Column(str, pa.Check.str_matches(ENGLISH_LA), unique=True),
        "n_districts": pa.Column(int, pa.Check.ge(1)),
        "merged_with_la_code": pa.Column(str, nullable=True),
    },
    checks=pa.Check(lambda df: len(df) == 153, error="expected 153 children's-services LAs"),
    strict=True,
)


@table(
    "children_services_la",
    inputs=["geo_la_hierarchy"],
    schema=CHILDREN_SERVICES_LA_SCHEMA,
    description="The 153 current English children's-services LAs: name, region, type",
)
def build_children_services_la(inputs: Inputs) -> pd.DataFrame:
    """One row per current English children's-services (upper-tier) LA.

    153 LAs, the same set as DfE's 2025 children-looked-after release. The Isles of Scilly
    (E06000053) and the City of London (E09000001) are kept as LAs in their own right, as DfE
    lists them; ``merged_with_la_code`` names the neighbour (Cornwall E06000052, Hackney
    E09000012) that some DfE tables combine them with, so a notebook can merge them when a
    figure is suppressed. ``la_code`` is DfE's code; ``la_code_ons`` is the current ONS code
    (they differ only for Barnsley and Sheffield, see :data:`ONS_TO_DFE_LA_CODE`).
    """
    path = inputs.path("geo_la_hierarchy")
    districts = read_district_lookup(path)
    current = districts[districts["lad_current"]]
    dfe_to_ons = {v: k for k, v in ONS_TO_DFE_LA_CODE.items()}
    las = (
        current.groupby("la_code", as_index=False)
        .agg(
            la_name=("la_name", "first"),
            region_code=("region_code", "first"),
            region_name=("region_name", "first"),
            la_type=("la_type", "first"),
            n_districts=("lad_code", "nunique"),
        )
        .sort_values("la_code")
        .reset_index(drop=True)
    )
    las["la_code_ons"] = las["la_code"].map(lambda c: dfe_to_ons.get(c, c)).astype("str")
    las["merged_with_la_code"] = las["la_code"].map(SMALL_LA_MERGED_WITH).astype("str")
    las["n_districts"] = las["n_districts"].astype("int64")
    return las[list(CHILDREN_SERVICES_LA_SCHEMA.columns)]


# --------------------------------------------------------------------------------------------
# Readers of ONS geography files (the tables are declared from the release registry in
# :mod:`solihull_analytics.sources.geography`)
# --------------------------------------------------------------------------------------------

def vintage_digits(year: int) -> str:
    """The last two digits of a vintage, as ONS column names carry them (2021 -> \"21\")."""
    return f"{int(year) % 100:02d}"


def read_lsoa_lookup(
    path: Path, from_vintage: int, to_vintage: int, *, with_names: bool = False
) -> pd.DataFrame:
    """Read an ONS LSOA-to-LSOA lookup (layout ``ons_lsoa_lookup``) into tidy columns.

    Parameters
    ----------
    path : Path
        The lookup (UTF-8, possibly with BOM), e.g. ``Lookup_LSOA2001_LSOA2011_LAD2011_EW.csv``.
    from_vintage, to_vintage : int
        The LSOA vintages it links (columns ``LSOAaaCD``, ``LSOAbbCD``).
    with_names : bool, default False
        Also return the older LSOA's name (``LSOAaaNM``).

    Returns
    -------
    pandas.DataFrame
        ``lsoaaa_code, lsoabb_code, chgind, ladyy_code`` (the district column of the file), and
        ``lsoaaa_name`` when asked.

    Raises
    ------
    BuildError
        Naming the file and the column it could not find.
    """
    raw = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    a, b = vintage_digits(from_vintage), vintage_digits(to_vintage)
    lad = next((c for c in raw.columns if re.fullmatch(r"LAD\d\dCD", str(c))), "LADyyCD")
    cols = {f"LSOA{a}CD": f"lsoa{a}_code", f"LSOA{b}CD": f"lsoa{b}_code", "CHGIND": "chgind",
            lad: lad[:5].lower() + "_code"}
    if with_names:
        cols[f"LSOA{a}NM"] = f"lsoa{a}_name"
    require_columns(raw, list(cols), path)
    out = raw[list(cols)].rename(columns=cols)
    out["chgind"] = out["chgind"].str.strip()
    return out


def read_lsoa01_lsoa11(path: Path, *, with_names: bool = False) -> pd.DataFrame:
    """Read the ONS LSOA 2001 -> 2011 lookup (see :func:`read_lsoa_lookup`)."""
    return read_lsoa_lookup(path, 2001, 2011, with_names=with_names)


def _geometry_ok(series: gpd.GeoSeries) -> bool:
    return bool(series.notna().all() and series.is_valid.all())


def geo_schema(columns: dict[str, pa.Column], unique: str) -> pa.DataFrameSchema:
    cols = dict(columns)
    cols[unique] = pa.Column(str, cols[unique].checks, unique=True)
    cols["geometry"] = pa.Column(
        None, pa.Check(_geometry_ok, error="geometries must be present and valid")
    )
    return pa.DataFrameSchema(
        cols,
        checks=pa.Check(
            lambda df: df.crs is not None and df.crs.to_epsg() == BRITISH_NATIONAL_GRID,
            error="CRS must be EPSG:27700",
        ),
        strict=True,
    )


def read_polygons(
    path: Path,
    columns: dict[str, str],
    *,
    where: str | None = None,
    layer: str | None = None,
    assume_crs: int | None = None,
) -> gpd.GeoDataFrame:
    """Read a polygon layer fast with pyogrio, rename, repair and project to EPSG:27700.

    Parameters
    ----------
    path : Path
        GeoJSON / TopoJSON file.
    columns : dict of str to str
        Source attribute -> output column.
    where : str, optional
        OGR SQL attribute filter applied while reading.
    layer : str, optional
        Layer name (TopoJSON files hold several).
    assume_crs : int, optional
        EPSG code to set when the file declares no CRS.

    Raises
    ------
    BuildError
        If an attribute is missing or the file has no CRS and none is assumed.
    """
    info = pyogrio.read_info(path, layer=layer)
    missing = [c for c in columns if c not in set(info["fields"])]
    if missing:
        raise BuildError(
            f"{path}: expected attribute(s) {missing} are missing (found: {list(info['fields'])}). "
            "The boundary file may be a different ONS product: check its catalogue entry."
        )
    gdf = pyogrio.read_dataframe(
        path, layer=layer, columns=list(columns), where=where, use_arrow=True
    )
    if gdf.crs is None:
        if assume_crs is None:
            raise BuildError(f"{path}: the layer declares no CRS; say which one to assume.")
        gdf = gdf.set_crs(assume_crs)
    gdf = gdf.rename(columns=columns).to_crs(BRITISH_NATIONAL_GRID)
    invalid = ~gdf.geometry.is_valid
    if invalid.any():
        gdf.loc[invalid, "geometry"] = gdf.geometry[invalid].make_valid()
    for col in columns.values():
        gdf[col] = gdf[col].astype("str")
    return gdf[list(columns.values()) + ["geometry"]].reset_index(drop=True)
