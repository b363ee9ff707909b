"""The negative binomial count model (methods/count_model.py) on small synthetic data.

The synthetic areas are drawn from a known negative binomial model, so the fit must recover
its coefficients and dispersion; no published data is needed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from solihull_analytics.methods import count_model as cm


def synthetic_las(n: int = 150, seed: int = 1, size_slope: float = 0.0) -> pd.DataFrame:
    """Areas from log mu = log pop - 5.4 + 0.12 dep/10 [+ size_slope (log pop - mean)], alpha
    0.1 (synthetic: generated here, not published figures)."""
    rng = np.random.default_rng(seed)
    dep = rng.uniform(0, 70, n)
    pop = np.exp(rng.uniform(np.log(15_000), np.log(250_000), n))
    log_size = np.log(pop) - np.log(pop).mean()
    mu = pop * np.exp(-5.4 + 0.12 * dep / 10 + size_slope * log_size)
    alpha = 0.1
    y = rng.negative_binomial(1 / alpha, 1 / (1 + alpha * mu))
    return pd.DataFrame({"la_code": [f"E0{i:07d}" for i in range(n)],
                         "la_name": [f"LA {i}" for i in range(n)], "region_name": "R",
                         "la_type": "unitary", "observed": y.astype(float),
                         "population_0_17": pop, "deprivation": dep})


@pytest.fixture(scope="module")
def no_size_model() -> cm.DeprivationModel:
    return cm.fit_deprivation_model(synthetic_las(), year=2025, size=False)


def test_model_recovers_known_coefficients_on_synthetic_data(no_size_model):
    m = no_size_model
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


def test_expected_rate_interval_is_the_curve_s_confidence_interval(no_size_model):
    """At 0% deprivation (no size term) the curve is the intercept alone: its interval is the
    intercept's Wald interval from the coefficient table; elsewhere it brackets the curve."""
    m = no_size_model
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
    lo, hi = cm.oe_interval([400.0], [320.0], 0.0)
    z = stats.norm.ppf(0.975)
    o = 400
    byar_lo = o * (1 - 1 / (9 * o) - z / (3 * np.sqrt(o))) ** 3
    byar_hi = (o + 1) * (1 - 1 / (9 * (o + 1)) + z / (3 * np.sqrt(o + 1))) ** 3
    assert lo[0] == pytest.approx(byar_lo / 320)
    assert hi[0] == pytest.approx(byar_hi / 320)
    lo2, hi2 = cm.oe_interval([400.0], [320.0], 0.05)
    assert lo2[0] < lo[0] and hi2[0] > hi[0]


def test_oe_interval_of_a_zero_count_starts_at_zero():
    lo, hi = cm.oe_interval([0.0, 4.0], [2.0, 2.0])
    assert lo[0] == 0.0
    assert 0 < lo[1] < 2.0 < hi[1]


def test_oe_interval_upper_limit_of_a_zero_count():
    _, hi = cm.oe_interval([0.0], [2.0])
    # exact Poisson upper limit for 0 is chi2(0.975, 2) / 2 = 3.689 children
    assert hi[0] == pytest.approx(stats.chi2.ppf(0.975, 2) / 2 / 2.0)
    _, wider = cm.oe_interval([0.0], [2.0], se_log_expected=0.1)
    assert wider[0] == pytest.approx(hi[0] * np.exp(stats.norm.ppf(0.975) * 0.1))


def test_design_matrix_columns():
    x = np.array([0.0, 10.0, 30.0])
    d = cm.design_matrix(x)
    assert d.tolist() == [[1.0, 0.0], [1.0, 1.0], [1.0, 3.0]]
    d = cm.design_matrix(x, np.array([-1.0, 0.0, 1.0]), quadratic=True)
    assert d[:, 2].tolist() == [0.0, 1.0, 9.0] and d[:, 3].tolist() == [-1.0, 0.0, 1.0]


def test_size_term_is_recovered_and_reported_per_doubling():
    frame = synthetic_las(200, seed=5, size_slope=-0.3)
    m = cm.fit_deprivation_model(frame, year=2025, size=True)
    size = m.params.iloc[-1]
    assert size["term"].startswith("log children")
    assert size["lower"] < -0.3 < size["upper"]
    assert size["rate_ratio"] == pytest.approx(np.exp(size["coef"] * np.log(2)))
    assert np.isnan(m.params.iloc[0]["rate_ratio"])  # the intercept has no rate ratio
    # with the size term the fitted total is close to the observed total
    assert abs(m.diagnostics["total_ratio"] - 1) < 0.05
    # the curve at a given population uses that population
    small, large = m.expected_rate_at([20.0], 20_000)[0], m.expected_rate_at([20.0], 200_000)[0]
    assert large < small


def test_quadratic_model_and_curvature_test():
    frame = synthetic_las(120, seed=2)
    linear = cm.fit_deprivation_model(frame, size=False)
    squared = cm.fit_deprivation_model(frame, size=False, quadratic=True)
    assert list(squared.params["term"])[2] == "deprivation squared"
    assert np.isnan(squared.params.iloc[2]["rate_ratio"])
    assert np.isnan(squared.diagnostics["curvature_p"])
    # the data are log-linear: adding a square is not needed
    assert 0 <= linear.diagnostics["curvature_p"] <= 1
    assert linear.diagnostics["curvature_p"] > 0.01


def test_model_rows_ranges_and_bookkeeping(no_size_model):
    m = no_size_model
    assert m.row("nowhere") is None
    r = m.row("E00000003")
    assert r is not None and r["la_name"] == "LA 3"
    d = m.data
    assert (d["nb_lower"] <= d["expected"]).all() and (d["expected"] <= d["nb_upper"]).all()
    inside = ((d["nb_lower"] <= d["observed"]) & (d["observed"] <= d["nb_upper"])).mean()
    assert inside > 0.85  # 95% ranges hold about 95% of areas drawn from the model
    assert m.diagnostics["n_las"] == len(d) == 150
    assert m.diagnostics["observed_total"] == d["observed"].sum()
    assert m.diagnostics["lr_p"] < 0.001 and m.diagnostics["aic_nb"] < m.diagnostics["aic_poisson"]


def test_labels_and_exclusions_are_kept():
    frame = synthetic_las(60, seed=3)
    excluded = [{"la_code": "X", "la_name": "Tiny", "reason": "fewer than 5,000 children"}]
    m = cm.fit_deprivation_model(frame, "all", "idaci_mean_percentile", "IoD2019", 2024, excluded)
    assert (m.series, m.covariate, m.release, m.year) == ("all", "idaci_mean_percentile",
                                                          "IoD2019", 2024)
    assert m.diagnostics["excluded"] == excluded


def test_interval_needs_the_coefficient_covariance(no_size_model):
    m = cm.DeprivationModel(**{**no_size_model.__dict__, "coef_cov": None})
    with pytest.raises(ValueError, match="covariance"):
        m.expected_rate_interval([10.0])
