"""Tests for :mod:`solihull_analytics.sources.census`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from solihull_analytics import paths
from solihull_analytics.build import BuildError, read_table
from solihull_analytics.sources.census_readers import (
    LONE_PARENT_DEPENDENT_CATEGORY,
    SINGLE_YEAR_AREA_BANDS,
    read_nomis_bulk_lsoa,
    single_year_age_columns,
    sum_age_bands,
)
from solihull_analytics.sources.low_income import read_statxplore_csv

SOLIHULL = "E08000029"
NORTH_WARDS = ("Chelmsley Wood", "Kingshurst and Fordbridge", "Smith's Wood")

# ---------------------------------------------------------------------------------------------
# Unit tests on small in-memory fixtures
# ---------------------------------------------------------------------------------------------


def test_single_year_age_columns_skips_subtotals() -> None:
    cols = [
        "Age: Total; measures: Value",
        "Age: Aged 4 years and under; measures: Value",
        "Age: Aged under 1 year; measures: Value",
        "Age: Aged 1 year; measures: Value",
        "Age: Aged 5 to 9 years; measures: Value",
        "Age: Aged 100 years and over; measures: Value",
        "Age under 1",
        "Age 17",
        "Age 100 and over",
        "Aged 18 years",
        "90+",
        "3",
        "total_population",
    ]
    found = single_year_age_columns(cols)
    assert found == {
        "Age: Aged under 1 year; measures: Value": 0,
        "Age: Aged 1 year; measures: Value": 1,
        "Age: Aged 100 years and over; measures: Value": 100,
        "Age under 1": 0,
        "Age 17": 17,
        "Age 100 and over": 100,
        "Aged 18 years": 18,
        "90+": 90,
        "3": 3,
    }


def test_sum_age_bands_and_missing_age_raises() -> None:
    df = pd.DataFrame({"Total": [100], **{f"Age {a}": [a] for a in range(20)}})
    ages = single_year_age_columns(df.columns)
    bands = sum_age_bands(df, ages, SINGLE_YEAR_AREA_BANDS, "Total", "x.csv")
    assert bands.loc[0, "all"] == 100
    assert bands.loc[0, "0-15"] == sum(range(16))
    assert bands.loc[0, "0-18"] == sum(range(19))
    ages.pop("Age 16")
    with pytest.raises(BuildError, match="ages 0-17"):
        sum_age_bands(df, ages, SINGLE_YEAR_AREA_BANDS, "Total", "x.csv")


YEARS = (
    '"Year","2019/20","2019/20 - Annotations","2020/21","2020/21 - Annotations",'
    '"2021/22 (p)","2021/22 - Annotations",'
)
STATXPLORE = '''Stat-Xplore

"Relative Low Income (I II III IV V VI)"
"National - Regional - LA - OAs by Year by Age of Child (years and bands)"
"Counting: Relative Low Income"

Filters:
"Default Summation","Relative Low Income"
"Age of Child (years and bands)","0-4"

YEARS_LINE
"National - Regional - LA - OAs",
"E08000029",1984,,1778,,1813,,
"S12000033",..,,12,,13,,
"ZZXXXXXXX",..,,..,,..,,
"Total",10,,20,,30,,


"INFO","Statistical disclosure control has been applied."
"E99999999",5,,5,,5,,
'''.replace("YEARS_LINE", YEARS)


def test_read_statxplore_csv_parses_years_and_markers() -> None:
    long, filters = read_statxplore_csv("fixture.csv", text=STATXPLORE)
    assert filters["Age of Child (years and bands)"] == "0-4"
    assert set(long["area_code"]) == {"E08000029", "S12000033"}, "Total, ZZ and footer rows dropped"
    sol = long[long["area_code"] == "E08000029"].set_index("financial_year_ending")
    assert sol.loc[2021, "value"] == 1778
    assert bool(sol.loc[2022, "provisional"]) and not bool(sol.loc[2021, "provisional"])
    scot = long[long["area_code"] == "S12000033"].set_index("financial_year_ending")
    assert pd.isna(scot.loc[2020, "value"]), "'..' must become missing"


def test_read_statxplore_csv_without_year_line_raises() -> None:
    with pytest.raises(BuildError, match='"Year"'):
        read_statxplore_csv("bad.csv", text="Stat-Xplore\n\n\"Area\",\"2020/21\"\n")


def test_read_nomis_bulk_lsoa_ts003(tmp_path: Path) -> None:
    p = tmp_path / "census2021-ts003-lsoa.csv"
    p.write_text(
        '"date","geography","geography code",'
        '"Household composition: Total; measures: Value",'
        '"Household composition: One person household; measures: Value",'
        '"Household composition: Single family household: Lone parent family: '
        'With dependent children; measures: Value"\n'
        '2021,"Solihull 001A","E01010001",600,200,50\n'
        '2021,"Solihull 001B","E01010002",700,150,30\n',
        encoding="utf-8",
    )
    out = read_nomis_bulk_lsoa(p, "Household composition", "household_composition")
    lone = out[out["category"] == LONE_PARENT_DEPENDENT_CATEGORY].set_index("lsoa21_code")
    assert lone.loc["E01010001", "count"] == 50
    assert lone.loc["E01010002", "total"] == 700
    assert set(out["category"]) == {"One person household", LONE_PARENT_DEPENDENT_CATEGORY}


# ---------------------------------------------------------------------------------------------
# Golden tests on the tables built from the mirror
# ---------------------------------------------------------------------------------------------


def _raw_csv(relative: str) -> pd.DataFrame:
    return pd.read_csv(paths.raw_dir() / relative, dtype=str, encoding="utf-8-sig")


@pytest.fixture(scope="module")
def solihull_lsoas(processed: Path) -> set[str]:
    lookup = _raw_csv("geo/lookup_lsoa11_lsoa21_lad22_exact_ew.csv")
    sol = lookup[lookup["LAD22CD"] == SOLIHULL]
    return set(sol["LSOA11CD"]) | set(sol["LSOA21CD"])


@pytest.fixture(scope="module")
def north_lsoas(processed: Path) -> set[str]:
    wards = _raw_csv("geo/lookup_lsoa21_wd22_lad22_ew.csv")
    north = wards[(wards["LAD22CD"] == SOLIHULL) & wards["WD22NM"].isin(NORTH_WARDS)]
    codes = set(north["LSOA21CD"])
    assert len(codes) == 25, f"North Solihull: 25 LSOAs in the 2022 wards, got {len(codes)}"
    return codes


def _sum(df: pd.DataFrame, source: str, band: str, lsoas: set[str]) -> tuple[int, int]:
    sel = df[(df["source"] == source) & (df["age_band"] == band) & df["lsoa_code"].isin(lsoas)]
    return int(sel["population"].sum()), len(sel)


@pytest.mark.parametrize(
    ("source", "band", "expected"),
    [
        ("census2011", "0-15", 39_181),
        ("census2011", "0-17", 45_017),
        ("census2011", "all", 206_674),
        ("census2021", "all", 216_238),
        ("census2021", "0-15", 41_745),
        ("sape_mid2017", "0-17", 46_714),
        ("sape_mid2019", "0-17", 47_549),
        ("sape_mid2020", "0-17", 47_945),
    ],
)
def test_population_lsoa_solihull(
    processed: Path, solihull_lsoas: set[str], source: str, band: str, expected: int
) -> None:
    df = read_table("population_lsoa", processed)
    total, n = _sum(df, source, band, solihull_lsoas)
    assert n == 134, f"{source}: Solihull has 134 LSOAs, got {n}"
    assert total == expected, f"{source} {band}: expected {expected} exactly, got {total}"


def test_population_lsoa_north_solihull(processed: Path, north_lsoas: set[str]) -> None:
    df = read_table("population_lsoa", processed)
    assert _sum(df, "census2011", "0-15", north_lsoas) == (8_644, 25), "exact match expected"
    assert _sum(df, "census2021", "0-15", north_lsoas) == (9_441, 25), "exact match expected"


def test_population_msoa_solihull(processed: Path) -> None:
    df = read_table("population_msoa", processed)
    names = _raw_csv("census/census2011_age_single_year_msoa11_ew.csv")
    sol = set(names.loc[names["msoa11nm"].str.startswith("Solihull "), "msoa11cd"])
    assert len(sol) == 29
    sel = df[df["msoa_code"].isin(sol) & (df["age_band"] == "0-15")]
    by_year = sel.groupby("year")["population"].sum()
    assert by_year[2011] == 39_181, "exact match expected"
    assert by_year[2021] == 41_744, "exact match expected"


def test_census_lsoa_ethnic_share(processed: Path, solihull_lsoas: set[str]) -> None:
    df = read_table("census_lsoa", processed)
    white = df[
        df["lsoa21_code"].isin(solihull_lsoas)
        & (df["topic"] == "ethnic_group")
        & (df["category"] == "White")
    ]
    assert len(white) == 134
    share = 100 * (1 - white["count"].sum() / white["total"].sum())
    assert share == pytest.approx(17.84, abs=0.005), "non-White share to 0.01 pt"


def test_census_la_solihull(processed: Path) -> None:
    df = read_table("census_la", processed)
    sol = df[df["la_code"] == SOLIHULL].set_index(["census_year", "topic", "category"])["value"]
    assert sol[(2021, "age", "all")] == 216_236, "TS007 exact"
    assert sol[(2021, "age", "0-17")] == 46_925, "TS007 exact"
    assert sol[(2011, "age", "all")] == 206_674, "KS102 aggregate exact"
    eth = sol.loc[(2021, "ethnic_group_19")]
    assert eth.sum() == 216_240, "sum of 19 groups exact"
    assert eth["White: English, Welsh, Scottish, Northern Irish or British"] == 168_398
    assert sol[(2021, "households", "all")] == 89_483
    la = df[(df["geographic_level"] == "local_authority") & df["la_code"].str.startswith("E")]
    per_topic = la.groupby(["topic", "census_year"])["la_code"].nunique()
    assert (per_topic == 153).all(), f"153 English upper-tier LAs expected:\n{per_topic}"


def test_low_income_solihull(processed: Path) -> None:
    df = read_table("low_income_la_year", processed)
    sol = df[(df["la_code"] == SOLIHULL) & (df["age_band"] == "0-15")]
    sol = sol.set_index("financial_year_ending")
    assert sol.loc[2021, "children"] == 5_623, "exact"
    assert sol.loc[2022, "children"] == 6_073, "exact"
    assert bool(sol.loc[2022, "provisional"])
    assert (df.loc[df["la_code"] == SOLIHULL, "la_name"] == "Solihull").all()


# ---------------------------------------------------------------------------------------------
# The census tables follow the release registry (a new census needs a registry record only)
# ---------------------------------------------------------------------------------------------

_TWO_CENSUSES = """releases:
- {kind: census, label: Census A, year: 2021, order: 1, lsoa_vintage: 2021, lsoa_source: censusa,
   files: [{id: a_age6, role: children_by_lsoa, layout: census_age6}]}
