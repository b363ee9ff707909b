"""Every children's-services LA can be found in every LA-level table, under one code.

ONS recoded Barnsley and Sheffield in 2023 while DfE kept the old codes; a table that used the
new ones made the census measures silently vanish for those LAs (notebook 03 then failed).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from solihull_analytics.build import read_table

#: Published as joint services (e.g. "E09000021 / E09000027") or before the LA existed.
KNOWN_GAPS = {
    "workforce_la_year": {"E06000061", "E06000062", "E09000021", "E09000027"},
    # DWP's 2015-2022 release predates the 2023 split of Cumbria.
    "low_income_la_year": {"E06000063", "E06000064"},
}


@pytest.mark.parametrize(
    "table",
    [
        "census_la",
        "cin_la_year",
        "cla_la_year",
        "iod_lsoa",
        "population_la_year",
        "lsoa21_ward",
        "boundaries_la",
        "workforce_la_year",
        "low_income_la_year",
        "statistical_neighbours",
    ],
)
def test_every_la_is_in_the_table(processed: Path, table: str) -> None:
    las = set(read_table("children_services_la", processed)["la_code"])
    assert len(las) == 153
    codes = set(read_table(table, processed)["la_code"].astype(str))
    missing = las - codes - KNOWN_GAPS.get(table, set())
    assert not missing, f"{table} lacks {sorted(missing)}"
    assert not {"E08000038", "E08000039"} & codes, (
        f"{table} uses ONS's new Barnsley/Sheffield codes"
    )
