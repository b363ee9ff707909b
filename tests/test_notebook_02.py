"""Notebook 02 (IDACI 2007-2025) renders for Solihull and three other kinds of LA, and still
renders, saying what is missing, when a release's files are removed from the raw cache."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from solihull_analytics.geo.las import la_info
from tests.pages import has_error_text, page_text

NB = "02_idaci_deprivation"
OTHER_LAS = ["E09000033", "E10000016", "E06000023"]  # London borough, county, unitary
#: Tables notebook 02 reads (rebuilt in the isolated data folder).
TABLES_02 = [
    "children_services_la",
    "la_lookup",
    "iod_lsoa",
    "iod_releases",
    "population_lsoa",
    "lsoa_lookup_11_21",
    "lsoa_lookup_01_11",
    "boundaries_lsoa11",
    "boundaries_lsoa21_wmca",
    "boundaries_ward_wm",
    "lsoa21_ward",
]


def _check_page(pack: Path, la_code: str, processed: Path) -> dict:
    doc = json.loads((pack / f"{NB}.json").read_text(encoding="utf-8"))
    assert doc["la_code"] == la_code
    assert doc["la_name"] == la_info(la_code, processed).name
    text = page_text(pack / f"{NB}.html", strip_tags=True)
    assert not has_error_text(text)
    return doc


@pytest.mark.slow
@pytest.mark.mirror
def test_notebook_02_solihull(render_pack_for, processed):
    t0 = time.perf_counter()
    pack, results = render_pack_for("E08000029", ["02"])
    assert results[0].status != "failed", results[0]
    doc = _check_page(pack, "E08000029", processed)
    heads = {h["name"]: h for h in doc["headlines"]}
    # golden: the report's Table 1 at IoD2019, exactly
    assert [heads[f"lsoas_most_deprived_{p}pct_iod2019"]["value"] for p in (20, 10, 5, 2)] == [
        23,
        20,
        9,
        2,
    ]
    # IoD2015 from published deciles
    assert heads["lsoas_most_deprived_20pct_iod2015"]["value"] == 22
    assert heads["lsoas_most_deprived_10pct_iod2015"]["value"] == 16
    # IoD2025 on 2021 LSOAs: 134 in Solihull of 33,755 in England
    h25 = heads["lsoas_most_deprived_20pct_iod2025"]
    assert "Counted on 2021 LSOAs: 134 in Solihull of 33,755 in England" in h25["note"]
    # children aged 0-15 (File 6, mid-2015) in the most deprived 20%: 21.5% (report: 21%)
    share = heads["children_share_most_deprived_20pct_iod2019"]["value"]
    assert (
        abs(share - 21.0) < 1.0
        and "mid-2015" in heads["children_share_most_deprived_20pct_iod2019"]["note"]
    )
    html = (pack / f"{NB}.html").read_text(encoding="utf-8")
    assert "report (published)" in html and "not available in the data used" in html
    assert "North Solihull" in html  # the configured sub-area is drawn on the maps
    assert html.count("data:image/png") >= 5  # decile chart, three maps, growth chart
    print(
        f"render 02 Solihull: {results[0].seconds if hasattr(results[0], 'seconds') else ''}"
        f" {time.perf_counter() - t0:.1f} s"
    )


@pytest.mark.slow
@pytest.mark.mirror
@pytest.mark.parametrize("la_code", OTHER_LAS)
def test_notebook_02_other_las(render_pack_for, processed, la_code):
    pack, results = render_pack_for(la_code, ["02"])
    assert results[0].status != "failed", results[0]
    doc = _check_page(pack, la_code, processed)
    heads = {h["name"]: h for h in doc["headlines"]}
    assert "lsoas_most_deprived_20pct_iod2025" in heads
    assert "Counted on 2021 LSOAs" in heads["lsoas_most_deprived_20pct_iod2025"]["note"]
    html = (pack / f"{NB}.html").read_text(encoding="utf-8")
    assert html.count("data:image/png") >= 4  # decile chart and the maps
    # outside the West Midlands CA the 2021 LSOA polygons are not in the mirror
    assert "shown on 2011 LSOA boundaries" in html
    assert "report (published)" not in html  # the report's column is Solihull's only


@pytest.mark.slow
@pytest.mark.mirror
def test_notebook_02_renders_without_iod2025(processed, tmp_path, monkeypatch):
    """Isolated copy: raw = symlinks to data/raw minus the IoD2025 files; nothing is deleted."""
    from solihull_analytics import paths
    from solihull_analytics.build import build
    from solihull_analytics.catalogue import load_catalogue
    from solihull_analytics.report.pipeline import render_pack

    real_raw = paths.raw_dir()
    cat = load_catalogue()
    removed = {cat[i].path for i in cat if i.startswith("iod2025_")}
    data = tmp_path / "data"
    raw = data / "raw"
    for src in real_raw.rglob("*"):
        rel = src.relative_to(real_raw).as_posix()
        if src.is_file() and rel not in removed:
            (raw / rel).parent.mkdir(parents=True, exist_ok=True)
            (raw / rel).symlink_to(src)
    assert not (raw / next(iter(removed))).exists()
    monkeypatch.setenv("SOLIHULL_DATA_DIR", str(data))
    build(TABLES_02, raw_dir=raw, processed_dir=data / "processed")
    result = render_pack(
        "E08000029",
        notebooks=["02"],
        reports_dir=tmp_path / "reports",
        processed_dir=data / "processed",
        run_date="2026-01-31",
        force=True,
    )
    assert result.notebooks[0].status != "failed", result.notebooks[0]
    pack = tmp_path / "reports" / "E08000029"
    doc = _check_page(pack, "E08000029", data / "processed")
    missing = " ".join(m["what"] for m in doc["missing_data"])
    assert "IoD2025" in missing
    assert all(m["where"] for m in doc["missing_data"])
    text = page_text(pack / f"{NB}.html", strip_tags=True)
    assert "IoD2025" in text and "not available in the data used" in text.lower()
    heads = {h["name"]: h["value"] for h in doc["headlines"]}
    # iod_lsoa is built without IoD2025: the other releases are still computed
    assert (data / "processed" / "iod_lsoa.parquet").exists()
    assert heads["lsoas_most_deprived_20pct_iod2019"] == 23
    assert "lsoas_most_deprived_20pct_iod2025" not in heads
    for f in real_raw.rglob("IoD2025*"):  # the real raw cache is untouched
        assert f.exists()