- {kind: census, label: Census B, year: 2031, order: 2, lsoa_vintage: 2031, lsoa_source: censusb,
   files: [{id: b_age6, role: children_by_lsoa, layout: %s}]}
"""


class _Files:
    """Stands in for build.Inputs: catalogue id -> a file in a temporary folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, entry_id: str) -> Path:
        return self.folder / f"{entry_id}.csv"


def _age6(path: Path, code: str, children: int, adults: int) -> None:
    path.write_text(
        "lsoa21_code,age_group,usual_residents\n"
        f"{code},Aged 15 years and under,{children}\n{code},Aged 16 to 24 years,{adults}\n",
        encoding="utf-8",
    )


def test_population_lsoa_takes_every_census_from_the_registry(tmp_path: Path, monkeypatch) -> None:
    from solihull_analytics.sources.census import build_population_lsoa, lsoa_age_files

    registry = tmp_path / "releases.yaml"
    registry.write_text(_TWO_CENSUSES % "census_age6", encoding="utf-8")
    monkeypatch.setenv("SOLIHULL_RELEASES", str(registry))
    assert [(f.id, year, vintage, source) for f, year, vintage, source in lsoa_age_files()] == [
        ("a_age6", 2021, 2021, "censusa"), ("b_age6", 2031, 2031, "censusb")]
    _age6(tmp_path / "a_age6.csv", "E01000001", 10, 30)
    _age6(tmp_path / "b_age6.csv", "E01000001", 12, 40)
    out = build_population_lsoa(_Files(tmp_path))
    b = out[out["source"] == "censusb"].set_index("age_band")
    assert b.loc["0-15", "population"] == 12 and b.loc["all", "population"] == 52
    assert set(out["year"]) == {2021, 2031} and set(b["source_id"]) == {"b_age6"}


def test_census_file_in_an_unknown_layout_names_file_and_layout(tmp_path: Path,
                                                                monkeypatch) -> None:
    from solihull_analytics.sources.census import build_population_lsoa

    registry = tmp_path / "releases.yaml"
    registry.write_text(_TWO_CENSUSES % "census_age9", encoding="utf-8")
    monkeypatch.setenv("SOLIHULL_RELEASES", str(registry))
    _age6(tmp_path / "a_age6.csv", "E01000001", 10, 30)
    with pytest.raises(BuildError, match=r"b_age6: no reader for layout 'census_age9'"):
        build_population_lsoa(_Files(tmp_path))
