"""Funnel limits and positions against OHID's own implementation, PHStatsMethods 0.1.16.

PHStatsMethods is the Python port of PHEindicatormethods, the methods behind OHID's
Fingertips. It is GPL-3.0, so it is only a test-time reference (in the ``dev`` extra) and the
library never imports it. The grid: targets from 5 to 70 per 10,000, populations from 100 to
1,000,000, the 95% and 99.8% limits; and every band, including a count of 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from solihull_analytics.methods import rates

ph = pytest.importorskip(
    "PHStatsMethods", reason="phstatsmethods (OHID's reference, dev extra) is not installed"
)

PER = 10_000
TARGETS = np.arange(5, 75, 5)  # 5 to 70 per 10,000
POPULATIONS = np.geomspace(100, 1_000_000, 21)  # five a decade
#: OHID's significance labels, in the order of :data:`rates.FUNNEL_POSITIONS`.
OHID_LABELS = ("High (0.001)", "High (0.025)", "Not significant", "Low (0.025)", "Low (0.001)")
#: The last step of OHID's bisection for the expected count (``poisson_funnel``): it halves a
#: step from 0.5 while the step exceeds 1e-7, so it resolves v = E / (1 + O + E) to 2**-24.
OHID_STEP = 2.0**-24


def ohid_limits(target: float) -> pd.DataFrame:
    """OHID's funnel limits for a crude rate per 10,000 around ``target``, populations 100
    to 1,000,000 (OHID picks 100 counts spanning the axis and gives each its population)."""
    df = pd.DataFrame({"num": [0.0, target * 100.0], "den": [100.0, 999_900.0]})
    df["rate"] = df["num"] / df["den"] * PER  # the two rows average exactly ``target``
    return ph.calculate_funnel_limits(
        df, "num", "rate", PER, denom_col="den", rate="rate", rate_type="crude",
        years_of_data=1, metadata=False,
    )


@pytest.mark.parametrize("target", [5.0, 30.0, 70.0])
def test_limits_match_ohid_to_one_part_in_a_million(target):
    ref = ohid_limits(target)
    counts = ref["Events"].to_numpy(dtype=float)
    assert counts.min() == 1 and counts.max() >= target / PER * 1_000_000
    for ohid, level in (("2s", "95"), ("3s", "99_8")):
        for side in ("lower", "upper"):
            population = ref[f"{side}_{ohid}_population_1_year"].to_numpy()
            expected_limit = ref[f"{side}_{ohid}_limit"].to_numpy()
            ours = rates.funnel_limits(target, population)
            relative = np.abs(ours[f"{side}_{level}"].to_numpy() / expected_limit - 1)
            # Where OHID's bisection cannot resolve its own limit to 1e-6 (a count of 1 or 2
            # at 99.8%), allow what its last step can move the limit: the step in v moves E by
            # the factor 1 +- step / (v (1 - v)), and the limit with it.
            e = population * target / PER
            v = e / (1 + counts + e)
            shift = OHID_STEP / (v * (1 - v))
            moved = [
                rates.funnel_limits(target, population * f)[f"{side}_{level}"].to_numpy() * f
                for f in (1 - shift, 1 + shift)
            ]
            resolution = np.max([np.abs(m / ours[f"{side}_{level}"].to_numpy() - 1)
                                 for m in moved], axis=0)
            tolerance = np.maximum(1e-6, 1.01 * resolution)
            assert (relative <= tolerance).all(), (side, level, relative.max())
            assert (relative <= 1e-6).mean() > 0.95  # the wider tolerance is the exception


def grid() -> pd.DataFrame:
    """(target, population, count) points across every band: for each target and population,
    0 and 11 counts from E - 5 sqrt(E + 1) to E + 5 sqrt(E + 1)."""
    rows = []
    for target in TARGETS:
        for population in POPULATIONS:
            e = target * population / PER
            spread = np.round(e + np.linspace(-5, 5, 11) * np.sqrt(e + 1))
            for count in np.unique(np.concatenate([[0.0], spread[spread >= 0]])):
                rows.append((float(target), float(population), float(count)))
    return pd.DataFrame(rows, columns=["target", "population", "count"])


def ohid_rate_significance(points: pd.DataFrame, target: float) -> np.ndarray:
    """OHID's ``assign_funnel_significance`` for crude rates around ``target``. OHID centres
    on the points' own average, so one large row brings the average to ``target``."""
    df = points[["count", "population"]].reset_index(drop=True)
    balance_population = 1e9
    balance_count = target / PER * (df["population"].sum() + balance_population) - df["count"].sum()
    df.loc[len(df)] = [balance_count, balance_population]
    df["rate"] = df["count"] / df["population"] * PER
    out = ph.assign_funnel_significance(
        df, "count", "rate", denom_col="population", rate="rate", rate_type="crude", multiplier=PER
    )
    return out["significance"].to_numpy()[:-1]


def test_rate_funnel_positions_match_ohid_on_the_grid():
    points = grid()
    labels = dict(zip(rates.FUNNEL_POSITIONS, OHID_LABELS, strict=True))
    seen = set()
    for target, sel in points.groupby("target"):
        ours = rates.funnel_position(sel["count"], target * sel["population"] / PER)
        theirs = ohid_rate_significance(sel, target)
        assert (ours.map(labels).to_numpy() == theirs).all(), target
        seen |= set(theirs)
    assert len(points) > 2_500 and seen == set(OHID_LABELS)


def test_ratio_funnel_positions_match_ohid_on_the_grid():
    points = grid()
    points["expected"] = points["target"] * points["population"] / PER
    ref = ph.assign_funnel_significance(
        points[["count", "expected"]].copy(), "count", "ratio", denom_col="expected"
    )
    ours = rates.funnel_position(points["count"], points["expected"])
    labels = dict(zip(rates.FUNNEL_POSITIONS, OHID_LABELS, strict=True))
    assert (ours.map(labels).to_numpy() == ref["significance"].to_numpy()).all()
    assert set(ref["significance"]) == set(OHID_LABELS)  # the grid reaches every band


def test_zero_count_is_classed_as_ohid_classes_it():
    # OHID: 0 is "Not significant" until E exceeds -ln(0.025) = 3.69, "Low (0.025)" until
    # -ln(0.001) = 6.91, then "Low (0.001)"; the limits used before flagged every 0 "Low (0.001)".
    expected = np.array([0.05, 0.5, 2.1, 3.68, 3.70, 6.90, 6.92, 50.0, 700.0])
    points = pd.DataFrame({"count": 0.0, "population": expected / 70.0 * PER})
    theirs = ohid_rate_significance(points, 70.0)
    labels = dict(zip(rates.FUNNEL_POSITIONS, OHID_LABELS, strict=True))
    ours = [labels[p] for p in rates.funnel_position(np.zeros(len(expected)), expected)]
    assert ours == list(theirs)
    assert list(theirs[:5]) == ["Not significant"] * 4 + ["Low (0.025)"]
    # and on the drawn funnel a 0 lies below the lower limit exactly when it is flagged
    limits = rates.funnel_limits(70.0, points["population"])
    flagged_95 = theirs != "Not significant"
    assert ((limits["lower_95"] > 0).to_numpy() == flagged_95).all()
