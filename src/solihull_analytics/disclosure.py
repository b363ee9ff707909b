"""Statistical disclosure control for counts of children below local-authority level.

The rules follow the DfE convention for published children's social care statistics:

- **Primary suppression**: counts from 1 to 5 (``threshold_low`` to ``threshold_high``) are
  replaced by a marker, ``"c"`` by default. A count of 0 is shown as 0: it reveals nothing
  about an individual child, and DfE publishes zeros.
- **Secondary suppression**: where a total is published, a row or column with exactly one
  suppressed cell would let a reader recover that cell by subtracting the shown cells from the
  total. The smallest non-zero unsuppressed cell in that line is then suppressed too (ties go
  to the first cell in table order). Zero cells are passed over because hiding a 0 next to a
  small count leaves the hidden sum equal to the small count; a zero is used only when no
  non-zero cell is left, in which case the total itself reveals the small count and the caller
  should suppress or round the total.

Missing values (``nan``) are left as they are and never chosen for secondary suppression.

In a two-way table with both row and column totals, having two suppressed cells in every line
is not always enough: a cell can still follow from the row and column equations taken together
(a suppressed cell that lies on no "cycle" of suppressed cells). :func:`suppress_table` audits
for such cells with linear algebra and, for each one, suppresses the cheapest rectangle of
cells that puts it on a cycle, repeating until no suppressed cell can be derived. The audit
treats the totals as exact linear equations; it does not use the fact that counts are
non-negative, so it does not guard against narrow bounds for very small hidden sums.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

DEFAULT_MARKER = "c"


@dataclass(frozen=True)
class SuppressedCounts:
    """A table of counts after suppression.

    Attributes
    ----------
    values : pandas.Series or pandas.DataFrame
        Object-dtype copy of the input with the marker in suppressed cells, ready to publish.
    mask : pandas.Series or pandas.DataFrame
        Boolean, same shape as the counts: True where a cell is suppressed (for any reason).
        Pass it to :func:`suppress_dependent` to hide rates or percentages built on the counts.
    primary_mask : pandas.Series or pandas.DataFrame
        Boolean: True where a cell is suppressed because it is itself small.
    """

    values: Any
    mask: Any
    primary_mask: Any

    @property
    def secondary_mask(self) -> Any:
        """Boolean: True where a cell is suppressed only to protect another cell."""
        return self.mask & ~self.primary_mask


def _check_thresholds(threshold_low: float, threshold_high: float) -> None:
    if threshold_low < 0 or threshold_high < threshold_low:
        raise ValueError("thresholds must satisfy 0 <= threshold_low <= threshold_high")


def primary_suppression_mask(
    counts: pd.Series | pd.DataFrame, threshold_low: float = 1, threshold_high: float = 5
) -> pd.Series | pd.DataFrame:
    """Mark counts from ``threshold_low`` to ``threshold_high`` inclusive (1 to 5 by default).

    Parameters
    ----------
    counts : pandas.Series or pandas.DataFrame
        Counts of children; ``nan`` is never marked.
    threshold_low, threshold_high : float, default 1 and 5
        Inclusive range of counts to suppress. With the default, 0 is shown.

    Returns
    -------
    pandas.Series or pandas.DataFrame
        Boolean mask, True where the count is to be suppressed.
    """
    _check_thresholds(threshold_low, threshold_high)
    numeric = counts.astype(float)
    return (numeric >= threshold_low) & (numeric <= threshold_high)


def _protect_line(values: np.ndarray, hidden: np.ndarray) -> int | None:
    """Return the position to suppress so that a line with one hidden cell has two, or None."""
    if hidden.sum() != 1:
        return None
    available = ~hidden & ~np.isnan(values)
    candidates = available & (values != 0)
    if not candidates.any():
        candidates = available
    if not candidates.any():
        return None
    positions = np.flatnonzero(candidates)
    return int(positions[np.argmin(values[positions])])


def _protect_lines(values: np.ndarray, hidden: np.ndarray, rows: bool, columns: bool) -> None:
    """Secondary-suppress in place until no row/column (with a total) has one hidden cell."""
    changed = True
    while changed:
        changed = False
        if rows:
            for row in range(hidden.shape[0]):
                extra = _protect_line(values[row], hidden[row])
                if extra is not None:
                    hidden[row, extra] = True
                    changed = True
        if columns:
            for column in range(hidden.shape[1]):
                extra = _protect_line(values[:, column], hidden[:, column])
                if extra is not None:
                    hidden[extra, column] = True
                    changed = True


def _derivable_cells(hidden: np.ndarray) -> list[tuple[int, int]]:
    """Hidden cells whose values follow from the row and column totals.

    Each row and column total is a linear equation in the hidden cells; a hidden cell can be
    derived exactly when its indicator vector lies in the span of these equations, i.e. when
    the projection onto that span leaves it unchanged (diagonal element 1).
    """
    positions = np.argwhere(hidden)
    if len(positions) == 0:
        return []
    n_rows, n_columns = hidden.shape
    equations = np.zeros((n_rows + n_columns, len(positions)))
    equations[positions[:, 0], np.arange(len(positions))] = 1.0
    equations[n_rows + positions[:, 1], np.arange(len(positions))] = 1.0
    projection = np.linalg.pinv(equations) @ equations
    derivable = np.isclose(np.diag(projection), 1.0, atol=1e-9)
    return [(int(row), int(column)) for row, column in positions[derivable]]


def _hide_rectangle(values: np.ndarray, hidden: np.ndarray, cell: tuple[int, int]) -> bool:
    """Hide the cheapest rectangle of cells with ``cell`` as a corner; False if none exists.

    Cost prefers rectangles needing the fewest newly hidden zeros, then the smallest total of
    newly hidden counts, so that as few children as possible are withheld.
    """
    row, column = cell
    best: tuple[tuple[int, float], list[tuple[int, int]]] | None = None
    for other_row in range(hidden.shape[0]):
        for other_column in range(hidden.shape[1]):
            if other_row == row or other_column == column:
                continue
            corners = [(row, other_column), (other_row, column), (other_row, other_column)]
            new_cells = [corner for corner in corners if not hidden[corner]]
            new_values = [values[corner] for corner in new_cells]
            if any(np.isnan(value) for value in new_values):
                continue
            cost = (sum(value == 0 for value in new_values), float(sum(new_values)))
            if best is None or cost < best[0]:
                best = (cost, new_cells)
    if best is None or not best[1]:
        return False
    for corner in best[1]:
        hidden[corner] = True
    return True


def _publishable(counts: pd.Series | pd.DataFrame, mask: Any, marker: str) -> Any:
    return counts.astype(object).mask(mask, marker)


def suppress_counts(
    counts: pd.Series,
    total_shown: bool = True,
    *,
    threshold_low: float = 1,
    threshold_high: float = 5,
    marker: str = DEFAULT_MARKER,
) -> SuppressedCounts:
    """Suppress a one-way breakdown of counts, e.g. children looked after by IDACI decile.

    Parameters
    ----------
    counts : pandas.Series
        One count per group. The total is not part of the Series.
    total_shown : bool, default True
        Whether the total of the breakdown is published (e.g. the authority's total). If so,
        and exactly one cell is primary-suppressed, a second cell is suppressed as described
        in the module docstring. If not, only primary suppression applies.
    threshold_low, threshold_high : float, default 1 and 5
        Inclusive range of counts to suppress.
    marker : str, default "c"
        Text shown in place of a suppressed count.

    Returns
    -------
    SuppressedCounts
        ``values`` (object Series for publishing), ``mask`` and ``primary_mask``.
    """
    primary = primary_suppression_mask(counts, threshold_low, threshold_high)
    mask = primary.copy()
    if total_shown:
        extra = _protect_line(counts.to_numpy(dtype=float), mask.to_numpy())
        if extra is not None:
            mask.iloc[extra] = True
    return SuppressedCounts(_publishable(counts, mask, marker), mask, primary)


def suppress_table(
    table: pd.DataFrame,
    count_cols: list[str] | None = None,
    *,
    row_totals_shown: bool = True,
    column_totals_shown: bool = True,
    threshold_low: float = 1,
    threshold_high: float = 5,
    marker: str = DEFAULT_MARKER,
) -> SuppressedCounts:
    """Suppress a two-way table of counts whose row and/or column totals are published.

    Secondary suppression is applied line by line and repeated until every row (if
    ``row_totals_shown``) and every column (if ``column_totals_shown``) has either no
    suppressed cell or at least two, because protecting a row can leave a single suppressed
    cell in a column, and vice versa. When both kinds of total are shown, the table is then
    audited so that no suppressed cell can be derived from the totals together, hiding
    further cells where needed (see the module docstring).

    Parameters
    ----------
    table : pandas.DataFrame
        Inner cells of the table, without total rows or columns; may also hold label columns.
    count_cols : list of str, optional
        Columns holding counts; default all columns. Other columns are returned unchanged.
    row_totals_shown : bool, default True
        Whether each row's total (across ``count_cols``) is published.
    column_totals_shown : bool, default True
        Whether each column's total (down the rows) is published.
    threshold_low, threshold_high : float, default 1 and 5
        Inclusive range of counts to suppress.
    marker : str, default "c"
        Text shown in place of a suppressed count.

    Returns
    -------
    SuppressedCounts
        ``values`` is the whole table (label columns included, count columns as object);
        ``mask`` and ``primary_mask`` cover ``count_cols`` only.
    """
    columns = list(table.columns) if count_cols is None else list(count_cols)
    counts = table[columns]
    primary = primary_suppression_mask(counts, threshold_low, threshold_high)
    values = counts.to_numpy(dtype=float)
    hidden = primary.to_numpy().copy()

    while True:
        _protect_lines(values, hidden, row_totals_shown, column_totals_shown)
        if not (row_totals_shown and column_totals_shown):
            break
        derivable = _derivable_cells(hidden)
        if not derivable or not _hide_rectangle(values, hidden, derivable[0]):
            break

    mask = pd.DataFrame(hidden, index=counts.index, columns=counts.columns)
    published = table.copy()
    for column in columns:
        published[column] = _publishable(counts[column], mask[column], marker)
    return SuppressedCounts(published, mask, primary)


def suppress_dependent(
    values: pd.Series | pd.DataFrame,
    mask: pd.Series | pd.DataFrame,
    marker: str = DEFAULT_MARKER,
) -> pd.Series | pd.DataFrame:
    """Hide figures derived from suppressed counts (rates, percentages, confidence limits).

    Parameters
    ----------
    values : pandas.Series or pandas.DataFrame
        Derived figures, indexed like the counts the mask came from.
    mask : pandas.Series or pandas.DataFrame
        Suppression mask, e.g. ``SuppressedCounts.mask``. A Series mask applied to a DataFrame
        hides whole rows (every column of a row whose count was suppressed). A DataFrame mask
        hides matching cells; columns of ``values`` not in the mask are left alone.
    marker : str, default "c"
        Text shown in place of a hidden figure.

    Returns
    -------
    pandas.Series or pandas.DataFrame
        Object-dtype copy of ``values`` with the marker where the mask is True.

    Raises
    ------
    ValueError
        If the mask's index does not match the index of ``values``.
    """
    if not mask.index.equals(values.index):
        raise ValueError("mask and values must have the same index")
    result = values.astype(object)
    if isinstance(values, pd.DataFrame) and isinstance(mask, pd.Series):
        result.loc[mask.to_numpy(dtype=bool), :] = marker
        return result
    if isinstance(values, pd.DataFrame):
        aligned = mask.reindex(columns=values.columns, fill_value=False).astype(bool)
        return result.mask(aligned, marker)
    return result.mask(mask.astype(bool), marker)
