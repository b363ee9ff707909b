"""Check an SSDA903 extract and keep the rows that pass: :func:`load_extract`.

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

DfE's full validation rules live in the ``csc-validator-be-903`` package, which must run in its
own environment (it pins pandas below 2); see the README.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from solihull_analytics.ssda903.extract import (
    COLUMNS,
    DATE_COLUMNS,
    MIXED_DATE_TOLERANCE,
    REQUIRED,
    TABLE_TITLES,
    TABLES,
    XML_SUFFIXES,
    SSDA903Extract,
)
from solihull_analytics.ssda903.folder import SSDA903Error
from solihull_analytics.ssda903.read import _choose, _Part, _survey


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


def _row_problems(df: pd.DataFrame, table: str, name: str, issues: list[dict]) -> pd.Series:
    """Rows with no CHILD, episodes ending before they start, duplicate Header rows."""
    blank_child = df["CHILD"] == ""
    for row in df.loc[blank_child, "_row"]:
        issues.append(_issue(table, name, int(row), "CHILD", "missing CHILD", True))
    bad = blank_child.copy()
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
    return bad


def _check_children_in_header(
    tables: dict[str, pd.DataFrame], labels: dict[str, str], issues: list[dict]
) -> None:
    """Mark Episodes and UASC rows whose child is missing from the Header, or excluded there."""
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
    chosen, unused = _find_tables(folder, year)
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
        bad = _parse_dates(df, table, labels[table], issues, formats)
        tables[table] = df.assign(_bad=bad | _row_problems(df, table, labels[table], issues))
    _check_children_in_header(tables, labels, issues)

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


def _find_tables(folder: Path, year: int | None) -> tuple[dict[str, _Part], dict[str, str]]:
    """The extract's file chosen for each table, and the files left unused with why; an
    :class:`SSDA903Error` when the folder is missing or has no Header or Episodes table."""
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
    return chosen, unused
