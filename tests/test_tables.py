"""Tables that fit and tables to take away: column kinds, page summaries, CSV downloads."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from solihull_analytics.report.downloads import PROVENANCE_COLUMNS, publish, stem_from  # noqa: E402
from solihull_analytics.report.page import Chart, Page, TableBlock  # noqa: E402
from solihull_analytics.report.tables import (  # noqa: E402
    LONG_TABLE_ROWS,
    SUMMARY_ROWS,
    column_kind,
    page_cut,
    round_like,
    rows_around,
    table_html,
)


@pytest.fixture()
def shown(monkeypatch: pytest.MonkeyPatch) -> list:
    out: list = []
    monkeypatch.setattr("IPython.display.display", lambda *a, **k: out.append((a, k)))
    return out


def _text(shown: list) -> str:
    return "\n".join(
        a[0].data if hasattr(a[0], "data") else json.dumps(a[0]) for a, _ in shown
    )


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        ([1.5, 2.25, None], "num"),
        (["56,490,108", "1,234.5", "c", "–"], "num"),
        (["99.7 (90.0 to 109.0)", "12%", "-3.2"], "num"),
        (["E08000029", "E92000001"], "code"),
        (["2021-22", "2022-23"], "code"),
        (["Solihull", "England"], "text"),
        (["rounded to 5", "mid-2021 estimate"], "text"),
        (["c", "c"], "text"),  # nothing but marks: no number to align
        ([True, False], "text"),
    ],
)
def test_column_kind(values: list, kind: str) -> None:
    assert column_kind(pd.Series(values)) == kind


def test_table_html_classes_alignment_and_escaping() -> None:
    df = pd.DataFrame(
        {"area_code": ["E08000029"], "area <b>": ["Solihull & co"], "rate": [99.7]}
    )
    out = table_html(df, 'Rates "per" 10,000', str)
    assert '<th scope="col" class="sa-code">area_<wbr>code</th>' in out
    assert '<td class="sa-num">99.7</td>' in out and '<td class="sa-code">E08000029</td>' in out
    assert "area &lt;b&gt;" in out and "Solihull &amp; co" in out
    assert "<caption>Rates &quot;per&quot; 10,000</caption>" in out


def test_long_and_wide_tables_are_cut_on_the_page_only() -> None:
    df = pd.DataFrame({"a": range(LONG_TABLE_ROWS), "b": 1, "c": 2})
    shown, note = page_cut(df, None, None)
    assert len(shown) == SUMMARY_ROWS and f"{SUMMARY_ROWS} of {LONG_TABLE_ROWS} rows" in note
    short, note = page_cut(df.head(LONG_TABLE_ROWS - 1), ["a", "c"], None)
    assert len(short) == LONG_TABLE_ROWS - 1 and list(short.columns) == ["a", "c"]
    assert "2 of 3 columns" in note and "rows" not in note
    whole, note = page_cut(df, None, LONG_TABLE_ROWS)
    assert len(whole) == LONG_TABLE_ROWS and note == ""
    with pytest.raises(KeyError, match="zz"):
        page_cut(df, ["zz"], None)


def test_stems_are_stable_across_years_and_las() -> None:
    a = stem_from("Solihull: LSOAs by national IDACI decile, 2019", drop="Solihull")
    b = stem_from("Kent: LSOAs by national IDACI decile, 2025", drop="Kent")
    assert a == b == "lsoas_by_national_idaci_decile"


def test_tables_and_chart_data_are_written_as_csv_with_provenance(
    shown: list, tmp_path: Path
) -> None:
    page = Page("90_test", "Test page", "E08000029", "Solihull", tmp_path, "2026-01-31")
    big = pd.DataFrame({"year": range(2000, 2030), "rate": [1.2345] * 30, "note": "x"})
    page.show(
        TableBlock(big, "Solihull: rates 2000 to 2029", source="DfE", name="rates",
                   page_columns=["year", "rate"]),
        TableBlock(big.head(2), "Solihull: rates 2000 to 2029"),
    )
    fig, ax = plt.subplots()
    ax.plot([1, 2], [3, 4])
    page.show(Chart(fig, "A line rising from 3 to 4.", "ONS", data=pd.DataFrame({"x": [1, 2]})))
    text = _text(shown)
    folder = tmp_path / "90_test"
    rates = pd.read_csv(folder / "rates.csv", encoding="utf-8-sig")
    assert len(rates) == 30 and list(rates.columns[:3]) == ["year", "rate", "note"]
    assert list(rates.columns[3:]) == list(PROVENANCE_COLUMNS)
    assert rates["source"].iloc[0] == "DfE" and rates["la_code"].iloc[0] == "E08000029"
    assert rates["rate"].iloc[0] == 1.2, "the download rounds as the page does, no further"
    assert (folder / "rates_to.csv").exists(), "caption stem, LA name and numbers removed"
    chart = [p.name for p in folder.glob("chart_*.csv")]
    assert len(chart) == 1, chart
    assert 'href="90_test/rates.csv"' in text and "Download this table (CSV, 30 rows)" in text
    assert "the first 10 of 30 rows and 2 of 3 columns" in text
    assert text.count("<tr>") == 1 + 10 + 1 + 2, "header+10 rows, header+2 rows"
    assert f'href="90_test/{chart[0]}"' in text


def test_interactive_page_writes_no_files(shown: list, tmp_path: Path) -> None:
    page = Page("90_test", "Test page", "E08000029", "Solihull", None, "2026-01-31")
    page.show(TableBlock(pd.DataFrame({"a": [1]}), "A table"))
    assert "Download" not in _text(shown)


def test_publish_replaces_the_folder_whole(tmp_path: Path) -> None:
    target = tmp_path / "01_x"
    target.mkdir()
    (target / "old.csv").write_text("a\n1\n")
    staged = tmp_path / "staging" / "01_x"
    staged.mkdir(parents=True)
    (staged / "new.csv").write_text("a\n2\n")
    publish(staged, target)
    assert [p.name for p in target.iterdir()] == ["new.csv"]
    publish(tmp_path / "staging" / "nothing", target)
    assert not target.exists(), "a page that no longer writes downloads leaves none behind"
    assert [p.name for p in tmp_path.iterdir()] == ["staging"], "no temporary folder left"


def test_page_rows_last_or_around_the_las_own_row() -> None:
    df = pd.DataFrame({"rank": range(1, 31), "la": [f"LA {i}" for i in range(1, 31)]})
    last, note = page_cut(df, None, -5)
    assert list(last["rank"]) == [26, 27, 28, 29, 30] and "the last 5 of 30 rows" in note
    mask = rows_around(df["la"] == "LA 15", context=2)
    shown, note = page_cut(df, None, mask)
    assert list(shown["rank"]) == [1, 2, 13, 14, 15, 16, 17, 29, 30]
    assert "the selected 9 of 30 rows" in note


def test_round_like_keeps_the_pages_precision() -> None:
    df = pd.DataFrame({"rate": [12.3456], "n": [7], "name": ["a"]})
    assert round_like(df, "{:,.1f}")["rate"].iloc[0] == 12.3
    assert round_like(df, "{:.3f}")["rate"].iloc[0] == 12.346
    assert round_like(df, "{:.1%}")["rate"].iloc[0] == 12.346  # percent: two more places
    assert round_like(df, "{}").equals(df)
