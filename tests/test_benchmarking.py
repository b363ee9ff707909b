"""Tests for the benchmarking library (notebook 05): unit tests on small fixtures, then the
model and funnel on the published data in the mirror."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from solihull_analytics.pages.benchmarking import page as bm

SOLIHULL = "E08000029"


# --- small fixtures --------------------------------------------------------------------------


def independent_count_limits(e: float, level: float) -> tuple[float, float]:
    """OHID's funnel limits for a count with mean ``e``, written out without the library.

    The counts whose exact Poisson interval just reaches ``e``: P(X <= lo | e) = alpha/2 and
    P(X <= hi - 1 | e) = 1 - alpha/2, with P(X <= k | e) = gamma.sf(e, k + 1), solved by
    root-finding (the library uses scipy.special.pdtrik).
    """
    a = 1 - level
    top = e + 20 * np.sqrt(e) + 50
    lo = 0.0
    if np.exp(-e) < a / 2:
        lo = optimize.brentq(lambda k: stats.gamma.sf(e, k + 1) - a / 2, 0.0, top,
                             xtol=1e-12, rtol=1e-14)
    hi = optimize.brentq(lambda k: stats.gamma.sf(e, k) - (1 - a / 2), 1e-12, top,
                         xtol=1e-12, rtol=1e-14)
    return lo, hi


def independent_funnel(rate_per_10k: float, population: float, level: float) -> tuple[float, float]:
    """OHID's funnel limits for a rate per 10,000, written out without the library."""
    lo, hi = independent_count_limits(rate_per_10k * population / 10_000, level)
    return lo / population * 10_000, hi / population * 10_000


def independent_position(observed: float, expected: float) -> str:
    """OHID's funnel significance: ``expected`` against the count's Fingertips interval."""
    limits = {}
    for level in (0.95, 0.998):
        a, o = 1 - level, observed
        if o < 10:
            lo = 0.0 if o == 0 else stats.chi2.ppf(a / 2, 2 * o) / 2
            hi = stats.chi2.ppf(1 - a / 2, 2 * o + 2) / 2
        else:
            z = stats.norm.ppf(1 - a / 2)
            lo = o * (1 - 1 / (9 * o) - z / (3 * np.sqrt(o))) ** 3
            hi = (o + 1) * (1 - 1 / (9 * (o + 1)) + z / (3 * np.sqrt(o + 1))) ** 3
        limits[level] = (lo, hi)
    if expected < limits[0.998][0]:
        return "above 99.8%"
    if expected < limits[0.95][0]:
        return "above 95%"
    if expected > limits[0.998][1]:
        return "below 99.8%"
    if expected > limits[0.95][1]:
        return "below 95%"
    return "within 95%"


def test_deprivation_by_la_shares_and_percentiles():
    iod = pd.DataFrame(
        {
            "release": "IoD2019",
            "lsoa_code": [f"L{i}" for i in range(10)],
            "la_code": ["A"] * 5 + ["B"] * 5,
            "idaci_rank": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
            "children_0_15": [100, 300, 100, 100, 100, 100, 100, 100, 100, 100],
            "lsoas_in_england": 10,
        }
    )
    out = bm.deprivation_by_la(iod, pd.DataFrame({"lsoa_code": [], "population": []}),
                               releases=["IoD2019"])
    a = out.set_index("la_code").loc["A"]
    # ranks 1-2 are England's most deprived 20% of 10 LSOAs: 400 of A's 700 children
    assert a["idaci_top20_share"] == pytest.approx(400 / 700 * 100)
    assert a["idaci_mean_percentile"] == pytest.approx(
        (10 * 100 + 20 * 300 + 30 * 100 + 40 * 100 + 50 * 100) / 700
    )
    assert out.set_index("la_code").loc["B", "idaci_top20_share"] == 0
    england = out.set_index("la_code").loc[bm.ENGLAND_CODE, "idaci_top20_share"]
    assert england == pytest.approx(400 / 1200 * 100)


def test_deprivation_by_la_iod2025_uses_census_weights():
    iod = pd.DataFrame(
        {
            "release": "IoD2025",
            "lsoa_code": ["L1", "L2", "L3", "L4", "L5"],
            "la_code": ["A"] * 5,
            "idaci_rank": [1, 2, 3, 4, 5],
            "children_0_15": [pd.NA] * 5,
            "lsoas_in_england": 5,
        }
    )
    census = pd.DataFrame({"lsoa_code": ["L1", "L2", "L3", "L4", "L5"],
                           "population": [50, 10, 10, 10, 20]})
    out = bm.deprivation_by_la(iod, census, releases=["IoD2025"])
    assert out.loc[out["la_code"] == "A", "idaci_top20_share"].iloc[0] == pytest.approx(50.0)
    assert out["weights"].iloc[0].startswith("Census 2021")


