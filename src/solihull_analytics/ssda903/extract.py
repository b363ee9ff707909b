"""The SSDA903 return's tables and DfE column names, and the checked extract.

:data:`RETURN_TABLES` lists every table of the return with DfE's column names; page 04 reads the
Header, Episodes and (optional) UASC tables (:data:`TABLES`). :class:`SSDA903Extract` holds the
rows of those tables that passed the checks of :func:`solihull_analytics.ssda903.load_extract`,
and counts of what was read and excluded.
"""

from __future__ import annotations

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

