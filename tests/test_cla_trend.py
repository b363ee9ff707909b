"""Tests for cla_trend (denominators, rates, change, reconciliation) and neighbours."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from solihull_analytics.constants import ENGLAND_CODE
from solihull_analytics.geo import neighbours as nb
from solihull_analytics.methods import rates
from solihull_analytics.pages.cla_trend import compute
from solihull_analytics.pages.cla_trend import inputs as trend_inputs
from solihull_analytics.pages.cla_trend import text as trend_text
from solihull_analytics.reference import cla_figures
from solihull_analytics.reference.solihull_report import REPORT_CITATION

LA, ENG = "E08000029", ENGLAND_CODE


def _growth(alternative: pd.DataFrame) -> pd.Series:
    """The non-UASC growth row over the report's window, as the page computes it."""
    return compute.growth_table(alternative, LA, *cla_figures.REPORT_WINDOW,
                                series=("non_uasc",)).iloc[0]


@pytest.fixture()
def population() -> pd.DataFrame:
    """A population_la_year-like table: two vintages for mid-2021/2022, a gap at mid-2020."""
    rows = [
        (LA, 2019, 1000, "pre_census2021", "pop_0_17_la_2012_2020_pre_rebasing"),
        (LA, 2021, 1100, "census2021_rebased", "pop_0_17_la_2012_2024_rebased"),
        (LA, 2022, 1180, "mye2022_first_release", "ons_mye_mid2022_first_release"),
        (LA, 2022, 1200, "census2021_rebased", "pop_0_17_la_2012_2024_rebased"),
        (ENG, 2019, 100000, "pre_census2021", "pop_0_17_la_2012_2020_pre_rebasing"),
        (ENG, 2021, 110000, "census2021_rebased", "pop_0_17_la_2012_2024_rebased"),
        (ENG, 2022, 120000, "census2021_rebased", "pop_0_17_la_2012_2024_rebased"),
    ]
    df = pd.DataFrame(rows, columns=["la_code", "mid_year", "population", "vintage", "source_id"])
    df["age_band"] = "0-17"
    return df


@pytest.fixture()
def cla() -> pd.DataFrame:
    rows = [
        (LA, 2021, 55, 5, 10.0),
        (LA, 2022, 66, 6, 12.0),
        (LA, 2023, 8, 0, 1.0),
        (ENG, 2021, 2000, 100, 18.0),
        (ENG, 2022, 2200, 100, 20.0),
        (ENG, 2023, 2300, 100, 21.0),
    ]
    df = pd.DataFrame(rows, columns=["la_code", "year", "cla_all", "cla_uasc",
                                     "dfe_rate_per_10k"])
    df["cla_non_uasc"] = df["cla_all"] - df["cla_uasc"]
    df["la_name"] = df["la_code"].map({LA: "Testshire", ENG: "England"})
    df["counts_rounded_to"] = 1
    df["dfe_population_0_17"] = pd.NA
    df["rate_source_id"] = "cla_ees2025_number_rate"
    return df


def test_candidates_rank_latest_vintage_and_flag_the_latest_census_base(population):
    cand = trend_inputs.candidates(population)
    la22 = cand[(cand["la_code"] == LA) & (cand["mid_year"] == 2022)]
    assert la22.sort_values("vintage_rank")["vintage"].iloc[-1] == "census2021_rebased"
    assert not cand.loc[cand["mid_year"] == 2019, "on_latest_census_base"].any()
    assert cand.loc[cand["mid_year"] >= 2021, "on_latest_census_base"].all()
    # the registry's facts: the latest base is its latest census, named by its census release
    bases = trend_inputs.census_bases()
    assert bases.latest == 2021 and bases.label() == "Census 2021"
    assert bases.by_vintage["pre_census2021_revised"] == 2011


def test_dfe_convention_uses_previous_mid_year_latest_vintage(population):
    den = compute.select_denominators(trend_inputs.candidates(population), [LA], [2023])
    row = den.iloc[0]
    assert row["denominator_mid_year"] == 2022
    assert row["denominator_population"] == 1200  # revised, not the first release (1180)
    assert row["denominator_vintage"] == "census2021_rebased"
    assert row["denominator_source_id"] == "pop_0_17_la_2012_2024_rebased"
    assert bool(row["denominator_exact"])


