import math

import numpy as np
import pytest
from scipy import stats

from solihull_analytics.methods.inequality import rate_ratio_ci, slope_index_of_inequality

# --- rate_ratio_ci ------------------------------------------------------------------------------


@pytest.mark.parametrize("level", [0.95, 0.998])
def test_rate_ratio_matches_log_method(level):
    a, pop_a, b, pop_b = 90, 30_000, 400, 200_000
    ratio = (a / pop_a) / (b / pop_b)
    z = stats.norm.ppf(1 - (1 - level) / 2)
    se = math.sqrt(1 / a + 1 / b)
    result = rate_ratio_ci(a, pop_a, b, pop_b, level=level)
    assert result.ratio == pytest.approx(1.5)
    assert result.ratio == pytest.approx(ratio)
    assert result.lower == pytest.approx(math.exp(math.log(ratio) - z * se))
    assert result.upper == pytest.approx(math.exp(math.log(ratio) + z * se))


def test_rate_ratio_vectorised():
    result = rate_ratio_ci(np.array([10, 20]), np.array([1000, 1000]), 10, 1000)
    np.testing.assert_allclose(result.ratio, [1.0, 2.0])
    assert result.lower[1] < 2.0 < result.upper[1]
    assert result.lower[0] < 1.0 < result.upper[0]


def test_rate_ratio_zero_counts_give_nan_limits():
    zero_a = rate_ratio_ci(0, 1000, 10, 1000)
    assert zero_a.ratio == 0.0
    assert math.isnan(zero_a.lower) and math.isnan(zero_a.upper)
    zero_b = rate_ratio_ci(10, 1000, 0, 1000)
    assert math.isnan(zero_b.ratio) and math.isnan(zero_b.lower) and math.isnan(zero_b.upper)


def test_rate_ratio_rejects_negative_counts():
    with pytest.raises(ValueError):
        rate_ratio_ci(-1, 1000, 10, 1000)


# --- slope_index_of_inequality ------------------------------------------------------------------

DECILES = np.arange(1, 11)


def linear_gradient_data(intercept, slope, populations):
    """Counts whose rates lie exactly (up to rounding) on intercept + slope * midpoint rank."""
    shares = populations / populations.sum()
    midpoints = np.cumsum(shares) - shares / 2
    rates = intercept + slope * midpoints
    counts = np.round(rates * populations / 10_000)
    return counts, midpoints


def test_sii_recovers_known_gradient_without_noise():
    populations = np.linspace(800_000, 1_200_000, 10)
    counts, midpoints = linear_gradient_data(120.0, -80.0, populations)
    result = slope_index_of_inequality(counts, populations, DECILES, definition="gap")
    # Independent fit: numpy polyfit weights the residuals, so pass sqrt(population).
    rates = counts / populations * 10_000
    slope, _ = np.polyfit(midpoints, rates, 1, w=np.sqrt(populations))
    assert result.sii == pytest.approx(-slope, rel=1e-9)
    assert result.sii == pytest.approx(80.0, abs=0.05)
    overall_rate = counts.sum() / populations.sum() * 10_000
    assert result.rii == pytest.approx(result.sii / overall_rate, rel=1e-12)
    assert result.sii_lower < 80.0 < result.sii_upper
    assert result.rii_lower < result.rii < result.rii_upper


def test_sii_confidence_interval_contains_truth_with_poisson_noise():
    rng = np.random.default_rng(7)
    populations = np.full(10, 1_000_000.0)
    _, midpoints = linear_gradient_data(120.0, -80.0, populations)
    counts = rng.poisson((120.0 - 80.0 * midpoints) * populations / 10_000)
    result = slope_index_of_inequality(counts, populations, DECILES, seed=11, definition="gap")
    assert result.sii_lower < 80.0 < result.sii_upper
    # True overall rate is the rate at the mean rank 0.5, i.e. 80, so the true RII is 1.
    assert result.rii_lower < 1.0 < result.rii_upper


def test_sii_monte_carlo_width_matches_analytic_standard_error():
    populations = np.full(10, 50_000.0)
    counts, midpoints = linear_gradient_data(100.0, -60.0, populations)
    result = slope_index_of_inequality(counts, populations, DECILES, n_sims=4000, seed=3)
    # With equal weights the slope is sum((x - mean) * y) / sum((x - mean)^2) and each rate
    # has Poisson variance count / population^2 * 10_000^2.
    centred = midpoints - midpoints.mean()
    rate_variances = counts / populations**2 * 10_000**2
    analytic_se = math.sqrt(np.sum(centred**2 * rate_variances)) / np.sum(centred**2)
    z = stats.norm.ppf(0.975)
    half_width = (result.sii_upper - result.sii_lower) / 2
    assert half_width == pytest.approx(z * analytic_se, rel=0.1)


def test_sii_sign_is_positive_when_deprived_groups_have_higher_rates():
    populations = np.full(10, 200_000.0)
    counts, _ = linear_gradient_data(150.0, -100.0, populations)
    deprived_high = slope_index_of_inequality(counts, populations, DECILES, definition="gap")
    assert deprived_high.sii > 0 and deprived_high.rii > 0
    # Reversing the deprivation order (decile 10 treated as most deprived) flips the sign.
    reversed_order = slope_index_of_inequality(counts, populations, DECILES[::-1], definition="gap")
    assert reversed_order.sii == pytest.approx(-deprived_high.sii, rel=1e-9)
    assert reversed_order.sii_upper < 0


