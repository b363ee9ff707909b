"""Notebook 05 renders for Solihull and three other kinds of LA, with names from the data."""

from __future__ import annotations

import json

import pytest

from solihull_analytics.geo.las import la_info
from tests.pages import has_error_text, page_text

LAS = ["E08000029", "E09000033", "E10000016", "E06000023"]  # metropolitan, London, county, unitary


@pytest.mark.parametrize("la_code", LAS)
def test_notebook_05_renders(render_pack_for, processed, la_code):
    pack, results = render_pack_for(la_code, ["05"])
    assert results[0].status != "failed", results[0]
    doc = json.loads((pack / "05_benchmarking.json").read_text(encoding="utf-8"))
    assert doc["la_code"] == la_code
    assert doc["la_name"] == la_info(la_code, processed).name
    html = page_text(pack / "05_benchmarking.html")
    assert not has_error_text(html)
    heads = {h["name"]: h for h in doc["headlines"]}
    assert {"cla_rate_latest", "cla_expected_rate", "cla_oe_ratio", "cla_oe_rank",
            "funnel_position", "deprivation_rate_ratio"} <= set(heads)
    oe = heads["cla_oe_ratio"]
    assert oe["lower"] < oe["value"] < oe["upper"]
    assert heads["deprivation_rate_ratio"]["lower"] > 1
    assert doc["la_name"] in html
    assert "Appendix: model and diagnostics" in html
    assert "follow OHID's funnel method" in html  # the funnel method note (issue 12)
    assert "DfE statistical neighbours, 2025 model" in html  # DfE's list, named
    if la_code == "E08000029":
        assert "Warwickshire" in html and "Closeness (DfE band)" in html
        assert oe["value"] == pytest.approx(1.42, abs=0.05)
        assert heads["cla_rate_latest"]["value"] == pytest.approx(90.8, abs=0.05)