def test_same_year_convention_and_named_vintage(population):
    cand = trend_inputs.candidates(population)
    same = compute.select_denominators(cand, [LA], [2022], convention="same_year").iloc[0]
    assert same["denominator_mid_year"] == 2022 and same["denominator_population"] == 1200
    first = compute.select_denominators(cand, [LA], [2022], convention="same_year",
                                   vintage="mye2022_first_release").iloc[0]
    assert first["denominator_population"] == 1180


def test_missing_denominator_is_na_with_reason_or_nearest_when_asked(population):
    cand = trend_inputs.candidates(population)
    strict = compute.select_denominators(cand, [LA], [2021]).iloc[0]  # wants mid-2020
    assert np.isnan(strict["denominator_population"])
    assert "mid-2020" in strict["denominator_note"]
    near = compute.select_denominators(cand, [LA], [2021], nearest=True).iloc[0]
    assert near["denominator_mid_year"] == 2021  # tie 2019/2021 goes to the later
    assert not bool(near["denominator_exact"])
    assert "nearest" in near["denominator_note"]
    with pytest.raises(ValueError):
        compute.select_denominators(cand, [LA], [2021], convention="other")


def test_cla_rates_values_and_ci_methods(cla, population):
    cand = trend_inputs.candidates(population)
    t = compute.cla_rates(cla, cand, [LA, ENG]).set_index(["la_code", "year"])
    assert np.isnan(t.loc[(LA, 2021), "rate_all"])  # mid-2020 missing
    assert t.loc[(LA, 2021), "dfe_rate_per_10k"] == 10.0  # DfE's rate still shown
    assert t.loc[(LA, 2022), "rate_non_uasc"] == pytest.approx(60 / 1100 * 10_000)
    ci = rates.poisson_rate_ci(60, 1100)
    assert t.loc[(LA, 2022), "rate_non_uasc_lower"] == pytest.approx(ci.lower)
    # count below 10: the exact interval
    exact = rates.poisson_rate_ci(8, 1200, level=0.998)
    t998 = compute.cla_rates(cla, cand, [LA], level=0.998).set_index("year")
    assert t998.loc[2023, "rate_all_upper"] == pytest.approx(exact.upper)
    assert (t998["ci_level"] == 0.998).all()


def test_growth_table_ratio_and_window_change(cla, population):
    cand = trend_inputs.candidates(population)
    t = compute.cla_rates(cla, cand, [LA, ENG])
    g = compute.growth_table(t, LA, 2022, 2023, series=("non_uasc", "dfe")).set_index("series")
    la_change = rates.percent_change(60 / 1100, 8 / 1200)
    eng_change = rates.percent_change(2100 / 110000, 2200 / 120000)
    assert g.loc["non_uasc", "la_change"] == pytest.approx(la_change)
    assert g.loc["non_uasc", "comparator_change"] == pytest.approx(eng_change)
    assert np.isnan(g.loc["non_uasc", "ratio"])  # England fell: "times faster" undefined
    assert g.loc["dfe", "la_change"] == pytest.approx(-100 * 11 / 12)


def test_population_growth_uses_common_nearest_years(population):
    cand = trend_inputs.candidates(population)
    pg = compute.population_growth(cand, [LA, ENG], 2018, 2022).set_index("la_code")
    assert pg.loc[LA, "start_mid_year"] == 2019
    assert pg.loc[LA, "percent_change"] == pytest.approx(20.0)
    assert "mid-2018" in pg.loc[LA, "note"]


