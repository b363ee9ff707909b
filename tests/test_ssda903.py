"""Reading SSDA903 returns: the forms LAs hold them in (CSV encodings, Excel, DfE's XML, every
table of the return), date formats, and our checks (missing tables/columns, bad dates, bad
episodes, orphans)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd
import pytest

from solihull_analytics.ssda903 import (
    COLUMNS,
    RETURN_TABLES,
    TABLE_TITLES,
    SSDA903Error,
    classify,
    fingerprint,
    has_extract,
    load_extract,
    requested_folder,
)
from tests import ssda903_fixtures as fx

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


# -- the return as LAs hold it (fixtures in DfE's layouts: tests/ssda903_fixtures.py) ----------
def _core(ex) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Header, Episodes and UASC in a fixed order and column set, for comparing readers."""
    h = ex.header[list(COLUMNS["header"])].sort_values("CHILD").reset_index(drop=True)
    e = ex.episodes[list(COLUMNS["episodes"])].sort_values(["CHILD", "DECOM"])
    u = ex.uasc[list(COLUMNS["uasc"])].sort_values("CHILD").reset_index(drop=True)
    return h, e.reset_index(drop=True), u


@pytest.fixture()
def baseline(tmp_path: Path):
    """The three core tables as plain UTF-8 CSV, read."""
    return _core(load_extract(fx.write_csv(tmp_path / "baseline")))


def test_baseline_reads_dfe_dates(baseline) -> None:
    header, episodes, uasc = baseline
    assert len(header) == 4 and len(episodes) == 5 and len(uasc) == 1
    c102 = episodes[episodes["CHILD"] == "C102"]
    assert list(c102["DECOM"]) == [pd.Timestamp(2017, 4, 1), pd.Timestamp(2018, 6, 20)]
    assert header.loc[header["CHILD"] == "C101", "DOB"].item() == pd.Timestamp(2010, 3, 14)


def test_dfe_core_tables_with_bom_and_crlf_load(tmp_path: Path, baseline) -> None:
    folder = fx.write_csv(tmp_path / "x", encoding="utf-8-sig", line_end="\r\n")
    assert (folder / "header.csv").read_bytes().startswith(b"\xef\xbb\xbfCHILD,")
    assert b"\r\n" in (folder / "episodes.csv").read_bytes()
    for got, want in zip(_core(load_extract(folder)), baseline, strict=True):
        pd.testing.assert_frame_equal(got, want)


def test_blank_rows_left_by_excel_are_not_data_rows(tmp_path: Path, baseline) -> None:
    folder = fx.write_csv(tmp_path / "x", line_end="\r\n")
    with (folder / "episodes.csv").open("a", encoding="utf-8", newline="") as f:
        f.write("," * 12 + "\r\n" + "," * 12 + "\r\n")
    ex = load_extract(folder)
    assert ex.rows_read["episodes"] == 5 and ex.rows_excluded == 0
    pd.testing.assert_frame_equal(_core(ex)[1], baseline[1])


@pytest.mark.parametrize(
    ("encoding", "sep", "names"),
    [
        ("utf-16", ",", None),  # UTF-16 with a byte-order mark
        ("utf-16", "\t", None),  # Excel's "Unicode text": UTF-16, tab-separated
        ("utf-16-le", ",", None),  # UTF-16 without a byte-order mark
        ("cp1252", ",", None),  # Excel's "CSV (Comma delimited)" on Windows
        ("utf-8", ";", None),  # a semicolon-separated export
        ("utf-8", ",", {"header": "Header.CSV", "episodes": "Episodes.Csv", "uasc": "UASC.csv"}),
    ],
)
def test_common_export_forms_read_the_same(tmp_path: Path, baseline, encoding, sep, names):
    folder = fx.write_csv(tmp_path / "x", encoding=encoding, sep=sep, names=names)
    for got, want in zip(_core(load_extract(folder)), baseline, strict=True):
        pd.testing.assert_frame_equal(got, want)


