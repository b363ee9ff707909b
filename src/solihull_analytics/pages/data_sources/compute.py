"""Page 00's computation: which published files were used, and how far each table covers an LA.

Pure functions: DataFrames and plain values in, DataFrames and plain values out; nothing here
reads a file (:mod:`~solihull_analytics.pages.data_sources.inputs` does).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

#: Columns that say which period a row is about, in the order they are looked for.
PERIOD_COLUMNS = ("year", "mid_year", "release", "census_year", "financial_year_ending")
#: Columns of :func:`sources_table`.
SOURCES_COLUMNS = ["id", "title", "publisher", "release", "licence", "kind", "sha256_short",
                   "available", "used_by"]
#: Columns of :func:`coverage_table`.
COVERAGE_COLUMNS = ["table", "rows_for_la", "periods", "built_from"]
#: What :func:`availability` says of a file that is present.
AVAILABLE = "yes"


def availability(present: bool, mirrored: bool, download_url: str | None,
                 landing_page: str | None) -> str:
    """``"yes"`` for a file that is present, else why not and where to get it."""
    if present:
        return AVAILABLE
    if mirrored:
        return "not fetched yet"
    return f"not in the mirror: {_or_none(download_url) or _or_none(landing_page)}"


def _or_none(value: str | None) -> str | None:
    """``value``, or ``None`` for a missing one (a DataFrame cell holds ``NaN`` for ``None``)."""
    return None if value is None or pd.isna(value) else value


def used_by(table_inputs: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """Catalogue id -> the processed tables that declare it, in table order."""
    out: dict[str, list[str]] = {}
    for name, ids in table_inputs.items():
        for entry_id in ids:
            out.setdefault(entry_id, []).append(name)
    return out


def sources_table(entries: pd.DataFrame, table_inputs: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """One row per catalogue entry: publisher, release, licence, checksum, availability, use.

    Parameters
    ----------
    entries : pandas.DataFrame
        Catalogue entries with ``id``, ``title``, ``publisher``, ``release``, ``licence``,
        ``kind``, ``sha256_short``, ``present``, ``mirrored``, ``download_url`` and
        ``landing_page``.
    table_inputs : mapping of str to sequence of str
        Processed table -> catalogue ids it declares.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SOURCES_COLUMNS`; ``available`` is "yes" or why not, ``used_by`` the
        processed tables (comma-separated).
    """
    users = used_by(table_inputs)
    out = entries.copy()
    out["available"] = [
        availability(bool(r.present), bool(r.mirrored), r.download_url, r.landing_page)
        for r in entries.itertuples()
    ]
    out["used_by"] = [", ".join(users.get(i, [])) for i in entries["id"]]
    return out.reindex(columns=SOURCES_COLUMNS)


def available_files(sources: pd.DataFrame) -> pd.DataFrame:
    """The rows of :func:`sources_table` whose file is available here."""
    return sources[sources["available"] == AVAILABLE]


def missing_files(sources: pd.DataFrame) -> pd.DataFrame:
    """The rows of :func:`sources_table` whose file is not available here."""
    return sources[sources["available"] != AVAILABLE]


def period_span(df: pd.DataFrame, columns: Iterable[str] = PERIOD_COLUMNS) -> str:
    """Return "first to last" of the first period column with values in ``df`` ("" if none)."""
    for col in columns:
        if col in df.columns and len(df):
            values = sorted(df[col].dropna().unique().tolist())
            if values:
                return f"{values[0]} to {values[-1]}" if len(values) > 1 else str(values[0])
    return ""


def coverage_row(table: str, df: pd.DataFrame, la_code: str,
                 built_from: Sequence[str]) -> dict[str, Any]:
    """Rows and periods of one table (with an ``la_code`` column) for one LA."""
    mine = df[df["la_code"] == la_code]
    return {
        "table": table,
        "rows_for_la": int(len(mine)),
        "periods": period_span(mine),
        "built_from": ", ".join(built_from),
    }


def coverage_table(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """The rows of :func:`coverage_row` as a table (the columns even when there are none)."""
    return pd.DataFrame(list(rows), columns=COVERAGE_COLUMNS)


def tables_with_rows(coverage: pd.DataFrame) -> pd.DataFrame:
    """The tables of :func:`coverage_table` with at least one row for the LA."""
    return coverage[coverage["rows_for_la"] > 0]
