"""The processed-table store: its build manifest, checksums and atomic writes.

``data/processed/manifest.json`` records, for each table the build wrote, its build key, rows,
inputs and the sha256, size and modification time of the file. :func:`table_problem` and
:func:`verify_tables` check tables against it; :func:`solihull_analytics.build.read_table`
refuses a table that does not match. Nothing here knows how tables are built
(:mod:`solihull_analytics.build`).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from solihull_analytics import paths

MANIFEST_NAME = "manifest.json"


class TableCorruptError(RuntimeError):
    """A processed table does not match the sha256 the build recorded for it.

    Deliberately not a :class:`BuildError`: code that treats a missing table as "not available"
    must never quietly do the same with a damaged one.
    """



def read_manifest(processed_dir: Path) -> dict[str, Any]:
    p = processed_dir / MANIFEST_NAME
    if not p.exists():
        return {}
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return {}


def atomic_write_bytes(target: Path, writer: Callable[[Path], None]) -> None:
    """Write a file atomically: ``writer`` fills a temporary file that then replaces ``target``.

    A failure leaves any previous ``target`` untouched.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        writer(tmp)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_manifest(processed_dir: Path, manifest: dict[str, Any]) -> None:
    text = json.dumps(manifest, indent=2, sort_keys=True)
    atomic_write_bytes(
        processed_dir / MANIFEST_NAME, lambda p: p.write_text(text, encoding="utf-8")
    )


#: What the manifest records about each written table, to check it before it is used.
STAMP_FIELDS = ("sha256", "size", "mtime_ns")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def output_stamp(path: Path) -> dict[str, Any]:
    st = path.stat()
    return {"sha256": sha256_file(path), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def table_problem(
    name: str, recorded: dict[str, Any] | None, processed_dir: Path, *, full: bool = False
) -> str | None:
    """Say what is wrong with a built table, or ``None`` when it is the table the build wrote.

    The cheap check: size and modification time as recorded; when they differ (or were not
    recorded), or with ``full=True``, the file is hashed and compared with the recorded sha256.
    """
    path = processed_dir / f"{name}.parquet"
    if not path.exists():
        return "is missing"
    if not recorded or not recorded.get("sha256"):
        return "has no checksum in the build manifest"
    st = path.stat()
    same_stamp = st.st_size == recorded.get("size") and st.st_mtime_ns == recorded.get("mtime_ns")
    if same_stamp and not full:
        return None
    if st.st_size != recorded.get("size", st.st_size):
        return f"has {st.st_size:,} bytes where the build wrote {recorded['size']:,} (truncated?)"
    if sha256_file(path) != recorded["sha256"]:
        return "does not match the sha256 the build recorded (damaged or changed by hand)"
    return None


def restamp(recorded: dict[str, Any], path: Path) -> bool:
    """Record the size and mtime of a table whose hash was just confirmed; True if changed."""
    st = path.stat()
    if recorded.get("size") == st.st_size and recorded.get("mtime_ns") == st.st_mtime_ns:
        return False
    recorded.update(size=st.st_size, mtime_ns=st.st_mtime_ns)
    return True


def verify_tables(processed_dir: Path | None = None) -> dict[str, str]:
    """Check every table in the manifest; return ``{table: problem}`` for the bad ones."""
    processed_dir = processed_dir or paths.processed_dir()
    recorded = read_manifest(processed_dir)
    problems = {name: table_problem(name, rec, processed_dir) for name, rec in recorded.items()}
    return {name: why for name, why in problems.items() if why}


def remove_stale_temporaries(processed_dir: Path) -> None:
    """Remove half-written outputs of a build that was killed (called under the build lock)."""
    for p in processed_dir.glob(".*.tmp"):
        p.unlink(missing_ok=True)


def manifest(processed_dir: Path | None = None) -> dict[str, Any]:
    """Return the build manifest (table name to key, rows, inputs, sha256)."""
    return read_manifest(processed_dir or paths.processed_dir())


def parse_table(data: bytes, **read_options: Any) -> Any:
    """Parquet bytes to a DataFrame, or a GeoDataFrame for a boundary layer."""
    import io

    import pyarrow

    if is_geoparquet(data):
        import geopandas

        table = geopandas.read_parquet(io.BytesIO(data), **read_options)
    else:
        table = _read_frame(data, **read_options)
    # Arrow's allocator keeps the decoded columns' memory after conversion (tens of MB per
    # table, even for a filtered read); hand it back so a kernel's memory is what it holds.
    pyarrow.default_memory_pool().release_unused()
    return table


def _read_frame(
    data: bytes,
    columns: list[str] | None = None,
    filters: Any = None,
    read_dictionary: list[str] | None = None,
) -> Any:
    """Parquet bytes to the DataFrame ``pandas.read_parquet`` gives, with text decoded late.

    With ``filters``, text columns are read as the file stores them (dictionary-encoded),
    filtered, and only then turned into one string per row, for the rows kept: decoding every
    row's strings first was most of a filtered read's cost (issue 16; ``population_lsoa``'s
    0-17 rows: 0.105 s against 0.058 s). A whole table is read as pandas reads it (a column of
    distinct codes, as in a lookup, would only be slower). Columns the caller names in
    ``read_dictionary`` stay categoricals, as pyarrow reads them.
    """
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    file_schema = pq.read_schema(io.BytesIO(data))
    text = [f.name for f in file_schema
            if filters and (columns is None or f.name in columns)
            and (pa.types.is_string(f.type) or pa.types.is_large_string(f.type))]
    kept_categorical = set(read_dictionary or ())
    # Filtered here, on the table read, which is quicker than the dataset reader's filtering;
    # columns only filtered on are read for that and dropped.
    extra = [c for c in _filter_columns(filters) if columns is not None and c not in columns]
    table = pq.read_table(io.BytesIO(data), columns=None if columns is None else columns + extra,
                          read_dictionary=sorted(set(text) | kept_categorical) or None,
                          use_pandas_metadata=True)
    if filters:
        table = table.filter(pq.filters_to_expression(filters)).drop_columns(extra)
    for name in text:
        if name not in kept_categorical:
            i = table.schema.get_field_index(name)
            table = table.set_column(i, file_schema.field(name),
                                     table.column(i).cast(file_schema.field(name).type))
    frame = table.to_pandas()
    attrs = (table.schema.metadata or {}).get(b"PANDAS_ATTRS")
    if attrs is not None:
        frame.attrs = json.loads(attrs)
    return frame


def _filter_columns(filters: Any) -> list[str]:
    """The columns pyarrow ``filters`` (a list of tuples, or a list of such lists) test."""
    if not filters:
        return []
    groups = filters if isinstance(filters[0], list) else [filters]
    return list(dict.fromkeys(col for group in groups for col, _op, _value in group))


def is_geoparquet(data: bytes) -> bool:
    """Whether parquet bytes carry GeoParquet's ``geo`` metadata (a boundary layer).

    Read from the file's own footer rather than the table registry, which would import every
    source module (geopandas included) just to read a lookup table.
    """
    import io

    import pyarrow.parquet as pq

    return b"geo" in (pq.read_metadata(io.BytesIO(data)).metadata or {})
