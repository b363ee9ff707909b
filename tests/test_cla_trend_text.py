"""Page 01's words about census bases, on small fixtures: the census is named from the facts
passed in (the registry's census labels and each vintage's ``census_base``), never from code, so
a vintage based on a later census makes the page say that census."""

from __future__ import annotations

import pandas as pd

from solihull_analytics.geo import neighbours as nb
from solihull_analytics.pages.cla_trend import text as trend_text
from solihull_analytics.pages.cla_trend.census_bases import CensusBases
from solihull_analytics.pages.cla_trend.page import published_rates
from solihull_analytics.reference import cla_figures

LA = "E08000001"
#: Two censuses 20 years on from today's: nothing in the code may know these names.
LABELS = {2031: "Census 2031", 2041: "Census 2041"}
BASES = CensusBases.from_facts({"old": 2031, "old_revised": 2031, "new": 2041}, LABELS)


def _rows() -> pd.DataFrame:
    """An LA's rate rows: 2040-2041 on the revised older series, 2042-2043 on the rebased one."""
    return pd.DataFrame({
        "year": [2040, 2041, 2042, 2043],
        "denominator_vintage": ["old_revised", "old_revised", "new", "new"],
        "denominator_mid_year": [2039, 2040, 2041, 2042],
        "denominator_on_latest_census_base": [False, False, True, True],
        "rate_all": [50.0, 52.0, 55.0, 56.0],
        "rate_non_uasc": [45.0, 47.0, 50.0, 51.0],
    })


def _candidates() -> pd.DataFrame:
    return pd.DataFrame({"la_code": [LA] * 4, "mid_year": [2039, 2039, 2040, 2040],
                         "vintage": ["old", "old_revised", "old", "old_revised"],
                         "population": [1000.0, 1010.0, 1020.0, 1020.0]})


def test_series_break_names_the_censuses_from_the_facts():
    text = trend_text.series_break_statement(
        _rows(), _candidates(), LA, "Testshire", revises={"old_revised": "old"}, census=BASES)
    assert "ONS's pre-Census 2041 series as ONS later revised it (after the 2031 Census)" in text
    assert "like the Census 2041 rebasing" in text
    assert "mid-2039: 1,000 as DfE published it, 1,010 revised" in text
    assert "2021" not in text
    # the same rows with today's facts read as the page does today
    today = CensusBases.from_facts({"old_revised": 2011, "new": 2021},
                                           {2011: "Census 2011", 2021: "Census 2021"})
    text = trend_text.series_break_statement(
        _rows(), _candidates(), LA, "Testshire", revises={"old_revised": "old"}, census=today)
    assert ("ONS's pre-Census 2021 series as ONS later revised it (after the 2011 Census)"
            in text and "like the Census 2021 rebasing" in text)
    # a revision within the latest base is no census break
    same = CensusBases.from_facts({"old_revised": 2041, "new": 2041}, LABELS)
    text = trend_text.series_break_statement(
        _rows(), _candidates(), LA, "Testshire", revises={"old_revised": "old"}, census=same)
    assert "ONS's estimates as ONS later revised them" in text and "rebasing" not in text


def test_trend_alt_and_population_growth_name_the_latest_base():
    rows = _rows().assign(cla_all=10, rate_all_lower=1.0, rate_all_upper=2.0,
                          rate_non_uasc_lower=1.0, rate_non_uasc_upper=2.0)
    eng = rows.set_index("year").loc[2043]
    alt = trend_text.trend_alt("Testshire", rows, eng, 2043, "95%", 2042, (2040, 2041), BASES)
    assert "marks the switch to Census-2041-based population estimates" in alt
    assert "rates use ONS's revised pre-Census 2041 series" in alt
    pop = pd.DataFrame([{"start_mid_year": 2039, "end_mid_year": 2042, "percent_change": p,
                         "start_vintage": "old_revised", "end_vintage": "new",
                         "start_source_id": "a", "end_source_id": "b", "note": "",
                         "start_on_latest_census_base": False,
                         "end_on_latest_census_base": True} for p in (5.0, 2.0)])
    text = trend_text.describe_population_growth(pop, "Testshire", census=BASES)
    assert "(before and after the Census 2041 rebasing)" in text


def test_chart_and_reconciliation_words_take_the_census_label():
    import matplotlib.pyplot as plt

    from solihull_analytics.pages.cla_trend import charts

    rows = _rows().assign(**{c: 1.0 for c in ("rate_all_lower", "rate_all_upper",
                                              "rate_non_uasc_lower", "rate_non_uasc_upper",
                                              "dfe_rate_per_10k")})
    fig = charts.plot_trend(rows, rows, "Testshire", 2042, "A title", "the older series",
                            census_label=BASES.label())
    try:
        notes = [t.get_text() for t in fig.axes[0].texts]
    finally:
        plt.close(fig)
    assert "ONS estimates rebased\non Census 2041 from here" in notes
    assert cla_figures._area_phrase("England", 2042, True, BASES.label()) == (
        "England's Census 2041-based mid-2042 estimate")
    assert cla_figures._area_phrase("England", 2040, False, BASES.label()) == (
        "England's pre-rebasing mid-2040 estimate")


def test_the_download_names_the_flag_after_the_latest_base():
    shown = published_rates(_rows(), BASES)
    assert "denominator_census2041_based" in shown
    assert "denominator_on_latest_census_base" not in shown
    assert list(shown.columns).index("denominator_census2041_based") == 3  # same place


def test_neighbour_stand_in_names_its_census():
    labels = nb.indicator_labels("Census 2031")
    assert labels["log_children_0_17"] == (
        "size of the population aged 0-17 (Census 2031, log scale)")
    assert "Census 2031 denominator" in labels["low_income_rate"]
    assert "Census 2031" in nb.method_statement(10, census_label="Census 2031")


def test_stand_in_census_comes_from_the_registry(tmp_path, monkeypatch):
    """The stand-in's census is the latest registered with ages by LA (here a new one)."""
    year = 2031
    (tmp_path / "releases.yaml").write_text(
        "releases:\n"
        "- {kind: census, label: Census 2021, year: 2021, order: 1, files: "
        "[{id: a, role: age_by_la, layout: census_ts007}]}\n"
        f"- {{kind: census, label: Census {year}, year: {year}, order: 2, files: "
        "[{id: b, role: age_by_la, layout: census_ts007}]}\n"
        f"- {{kind: census, label: Census {year + 10}, year: {year + 10}, order: 3, files: "
        "[{id: c, role: children_by_lsoa, layout: census_age6}]}\n", encoding="utf-8")
    monkeypatch.setenv("SOLIHULL_RELEASES", str(tmp_path / "releases.yaml"))
    assert nb.latest_la_census() == (year, f"Census {year}")
    assert f"(Census {year}, log scale)" in nb.method_statement(10)
