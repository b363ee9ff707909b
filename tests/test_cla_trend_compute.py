"""Unit tests for page 01's pure computations (compute.py, comparators.py) and the report's
reconciliation helpers, on small in-memory fixtures: no mirror, no processed tables, no release
registry (its facts are passed in)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from solihull_analytics.constants import ENGLAND_CODE as ENG
from solihull_analytics.pages.cla_trend import comparators, compute
from solihull_analytics.pages.cla_trend.census_bases import CensusBases
from solihull_analytics.reference import cla_figures

LA, REGION, N1, N2 = "E08000001", "E12000005", "E08000002", "E08000003"
#: Registry facts for the fixture's vintages: the rebased series revises the first release.
RANKS = {"pre_census2021": 1, "first_release": 2, "rebased": 3}
BASES = {"pre_census2021": 2011, "first_release": 2021, "rebased": 2021}


def _population() -> pd.DataFrame:
    rows = [
        (LA, 2010, 1000, "pre_census2021", "pop_pre"),
        (LA, 2011, 1010, "pre_census2021", "pop_pre"),
        (LA, 2015, 1050, "pre_census2021", "pop_pre"),
        (LA, 2015, 1060, "rebased", "pop_x"),
        (LA, 2021, 1100, "first_release", "pop_first"),
        (LA, 2021, 1120, "rebased", "pop_x"),
        (ENG, 2010, 100_000, "pre_census2021", "pop_pre"),
        (ENG, 2011, 101_000, "pre_census2021", "pop_pre"),
        (ENG, 2021, 110_000, "rebased", "pop_x"),
    ]
    return pd.DataFrame(rows, columns=["la_code", "mid_year", "population", "vintage",
                                       "source_id"])


def _candidates() -> pd.DataFrame:
    return compute.population_candidates(_population(), RANKS, BASES)


def _rates_table() -> pd.DataFrame:
    """A cla_rates-like table: four areas, 2017 and 2022."""
    rows = []
    for code, name, r17, r22, lo, hi in (
        (LA, "Here", 50.0, 80.0, 70.0, 90.0),
        (ENG, "England", 60.0, 66.0, 65.0, 67.0),
        (REGION, "West Midlands", 65.0, 75.0, 73.0, 77.0),
        (N1, "Near", 40.0, 100.0, 92.0, 108.0),
        (N2, "Far", 55.0, 60.0, 50.0, 69.0),
    ):
        for year, rate in ((2017, r17), (2022, r22)):
            rows.append({"la_code": code, "la_name": name, "year": year, "cla_all": 10,
                         "cla_non_uasc": 9, "dfe_rate_per_10k": rate, "rate_all": rate,
                         "dfe_population_0_17": 10_000,
                         "rate_all_lower": lo, "rate_all_upper": hi, "rate_non_uasc": rate,
                         "rate_non_uasc_lower": lo if year == 2022 else np.nan,
                         "rate_non_uasc_upper": hi if year == 2022 else np.nan})
    return pd.DataFrame(rows)


def test_population_candidates_use_the_given_registry_facts():
    cand = _candidates()
    la15 = cand[(cand["la_code"] == LA) & (cand["mid_year"] == 2015)].set_index("vintage")
    assert la15.loc["rebased", "vintage_rank"] == 3
    assert la15.loc["pre_census2021", "vintage_rank"] == 1
    # census base from the facts: the rebased mid-2015 is on the latest base (2021), the
    # 2011-based one not
    assert bool(la15.loc["rebased", "on_latest_census_base"])
    assert not bool(la15.loc["pre_census2021", "on_latest_census_base"])
    # the facts, not the words, decide: a "rebased" vintage the registry says is 2011-based is
    # not on the latest base; from mid-2021 (the latest census) every estimate is
    told = compute.population_candidates(_population(), RANKS, {**BASES, "rebased": 2011})
    assert not told.loc[(told["mid_year"] == 2015) & (told["vintage"] == "rebased"),
                        "on_latest_census_base"].any()
    assert told.loc[told["mid_year"] >= 2021, "on_latest_census_base"].all()
    # without facts: rank 0, and no estimate is known to be on a census base
    bare = compute.population_candidates(_population())
    assert (bare["vintage_rank"] == 0).all()
    assert not bare["on_latest_census_base"].any()


def test_a_later_census_base_moves_the_break_and_names_it():
    """A vintage based on a census after 2021 makes that census the latest base: the break and
    the words follow the registry's facts, with no census named in code."""
    pop = pd.concat([_population(), pd.DataFrame(
        [(LA, 2032, 1200, "rebased_2031", "pop_y"), (LA, 2025, 1150, "rebased_2031", "pop_y")],
        columns=["la_code", "mid_year", "population", "vintage", "source_id"])])
    bases = CensusBases.from_facts({**BASES, "rebased_2031": 2031},
                                           {2011: "Census 2011", 2021: "Census 2021"})
    cand = compute.population_candidates(pop, {**RANKS, "rebased_2031": 4}, bases)
    on_latest = cand.set_index(["mid_year", "vintage"])["on_latest_census_base"]
    assert bases.latest == 2031 and bases.previous == 2021
    assert not on_latest[(2021, "rebased")].any()  # 2021-based: no longer the latest base
    assert on_latest[(2025, "rebased_2031")].all() and on_latest[(2032, "rebased_2031")].all()
    # its name: the census release's label when registered, else "Census <year>"
    assert bases.label() == "Census 2031" and bases.label(2011) == "Census 2011"
    assert bases.based == "Census-2031-based" and bases.slug == "census2031"
    named = CensusBases.from_facts(BASES, {2021: "Census 2021 (England and Wales)"})
    assert named.label() == "Census 2021 (England and Wales)"
    assert CensusBases().label() == "the census"


