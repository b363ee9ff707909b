"""Tests for ``population_la_year``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from solihull_analytics.build import BuildError, read_table
from solihull_analytics.sources.population import (
    district_children,
    normalise_name,
    parse_statxplore_csv,
)

SOLIHULL = "E08000029"
ENGLAND = "E92000001"

STATXPLORE_SAMPLE = '''Stat-Xplore

"Population Estimates"
"National - Regional - LAs by Year by Age"
"Counting: Population"

Filters:
"Default Summation","Population"
"Age","15"

"Year","Mid-2010","Mid-2011",
"National - Regional - LAs",
"Solihull",2765,"2,801",
"Cardiff / Caerdydd",3900,3950,
"Total",6665,6751,


Source: Department for Work and Pensions
'''


def test_parse_statxplore_csv() -> None:
    out = parse_statxplore_csv("sample.csv", STATXPLORE_SAMPLE)
    assert out.columns.tolist() == ["area_name", "mid_year", "population"]
    assert "Total" not in set(out["area_name"])
    solihull = out[out["area_name"] == "Solihull"].set_index("mid_year")["population"]
    assert solihull.to_dict() == {2010: 2765, 2011: 2801}


def test_parse_statxplore_csv_needs_year_header() -> None:
    with pytest.raises(BuildError, match="Year"):
        parse_statxplore_csv("bad.csv", "Stat-Xplore\n\"Area\",\"Mid-2010\"\n")


def test_normalise_name_welsh_and_city() -> None:
    assert normalise_name("Cardiff / Caerdydd") == "cardiff"
    assert normalise_name("Kingston upon Hull, City of") == "kingston upon hull"


@pytest.fixture(scope="module")
def population(processed: Path) -> pd.DataFrame:
    return read_table("population_la_year", processed)


def _value(df: pd.DataFrame, code: str, mid_year: int, vintage: str, age_band: str = "0-17") -> int:
    rows = df[
        (df["la_code"] == code)
        & (df["mid_year"] == mid_year)
        & (df["vintage"] == vintage)
        & (df["age_band"] == age_band)
    ]
    assert len(rows) == 1, f"expected one row for {code} {mid_year} {vintage} {age_band}"
    return int(rows["population"].iloc[0])


@pytest.mark.parametrize(
    ("code", "mid_year", "vintage", "age_band", "expected"),
    [
        (SOLIHULL, 2021, "census2021_rebased", "0-17", 46924),
        (SOLIHULL, 2022, "census2021_rebased", "0-17", 47942),
        (SOLIHULL, 2022, "mye2022_first_release", "0-17", 47812),
        (SOLIHULL, 2023, "mye2023_first_release", "0-17", 48533),
        (SOLIHULL, 2019, "pre_census2021", "0-17", 47549),
        (SOLIHULL, 2009, "pre_census2021", "0-17", 45200),
        (SOLIHULL, 2010, "pre_census2021", "0-17", 44881),
        (SOLIHULL, 2011, "pre_census2021", "0-16", 41999),
        (ENGLAND, 2022, "census2021_rebased", "0-17", 11901267),
        (ENGLAND, 2022, "mye2022_first_release", "0-17", 11886906),
        (ENGLAND, 2020, "pre_census2021", "0-17", 12093290),
        # ONS's revised pre-Census-2021 series (Nomis): districts summed to LA and England.
        (SOLIHULL, 2005, "pre_census2021_revised", "0-17", 46277),
        (SOLIHULL, 2006, "pre_census2021_revised", "0-17", 45974),
        (SOLIHULL, 2007, "pre_census2021_revised", "0-17", 45948),
        (SOLIHULL, 2008, "pre_census2021_revised", "0-17", 45827),
        (SOLIHULL, 2010, "pre_census2021_revised", "0-17", 44978),
        (SOLIHULL, 2011, "pre_census2021_revised", "0-17", 44957),
        (ENGLAND, 2006, "pre_census2021_revised", "0-17", 11109827),
        (ENGLAND, 2007, "pre_census2021_revised", "0-17", 11152784),
        (ENGLAND, 2008, "pre_census2021_revised", "0-17", 11202377),
        (ENGLAND, 2011, "pre_census2021_revised", "0-17", 11340751),
    ],
)
def test_golden_populations(
    population: pd.DataFrame, code: str, mid_year: int, vintage: str, age_band: str, expected: int
) -> None:
    assert _value(population, code, mid_year, vintage, age_band) == expected, "exact match"


def test_mid_2009_is_rounded_to_100(population: pd.DataFrame) -> None:
    mid_2009 = population[(population["mid_year"] == 2009) & (population["age_band"] == "0-17")
                          & (population["source_id"] == "cla_sfr27_2010_march")]
    large = mid_2009[mid_2009["population"] >= 1000]
    assert (large["rounded_to"] == 100).all() and (large["population"] % 100 == 0).all()
    small = mid_2009[mid_2009["population"] < 1000]  # City of London, Isles of Scilly
    assert (small["rounded_to"] == 10).all() and (small["population"] % 10 == 0).all()


def test_statxplore_rows_are_labelled_0_16(population: pd.DataFrame) -> None:
    statxplore = population[population["source_id"].str.startswith("pop_statxplore")]
    assert set(statxplore["age_band"]) == {"0-16"}
    assert set(statxplore["mid_year"]) == set(range(2008, 2021))
    england = statxplore[statxplore["la_code"] == ENGLAND].set_index("mid_year")["population"]
    regions = statxplore[statxplore["geographic_level"] == "region"]
    assert (regions.groupby("mid_year")["population"].sum() == england).all(), "regions sum"


NOMIS_SAMPLE = "name,code,year," + ",".join(f"Age {a}" for a in range(19)) + "\n"


def test_district_children_sums_ages_0_to_17(tmp_path: Path) -> None:
    path = tmp_path / "nomis.csv"
    ages = ",".join(["10"] * 18 + ["999"])  # age 18 must not count
    path.write_text(NOMIS_SAMPLE + f"Solihull,E08000029,2007,{ages}\n", encoding="utf-8")
    out = district_children(path)
    assert out.to_dict("records") == [
        {"lad_code": "E08000029", "mid_year": 2007, "population": 180}
    ]


def test_district_children_refuses_a_missing_child_age(tmp_path: Path) -> None:
    path = tmp_path / "nomis.csv"
    ages = ",".join(["10"] * 5 + ["-"] + ["10"] * 13)
    path.write_text(NOMIS_SAMPLE + f"Solihull,E08000029,1997,{ages}\n", encoding="utf-8")
    with pytest.raises(BuildError, match="row 2 .*E08000029, 1997"):
        district_children(path)


def test_revised_series_equals_dfe_pre_rebasing_denominators(population: pd.DataFrame) -> None:
    """ONS's districts summed to upper tier give DfE's published mid-2012 to mid-2020 figures."""
    both = population[population["age_band"].eq("0-17") & population["mid_year"].between(2012, 2020)
                      & population["vintage"].isin(["pre_census2021", "pre_census2021_revised"])]
    wide = both.pivot_table(index=["la_code", "mid_year"], columns="vintage",
                            values="population", aggfunc="first").dropna()
    assert len(wide) > 1400  # England, 9 regions and every LA, nine mid-years
    gap = (wide["pre_census2021"] - wide["pre_census2021_revised"]).abs()
    is_la = ~wide.index.get_level_values("la_code").str.match(r"^E(12|92)")
    assert (gap[is_la] == 0).all(), "every LA-year exactly"
    # DfE gives England and regions rounded to 10 (one region-year is 10 away, not 5).
    assert (gap[~is_la] <= 10).all()


def test_revised_series_covers_every_la_from_mid_2005(
    population: pd.DataFrame, processed: Path
) -> None:
    las = set(read_table("children_services_la", processed)["la_code"]) | {"E10000006", "E10000021"}
    revised = population[population["vintage"].eq("pre_census2021_revised")]
    for year in (2005, 2006, 2007, 2008, 2011):
        held = set(revised.loc[revised["mid_year"] == year, "la_code"])
        assert las <= held, f"mid-{year} lacks {sorted(las - held)[:5]}"
