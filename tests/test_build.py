"""The build framework: incremental rebuilds, schema validation, atomic outputs."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
import pytest
import yaml

from solihull_analytics import build as build_module
from solihull_analytics import build_keys
from solihull_analytics.build import TableSpec, build, read_table

CSV = b"code,value\nA,1\nB,2\n"
SCHEMA = pa.DataFrameSchema({"code": pa.Column(str), "value": pa.Column(int, pa.Check.ge(0))})


@pytest.fixture()
def tiny_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    raw = tmp_path / "raw"
    (raw / "t").mkdir(parents=True)
    (raw / "t" / "in.csv").write_bytes(CSV)
    entry = {
        "id": "tiny_input",
        "title": "tiny",
        "publisher": "test",
        "release": "test",
        "vintage": "test",
        "licence": "OGL",
        "landing_page": "https://example.org",
        "format": "csv",
        "kind": "original",
        "theme": "t",
        "path": "t/in.csv",
        "mirrored": True,
        "mirror_path": "t/in.csv",
        "sha256": hashlib.sha256(CSV).hexdigest(),
    }
    cat = tmp_path / "catalogue.yaml"
    cat.write_text(yaml.safe_dump({"entries": [entry]}), encoding="utf-8")
    calls = {"n": 0}

    def builder(inputs: build_module.Inputs) -> pd.DataFrame:
        calls["n"] += 1
        df = pd.read_csv(inputs.path("tiny_input"), dtype={"code": str})
        return df

    spec = TableSpec("tiny_table", ("tiny_input",), (), builder, SCHEMA)
    monkeypatch.setitem(build_module.REGISTRY, "tiny_table", spec)
    return {"raw": raw, "processed": tmp_path / "processed", "catalogue": cat, "calls": calls}


def _build(p: dict) -> list:
    return build(
        ["tiny_table"],
        raw_dir=p["raw"],
        processed_dir=p["processed"],
        catalogue_file=p["catalogue"],
    )


def test_second_build_is_a_no_op_and_a_changed_input_rebuilds(tiny_project: dict) -> None:
    assert [r.status for r in _build(tiny_project)] == ["built"]
    assert [r.status for r in _build(tiny_project)] == ["unchanged"]
    assert tiny_project["calls"]["n"] == 1
    f = tiny_project["raw"] / "t" / "in.csv"
    f.write_bytes(CSV + b"C,3\n")
    assert [r.status for r in _build(tiny_project)] == ["built"]
    assert len(read_table("tiny_table", tiny_project["processed"])) == 3
    manifest = json.loads((tiny_project["processed"] / "manifest.json").read_text())
    assert manifest["tiny_table"]["rows"] == 3


def test_schema_failure_keeps_the_previous_table(tiny_project: dict) -> None:
    _build(tiny_project)
    (tiny_project["raw"] / "t" / "in.csv").write_bytes(b"code,value\nA,-5\n")
    results = _build(tiny_project)
    assert results[0].status == "failed"
    assert "tiny_table" in results[0].message and "schema" in results[0].message
    kept = read_table("tiny_table", tiny_project["processed"])
    assert kept["value"].tolist() == [1, 2], "a failed build must not replace a good table"


def test_a_table_the_library_no_longer_builds_is_retired(
    tiny_project: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A renamed table leaves neither a manifest entry nor a file behind after the next build."""
    _build(tiny_project)
    old = tiny_project["processed"] / "tiny_table.parquet"
    spec = build_module.REGISTRY.pop("tiny_table")
    renamed = TableSpec("tiny_table_renamed", spec.inputs, spec.optional_inputs, spec.builder,
                        SCHEMA)
    monkeypatch.setitem(build_module.REGISTRY, "tiny_table_renamed", renamed)
    lines: list[str] = []
    results = build(["tiny_table_renamed"], raw_dir=tiny_project["raw"],
                    processed_dir=tiny_project["processed"],
                    catalogue_file=tiny_project["catalogue"], progress=lines.append)
    assert [r.status for r in results] == ["built"]
    manifest = json.loads((tiny_project["processed"] / "manifest.json").read_text())
    assert "tiny_table" not in manifest and "tiny_table_renamed" in manifest
    assert not old.exists()
    assert any("removed tiny_table" in line for line in lines), lines