def test_reconciliation_rows_and_generated_explanations(cla, population):
    cand = trend_inputs.candidates(population)
    figs = (
        cla_figures.ReportFigure("la_count_2022", "count", 60, "count", "la", 2022),
        cla_figures.ReportFigure("la_rate_2022", "rate", 500.0, "rate", "la", 2022),
    )
    d = compute.cla_rates(cla, cand, [LA, ENG], nearest=True)
    a = compute.cla_rates(cla, cand, [LA, ENG], convention="same_year", nearest=True)
    # the change rows need the report window: give the fixture a 2007 and 2022
    rec = cla_figures.reconciliation_table(d, a, LA, "Testshire", _growth(a), figures=figs)
    assert rec.loc[0, "ours"] == "60" and rec.loc[0, "difference"] == "+0"
    assert "unrounded" in rec.loc[0, "explanation"]
    assert rec.loc[0, "verdict"] == "reproduced"
    # rates are ours on the report's convention (same mid-year): 60 / 1,200 = 500.0
    assert rec.loc[1, "ours"] == "500.0" and rec.loc[1, "verdict"] == "reproduced"
    assert f"{60 / 1100 * 10_000:.1f}" in rec.loc[1, "explanation"]  # DfE's convention too
    assert "(denominator)" in rec.loc[1, "explanation"]
    off = (cla_figures.ReportFigure("la_rate_2022", "rate", 545.0, "rate", "la", 2022),)
    miss = cla_figures.reconciliation_table(d, a, LA, "Testshire", _growth(a), figures=off).iloc[0]
    assert miss["verdict"] == "not reproduced" and "implies a denominator" in miss["explanation"]
    assert {f.key for f in cla_figures.REPORT_FIGURES} >= {"la_rate_2022", "times_faster"}
    assert all(f.citation == REPORT_CITATION for f in cla_figures.REPORT_FIGURES)


def test_find_reproductions_and_implied_denominator(population):
    cand = trend_inputs.candidates(population)
    counts = pd.DataFrame({"la_code": [LA], "year": [2022], "label": ["x"], "count": [60]})
    found = cla_figures.find_reproductions(60 / 1180 * 10_000, counts, cand, LA, [2022], [2022])
    assert found["population"].tolist() == [1180]
    assert cla_figures.implied_denominator(478, 99.7) == pytest.approx(47943.8, abs=0.1)


def test_neighbours_nearest_and_region_penalty():
    ind = pd.DataFrame(
        {
            "la_name": list("ABCD"),
            "region_code": ["R1", "R1", "R2", "R1"],
            "region_name": ["r1", "r1", "r2", "r1"],
            "x": [0.0, 1.0, 0.1, 3.0],
            "y": [0.0, 1.0, 0.1, np.nan],
        },
        index=["A", "B", "C", "D"],
    )
    no_pen = nb.statistical_neighbours(ind, "A", n=2, columns=["x", "y"], region_penalty=0)
    assert no_pen["la_code"].tolist() == ["C", "B"]
    pen = nb.statistical_neighbours(ind, "A", n=3, columns=["x", "y"], region_penalty=5)
    assert pen["la_code"].tolist()[0] == "B" and "A" not in pen["la_code"].tolist()
    assert "not DfE's official neighbours" in nb.method_statement(10)


# ------------------------------------------------------------------------------------------
# Golden tests against the published data (mirror)
# ------------------------------------------------------------------------------------------


def _solihull(processed, year):
    cla = pd.read_parquet(processed / "cla_la_year.parquet")
    return cla[(cla["la_code"] == LA) & (cla["year"] == year)].iloc[0]


def test_golden_counts_and_dfe_rate(processed):
    assert _solihull(processed, 2022)["cla_non_uasc"] == 478
    assert _solihull(processed, 2007)["cla_non_uasc"] == 205  # rounded to 5 by DfE
    assert _solihull(processed, 2022)["dfe_rate_per_10k"] == 113


def test_golden_rate_2022_on_revised_mid_2022(processed):
    if not (processed / "population_la_year.parquet").exists():
        pytest.skip("population_la_year has not been built")
    inputs = trend_inputs.load_inputs(processed)
    same = compute.cla_rates(inputs.cla, inputs.candidates, [LA], convention="same_year")
    row = same[same["year"] == 2022].iloc[0]
    assert row["denominator_population"] == 47942
    assert row["rate_non_uasc"] == pytest.approx(99.7, abs=0.05)
    dfe = compute.cla_rates(inputs.cla, inputs.candidates, [LA]).set_index("year")
    assert dfe.loc[2022, "denominator_mid_year"] == 2021
    assert dfe.loc[2022, "rate_all"] == pytest.approx(112.5, abs=0.05)


def test_opposite_changes_are_said_in_words_not_as_a_negative_ratio():
    assert compute.diverged(-34.1, 26.0) and compute.diverged(5.0, -2.0)
    assert not compute.diverged(10.0, 5.0) and not compute.diverged(-3.0, -1.0)
    assert not compute.diverged(np.nan, 5.0)
    assert trend_text.contrast_changes(-34.1, 26.0) == "fell by 34% while England's rose by 26%"
    growth = pd.DataFrame([{
        "series": "non_uasc", "la_start_rate": 60.0, "la_end_rate": 39.5, "la_change": -34.1,
        "comparator_start_rate": 51.4, "comparator_end_rate": 65.0, "comparator_change": 26.5,
        "ratio": rates.ratio_of_changes(-34.1, 26.5), "approximate": False, "notes": ""}])
    text = trend_text.describe_growth(growth, "Westminster", 2007, 2022)
    assert "fell by 34% while England's rose by 26%" in text
    assert "times" not in text


