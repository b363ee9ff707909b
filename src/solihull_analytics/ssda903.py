"""Read and check an LA's own SSDA903 (children looked after) return, saved as CSV files.

The tables use DfE's column names:

- **Header**: ``CHILD, SEX, DOB, ETHNIC, UPN, MOTHER, MC_DOB``
- **Episodes**: ``CHILD, DECOM, RNE, LS, CIN, PLACE, PLACE_PROVIDER, DEC, REC,
  REASON_PLACE_CHANGE, HOME_POST, PL_POST, URN``
- **UASC** (optional): ``CHILD, SEX, DOB, DUC``

Dates are ``dd/mm/YYYY``. A table is recognised by its file name (containing ``header``,
``episodes`` or ``uasc``, case-insensitive) or, failing that, by its columns.

:func:`load_extract` runs our own checks and **excludes** rows that fail them, counting them by
problem, instead of stopping: unparseable or missing dates, episodes that end before they start,
episodes whose CHILD is not in the Header, duplicate Header rows. Missing tables or missing
columns the analysis needs raise :class:`SSDA903Error`. Messages name the file and the CSV row
(row 1 is the column names) but never quote a value, so they can be logged without copying
identifiers, postcodes or dates of birth.

DfE's full validation rules live in the ``csc-validator-be-903`` package, which must run in its
own environment (it pins pandas below 2); see the README.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

DATE_FORMAT = "%d/%m/%Y"

#: DfE column names of each table.
COLUMNS: dict[str, tuple[str, ...]] = {
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
    "uasc": ("CHILD", "SEX", "DOB", "DUC"),
}
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
TABLES = ("header", "episodes", "uasc")


class SSDA903Error(ValueError):
    """The extract cannot be used at all (a table or a needed column is missing)."""


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
        One row per problem found: ``table``, ``file``, ``row`` (CSV line, 1 = column names),
        ``column``, ``problem``, ``excluded``. Holds no values from the data.
    rows_read : dict
        Table name to the number of data rows in its file.
    """

    header: pd.DataFrame
    episodes: pd.DataFrame
    uasc: pd.DataFrame | None
    files: dict[str, Path]
    issues: pd.DataFrame
    rows_read: dict[str, int] = field(default_factory=dict)

    @property
    def uasc_supplied(self) -> bool:
        """Whether a UASC table was supplied."""
        return self.uasc is not None

    def messages(self) -> list[str]:
        """Every problem as a sentence naming the file and row (no data values)."""
        out = []
        for r in self.issues.itertuples(index=False):
            where = r.file if pd.isna(r.row) else f"{r.file}, row {r.row}"
            action = " (row excluded)" if r.excluded else ""
            out.append(f"{where}: {r.problem}{action}")
        return out

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


def _classify(path: Path, columns: list[str]) -> str | None:
    name = path.stem.lower()
    for table in ("episodes", "header", "uasc"):
        if table in name or (table == "episodes" and "episode" in name):
            return table
    cols = set(columns)
    if {"DECOM", "LS"} <= cols:
        return "episodes"
    if {"DUC"} <= cols:
        return "uasc"
    if {"DOB", "SEX"} <= cols and "ETHNIC" in cols:
        return "header"
    return None


