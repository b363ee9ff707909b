"""Find and read an SSDA903 extract's files: which folder, which file is which table.

The return is read from a folder holding its tables in any of the forms LAs export them:

- **CSV** (any file name, any case of ``.csv``), UTF-8 with or without a byte-order mark,
  UTF-16 (Excel's "Unicode text", comma- or tab-separated) or Windows-1252, CRLF or LF;
- **Excel workbooks** (``.xlsx``, ``.xlsm``, ``.xls``, ``.ods``), one table per sheet;
- **XML** in DfE's published layout for the return (``EXPSSDA903`` / ``CHILD`` / ``HEADER`` and
  ``EPISODE`` elements, ``CHILDID`` for ``CHILD`` and ``PL`` for ``PLACE``).

Each table is recognised by its columns, as DfE's validator (``csc-validator-be-903``) does, not
by its file name (:func:`classify`): DfE's SWEpisodes table (``sw_episodes.csv``) is not taken
for Episodes.

Which folder is read is settled by :mod:`~solihull_analytics.ssda903.folder`.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from solihull_analytics.ssda903.extract import (
    _DISTINCTIVE,
    _XML_RENAME,
    _XML_SUBTABLES,
    COLUMNS,
    RETURN_TABLES,
    TABLE_TITLES,
    TABLES,
    TEXT_SUFFIXES,
    WORKBOOK_SUFFIXES,
    XML_SUFFIXES,
)
from solihull_analytics.ssda903.folder import SSDA903Error, _is_data_file, _is_visible_folder


# -- reading files ------------------------------------------------------------------------------
def _decode(path: Path, data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    head = data[:200]
    if head and head.count(b"\x00") >= len(head) // 4:  # UTF-16 without a byte-order mark
        return data.decode("utf-16-le" if head[1:2] == b"\x00" else "utf-16-be")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")  # Excel's "CSV (Comma delimited)" on Windows
    except UnicodeDecodeError:
        raise SSDA903Error(
            f"{path.name}: not readable as text (not UTF-8, UTF-16 or Windows-1252); save it "
            "again as 'CSV UTF-8'."
        ) from None


def _read_text(path: Path, nrows: int | None = None) -> pd.DataFrame:
    try:
        text = _decode(path, path.read_bytes())
    except UnicodeDecodeError as exc:
        raise SSDA903Error(
            f"{path.name}: the text is damaged ({exc.reason}); save it again as 'CSV UTF-8'."
        ) from None
    if not text.strip():
        raise _EmptyFile(path.name)
    first = text.lstrip("\ufeff").splitlines()[0]
    sep = max((",", "\t", ";"), key=first.count)
    try:
        df = pd.read_csv(
            io.StringIO(text.lstrip("\ufeff")),
            sep=sep,
            dtype=str,
            keep_default_na=False,
            nrows=nrows,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        reason = str(exc).strip().splitlines()[-1]
        raise SSDA903Error(
            f"{path.name}: not readable as CSV ({reason}); export the table again."
        ) from None
    return df


def _cell_text(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp) or hasattr(value, "isoformat"):
        return value.isoformat()[:10]  # a real date cell: unambiguous
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # CHILD 1001 stored as a number
    return str(value)


def _read_workbook(path: Path, nrows: int | None = None) -> dict[str, pd.DataFrame]:
    try:
        sheets = pd.read_excel(
            path, sheet_name=None, engine="calamine", dtype=object, header=0, nrows=nrows
        )
    except Exception as exc:  # noqa: BLE001 - calamine raises its own error types
        raise SSDA903Error(
            f"{path.name}: not readable as a workbook ({type(exc).__name__}); save it again "
            "from Excel, or as CSV UTF-8."
        ) from None
    out = {}
    for name, df in sheets.items():
        df = df.dropna(how="all")
        df.columns = [_cell_text(c) for c in df.columns]
        out[str(name)] = df.map(_cell_text).astype(str) if len(df) else df.astype(str)
    return out


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].upper()


def _leaves(element: ET.Element) -> dict[str, str]:
    out = {}
    for el in element:
        if len(el) == 0:
            tag = _local(el.tag)
            out[_XML_RENAME.get(tag, tag)] = (el.text or "").strip()
    return out


def _read_xml(path: Path) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """Read DfE's XML layout into the Header, Episodes and UASC tables; count the others."""
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise SSDA903Error(
            f"{path.name}: not well-formed XML ({exc}); export the return again."
        ) from None
    if _local(root.tag) != "EXPSSDA903":
        raise _NotTheReturn(path.name)
    rows: dict[str, list[dict[str, str]]] = {t: [] for t in TABLES}
    others: dict[str, str] = {}  # element name -> what it holds
    uasc_given = False
    for child in root:
        if _local(child.tag) != "CHILD":
            others.setdefault(_local(child.tag), "not part of the return's layout")
            continue
        header_el = next((e for e in child if _local(e.tag) == "HEADER"), None)
        fields = _leaves(header_el) if header_el is not None else {}
        rows["header"].append({c: fields.get(c, "") for c in COLUMNS["header"]})
        uasc_given = uasc_given or "UASC" in fields
        if fields.get("UASC", "") not in ("", "0") or fields.get("DUC", ""):
            rows["uasc"].append({c: fields.get(c, "") for c in COLUMNS["uasc"]})
        for tag, table in (("IN_TOUCH", "oc3"), ("DATE_INT", "ad1")):
            if fields.get(tag, ""):
                others.setdefault(tag, TABLE_TITLES[table])
        for sub in header_el if header_el is not None else ():
            if len(sub):
                tag = _local(sub.tag)
                table = _XML_SUBTABLES.get(tag)
                others.setdefault(tag, TABLE_TITLES[table] if table else "not read")
        for el in child:
            tag = _local(el.tag)
            if tag == "EPISODE":
                ep = _leaves(el)
                row = {c: ep.get(c, "") for c in COLUMNS["episodes"]}
                row["CHILD"] = fields.get("CHILD", "")
                rows["episodes"].append(row)
            elif tag != "HEADER":
                others.setdefault(tag, "not read")
    frames = {
        t: pd.DataFrame(r, columns=list(COLUMNS[t]), dtype=str)
        for t, r in rows.items()
        if t != "uasc" or uasc_given or r
    }
    return frames, others


