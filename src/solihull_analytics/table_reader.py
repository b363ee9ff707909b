"""Reading processed tables: every read checked against the sha256 the build recorded.

:func:`read_table` is how pages and other modules read a processed table; a table that does not
match the build manifest is refused, never parsed. In a kernel kept across LAs
(:data:`KEEP_TABLES_ENV`), whole tables are parsed once per content.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from solihull_analytics import paths, processed
from solihull_analytics.build_registry import BuildError


def read_table(
    name: str,
    processed_dir: Path | None = None,
    *,
    columns: list[str] | None = None,
    filters: list[tuple[str, str, Any]] | None = None,
) -> Any:
    """Read a processed table (a GeoDataFrame for boundary layers), checked against its sha256.

    The bytes are read once, hashed, compared with the sha256 the build recorded in the
    manifest, and only then parsed: what is used is exactly what was checked.

    Parameters
    ----------
    name : str
        The table (file ``<name>.parquet`` in ``processed_dir``).
    processed_dir : Path, optional
        Default :func:`solihull_analytics.paths.processed_dir`.
    columns, filters : optional
        Read only these columns, and only the rows these pyarrow filters keep (e.g.
        ``[("la_code", "==", code)]``), for a page that needs a small part of a big table.
        Such reads are not kept (see Notes).

    Raises
    ------
    BuildError
        If the table has not been built, with the command that builds it.
    processed.TableCorruptError
        If the table does not match the manifest (or is not in it), with the command to run.

    Notes
    -----
    The check runs on every call. In a kernel kept across LAs (:data:`KEEP_TABLES_ENV` set) a
    whole table is parsed only once per content, and each caller gets its own shallow copy.
    """
    data, recorded = checked_table_bytes(name, processed_dir)
    if columns is None and filters is None:
        return _parsed_table(data, recorded).copy(deep=False)
    return processed.parse_table(data, columns=columns, filters=filters)


def checked_table_bytes(name: str, processed_dir: Path | None = None) -> tuple[bytes, str]:
    """The bytes of a processed table and their sha256, checked against the build manifest.

    Raises as :func:`read_table` does (missing, or not the table the build wrote).
    """
    processed_dir = processed_dir or paths.processed_dir()
    p = processed_dir / f"{name}.parquet"
    if not p.exists():
        raise BuildError(
            f"processed table {name!r} not found at {p}. Run `solihull-analytics data build` "
            "(or `make reports`) first."
        )
    data = p.read_bytes()
    recorded = processed.read_manifest(processed_dir).get(name, {}).get("sha256")
    if recorded is None or hashlib.sha256(data).hexdigest() != recorded:
        why = (
            "has no checksum in the build manifest"
            if recorded is None
            else "does not match the sha256 the build recorded (damaged or changed by hand)"
        )
        raise processed.TableCorruptError(
            f"processed table {name!r} at {p} {why}; it was not used. Run "
            f"`solihull-analytics data build --only {name}` to rebuild it, then run again."
        )
    return data, recorded


def table_columns(name: str, processed_dir: Path | None = None) -> list[str]:
    """The column names of a processed table, from its parquet footer (data not read)."""
    import pyarrow.parquet as pq

    p = (processed_dir or paths.processed_dir()) / f"{name}.parquet"
    return list(pq.read_schema(p).names)


#: Parsed tables by the sha256 of their bytes (checked above on every read): a warm kernel
#: (issue 16) parses each table once, not once per LA. Callers get a shallow copy; with
#: pandas' copy-on-write a caller's changes never reach the kept table.
_PARSED: dict[str, Any] = {}
_PARSED_MAX = 40
#: Set (to "1") in the environment of a kernel kept across LAs: only there are parsed tables
#: kept, since a one-LA render would only hold them in memory longer.
KEEP_TABLES_ENV = "SOLIHULL_KEEP_PARSED_TABLES"


def in_warm_kernel() -> bool:
    """Whether this process is a kernel kept across LAs (:data:`KEEP_TABLES_ENV` set)."""
    import os

    return os.environ.get(KEEP_TABLES_ENV) == "1"


def keep_in_warm_kernel(cache: dict[Any, Any], key: Any, value: Any, max_items: int) -> bool:
    """Keep ``value`` in ``cache`` under ``key`` in a kernel kept across LAs, dropping the
    oldest entry beyond ``max_items``; elsewhere keep nothing. Return whether it was kept.

    The one rule for what a warm kernel keeps (parsed tables here, derived results in
    :mod:`solihull_analytics.derived`, postcode letters in :mod:`solihull_analytics.geo.postcodes`):
    a one-LA render would only hold it in memory longer.
    """
    if not in_warm_kernel():
        return False
    if len(cache) >= max_items:
        cache.pop(next(iter(cache)))
    cache[key] = value
    return True


def _parsed_table(data: bytes, sha256: str) -> Any:
    """Parse checked parquet bytes (a GeoDataFrame for boundary layers), once per content
    when :data:`KEEP_TABLES_ENV` is set (or already kept)."""
    table = _PARSED.get(sha256)
    if table is None:
        table = processed.parse_table(data)
        keep_in_warm_kernel(_PARSED, sha256, table, _PARSED_MAX)
    return table
