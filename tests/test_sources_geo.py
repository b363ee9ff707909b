"""Tests for the ONS geography tables (``solihull_analytics.sources.geo``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from solihull_analytics.build import BuildError, read_table
from solihull_analytics.sources.geo import (
    la_of_district,
    la_type_from_code,
    read_district_lookup,
)

SOLIHULL = "E08000029"
NORTH_SOLIHULL_WARDS = ("Chelmsley Wood", "Kingshurst and Fordbridge", "Smith's Wood")

HIERARCHY_HEADER = "LADCD,LADNM,LADCD_ACTIVE,LADNM_ACTIVE,UTLACD,UTLANM,RGNCD,RGNNM,Current\n"
HIERARCHY_ROWS = (
    "E07000150,Corby,E06000061,North Northamptonshire,E06000061,North Northamptonshire,"
    "E12000004,East Midlands,FALSE\n"
    "E07000105,Ashford,E07000105,Ashford,E10000016,Kent,E12000008,South East,TRUE\n"
    "E08000038,Barnsley,E08000038,Barnsley,E08000038,Barnsley,E12000003,Yorkshire,TRUE\n"
    "W06000001,Isle of Anglesey,W06000001,Isle of Anglesey,W06000001,Isle of Anglesey,"
    "W92000004,Wales,TRUE\n"
)


@pytest.fixture()
def tiny_hierarchy(tmp_path: Path) -> Path:
    path = tmp_path / "la_codes_names_hierarchy_uk.csv"
    path.write_text(HIERARCHY_HEADER + HIERARCHY_ROWS, encoding="utf-8")
    return path


def test_district_lookup_maps_abolished_districts_and_dfe_codes(tiny_hierarchy: Path) -> None:
    lookup = read_district_lookup(tiny_hierarchy).set_index("lad_code")
    assert list(lookup.index) == ["E07000105", "E07000150", "E08000038"], "England only"
    assert lookup.loc["E07000150", "la_code"] == "E06000061"
    assert not lookup.loc["E07000150", "lad_current"]
    assert lookup.loc["E07000105", "la_code"] == "E10000016"
    assert lookup.loc["E07000105", "la_type"] == "county"
    # DfE's 2025 release keeps Barnsley's pre-2024 code.
    assert lookup.loc["E08000038", "la_code"] == "E08000016"


def test_district_lookup_missing_column_names_file(tmp_path: Path) -> None:
    path = tmp_path / "hierarchy.csv"
    path.write_text("LADCD,LADNM\nE07000105,Ashford\n", encoding="utf-8")
    with pytest.raises(BuildError, match=r"hierarchy\.csv.*UTLACD"):
        read_district_lookup(path)


def test_unknown_district_raises(tiny_hierarchy: Path) -> None:
    lookup = read_district_lookup(tiny_hierarchy)
    with pytest.raises(BuildError, match="E07999999"):
        la_of_district(pd.Series(["E07000105", "E07999999"]), lookup, "some_file.xlsx")


def test_la_type_from_code() -> None:
    codes = pd.Series(["E06000061", "E08000029", "E09000001", "E10000016"])
    assert la_type_from_code(codes).tolist() == [
        "unitary",
        "metropolitan district",
        "London borough",
        "county",
    ]


# ---- golden tests on the tables built from the mirror ------------------------------------


@pytest.mark.mirror
def test_la_lookup_golden(processed: Path) -> None:
    lookup = read_table("la_lookup", processed).set_index("lad_code")
    assert lookup.loc[SOLIHULL, "la_code"] == SOLIHULL
    assert lookup.loc[SOLIHULL, "la_type"] == "metropolitan district"
    assert lookup.loc["E07000105", "la_code"] == "E10000016", "Ashford is in Kent"
    # Abolished districts map to today's LAs (Northamptonshire, Cumbria, N Yorks, Somerset, Bucks).
    successors = {
        "E07000150": "E06000061",
        "E07000154": "E06000062",
        "E07000026": "E06000063",
        "E07000031": "E06000064",
        "E07000165": "E06000065",
        "E07000187": "E06000066",
        "E07000004": "E06000060",
    }
    for lad, la in successors.items():
        assert lookup.loc[lad, "la_code"] == la, lad


@pytest.mark.mirror
def test_children_services_la_golden(processed: Path) -> None:
    las = read_table("children_services_la", processed).set_index("la_code")
    assert len(las) == 153, "DfE's 2025 release has 153 children's-services LAs (exact)"
    assert las.loc[SOLIHULL, "region_name"] == "West Midlands"
    assert las.loc["E06000053", "merged_with_la_code"] == "E06000052"
    assert las.loc["E09000001", "merged_with_la_code"] == "E09000012"
    assert las.loc["E08000016", "la_code_ons"] == "E08000038"


@pytest.mark.mirror
def test_lsoa21_ward_golden(processed: Path) -> None:
    wards = read_table("lsoa21_ward", processed)
    sol = wards[(wards["la_code"] == SOLIHULL) & (wards["ward_vintage"] == 2022)]
    assert len(sol) == 134, "Solihull has 134 LSOAs of 2021 (exact)"
    assert sol["ward_code"].nunique() == 17, "17 wards (exact)"
    north = sol[sol["ward_name"].isin(NORTH_SOLIHULL_WARDS)]
    assert len(north) == 25, "North Solihull = 25 LSOAs (exact)"
    sol24 = wards[(wards["la_code"] == SOLIHULL) & (wards["ward_vintage"] == 2024)]
    merged = sol.merge(sol24, on="lsoa21_code", suffixes=("_22", "_24"))
    assert (merged["ward_code_22"] == merged["ward_code_24"]).all(), "same wards in 2022 and 2024"


@pytest.mark.mirror
def test_lsoa_lookups_golden(processed: Path) -> None:
    l1121 = read_table("lsoa_lookup_11_21", processed)
    assert len(l1121) == 35_796, "ONS exact lookup rows (exact)"
    assert l1121["lsoa11_code"].nunique() == 34_753
    sol = l1121[l1121["lad22_code"] == SOLIHULL]
    assert len(sol) == 134 and (sol["chgind"] == "U").all(), "Solihull unchanged 2011->2021"
    l0111 = read_table("lsoa_lookup_01_11", processed)
    assert l0111.loc[l0111["lsoa01_code"].str.startswith("E01"), "lsoa01_code"].nunique() == 32_482


@pytest.mark.mirror
def test_boundaries_golden(processed: Path, tmp_path: Path) -> None:
    import geopandas as gpd

    lsoa11 = read_table("boundaries_lsoa11", processed)
    assert len(lsoa11) == 32_844, "every English 2011 LSOA (exact)"
    assert lsoa11.crs.to_epsg() == 27700
    assert lsoa11.is_valid.all()
    lsoa21 = read_table("boundaries_lsoa21_wmca", processed)
    assert lsoa21.crs.to_epsg() == 27700 and len(lsoa21) == 1_719
    wards = read_table("boundaries_ward_wm", processed)
    assert (wards["la_code"] == SOLIHULL).sum() == 17
    las = read_table("boundaries_la", processed)
    assert len(las) == 153 and las.crs.to_epsg() == 27700
    solihull_km2 = float(las.loc[las["la_code"] == SOLIHULL].area.iloc[0]) / 1e6
    assert abs(solihull_km2 - 178.4) < 1.5, f"Solihull area {solihull_km2:.1f} km2 (±1.5 km2)"
    names = set(read_table("children_services_la", processed)["la_code"])
    assert set(las["la_code"]) == names, "boundaries cover exactly the 153 LAs"
    # GeoParquet round trip keeps the CRS and geometry.
    out = tmp_path / "lsoa21.parquet"
    lsoa21.to_parquet(out)
    back = gpd.read_parquet(out)
    assert back.crs.to_epsg() == 27700 and back.geom_equals(lsoa21).all()