class _EmptyFile(Exception):
    pass


class _NotTheReturn(Exception):
    pass


# -- recognising tables -------------------------------------------------------------------------
def classify(columns: list[str] | set[str], where: str = "a file") -> str | None:
    """Which table of the return a file is, from its column names (None: not a 903 table).

    A file is the table whose DfE columns it matches best, provided it holds at least one
    column only that table has (``DECOM`` for Episodes, ``DUC`` for UASC, ``SW_DECOM`` for SW
    episodes ...). Column names are compared in upper case, without surrounding spaces.

    Raises
    ------
    SSDA903Error
        If the columns fit two tables equally well.
    """
    cols = {str(c).strip().lstrip("\ufeff").upper() for c in columns}
    candidates = [t for t, d in _DISTINCTIVE.items() if cols & d]
    if not candidates:
        return None
    scores = {
        t: len(cols & set(RETURN_TABLES[t])) - len(set(RETURN_TABLES[t]) - cols) for t in candidates
    }
    best = max(scores.values())
    winners = [t for t, s in scores.items() if s == best]
    if len(winners) > 1:
        names = " and ".join(TABLE_TITLES[t] for t in winners)
        raise SSDA903Error(
            f"{where}: its columns fit both the {names} tables; keep one table per file, with "
            "DfE's column names."
        )
    return winners[0]


@dataclass
class _Part:
    """One table-shaped part of the folder: a CSV file, a sheet, or a table of an XML file."""

    path: Path
    label: str
    table: str | None
    sheet: str | None = None
    frame: pd.DataFrame | None = None  # set for XML (read whole) or once loaded
    rows: int | None = None

    def load(self) -> pd.DataFrame:
        if self.frame is None:
            if self.path.suffix.lower() in WORKBOOK_SUFFIXES:
                self.frame = _read_workbook(self.path)[self.sheet]
            else:
                self.frame = _read_text(self.path)
        return self.frame


