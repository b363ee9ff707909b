"""Behaviour unchanged (issue 15): every page's headline JSON for four LAs matches the snapshot
taken before the package was restructured (``tests/headline_snapshot.py`` says what is kept)."""

from __future__ import annotations

import json

import pytest
from headline_snapshot import PAGES, SNAPSHOT, SNAPSHOT_LAS, pack_fingerprints

pytestmark = [pytest.mark.slow, pytest.mark.mirror]


@pytest.mark.parametrize("la_code", SNAPSHOT_LAS)
def test_headline_json_matches_the_snapshot(render_pack_for, processed, la_code: str) -> None:
    if not (processed / "population_la_year.parquet").exists():
        pytest.skip("population_la_year has not been built")
    expected = json.loads(SNAPSHOT.read_text(encoding="utf-8"))[la_code]
    pack, results = render_pack_for(la_code, sorted(PAGES))
    failed = [r.summary() for r in results if r.status == "failed"]
    assert not failed, failed
    got = pack_fingerprints(pack)
    changed = sorted(k for k in expected if got.get(k) != expected[k])
    assert not changed, (
        f"{la_code}: headline JSON differs from the snapshot for {changed}; compare "
        f"{pack} with a render of the previous commit"
    )
