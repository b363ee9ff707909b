"""Page 04's pure functions (compute.py, published.py) on small in-memory fixtures (no mirror)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from solihull_analytics.geo.lsoa import LsoaPopulation
from solihull_analytics.pages.cla_gradient import compute, published
from solihull_analytics.ssda903 import Cohort

IDX = pd.Index(range(1, 11))


def _children() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "CHILD": list("abcdefgh"),
            "postcode": ["P1", "P1", "P2", "P3", "", "P9", "P4", "P2"],
            "uasc": [False, False, False, False, False, False, False, True],
        }
    )


def test_cohort_groups_split_every_child_once() -> None:
    lsoa_of = pd.Series({"P1": "L1", "P2": "L2", "P3": "X9", "P4": "L1"})
    groups, in_area = compute.cohort_groups(_children(), lsoa_of, {"L1", "L2"})
    assert groups.to_dict() == {
        "uasc": 1, "no_postcode": 1, "not_found": 1, "outside": 1, "in_area": 4
    }
    assert list(groups.index) == list(compute.GROUP_KEYS)
    assert groups.sum() == len(_children())
    assert sorted(in_area) == ["L1", "L1", "L1", "L2"]  # the UASC child in L2 is not placed


def test_decile_inputs_count_children_and_population_by_decile() -> None:
    decile_of = pd.Series({"L1": 1, "L2": 1, "L3": 10, "L4": 5})
    population = pd.Series({"L1": 100.0, "L2": 50.0, "L3": 200.0, "L4": np.nan})
    counts, pops, lsoas = compute.decile_inputs(
        pd.Series(["L1", "L1", "L2", "L3"]), decile_of, population
    )
    assert counts.to_dict() == {1: 3, 10: 1}
    assert pops[1] == 150.0 and pops[10] == 200.0
    assert np.isnan(pops[5])  # min_count=1: no population is missing, not zero
    assert lsoas.to_dict() == {1: 2, 10: 1, 5: 1}


def test_one_decile_gives_no_gradient() -> None:
    s = compute.decile_statistics(pd.Series({4: 7}), pd.Series({4: 1000.0}), n_sims=10)
    assert (s.most, s.least) == (4, 4)
    assert np.isnan(s.ratio) and np.isnan(s.sii) and np.isnan(s.rii)
    assert s.overall_rate == pytest.approx(70.0)
    assert "one national IDACI decile" in s.sii_method
    assert s.table.loc[4, "rate"] == pytest.approx(70.0)


def test_sii_rounding_picks_the_finest_safe_rounding() -> None:
    index = [1, 2, 3, 4, 5]
    table = pd.DataFrame(
        {"population": [1000.0] * 5, "count": [60.0, 3.0, 4.0, 40.0, 20.0]}, index=index
    )
    hidden = pd.Series([False, True, True, False, False], index=index)
    rounding = compute.sii_rounding(table, hidden, hidden)
    assert rounding == compute.ROUNDINGS[-1]  # finer roundings pin the hidden pair
    for finer in compute.ROUNDINGS[:-1]:
        assert not compute.audit_derived(table["count"], table["population"], hidden, hidden,
                                         *finer)
    nothing_hidden = hidden & False
    assert compute.sii_rounding(table, nothing_hidden, nothing_hidden) == compute.ROUNDINGS[0]
    # a pair pinned at every rounding: the indices cannot be published
    pinned = pd.DataFrame(
        {"population": [1000.0] * 3, "count": [30.0, 3.0, 9.0]}, index=[1, 2, 3]
    )
    two = pd.Series([False, True, True], index=[1, 2, 3])
    assert compute.sii_rounding(pinned, two, two) is None


def _checks(header_read: int = 40, excluded: int = 0) -> pd.DataFrame:
    rows = [("header", "rows read", header_read)]
    if excluded:
        rows.append(("header", "excluded: missing date", excluded))
    rows += [
        ("header", "rows excluded (any reason)", excluded),
        ("header", "rows kept", header_read - excluded),
    ]
    return pd.DataFrame(rows, columns=["table", "check", "rows"])


def _groups(in_area: int = 30, uasc: int = 0, outside: int = 6) -> pd.Series:
    return pd.Series(
        {"uasc": uasc, "no_postcode": 0, "not_found": 0, "outside": outside, "in_area": in_area}
    )


def test_page_counts_hide_small_counts_and_what_reveals_them() -> None:
    pc = published.page_counts(
        _checks(40, 3), 1, _groups(30, uasc=2), pd.Series({1: 20, 10: 10})
    )
    assert pc.is_hidden("group:uasc")  # 2: primary
    assert pc.is_hidden("checks:header:excluded: missing date")  # 3: primary
    assert pc.is_hidden("cohort:short_break_only")  # 1: primary
    assert pc.text("group:in_area") == "30"
    # excluded (3) = its one reason: hiding the reason must hide the total too
    assert pc.is_hidden("checks:header:rows excluded (any reason)")
    assert pc.value("cohort:total") == 38
    assert pc.safe


def test_published_tables_carry_the_marker() -> None:
    groups = _groups(30, uasc=2, outside=8)
    pc = published.page_counts(_checks(), 0, groups, pd.Series({1: 26, 10: 4}))
    checks = published.published_checks(_checks(), pc)
    assert list(checks["rows"]) == [40, 0, 40]
    table = published.group_table(pc)
    assert list(table["group"]) == [*published.GROUPS.values(), "All children in the cohort"]
    # UASC 2 hidden; with the total shown, one more group must go (here: outside, 8)
    assert list(table["children"]) == [pc.marker, 0, 0, pc.marker, 30, 40]


def _stats(counts: list[int]) -> compute.DecileStatistics:
    return compute.decile_statistics(
        pd.Series(counts, index=IDX), pd.Series(1000.0, index=IDX), pd.Series(3, index=IDX),
        n_sims=50,
    )


def test_published_deciles_and_plot_table_hide_rates_with_counts() -> None:
    stats = _stats([40, 36, 32, 28, 24, 20, 16, 12, 8, 4])
    pc = published.page_counts(_checks(), 0, _groups(220), stats.table["count"].astype(int))
    table = published.published_deciles(stats, pc, "0-17")
    assert table.iloc[9]["Children looked after"] == pc.marker  # 4 children: hidden
    assert table.iloc[9]["Rate per 10,000"] == pc.marker
    assert table.iloc[0]["IDACI decile"] == "1 (most deprived)"
    assert table.iloc[-1]["IDACI decile"] == "All deciles"
    assert "Children aged 0-17" in table.columns
    hidden = pd.Series([pc.is_hidden(f"decile:{d}") for d in IDX], index=IDX)
    plot = published.plot_table(stats, hidden, fitted=False)
    assert plot.loc[hidden.to_numpy(), "rate"].isna().all()
    assert plot.loc[~hidden.to_numpy(), "rate"].notna().all()
    assert plot["fitted"].isna().all()
    assert published.plot_table(stats, hidden, fitted=True)["fitted"].notna().all()


def _cohort() -> Cohort:
    return Cohort(pd.DataFrame(), 0, "children looked after", 2019, "during_year", True)


def _population() -> LsoaPopulation:
    return LsoaPopulation(pd.Series(dtype=float), "0-17", 2018, "src", ["s"], "statement")


def _publish(stats, groups) -> published.GradientResult:
    return published.publish_gradient(
        "E0", _cohort(), stats, _checks(), groups, _population(),
        postcode_method="m", release="r", vintage=2011, source_ids=["s"],
    )


def test_publish_gradient_publishes_what_is_safe() -> None:
    stats = _stats([80, 72, 64, 56, 48, 40, 32, 24, 16, 8])
    res = _publish(stats, _groups(440))
    assert not res.too_small and res.hidden_deciles == []
    assert res.ratio() == (10.0, res.ratio()[1], res.ratio()[2])
    assert res.sii_published and res.sii() is not None and res.rii() is not None
    assert (res.sii_decimals, res.rii_decimals) == compute.ROUNDINGS[0]
    assert (res.cohort_total, res.in_area) == (446, 440)


def test_publish_gradient_withholds_ratio_with_a_hidden_end_decile() -> None:
    stats = _stats([80, 72, 64, 56, 48, 40, 32, 24, 16, 4])
    res = _publish(stats, _groups(436))
    assert 10 in res.hidden_deciles
    assert res.ratio() is None and not res.ratio_published


def test_publish_gradient_too_small_publishes_no_figures() -> None:
    stats = _stats([2, 1, 0, 0, 0, 0, 0, 0, 0, 1])
    res = _publish(stats, _groups(4, outside=1))
    assert res.too_small
    assert res.ratio() is None and res.sii() is None and res.rii() is None
    assert res.plot_table["fitted"].isna().all()