def test_population_growth_paragraph_ratio_only_when_both_grew():
    base = {"start_mid_year": 2009, "end_mid_year": 2022, "start_vintage": "pre_census2021",
            "end_vintage": "census2021_rebased", "start_source_id": "a", "end_source_id": "b",
            "note": "", "start_on_latest_census_base": False, "end_on_latest_census_base": True}
    grew = pd.DataFrame([{**base, "percent_change": 20.0}, {**base, "percent_change": 8.0}])
    text = trend_text.describe_population_growth(grew, "Testshire")
    assert "grew by 20.0% in Testshire and 8.0% in England" in text
    assert "2.50 times England's" in text and "different ONS series" in text
    apart = pd.DataFrame([{**base, "percent_change": -12.9}, {**base, "percent_change": 8.1}])
    text = trend_text.describe_population_growth(apart, "Westminster")
    assert "fell by 12.9% in Westminster while it grew by 8.1% in England" in text
    assert "times" not in text and "-12.9" not in text


def test_neighbour_display_table_renames_indicators():
    df = pd.DataFrame({"rank": [1], "la_code": ["E1"], "la_name": ["A"], "distance": [0.1],
                       "idaci_top20_share": [20.0], "low_income_rate": [15.0],
                       "log_children_0_17": [10.5]})
    shown = nb.display_table(df)
    assert "la_code" not in shown
    assert set(nb.INDICATOR_HEADINGS.values()) <= set(shown.columns)


def _dfe_table() -> pd.DataFrame:
    """A statistical_neighbours-like table: two models; North Yorkshire recoded since 2021."""
    rows = []
    for model, la, at_model, names in (
        ("2021", LA, LA, ["B", "C"]),
        ("2025", LA, LA, ["C", "D"]),
        ("2021", "E06000065", "E10000023", ["X", "Y"]),
        ("2025", "E06000065", "E06000065", ["Y", "Z"]),
        ("2025", "E06000063", "E06000063", ["Q", "R"]),
    ):
        for rank, name in enumerate(names, start=1):
            rows.append({"model": model, "la_code": la, "la_code_at_model": at_model,
                         "rank": rank, "neighbour_code": f"E0800{rank:04d}",
                         "neighbour_name": name, "closeness": "Close",
                         "source_id": f"dfe_sn_{model}_csv"})
    return pd.DataFrame(rows)


def test_neighbour_set_models_and_reorganised_las():
    table = _dfe_table()
    assert nb.resolve_model(table, "current") == "2025"
    assert nb.resolve_model(table, "report") == "2021"  # in use in March 2023
    with pytest.raises(ValueError, match="2019"):
        nb.resolve_model(table, "2019")
    now = nb.neighbour_set(LA, "Testshire", "current", dfe_table=table)
    assert now.model == "2025" and now.table["la_name"].tolist() == ["C", "D"]
    assert "2025 model" in now.statement() and "2025 model" in now.label
    then = nb.neighbour_set(LA, "Testshire", "report", dfe_table=table)
    assert then.model == "2021" and then.codes == ["E08000001", "E08000002"]
    assert then.source_ids == ["dfe_sn_2021_csv"] and then.note == ""
    # North Yorkshire's 2021 list was drawn for the county (E10000023): the 2025 list is used
    ny = nb.neighbour_set("E06000065", "North Yorkshire", "report", dfe_table=table)
    assert ny.requested == "2021" and ny.model == "2025"
    assert ny.table["la_name"].tolist() == ["Y", "Z"] and "2025 list" in ny.note
    cu = nb.neighbour_set("E06000063", "Cumberland", "report", dfe_table=table)
    assert cu.model == "2025" and "April 2021 model" in cu.note
    assert list(nb.neighbour_set(LA, "T", "current", n=1, dfe_table=table).codes) == [
        "E08000001"]
    assert list(now.display().columns) == list(nb.DFE_HEADINGS.values())