def test_sii_sorts_groups_by_order():
    populations = np.linspace(30_000, 60_000, 10)
    counts, _ = linear_gradient_data(90.0, -40.0, populations)
    in_order = slope_index_of_inequality(counts, populations, DECILES, seed=5)
    shuffle = np.random.default_rng(1).permutation(10)
    shuffled = slope_index_of_inequality(
        counts[shuffle], populations[shuffle], DECILES[shuffle], seed=5
    )
    assert shuffled.sii == pytest.approx(in_order.sii, rel=1e-12)
    assert list(shuffled.groups["order"]) == list(DECILES)
    assert shuffled.groups["midpoint_rank"].is_monotonic_increasing


def test_flat_gradient_gives_interval_containing_zero():
    rng = np.random.default_rng(2024)
    populations = np.full(10, 20_000.0)
    counts = rng.poisson(70.0 * populations / 10_000)
    result = slope_index_of_inequality(counts, populations, DECILES, seed=99, definition="gap")
    assert result.sii_lower < 0 < result.sii_upper
    assert result.rii_lower < 0 < result.rii_upper
    phe = slope_index_of_inequality(counts, populations, DECILES, seed=99)
    assert phe.sii_lower < 0 < phe.sii_upper
    assert phe.rii_lower < 1 < phe.rii_upper


def test_midpoint_ranks_with_unequal_populations():
    result = slope_index_of_inequality([10, 30, 60], [100, 300, 600], [1, 2, 3], n_sims=50)
    np.testing.assert_allclose(result.groups["population_share"], [0.1, 0.3, 0.6])
    np.testing.assert_allclose(result.groups["midpoint_rank"], [0.05, 0.25, 0.7])
    np.testing.assert_allclose(result.groups["rate"], [1000.0, 1000.0, 1000.0])
    assert result.sii == pytest.approx(0.0, abs=1e-9)


def test_sii_is_reproducible_with_seed_and_records_method():
    populations = np.full(10, 10_000.0)
    counts = np.arange(30, 20, -1)
    first = slope_index_of_inequality(counts, populations, DECILES, seed=42, definition="gap")
    second = slope_index_of_inequality(counts, populations, DECILES, seed=42, definition="gap")
    other = slope_index_of_inequality(counts, populations, DECILES, seed=43, definition="gap")
    assert (first.sii_lower, first.sii_upper) == (second.sii_lower, second.sii_upper)
    assert first.sii_lower != other.sii_lower
    assert first.n_sims == 1000
    assert "Monte Carlo" in first.method and "RII = SII / overall rate" in first.method


# --- the PHE (PHEindicatormethods / Fingertips) definition -------------------------------------


def test_phe_definition_is_fitted_least_minus_most_and_their_ratio():
    # Rates exactly on 120 - 80 * rank: fitted(0) = 120, fitted(1) = 40, so PHE's SII is
    # 40 - 120 = -80 and its RII is 40 / 120 = 1/3 (phe_sii's RII = (Y0 + SII) / Y0).
    populations = np.full(10, 1_000_000.0)
    _, midpoints = linear_gradient_data(120.0, -80.0, populations)
    counts = (120.0 - 80.0 * midpoints) * populations / 10_000  # exact, non-integer counts
    phe = slope_index_of_inequality(counts, populations, DECILES, n_sims=50)
    assert phe.definition == "phe"
    assert phe.sii == pytest.approx(-80.0, rel=1e-12)
    assert phe.rii == pytest.approx(40.0 / 120.0, rel=1e-12)
    gap = slope_index_of_inequality(counts, populations, DECILES, n_sims=50, definition="gap")
    assert gap.sii == pytest.approx(80.0, rel=1e-12)
    assert gap.rii == pytest.approx(80.0 / 80.0, rel=1e-12)  # overall rate 80 at mean rank 0.5
    assert "least deprived end minus" in phe.method and "PHEindicatormethods" in phe.method


def test_phe_rii_goes_negative_on_a_steep_gradient():
    # fitted(0) = 100, slope -150: the line crosses zero before the least deprived end.
    populations = np.full(10, 1_000_000.0)
    _, midpoints = linear_gradient_data(100.0, -150.0, populations)
    rates = np.clip(100.0 - 150.0 * midpoints, 0, None)
    counts = rates * populations / 10_000
    phe = slope_index_of_inequality(counts, populations, DECILES, n_sims=50)
    fit_slope, fit_intercept = np.polyfit(midpoints, rates, 1)
    assert phe.sii == pytest.approx(fit_slope, rel=1e-9)
    assert phe.rii == pytest.approx((fit_intercept + fit_slope) / fit_intercept, rel=1e-9)
    assert phe.rii < 0
    gap = slope_index_of_inequality(counts, populations, DECILES, n_sims=50, definition="gap")
    assert gap.rii > 0


def test_phe_limits_cover_the_truth():
    rng = np.random.default_rng(7)
    populations = np.full(10, 1_000_000.0)
    _, midpoints = linear_gradient_data(120.0, -80.0, populations)
    counts = rng.poisson((120.0 - 80.0 * midpoints) * populations / 10_000)
    result = slope_index_of_inequality(counts, populations, DECILES, seed=11)
    assert result.sii_lower < -80.0 < result.sii_upper
    assert result.rii_lower < 1 / 3 < result.rii_upper


def test_unknown_definition_is_rejected():
    with pytest.raises(ValueError, match="definition"):
        slope_index_of_inequality([1, 2], [100, 100], definition="fingertips")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"counts": [1], "populations": [100], "order": [1]},
        {"counts": [1, 2], "populations": [100, 0], "order": [1, 2]},
        {"counts": [1, -2], "populations": [100, 100], "order": [1, 2]},
        {"counts": [1, 2], "populations": [100, 100], "order": [1, 1]},
        {"counts": [1, 2], "populations": [100, 100, 100], "order": [1, 2]},
    ],
)
def test_sii_rejects_invalid_input(kwargs):
    with pytest.raises(ValueError):
        slope_index_of_inequality(**kwargs)
