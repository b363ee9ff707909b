import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from solihull_analytics.methods.rates import (
    FUNNEL_POSITIONS,
    add_rate_columns,
    funnel_limits,
    funnel_position,
    percent_change,
    poisson_count_ci,
    poisson_rate_ci,
    rate_per_10k,
    ratio_of_changes,
)

POPULATION = 25_000


def expected_count_limits(count: int, level: float) -> tuple[float, float]:
    """Fingertips limits written out independently of the library code."""
    alpha = 1 - level
    if count < 10:
        lower = 0.0 if count == 0 else stats.chi2.ppf(alpha / 2, 2 * count) / 2
        upper = stats.chi2.ppf(1 - alpha / 2, 2 * count + 2) / 2
        return lower, upper
    z = stats.norm.ppf(1 - alpha / 2)
    o = count
    lower = o * (1 - 1 / (9 * o) - z / (3 * math.sqrt(o))) ** 3
    upper = (o + 1) * (1 - 1 / (9 * (o + 1)) + z / (3 * math.sqrt(o + 1))) ** 3
    return lower, upper


# --- rate_per_10k -------------------------------------------------------------------------------


def test_rate_per_10k_scalar():
    assert rate_per_10k(120, 40_000) == pytest.approx(30.0)
    assert isinstance(rate_per_10k(120, 40_000), float)


def test_rate_per_10k_vectorised_and_other_multiplier():
    rates = rate_per_10k(np.array([1, 50]), np.array([10_000, 20_000]), per=1000)
    np.testing.assert_allclose(rates, [0.1, 2.5])


def test_rate_per_10k_series_keeps_index_and_zero_population_is_nan():
    counts = pd.Series([10, 5], index=["Solihull", "Nowhere"])
    populations = pd.Series([50_000, 0], index=["Solihull", "Nowhere"])
    rates = rate_per_10k(counts, populations)
    assert list(rates.index) == ["Solihull", "Nowhere"]
    assert rates["Solihull"] == pytest.approx(2.0)
    assert np.isnan(rates["Nowhere"])


def test_rate_per_10k_rejects_misaligned_series():
    with pytest.raises(ValueError, match="same index"):
        rate_per_10k(pd.Series([1], index=["a"]), pd.Series([10], index=["b"]))


# --- poisson_rate_ci ----------------------------------------------------------------------------


@pytest.mark.parametrize("level", [0.95, 0.998])
@pytest.mark.parametrize("count", [0, 1, 9, 10, 11, 500])
def test_poisson_rate_ci_matches_fingertips_formulae(count, level):
    lower_count, upper_count = expected_count_limits(count, level)
    interval = poisson_rate_ci(count, POPULATION, level=level)
    assert interval.lower == pytest.approx(lower_count / POPULATION * 10_000, rel=1e-12)
    assert interval.upper == pytest.approx(upper_count / POPULATION * 10_000, rel=1e-12)
    assert interval.level == level


def test_poisson_ci_known_values():
    # Published exact 95% limits for a count of 1 are 0.0253 and 5.5716; for 0, 0 and 3.6889.
    one = poisson_count_ci(1)
    assert one.lower == pytest.approx(0.0253, abs=1e-4)
    assert one.upper == pytest.approx(5.5716, abs=1e-4)
    zero = poisson_count_ci(0)
    assert zero.lower == 0.0
    assert zero.upper == pytest.approx(3.6889, abs=1e-4)


def test_switch_from_exact_to_byar_at_ten():
    # At 10 the Byar limits are used, which differ slightly from the exact ones.
    alpha = 0.05
    exact_lower_at_10 = stats.chi2.ppf(alpha / 2, 20) / 2
    byar_lower_at_10 = expected_count_limits(10, 0.95)[0]
    assert exact_lower_at_10 != pytest.approx(byar_lower_at_10, rel=1e-6)
    assert poisson_count_ci(10).lower == pytest.approx(byar_lower_at_10, rel=1e-12)


