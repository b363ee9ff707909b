import numpy as np
import pandas as pd
import pytest

from solihull_analytics.methods.disclosure import (
    PublishedCounts,
    primary_suppression_mask,
    suppress_counts,
    suppress_dependent,
    suppress_table,
)


def determined_cells(values: np.ndarray, hidden: np.ndarray) -> list[tuple[int, int]]:
    """Hidden cells whose value follows from the published row and column totals.

    Each row and column total gives one linear equation in the hidden cells. A hidden cell is
    determined when its indicator vector lies in the span of those equations.
    """
    positions = list(zip(*np.nonzero(hidden), strict=True))
    if not positions:
        return []
    equations = []
    for row in range(hidden.shape[0]):
        equations.append([1.0 if r == row else 0.0 for r, _ in positions])
    for column in range(hidden.shape[1]):
        equations.append([1.0 if c == column else 0.0 for _, c in positions])
    system = np.array(equations)
    rank = np.linalg.matrix_rank(system)
    determined = []
    for k, position in enumerate(positions):
        indicator = np.zeros(len(positions))
        indicator[k] = 1.0
        if np.linalg.matrix_rank(np.vstack([system, indicator])) == rank:
            determined.append(position)
    return determined


# --- primary suppression ------------------------------------------------------------------------


def test_primary_suppression_hides_one_to_five_and_shows_zero():
    counts = pd.Series([0, 1, 3, 5, 6, 12], index=list("abcdef"))
    result = suppress_counts(counts, total_shown=False)
    assert list(result.mask) == [False, True, True, True, False, False]
    assert list(result.values) == [0, "c", "c", "c", 6, 12]
    assert result.values.dtype == object
    assert list(result.values.index) == list("abcdef")


def test_primary_mask_custom_thresholds_and_missing():
    counts = pd.Series([0.0, 2.0, 9.0, np.nan])
    mask = primary_suppression_mask(counts, threshold_low=0, threshold_high=9)
    assert list(mask) == [True, True, True, False]
    with pytest.raises(ValueError):
        primary_suppression_mask(counts, threshold_low=5, threshold_high=1)


def test_custom_marker():
    result = suppress_counts(pd.Series([2, 40, 50]), marker="[c]")
    assert list(result.values) == ["[c]", "[c]", 50]


# --- one-way secondary suppression --------------------------------------------------------------


def test_single_small_cell_triggers_secondary_on_next_smallest_non_zero():
    counts = pd.Series([3, 12, 40, 8, 0], index=[f"decile_{i}" for i in range(1, 6)])
    result = suppress_counts(counts)
    assert list(result.values) == ["c", 12, 40, "c", 0]
    assert list(result.primary_mask) == [True, False, False, False, False]
    assert list(result.secondary_mask) == [False, False, False, True, False]


def test_suppressed_value_cannot_be_recovered_from_total():
    counts = pd.Series([3, 12, 40, 8, 0])
    total = int(counts.sum())
    result = suppress_counts(counts)
    shown = [value for value in result.values if value != "c"]
    gap = total - sum(shown)
    assert result.mask.sum() >= 2
    assert gap == counts[result.mask].sum()
    # The gap is shared by several hidden cells, so it differs from every single hidden count.
    assert all(gap != counts[i] for i in counts.index[result.mask])


def test_without_published_total_only_primary_suppression_applies():
    result = suppress_counts(pd.Series([3, 12, 40]), total_shown=False)
    assert list(result.values) == ["c", 12, 40]


def test_two_small_cells_need_no_secondary():
    result = suppress_counts(pd.Series([2, 4, 30, 50]))
    assert list(result.values) == ["c", "c", 30, 50]
    assert not result.secondary_mask.any()


def test_no_suppression_needed():
    counts = pd.Series([0, 10, 25])
    result = suppress_counts(counts)
    assert not result.mask.any()
    assert list(result.values) == [0, 10, 25]


def test_ties_take_first_cell_and_zero_is_fallback_only():
    assert list(suppress_counts(pd.Series([2, 7, 7])).values) == ["c", "c", 7]
    # With only zeros left a zero is hidden; the total then discloses the count (documented).
    assert list(suppress_counts(pd.Series([3, 0, 0])).values) == ["c", "c", 0]


def test_missing_values_are_kept_and_not_used_for_secondary():
    result = suppress_counts(pd.Series([4.0, np.nan, 20.0]))
    assert result.values.iloc[0] == "c"
    assert np.isnan(result.values.iloc[1])
    assert result.values.iloc[2] == "c"


def test_one_way_random_tables_never_leave_a_lone_suppressed_cell():
    rng = np.random.default_rng(0)
    for _ in range(200):
        counts = pd.Series(rng.integers(0, 15, size=rng.integers(2, 11)))
        result = suppress_counts(counts)
        n_hidden = int(result.mask.sum())
        assert n_hidden != 1
        assert (result.primary_mask == ((counts >= 1) & (counts <= 5))).all()
        assert (counts[~result.mask] == result.values[~result.mask]).all()


