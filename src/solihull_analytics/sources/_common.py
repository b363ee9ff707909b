"""Reading helpers shared by the source builders.

Append new helpers at the end; do not rewrite helpers other builders rely on.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from solihull_analytics.build import BuildError

#: Markers DfE, ONS and DWP use for suppressed, not applicable, unavailable or negligible cells.
SUPPRESSION_MARKERS = frozenset(
    {"c", "x", "z", "u", "low", "k", ":", "..", "-", "*", "~", "na", "n/a", "NA", "N/A", ""}
)

#: GSS codes of upper-tier authorities replaced 1:1 by a new code (same area, new code).
#: Used to express older files in the codes of DfE's latest release. Splits (Cumbria
#: E10000006, Northamptonshire E10000021) have no 1:1 successor and are left unchanged.
LA_CODE_RENAMES = {
    "E10000002": "E06000060",  # Buckinghamshire, unitary from April 2020
    "E10000023": "E06000065",  # North Yorkshire, unitary from April 2023
    "E10000027": "E06000066",  # Somerset, unitary from April 2023
    # ONS recoded Barnsley and Sheffield after a 2023 boundary change; DfE's releases (and so
    # the suite's la_code) still use the old codes.
    "E08000038": "E08000016",  # Barnsley
    "E08000039": "E08000019",  # Sheffield
}


def require_columns(df: pd.DataFrame, columns: Iterable[str], source_path: Path | str) -> None:
    """Raise :class:`BuildError` when ``df`` lacks any of ``columns``.

    Parameters
    ----------
    df : pandas.DataFrame
        The frame read from ``source_path``.
    columns : iterable of str
        Columns the builder needs.
    source_path : Path or str
        The file the frame came from (named in the message).

    Raises
    ------
    BuildError
        Naming the file, the missing columns and what to do.
    """
    missing = [c for c in columns if c not in df.columns]
    if missing:
        shown = ", ".join(map(str, list(df.columns)[:12]))
        raise BuildError(
            f"{source_path}: expected column(s) {', '.join(map(repr, missing))} are missing "
            f"(found: {shown}{', ...' if len(df.columns) > 12 else ''}). The publisher may have "
            "changed the layout: check the file against its catalogue entry and update the reader."
        )


def to_number(values: pd.Series) -> pd.Series:
    """Convert published cells to ``Float64``, with suppression markers as missing.

    Thousands separators and surrounding spaces are removed; any value in
    :data:`SUPPRESSION_MARKERS` (and anything else that is not a number) becomes ``<NA>``.

    Parameters
    ----------
    values : pandas.Series
        Cells as read (strings or numbers).

    Returns
    -------
    pandas.Series
        ``Float64`` values.
    """
    if pd.api.types.is_numeric_dtype(values):
        return values.astype("Float64")
    text = values.astype("string").str.strip().str.replace(",", "", regex=False)
    text = text.mask(text.isin(SUPPRESSION_MARKERS))
    return pd.to_numeric(text, errors="coerce").astype("Float64")


def current_la_code(codes: pd.Series) -> pd.Series:
    """Return ``codes`` with retired upper-tier codes replaced 1:1 (see :data:`LA_CODE_RENAMES`)."""
    return codes.replace(LA_CODE_RENAMES)


def find_column(
    df: pd.DataFrame,
    alternatives: Iterable[tuple[str, ...]],
    source_path: Path | str,
    what: str,
    *,
    required: bool = True,
) -> str | None:
    """Find the one column whose header contains all the words of an alternative.

    Matching is case-insensitive and by substring, so that official headers such as
    "Income Deprivation Affecting Children Index (IDACI) Rank (where 1 is most deprived)" and
    "Rank of IDACI (where 1 is most deprived)" are both found by ``("idaci", "rank")``. The
    alternatives are tried in order; the first that matches exactly one column wins.

    Parameters
    ----------
    df : pandas.DataFrame
        The frame read from ``source_path``.
    alternatives : iterable of tuple of str
        Word sets to try, e.g. ``[("idaci", "rank")]``.
    source_path : Path or str
        The file the frame came from (named in the message).
    what : str
        What the column holds, for the message (e.g. ``"IDACI rank"``).
    required : bool, default True
        Raise when nothing matches; otherwise return ``None``.

    Returns
    -------
    str or None
        The matching header.

    Raises
    ------
    BuildError
        When no column matches (and ``required``), or an alternative matches several columns.
    """
    alternatives = [tuple(a) for a in alternatives]
    headers = [str(c) for c in df.columns]
    for words in alternatives:
        hits = [h for h in headers if all(w.lower() in h.lower() for w in words)]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise BuildError(
                f"{source_path}: the {what} column is ambiguous: {hits!r} all contain "
                f"{' + '.join(map(repr, words))}. Check the file against its catalogue entry "
                "and tighten the reader's column match."
            )
    if not required:
        return None
    wanted = " or ".join("(" + " + ".join(map(repr, w)) + ")" for w in alternatives)
    shown = ", ".join(map(repr, headers[:12]))
    raise BuildError(
        f"{source_path}: no {what} column (looked for a header containing {wanted}, "
        f"case-insensitive; found: {shown}{', ...' if len(headers) > 12 else ''}). The publisher "
        "may have renamed or dropped the column: check the file against its catalogue entry "
        "(landing page) and update the reader."
    )


#: EES ``geographic_level`` values and the names this suite uses for them.
EES_LEVELS = {"National": "country", "Regional": "region", "Local authority": "local_authority"}


def ees_area_columns(df: pd.DataFrame, source_path: Path | str) -> pd.DataFrame:
    """Add ``area_code``, ``area_name`` and ``level`` to an EES frame (national/regional/LA rows).

    The code is ``new_la_code`` for LA rows, ``region_code`` for regional rows and
    ``country_code`` for national rows; ``level`` is ``local_authority``, ``region`` or
    ``country``. Rows at other levels are dropped.

    Parameters
    ----------
    df : pandas.DataFrame
        An EES CSV read as strings.
    source_path : Path or str
        For error messages.

    Returns
    -------
    pandas.DataFrame
        The rows at the three levels, with the three columns added.
    """
    need = ["time_period", "geographic_level", "country_code", "country_name", "region_code",
            "region_name", "old_la_code", "new_la_code", "la_name"]
    require_columns(df, need, source_path)
    out = df[df["geographic_level"].isin(list(EES_LEVELS))].copy()
    out["level"] = out["geographic_level"].map(EES_LEVELS)
    is_la = out["level"] == "local_authority"
    is_rgn = out["level"] == "region"
    out["area_code"] = out["country_code"].where(~is_rgn, out["region_code"])
    out["area_code"] = out["area_code"].where(~is_la, out["new_la_code"])
    out["area_name"] = out["country_name"].where(~is_rgn, out["region_name"])
    out["area_name"] = out["area_name"].where(~is_la, out["la_name"])
    return out


def dfe_current_la_codes(frames: Iterable[pd.DataFrame]) -> dict[str, str]:
    """Map DfE's 3-digit ``old_la_code`` to the ``new_la_code`` of its latest year.

    Parameters
    ----------
    frames : iterable of pandas.DataFrame
        EES frames (read as strings) with ``time_period``, ``geographic_level``,
        ``old_la_code`` and ``new_la_code``; pass the latest release first.

    Returns
    -------
    dict of str to str
        E.g. ``{"815": "E06000065"}`` (North Yorkshire, E10000023 before 2023).
    """
    parts = []
    for rank, df in enumerate(frames):
        la = df[df["geographic_level"] == "Local authority"][
            ["time_period", "old_la_code", "new_la_code"]
        ].dropna()
        la = la.assign(rank=rank, year=pd.to_numeric(la["time_period"].str[:4], errors="coerce"))
        parts.append(la)
    allrows = pd.concat(parts, ignore_index=True)
    allrows = allrows.sort_values(["year", "rank"], ascending=[False, True])
    latest = allrows.drop_duplicates("old_la_code")
    return dict(zip(latest["old_la_code"].str.strip(), latest["new_la_code"], strict=True))


# --- R data (.rds) reader -------------------------------------------------------------------
# pyreadr calls back into Python for every string cell, which takes ~10 s for a 300,000-row
# DfE dashboard object. The reader below walks R's XDR serialisation format directly and builds
# string columns with numpy/pyarrow, about four times faster. It supports what data frames
# saved by R hold: character, integer, logical and double vectors, lists, pairlist attributes,
# symbols, ALTREP wrappers and external pointers (data.table's self-reference), which it skips.

_R_NA_INTEGER = -(2**31)
_R_NIL_LIKE = frozenset({254, 242, 251, 253})  # NILVALUE, EMPTYENV, MISSINGARG, GLOBALENV
_unpack_int = struct.Struct(">i").unpack_from


class _RVector:
    """An R vector as read: its type code, values and attributes."""

    __slots__ = ("attributes", "sexptype", "values")

    def __init__(self, sexptype: int, values: object, attributes: dict | None) -> None:
        self.sexptype = sexptype
        self.values = values
        self.attributes = attributes or {}


class _RdsReader:
    """Sequential reader of R's XDR serialisation (format versions 2 and 3)."""

    def __init__(self, buffer: bytes, source_path: Path | str) -> None:
        self.buffer = buffer
        self.position = 0
        self.references: list[object] = []
        self.source_path = source_path
        self._headers: tuple[np.ndarray, np.ndarray] | None = None

    def read_int(self) -> int:
        (value,) = _unpack_int(self.buffer, self.position)
        self.position += 4
        return value

    def read_item(self) -> object:  # noqa: C901, PLR0911, PLR0912 - one branch per R type
        """Read the serialised R object at the current position (recursively).

        Long because it walks R's serialisation format one branch per object type, each reading
        the bytes in the order R writes them; split up, the format would be scattered.
        """
        flags = self.read_int()
        sexptype = flags & 0xFF
        has_attributes = bool(flags & (1 << 9))
        has_tag = bool(flags & (1 << 10))
        if sexptype in _R_NIL_LIKE:
            return None
        if sexptype == 255:  # REFSXP
            index = flags >> 8 or self.read_int()
            return self.references[index - 1]
        if sexptype == 1:  # SYMSXP
            name = self.read_item()
            self.references.append(name)
            return name
        if sexptype == 9:  # CHARSXP
            length = self.read_int()
            if length == -1:
                return None
            text = self.buffer[self.position : self.position + length].decode("utf-8", "replace")
            self.position += length
            return text
        if sexptype == 2:  # LISTSXP: a pairlist, here always attributes -> dict
            out: dict[object, object] = {}
            while True:
                if has_attributes:
                    self.read_item()
                tag = self.read_item() if has_tag else None
                out[tag] = self.read_item()
                following = self.read_int()
                if following & 0xFF == 254:
                    return out
                has_attributes = bool(following & (1 << 9))
                has_tag = bool(following & (1 << 10))
        if sexptype == 22:  # EXTPTRSXP
            self.references.append(None)
            self.read_item()
            self.read_item()
            if has_attributes:
                self.read_item()
            return None
        if sexptype == 238:  # ALTREP_SXP: class info, state, attributes
            info = self.read_item()
            state = self.read_item()
            self.read_item()
            return ("altrep", info, state)
        if sexptype in (10, 13):  # LGLSXP, INTSXP
            n = self.read_int()
            values: object = np.frombuffer(
                self.buffer, dtype=">i4", count=n, offset=self.position
            ).astype(np.int64)
            self.position += 4 * n
        elif sexptype == 14:  # REALSXP
            n = self.read_int()
            values = np.frombuffer(self.buffer, dtype=">f8", count=n, offset=self.position)
            values = values.astype(np.float64)
            self.position += 8 * n
        elif sexptype == 16:  # STRSXP
            values = self._read_string_spans(self.read_int())
        elif sexptype == 19:  # VECSXP
            values = [self.read_item() for _ in range(self.read_int())]
        else:
            raise BuildError(
                f"{self.source_path}: unsupported R object type {sexptype} at byte "
                f"{self.position - 4}. The file is not a plain data frame; re-save it with "
                "saveRDS(as.data.frame(x)) or extend read_rds_frame()."
            )
        attributes = self.read_item() if has_attributes else None
        return _RVector(sexptype, values, attributes if isinstance(attributes, dict) else None)

    def _read_string_spans(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Return (start, length) of each string of a character vector; length -1 marks NA."""
        if n >= _VECTORISED_MINIMUM:
            spans = self._string_spans_vectorised(n)
            if spans is not None:
                return spans
        buffer = self.buffer
        position = self.position
        starts = [0] * n
        lengths = [0] * n
        unpack = _unpack_int
        for i in range(n):
            length = unpack(buffer, position + 4)[0]
            position += 8
            starts[i] = position
            lengths[i] = length
            if length > 0:
                position += length
        self.position = position
        return np.array(starts, dtype=np.int64), np.array(lengths, dtype=np.int64)

    def _charsxp_headers(self) -> tuple[np.ndarray, np.ndarray]:
        """Positions and lengths of every byte run that looks like a string header.

        A string (CHARSXP) starts with flags ``00 0? ?0 09`` and a big-endian length. Text
        never holds a zero byte, so inside a character vector the only false matches are the
        length field of a 9-byte string (``00 00 00 09``), which directly follows a header and
        is dropped here.
        """
        if self._headers is None:
            b = np.frombuffer(self.buffer, dtype=np.uint8)
            positions = np.flatnonzero(b[3 : len(b) - 5] == 9)  # type byte first: rare value
            positions = positions[b[positions] == 0]
            positions = positions[(b[positions + 2] & 0x0F) == 0]
            positions = positions[b[positions + 1] < 0x10]
            # A match 4 bytes after another is that header's length field (a header's bytes
            # rule out any match in between, so it is always the immediate predecessor).
            follows_header = np.concatenate([[False], np.diff(positions) == 4])
            positions = positions[~follows_header]
            # Big-endian int32 at every byte offset (an unaligned, overlapping view).
            int32_at = np.ndarray(
                shape=(len(b) - 3,), dtype=">i4", buffer=self.buffer, strides=(1,)
            )
            lengths = int32_at[positions + 4].astype(np.int64)
            self._headers = (positions, lengths)
        return self._headers

    def _string_spans_vectorised(self, n: int) -> tuple[np.ndarray, np.ndarray] | None:
        """Find a character vector's strings with numpy; ``None`` when the check fails."""
        positions, lengths = self._charsxp_headers()
        first = int(np.searchsorted(positions, self.position))
        if first + n > len(positions) or positions[first] != self.position:
            return None
        starts = positions[first : first + n]
        sizes = lengths[first : first + n]
        ends = starts + 8 + np.where(sizes > 0, sizes, 0)
        if not np.array_equal(starts[1:], ends[:-1]):
            return None  # something unexpected between strings: use the exact walk
        self.position = int(ends[-1])
        return starts + 8, sizes


#: Character vectors shorter than this are walked string by string.
_VECTORISED_MINIMUM = 2000


def _string_column(
    buffer: bytes, spans: tuple[np.ndarray, np.ndarray], rows: np.ndarray | None = None
) -> pd.Series:
    import pyarrow as pa

    starts, lengths = spans
    if rows is not None:
        starts, lengths = starts[rows], lengths[rows]
    kept = np.where(lengths > 0, lengths, 0)
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(kept, out=offsets[1:])
    source = np.repeat(starts - offsets[:-1], kept) + np.arange(offsets[-1])
    data = np.frombuffer(buffer, dtype=np.uint8)[source]
    valid = lengths >= 0
    bitmap = None if valid.all() else pa.array(valid).buffers()[1]
    array = pa.LargeStringArray.from_buffers(
        len(lengths), pa.py_buffer(offsets), pa.py_buffer(data), null_bitmap=bitmap
    )
    return pd.Series(array.to_pandas(), dtype="str")


def _reader_past_header(buffer: bytes, path: Path | str) -> _RdsReader:
    """A reader of an XDR serialisation positioned after its header (format version, R
    versions and, in version 3, the native encoding's name)."""
    reader = _RdsReader(buffer, path)
    reader.position = 2
    version = reader.read_int()
    reader.read_int()
    reader.read_int()
    if version == 3:
        encoding_name_length = reader.read_int()  # then the native encoding's name
        reader.position += encoding_name_length
    return reader


def read_rds_frame(
    path: Path | str,
    columns: Iterable[str] | None = None,
    where: dict[str, set[str]] | None = None,
) -> pd.DataFrame:
    """Read a data frame saved with R's ``saveRDS`` (gzip or uncompressed, XDR format).

    Parameters
    ----------
    path : Path or str
        The ``.rds`` file.
    columns : iterable of str, optional
        Columns to convert (all when omitted); the others are skipped cheaply.
    where : dict of str to set of str, optional
        Keep only rows whose value in each named character column is in the set (filtering
        before the other columns are converted saves most of the time on big objects).

    Returns
    -------
    pandas.DataFrame
        Character columns as ``str``, integer/logical columns as ``Int64`` (R's NA as ``<NA>``),
        double columns as ``float64``. Factor columns come back as their integer codes.

    Raises
    ------
    BuildError
        If the file is not an XDR-serialised R data frame, or lacks a requested column.
    """
    import gzip

    raw = Path(path).read_bytes()
    buffer = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
    if buffer[:2] != b"X\n":
        raise BuildError(
            f"{path}: not an XDR-serialised R object (bzip2/xz compression and ASCII format are "
            "not supported). Re-save it in R with saveRDS(x, compress = 'gzip')."
        )
    frame = _reader_past_header(buffer, path).read_item()
    if not isinstance(frame, _RVector) or frame.sexptype != 19 or "names" not in frame.attributes:
        raise BuildError(f"{path}: the R object is not a data frame (a named list of columns).")
    names_vector = frame.attributes["names"]
    names = _string_column(buffer, names_vector.values).tolist()
    wanted = list(names) if columns is None else list(columns)
    missing = [c for c in wanted if c not in names]
    if missing:
        raise BuildError(
            f"{path}: expected column(s) {', '.join(map(repr, missing))} are missing (found: "
            f"{', '.join(names[:12])}). The publisher may have changed the layout: check the file "
            "against its catalogue entry and update the reader."
        )
    columns_by_name = dict(zip(names, frame.values, strict=True))
    rows = None
    for name, allowed in (where or {}).items():
        column = columns_by_name.get(name)
        if not isinstance(column, _RVector) or column.sexptype != 16:
            raise BuildError(f"{path}: cannot filter on {name!r}: not a character column.")
        keep = _string_column(buffer, column.values).isin(list(allowed)).to_numpy()
        rows = keep if rows is None else rows & keep
    selected = None if rows is None else np.flatnonzero(rows)
    out: dict[str, object] = {}
    for name in wanted:
        column = columns_by_name[name]
        if not isinstance(column, _RVector):
            continue
        if column.sexptype == 16:
            out[name] = _string_column(buffer, column.values, selected)
            continue
        values = column.values if selected is None else column.values[selected]
        if column.sexptype in (10, 13):
            missing = values == _R_NA_INTEGER
            converted = pd.array(np.where(missing, 0, values), dtype="Int64")
            converted[missing] = pd.NA
            out[name] = converted
        elif column.sexptype == 14:
            out[name] = values
    return pd.DataFrame(out)