def _survey(folder: Path) -> tuple[list[_Part], list[tuple[str, str]]]:
    """Every table-shaped part of the folder, classified; and (where, what) for the rest."""
    parts: list[_Part] = []
    notes: list[tuple[str, str]] = [
        (f"{p.name}/", "a folder: only files directly in the extract's folder are read")
        for p in sorted(folder.iterdir())
        if _is_visible_folder(p)
    ]
    for path in sorted(p for p in folder.iterdir() if _is_data_file(p)):
        suffix = path.suffix.lower()
        try:
            if suffix in TEXT_SUFFIXES:
                columns = list(_read_text(path, nrows=0).columns)
                parts.append(_Part(path, path.name, classify(columns, path.name)))
            elif suffix in WORKBOOK_SUFFIXES:
                sheets = _read_workbook(path, nrows=0)
                for sheet, df in sheets.items():
                    label = path.name if len(sheets) == 1 else f"{path.name} (sheet {sheet})"
                    parts.append(_Part(path, label, classify(list(df.columns), label), sheet=sheet))
            elif suffix in XML_SUFFIXES:
                frames, others = _read_xml(path)
                for table, df in frames.items():
                    label = f"{path.name} ({TABLE_TITLES[table]})"
                    parts.append(_Part(path, label, table, frame=df))
                for tag, what in others.items():
                    notes.append((f"{path.name} <{tag}>", what))
            else:
                notes.append((path.name, "not a CSV, workbook or XML file"))
        except _EmptyFile:
            notes.append((path.name, "empty file"))
        except _NotTheReturn:
            notes.append((path.name, "XML, but not DfE's SSDA903 layout (root EXPSSDA903)"))
        except SSDA903Error as exc:
            notes.append((path.name, str(exc).split(": ", 1)[-1]))
    return parts, notes


def find_tables(folder: str | Path, year: int | None = None) -> dict[str, Path]:
    """Find the Header, Episodes and (optional) UASC tables in a folder, by their columns.

    Parameters
    ----------
    folder : str or Path
        Folder holding the extract (searched without recursion).
    year : int, optional
        Collection year; when several files of one table are present, the one whose name holds
        the year is used.

    Returns
    -------
    dict
        Table name to file path; only the tables found.

    Raises
    ------
    SSDA903Error
        If a table appears in several files and the year does not settle which to use.
    """
    chosen, _ = _choose(Path(folder), *_survey(Path(folder)), year)
    return {t: p.path for t, p in chosen.items()}


def _choose(
    folder: Path, parts: list[_Part], notes: list[tuple[str, str]], year: int | None
) -> tuple[dict[str, _Part], dict[str, str]]:
    by_table: dict[str, list[_Part]] = {}
    unused: dict[str, str] = {}
    for part in parts:
        if part.table is None:
            unused[part.label] = "not an SSDA903 table"
        elif part.table not in TABLES:
            unused[part.label] = TABLE_TITLES[part.table]
        else:
            by_table.setdefault(part.table, []).append(part)
    unused.update(notes)
    chosen: dict[str, _Part] = {}
    for table, found in by_table.items():
        if len(found) > 1 and year is not None:
            found = [p for p in found if str(year) in p.path.name] or found
        if len(found) > 1:
            names = ", ".join(p.label for p in found)
            raise SSDA903Error(
                f"{folder}: several {TABLE_TITLES[table]} tables ({names}); keep one per table, "
                "or put the collection year in the file names."
            )
        chosen[table] = found[0]
    return chosen, unused


def has_extract(folder: str | Path | None) -> bool:
    """Whether ``folder`` holds at least a Header and an Episodes table."""
    if not folder or not Path(folder).is_dir():
        return False
    try:
        tables = find_tables(folder)
    except SSDA903Error:
        return True  # something is there: let load_extract explain the problem
    return {"header", "episodes"} <= set(tables)