# --- two-way tables -----------------------------------------------------------------------------


def test_two_way_secondary_suppression_forms_protected_block():
    table = pd.DataFrame(
        {"under_5": [2, 15, 25], "age_5_to_9": [10, 30, 40], "age_10_plus": [20, 9, 50]},
        index=["decile_1", "decile_2", "decile_3"],
    )
    result = suppress_table(table)
    expected_hidden = np.array([[True, True, False], [True, True, False], [False, False, False]])
    np.testing.assert_array_equal(result.mask.to_numpy(), expected_hidden)
    assert result.values.loc["decile_1", "under_5"] == "c"
    assert result.values.loc["decile_3", "age_10_plus"] == 50
    assert determined_cells(table.to_numpy(), result.mask.to_numpy()) == []


def test_two_way_every_line_has_zero_or_several_hidden_cells():
    table = pd.DataFrame(
        [[3, 20, 14, 30], [11, 1, 17, 22], [40, 35, 4, 0], [18, 25, 33, 12]],
        columns=list("wxyz"),
    )
    result = suppress_table(table)
    hidden = result.mask.to_numpy()
    assert set(hidden.sum(axis=1)) <= {0, 2, 3, 4}
    assert set(hidden.sum(axis=0)) <= {0, 2, 3, 4}
    assert determined_cells(table.to_numpy(), hidden) == []
    # Row totals minus shown cells equal the hidden sums, each covering two or more cells.
    shown = table.where(~result.mask, 0)
    for row in table.index:
        gap = table.loc[row].sum() - shown.loc[row].sum()
        assert gap == table.loc[row][result.mask.loc[row]].sum()


def test_two_way_audit_hides_cell_that_line_rule_alone_leaves_derivable():
    table = pd.DataFrame(
        [[16, 1, 15, 23], [10, 3, 0, 2], [7, 11, 20, 17], [17, 6, 6, 0]], columns=list("wxyz")
    )
    # Two hidden cells per line, yet the 3 at (1, 1) follows from the totals taken together.
    line_rule_only = np.array([[0, 1, 1, 0], [1, 1, 0, 1], [1, 0, 0, 1], [0, 1, 1, 0]], dtype=bool)
    assert determined_cells(table.to_numpy(), line_rule_only) == [(1, 1)]
    result = suppress_table(table)
    hidden = result.mask.to_numpy()
    assert (hidden >= line_rule_only).all()
    assert hidden[2, 1]  # the 11 completes a rectangle through the 3
    assert hidden.sum() == line_rule_only.sum() + 1
    assert determined_cells(table.to_numpy(), hidden) == []


def test_two_way_random_tables_leave_no_derivable_cell():
    rng = np.random.default_rng(1)
    for _ in range(60):
        n_rows, n_columns = rng.integers(2, 7, size=2)
        table = pd.DataFrame(rng.integers(0, 25, size=(n_rows, n_columns)))
        result = suppress_table(table)
        hidden = result.mask.to_numpy()
        assert 1 not in set(hidden.sum(axis=0)) | set(hidden.sum(axis=1))
        assert determined_cells(table.to_numpy(), hidden) == []
        np.testing.assert_array_equal(
            result.primary_mask.to_numpy(), (table.to_numpy() >= 1) & (table.to_numpy() <= 5)
        )


def test_two_way_without_totals_only_primary():
    table = pd.DataFrame({"a": [2, 30], "b": [40, 50]})
    result = suppress_table(table, row_totals_shown=False, column_totals_shown=False)
    assert result.mask.to_numpy().sum() == 1


def test_two_way_row_totals_only():
    table = pd.DataFrame({"a": [2, 30], "b": [40, 50], "c": [60, 70]})
    result = suppress_table(table, column_totals_shown=False)
    np.testing.assert_array_equal(
        result.mask.to_numpy(), [[True, True, False], [False, False, False]]
    )


def test_two_way_keeps_label_columns():
    table = pd.DataFrame({"la": ["X", "Y"], "boys": [3, 30], "girls": [20, 25]})
    result = suppress_table(table, count_cols=["boys", "girls"])
    assert list(result.values["la"]) == ["X", "Y"]
    assert list(result.mask.columns) == ["boys", "girls"]
    assert result.values.loc[0, "boys"] == "c"
    assert result.mask.to_numpy().sum() == 4


# --- dependent figures --------------------------------------------------------------------------


def test_suppress_dependent_hides_rates_of_suppressed_rows():
    counts = pd.Series([3, 12, 40, 8], index=list("abcd"))
    rates = pd.DataFrame(
        {"rate": [1.5, 6.0, 20.0, 4.0], "ci_lower": [0.3, 3.1, 14.3, 1.7]}, index=list("abcd")
    )
    mask = suppress_counts(counts).mask
    hidden = suppress_dependent(rates, mask)
    assert list(hidden["rate"]) == ["c", 6.0, 20.0, "c"]
    assert list(hidden["ci_lower"]) == ["c", 3.1, 14.3, "c"]
    assert rates["rate"].iloc[0] == 1.5  # input untouched