def test_population_candidates_drop_other_ages_and_empty_estimates():
    df = _population().assign(age_band="0-17")
    df.loc[0, "age_band"] = "18-64"
    df.loc[1, "population"] = 0
    cand = compute.population_candidates(df, RANKS, BASES)
    assert len(cand) == len(df) - 2
    assert not ((cand["la_code"] == LA) & cand["mid_year"].isin([2010, 2011])).any()


def test_select_denominators_prefers_the_latest_vintage():
    den = compute.select_denominators(_candidates(), [LA], [2016, 2022]).set_index("year")
    assert den.loc[2016, "denominator_population"] == 1060  # rebased over pre-census
    assert den.loc[2022, "denominator_population"] == 1120  # rebased over first release
    assert den.loc[2022, "denominator_vintage"] == "rebased"


def test_best_estimates_keep_each_areas_latest_vintage_per_mid_year():
    best = compute.best_estimates(_candidates())
    assert best[LA][2015] == (1060.0, "rebased", "pop_x", True)
    assert best[LA][2021][:2] == (1120.0, "rebased")
    assert sorted(best[ENG]) == [2010, 2011, 2021]
    only = compute.best_estimates(_candidates(), "first_release", [LA, ENG])
    assert only == {LA: {2021: (1100.0, "first_release", "pop_first", True)}}


def test_nearest_denominator_ties_go_to_the_later_mid_year():
    den = compute.select_denominators(_candidates(), [LA], [2014], nearest=True).iloc[0]
    # mid-2013 wanted: 2011 and 2015 are two years away; the later one is used.
    assert den["denominator_mid_year"] == 2015
    assert not den["denominator_exact"]
    assert "the nearest held, mid-2015" in den["denominator_note"]


def test_cla_rates_adds_rates_and_notes_missing_uasc_counts():
    cla = pd.DataFrame({"la_code": [LA, LA], "year": [2012, 2022], "cla_all": [50, 56],
                        "cla_uasc": [np.nan, 6], "cla_non_uasc": [np.nan, 50],
                        "dfe_rate_per_10k": [49.0, 51.0], "counts_rounded_to": [5, 1]})
    t = compute.cla_rates(cla, _candidates(), [LA]).set_index("year")
    assert t.loc[2012, "rate_all"] == pytest.approx(50 / 1010 * 10_000)
    assert np.isnan(t.loc[2012, "rate_non_uasc"])
    assert t.loc[2012, "denominator_note"] == "UASC count not published"
    assert t.loc[2022, "rate_non_uasc"] == pytest.approx(50 / 1120 * 10_000)
    with pytest.raises(ValueError, match="no CLA rows"):
        compute.cla_rates(cla, _candidates(), [ENG])


def test_denominator_runs_and_latest_census_break_year():
    table = pd.DataFrame({"year": [2010, 2011, 2012, 2013, 2014],
                          "denominator_vintage": ["a", "a", pd.NA, "b", "b"],
                          "denominator_on_latest_census_base": [False, False, pd.NA, True, True]})
    assert compute.denominator_runs(table) == [(2010, 2011, "a"), (2013, 2014, "b")]
    assert compute.latest_census_break_year(table) == 2013
    never = table.assign(denominator_on_latest_census_base=False)
    assert compute.latest_census_break_year(never) is None


