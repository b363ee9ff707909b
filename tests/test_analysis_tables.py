"""Analysis tables (issue 16): national analyses computed once per data build, from processed
tables, kept in the manifest with their sha256, rebuilt when an input changes, refused when
damaged or stale."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pytest

from solihull_analytics import analysis_tables
from solihull_analytics import build as build_module
from solihull_analytics import processed as processed_store
from solihull_analytics.analysis_tables import AnalysisSpec, StaleAnalysisError, read_analysis
from solihull_analytics.build import TableSpec, build

TOTAL_SCHEMA = pa.DataFrameSchema({"total": pa.Column(int, pa.Check.ge(0))})


@pytest.fixture()
def tiny_analysis(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    """A processed table built from a raw CSV, and an analysis summing it (its only input)."""
    raw = tmp_path / "raw" / "t"
    raw.mkdir(parents=True)
    (raw / "in.csv").write_text("code,value\nA,1\nB,2\n", encoding="utf-8")
    import hashlib

    import yaml

    entry = {"id": "tiny_input", "title": "tiny", "publisher": "test", "release": "test",
             "vintage": "test", "licence": "OGL", "landing_page": "https://example.org",
             "format": "csv", "kind": "original", "theme": "t", "path": "t/in.csv",
             "mirrored": True, "mirror_path": "t/in.csv",
             "sha256": hashlib.sha256((raw / "in.csv").read_bytes()).hexdigest()}
    catalogue = tmp_path / "catalogue.yaml"
    catalogue.write_text(yaml.safe_dump({"entries": [entry]}), encoding="utf-8")
    calls = {"n": 0}

    def tiny_builder(inputs: build_module.Inputs) -> pd.DataFrame:
        return pd.read_csv(inputs.path("tiny_input"), dtype={"code": str})

    def sum_builder(read: analysis_tables.Reader) -> dict[str, pd.DataFrame]:
        calls["n"] += 1
        return {"tiny_total": pd.DataFrame({"total": [int(read("tiny_table")["value"].sum())]})}

    spec = AnalysisSpec("tiny_sum", ("tiny_table",), {"tiny_total": TOTAL_SCHEMA}, sum_builder,
                        module="tests.tiny")
    registry = {"tiny_table": TableSpec("tiny_table", ("tiny_input",), (), tiny_builder)}
    monkeypatch.setattr(build_module, "load_registry", lambda: registry)
    monkeypatch.setattr(analysis_tables, "load_analyses", lambda: {"tiny_sum": spec})
    return {"raw": tmp_path / "raw", "processed": tmp_path / "processed",
            "catalogue": catalogue, "calls": calls}


def _build(p: dict, names: list[str] | None = None) -> dict[str, str]:
    results = build(names, raw_dir=p["raw"], processed_dir=p["processed"],
                    catalogue_file=p["catalogue"], jobs=1)
    return {r.name: r.status for r in results}


def _total(p: dict) -> int:
    return int(read_analysis("tiny_total", p["processed"])["total"].iloc[0])


def test_analysis_is_built_after_its_tables_and_recorded_with_its_sha256(tiny_analysis):
    assert _build(tiny_analysis) == {"tiny_table": "built", "tiny_total": "built"}
    assert _total(tiny_analysis) == 3
    manifest = processed_store.read_manifest(tiny_analysis["processed"])
    entry = manifest["tiny_total"]
    assert entry["kind"] == "analysis"
    assert entry["sha256"] == processed_store.sha256_file(
        tiny_analysis["processed"] / "tiny_total.parquet")
    assert entry["tables"] == {"tiny_table": manifest["tiny_table"]["sha256"]}
    assert _build(tiny_analysis, ["tiny_table"]) == {"tiny_table": "unchanged",
                                                     "tiny_total": "unchanged"}
    assert tiny_analysis["calls"]["n"] == 1


def test_a_changed_input_table_makes_the_analysis_stale_until_rebuilt(tiny_analysis):
    _build(tiny_analysis)
    (tiny_analysis["raw"] / "t" / "in.csv").write_text("code,value\nA,1\nB,2\nC,4\n",
                                                        encoding="utf-8")
    # Rebuilding only the input table (no analysis named) still brings the analysis up to date.
    assert _build(tiny_analysis, ["tiny_table"]) == {"tiny_table": "built", "tiny_total": "built"}
    assert _total(tiny_analysis) == 7
    # An input table rebuilt behind the analysis's back (manifest says so): refused, not served.
    manifest = processed_store.read_manifest(tiny_analysis["processed"])
    manifest["tiny_table"]["sha256"] = "0" * 64
    processed_store.write_manifest(tiny_analysis["processed"], manifest)
    with pytest.raises(StaleAnalysisError, match="tiny_table changed") as info:
        _total(tiny_analysis)
    assert "\n" not in str(info.value) and "data build" in str(info.value)


def test_a_damaged_analysis_table_is_refused_then_rebuilt(tiny_analysis):
    _build(tiny_analysis)
    table = tiny_analysis["processed"] / "tiny_total.parquet"
    table.write_bytes(table.read_bytes()[:-8] + b"damaged!")
    with pytest.raises(processed_store.TableCorruptError) as info:
        _total(tiny_analysis)
    assert "\n" not in str(info.value) and "tiny_total" in str(info.value)
    assert _build(tiny_analysis) == {"tiny_table": "unchanged", "tiny_total": "built"}
    assert _total(tiny_analysis) == 3


def test_an_analysis_reads_only_the_tables_it_declares(tiny_analysis, monkeypatch):
    spec = analysis_tables.load_analyses()["tiny_sum"]
    sneaky = AnalysisSpec("tiny_sum", (), spec.outputs, spec.builder, module="tests.tiny")
    monkeypatch.setattr(analysis_tables, "load_analyses", lambda: {"tiny_sum": sneaky})
    results = build(["tiny_table", "tiny_total"], raw_dir=tiny_analysis["raw"],
                    processed_dir=tiny_analysis["processed"],
                    catalogue_file=tiny_analysis["catalogue"], jobs=1)
    failed = [r for r in results if r.status == "failed"]
    assert [r.name for r in failed] == ["tiny_total"]
    assert "without declaring it" in failed[0].message


# -- page 05's national benchmark on the mirror's data ----------------------------------------


def test_stored_national_benchmark_is_the_computed_one(processed):
    """What the page reads from the analysis tables is exactly what it would compute."""
    from solihull_analytics.pages.benchmarking import national_tables as nt
    from solihull_analytics.pages.benchmarking.compute import national_benchmark
    from solihull_analytics.pages.benchmarking.inputs import load_inputs

    sources, stored = nt.read_national(processed, dict(nt.DEFAULTS))
    inputs = load_inputs(processed)
    computed = national_benchmark(inputs, **nt.DEFAULTS)
    for name in ("rates", "dep", "funnel", "oe_funnel", "change"):
        pd.testing.assert_frame_equal(getattr(stored, name), getattr(computed, name),
                                      check_exact=True)
    pairs = [(stored.model, computed.model), *(
        (a.model, b.model) for a, b in zip(stored.sensitivity, computed.sensitivity, strict=True))]
    for a, b in pairs:
        pd.testing.assert_frame_equal(a.data, b.data, check_exact=True)
        pd.testing.assert_frame_equal(a.params, b.params, check_exact=True)
        assert json.dumps(a.diagnostics) == json.dumps(b.diagnostics)
        assert np.array_equal(a.coef_cov, b.coef_cov)
        assert [getattr(a, k) for k in nt.MODEL_SCALARS[:-1]] == [
            getattr(b, k) for k in nt.MODEL_SCALARS[:-1]]
    assert (stored.year, stored.england_rate, stored.cla_ids) == (
        computed.year, computed.england_rate, computed.cla_ids)
    assert sources.source_ids == inputs.source_ids
    assert nt.read_national(processed, {**nt.DEFAULTS, "cla_series": "all"}) is None


def test_page_05_stops_on_a_damaged_benchmark_table(processed, tmp_path):
    """A damaged analysis table stops the page with a one-line error; it is not recomputed."""
    from solihull_analytics.pages.benchmarking import page as bm

    copy = tmp_path / "processed"
    shutil.copytree(processed, copy)
    table = copy / "benchmark_models.parquet"
    data = bytearray(table.read_bytes())
    data[len(data) // 2] ^= 0xFF
    table.write_bytes(bytes(data))
    with pytest.raises(processed_store.TableCorruptError) as info:
        bm.prepare("E08000029", copy)
    assert "\n" not in str(info.value) and "benchmark_models" in str(info.value)
