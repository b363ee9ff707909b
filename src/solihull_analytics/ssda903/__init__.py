"""Read and check an LA's own SSDA903 (children looked after) return.

The return is read from a folder holding its tables in any of the forms LAs export them:

- **CSV** (any file name, any case of ``.csv``), UTF-8 with or without a byte-order mark,
  UTF-16 (Excel's "Unicode text", comma- or tab-separated) or Windows-1252, CRLF or LF;
- **Excel workbooks** (``.xlsx``, ``.xlsm``, ``.xls``, ``.ods``), one table per sheet;
- **XML** in DfE's published layout for the return (``EXPSSDA903`` / ``CHILD`` / ``HEADER`` and
  ``EPISODE`` elements, ``CHILDID`` for ``CHILD`` and ``PL`` for ``PLACE``).

Each table is recognised by its columns, as DfE's validator (``csc-validator-be-903``) does, not
by its file name: DfE's SWEpisodes table (``sw_episodes.csv``) is not taken for Episodes. The
return's tables and their DfE column names are listed in :data:`RETURN_TABLES`; page 04 uses

- **Header**: ``CHILD, SEX, DOB, ETHNIC, UPN, MOTHER, MC_DOB``
- **Episodes**: ``CHILD, DECOM, RNE, LS, CIN, PLACE, PLACE_PROVIDER, DEC, REC,
  REASON_PLACE_CHANGE, HOME_POST, PL_POST, URN``
- **UASC** (optional): ``CHILD, SEX, DOB, DUC``

and lists the others as not used (:meth:`SSDA903Extract.not_used`).

Dates: the format of each date column is detected: DfE's ``dd/mm/yyyy`` or ISO ``yyyy-mm-dd``
(a time of day after either is ignored, as Excel writes it). Month-first (US) dates, a column
mixing formats, and day/month order that no date in the extract settles are refused with a
message naming the file and column.

:func:`load_extract` runs our own checks and **excludes** rows that fail them, counting them by
problem, instead of stopping: unparseable or missing dates, episodes that end before they start,
episodes whose CHILD is not in the Header, duplicate Header rows. A missing, empty or unreadable
Header or Episodes table, a missing column the analysis needs, a refused date format, or a table
whose every row fails the checks raise :class:`SSDA903Error` with a one-line message. Messages
name the file and the row (row 1 of a CSV or sheet is the column names; XML records are counted
from 1) but never quote a value, so they can be logged without copying identifiers, postcodes or
dates of birth.

Which extract is used (:func:`requested_folder`): the folder given (``--private-dir``), else
``SOLIHULL_PRIVATE_DIR``, else ``data/private/`` when it holds any file. Relative paths are
resolved against the working directory of the process that calls it (the user's), never the
notebook kernel's. A synthetic extract is used only when none of the three asks for one.

DfE's full validation rules live in the ``csc-validator-be-903`` package, which must run in its
own environment (it pins pandas below 2); see the README.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

DATE_FORMAT = "%d/%m/%Y"

#: Every table of the SSDA903 return with DfE's column names, in the order DfE's validator
#: (``csc-validator-be-903`` 0.1.17, ``lac_validator/config.py``) lists them.
RETURN_TABLES: dict[str, tuple[str, ...]] = {
    "header": ("CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"),
    "episodes": (
        "CHILD",
        "DECOM",
        "RNE",
        "LS",
        "CIN",
        "PLACE",
        "PLACE_PROVIDER",
        "DEC",
        "REC",
        "REASON_PLACE_CHANGE",
        "HOME_POST",
        "PL_POST",
        "URN",
    ),
    "reviews": ("CHILD", "DOB", "REVIEW", "REVIEW_CODE"),
    "uasc": ("CHILD", "SEX", "DOB", "DUC"),
    "oc2": (
        "CHILD",
        "DOB",
        "SDQ_SCORE",
        "SDQ_REASON",
        "CONVICTED",
        "HEALTH_CHECK",
        "IMMUNISATIONS",
        "TEETH_CHECK",
        "HEALTH_ASSESSMENT",
        "SUBSTANCE_MISUSE",
        "INTERVENTION_RECEIVED",
        "INTERVENTION_OFFERED",
    ),
    "oc3": ("CHILD", "DOB", "IN_TOUCH", "ACTIV", "ACCOM"),
    "ad1": (
        "CHILD",
        "DOB",
        "DATE_INT",
        "DATE_MATCH",
        "FOSTER_CARE",
        "NB_ADOPTR",
        "SEX_ADOPTR",
        "LS_ADOPTR",
    ),
    "placed_for_adoption": (
        "CHILD",
        "DOB",
        "DATE_PLACED",
        "DATE_PLACED_CEASED",
        "REASON_PLACED_CEASED",
    ),
    "previous_permanence": ("CHILD", "DOB", "PREV_PERM", "LA_PERM", "DATE_PERM"),
    "missing": ("CHILD", "DOB", "MISSING", "MIS_START", "MIS_END"),
    "sw_episodes": ("CHILD", "DOB", "SW_ID", "SW_DECOM", "SW_DEC", "SW_REASON"),
    "dolo": ("CHILD", "DOB", "DOLO_START", "DOLO_END"),
}
#: Names of the tables as DfE's guidance calls them.
TABLE_TITLES: dict[str, str] = {
    "header": "Header",
    "episodes": "Episodes",
    "reviews": "Reviews",
    "uasc": "UASC",
    "oc2": "OC2",
    "oc3": "OC3",
    "ad1": "AD1",
    "placed_for_adoption": "Placed for adoption",
    "previous_permanence": "Previous permanence",
    "missing": "Missing",
    "sw_episodes": "SW episodes",
    "dolo": "DoLO",
}
#: The tables page 04 reads.
TABLES = ("header", "episodes", "uasc")
#: DfE column names of the tables page 04 reads.
COLUMNS: dict[str, tuple[str, ...]] = {t: RETURN_TABLES[t] for t in TABLES}
#: Columns without which the deprivation gradient cannot be computed.
REQUIRED: dict[str, tuple[str, ...]] = {
    "header": ("CHILD", "DOB"),
    "episodes": ("CHILD", "DECOM", "DEC", "LS", "HOME_POST"),
    "uasc": ("CHILD",),
}
#: Date columns: (column, may be blank).
DATE_COLUMNS: dict[str, tuple[tuple[str, bool], ...]] = {
    "header": (("DOB", False), ("MC_DOB", True)),
    "episodes": (("DECOM", False), ("DEC", True)),
    "uasc": (("DOB", True), ("DUC", True)),
}
TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
XML_SUFFIXES = (".xml",)
#: Share of a date column's values allowed in another format (or day/month order) before the
#: column is refused as mixed; the few rows in the minority are excluded and counted.
MIXED_DATE_TOLERANCE = 0.05

#: Columns that only one table of the return has: a file holding one of them is that table.
_DISTINCTIVE: dict[str, frozenset[str]] = {
    t: frozenset(cols) - frozenset(c for u, other in RETURN_TABLES.items() if u != t for c in other)
    for t, cols in RETURN_TABLES.items()
}
#: DfE's XML element names that differ from the CSV column names.
_XML_RENAME = {"CHILDID": "CHILD", "PL": "PLACE"}
#: Child elements of an XML HEADER that hold a table of their own.
_XML_SUBTABLES = {
    "AREVIEW": "reviews",
    "AMISSING": "missing",
    "OC2": "oc2",
    "PERMANENCE": "previous_permanence",
    "AD_PLACED": "placed_for_adoption",
}


class SSDA903Error(ValueError):
    """The extract cannot be used at all; the message says what is wrong and what to do."""


@dataclass
class SSDA903Extract:
    """A checked SSDA903 extract.

    Attributes
    ----------
    header, episodes : pandas.DataFrame
        Rows that passed the checks, dates parsed (``DOB``, ``DECOM``, ``DEC`` ...), ``CHILD`` as
        text. Child-level: never display these.
    uasc : pandas.DataFrame or None
        The UASC table when supplied.
    files : dict
        Table name to the file it was read from.
    issues : pandas.DataFrame
        One row per problem found: ``table``, ``file``, ``row`` (1 = column names in a CSV or
        sheet; the record number in XML), ``column``, ``problem``, ``excluded``. Holds no values
        from the data.
    rows_read : dict
        Table name to the number of data rows in its file.
    unused : dict
        Where each part of the folder page 04 does not read came from (file, sheet or XML
        element) to what it is, e.g. ``{"sw_episodes.csv": "SW episodes"}``.
    date_formats : dict
        ``"table.COLUMN"`` to the date format detected (``"dd/mm/yyyy"`` or ``"yyyy-mm-dd"``;
        ``"(blank)"`` when the column has no date).
    """

    header: pd.DataFrame
    episodes: pd.DataFrame
    uasc: pd.DataFrame | None
    files: dict[str, Path]
    issues: pd.DataFrame
    rows_read: dict[str, int] = field(default_factory=dict)
    unused: dict[str, str] = field(default_factory=dict)
    date_formats: dict[str, str] = field(default_factory=dict)

    @property
    def uasc_supplied(self) -> bool:
        """Whether a UASC table was supplied."""
        return self.uasc is not None

    def messages(self) -> list[str]:
        """Every problem as a sentence naming the file and row (no data values)."""
        out = []
        for r in self.issues.itertuples(index=False):
            unit = "record" if ".xml " in r.file else "row"
            where = r.file if pd.isna(r.row) else f"{r.file}, {unit} {r.row}"
            action = " (row excluded)" if r.excluded else ""
            out.append(f"{where}: {r.problem}{action}")
        return out

    def not_used(self) -> list[str]:
        """The parts of the folder page 04 does not read, e.g. ``"reviews.csv (Reviews)"``."""
        return [f"{where} ({what})" for where, what in self.unused.items()]

    def describe(self) -> str:
        """One line: which file each table was read from, and what was not used."""
        used = ", ".join(f"{TABLE_TITLES[t]} from {p.name}" for t, p in self.files.items())
        unused = self.not_used()
        return f"read {used}" + (f"; not used by page 04: {', '.join(unused)}" if unused else "")

    def summary(self) -> pd.DataFrame:
        """Aggregate counts for publishing: rows read, rows excluded by problem, rows kept.

        Returns
        -------
        pandas.DataFrame
            Columns ``table``, ``check``, ``rows``. Safe to display: counts only.
        """
        rows = []
        kept = {
            "header": len(self.header),
            "episodes": len(self.episodes),
            "uasc": len(self.uasc) if self.uasc is not None else 0,
        }
        for table in TABLES:
            if table not in self.files:
                continue
            rows.append({"table": table, "check": "rows read", "rows": self.rows_read[table]})
            sub = self.issues[self.issues["table"] == table]
            excluded = sub[sub["excluded"]].drop_duplicates("row")
            for problem, n in (
                sub[sub["excluded"]].groupby("check").size().sort_values(ascending=False).items()
            ):
                rows.append({"table": table, "check": f"excluded: {problem}", "rows": int(n)})
            for problem, n in sub[~sub["excluded"]].groupby("check").size().items():
                rows.append({"table": table, "check": f"warning: {problem}", "rows": int(n)})
            rows.append(
                {"table": table, "check": "rows excluded (any reason)", "rows": len(excluded)}
            )
            rows.append({"table": table, "check": "rows kept", "rows": kept[table]})
        return pd.DataFrame(rows, columns=["table", "check", "rows"])

    @property
    def rows_excluded(self) -> int:
        """Number of rows excluded across all tables."""
        ex = self.issues[self.issues["excluded"]]
        return int(ex.drop_duplicates(["table", "row"]).shape[0])


# -- which folder -------------------------------------------------------------------------------
def _is_data_file(path: Path) -> bool:
    name = path.name
    return (
        path.is_file()
        and not name.startswith((".", "~$"))
        and not name.lower().startswith("readme")
    )


def _is_visible_folder(path: Path) -> bool:
    return path.is_dir() and not path.name.startswith(".")


def requested_folder(folder: str | Path | None = None) -> Path | None:
    """The folder of the extract the user asked for, or None when none was asked for.

    Parameters
    ----------
    folder : str or Path, optional
        The folder given explicitly (``--private-dir``); empty or None when not given.

    Returns
    -------
    Path or None
        ``folder``, else ``SOLIHULL_PRIVATE_DIR``, else ``<data>/private`` when it holds a file
        or folder (README files and hidden files aside), as an absolute path resolved against
        the current working directory. Whether it exists is not checked here:
        :func:`load_extract` says so. None means "no extract asked for": only then may a
        synthetic extract stand in.
    """
    from solihull_analytics import paths

    for given in (folder, os.environ.get("SOLIHULL_PRIVATE_DIR")):
        if given is not None and str(given).strip():
            return Path(str(given).strip()).expanduser().resolve()
    default = paths.data_dir() / "private"
    if default.is_dir() and any(
        _is_data_file(p) or _is_visible_folder(p) for p in default.iterdir()
    ):
        return default
    return None


def fingerprint(folder: Path | None) -> str:
    """A hash of the extract in ``folder``: its path and every file's name and content.

    Used in the render cache key, so a changed extract re-renders page 04.
    """
    if folder is None:
        return "synthetic"
    h = hashlib.sha256(str(folder).encode())
    if not folder.is_dir():
        return h.hexdigest() + "-missing"
    for p in sorted(folder.iterdir()):
        if p.is_file():
            h.update(p.name.encode())
            h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


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


# -- checks -------------------------------------------------------------------------------------
def _issue(
    table: str,
    file: str,
    row: int | None,
    column: str,
    check: str,
    excluded: bool,
    fmt: str = "dd/mm/yyyy",
):
    problem = {
        "unparseable date": f"{column} is not a valid {fmt} date",
        "missing date": f"{column} is blank",
        "missing CHILD": "CHILD is blank",
        "ends before it starts": "DEC (episode end) is before DECOM (episode start)",
        "CHILD not in Header": "CHILD does not appear in the Header table",
        "Header row excluded": "the child's Header row was excluded",
        "duplicate Header row": "CHILD appears more than once in the Header table",
        "missing column": f"column {column} is missing",
    }[check]
    return {
        "table": table,
        "file": file,
        "row": row,
        "column": column,
        "check": check,
        "problem": problem,
        "excluded": excluded,
    }


def _prepare_table(part: _Part, table: str) -> tuple[pd.DataFrame, list[dict]]:
    df = part.load().copy()
    df.columns = [str(c).strip().lstrip("\ufeff").upper() for c in df.columns]
    missing_required = [c for c in REQUIRED[table] if c not in df.columns]
    if missing_required:
        raise SSDA903Error(
            f"{part.label} ({TABLE_TITLES[table]} table): missing column(s) "
            f"{', '.join(missing_required)}; DfE's {TABLE_TITLES[table]} columns are "
            f"{', '.join(COLUMNS[table])}."
        )
    issues = [
        _issue(table, part.label, None, c, "missing column", False)
        for c in COLUMNS[table]
        if c not in df.columns
    ]
    for c in COLUMNS[table]:
        if c not in df.columns:
            df[c] = ""
    for c in df.columns:
        df[c] = df[c].astype(str).str.strip()
    first = 1 if part.path.suffix.lower() in XML_SUFFIXES else 2
    df["_row"] = range(first, len(df) + first)
    # Rows with every cell blank (Excel leaves them at the end of a CSV) are not data rows.
    df = df.loc[(df.drop(columns="_row") != "").any(axis=1)].reset_index(drop=True)
    if len(df) == 0 and table != "uasc":
        raise SSDA903Error(
            f"{part.label} ({TABLE_TITLES[table]} table) has column names but no rows; export "
            "the table again."
        )
    return df, issues


_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_SLASH = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")
ISO_FORMAT, DFE_FORMAT, BLANK = "yyyy-mm-dd", "dd/mm/yyyy", "(blank)"


@dataclass
class _DateColumn:
    table: str
    label: str
    column: str
    iso: pd.DataFrame
    slash: pd.DataFrame
    values: int

    @property
    def day_first(self) -> int:
        s = self.slash
        return int(((s[0] > 12) & (s[1] <= 12)).sum())

    @property
    def month_first(self) -> int:
        s = self.slash
        return int(((s[1] > 12) & (s[0] <= 12)).sum())


def _date_column(df: pd.DataFrame, table: str, label: str, column: str) -> _DateColumn:
    raw = df[column]
    iso = raw.str.extract(_ISO).dropna().astype(int)
    slash = raw.str.extract(_SLASH).dropna().astype(int)
    return _DateColumn(table, label, column, iso, slash, int((raw != "").sum()))


def _tolerated(values: int) -> float:
    """How many values in a minority format a column may hold (excluded, not refused)."""
    return max(1.0, MIXED_DATE_TOLERANCE * values)


def _date_formats(columns: list[_DateColumn]) -> dict[tuple[str, str], str]:
    """Decide each date column's format, or refuse the extract with a one-line message."""
    evidence_day = sum(c.day_first for c in columns)
    evidence_month = sum(c.month_first for c in columns)
    out: dict[tuple[str, str], str] = {}
    for c in columns:
        where = f"{c.label}, column {c.column}"
        n_iso, n_slash = len(c.iso), len(c.slash)
        if c.values == 0:
            out[(c.table, c.column)] = BLANK
            continue
        unread = c.values - n_iso - n_slash
        if unread > _tolerated(c.values) and n_iso + n_slash <= c.values / 2:
            raise SSDA903Error(
                f"{where}: most dates are in a format we do not read; write them as dd/mm/yyyy "
                "(DfE's format) or yyyy-mm-dd."
            )
        if min(n_iso, n_slash) > _tolerated(c.values):
            raise SSDA903Error(
                f"{where}: the column mixes dd/mm/yyyy and yyyy-mm-dd dates; use one format."
            )
        if n_iso > n_slash:
            out[(c.table, c.column)] = ISO_FORMAT
            continue
        day, month = c.day_first, c.month_first
        if min(day, month) > _tolerated(day + month):
            raise SSDA903Error(
                f"{where}: some dates are day first (dd/mm/yyyy) and others month first "
                "(mm/dd/yyyy); correct the column or export it as yyyy-mm-dd."
            )
        if month > day:
            raise SSDA903Error(
                f"{where}: dates are written month first (mm/dd/yyyy, US style); DfE's format is "
                "dd/mm/yyyy. Export them as dd/mm/yyyy or yyyy-mm-dd."
            )
        if day == 0 and month == 0 and not (evidence_day > 0 and evidence_month == 0):
            raise SSDA903Error(
                f"{where}: no date in the extract has a day above 12, so dd/mm/yyyy cannot be "
                "told from mm/dd/yyyy; export the dates as yyyy-mm-dd."
            )
        out[(c.table, c.column)] = DFE_FORMAT
    return out