def test_a_folder_with_every_table_of_the_return(tmp_path: Path, baseline) -> None:
    folder = fx.write_csv(tmp_path / "x", tuple(RETURN_TABLES))
    assert len(list(folder.iterdir())) == 12
    ex = load_extract(folder)
    assert {t: p.name for t, p in ex.files.items()} == {
        "header": "header.csv",
        "episodes": "episodes.csv",
        "uasc": "uasc.csv",
    }
    assert sorted(ex.not_used()) == sorted(
        f"{t}.csv ({TABLE_TITLES[t]})" for t in RETURN_TABLES if t not in COLUMNS
    )
    assert "sw_episodes.csv (SW episodes)" in ex.describe()
    for got, want in zip(_core(ex), baseline, strict=True):
        pd.testing.assert_frame_equal(got, want)


def test_tables_are_recognised_by_columns_not_file_names(tmp_path: Path, baseline) -> None:
    # SW episodes saved as "episodes.csv", the real Episodes under another name.
    names = {"sw_episodes": "episodes.csv", "episodes": "903_eps_2019.CSV", "header": "h.csv"}
    folder = fx.write_csv(
        tmp_path / "x", ("header", "episodes", "uasc", "sw_episodes"), names=names
    )
    ex = load_extract(folder)
    assert ex.files["episodes"].name == "903_eps_2019.CSV"
    assert ex.unused == {"episodes.csv": "SW episodes"}
    pd.testing.assert_frame_equal(_core(ex)[1], baseline[1])


def test_every_table_is_classified_by_its_columns() -> None:
    for table, cols in RETURN_TABLES.items():
        assert classify(list(cols)) == table
        assert classify([c.lower() for c in cols]) == table
    # a column missing still leaves the table recognisable (and the reader then says so)
    assert classify([c for c in COLUMNS["episodes"] if c != "DECOM"]) == "episodes"
    assert classify(["NAME", "ADDRESS"]) is None
    with pytest.raises(SSDA903Error, match="fit both the Reviews and DoLO tables"):
        classify(["CHILD", "DOB", "REVIEW", "DOLO_START"], "odd.csv")


def test_excel_workbook_with_a_sheet_per_table(tmp_path: Path, baseline) -> None:
    ex = load_extract(fx.write_xlsx(tmp_path / "x"))
    assert set(ex.files) == {"header", "episodes", "uasc"}
    assert ex.not_used() == ["return.xlsx (sheet Reviews) (Reviews)"]
    for got, want in zip(_core(ex), baseline, strict=True):
        pd.testing.assert_frame_equal(got, want)
    assert ex.date_formats["episodes.DECOM"] == "yyyy-mm-dd"  # real date cells


def test_dfe_xml_return(tmp_path: Path, baseline) -> None:
    folder = fx.write_xml(tmp_path / "x")
    text = (folder / "return.xml").read_text(encoding="utf-8")
    assert "<EXPSSDA903><CHILD><HEADER><CHILDID>C101</CHILDID>" in text and "<PL>U1</PL>" in text
    ex = load_extract(folder)
    assert ex.rows_read == {"header": 4, "episodes": 5, "uasc": 1}
    assert ex.not_used() == ["return.xml <AREVIEW> (Reviews)"]
    for got, want in zip(_core(ex), baseline, strict=True):
        pd.testing.assert_frame_equal(got, want)


def test_xml_rows_are_counted_as_records(tmp_path: Path) -> None:
    folder = fx.write_xml(tmp_path / "x")
    path = folder / "return.xml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("<DECOM>13/01/2019", "<DECOM>31/02/2019"),
        encoding="utf-8",
    )
    ex = load_extract(folder)
    assert (
        "return.xml (Episodes), record 4: DECOM is not a valid dd/mm/yyyy date (row excluded)"
        in (ex.messages())
    )