def test_golden_2007_rates_on_the_same_year_convention(processed):
    """The report's 2007 start: Solihull 205 / 45,948 = 44.6, England 56,570 / 11,152,784 = 50.7."""
    if not (processed / "population_la_year.parquet").exists():
        pytest.skip("population_la_year has not been built")
    inputs = trend_inputs.load_inputs(processed)
    same = compute.cla_rates(inputs.cla, inputs.candidates, [LA, ENG], convention="same_year")
    rows = same[same["year"] == 2007].set_index("la_code")
    assert rows.loc[LA, "denominator_population"] == 45948
    assert rows.loc[ENG, "denominator_population"] == 11152784
    assert round(rows.loc[LA, "rate_non_uasc"], 1) == 44.6, "exact to the report's decimal"
    assert round(rows.loc[ENG, "rate_non_uasc"], 1) == 50.7, "exact to the report's decimal"
    assert bool(rows.loc[LA, "denominator_exact"]) and bool(rows.loc[ENG, "denominator_exact"])


#: Authorities abolished in 2019 whose area the ONS district series (April-2021 boundaries)
#: cannot rebuild: Christchurch went into Bournemouth, Christchurch and Poole.
PRE_2019_DORSET = {"E06000028", "E06000029", "E10000009"}


def test_golden_recomputed_rates_2006_to_2012_for_every_la_with_counts(processed):
    if not (processed / "population_la_year.parquet").exists():
        pytest.skip("population_la_year has not been built")
    inputs = trend_inputs.load_inputs(processed)
    cla = inputs.cla
    held = cla[cla["geographic_level"].eq("local_authority") & cla["year"].between(2006, 2012)
               & cla["cla_all"].notna() & cla["la_code"].notna()]
    codes = sorted(set(held["la_code"]) - PRE_2019_DORSET)
    assert len(codes) >= 145  # 149: the LAs of 2006-2012 less the three above
    t = compute.cla_rates(cla, inputs.candidates, [*codes, ENG], first_year=2006)
    t = t[t["year"].between(2006, 2012) & t["cla_all"].notna()]
    missing = t[t["rate_all"].isna()]
    assert missing.empty, missing[["la_code", "year", "denominator_note"]].head().to_string()
    assert set(range(2006, 2013)) <= set(t.loc[t["la_code"] == ENG, "year"])
    both = t[t["cla_non_uasc"].notna()]
    assert both["rate_non_uasc"].notna().all()


def test_golden_reconciliation_verdicts(processed):
    if not (processed / "population_la_year.parquet").exists():
        pytest.skip("population_la_year has not been built")
    inputs = trend_inputs.load_inputs(processed)
    codes = [LA, ENG]
    d = compute.cla_rates(inputs.cla, inputs.candidates, codes, nearest=True)
    a = compute.cla_rates(inputs.cla, inputs.candidates, codes, convention="same_year",
                          nearest=True)
    counts = cla_figures.count_vintages_table(inputs.vintages, codes)
    rec = cla_figures.reconciliation_table(d, a, LA, "Solihull", _growth(a), counts,
                                           inputs.candidates)
    rec = rec.set_index("key")
    for key in ("la_rate_2007", "england_rate_2007", "la_rate_2022", "la_count_2007"):
        assert rec.loc[key, "verdict"] == "reproduced", key
    assert rec.loc["la_rate_2007", "ours"] == "44.6"
    assert rec.loc["england_rate_2007", "ours"] == "50.7"
    text = rec.loc["england_rate_2022_text", "explanation"]
    assert "76,600" in text and "12,093,290" in text and "pre-rebasing mid-2020" in text
    assert "first published" in text
    assert rec.loc["england_rate_2022_table", "verdict"] == "not reproduced"
    assert rec.loc["times_faster", "ours"] == "4.6 times"
    assert "same mid-year" in cla_figures.report_convention_sentence(d, a, LA, "Solihull")


def test_an_la_without_a_dfe_list_gets_the_labelled_stand_in(processed):
    table = _dfe_table()  # holds no list for Solihull's neighbour Stockport
    stand_in = nb.neighbour_set("E08000007", "Stockport", "current", processed, dfe_table=table)
    assert stand_in.is_stand_in and len(stand_in.codes) == 10
    assert "computed stand-in" in stand_in.label
    assert "not DfE's official neighbours" in stand_in.statement()
    assert "E08000007" not in stand_in.codes
