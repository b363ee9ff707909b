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

from collections.abc import Iterable
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


# -- a page's published counts as one set of linked tables -----------------------------------
@dataclass
class _Cell:
    value: int
    published: bool
    keep: int


class PublishedCounts:
    """Every count a page publishes, with the linear relations between them, suppressed once.

    A page builds one of these, adds each count it will show anywhere (tables, text, headline
    JSON, chart labels and alt text) under one name, declares how the counts add up
    (``total = part + part ...``, across tables as well as within them), calls
    :meth:`suppress`, and then formats every figure through :meth:`shown` or :meth:`text`.
    A count published in several places is one cell, so it is hidden everywhere or nowhere.

    Rules (DfE's statistical disclosure convention for children's social care):

    - **Primary**: published counts from ``threshold_low`` to ``threshold_high`` (1 to 5) are
      shown as the marker. Zeros are shown.
    - **Secondary**: the reader is assumed to know every shown count, every relation, that
      unpublished counts which are 0 are 0 (they may guess it), and that a hidden count is at
      least 1 (zeros are shown). While some primary-suppressed count can be worked out (it is
      a linear combination of what is known, or a relation's hidden counts must all be 1),
      or an unpublished count from 1 to 5 can be worked out, one more count in a relation
      through it is hidden: never a zero, and together with every other shown count of the
      same value (hiding a count whose value is shown elsewhere protects nothing),
      preferring counts with a lower ``keep``, then fewer counts hidden, then the smallest.
    - When nothing more can be hidden to protect a count, :attr:`safe` is False: the page
      must then publish none of these counts.

    Parameters
    ----------
    threshold_low, threshold_high : int, default 1 and 5
        Inclusive range of counts to suppress.
    marker : str, default "c"
        Text shown in place of a suppressed count.
    """

    def __init__(
        self, threshold_low: int = 1, threshold_high: int = 5, marker: str = DEFAULT_MARKER
    ) -> None:
        _check_thresholds(threshold_low, threshold_high)
        self.threshold_low, self.threshold_high, self.marker = threshold_low, threshold_high, marker
        self._cells: dict[str, _Cell] = {}
        self._relations: list[tuple[str, tuple[str, ...]]] = []
        self.hidden: set[str] = set()
        self.primary: set[str] = set()
        self.safe = True
        self._done = False

    # -- building ---------------------------------------------------------------------------
    def add(self, name: str, value: int, *, published: bool = True, keep: int = 0) -> None:
        """Add a count. ``published=False`` for counts the page does not show but that link
        shown ones (e.g. children in the Header but not in the cohort); ``keep`` ranks how
        much the page needs the count shown (higher is hidden last)."""
        if name in self._cells:
            raise ValueError(f"count {name!r} added twice")
        if value < 0 or int(value) != value:
            raise ValueError(f"count {name!r} must be a non-negative integer, got {value!r}")
        self._cells[name] = _Cell(int(value), published, keep)
        self._done = False

    def relate(self, total: str, parts: Iterable[str]) -> None:
        """Declare ``total = sum(parts)``; raises ValueError if the true counts disagree."""
        parts = tuple(parts)
        missing = [n for n in (total, *parts) if n not in self._cells]
        if missing:
            raise ValueError(f"unknown counts in relation: {', '.join(missing)}")
        if self._cells[total].value != sum(self._cells[p].value for p in parts):
            raise ValueError(f"{total} is not the sum of {', '.join(parts)}")
        self._relations.append((total, parts))
        self._done = False

    def __contains__(self, name: str) -> bool:
        return name in self._cells

    def value(self, name: str) -> int:
        """The true count (for computing, never for display)."""
        return self._cells[name].value

    @property
    def names(self) -> list[str]:
        """Names of all counts, in the order added."""
        return list(self._cells)

    @property
    def relations(self) -> list[tuple[str, tuple[str, ...]]]:
        """The declared relations ``(total, parts)``."""
        return list(self._relations)

    # -- suppression ------------------------------------------------------------------------
    def _unknown(self) -> list[str]:
        return [
            n
            for n, c in self._cells.items()
            if n in self.hidden or (not c.published and c.value != 0)
        ]

    def derivable(self) -> set[str]:
        """Hidden or unpublished counts a reader could work out from the shown ones."""
        unknown = self._unknown()
        if not unknown or not self._relations:
            return set()
        position = {n: i for i, n in enumerate(unknown)}
        rows = []
        for total, parts in self._relations:
            row = np.zeros(len(unknown))
            if total in position:
                row[position[total]] += 1.0
            for p in parts:
                if p in position:
                    row[position[p]] -= 1.0
            if row.any():
                rows.append(row)
        out: set[str] = set()
        if rows:
            equations = np.array(rows)
            projection = np.linalg.pinv(equations) @ equations
            solved = np.isclose(np.diag(projection), 1.0, atol=1e-9)
            out |= {n for n, hit in zip(unknown, solved, strict=True) if hit}
        # Non-negativity: hidden counts are at least 1, so k hidden parts adding to k are all 1.
        for total, parts in self._relations:
            if total in position:
                continue
            unknown_parts = [p for p in parts if p in position]
            if unknown_parts and self.value(total) - sum(
                self.value(p) for p in parts if p not in position
            ) == len(unknown_parts):
                out |= {p for p in unknown_parts if p in self.hidden}
        return out

    def _candidates(self, around: str) -> list[tuple[str, ...]]:
        """Ways to protect ``around``: each a group of shown counts to hide together.

        A count linked to ``around`` is hidden together with every other shown count of the
        same value, since a reader seeing that value elsewhere could take it for the hidden one
        (e.g. Header rows read equal to the cohort when every child in the Header is in it).
        """
        shown: dict[int, list[str]] = {}
        for n, c in self._cells.items():
            if c.published and n not in self.hidden:
                shown.setdefault(c.value, []).append(n)
        linked = {
            n
            for total, parts in self._relations
            if around in (total, *parts)
            for n in (total, *parts)
        }
        return [
            tuple(shown[self._cells[n].value])
            for n in sorted(linked)
            if self._cells[n].published and n not in self.hidden and self._cells[n].value != 0
        ]

    def _cost(self, group: tuple[str, ...]) -> tuple[int, int, int]:
        return (
            max(self._cells[n].keep for n in group),
            len(group),
            self._cells[group[0]].value,
        )

    def suppress(self) -> PublishedCounts:
        """Decide which counts to hide (primary, then secondary until nothing can be derived)."""
        self.primary = {
            n
            for n, c in self._cells.items()
            if c.published and self.threshold_low <= c.value <= self.threshold_high
        }
        self.hidden = set(self.primary)
        self.safe = True
        while True:
            exposed = sorted(self.derivable() & self.sensitive, key=self.names.index)
            if not exposed:
                break
            options: list[tuple[str, ...]] = []
            frontier, seen = [exposed[0]], {exposed[0]}
            while frontier and not options:  # nearest relations first, then further out
                options = [n for f in frontier for n in self._candidates(f)]
                frontier = [
                    n
                    for f in frontier
                    for total, parts in self._relations
                    if f in (total, *parts)
                    for n in (total, *parts)
                    if n not in seen
                ]
                seen |= set(frontier)
            if not options:
                self.safe = False
                break
            best = min(options, key=lambda group: (self._cost(group), group))
            self.hidden |= set(best)
        self._done = True
        return self

    @property
    def sensitive(self) -> set[str]:
        """Counts that must not be worked out: the primary-suppressed ones, and unpublished
        counts from ``threshold_low`` to ``threshold_high``."""
        unpublished = {
            n
            for n, c in self._cells.items()
            if not c.published and self.threshold_low <= c.value <= self.threshold_high
        }
        return self.primary | unpublished

    # -- publishing -------------------------------------------------------------------------
    def is_hidden(self, name: str) -> bool:
        """Whether the count is suppressed (always True when the set is not safe)."""
        self._require_done()
        return not self.safe or name in self.hidden

    def shown(self, name: str) -> int | str:
        """The count as published: the integer, or the marker."""
        return self.marker if self.is_hidden(name) else self._cells[name].value

    def text(self, name: str) -> str:
        """The count as text for sentences: ``"1,234"`` or the marker."""
        shown = self.shown(name)
        return shown if isinstance(shown, str) else f"{shown:,}"

    def published_values(self) -> dict[str, int | str]:
        """Every published count as shown (name to integer or marker)."""
        return {n: self.shown(n) for n, c in self._cells.items() if c.published}

    def _require_done(self) -> None:
        if not self._done:
            raise RuntimeError("call suppress() after adding counts and before publishing")
