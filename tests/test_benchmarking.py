"""Tests for the benchmarking page (notebook 05): its words and tables on small fixtures, then
the model, funnels and page on the published data in the mirror. The analysis's unit tests are
in test_benchmarking_compute.py, the count model's in test_count_model.py."""

from __future__ import annotations

import functools
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from solihull_analytics.constants import ENGLAND_CODE
from solihull_analytics.methods.count_model import fit_deprivation_model
from solihull_analytics.pages.benchmarking import compute, inputs, measures, text
from solihull_analytics.pages.benchmarking import page as bm
from tests.test_benchmarking_compute import independent_funnel
from tests.test_count_model import synthetic_las

SOLIHULL = "E08000029"


# --- published data --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mirror_model(processed):
    inp = inputs.load_inputs(processed)
    rates_all = measures.la_year_rates(inp)
    dep = measures.deprivation_by_la(inp.iod, inp.population_lsoa, release_order=inp.iod_order)
    frame, excluded = compute.model_frame(rates_all, dep, 2025, "non_uasc", "IoD2025")
    model = fit_deprivation_model(frame, "non_uasc", "idaci_top20_share", "IoD2025", 2025,
                                  excluded)
    return rates_all, dep, model


def test_rates_match_published_counts(mirror_model):
    rates_all, _, _ = mirror_model
    sol = rates_all[(rates_all["la_code"] == SOLIHULL)].set_index("year")
    # SOURCES.md: 2025 all CLA 489, UASC 42, non-UASC 447, denominator 49,229 (mid-2024)
    assert sol.loc[2025, "cla_non_uasc"] == 447
    assert sol.loc[2025, "population_0_17"] == 49_229
    assert sol.loc[2025, "rate_cla_non_uasc"] == pytest.approx(90.80, abs=0.01)
    assert sol.loc[2022, "rate_cla_all"] == pytest.approx(112.5, abs=0.05)


def test_model_on_mirror_data(mirror_model):
    _, dep, model = mirror_model
    slope = model.params.iloc[1]
    assert slope["coef"] > 0 and slope["lower"] > 0  # more deprivation, higher rate
    d = model.diagnostics
    assert d["n_las"] >= 145
    assert abs(d["total_ratio"] - 1) < 0.01  # fitted England total within 1% of observed
    assert d["poisson_dispersion"] > 10 and 0.7 < d["nb_dispersion"] < 1.3
    sol = model.row(SOLIHULL)
    assert sol is not None
    assert sol["observed"] == 447
    assert sol["oe_lower"] < sol["oe"] < sol["oe_upper"]
    # values at the time of writing (2025, IoD2025): O/E about 1.42 (1.27 to 1.60), rank 17
    assert sol["oe"] == pytest.approx(1.42, abs=0.05)
    assert 1 <= sol["oe_rank"] <= d["n_las"]
    assert text.judge_oe(sol["oe_lower"], sol["oe_upper"]) == "higher than expected"
    sol_dep = dep[(dep["la_code"] == SOLIHULL) & (dep["release"] == "IoD2025")]
    assert sol_dep["idaci_top20_share"].iloc[0] == pytest.approx(18.2, abs=0.1)


def test_funnel_outliers_on_mirror_data(mirror_model):
    rates_all, _, model = mirror_model
    eng = rates_all[(rates_all["la_code"] == ENGLAND_CODE) & (rates_all["year"] == 2025)]
    england_rate = float(eng["rate_cla_non_uasc"].iloc[0])
    assert england_rate == pytest.approx(75_230 / 12_183_016 * 10_000)
    t = compute.funnel_table(model.data, england_rate)
    above, below = set(), set()
    for _, r in model.data.iterrows():
        lo, hi = independent_funnel(england_rate, r["population_0_17"], 0.998)
        rate = r["observed"] / r["population_0_17"] * 10_000
        if rate > hi:
            above.add(r["la_code"])
        elif rate < lo:
            below.add(r["la_code"])
    assert set(t.loc[t["funnel_position"] == "above 99.8%", "la_code"]) == above
    assert set(t.loc[t["funnel_position"] == "below 99.8%", "la_code"]) == below
    assert SOLIHULL in above
    # Issue 12: the limits used before put Luton below 99.8% (325 children, 384.6 expected at
    # England's rate) and Leicestershire below 95% on the O/E funnel (620 on 670.8 expected).
    pos = t.set_index("la_code")["funnel_position"]
    assert pos["E06000032"] == "below 95%"
    oe_pos = compute.oe_funnel_table(model).set_index("la_code")["funnel_position"]
    assert oe_pos["E10000018"] == "within 95%"


# --- the report page -------------------------------------------------------------------------