def test_wider_level_gives_wider_interval():
    narrow = poisson_rate_ci(40, POPULATION, level=0.95)
    wide = poisson_rate_ci(40, POPULATION, level=0.998)
    assert wide.lower < narrow.lower < rate_per_10k(40, POPULATION) < narrow.upper < wide.upper


def test_poisson_rate_ci_vectorised_series_and_frame():
    counts = pd.Series([0, 1, 9, 10, 11, 500], index=list("abcdef"))
    populations = pd.Series([POPULATION] * 6, index=list("abcdef"))
    interval = poisson_rate_ci(counts, populations, level=0.998)
    frame = interval.to_frame()
    assert list(frame.columns) == ["lower", "upper"]
    assert list(frame.index) == list("abcdef")
    for label, count in counts.items():
        lower_count, upper_count = expected_count_limits(count, 0.998)
        assert frame.loc[label, "lower"] == pytest.approx(lower_count / POPULATION * 1e4)
        assert frame.loc[label, "upper"] == pytest.approx(upper_count / POPULATION * 1e4)


def test_poisson_rate_ci_array_input_returns_array():
    interval = poisson_rate_ci(np.array([5, 50]), np.array([1000, 1000]), per=1000)
    assert isinstance(interval.lower, np.ndarray)
    assert interval.lower.shape == (2,)
    assert interval.upper[1] == pytest.approx(expected_count_limits(50, 0.95)[1])


def test_poisson_rate_ci_missing_and_invalid_inputs():
    interval = poisson_rate_ci(np.array([np.nan, 3.0]), np.array([100.0, 0.0]))
    assert np.isnan(interval.lower).all() and np.isnan(interval.upper).all()
    with pytest.raises(ValueError, match="negative"):
        poisson_rate_ci(-1, 100)
    with pytest.raises(ValueError, match="level"):
        poisson_rate_ci(3, 100, level=95)


def test_scalar_to_frame_has_one_row():
    frame = poisson_rate_ci(11, POPULATION).to_frame()
    assert frame.shape == (1, 2)


# --- add_rate_columns ---------------------------------------------------------------------------


def test_add_rate_columns_adds_named_columns_without_touching_input():
    df = pd.DataFrame({"la": ["A", "B"], "cla": [3, 250], "children": [10_000, 50_000]})
    result = add_rate_columns(df, "cla", "children", prefix="cla", level=0.998)
    assert list(df.columns) == ["la", "cla", "children"]
    assert list(result.columns) == [
        "la",
        "cla",
        "children",
        "cla_rate_per_10k",
        "cla_ci_lower",
        "cla_ci_upper",
    ]
    assert result.loc[1, "cla_rate_per_10k"] == pytest.approx(50.0)
    lower_count, upper_count = expected_count_limits(3, 0.998)
    assert result.loc[0, "cla_ci_lower"] == pytest.approx(lower_count)
    assert result.loc[0, "cla_ci_upper"] == pytest.approx(upper_count)


def test_add_rate_columns_names_other_multiplier():
    df = pd.DataFrame({"n": [5], "pop": [1000]})
    result = add_rate_columns(df, "n", "pop", prefix="x", per=1000)
    assert result.loc[0, "x_rate_per_1k"] == pytest.approx(5.0)


# --- percent_change and ratio_of_changes --------------------------------------------------------


def test_percent_change():
    assert percent_change(50, 80) == pytest.approx(60.0)
    assert percent_change(80, 60) == pytest.approx(-25.0)
    assert np.isnan(percent_change(0, 10))
    changes = percent_change(pd.Series([10.0, 20.0]), pd.Series([15.0, 10.0]))
    np.testing.assert_allclose(changes.to_numpy(), [50.0, -50.0])