def test_suppress_dependent_series_and_frame_masks():
    mask = pd.Series([True, False])
    assert list(suppress_dependent(pd.Series([0.5, 0.7]), mask)) == ["c", 0.7]
    frame_mask = pd.DataFrame({"a": [True, False]})
    values = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]})
    result = suppress_dependent(values, frame_mask, marker="x")
    assert list(result["a"]) == ["x", 2.0]
    assert list(result["b"]) == [3.0, 4.0]


def test_suppress_dependent_rejects_misaligned_index():
    with pytest.raises(ValueError, match="same index"):
        suppress_dependent(pd.Series([1.0], index=["a"]), pd.Series([True], index=["b"]))


# --- PublishedCounts: a page's counts as one set of linked tables ------------------------------


def _groups(uasc, no_pc, outside, in_area, extra=()):
    pc = PublishedCounts()
    for name, value in (("uasc", uasc), ("no_pc", no_pc), ("outside", outside)):
        pc.add(name, value)
    pc.add("in_area", in_area, keep=5)
    pc.add("total", uasc + no_pc + outside + in_area, keep=4)
    pc.relate("total", ["uasc", "no_pc", "outside", "in_area"])
    for name, value in extra:
        pc.add(name, value)
    return pc


def test_linked_counts_hide_small_counts_everywhere_and_a_protecting_second():
    # The 23-child example: UASC 3 hidden alone would follow from the total.
    pc = _groups(uasc=3, no_pc=0, outside=0, in_area=20).suppress()
    assert pc.safe
    assert pc.shown("uasc") == "c"
    # the only non-zero cells left are the in-area count and the total; the total is hidden
    # (lower keep), never a zero
    assert pc.shown("total") == "c" and pc.shown("in_area") == 20
    assert pc.shown("no_pc") == 0 and pc.shown("outside") == 0
    assert not pc.derivable() & pc.primary


def test_secondary_never_a_count_shown_elsewhere():
    # "uasc rows kept 6" shows the same number as the UASC group: hiding the group alone
    # protects nothing, so a count whose value is shown once is preferred ...
    pc = _groups(uasc=6, no_pc=2, outside=9, in_area=40, extra=[("uasc_rows_kept", 6)])
    pc.suppress()
    assert pc.shown("no_pc") == "c"
    assert pc.shown("uasc") == 6 and pc.shown("outside") == "c"
    # ... and when the only choice is a count shown elsewhere, both copies are hidden.
    pc = _groups(uasc=3, no_pc=0, outside=0, in_area=20, extra=[("header_rows", 23)])
    pc.suppress()
    assert pc.shown("total") == "c" and pc.shown("header_rows") == "c"
    assert pc.shown("in_area") == 20


def test_unpublished_zero_links_are_assumed_known():
    # Header rows kept = cohort + short breaks + others (0): the short-break count of 2 would
    # follow from two shown figures, so one of them is hidden.
    pc = _groups(uasc=0, no_pc=0, outside=7, in_area=30)
    pc.add("short_break", 2)
    pc.add("header_kept", 39)
    pc.add("not_in_cohort", 0, published=False)
    pc.relate("header_kept", ["total", "short_break", "not_in_cohort"])
    pc.suppress()
    assert pc.shown("short_break") == "c"
    assert "short_break" not in pc.derivable()
    assert pc.shown("header_kept") == "c"  # lowest keep, unique value
    # with others = 4 unknown, nothing else needs hiding
    pc2 = _groups(uasc=0, no_pc=0, outside=7, in_area=30)
    pc2.add("short_break", 2)
    pc2.add("header_kept", 43)
    pc2.add("not_in_cohort", 4, published=False)
    pc2.relate("header_kept", ["total", "short_break", "not_in_cohort"])
    pc2.suppress()
    assert pc2.hidden == {"short_break"}


def test_hidden_ones_adding_to_their_count_are_protected():
    # Two hidden cells of 1 each under a shown total: the reader knows both are 1.
    pc = _groups(uasc=1, no_pc=1, outside=0, in_area=30).suppress()
    assert not pc.derivable() & pc.primary
    assert len(pc.hidden) >= 3


def test_tiny_extract_is_not_publishable():
    pc = _groups(uasc=0, no_pc=1, outside=0, in_area=3).suppress()
    assert pc.is_hidden("total") and pc.is_hidden("in_area")
    assert pc.text("in_area") == "c"


def test_relations_must_hold_and_publishing_needs_suppress():
    pc = PublishedCounts()
    pc.add("a", 3)
    pc.add("b", 4)
    with pytest.raises(ValueError, match="not the sum"):
        pc.relate("a", ["b"])
    with pytest.raises(RuntimeError):
        pc.shown("a")
    with pytest.raises(ValueError):
        pc.add("a", 1)
