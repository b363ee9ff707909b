"""A private SSDA903 extract that was asked for is used, or the run stops with one line.

Each case runs ``solihull-analytics report --notebooks 04`` as the analyst does. The bad cases
stop before any page renders (the extract is read first), so they are quick and need no
published data; one test renders page 04 twice from a relative path and a changed extract.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from solihull_analytics.cli import _expand_multi_value_options, app
from tests import ssda903_fixtures as fx

SOLIHULL = "E08000029"
NB = "04_cla_deprivation_gradient"


@pytest.fixture()
def user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An analyst's working folder, with no extract asked for by the environment."""
    monkeypatch.delenv("SOLIHULL_PRIVATE_DIR", raising=False)
    monkeypatch.setenv("SOLIHULL_REPORTS_DIR", str(tmp_path / "reports"))
    home = tmp_path / "work"
    home.mkdir()
    monkeypatch.chdir(home)
    return home


def report(*args: str):
    argv = ["report", "--la", SOLIHULL, "--notebooks", "04", *args]
    return CliRunner().invoke(app, _expand_multi_value_options(argv))


def assert_refused(result, *phrases: str) -> str:
    """Exit code 2, one line on stderr naming the problem, no traceback, no page written."""
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output + result.stderr
    for phrase in phrases:
        assert phrase in lines[0], lines[0]
    return lines[0]


def test_missing_folder_given_with_the_flag(user: Path, tmp_path: Path) -> None:
    result = report("--private-dir", str(tmp_path / "nope"))
    assert_refused(result, str(tmp_path / "nope"), "no such folder", "--private-dir")
    assert not (tmp_path / "reports").exists()


def test_relative_missing_folder_is_resolved_from_the_users_folder(user: Path) -> None:
    line = assert_refused(report("--private-dir", "extract"), "no such folder")
    assert str(user / "extract") in line


def test_relative_missing_folder_in_the_variable(user: Path, monkeypatch) -> None:
    monkeypatch.setenv("SOLIHULL_PRIVATE_DIR", "../elsewhere/extract")
    line = assert_refused(report(), "no such folder", "SOLIHULL_PRIVATE_DIR")
    assert str(user.parent / "elsewhere" / "extract") in line


def test_a_file_given_as_the_folder(user: Path) -> None:
    (user / "header.csv").write_text("CHILD\n", encoding="utf-8")
    assert_refused(report("--private-dir", "header.csv"), "is a file, not a folder")


@pytest.mark.parametrize(
    ("damage", "phrases"),
    [
        ("no header", ("no Header table found",)),
        ("no episodes", ("no Episodes table found",)),
        ("empty header", ("no Header table found", "header.csv: empty file")),
        ("episodes without rows", ("episodes.csv (Episodes table) has column names but no rows",)),
        ("us dates", ("column", "month first (mm/dd/yyyy")),
        ("every episode orphaned", ("episodes.csv: every row failed the checks",)),
        ("sw episodes only", ("no Episodes table found", "episodes.csv: SW episodes")),
    ],
)
def test_unusable_extracts_stop_the_run(user: Path, damage: str, phrases) -> None:
    folder = fx.write_csv(user / "extract", us=damage == "us dates")
    if damage == "no header":
        (folder / "header.csv").unlink()
    elif damage == "no episodes":
        (folder / "episodes.csv").unlink()
    elif damage == "empty header":
        (folder / "header.csv").write_bytes(b"")
    elif damage == "episodes without rows":
        (folder / "episodes.csv").write_text(
            ",".join(fx.RETURN_TABLES["episodes"]) + "\r\n", encoding="utf-8"
        )
    elif damage == "every episode orphaned":
        eps = fx.frames()["episodes"].assign(CHILD="X9")
        eps.to_csv(folder / "episodes.csv", index=False)
    elif damage == "sw episodes only":
        (folder / "episodes.csv").unlink()
        fx.write_csv(folder, ("sw_episodes",), names={"sw_episodes": "episodes.csv"})
    assert_refused(report("--private-dir", "extract"), *phrases)


