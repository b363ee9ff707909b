"""Tables as a page shows them: aligned, unbroken numbers and codes, sized to fit the page.

A column is shown as one of three kinds:

``num``
    numbers (including preformatted ones such as ``"1,234.5"``, ``"12%"``, ``"99.7 (90.0 to
    109.0)"`` and suppression marks such as ``c``): right-aligned, tabular figures, never broken;
``code``
    area codes (``E08000029``) and periods (``2021-22``): left-aligned, never broken;
``text``
    everything else: left-aligned, wrapping between words.

Long tables (:data:`LONG_TABLE_ROWS` rows or more) show a summary on the page; wide tables can
show chosen columns. The full table is always in the page's CSV download
(:mod:`solihull_analytics.report.downloads`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

#: A table with this many rows or more is summarised on the page (the full table is downloaded).
LONG_TABLE_ROWS = 20
#: Rows of a long table shown on the page unless the section chooses otherwise.
SUMMARY_ROWS = 10

_NUMBER = re.compile(
    r"^[-+−–]?(?:£)?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?(?:%|x| times)?"
    r"(?:\s*\([^()]*\))?$"
)
_DIGIT = re.compile(r"\d")
#: Marks that stand for a number: suppressed (c), not available, not applicable, zero.
NUMBER_MARKS = frozenset({"c", "x", "z", "..", ":", "-", "–", "—", "n/a", "low", "u", "[c]"})
_CODE = re.compile(r"^(?:[EWSNK]\d{8}|\d{4}(?:[-/]\d{2,4})?|\d{4}-\d{2}-\d{2})$")


def column_kind(values: pd.Series) -> str:
    """Return ``"num"``, ``"code"`` or ``"text"`` for a column (see the module docstring)."""
    if pd.api.types.is_bool_dtype(values):
        return "text"
    if pd.api.types.is_numeric_dtype(values):
        return "num"
    present = [str(v).strip() for v in values.tolist() if not _missing(v)]
    present = [v for v in present if v]
    if not present:
        return "text"
    if all(_CODE.match(v) for v in present):
        return "code"
    numbers = [v for v in present if v.lower() not in NUMBER_MARKS]
    if numbers and all(_NUMBER.match(v) and _DIGIT.search(v) for v in numbers):
        return "num"
    return "text"


def _missing(value: Any) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def flat_columns(df: pd.DataFrame) -> pd.DataFrame:
    """Return ``df`` with one level of string column names (MultiIndex levels joined)."""
    out = df.copy()
    out.columns = [
        " ".join(str(p) for p in c if str(p) != "") if isinstance(c, tuple) else str(c)
        for c in out.columns
    ]
    return out


#: A word this long (a URL, a file name) may break anywhere; shorter words never break.
LONG_WORD = 24


def _breakable(text: str) -> str:
    """Escape ``text``, allowing line breaks after ``_`` and ``/`` (snake_case names, paths)."""
    return html.escape(text).replace("_", "_<wbr>").replace("/", "/<wbr>")


def _cell(tag: str, kind: str, text: str, scope: str = "") -> str:
    classes = [f"sa-{kind}"]
    if kind == "num" and not _DIGIT.search(text) and text.lower() not in NUMBER_MARKS:
        classes.append("sa-note")  # a sentence in a column of numbers ("not available") wraps
    if kind == "text" and any(len(word) > LONG_WORD for word in text.split()):
        classes.append("sa-long")  # a URL may break anywhere
    body = _breakable(text) if kind == "text" else html.escape(text)
    return f'<{tag}{scope} class="{" ".join(classes)}">{body}</{tag}>'


def table_html(
    df: pd.DataFrame,
    caption: str,
    fmt: Callable[[Any], str],
    *,
    row_headers: int = 0,
) -> str:
    """Return ``df`` as an accessible HTML table with per-column alignment classes.

    Parameters
    ----------
    df : DataFrame
        The rows and columns to show (already cut to what the page shows).
    caption : str
        The table's caption (escaped here).
    fmt : callable
        Formats one cell value as text (escaped here).
    row_headers : int, default 0
        How many leading columns are row headers (``<th scope="row">``), e.g. a shown index.
    """
    kinds = [column_kind(df[c]) for c in df.columns]
    head = "".join(
        f'<th scope="col" class="sa-{k}">{_breakable(str(c))}</th>'
        for c, k in zip(df.columns, kinds, strict=True)
    )
    rows = []
    for values in df.itertuples(index=False, name=None):
        cells = []
        for i, (v, k) in enumerate(zip(values, kinds, strict=True)):
            row_header = i < row_headers
            tag, scope = ("th", ' scope="row"') if row_header else ("td", "")
            cells.append(_cell(tag, k, fmt(v), scope))
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (
        '<div class="sa-table-wrap"><table class="sa-table">'
        f"<caption>{html.escape(caption)}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def round_like(df: pd.DataFrame, float_format: str) -> pd.DataFrame:
    """Return ``df`` with its float columns rounded to the decimals of ``float_format``."""
    found = re.search(r"\.(\d+)[fe%]", float_format)
    if not found:
        return df
    decimals = int(found.group(1)) + (2 if float_format.rstrip("}").endswith("%") else 0)
    out = df.copy()
    for column in out.columns:
        if pd.api.types.is_float_dtype(out[column]):
            out[column] = out[column].round(decimals)
    return out


def rows_around(mask: Sequence[bool], context: int = 3) -> list[bool]:
    """Rows to show of a long ranked table: the first and last ``context`` rows, and the rows
    within ``context`` of any row where ``mask`` is true (e.g. the LA's own row)."""
    flags = [bool(m) for m in mask]
    n = len(flags)
    marked = [i for i, m in enumerate(flags) if m]
    return [
        i < context or i >= n - context or any(abs(i - j) <= context for j in marked)
        for i in range(n)
    ]


def page_cut(
    df: pd.DataFrame,
    page_columns: Sequence[str] | None,
    page_rows: int | Sequence[bool] | None,
) -> tuple[pd.DataFrame, str]:
    """Return the part of ``df`` the page shows and a sentence saying what was left out.

    ``page_rows``: None for the default (all rows of a short table, the first
    :data:`SUMMARY_ROWS` of a long one), a number of rows (negative: the last rows, e.g. the
    latest years), or one flag per row (see :func:`rows_around`). The sentence is empty when
    the whole table is shown.
    """
    shown = df
    if page_columns:
        unknown = [c for c in page_columns if c not in df.columns]
        if unknown:
            raise KeyError(f"page_columns not in the table: {unknown}")
        shown = df[list(page_columns)]
    n_rows = len(shown)
    if page_rows is None:
        page_rows = n_rows if n_rows < LONG_TABLE_ROWS else SUMMARY_ROWS
    if isinstance(page_rows, int):
        which = "first" if page_rows >= 0 else "last"
        shown = shown.head(page_rows) if page_rows >= 0 else shown.tail(-page_rows)
    else:
        which = "selected"
        shown = shown[[bool(x) for x in page_rows]]
    parts = []
    if len(shown) < n_rows:
        parts.append(f"the {which} {len(shown)} of {n_rows} rows")
    if shown.shape[1] < df.shape[1]:
        parts.append(f"{shown.shape[1]} of {df.shape[1]} columns")
    note = ""
    if parts:
        note = f"Shown here: {' and '.join(parts)}. The full table is in the download."
    return shown, note
