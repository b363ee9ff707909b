"""Tests for ``statistical_neighbours`` (DfE's lists, April 2021 and 2025 models)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from solihull_analytics.build import BuildError, read_table
from solihull_analytics.sources.neighbours import map_to_codes, parse_neighbour_csv

HEADER = "LA num,LA Name," + ",".join(f"SN{k},SNP" for k in range(1, 11)) + ",\n"


def _row(number: str, name: str, neighbours: list[str], band: str = "Very Close") -> str:
    return f"{number},{name}," + ",".join(f"{n},{band}" for n in neighbours) + ",\n"


def _sample() -> str:
    numbers = [f"{n}" for n in range(301, 312)]
    rows = [_row(n, f"LA {n}", [m for m in numbers if m != n][:10]) for n in numbers]
    old = _row("835", "Dorset (Pre LG)", numbers[:10])
    return HEADER + "".join(rows) + ",,,\n,Old SNs:,,\n" + old


def test_parse_reads_ranks_in_order_and_stops_before_old_lists() -> None:
    out = parse_neighbour_csv("sn.csv", _sample())
    assert "835" not in set(out["old_la_code"])  # the "Old SNs" block is not read
    first = out[out["old_la_code"] == "301"].sort_values("rank")
    assert first["neighbour_old_la_code"].tolist() == [str(n) for n in range(302, 312)]
    assert first["rank"].tolist() == list(range(1, 11))
    assert set(out["closeness"]) == {"Very close"}  # DfE's capitalisation varies


def test_parse_leaves_out_an_la_listed_without_neighbours() -> None:
    text = _sample().replace(",,,\n", _row("942", "Cumberland", ["-"] * 10, "-") + ",,,\n", 1)
    out = parse_neighbour_csv("sn.csv", text)
    assert "942" not in set(out["old_la_code"]) and len(out) == 110


def test_parse_reads_the_2025_layout_and_bands() -> None:
    text = "old_la_code,la_name," + ",".join(f"SN_{k},SN_{k}P" for k in range(1, 11)) + "\n"
    numbers = [f"{n}" for n in range(301, 312)]
    for n in numbers:
        text += _row(n, f"LA {n}", [m for m in numbers if m != n][:10], "Close ").rstrip(",\n")
        text += "\n"
    out = parse_neighbour_csv("sn.csv", text)
    assert len(out) == 110 and set(out["closeness"]) == {"Close"}


def test_parse_rejects_unknown_band_and_orphan_neighbour() -> None:
    with pytest.raises(BuildError, match="closeness"):
        parse_neighbour_csv("sn.csv", _sample().replace("Very Close", "Quite near"))
    with pytest.raises(BuildError, match="no row of their own"):
        parse_neighbour_csv("sn.csv", _sample().replace(",302,", ",399,", 1))


def test_map_to_codes_keeps_the_code_at_the_model_date() -> None:
    lists = pd.DataFrame({"old_la_code": ["815", "334"], "la_name": ["North Yorkshire", "Solihull"],
                          "rank": [1, 1], "neighbour_old_la_code": ["334", "815"],
                          "closeness": ["Close", "Close"]})
    current = {"815": "E10000023", "334": "E08000029"}  # renamed 1:1 to E06000065
    out = map_to_codes(lists, current, {"815": "E10000023"}, "sn.csv").set_index("old_la_code")
    assert out.loc["815", "la_code"] == "E06000065"
    assert out.loc["815", "la_code_at_model"] == "E10000023"
    assert out.loc["334", "la_code_at_model"] == "E08000029"  # absent: current code
    assert out.loc["334", "neighbour_code"] == "E06000065"
    with pytest.raises(BuildError, match="999"):
        map_to_codes(lists.assign(neighbour_old_la_code="999"), current, {}, "sn.csv")


# ------------------------------------------------------------------------------------------
# Golden tests against the published lists (mirror)
# ------------------------------------------------------------------------------------------

SOLIHULL_2021 = [
    "Stockport", "Warrington", "Cheshire West and Chester", "Warwickshire", "Trafford",
    "Cheshire East", "Bury", "Essex", "Central Bedfordshire", "East Riding of Yorkshire",
]
SOLIHULL_2025 = [
    "Stockport", "Cheshire West and Chester", "Warwickshire", "Warrington", "Kent",
    "Gloucestershire", "North Somerset", "Cheshire East", "Essex", "Hertfordshire",
]


@pytest.fixture(scope="module")
def neighbours(processed: Path) -> pd.DataFrame:
    return read_table("statistical_neighbours", processed)


@pytest.mark.parametrize(("model", "expected"), [("2021", SOLIHULL_2021), ("2025", SOLIHULL_2025)])
def test_golden_solihull_neighbours_in_order(
    neighbours: pd.DataFrame, processed: Path, model: str, expected: list[str]
) -> None:
    rows = neighbours[(neighbours["model"] == model) & (neighbours["la_code"] == "E08000029")]
    rows = rows.sort_values("rank")
    assert rows["neighbour_name"].tolist() == expected, "exact order"
    las = read_table("children_services_la", processed).set_index("la_code")["la_name"]
    assert rows["neighbour_code"].map(las).tolist() == expected, "codes name the same LAs"


def test_2025_model_covers_every_current_la_with_ten(
    neighbours: pd.DataFrame, processed: Path
) -> None:
    las = set(read_table("children_services_la", processed)["la_code"])
    m25 = neighbours[neighbours["model"] == "2025"]
    assert set(m25["la_code"]) == las
    assert (m25.groupby("la_code").size() == 10).all()
    assert set(m25["neighbour_code"]) <= las


def test_reorganised_las_are_flagged_in_the_2021_model(neighbours: pd.DataFrame) -> None:
    m21 = neighbours[neighbours["model"] == "2021"].drop_duplicates("la_code")
    moved = m21[m21["la_code"] != m21["la_code_at_model"]].set_index("la_code")
    assert set(moved.index) == {"E06000065", "E06000066"}  # North Yorkshire, Somerset
    assert {"E06000063", "E06000064"}.isdisjoint(m21["la_code"])  # Cumberland, W and F


@pytest.mark.parametrize(("model", "workbook"), [("2021", "dfe_sn_2021_xlsx"),
                                                 ("2025", "dfe_sn_2025_xlsx")])
def test_golden_workbook_copies_agree_with_the_csv_lists(
    neighbours: pd.DataFrame, model: str, workbook: str
) -> None:
    """DfE's xlsx copy of each model gives the same ordered lists as the CSV the table reads."""
    from solihull_analytics import paths
    from solihull_analytics.catalogue import load_catalogue
    from solihull_analytics.sources.neighbours import read_neighbour_workbook

    path = load_catalogue()[workbook].raw_path(paths.raw_dir())
    book = read_neighbour_workbook(path)
    table = neighbours[neighbours["model"] == model]
    shared = set(book["old_la_code"]) & set(table["old_la_code"])
    assert len(shared) >= 150
    key = ["old_la_code", "rank"]
    a = book[book["old_la_code"].isin(shared)].sort_values(key)
    b = table[table["old_la_code"].isin(shared)].sort_values(key)
    assert a["neighbour_old_la_code"].tolist() == b["neighbour_old_la_code"].tolist()
    assert a["closeness"].tolist() == b["closeness"].tolist()