def find_tables(folder: str | Path, year: int | None = None) -> dict[str, Path]:
    """Find the Header, Episodes and (optional) UASC CSV files in a folder.

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
    folder = Path(folder)
    found: dict[str, list[Path]] = {}
    for path in sorted(folder.glob("*.csv")) + sorted(folder.glob("*.CSV")):
        try:
            columns = [c.strip().upper() for c in pd.read_csv(path, nrows=0, dtype=str).columns]
        except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError):
            continue
        table = _classify(path, columns)
        if table:
            found.setdefault(table, []).append(path)
    out: dict[str, Path] = {}
    for table, files in found.items():
        if len(files) > 1 and year is not None:
            with_year = [f for f in files if str(year) in f.name]
            files = with_year or files
        if len(files) > 1:
            names = ", ".join(f.name for f in files)
            raise SSDA903Error(
                f"{folder}: several {table} files ({names}); keep one per table, or put the "
                "collection year in the file names."
            )
        out[table] = files[0]
    return out


def has_extract(folder: str | Path | None) -> bool:
    """Whether ``folder`` holds at least a Header and an Episodes file."""
    if not folder or not Path(folder).is_dir():
        return False
    try:
        tables = find_tables(folder)
    except SSDA903Error:
        return True  # something is there: let load_extract explain the problem
    return {"header", "episodes"} <= set(tables)


def _issue(table: str, file: str, row: int | None, column: str, check: str, excluded: bool):
    problem = {
        "unparseable date": f"{column} is not a valid dd/mm/YYYY date",
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


def _read_table(path: Path, table: str) -> tuple[pd.DataFrame, list[dict]]:
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df.columns = [c.strip().upper() for c in df.columns]
    missing_required = [c for c in REQUIRED[table] if c not in df.columns]
    if missing_required:
        raise SSDA903Error(
            f"{path.name} ({table} table): missing column(s) {', '.join(missing_required)}; "
            f"DfE's {table} columns are {', '.join(COLUMNS[table])}."
        )
    issues = [
        _issue(table, path.name, None, c, "missing column", False)
        for c in COLUMNS[table]
        if c not in df.columns
    ]
    for c in COLUMNS[table]:
        if c not in df.columns:
            df[c] = ""
    for c in df.columns:
        df[c] = df[c].str.strip()
    df["_row"] = range(2, len(df) + 2)
    return df, issues


def _parse_dates(df: pd.DataFrame, table: str, file: str, issues: list[dict]) -> pd.Series:
    bad = pd.Series(False, index=df.index)
    for column, may_be_blank in DATE_COLUMNS[table]:
        raw = df[column]
        parsed = pd.to_datetime(raw, format=DATE_FORMAT, errors="coerce")
        blank = raw == ""
        unparseable = ~blank & parsed.isna()
        if not may_be_blank:
            for row in df.loc[blank, "_row"]:
                issues.append(_issue(table, file, int(row), column, "missing date", True))
            bad |= blank
        for row in df.loc[unparseable, "_row"]:
            issues.append(_issue(table, file, int(row), column, "unparseable date", True))
        bad |= unparseable
        df[column] = parsed
    return bad


def load_extract(folder: str | Path, year: int | None = None) -> SSDA903Extract:
    """Read an SSDA903 extract from CSV files, check it and drop the rows that fail.

    Parameters
    ----------
    folder : str or Path
        Folder with the CSV files (e.g. ``data/private/``).
    year : int, optional
        Collection year, used only to choose between several files of one table.

    Returns
    -------
    SSDA903Extract
        The rows that passed, and the problems found (see :meth:`SSDA903Extract.summary`).

    Raises
    ------
    SSDA903Error
        If the folder does not exist, the Header or Episodes table is missing, or a column the
        analysis needs is missing.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise SSDA903Error(f"{folder}: no such folder for the SSDA903 extract.")
    files = find_tables(folder, year)
    missing = [t for t in ("header", "episodes") if t not in files]
    if missing:
        raise SSDA903Error(
            f"{folder}: no {' or '.join(missing)} table found. Save the SSDA903 tables as CSV "
            "with 'header', 'episodes' (and 'uasc') in the file names, using DfE's column names."
        )
    issues: list[dict] = []
    rows_read: dict[str, int] = {}
    tables: dict[str, pd.DataFrame] = {}
    for table, path in files.items():
        df, table_issues = _read_table(path, table)
        issues.extend(table_issues)
        rows_read[table] = len(df)
        bad = _parse_dates(df, table, path.name, issues)
        blank_child = df["CHILD"] == ""
        for row in df.loc[blank_child, "_row"]:
            issues.append(_issue(table, path.name, int(row), "CHILD", "missing CHILD", True))
        bad |= blank_child
        if table == "episodes":
            ends_early = df["DEC"].notna() & df["DECOM"].notna() & (df["DEC"] < df["DECOM"])
            for row in df.loc[ends_early, "_row"]:
                issues.append(
                    _issue(table, path.name, int(row), "DEC", "ends before it starts", True)
                )
            bad |= ends_early
        if table == "header":
            dup = df["CHILD"].duplicated(keep=False) & ~blank_child
            for row in df.loc[dup, "_row"]:
                issues.append(
                    _issue(table, path.name, int(row), "CHILD", "duplicate Header row", True)
                )
            bad |= dup
        tables[table] = df.assign(_bad=bad)

    header = tables["header"]
    good_children = set(header.loc[~header["_bad"], "CHILD"])
    excluded_children = set(header.loc[header["_bad"], "CHILD"]) - good_children
    for table in ("episodes", "uasc"):
        if table not in tables:
            continue
        df = tables[table]
        name = files[table].name
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
    issue_frame = pd.DataFrame(
        issues, columns=["table", "file", "row", "column", "check", "problem", "excluded"]
    )
    issue_frame["row"] = issue_frame["row"].astype("Int64")
    issue_frame["excluded"] = issue_frame["excluded"].astype(bool)
    return SSDA903Extract(
        header=clean["header"],
        episodes=clean["episodes"],
        uasc=clean.get("uasc"),
        files=files,
        issues=issue_frame,
        rows_read=rows_read,
    )