def test_ratio_of_changes():
    assert ratio_of_changes(46.0, 20.0) == pytest.approx(2.3)
    assert ratio_of_changes(-10.0, 20.0) == pytest.approx(-0.5)
    assert np.isnan(ratio_of_changes(30.0, 0.0))
    assert np.isnan(ratio_of_changes(30.0, -5.0))
    ratios = ratio_of_changes(np.array([10.0, 10.0]), np.array([5.0, -5.0]))
    assert ratios[0] == pytest.approx(2.0) and np.isnan(ratios[1])


# --- funnel_limits ------------------------------------------------------------------------------


def test_funnel_limits_solve_ohids_defining_equations():
    # OHID's limits are the counts whose exact Poisson interval just reaches E: the lower limit
    # L solves P(X <= L | E) = alpha/2 and the upper U solves P(X <= U - 1 | E) = 1 - alpha/2,
    # with P(X <= k | E) = gamma.sf(E, k + 1) made continuous in k (scipy's gamma, not the
    # library's pdtrik, gives the independent check).
    target = 70.0
    populations = np.array([5_000, 40_000, 120_000])
    table = funnel_limits(target, populations)
    assert list(table.columns) == [
        "population",
        "expected_count",
        "lower_95",
        "upper_95",
        "lower_99_8",
        "upper_99_8",
    ]
    for row, population in enumerate(populations):
        expected = target * population / 10_000
        assert table["expected_count"].iloc[row] == pytest.approx(expected)
        for level, label in [(0.95, "95"), (0.998, "99_8")]:
            alpha = 1 - level
            lower = table[f"lower_{label}"].iloc[row] * population / 10_000
            upper = table[f"upper_{label}"].iloc[row] * population / 10_000
            assert stats.gamma.sf(expected, lower + 1) == pytest.approx(alpha / 2, rel=1e-9)
            assert stats.gamma.sf(expected, upper) == pytest.approx(1 - alpha / 2, rel=1e-9)


def test_funnel_limits_match_ohids_published_example():
    # Issue 12, from OHID's PHStatsMethods 0.1.16: target 1 per person, population 1,000.
    # OHID: 938.00 to 1,062.95 at 95%, 903.22 to 1,099.63 at 99.8%. The method used before
    # (the exact interval of a count of E) gave 938.97 to 1,063.95 and 905.12 to 1,101.63.
    table = funnel_limits(1.0, [1_000], per=1.0)
    counts = table.iloc[0] * 1_000
    assert counts["lower_95"] == pytest.approx(938.00, abs=0.005)
    assert counts["upper_95"] == pytest.approx(1_062.95, abs=0.005)
    assert counts["lower_99_8"] == pytest.approx(903.22, abs=0.005)
    assert counts["upper_99_8"] == pytest.approx(1_099.63, abs=0.005)


def test_funnel_lower_limit_is_zero_until_a_zero_count_is_unlikely():
    # A count of 0 has probability exp(-E); the lower limit leaves 0 once that is below alpha/2,
    # at E = -ln(0.025) = 3.689 (95%) and -ln(0.001) = 6.908 (99.8%).
    table = funnel_limits(1.0, [2.1, 3.68, 3.70, 6.90, 6.92], per=1.0)
    assert (table["lower_95"].to_numpy() == 0).tolist() == [True, True, False, False, False]
    assert (table["lower_99_8"].to_numpy() == 0).tolist() == [True, True, True, True, False]
    assert (table["upper_95"] > 1).all()


def test_funnel_position_of_a_zero_count_as_ohid_classes_it():
    # OHID compares E with the exact interval of the count: for 0 that is 0 to -ln(alpha/2).
    expected = np.array([0.5, 2.1, 3.68, 3.70, 6.90, 6.92, 50.0])
    positions = funnel_position(np.zeros(7), expected)
    assert positions.tolist() == [
        "within 95%",
        "within 95%",
        "within 95%",
        "below 95%",
        "below 95%",
        "below 99.8%",
        "below 99.8%",
    ]