def synthetic_las(n: int = 150, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dep = rng.uniform(0, 70, n)
    pop = np.exp(rng.uniform(np.log(15_000), np.log(250_000), n))
    mu = pop * np.exp(-5.4 + 0.12 * dep / 10)
    alpha = 0.1
    y = rng.negative_binomial(1 / alpha, 1 / (1 + alpha * mu))
    return pd.DataFrame({"la_code": [f"E0{i:07d}" for i in range(n)],
                         "la_name": [f"LA {i}" for i in range(n)], "region_name": "R",
                         "la_type": "unitary", "observed": y.astype(float),
                         "population_0_17": pop, "deprivation": dep})


def test_model_recovers_known_coefficients_on_synthetic_data():
    frame = synthetic_las()
    m = bm.fit_deprivation_model(frame, year=2025, size=False)
    slope = m.params.iloc[1]
    assert slope["lower"] < 0.12 < slope["upper"]
    assert m.alpha_lower < 0.1 < m.alpha_upper
    assert m.diagnostics["nb_dispersion"] == pytest.approx(1.0, abs=0.3)
    assert m.diagnostics["poisson_dispersion"] > 5
    d = m.data
    assert (d["oe_lower"] < d["oe"]).all() and (d["oe"] < d["oe_upper"]).all()
    assert sorted(d["oe_rank"]) == list(range(1, len(d) + 1))
    assert d.loc[d["oe"].idxmax(), "oe_rank"] == 1
    # expected rate curve is the fitted linear predictor
    r = d.iloc[0]
    assert m.expected_rate_at([r["deprivation"]])[0] == pytest.approx(r["expected_rate"])


def test_expected_rate_interval_is_the_curve_s_confidence_interval():
    """At 0% deprivation (no size term) the curve is the intercept alone: its interval is the
    intercept's Wald interval from the coefficient table; elsewhere it brackets the curve."""
    m = bm.fit_deprivation_model(synthetic_las(), year=2025, size=False)
    lower, upper = m.expected_rate_interval([0.0])
    intercept = m.params.iloc[0]
    assert lower[0] == pytest.approx(np.exp(intercept["lower"]) * 10_000, rel=1e-9)
    assert upper[0] == pytest.approx(np.exp(intercept["upper"]) * 10_000, rel=1e-9)
    grid = np.linspace(0, 60, 13)
    lo95, hi95 = m.expected_rate_interval(grid)
    lo998, hi998 = m.expected_rate_interval(grid, level=0.998)
    fitted = m.expected_rate_at(grid)
    assert (lo95 < fitted).all() and (fitted < hi95).all()
    assert (lo998 < lo95).all() and (hi95 < hi998).all()


def test_oe_interval_without_model_uncertainty_is_byar_over_expected():
    lo, hi = bm.oe_interval([400.0], [320.0], 0.0)
    z = stats.norm.ppf(0.975)
    o = 400
    byar_lo = o * (1 - 1 / (9 * o) - z / (3 * np.sqrt(o))) ** 3
    byar_hi = (o + 1) * (1 - 1 / (9 * (o + 1)) + z / (3 * np.sqrt(o + 1))) ** 3
    assert lo[0] == pytest.approx(byar_lo / 320)
    assert hi[0] == pytest.approx(byar_hi / 320)
    lo2, hi2 = bm.oe_interval([400.0], [320.0], 0.05)
    assert lo2[0] < lo[0] and hi2[0] > hi[0]


def test_funnel_table_limits_and_positions_against_independent_values():
    frame = pd.DataFrame(
        {
            "la_code": ["small_high", "big_high", "mid_within", "big_low", "mid_low"],
            "observed": [20.0, 1_350.0, 300.0, 620.0, 260.0],
            "population_0_17": [1_500.0, 200_000.0, 50_000.0, 120_000.0, 50_000.0],
        }
    )
    t = bm.funnel_table(frame, 60.0)
    for _, row in t.iterrows():
        lo95, hi95 = independent_funnel(60.0, row["population_0_17"], 0.95)
        lo998, hi998 = independent_funnel(60.0, row["population_0_17"], 0.998)
        assert row["lower_95"] == pytest.approx(lo95, rel=1e-9)
        assert row["upper_95"] == pytest.approx(hi95, rel=1e-9)
        assert row["lower_99_8"] == pytest.approx(lo998, rel=1e-9)
        assert row["upper_99_8"] == pytest.approx(hi998, rel=1e-9)
    # independently: 1,500 children -> E = 9, 95% upper 105.38, 99.8% upper 133.76 per 10,000
    # (the exact interval of a count of 9 used before gave 113.90 and 151.1)
    assert t["upper_95"].iloc[0] == pytest.approx(105.38, abs=0.01)
    pos = t.set_index("la_code")["funnel_position"]
    assert pos["small_high"] == "above 95%"  # 133.3
    assert pos["big_high"] == "above 99.8%"  # 67.5 vs 65.45
    assert pos["mid_within"] == "within 95%"  # 60.0
    assert pos["big_low"] == "below 99.8%"  # 51.7 vs 53.17
    assert pos["mid_low"] == "below 95%"  # 52.0, between 49.49 and 53.21
    for _, row in t.iterrows():
        e = 60.0 * row["population_0_17"] / 10_000
        assert row["funnel_position"] == independent_position(row["observed"], e)
    counts = bm.position_counts(t)
    assert sum(counts.values()) == 5 and counts["above 95%"] == 1


def test_oe_funnel_is_centred_on_one():
    frame = synthetic_las(60, seed=3)
    m = bm.fit_deprivation_model(frame, year=2025)
    t = bm.oe_funnel_table(m)
    e = t["expected"].iloc[0]
    lo, hi = independent_count_limits(e, 0.95)
    assert t["lower_95"].iloc[0] == pytest.approx(lo / e, rel=1e-9)
    assert t["upper_95"].iloc[0] == pytest.approx(hi / e, rel=1e-9)
    assert (t["lower_95"] < 1).all() and (t["upper_95"] > 1).all()
    for _, row in t.iterrows():
        assert row["funnel_position"] == independent_position(row["observed"], row["expected"])


def test_workforce_panel_uses_joint_service_rows():
    w = pd.DataFrame(
        {
            "la_code": ["E09000021 / E09000027", "E08000029", bm.ENGLAND_CODE],
            "la_name": ["Kingston upon Thames / Richmond upon Thames", "Solihull", "England"],
            "year": 2025,
            "agency_rate_pct": [10.0, 20.0, 13.0],
            "turnover_rate_pct": [11.0, 12.0, 11.8],
            "vacancy_rate_pct": [5.0, 6.0, 14.2],
            "caseload_average": [15.0, 14.0, 15.2],
        }
    )
    p = bm.workforce_panel(w, ["E08000029", "E09000027", "E09000099"])
    assert list(p["la_code"]) == ["E08000029", "E09000027", "E09000099", bm.ENGLAND_CODE]
    rich = p.set_index("la_code").loc["E09000027"]
    assert rich["agency_rate_pct"] == 10.0 and rich["note"].startswith("joint service")
    assert p.set_index("la_code").loc["E09000099", "note"] == "not published for this year"
    assert "neighbours' median" in bm.describe_workforce(p, "E08000029", "Solihull")


def test_rate_change():
    t = pd.DataFrame({"la_code": ["A", "A", "B"], "la_name": ["a", "a", "b"],
                      "year": [2020, 2025, 2025], "r": [50.0, 60.0, 70.0]})
    c = bm.rate_change(t, "r", 2020, 2025)
    assert list(c["la_code"]) == ["A"]
    assert c["change"].iloc[0] == 10.0 and c["pct_change"].iloc[0] == pytest.approx(20.0)


# --- published data --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mirror_model(processed):
    inp = bm.load_inputs(processed)
    rates_all = bm.la_year_rates(inp)
    dep = bm.deprivation_by_la(inp.iod, inp.population_lsoa)
    frame, excluded = bm.model_frame(rates_all, dep, 2025, "non_uasc", "IoD2025")
    model = bm.fit_deprivation_model(frame, "non_uasc", "idaci_top20_share", "IoD2025", 2025,
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
    assert bm.judge_oe(sol["oe_lower"], sol["oe_upper"]) == "higher than expected"
    sol_dep = dep[(dep["la_code"] == SOLIHULL) & (dep["release"] == "IoD2025")]
    assert sol_dep["idaci_top20_share"].iloc[0] == pytest.approx(18.2, abs=0.1)


def test_funnel_outliers_on_mirror_data(mirror_model):
    rates_all, _, model = mirror_model
    eng = rates_all[(rates_all["la_code"] == bm.ENGLAND_CODE) & (rates_all["year"] == 2025)]
    england_rate = float(eng["rate_cla_non_uasc"].iloc[0])
    assert england_rate == pytest.approx(75_230 / 12_183_016 * 10_000)
    t = bm.funnel_table(model.data, england_rate)
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
    oe_pos = bm.oe_funnel_table(model).set_index("la_code")["funnel_position"]
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
    m = bm.fit_deprivation_model(synthetic_las(), year=2025, size=False)
    text = bm.diagnostics_text(m)
    assert text.startswith("**Dispersion.**")
    assert f"over the {m.diagnostics['n_las']} authorities" in text
    assert ("improves the fit" in text) == (m.diagnostics["curvature_p"] < 0.05)


def test_sensitivity_text_picks_lowest_aic_of_first_four():
    sens = pd.DataFrame({"model": ["a", "b", "c", "d", "e"], "aic": [10.0, 8.0, 9.0, 12.0, 1.0],
                         "oe": [1.1, 1.2, 1.3, 1.4, 0.9], "oe_lower": 1.0, "oe_upper": 1.5})
    text = bm.sensitivity_text(sens, "Place")
    assert "is 'b' (AIC 8)" in text and "Place's O/E is 1.20" in text
    assert "ranges from 0.90 to 1.40" in text


def test_prepare_sections_and_headlines_on_mirror_data(processed):
    from solihull_analytics.report.page import Chart, TableBlock

    ctx = bm.prepare(SOLIHULL, processed, year=2025)
    assert ctx.year == 2025 and len(ctx.neighbour_codes) == 10
    assert ctx.funnel_position == "above 99.8%"
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
