"""Page 00's computation on small in-memory fixtures (no mirror, no processed tables)."""

from __future__ import annotations

import pandas as pd

from solihull_analytics.pages.data_sources import compute


def _entries() -> pd.DataFrame:
    base = {"title": "t", "release": "r", "licence": "OGL", "kind": "csv", "sha256_short": "ab",
            "landing_page": "https://example.org/page"}
    return pd.DataFrame([
        {**base, "id": "a", "publisher": "ONS", "present": True, "mirrored": True,
         "download_url": "https://example.org/a.csv"},
        {**base, "id": "b", "publisher": "DfE", "present": False, "mirrored": True,
         "download_url": "https://example.org/b.csv"},
        {**base, "id": "c", "publisher": "DfE", "present": False, "mirrored": False,
         "download_url": None},
    ])


def test_availability_says_why_a_file_is_missing_and_where_to_get_it() -> None:
    assert compute.availability(True, False, None, None) == "yes"
    assert compute.availability(False, True, "https://x/f.csv", None) == "not fetched yet"
    assert compute.availability(False, False, "https://x/f.csv", "https://x") == (
        "not in the mirror: https://x/f.csv")
    assert compute.availability(False, False, None, "https://x") == "not in the mirror: https://x"


def test_used_by_inverts_table_inputs_in_table_order() -> None:
    used = compute.used_by({"t1": ["a", "b"], "t2": ["a"], "t3": []})
    assert used == {"a": ["t1", "t2"], "b": ["t1"]}


def test_sources_table_has_one_row_per_entry_with_availability_and_use() -> None:
    out = compute.sources_table(_entries(), {"t1": ["a", "b"], "t2": ["a"]})
    assert list(out.columns) == compute.SOURCES_COLUMNS
    assert out["available"].tolist() == ["yes", "not fetched yet",
                                         "not in the mirror: https://example.org/page"]
    assert out["used_by"].tolist() == ["t1, t2", "t1", ""]


def test_available_and_missing_files_partition_the_sources() -> None:
    sources = compute.sources_table(_entries(), {})
    assert compute.available_files(sources)["id"].tolist() == ["a"]
    assert compute.missing_files(sources)["id"].tolist() == ["b", "c"]


def test_period_span_uses_the_first_period_column_with_values() -> None:
    df = pd.DataFrame({"mid_year": [2012, 2020, 2016], "year": [None, None, None]})
    assert compute.period_span(df) == "2012 to 2020"
    assert compute.period_span(df[df["mid_year"] == 2016]) == "2016"
    assert compute.period_span(pd.DataFrame({"value": [1]})) == ""
    assert compute.period_span(df.iloc[0:0]) == ""


def test_coverage_counts_only_the_las_rows() -> None:
    df = pd.DataFrame({"la_code": ["E1", "E1", "E2"], "year": [2020, 2024, 2019]})
    row = compute.coverage_row("cla", df, "E1", ["x", "y"])
    assert row == {"table": "cla", "rows_for_la": 2, "periods": "2020 to 2024",
                   "built_from": "x, y"}
    none = compute.coverage_row("cla", df, "E9", [])
    assert (none["rows_for_la"], none["periods"]) == (0, "")
    table = compute.coverage_table([row, none])
    assert list(table.columns) == compute.COVERAGE_COLUMNS
    assert compute.tables_with_rows(table)["table"].tolist() == ["cla"]


def test_coverage_table_keeps_its_columns_when_empty() -> None:
    empty = compute.coverage_table([])
    assert list(empty.columns) == compute.COVERAGE_COLUMNS and empty.empty


def test_table_inputs_are_in_name_order_whatever_was_imported_first() -> None:
    """A kept kernel may have imported some source modules before page 00 runs; the tables a
    file is used by must not come out in another order than in a fresh kernel."""
    from solihull_analytics.build_registry import load_registry
    from solihull_analytics.pages.data_sources.inputs import table_inputs

    names = list(table_inputs())
    assert names == sorted(load_registry()) and len(names) > 10