def _parse_dates(
    df: pd.DataFrame,
    table: str,
    file: str,
    issues: list[dict],
    formats: dict[tuple[str, str], str],
) -> pd.Series:
    bad = pd.Series(False, index=df.index)
    for column, may_be_blank in DATE_COLUMNS[table]:
        raw = df[column]
        fmt = formats[(table, column)]
        if fmt == ISO_FORMAT:
            parts = raw.str.extract(_ISO).rename(columns={0: "year", 1: "month", 2: "day"})
        else:
            parts = raw.str.extract(_SLASH).rename(columns={0: "day", 1: "month", 2: "year"})
        parts = parts.apply(pd.to_numeric, errors="coerce")
        parsed = pd.to_datetime(parts[["year", "month", "day"]], errors="coerce")
        blank = raw == ""
        unparseable = ~blank & parsed.isna()
        if not may_be_blank:
            for row in df.loc[blank, "_row"]:
                issues.append(_issue(table, file, int(row), column, "missing date", True))
            bad |= blank
        for row in df.loc[unparseable, "_row"]:
            issues.append(_issue(table, file, int(row), column, "unparseable date", True, fmt))
        bad |= unparseable
        df[column] = parsed
    return bad


def _all_excluded(table: str, label: str, issues: list[dict]) -> SSDA903Error:
    problems = Counter(i["problem"] for i in issues if i["table"] == table and i["excluded"])
    common = "; ".join(f"{p} ({n} row{'s' if n != 1 else ''})" for p, n in problems.most_common(2))
    return SSDA903Error(
        f"{label}: every row failed the checks ({common}); correct the table and run again."
    )


