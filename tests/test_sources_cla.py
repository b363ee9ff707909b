"""Tests for the CLA source tables (``cla_la_year``, ``cla_la_year_vintages``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from solihull_analytics.build import BuildError, read_table
from solihull_analytics.sources import _common
from solihull_analytics.sources.cla_areas import normalise_area_name
from solihull_analytics.sources.cla_readers import _tidy_year_sheet, parse_counts

SOLIHULL = "E08000029"
ENGLAND = "E92000001"


# --- unit tests on small fixtures ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("spelling", "key"),
    [
        ("Bristol, City of", "bristol"),
        ("Newcastle Upon Tyne", "newcastle upon tyne"),
        ("Cheshire East5", "cheshire east"),
        ("YORKSHIRE AND THE HUMBER", "yorkshire and humber"),
        ("City of London", "city london"),
        ("Medway Towns", "medway"),
        ("Bedford Borough5", "bedford"),
    ],
)
def test_normalise_area_name_matches_dfe_spellings(spelling: str, key: str) -> None:
    assert normalise_area_name(spelling) == key


def test_sfr27_layout_sheet_reads_the_years_its_release_record_gives() -> None:
    """The SFR 27/2010 LA-table layout is read for the years the registry gives (first_year to
    the release's year), not years fixed in code: the same layout five years on reads too."""
    header = ["", "", "2015", "", "2016", "", "2015", "2016"]
    raw = pd.DataFrame([
        ["Table LAA1", None, None, None, None, None, None, None],
        header,
        [None, "England", 100, None, 110, None, 50.0, 52.0],
        [None, "Solihull", 5, None, "x", None, 60.0, 61.0],
        [None, "1. A footnote", None, None, None, None, None, None],
    ])
    out = _tidy_year_sheet(raw, Path("laa1.xls"), "LAA1", range(2015, 2017))
    assert out["name"].tolist() == ["England", "Solihull"]
    assert out["n2016"].tolist() == ["110", "x"] and out["r2015"].tolist() == ["50", "60"]
    with pytest.raises(BuildError, match="no header row with the year 2014.*first_year"):
        _tidy_year_sheet(raw, Path("laa1.xls"), "LAA1", range(2014, 2017))


def test_parse_counts_handles_suppression_and_separators() -> None:
    parsed = parse_counts(pd.Series(["1,234", "x", "c", "z", " 15 ", ""]))
    assert parsed.dtype == "Int64"
    assert parsed.tolist()[:1] == [1234]
    assert parsed.iloc[4] == 15
    assert parsed.iloc[[1, 2, 3, 5]].isna().all()


# --- the dashboard .rds reader -----------------------------------------------------------------


def test_rds_reader_vectorised_walk_equals_exact_walk(
    mirror_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = mirror_dir / "cla" / "dfe_csc_dashboard_combined_cla_31_march_data_2021-2025.rds"
    if not path.exists():
        pytest.skip(f"{path} not in the mirror")
    columns = ["time_period", "la_name", "cla_group", "cla_31_march_number", "Number"]
    fast = _common.read_rds_frame(path, columns)
    monkeypatch.setattr(_common, "_VECTORISED_MINIMUM", 10**12)
    exact = _common.read_rds_frame(path, columns)
    pd.testing.assert_frame_equal(fast, exact)
    assert len(fast) == 327474, "row count stated in SOURCES.md"


# --- golden tests on the processed tables -------------------------------------------------------


@pytest.fixture(scope="module")
def cla(processed: Path) -> pd.DataFrame:
    return read_table("cla_la_year", processed)


@pytest.fixture(scope="module")
def vintages(processed: Path) -> pd.DataFrame:
    return read_table("cla_la_year_vintages", processed)


def _row(df: pd.DataFrame, code: str, year: int) -> pd.Series:
    rows = df[(df["la_code"] == code) & (df["year"] == year)]
    assert len(rows) == 1, f"expected one row for {code} {year}, found {len(rows)}"
    return rows.iloc[0]


def test_solihull_2022(cla: pd.DataFrame) -> None:
    row = _row(cla, SOLIHULL, 2022)
    assert (row["cla_all"], row["cla_uasc"], row["cla_non_uasc"]) == (528, 50, 478), "exact"
    assert row["dfe_rate_per_10k"] == 113, "DfE published rate, exact"
    assert row["dfe_population_0_17"] == 46924, "mid-2021 rebased, exact"
    assert row["counts_rounded_to"] == 1


def test_solihull_2007_rounded_to_five(cla: pd.DataFrame) -> None:
    row = _row(cla, SOLIHULL, 2007)
    assert (row["cla_all"], row["cla_uasc"], row["cla_non_uasc"]) == (320, 115, 205), "exact"
    assert row["dfe_rate_per_10k"] == 70, "exact"
    assert row["counts_rounded_to"] == 5 and row["uasc_rounded_to"] == 5
    assert row["old_la_code"] == "334"


def test_solihull_2025(cla: pd.DataFrame) -> None:
    row = _row(cla, SOLIHULL, 2025)
    assert (row["cla_all"], row["cla_uasc"], row["cla_non_uasc"]) == (489, 42, 447), "exact"
    assert row["dfe_rate_per_10k"] == 99, "exact"


def test_solihull_every_year_present(cla: pd.DataFrame) -> None:
    years = set(cla.loc[cla["la_code"] == SOLIHULL, "year"])
    assert years == set(range(2006, 2026))
    solihull = cla[cla["la_code"] == SOLIHULL].set_index("year")
    assert solihull["cla_all"].notna().all() and solihull["cla_uasc"].notna().all()


def test_solihull_latest_release_wins(cla: pd.DataFrame) -> None:
    # 2017: 383 first published (SFR 50/2017), 387 from the 2018 release on.
    assert _row(cla, SOLIHULL, 2017)["cla_all"] == 387
    # 2019: rate 90 in 2019-2022 releases, 92 in the 2023 release (rebased population).
    row = _row(cla, SOLIHULL, 2019)
    assert (row["dfe_rate_per_10k"], row["dfe_population_0_17"]) == (92, 46270)
    assert row["rate_source_id"] == "cla_ees2023_number_rate"


def test_england_2022_uses_revised_figure(cla: pd.DataFrame, vintages: pd.DataFrame) -> None:
    # First published 82,170 (2022 release); revised to 82,090 in the 2024 and 2025 releases.
    row = _row(cla, ENGLAND, 2022)
    assert row["cla_all"] == 82090, "latest (2025) release, exact"
    assert row["cla_uasc"] == 5680 and row["cla_non_uasc"] == 76410, "exact"
    assert row["source_id"] == "cla_ees2025_number_rate"
    england_2022 = vintages[(vintages["la_code"] == ENGLAND) & (vintages["year"] == 2022)]
    first = england_2022[england_2022["source_id"] == "cla_ees2022_number_rate"]
    assert first["cla_all"].tolist() == [82170]


def test_england_2007_from_time_series(cla: pd.DataFrame) -> None:
    row = _row(cla, ENGLAND, 2007)
    assert (row["cla_all"], row["cla_uasc"], row["cla_non_uasc"]) == (59960, 3390, 56570)
    assert row["source_id"] == "cla_ees2024_national_time_series"
    assert row["dfe_rate_per_10k"] == 55, "rate from SFR 27/2010 LAA1 (the series has none)"
    assert row["counts_rounded_to"] == 10


def test_authority_counts_per_year(cla: pd.DataFrame) -> None:
    per_year = cla[cla["geographic_level"] == "local_authority"].groupby("year").size()
    # 151 in 2014 (Isles of Scilly absent from the 2014 files), 2020-2021 (BCP merged,
    # Northamptonshire not yet split at 31 March 2021); 153 in 2024 (Cumbria split);
    # 152 otherwise (Isles of Scilly "z" in the 2025 release).
    assert per_year.loc[2014:].between(151, 153).all(), per_year.loc[2014:].to_dict()
    assert per_year.loc[2024] == 153
    regions = cla[cla["geographic_level"] == "region"].groupby("year").size()
    assert (regions == 9).all()


def test_no_old_and_new_codes_for_the_same_area(cla: pd.DataFrame) -> None:
    la = cla[cla["geographic_level"] == "local_authority"]
    assert not la.duplicated(["old_la_code", "year"]).any()
    north_yorkshire = la[la["old_la_code"] == "815"]
    assert set(north_yorkshire["la_code"]) == {"E06000065"}, "current code for all years"
    dorset_2007 = la[(la["year"] == 2007) & (la["la_name"] == "Dorset")]
    assert dorset_2007["old_la_code"].tolist() == ["835"], "the county, not the 2019 unitary"


def test_vintages_keep_every_release(vintages: pd.DataFrame) -> None:
    solihull_2021 = vintages[(vintages["la_code"] == SOLIHULL) & (vintages["year"] == 2021)]
    rates = solihull_2021.dropna(subset=["dfe_rate_per_10k"]).set_index("release_year")
    assert rates.loc[2021, "dfe_rate_per_10k"] == 111
    assert rates.loc[2025, "dfe_rate_per_10k"] == 113
