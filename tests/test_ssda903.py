"""Checks on SSDA903 extracts: missing tables/columns, bad dates, bad episodes, orphans."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from solihull_analytics.ssda903 import COLUMNS, SSDA903Error, has_extract, load_extract

SECRET = "QZX-SECRET-77"


def header_rows() -> list[dict]:
    rows = [
        {"CHILD": "1001", "SEX": "1", "DOB": "01/02/2010", "UPN": SECRET},
        {"CHILD": "1002", "SEX": "2", "DOB": "15/06/2005"},
        {"CHILD": "1003", "SEX": "1", "DOB": "31/12/2015"},
    ]
    return [{c: r.get(c, "") for c in COLUMNS["header"]} for r in rows]


def episode_rows() -> list[dict]:
    rows = [
        {"CHILD": "1001", "DECOM": "01/05/2018", "DEC": "", "LS": "C2", "HOME_POST": "B37 7AB"},
        {
            "CHILD": "1002",
            "DECOM": "01/05/2017",
            "DEC": "01/06/2018",
            "LS": "C2",
            "HOME_POST": "B90 1AA",
        },
        {"CHILD": "1003", "DECOM": "10/10/2018", "DEC": "", "LS": "V2", "HOME_POST": ""},
    ]
    return [{c: r.get(c, "") for c in COLUMNS["episodes"]} for r in rows]


def write(folder: Path, header: list[dict], episodes: list[dict], uasc=None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(header).to_csv(folder / "header.csv", index=False)
    pd.DataFrame(episodes).to_csv(folder / "episodes.csv", index=False)
    if uasc is not None:
        pd.DataFrame(uasc).to_csv(folder / "uasc.csv", index=False)
    return folder


def test_clean_extract_loads_with_parsed_dates(tmp_path: Path) -> None:
    folder = write(tmp_path, header_rows(), episode_rows())
    ex = load_extract(folder)
    assert has_extract(folder)
    assert len(ex.header) == 3 and len(ex.episodes) == 3
    assert ex.episodes["DECOM"].iloc[0] == pd.Timestamp(2018, 5, 1)
    assert ex.rows_excluded == 0 and not ex.uasc_supplied


def test_missing_table_is_an_error(tmp_path: Path) -> None:
    tmp_path.mkdir(exist_ok=True)
    pd.DataFrame(header_rows()).to_csv(tmp_path / "header.csv", index=False)
    assert not has_extract(tmp_path)
    with pytest.raises(SSDA903Error, match=r"no Episodes table found \(found header.csv: Header\)"):
        load_extract(tmp_path)


def test_missing_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SSDA903Error, match="no such folder"):
        load_extract(tmp_path / "nope")


def test_missing_required_column_names_file_and_column(tmp_path: Path) -> None:
    eps = [{k: v for k, v in r.items() if k != "DECOM"} for r in episode_rows()]
    folder = write(tmp_path, header_rows(), eps)
    with pytest.raises(SSDA903Error, match=r"episodes\.csv.*missing column\(s\) DECOM"):
        load_extract(folder)


def test_missing_optional_column_is_a_warning(tmp_path: Path) -> None:
    eps = [{k: v for k, v in r.items() if k != "URN"} for r in episode_rows()]
    ex = load_extract(write(tmp_path, header_rows(), eps))
    assert "episodes.csv: column URN is missing" in ex.messages()
    assert ex.rows_excluded == 0


def test_bad_rows_are_excluded_counted_and_located(tmp_path: Path) -> None:
    header = header_rows()
    header[2]["DOB"] = "2015-12-31"  # wrong format: row 4 of header.csv
    eps = episode_rows()
    eps[0]["DECOM"] = "31/02/2018"  # not a date: row 2
    eps[1]["DEC"] = "01/04/2017"  # ends before it starts: row 3
    eps.append({**eps[1], "CHILD": "9999", "DEC": ""})  # orphan: row 5
    eps.append({**eps[1], "DECOM": "02/06/2018", "DEC": ""})  # clean: row 6
    folder = write(tmp_path, header, eps)
    ex = load_extract(folder)
    messages = ex.messages()
    assert "header.csv, row 4: DOB is not a valid dd/mm/yyyy date (row excluded)" in messages
    assert "episodes.csv, row 2: DECOM is not a valid dd/mm/yyyy date (row excluded)" in messages
    assert (
        "episodes.csv, row 3: DEC (episode end) is before DECOM (episode start) (row excluded)"
        in messages
    )
    assert "episodes.csv, row 5: CHILD does not appear in the Header table (row excluded)" in (
        messages
    )
    # Child 1003's episode goes with its excluded Header row.
    assert "episodes.csv, row 4: the child's Header row was excluded (row excluded)" in messages
    assert len(ex.header) == 2 and len(ex.episodes) == 1
    summary = ex.summary()
    kept = summary.set_index(["table", "check"])["rows"]
    assert kept[("episodes", "rows excluded (any reason)")] == 4
    assert kept[("header", "excluded: unparseable date")] == 1
    # No value from the data is ever quoted.
    text = " ".join(messages) + summary.to_string()
    for value in ("9999", "31/02/2018", "2015-12-31", "B37", SECRET):
        assert value not in text


def test_blank_start_date_and_duplicate_child(tmp_path: Path) -> None:
    header = header_rows() + [header_rows()[0]]
    eps = episode_rows()
    eps[2]["DECOM"] = ""
    ex = load_extract(write(tmp_path, header, eps))
    checks = set(ex.issues["check"])
    assert {"missing date", "duplicate Header row", "Header row excluded"} <= checks


def test_uasc_table_and_detection_by_columns(tmp_path: Path) -> None:
    folder = tmp_path / "x"
    folder.mkdir()
    pd.DataFrame(header_rows()).to_csv(folder / "a.csv", index=False)
    pd.DataFrame(episode_rows()).to_csv(folder / "b.csv", index=False)
    pd.DataFrame([{"CHILD": "1002", "SEX": "1", "DOB": "15/06/2005", "DUC": "bad"}]).to_csv(
        folder / "c.csv", index=False
    )
    ex = load_extract(folder)
    assert ex.uasc_supplied and len(ex.uasc) == 0
    assert "c.csv, row 2: DUC is not a valid dd/mm/yyyy date (row excluded)" in ex.messages()