def test_xml_that_is_not_the_return_is_named(tmp_path: Path) -> None:
    folder = fx.write_csv(tmp_path / "x", ("header",))
    (folder / "other.xml").write_text("<CINCensus/>", encoding="utf-8")
    with pytest.raises(SSDA903Error, match=r"other\.xml: XML, but not DfE's SSDA903 layout"):
        load_extract(folder)


def test_iso_dates_are_read(tmp_path: Path, baseline) -> None:
    ex = load_extract(fx.write_csv(tmp_path / "x", iso=True))
    assert ex.rows_excluded == 0
    assert set(ex.date_formats.values()) == {"yyyy-mm-dd", "(blank)"}
    assert ex.date_formats["header.MC_DOB"] == "(blank)"
    for got, want in zip(_core(ex), baseline, strict=True):
        pd.testing.assert_frame_equal(got, want)


def test_us_dates_are_refused_naming_file_and_column(tmp_path: Path) -> None:
    folder = fx.write_csv(tmp_path / "x", us=True)
    with pytest.raises(SSDA903Error) as err:
        load_extract(folder)
    message = str(err.value)
    assert re.search(
        r"(header|episodes|uasc)\.csv, column \w+: dates are written month first", message
    )
    assert "\n" not in message


def test_dates_that_cannot_tell_day_from_month_are_refused(tmp_path: Path) -> None:
    folder = tmp_path / "x"
    header = [{c: "" for c in COLUMNS["header"]} | {"CHILD": "1", "DOB": "01/02/2010"}]
    eps = [
        {c: "" for c in COLUMNS["episodes"]}
        | {"CHILD": "1", "DECOM": "03/04/2018", "DEC": "05/06/2018", "LS": "C2"}
    ]
    write(folder, header, eps)
    with pytest.raises(
        SSDA903Error, match=r"header\.csv, column DOB: no date in the extract has a day above 12"
    ):
        load_extract(folder)


def test_a_column_mixing_formats_is_refused(tmp_path: Path) -> None:
    eps = episode_rows()
    eps[1]["DECOM"] = "2017-05-01"
    eps[2]["DECOM"] = "2018-10-10"
    eps.append({**eps[0], "DECOM": "13/05/2018"})
    with pytest.raises(SSDA903Error, match=r"episodes\.csv, column DECOM: the column mixes"):
        load_extract(write(tmp_path, header_rows(), eps))


def test_unreadable_date_format_is_refused(tmp_path: Path) -> None:
    header = header_rows()
    for r in header:
        r["DOB"] = "12 Mar 10"
    with pytest.raises(SSDA903Error, match=r"header\.csv, column DOB: most dates are in a format"):
        load_extract(write(tmp_path, header, episode_rows()))


def test_a_table_whose_every_row_fails_is_refused(tmp_path: Path) -> None:
    eps = episode_rows()
    for r in eps:
        r["CHILD"] = "NOT-IN-HEADER"
    with pytest.raises(
        SSDA903Error, match=r"episodes\.csv: every row failed the checks \(CHILD does"
    ):
        load_extract(write(tmp_path, header_rows(), eps))


def test_empty_and_unreadable_tables_are_named(tmp_path: Path) -> None:
    folder = write(tmp_path / "a", header_rows(), episode_rows())
    (folder / "header.csv").write_bytes(b"")
    with pytest.raises(SSDA903Error, match=r"no Header table found \(found .*header\.csv: empty"):
        load_extract(folder)
    (folder / "header.csv").write_text(",".join(COLUMNS["header"]) + "\n", encoding="utf-8")
    with pytest.raises(SSDA903Error, match=r"header\.csv \(Header table\) has column names but no"):
        load_extract(folder)
    (folder / "header.csv").unlink()
    (folder / "header.xlsx").write_bytes(b"not a workbook")
    with pytest.raises(SSDA903Error, match=r"header\.xlsx: not readable as a workbook"):
        load_extract(folder)