def test_window_change_on_dfe_rates_and_a_missing_year():
    cla = pd.DataFrame({"la_code": [LA, LA], "year": [2012, 2022], "cla_all": [50, 56],
                        "cla_uasc": [0, 6], "cla_non_uasc": [50, 50],
                        "dfe_rate_per_10k": [40.0, 50.0], "dfe_population_0_17": [12500, 11200],
                        "counts_rounded_to": [1, 1]})
    t = compute.cla_rates(cla, _candidates(), [LA])
    dfe = compute.window_change(t, LA, 2012, 2022, series="dfe")
    assert dfe["percent_change"] == pytest.approx(25.0)
    assert dfe["start_mid_year"] == 2011 and dfe["end_denominator"] == 11200
    gap = compute.window_change(t, LA, 2007, 2022)
    assert np.isnan(gap["percent_change"]) and "no data for 2007" in gap["notes"]


def test_growth_table_and_population_growth():
    t = _rates_table()
    g = compute.growth_table(t, LA, 2017, 2022, series=("dfe",)).iloc[0]
    assert g["la_change"] == pytest.approx(60.0) and g["comparator_change"] == pytest.approx(10.0)
    assert g["ratio"] == pytest.approx(6.0)
    pg = compute.population_growth(_candidates(), [LA, ENG], 2010, 2021).set_index("la_code")
    assert pg.loc[LA, "percent_change"] == pytest.approx(12.0)
    assert pg.loc[ENG, "end_vintage"] == "rebased"
    with pytest.raises(ValueError, match="no mid-year"):
        compute.population_growth(_candidates(), [LA, "E99999999"], 2010, 2021)


def test_diverged_only_for_opposite_directions():
    assert compute.diverged(3.0, -1.0) and not compute.diverged(3.0, 1.0)
    assert not compute.diverged(0.0, 5.0)


def test_comparison_table_orders_roles_and_rank_among_counts_neighbours():
    comp = comparators.comparison_table(_rates_table(), LA, REGION, [N1, N2], 2022, 2017)
    assert comp["role"].tolist() == ["this LA", "England", "region", "neighbour", "neighbour"]
    assert comp["la_code"].tolist()[3:] == [N1, N2]  # neighbours by rate, highest first
    assert comp.set_index("la_code").loc[N1, "non_uasc_change"] == pytest.approx(150.0)
    assert comparators.rank_among(comp, LA) == (2, 3)
    assert comparators.rank_among(comp, "E06000999") == (0, 3)


def test_report_neighbours_table_keeps_the_given_order_and_names_absent_areas():
    gone = "E10000099"
    t = comparators.report_neighbours_table(_rates_table(), LA, [N2, gone, N1],
                                            ["Far", "Old county", "Near"], 2017, 2022)
    assert t["la_code"].tolist() == [LA, ENG, N2, gone, N1]
    row = t.set_index("la_code").loc[gone]
    assert row["la_name"] == "Old county" and np.isnan(row["change"])
    assert t.set_index("la_code").loc[LA, "change"] == pytest.approx(60.0)


def test_count_vintages_table_pairs_counts_and_adds_quoted_uasc():
    vintages = pd.DataFrame({
        "la_code": [ENG, ENG], "year": [2022, 2022],
        "release": ["EES reporting year 2022", "EES reporting year 2023"],
        "release_year": [2022, 2023], "cla_all": [82170, 82080], "cla_uasc": [np.nan, 5680]})
    counts = cla_figures.count_vintages_table(vintages, [ENG])
    first = counts[counts["count"] == 82170 - 5570].iloc[0]
    assert "first published" in first["label"] and "5,570" in first["label"]
    assert (counts["count"] == 82080 - 5680).any()


def test_report_convention_sentence_names_the_convention_that_reproduces():
    def table(pop07: float, pop22: float) -> pd.DataFrame:
        return pd.DataFrame({"la_code": [LA, LA], "year": [2007, 2022],
                             "cla_non_uasc": [205, 478],
                             "rate_non_uasc": [205 / pop07 * 1e4, 478 / pop22 * 1e4],
                             "denominator_population": [pop07, pop22],
                             "denominator_mid_year": [2007, 2022]})
    same, dfe = table(45948, 47942), table(45000, 42500)
    assert "same mid-year" in cla_figures.report_convention_sentence(dfe, same, LA, "Here")
    assert cla_figures.report_convention_sentence(dfe, dfe, LA, "Here").startswith("Neither")
