"""What changed since the last pack: previous values, changes, 'revised' and 'new' flags."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from solihull_analytics.report.changes import (
    PREVIOUS_DIR,
    Change,
    change_cells,
    compare,
    keep_previous,
    previous_docs,
)
from solihull_analytics.report.front import write_la_index
from solihull_analytics.report.pipeline import render_notebook
from tests.test_report import SOLIHULL, _notebook


def _doc(headlines: list[dict], run_date: str = "2026-01-31") -> dict:
    return {
        "notebook": "01_cla_trend",
        "title": "Children looked after",
        "summary": "",
        "la_code": SOLIHULL,
        "la_name": "Solihull",
        "run_date": run_date,
        "suite_version": "0.1.0",
        "synthetic": False,
        "sources": [],
        "headlines": headlines,
        "missing_data": [],
    }


def _h(name: str, value: float | None, period: str) -> dict:
    return {
        "name": name,
        "value": value,
        "unit": "per 10,000",
        "period": period,
        "source_ids": [],
        "statement": f"{name} was {value}.",
    }


def test_compare_classes_new_revised_changed_unchanged() -> None:
    before = _doc([_h("rate", 99.7, "2022"), _h("count", 528, "2025"), _h("same", 1, "2025")])
    assert compare(_h("other", 3, "2025"), before).status == "new"
    revised = compare(_h("rate", 101.2, "2022"), before)
    assert revised == Change("revised", 99.7, "2022", 1.5)
    later = compare(_h("count", 540, "2026"), before)
    assert later.status == "changed" and later.difference == 12
    assert compare(_h("same", 1, "2025"), before).status == "unchanged"
    assert compare(_h("rate", 99.7, "2022"), None).status == "new"


def test_change_cells_show_previous_value_change_and_flags() -> None:
    cells = change_cells(Change("revised", 99.7, "2022", 1.5))
    assert "99.7 (2022)" in cells and "+1.5" in cells and "revised" in cells
    cells = change_cells(Change("changed", 540, "2025", -12))
    assert "-12 since 2025" in cells
    assert "new" in change_cells(Change("new"))


def test_previous_json_is_kept_only_when_figures_change(tmp_path: Path) -> None:
    current = tmp_path / "01_cla_trend.json"
    current.write_text(json.dumps(_doc([_h("rate", 99.7, "2022")], "2025-01-31")))
    assert not keep_previous(current, _doc([_h("rate", 99.7, "2022")])), "same figures"
    assert not (tmp_path / PREVIOUS_DIR).exists()
    assert keep_previous(current, _doc([_h("rate", 101.2, "2022")]))
    kept = json.loads((tmp_path / PREVIOUS_DIR / current.name).read_text())
    assert kept["run_date"] == "2025-01-31" and kept["headlines"][0]["value"] == 99.7
    assert not keep_previous(tmp_path / "02_none.json", _doc([])), "no earlier page"


def test_front_page_compares_with_previous_or_named_pack(tmp_path: Path) -> None:
    pack = tmp_path / "reports" / SOLIHULL
    pack.mkdir(parents=True)
    (pack / "01_cla_trend.json").write_text(
        json.dumps(_doc([_h("rate", 101.2, "2022"), _h("count", 540, "2026")]))
    )
    plain = write_la_index(pack).read_text(encoding="utf-8")
    assert "Previous" not in plain, "no previous pack: no comparison columns"
    (pack / PREVIOUS_DIR).mkdir()
    (pack / PREVIOUS_DIR / "01_cla_trend.json").write_text(
        json.dumps(_doc([_h("rate", 99.7, "2022")], "2025-01-31"))
    )
    html = write_la_index(pack).read_text(encoding="utf-8")
    assert "<th scope='col'>Previous</th>" in html and "run on 2025-01-31" in html
    assert "sa-revised" in html and "99.7 (2022)" in html and "+1.5 " in html
    assert "sa-new" in html, "count is new to this pack"
    other = tmp_path / "old" / SOLIHULL
    other.mkdir(parents=True)
    (other / "01_cla_trend.json").write_text(
        json.dumps(_doc([_h("rate", 95.0, "2021"), _h("count", 500, "2025")], "2024-02-01"))
    )
    assert previous_docs(pack, tmp_path / "old")["01_cla_trend"]["run_date"] == "2024-02-01"
    named = write_la_index(pack, tmp_path / "old").read_text(encoding="utf-8")
    assert "+6.2 since 2021" in named and "+40 since 2025" in named and "2024-02-01" in named


VALUE_FROM_FILE = """
from pathlib import Path
from solihull_analytics.report.page import Page
page = Page("90_fixture", "Fixture page", la_code, "Solihull", output_dir, run_date or None)
value, period = Path({path!r}).read_text().split()
page.headline("answer", float(value), "things", period, [], f"The answer is {{value}}.")
_ = page.finish()
"""


@pytest.mark.slow
def test_second_pack_after_changed_inputs_shows_changes(tmp_path: Path, processed: Path) -> None:
    """Two packs from two states of an input: the front page shows the revision, then the
    change to a new period; a rerun with nothing new keeps the comparison."""
    inputs = tmp_path / "input.txt"
    nb_dir = tmp_path / "nbs"
    nb_dir.mkdir()
    nb = _notebook(nb_dir, VALUE_FROM_FILE.format(path=str(inputs)), "90_fixture")
    out = tmp_path / "reports" / SOLIHULL

    def run(text: str) -> str:
        inputs.write_text(text)
        r = render_notebook(nb, SOLIHULL, out, processed_dir=processed, run_date="2026-01-31",
                            force=True)
        assert r.status == "rendered", r.summary()
        return write_la_index(out).read_text(encoding="utf-8")

    first = run("99.7 2022")
    assert "Previous" not in first
    second = run("101.2 2022")
    assert "sa-revised" in second and "99.7 (2022)" in second and "+1.5" in second
    third = run("101.2 2022")  # rerun, same figures: the comparison is kept
    assert "sa-revised" in third
    fourth = run("104.0 2023")
    assert "+2.8 since 2022" in fourth and "sa-revised" not in fourth


def test_cli_rejects_a_missing_compare_with_folder(tmp_path: Path) -> None:
    from solihull_analytics.cli import app

    result = CliRunner().invoke(
        app, ["report", "--la", SOLIHULL, "--compare-with", str(tmp_path / "nope")]
    )
    assert result.exit_code == 2
    assert "--compare-with" in result.output and "no such folder" in result.output


def _front_page_rows(pack: Path, notebook: str) -> dict[str, list[str]]:
    """The front page's headline rows of one page: measure label -> the row's cell texts."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup((pack / "index.html").read_text(encoding="utf-8"), "html.parser")
    table = soup.find("h2", id=notebook).find_next("table")
    header = [c.get_text(strip=True) for c in table.find("thead").find_all("th")]
    rows = {}
    for tr in table.find("tbody").find_all("tr"):
        cells = [c.get_text(" ", strip=True) for c in tr.find_all(["th", "td"])]
        rows[cells[0]] = dict(zip(header, cells, strict=True))
    return rows


