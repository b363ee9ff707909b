"""Tests for :mod:`solihull_analytics.sources.cin`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from solihull_analytics.build import read_table
from solihull_analytics.sources._common import dfe_current_la_codes, to_number
from solihull_analytics.sources.cin import ees_long, lait_year

SOLIHULL = "E08000029"

# ---------------------------------------------------------------------------------------------
# Unit tests
# ---------------------------------------------------------------------------------------------


def test_to_number_suppression_markers() -> None:
    s = pd.Series(["1,801", "c", "x", "z", "low", "u", " 3.5 ", "", "-", "7.0000000000000007E-2"])
    out = to_number(s)
    assert out.dtype == "Float64"
    assert out.iloc[0] == 1801
    assert out.iloc[1:6].isna().all()
    assert out.iloc[6] == 3.5
    assert out.iloc[7:9].isna().all()
    assert out.iloc[9] == pytest.approx(0.07)


def _ees(rows: list[dict[str, str]]) -> pd.DataFrame:
    base = {
        "time_identifier": "Reporting year",
        "country_code": "E92000001",
        "country_name": "England",
        "region_code": "",
        "region_name": "",
        "old_la_code": "",
        "new_la_code": "",
        "la_name": "",
    }
    return pd.DataFrame([{**base, **r} for r in rows])


def test_ees_long_levels_and_current_codes() -> None:
    df = _ees(
        [
            {"time_period": "2025", "geographic_level": "National", "CPP_At31": "50000"},
            {"time_period": "2025", "geographic_level": "Regional", "region_code": "E12000005",
             "region_name": "West Midlands", "CPP_At31": "6000"},
            {"time_period": "2025", "geographic_level": "Local authority", "old_la_code": "815",
             "new_la_code": "E06000065", "la_name": "North Yorkshire", "CPP_At31": "c"},
            {"time_period": "2022", "geographic_level": "Local authority", "old_la_code": "815",
             "new_la_code": "E10000023", "la_name": "North Yorkshire", "CPP_At31": "400"},
        ]
    )
    codes = dfe_current_la_codes([df])
    assert codes == {"815": "E06000065"}
    long = ees_long(df, {"CPP_At31": ("cpp_31_march", None)}, codes, "fixture.csv")
    assert list(long["la_code"]) == ["E92000001", "E12000005", "E06000065", "E06000065"]
    assert list(long["geographic_level"]) == ["country", "region", "local_authority",
                                              "local_authority"]
    assert pd.isna(long["value"].iloc[2]) and long["value"].iloc[3] == 400


def test_lait_year() -> None:
    s = pd.Series(["2021", "2021 (Rev)", "2020-21", "2020/21", "2014-16", "2025 (prov)", "0"])
    out = lait_year(s)
    assert out.tolist()[:4] == [2021, 2021, 2021, 2021]
    assert pd.isna(out.iloc[4])
    assert out.iloc[5] == 2025
    assert pd.isna(out.iloc[6])


# ---------------------------------------------------------------------------------------------
# Golden tests
# ---------------------------------------------------------------------------------------------


def test_cin_la_year_solihull(processed: Path) -> None:
    df = read_table("cin_la_year", processed)
    sol = df[df["la_code"] == SOLIHULL].set_index(["measure", "year"])
    assert sol.loc[("cin_31_march", 2022), "value"] == 1_801, "exact"
    assert sol.loc[("cin_31_march", 2022), "rate_per_10k"] == pytest.approx(375.6, abs=1e-9)
    assert sol.loc[("cin_31_march", 2025), "value"] == 1_836, "exact"
    assert sol.loc[("referrals", 2025), "value"] == 3_022, "exact"
    assert sol.loc[("cpp_31_march", 2025), "value"] == 177, "exact"
    assert sol.loc[("re_referral_pct", 2025), "value"] == pytest.approx(26.3, abs=1e-9)
    assert sol.loc[("cin_31_march", 2025), "source_id"] == "cin_ees2025_b1"


def test_workforce_solihull_2025(processed: Path) -> None:
    df = read_table("workforce_la_year", processed)
    row = df[(df["la_code"] == SOLIHULL) & (df["year"] == 2025)].iloc[0]
    expected = {
        "fte_social_workers": 153.6,
        "agency_rate_pct": 23,
        "turnover_rate_pct": 12.3,
        "vacancy_rate_pct": 11,
        "caseload_average": 14.2,
    }
    for col, value in expected.items():
        assert row[col] == pytest.approx(value, abs=1e-9), f"{col}: exact as published"


def test_lait_solihull_rates(processed: Path) -> None:
    df = read_table("lait_indicators", processed)
    sol = df[df["la_code"] == SOLIHULL].set_index(["indicator", "year"])["value"]
    assert sol[("LAC", 2025)] == 99
    assert sol[("CIN", 2022)] == pytest.approx(383.8, abs=1e-9)
    assert sol[("CPP_rate", 2016)] == pytest.approx(44.5, abs=1e-9)
    assert sol[("UASC_%_Starting", 2025)] == 36
    england = df[(df["la_code"] == "E92000001") & (df["indicator"] == "LAC")]
    assert england.set_index("year").loc[2025, "value"] == 67