def test_two_tables_of_one_kind_are_refused_unless_the_year_settles_it(tmp_path: Path) -> None:
    folder = fx.write_csv(tmp_path / "x", names={"episodes": "episodes_2019.csv"})
    fx.write_csv(folder, ("episodes",), names={"episodes": "episodes_2018.csv"})
    with pytest.raises(SSDA903Error, match="several Episodes tables"):
        load_extract(folder)
    assert load_extract(folder, 2019).files["episodes"].name == "episodes_2019.csv"


# -- which folder, and its fingerprint -----------------------------------------------------------
def test_requested_folder_resolves_against_the_working_directory(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("SOLIHULL_PRIVATE_DIR", raising=False)
    monkeypatch.setenv("SOLIHULL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    assert requested_folder(None) is None  # nothing asked for: synthetic
    assert requested_folder("ext") == tmp_path / "ext"  # asked for, even if missing
    monkeypatch.setenv("SOLIHULL_PRIVATE_DIR", "env-ext")
    assert requested_folder("") == tmp_path / "env-ext"
    assert requested_folder("given") == tmp_path / "given"  # the flag wins
    monkeypatch.delenv("SOLIHULL_PRIVATE_DIR")
    private = tmp_path / "data" / "private"
    private.mkdir(parents=True)
    (private / "README.md").write_text("put the return here", encoding="utf-8")
    assert requested_folder(None) is None  # only a README: not an extract
    (private / "Episodes.Csv").write_text("x", encoding="utf-8")
    assert requested_folder(None) == private


def test_fingerprint_follows_the_content(tmp_path: Path) -> None:
    folder = fx.write_csv(tmp_path / "x")
    before = fingerprint(folder)
    path = folder / "episodes.csv"
    stat = path.stat()
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("B37 7AB", "B37 7AC"), encoding="utf-8")  # same size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same mtime
    assert fingerprint(folder) != before
    assert fingerprint(folder) == fingerprint(folder)
    assert fingerprint(None) == "synthetic" and fingerprint(tmp_path / "no") != before


_VALIDATOR_NAMES = {
    "Header": "header",
    "Episodes": "episodes",
    "Reviews": "reviews",
    "UASC": "uasc",
    "OC2": "oc2",
    "OC3": "oc3",
    "AD1": "ad1",
    "PlacedAdoption": "placed_for_adoption",
    "PrevPerm": "previous_permanence",
    "Missing": "missing",
    "SWEpisodes": "sw_episodes",
    "DoLo": "dolo",
}


def test_column_lists_agree_with_dfes_validator() -> None:
    """Our table columns against ``lac_validator/config.py`` of csc-validator-be-903.

    The validator pins pandas below 2, so it is not installed here: point
    ``SOLIHULL_903_VALIDATOR`` at its wheel or unpacked source (``pip download
    csc-validator-be-903==0.1.17 --no-deps -d DIR``). Its file is parsed, not imported or run.
    """
    import ast
    import zipfile

    where = os.environ.get("SOLIHULL_903_VALIDATOR", "")
    if not where or not Path(where).exists():
        pytest.skip("set SOLIHULL_903_VALIDATOR to csc-validator-be-903's wheel or source folder")
    path = Path(where)
    wheels = sorted(path.glob("csc_validator_be_903-*.whl")) if path.is_dir() else [path]
    if wheels and wheels[0].suffix == ".whl":
        with zipfile.ZipFile(wheels[0]) as z:
            source = z.read("lac_validator/config.py").decode("utf-8")
    else:
        source = next(path.rglob("lac_validator/config.py")).read_text(encoding="utf-8")
    tree = ast.parse(source)
    [value] = [
        n.value
        for n in tree.body
        if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "column_names"
    ]
    theirs = ast.literal_eval(value)
    assert {_VALIDATOR_NAMES[k]: tuple(v) for k, v in theirs.items()} == RETURN_TABLES
