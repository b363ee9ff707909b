"""Small SSDA903 returns written by the tests in DfE's layouts (CSV, Excel, XML).

The column lists and XML element names follow DfE's validator, ``csc-validator-be-903`` 0.1.17
(``lac_validator/config.py`` for the tables, its XML reader for ``EXPSSDA903`` / ``CHILD`` /
``HEADER`` / ``EPISODE``, ``CHILDID`` and ``PL``). The children are invented.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd

from solihull_analytics.ssda903 import RETURN_TABLES

#: Header rows: CHILD, SEX, DOB, ETHNIC, UPN, MOTHER, MC_DOB.
HEADER = [
    ("C101", "1", "14/03/2010", "WBRI", "A123456789012", "", ""),
    ("C102", "2", "23/11/2005", "MWBC", "B123456789012", "0", ""),
    ("C103", "1", "30/09/2002", "AOTH", "UN1", "", ""),
    ("C104", "2", "02/02/2016", "WBRI", "C123456789012", "", ""),
]
#: Episodes rows, in DfE's column order (CHILD, DECOM, RNE, LS, CIN, PLACE, PLACE_PROVIDER, DEC,
#: REC, REASON_PLACE_CHANGE, HOME_POST, PL_POST, URN).
EPISODES = [
    ("C101", "15/05/2018", "S", "C2", "N1", "U1", "PR1", "", "X1", "", "B37 7AB", "B36 8AA", ""),
    (
        "C102",
        "01/04/2017",
        "S",
        "C2",
        "N2",
        "U1",
        "PR1",
        "20/06/2018",
        "X1",
        "CARPL",
        "B90 1AA",
        "B91 2BB",
        "",
    ),
    (
        "C102",
        "20/06/2018",
        "P",
        "C2",
        "N2",
        "K2",
        "PR1",
        "",
        "",
        "",
        "B90 1AA",
        "B92 9ZZ",
        "SC123456",
    ),
    ("C103", "13/01/2019", "S", "V2", "N1", "U4", "PR1", "", "", "", "", "", ""),
    ("C104", "17/08/2018", "S", "V3", "N1", "T4", "", "19/08/2018", "E3", "", "B37 7AB", "", ""),
]
#: UASC rows: CHILD, SEX, DOB, DUC.
UASC = [("C103", "1", "30/09/2002", "30/09/2020")]
#: One row for each table page 04 does not use.
OTHER_TABLES = {
    "reviews": [("C101", "14/03/2010", "20/11/2018", "PN1")],
    "oc2": [("C102", "23/11/2005", "17", "", "0", "1", "1", "1", "1", "0", "", "")],
    "oc3": [("C102", "23/11/2005", "YES", "F1", "S1")],
    "ad1": [("C104", "02/02/2016", "15/01/2019", "30/01/2019", "0", "2", "MF", "L0")],
    "placed_for_adoption": [("C104", "02/02/2016", "30/01/2019", "", "")],
    "previous_permanence": [("C101", "14/03/2010", "Z1", "", "")],
    "missing": [("C101", "14/03/2010", "M", "16/07/2018", "17/07/2018")],
    "sw_episodes": [("C101", "14/03/2010", "SW1", "15/05/2018", "", "")],
    "dolo": [("C103", "30/09/2002", "01/02/2019", "")],
}


def frames(iso: bool = False, us: bool = False) -> dict[str, pd.DataFrame]:
    """The return's tables as text frames with DfE's column names.

    ``iso`` writes every date as yyyy-mm-dd, ``us`` as mm/dd/yyyy.
    """
    data = {"header": HEADER, "episodes": EPISODES, "uasc": UASC, **OTHER_TABLES}
    out = {}
    for table, rows in data.items():
        df = pd.DataFrame(rows, columns=list(RETURN_TABLES[table]), dtype=str)
        if iso or us:
            df = df.map(lambda v: _redate(v, iso))
        out[table] = df
    return out


def _redate(value: str, iso: bool) -> str:
    try:
        d = dt.datetime.strptime(value, "%d/%m/%Y")
    except ValueError:
        return value
    return d.strftime("%Y-%m-%d" if iso else "%m/%d/%Y")


def write_csv(
    folder: Path,
    tables: tuple[str, ...] = ("header", "episodes", "uasc"),
    *,
    names: dict[str, str] | None = None,
    encoding: str = "utf-8",
    sep: str = ",",
    line_end: str = "\n",
    iso: bool = False,
    us: bool = False,
) -> Path:
    """Write the chosen tables as CSV files named ``<table>.csv`` (or as ``names`` says)."""
    folder.mkdir(parents=True, exist_ok=True)
    data = frames(iso=iso, us=us)
    for table in tables:
        name = (names or {}).get(table, f"{table}.csv")
        text = data[table].to_csv(index=False, sep=sep, lineterminator=line_end)
        (folder / name).write_bytes(text.encode(encoding))
    return folder


def write_xlsx(folder: Path, name: str = "return.xlsx", date_cells: bool = True) -> Path:
    """Write Header, Episodes, UASC and Reviews as sheets of one workbook.

    With ``date_cells``, dates are real Excel dates and CHILD numbers are numbers where they
    can be, as an analyst's workbook holds them.
    """
    import openpyxl

    folder.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    data = frames()
    for table in ("header", "episodes", "uasc", "reviews"):
        ws = wb.create_sheet(table.capitalize())
        df = data[table]
        ws.append(list(df.columns))
        for row in df.itertuples(index=False):
            ws.append([_cell(v) if date_cells else v for v in row])
    wb.save(folder / name)
    return folder


def _cell(value: str):
    try:
        return dt.datetime.strptime(value, "%d/%m/%Y")
    except ValueError:
        return value


def write_xml(folder: Path, name: str = "return.xml") -> Path:
    """Write the return in DfE's XML layout (one CHILD element per child)."""
    folder.mkdir(parents=True, exist_ok=True)
    root = ET.Element("EXPSSDA903")
    uasc = {r[0]: r for r in UASC}
    reviews = {r[0]: r for r in OTHER_TABLES["reviews"]}
    for child, sex, dob, ethnic, upn, mother, mc_dob in HEADER:
        c = ET.SubElement(root, "CHILD")
        h = ET.SubElement(c, "HEADER")
        for tag, value in (
            ("CHILDID", child),
            ("UPN", upn),
            ("SEX", sex),
            ("DOB", dob),
            ("ETHNIC", ethnic),
            ("UASC", "1" if child in uasc else ""),
        ):
            ET.SubElement(h, tag).text = value or None
        if child in uasc:
            ET.SubElement(h, "DUC").text = uasc[child][3]
        if child in reviews:
            r = ET.SubElement(h, "AREVIEW")
            ET.SubElement(r, "REVIEW").text = reviews[child][2]
            ET.SubElement(r, "REVIEW_CODE").text = reviews[child][3]
        ET.SubElement(h, "MOTHER").text = mother or None
        ET.SubElement(h, "MC_DOB").text = mc_dob or None
        for ep in (e for e in EPISODES if e[0] == child):
            e = ET.SubElement(c, "EPISODE")
            values = dict(zip(RETURN_TABLES["episodes"], ep, strict=True))
            for col in (
                "DECOM",
                "RNE",
                "LS",
                "CIN",
                "PLACE",
                "PL_POST",
                "HOME_POST",
                "URN",
                "PLACE_PROVIDER",
                "DEC",
                "REC",
                "REASON_PLACE_CHANGE",
            ):
                ET.SubElement(e, "PL" if col == "PLACE" else col).text = values[col] or None
    ET.ElementTree(root).write(folder / name, encoding="utf-8", xml_declaration=True)
    return folder