def test_format_floats_formats_only_present_floats():
    df = pd.DataFrame({"a": [1.23456, np.nan], "b": [3, 4], "c": ["x", None],
                       "d": [True, False]})
    out = bm.format_floats(df, "{:,.2f}")
    assert out["a"].tolist()[0] == "1.23" and pd.isna(out["a"].tolist()[1])
    assert out["b"].tolist() == [3, 4]
    assert out["c"].tolist()[0] == "x" and pd.isna(out["c"].tolist()[1])
    assert out["d"].tolist() == [True, False]
    assert df["a"].iloc[0] == 1.23456  # input untouched


def test_diagnostics_text_on_synthetic_model():
    m = fit_deprivation_model(synthetic_las(), year=2025, size=False)
    words = text.diagnostics_text(m)
    assert words.startswith("**Dispersion.**")
    assert f"over the {m.diagnostics['n_las']} authorities" in words
    assert ("improves the fit" in words) == (m.diagnostics["curvature_p"] < 0.05)


def test_sensitivity_text_picks_lowest_aic_of_first_four():
    sens = pd.DataFrame({"model": ["a", "b", "c", "d", "e"], "aic": [10.0, 8.0, 9.0, 12.0, 1.0],
                         "oe": [1.1, 1.2, 1.3, 1.4, 0.9], "oe_lower": 1.0, "oe_upper": 1.5})
    words = text.sensitivity_text(sens, "Place")
    assert "is 'b' (AIC 8)" in words and "Place's O/E is 1.20" in words
    assert "ranges from 0.90 to 1.40" in words


def test_prepare_sections_and_headlines_on_mirror_data(processed):
    from solihull_analytics.report.page import Chart, TableBlock

    ctx = bm.prepare(SOLIHULL, processed, year=2025)
    assert ctx.year == 2025 and len(ctx.neighbour_codes) == 10
    assert ctx.local.funnel_position == "above 99.8%"
    assert len(ctx.source_ids) == len(set(ctx.source_ids)) > 0
    for section in (bm.rates_section, bm.model_section, bm.funnel_section, bm.change_section,
                    bm.workforce_section, bm.neighbours_section):
        blocks = section(ctx)
        assert blocks and all(isinstance(b, (str, Chart, TableBlock)) for b in blocks)
    assert isinstance(bm.appendix_all_section(ctx), TableBlock)
    heads = {h["name"]: h for h in bm.headlines(ctx)}
    assert heads["cla_rate_latest"]["value"] == pytest.approx(90.8, abs=0.05)
    assert heads["cla_oe_ratio"]["lower"] < heads["cla_oe_ratio"]["value"]
    assert set(heads["cla_oe_ratio"]["source_ids"]) <= set(ctx.source_ids)
    assert "times the rate expected" in bm.summary(ctx)


# --- words and the page on synthetic tables (no mirror) ----------------------------------------


def test_judge_oe_and_workforce_words():
    assert text.judge_oe(1.1, 1.5) == "higher than expected"
    assert text.judge_oe(0.5, 0.9) == "lower than expected"
    assert text.judge_oe(0.9, 1.1) == "in line with expectation"
    panel = pd.DataFrame({"la_code": ["A", "B", "C", ENGLAND_CODE], "la_name": list("ABCE"),
                          "year": 2025, "agency_rate_pct": [20.0, 10.0, 30.0, 15.0],
                          "turnover_rate_pct": np.nan, "vacancy_rate_pct": np.nan,
                          "caseload_average": np.nan, "note": ["", "", "", ""]})
    words = text.describe_workforce(panel, "A", "Aville")
    assert words == ("At 30 September 2025, Aville: agency worker rate 20.0 (neighbours' median "
                     "20.0, England 15.0).")
    assert "not published" in text.describe_workforce(panel, "Z", "Zed")


@functools.cache
def _synthetic_national() -> tuple[measures.BenchmarkInputs, compute.NationalBenchmark]:
    from tests.test_benchmarking_compute import synthetic_inputs

    inp = synthetic_inputs()
    return inp, compute.national_benchmark(inp)


def _synthetic_context(la_code: str) -> bm.BenchmarkContext:
    """A page context over the synthetic tables, with stand-ins for the LA and its neighbours."""
    inp, national = _synthetic_national()
    neighbours = ["E06000001", "E06000002"]
    nset = SimpleNamespace(label="synthetic neighbours", source_ids=["nbrs"], codes=neighbours)
    return bm.BenchmarkContext(
        la=SimpleNamespace(code=la_code, name="Testshire"), inputs=inp, national=national,
        local=compute.local_benchmark(national, la_code, neighbours, inp.workforce),
        neighbour_set=nset, cla_ids=inp.ids_for_years([national.year, national.start]),
    )


