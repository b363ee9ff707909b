"""Tests for ``population_la_year``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from solihull_analytics.build import BuildError, read_table
from solihull_analytics.sources.population import normalise_name, parse_statxplore_csv

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
    ],
)
def test_golden_populations(
    population: pd.DataFrame, code: str, mid_year: int, vintage: str, age_band: str, expected: int
) -> None:
    assert _value(population, code, mid_year, vintage, age_band) == expected, "exact match"


def test_mid_2009_is_rounded_to_100(population: pd.DataFrame) -> None:
    mid_2009 = population[(population["mid_year"] == 2009) & (population["age_band"] == "0-17")]
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