def _as_shown(value: float | int) -> str:
    """A value as the front page prints it (two decimals under 10, else one)."""
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.2f}" if abs(value) < 10 else f"{value:,.1f}"


@pytest.mark.slow
@pytest.mark.mirror
def test_two_packs_from_two_catalogue_states(workspace: Path) -> None:
    """Page 01 rendered, a 2026 CLA release added with ``data add`` and built, page 01 rendered
    again into the same reports folder: the front page compares with the first pack.

    The new release is the 2025 release's file with every year moved on by one, so it re-states
    2022-2025 with other counts (the overlap years DfE re-publishes) and adds 2026.
    """
    from tests.workspace import build, cli, headlines, raw, render, shift_years_csv

    pack = render(workspace, ["01"], run_date="2025-02-01")
    first = {h["name"]: h for h in headlines(pack, "01_cla_trend")}
    assert "Previous" not in (pack / "index.html").read_text(encoding="utf-8")

    src = raw("cla_ees2025_number_rate")
    new = workspace / src.name.replace("release2025_2021-2025", "release2026_2022-2026")
    shift_years_csv(src, new, 1)
    cli("data", "add", str(new), "--like", "cla_ees2025_number_rate")
    build()
    pack = render(workspace, ["01"], run_date="2026-02-01")

    kept = json.loads((pack / PREVIOUS_DIR / "01_cla_trend.json").read_text(encoding="utf-8"))
    assert {h["name"]: h for h in kept["headlines"]} == first, "the first pack's JSON is kept"
    second = headlines(pack, "01_cla_trend")
    assert second != list(first.values()), "the new release changes page 01's figures"
    front = (pack / "index.html").read_text(encoding="utf-8")
    assert "run on 2025-02-01" in front
    rows = _front_page_rows(pack, "01_cla_trend")
    statuses = []
    for h in second[:6]:
        row = rows[h.get("label") or h["name"].replace("_", " ")]
        before = first.get(h["name"])
        if before is None:
            assert row["Previous"] == "–" and row["Change"] == "new", row
            statuses.append("new")
            continue
        old, now = before["value"], h["value"]
        if old is not None:
            assert row["Previous"].startswith(_as_shown(old)), (h["name"], row)
        assert before["period"] in row["Previous"], (h["name"], row)
        if before["period"] == h["period"] and old != now:
            assert "revised" in row["Change"], (h["name"], row)
            statuses.append("revised")
        elif before["period"] != h["period"]:
            assert "revised" not in row["Change"], (h["name"], row)
            assert f"since {before['period']}" in row["Change"], (h["name"], row)
            statuses.append("changed")
        else:
            assert row["Change"] == "no change", (h["name"], row)
            statuses.append("unchanged")
        if isinstance(old, float) and isinstance(now, float) and old != now:
            places = 2 if max(abs(old), abs(now)) < 10 else 1
            assert row["Change"].startswith(f"{now - old:+,.{places}f}"), (h["name"], row)
    # The 2026 rate needs the ONS mid-2025 estimate, which the data lack, so the latest year
    # stays 2025; the new release re-states 2025 and 2022, so every figure is revised.
    assert "revised" in statuses, f"restated 2022-2025 counts revise a figure: {statuses}"