def test_missing_raw_file_names_the_fetch_command(tiny_project: dict) -> None:
    (tiny_project["raw"] / "t" / "in.csv").unlink()
    results = _build(tiny_project)
    assert results[0].status == "failed"
    assert "data fetch --only tiny_input" in results[0].message


def test_real_build_is_a_no_op_the_second_time(processed: Path) -> None:
    results = build()
    assert {r.status for r in results} == {"unchanged"}, [
        (r.name, r.status) for r in results if r.status != "unchanged"
    ]


def test_full_no_op_build_takes_the_fast_path_and_notices_changes(
    tiny_project: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    only_tiny = {"tiny_table": build_module.REGISTRY["tiny_table"]}
    monkeypatch.setattr(build_module, "load_registry", lambda: only_tiny)
    kwargs = dict(
        raw_dir=tiny_project["raw"],
        processed_dir=tiny_project["processed"],
        catalogue_file=tiny_project["catalogue"],
    )
    assert [r.status for r in build(**kwargs)] == ["built"]
    assert (tiny_project["processed"] / build_keys.FAST_STATE_NAME).exists()
    # A no-op full build must not even import the source modules.
    monkeypatch.setattr(build_module, "load_registry", lambda: pytest.fail("slow path taken"))
    assert [r.status for r in build(**kwargs)] == ["unchanged"]
    monkeypatch.setattr(build_module, "load_registry", lambda: only_tiny)
    (tiny_project["raw"] / "t" / "in.csv").write_bytes(CSV + b"C,3\n")
    assert [r.status for r in build(**kwargs)] == ["built"], "a changed raw file rebuilds"
    (tiny_project["processed"] / "tiny_table.parquet").unlink()
    assert [r.status for r in build(**kwargs)] == ["built"], "a deleted output rebuilds"
    assert tiny_project["calls"]["n"] == 3


def test_a_table_key_covers_the_source_modules_its_builder_imports() -> None:
    """A reader moved into a module of its own still rebuilds the tables that use it."""
    registry = build_module.load_registry()
    names = [p.name for p in build_keys.builder_sources(registry["cla_la_year"])]
    assert names[0] == "cla.py" and {"cla_readers.py", "cla_areas.py"} <= set(names)
    assert "_common.py" not in names  # in every key anyway
    assert [p.name for p in build_keys.builder_sources(registry["census_lsoa"])][0] == "census.py"


def test_boundary_layers_are_recognised_from_their_own_parquet_footer(tmp_path: Path) -> None:
    """read_table tells a GeoParquet layer from a plain table without the table registry."""
    import io

    import geopandas
    from shapely.geometry import Point

    from solihull_analytics.processed import is_geoparquet

    plain, geo = io.BytesIO(), io.BytesIO()
    pd.DataFrame({"code": ["E1"]}).to_parquet(plain)
    geopandas.GeoDataFrame({"code": ["E1"]}, geometry=[Point(0, 0)], crs=27700).to_parquet(geo)
    assert not is_geoparquet(plain.getvalue())
    assert is_geoparquet(geo.getvalue())


def test_a_kept_table_is_still_checked_and_callers_cannot_change_it(
    tiny_project: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a kernel kept across LAs, read_table parses a table once per content (issue 16), but
    checks its bytes every time and gives each caller its own copy."""
    from solihull_analytics.processed import TableCorruptError

    monkeypatch.setenv(build_module.KEEP_TABLES_ENV, "1")
    _build(tiny_project)
    first = read_table("tiny_table", tiny_project["processed"])
    first["value"] = first["value"] * 100
    first["extra"] = 1
    second = read_table("tiny_table", tiny_project["processed"])
    assert second["value"].tolist() == [1, 2] and "extra" not in second.columns
    table = tiny_project["processed"] / "tiny_table.parquet"
    data = bytearray(table.read_bytes())
    data[-10] ^= 0xFF  # same size, damaged footer
    table.write_bytes(bytes(data))
    with pytest.raises(TableCorruptError):
        read_table("tiny_table", tiny_project["processed"])


def test_read_table_reads_only_the_columns_and_rows_asked_for(tiny_project: dict) -> None:
    _build(tiny_project)
    part = read_table("tiny_table", tiny_project["processed"], columns=["code"],
                      filters=[("code", "==", "B")])
    assert part.columns.tolist() == ["code"] and part["code"].tolist() == ["B"]