def test_headlines_on_synthetic_tables_follow_the_specification():
    ctx = _synthetic_context("E06000004")
    heads = {h["name"]: h for h in bm.headlines(ctx)}
    assert list(heads) == ["cla_rate_latest", "cla_expected_rate", "cla_oe_ratio", "cla_oe_rank",
                           "funnel_position", "deprivation_rate_ratio", "idaci_top20_share",
                           "cla_rate_change_5y", "agency_rate"]
    me = ctx.national.model.row("E06000004")
    rate = heads["cla_rate_latest"]
    assert rate["value"] == round(me["rate"], 1) and rate["period"] == "2025"
    assert rate["label"] == "Rate (children looked after excluding UASC)"
    assert rate["statement"] == (f"Testshire's rate of children looked after excluding UASC was "
                                 f"{me['rate']:.1f} per 10,000 children at 31 March 2025.")
    assert heads["cla_oe_rank"]["value"] == int(me["oe_rank"])
    assert heads["cla_oe_rank"]["note"] == "of 40"
    assert heads["cla_oe_ratio"]["lower"] == round(me["oe_lower"], 3)
    assert heads["cla_rate_change_5y"]["period"] == "2020-2025"
    dep = heads["idaci_top20_share"]
    assert dep["statement"].startswith(f"On IoD2025, {dep['value']:.1f}% of Testshire's children")
    assert "area" not in heads["deprivation_rate_ratio"]
    assert heads["agency_rate"]["statement"] == ("15.0% of Testshire's children's social workers "
                                                 "were agency workers at 30 September 2025.")
    assert bm.summary(ctx).startswith(f"Testshire: children looked after excluding UASC "
                                      f"{me['rate']:.1f} per 10,000 in 2025, ")


def test_an_la_outside_the_model_gets_only_national_headlines():
    ctx = _synthetic_context("E06999999")
    heads = [h["name"] for h in bm.headlines(ctx)]
    assert heads == ["deprivation_rate_ratio"]
    assert bm.summary(ctx) == "Testshire is not in the model for this year."
    rates_text = bm.rates_section(ctx)[0]
    assert rates_text.startswith("No IoD2025 deprivation value for Testshire. All rates below")


def test_sections_draw_and_write_on_synthetic_tables():
    from solihull_analytics.report.page import Chart, TableBlock

    ctx = _synthetic_context("E06000004")
    blocks = [*bm.rates_section(ctx), *bm.model_section(ctx), *bm.funnel_section(ctx),
              *bm.change_section(ctx), *bm.workforce_section(ctx),
              *bm.appendix_model_section(ctx), bm.appendix_all_section(ctx)]
    charts = {b.name: b for b in blocks if isinstance(b, Chart)}
    assert list(charts) == ["chart_model", "chart_funnel_rates", "chart_funnel_oe",
                            "chart_change", "chart_workforce", "chart_residuals"]
    me = ctx.me
    assert charts["chart_model"].alt.endswith(
        f"Testshire is at {me['deprivation']:.1f}% with a rate of {me['rate']:.1f} against an "
        f"expected {me['expected_rate']:.1f}.")
    assert len(charts["chart_funnel_rates"].data) == 40
    tables = [b for b in blocks if isinstance(b, TableBlock)]
    assert tables[0].df["Code"].tolist() == ["E06000004", "E06000001", "E06000002", ENGLAND_CODE]
    sens = next(t for t in tables if t.caption.startswith("Sensitivity"))
    assert len(sens.df) == 7
    assert blocks[-1].df["Authority"].tolist()[int(me["oe_rank"]) - 1] == "Place 4"
    texts = [b for b in blocks if isinstance(b, str)]
    assert any(t.startswith("**Dispersion.**") for t in texts)
    assert any("Testshire's rate went from" in t for t in texts)
    import matplotlib.pyplot as plt

    plt.close("all")


def test_national_result_is_computed_once_and_shared_without_leaks(processed):
    """A batch kernel fits the model once; Solihull's headlines are the same before and after
    Kent's page, and the same as from a cold cache."""
    bm._national_cached.cache_clear()
    first = bm.headlines(bm.prepare(SOLIHULL, processed))
    kent_ctx = bm.prepare("E10000016", processed)
    for section in (bm.rates_section, bm.model_section, bm.funnel_section, bm.change_section,
                    bm.workforce_section, bm.neighbours_section, bm.appendix_model_section,
                    bm.appendix_all_section):
        section(kent_ctx)  # every section reads the shared result: none may change it
    kent = bm.headlines(kent_ctx)
    again = bm.headlines(bm.prepare(SOLIHULL, processed))
    assert bm._national_cached.cache_info().hits == 2
    bm._national_cached.cache_clear()
    cold = bm.headlines(bm.prepare(SOLIHULL, processed))
    assert first == again == cold
    assert kent != first