def test_a_non_empty_default_private_folder_is_used_not_replaced(
    user: Path, tmp_path: Path, monkeypatch
) -> None:
    data = tmp_path / "data"
    monkeypatch.setenv("SOLIHULL_DATA_DIR", str(data))
    private = data / "private"
    private.mkdir(parents=True)
    (private / "episodes.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    assert_refused(report(), str(private), "episodes.xlsx: not readable as a workbook")


@pytest.mark.parametrize(
    ("form", "read"),
    [
        ("bom crlf", "Header from header.csv, Episodes from episodes.csv, UASC from uasc.csv"),
        ("utf-16 tab", "Episodes from episodes.csv"),
        ("odd names", "Header from Header.CSV, Episodes from Episodes.Csv"),
        ("iso dates", "Episodes from episodes.csv"),
        ("xlsx", "Header from return.xlsx, Episodes from return.xlsx"),
        ("xml", "Header from return.xml, Episodes from return.xml, UASC from return.xml"),
        ("whole return", "not used by page 04: ad1.csv (AD1), dolo.csv (DoLO)"),
    ],
)
def test_common_export_forms_are_accepted(user: Path, monkeypatch, form: str, read: str) -> None:
    """The extract is read and handed, as an absolute path, to the page renderer."""
    from solihull_analytics.report import pipeline as report_module

    target = user / "extract"
    if form == "bom crlf":
        fx.write_csv(target, encoding="utf-8-sig", line_end="\r\n")
    elif form == "utf-16 tab":
        fx.write_csv(target, encoding="utf-16", sep="\t")
    elif form == "odd names":
        fx.write_csv(target, names={"header": "Header.CSV", "episodes": "Episodes.Csv"})
    elif form == "iso dates":
        fx.write_csv(target, iso=True)
    elif form == "xlsx":
        fx.write_xlsx(target)
    elif form == "xml":
        fx.write_xml(target)
    else:
        fx.write_csv(target, tuple(fx.RETURN_TABLES))
    calls = []

    def fake_render_pack(code, **kwargs):
        calls.append(kwargs["extra_parameters"])
        return report_module.PackResult(code)

    monkeypatch.setattr(report_module, "render_pack", fake_render_pack)
    result = report("--private-dir", "extract")
    assert result.exit_code == 0, result.output + result.stderr
    assert f"SSDA903 extract {target}: read " in result.output and read in result.output
    assert calls == [{"private_dir": str(target)}]


@pytest.mark.mirror
def test_relative_extract_is_rendered_and_a_changed_extract_re_renders(
    processed: Path, user: Path, tmp_path: Path, monkeypatch
) -> None:
    """The real extract (not synthetic) is used from a relative SOLIHULL_PRIVATE_DIR, in UTF-16
    with odd-case names and ISO dates; when it changes, page 04 is rendered again."""
    from solihull_analytics.ssda903.synthetic import generate_903

    syn = generate_903(SOLIHULL, 2019, 200, 25.0, seed=5, processed_dir=processed)
    folder = syn.write(user / "extract")
    for name in ("header.csv", "episodes.csv", "uasc.csv"):
        df = pd.read_csv(folder / name, dtype=str, keep_default_na=False)
        for col in ("DOB", "MC_DOB", "DECOM", "DEC", "DUC"):
            if col in df:
                parsed = pd.to_datetime(df[col], format="%d/%m/%Y", errors="coerce")
                df[col] = parsed.dt.strftime("%Y-%m-%d").fillna("")
        (folder / name).unlink()
        df.to_csv(folder / name.title(), index=False, encoding="utf-16")  # Episodes.Csv
    monkeypatch.setenv("SOLIHULL_PRIVATE_DIR", "extract")
    first = report()
    assert first.exit_code == 0, first.output + first.stderr
    assert "SSDA903 extract" in first.output and "Episodes from Episodes.Csv" in first.output
    assert "04_cla_deprivation_gradient: rendered" in first.output
    pack = tmp_path / "reports" / SOLIHULL
    doc = json.loads((pack / f"{NB}.json").read_text(encoding="utf-8"))
    assert doc["synthetic"] is False
    assert "SYNTHETIC DATA" not in (pack / f"{NB}.html").read_text(encoding="utf-8")

    # Same run again: unchanged. Then drop a third of the children: rendered again.
    assert "04_cla_deprivation_gradient: unchanged" in report().output
    header = pd.read_csv(folder / "Header.Csv", dtype=str, encoding="utf-16")
    keep = set(header["CHILD"].iloc[: 2 * len(header) // 3])
    for name in ("Header.Csv", "Episodes.Csv", "Uasc.Csv"):
        df = pd.read_csv(folder / name, dtype=str, keep_default_na=False, encoding="utf-16")
        df[df["CHILD"].isin(keep)].to_csv(folder / name, index=False, encoding="utf-16")
    again = report()
    assert again.exit_code == 0, again.output + again.stderr
    assert "04_cla_deprivation_gradient: rendered" in again.output
    doc2 = json.loads((pack / f"{NB}.json").read_text(encoding="utf-8"))
    assert doc2["headlines"] != doc["headlines"]


def test_an_extract_in_a_subfolder_of_data_private_is_not_replaced(
    user: Path, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("SOLIHULL_DATA_DIR", str(tmp_path / "data"))
    fx.write_csv(tmp_path / "data" / "private" / "2019")
    assert_refused(report(), "no Header or Episodes table found", "2019/: a folder")


def test_the_render_key_follows_the_extract_actually_used(user: Path, monkeypatch) -> None:
    """render_notebook settles the folder in the user's process and fingerprints it."""
    from solihull_analytics.report.pipeline import _private_extract

    nb04 = user / "04.ipynb"
    nb04.write_text('{"cells": [{"source": "private_dir = \\"\\""}]}', encoding="utf-8")
    nb01 = user / "01.ipynb"
    nb01.write_text('{"cells": []}', encoding="utf-8")
    folder = fx.write_csv(user / "extract")

    params = {"private_dir": "extract"}
    first = _private_extract(nb04, params)
    assert params == {"private_dir": str(folder)}  # absolute, for the kernel
    assert _private_extract(nb04, {"private_dir": "extract"}) == first
    monkeypatch.setenv("SOLIHULL_PRIVATE_DIR", "extract")
    assert _private_extract(nb04, {}) == first  # the variable, resolved here too
    (folder / "uasc.csv").unlink()
    assert _private_extract(nb04, {}) != first  # a changed extract: a new key
    other = {"private_dir": "extract"}
    assert _private_extract(nb01, other) == "" and other == {}  # pages that do not read it


@pytest.mark.mirror
def test_prepare_never_falls_back_to_synthetic(processed: Path, user: Path, monkeypatch) -> None:
    """Notebook 04 run on its own (no CLI check first) fails rather than going synthetic."""
    from solihull_analytics.pages.cla_gradient.page import prepare
    from solihull_analytics.ssda903 import SSDA903Error

    with pytest.raises(SSDA903Error, match="no such folder"):
        prepare(SOLIHULL, processed, "nope")
    monkeypatch.setenv("SOLIHULL_PRIVATE_DIR", str(user / "empty"))
    (user / "empty").mkdir()
    with pytest.raises(SSDA903Error, match="no Header or Episodes table found"):
        prepare(SOLIHULL, processed, "")


@pytest.mark.mirror
def test_an_extract_for_another_year_fails_instead_of_publishing_zeros(
    processed: Path, user: Path
) -> None:
    from solihull_analytics.pages.cla_gradient.page import prepare
    from solihull_analytics.ssda903 import SSDA903Error

    folder = fx.write_csv(user / "extract")  # episodes from April 2017
    assert prepare(SOLIHULL, processed, folder, cohort_year=2019).rows_read["episodes"] == 5
    with pytest.raises(SSDA903Error, match=r"no child .* between 01 April 2016 and 31 March 2017"):
        prepare(SOLIHULL, processed, folder, cohort_year=2017)


@pytest.mark.mirror
def test_page_04_names_the_parts_of_the_return_it_does_not_use(processed: Path, user: Path) -> None:
    """A folder with the whole return: page 04 names the tables it leaves out (not the files)."""
    from solihull_analytics.pages.cla_gradient.page import extract_section, prepare

    folder = fx.write_csv(
        user / "extract", ("header", "episodes", "uasc", "sw_episodes", "reviews"),
        names={"reviews": "LA_reviews_2019.csv"},
    )
    ctx = prepare(SOLIHULL, processed, folder, cohort_year=2019, allow_no_children_in_la=True)
    assert ctx.tables_not_used == ("Reviews", "SW episodes")
    text = extract_section(ctx)[0]
    assert "does not use: Reviews, SW episodes." in text
    assert "LA_reviews_2019" not in text