def test_funnel_position_classes_by_the_counts_interval():
    # E = 100 against Byar's intervals of the counts: the 99.8% lower limit of 133 is 100.17
    # and of 132 is 99.31; the 95% lower limit of 121 is 100.40 and of 120 is 99.49. Downwards,
    # the 95% upper limit of 81 is 100.68 and of 80 is 99.57; the 99.8% upper limit of 71 is
    # above 100 and of 70 is 99.93. Each count lands on one side of a boundary.
    observed = pd.Series(
        [133.0, 132.0, 121.0, 120.0, 100.0, 81.0, 80.0, 71.0, 70.0], index=list("abcdefghi")
    )
    expected = pd.Series(100.0, index=observed.index)
    positions = funnel_position(observed, expected)
    assert isinstance(positions, pd.Series) and positions.index.equals(observed.index)
    for o in observed:
        lo95, hi95 = expected_count_limits(int(o), 0.95)
        lo998, hi998 = expected_count_limits(int(o), 0.998)
        want = (
            "above 99.8%" if 100 < lo998 else "above 95%" if 100 < lo95
            else "below 99.8%" if 100 > hi998 else "below 95%" if 100 > hi95 else "within 95%"
        )
        assert positions[observed == o].iloc[0] == want
    assert positions.tolist() == [
        "above 99.8%", "above 95%", "above 95%", "within 95%", "within 95%", "within 95%",
        "below 95%", "below 95%", "below 99.8%",
    ]
    assert set(positions) == set(FUNNEL_POSITIONS)


def test_funnel_position_missing_and_scalar():
    assert funnel_position(12.0, 3.0) == "above 99.8%"
    assert funnel_position(0.0, [2.0, 5.0]).tolist() == ["within 95%", "below 95%"]
    out = funnel_position(pd.Series([np.nan, 5.0]), pd.Series([5.0, np.nan]))
    assert out.isna().all()


def test_funnel_narrows_with_population_and_nests_levels():
    table = funnel_limits(70.0, pd.Series([1_000, 10_000, 100_000, 1_000_000]))
    widths = table["upper_95"] - table["lower_95"]
    assert widths.is_monotonic_decreasing
    assert (table["lower_99_8"] < table["lower_95"]).all()
    assert (table["upper_99_8"] > table["upper_95"]).all()
    assert ((table["lower_95"] < 70.0) & (table["upper_95"] > 70.0)).all()


def test_funnel_limits_approach_normal_for_large_population():
    population = 10_000_000
    table = funnel_limits(70.0, [population], levels=[0.95])
    expected = 70.0 * population / 10_000
    half_width = stats.norm.ppf(0.975) * math.sqrt(expected) / population * 10_000
    assert table["lower_95"].iloc[0] == pytest.approx(70.0 - half_width, rel=1e-3)
    assert table["upper_95"].iloc[0] == pytest.approx(70.0 + half_width, rel=1e-3)


def test_funnel_limits_cover_poisson_probability():
    # Observed counts outside the 99.8% limits should be rare under the target.
    population = 30_000
    table = funnel_limits(70.0, [population], levels=[0.998])
    expected = 70.0 * population / 10_000
    upper_count = table["upper_99_8"].iloc[0] * population / 10_000
    lower_count = table["lower_99_8"].iloc[0] * population / 10_000
    tail_above = stats.poisson.sf(math.floor(upper_count), expected)
    tail_below = stats.poisson.cdf(math.ceil(lower_count) - 1, expected)
    # a count beyond a limit has a tail probability below alpha/2 under the target
    assert tail_above < 0.001
    assert tail_below < 0.001


def test_funnel_limits_zero_population_and_bad_target():
    table = funnel_limits(70.0, [0, 100])
    assert np.isnan(table.loc[0, "lower_95"])
    assert not np.isnan(table.loc[1, "lower_95"])
    with pytest.raises(ValueError):
        funnel_limits(-1.0, [100])
