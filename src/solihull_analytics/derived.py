"""What pages derive from national processed tables, kept per warm kernel (issue 16).

A batch renders many LAs in one kernel per notebook. Some of what a page computes from a
national table is the same for every LA (e.g. ``population_lsoa`` pivoted to one row per LSOA
for one year, or the IDACI deciles of one IoD release). :func:`derived_table` computes it once
per content of the table: the table is checked against the build manifest on every call, and
a result is reused only while the table's sha256 is the one it was derived from.

Results are kept only in a kernel kept across LAs (:data:`~solihull_analytics.build.
KEEP_TABLES_ENV` set, as for parsed tables); a one-LA render reads only the columns and rows
asked for, derives, and keeps nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

from solihull_analytics.processed import parse_table
from solihull_analytics.table_reader import (
    checked_table_bytes,
    in_warm_kernel,
    keep_in_warm_kernel,
)

#: Derived results by (table, sha256, columns, filters, derivation, key).
_DERIVED: dict[tuple[Hashable, ...], Any] = {}
_DERIVED_MAX = 64


def _frozen(filters: list[tuple[str, str, Any]] | None) -> tuple[Hashable, ...]:
    """Filters as a hashable key (list or set values become sorted tuples)."""
    out = []
    for col, op, value in filters or ():
        if isinstance(value, (list, tuple, set, frozenset)):
            value = tuple(sorted(value))
        out.append((col, op, value))
    return tuple(out)


def _shallow(value: Any) -> Any:
    """A shallow copy of a DataFrame or Series (copy-on-write keeps the kept one intact)."""
    copy = getattr(value, "copy", None)
    return copy(deep=False) if callable(copy) and hasattr(value, "ndim") else value


def derived_table(
    name: str,
    derive: Callable[[Any], Any],
    key: Hashable = (),
    processed_dir: Path | None = None,
    *,
    columns: list[str] | None = None,
    filters: list[tuple[str, str, Any]] | None = None,
    read_dictionary: list[str] | None = None,
) -> Any:
    """``derive(table)`` for a processed table, derived once per content in a warm kernel.

    Parameters
    ----------
    name : str
        The processed table (checked against the manifest on every call, as
        :func:`~solihull_analytics.build.read_table` does).
    derive : callable
        Pure function of the table (a DataFrame, or GeoDataFrame for boundaries). Its module
        and qualified name are part of the cache key, so use a named function (not a lambda)
        and pass what else it depends on as ``key``.
    key : hashable
        Everything besides the table that ``derive``'s result depends on (e.g. a year).
    processed_dir : Path, optional
        Default :func:`solihull_analytics.paths.processed_dir`.
    columns, filters : optional
        Read only these columns and the rows these pyarrow filters keep.
    read_dictionary : list of str, optional
        Text columns read as categoricals straight from the file's dictionary encoding (their
        strings are never built one per row; categories in the dictionary's order, unused ones
        included): ``derive`` sees them so.

    Returns
    -------
    Any
        The result; a DataFrame or Series is a shallow copy of the kept one.
    """
    data, sha256 = checked_table_bytes(name, processed_dir)
    keep = in_warm_kernel()
    cache_key = (name, sha256, tuple(columns or ()), _frozen(filters),
                 tuple(read_dictionary or ()), f"{derive.__module__}.{derive.__qualname__}", key)
    if keep and cache_key in _DERIVED:
        return _shallow(_DERIVED[cache_key])
    # Parsed for this derivation only: a warm kernel keeps what is derived, not the table too.
    options = {"read_dictionary": read_dictionary} if read_dictionary else {}
    result = derive(parse_table(data, columns=columns, filters=filters, **options))
    if keep_in_warm_kernel(_DERIVED, cache_key, result, _DERIVED_MAX):
        return _shallow(result)
    return result