def load_extract(folder: str | Path, year: int | None = None) -> SSDA903Extract:
    """Read an SSDA903 extract from a folder, check it and drop the rows that fail.

    Parameters
    ----------
    folder : str or Path
        Folder with the return's tables as CSV, workbook or XML files (e.g. ``data/private/``).
    year : int, optional
        Collection year, used only to choose between several files of one table.

    Returns
    -------
    SSDA903Extract
        The rows that passed, and the problems found (see :meth:`SSDA903Extract.summary`).

    Raises
    ------
    SSDA903Error
        If the folder does not exist, the Header or Episodes table is missing, empty or
        unreadable, a column the analysis needs is missing, a date column's format is refused,
        or every row of the Header or Episodes table fails the checks.
    """
    folder = Path(folder)
    if not folder.is_dir():
        what = "is a file, not a folder" if folder.exists() else "no such folder"
        raise SSDA903Error(
            f"{folder}: {what} for the SSDA903 extract; check --private-dir or "
            "SOLIHULL_PRIVATE_DIR (relative paths start from the folder you run the command in)."
        )
    parts, notes = _survey(folder)
    chosen, unused = _choose(folder, parts, notes, year)
    missing = [t for t in ("header", "episodes") if t not in chosen]
    if missing:
        seen = {p.label: TABLE_TITLES[t] for t, p in chosen.items()} | unused
        found = "; ".join(f"{w}: {what}" for w, what in seen.items()) or "no files"
        names = " or ".join(TABLE_TITLES[t] for t in missing)
        raise SSDA903Error(
            f"{folder}: no {names} table found (found {found}). Save the return's tables as CSV, "
            "Excel or DfE's XML, with DfE's column names (e.g. Episodes: "
            f"{', '.join(COLUMNS['episodes'][:4])} ...)."
        )
    issues: list[dict] = []
    rows_read: dict[str, int] = {}
    tables: dict[str, pd.DataFrame] = {}
    for table in TABLES:
        if table in chosen:
            tables[table], table_issues = _prepare_table(chosen[table], table)
            issues.extend(table_issues)
            rows_read[table] = len(tables[table])
    labels = {t: chosen[t].label for t in tables}
    formats = _date_formats(
        [
            _date_column(df, t, labels[t], column)
            for t, df in tables.items()
            for column, _ in DATE_COLUMNS[t]
        ]
    )
    for table, df in tables.items():
        name = labels[table]
        bad = _parse_dates(df, table, name, issues, formats)
        blank_child = df["CHILD"] == ""
        for row in df.loc[blank_child, "_row"]:
            issues.append(_issue(table, name, int(row), "CHILD", "missing CHILD", True))
        bad |= blank_child
        if table == "episodes":
            ends_early = df["DEC"].notna() & df["DECOM"].notna() & (df["DEC"] < df["DECOM"])
            for row in df.loc[ends_early, "_row"]:
                issues.append(_issue(table, name, int(row), "DEC", "ends before it starts", True))
            bad |= ends_early
        if table == "header":
            dup = df["CHILD"].duplicated(keep=False) & ~blank_child
            for row in df.loc[dup, "_row"]:
                issues.append(_issue(table, name, int(row), "CHILD", "duplicate Header row", True))
            bad |= dup
        tables[table] = df.assign(_bad=bad)

    header = tables["header"]
    good_children = set(header.loc[~header["_bad"], "CHILD"])
    excluded_children = set(header.loc[header["_bad"], "CHILD"]) - good_children
    for table in ("episodes", "uasc"):
        if table not in tables:
            continue
        df = tables[table]
        name = labels[table]
        ok_so_far = ~df["_bad"]
        not_in_header = ok_so_far & ~df["CHILD"].isin(good_children | excluded_children)
        header_excluded = ok_so_far & df["CHILD"].isin(excluded_children)
        for row in df.loc[not_in_header, "_row"]:
            issues.append(_issue(table, name, int(row), "CHILD", "CHILD not in Header", True))
        for row in df.loc[header_excluded, "_row"]:
            issues.append(_issue(table, name, int(row), "CHILD", "Header row excluded", True))
        tables[table] = df.assign(_bad=df["_bad"] | not_in_header | header_excluded)

    clean = {
        t: df.loc[~df["_bad"]].drop(columns=["_bad", "_row"]).reset_index(drop=True)
        for t, df in tables.items()
    }
    for table in ("header", "episodes"):
        if clean[table].empty:
            raise _all_excluded(table, labels[table], issues)
    issue_frame = pd.DataFrame(
        issues, columns=["table", "file", "row", "column", "check", "problem", "excluded"]
    )
    issue_frame["row"] = issue_frame["row"].astype("Int64")
    issue_frame["excluded"] = issue_frame["excluded"].astype(bool)
    return SSDA903Extract(
        header=clean["header"],
        episodes=clean["episodes"],
        uasc=clean.get("uasc"),
        files={t: chosen[t].path for t in tables},
        issues=issue_frame,
        rows_read=rows_read,
        unused=unused,
        date_formats={f"{t}.{c}": f for (t, c), f in formats.items()},
    )
