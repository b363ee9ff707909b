"""Notebook 01 renders for Solihull and three other kinds of LA, with names from the data."""

from __future__ import annotations

import json
import re

import pytest

from solihull_analytics.geo.las import la_info
from tests.pages import has_error_text, page_text

LAS = ["E08000029", "E09000033", "E10000016", "E06000023"]  # metropolitan, London, county, unitary


@pytest.mark.parametrize("la_code", LAS)
def test_notebook_01_renders(render_pack_for, processed, la_code):
    if not (processed / "population_la_year.parquet").exists():
        pytest.skip("population_la_year has not been built")
    pack, results = render_pack_for(la_code, ["01"])
    assert results[0].status != "failed", results[0]
    doc = json.loads((pack / "01_cla_trend.json").read_text(encoding="utf-8"))
    assert doc["la_code"] == la_code
    assert doc["la_name"] == la_info(la_code, processed).name
    html = (pack / "01_cla_trend.html").read_text(encoding="utf-8")
    assert not has_error_text(page_text(html))
    heads = {h["name"]: h for h in doc["headlines"]}
    latest = heads["cla_rate_latest"]
    assert latest["lower"] < latest["value"] < latest["upper"]
    assert {"cla_rate_non_uasc_latest", "cla_non_uasc_change_window",
            "cla_non_uasc_change_ratio", "cla_rate_ratio_to_england"} <= set(heads)
    if la_code == "E08000029":
        assert "99.7" in html  # the report's 2022 rate, reproduced on the same-year convention
        text = re.sub(r"\s+", " ", page_text(html, strip_tags=True))
        for label, value in (("Solihull non-UASC rate per 10,000, 2007", "44.6"),
                             ("England non-UASC rate per 10,000, 2007", "50.7")):
            assert re.search(rf"{label} {value} {value} \+0\.0 reproduced", text), label
        assert "Years without a recomputed rate" not in text  # every year 2006-2025
        assert "Denominators by year: 2006-2012" in text
        assert "2025 model" in text and "April 2021 model" in text  # DfE's neighbours, named
        assert "computed stand-in" not in text  # DfE lists Solihull in both models
