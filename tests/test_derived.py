"""derived_table: what pages derive from a national table, kept per warm kernel (issue 16)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

from solihull_analytics import derived
from solihull_analytics.build import KEEP_TABLES_ENV
from solihull_analytics.derived import derived_table
from solihull_analytics.processed import TableCorruptError


def _write(processed: Path, frame: pd.DataFrame) -> None:
    """A processed table ``t`` and the manifest entry a build would record for it."""
    processed.mkdir(exist_ok=True)
    path = processed / "t.parquet"
    frame.to_parquet(path, index=False)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    (processed / "manifest.json").write_text(json.dumps({"t": {"sha256": sha}}))


@pytest.fixture(autouse=True)
def _empty_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(derived, "_DERIVED", {})


def _count_calls(calls: list[int]):  # noqa: ANN202 - a test helper
    def total_by_code(t: pd.DataFrame) -> pd.DataFrame:
        calls.append(len(t))
        return t.groupby("code", as_index=False)["value"].sum()
    return total_by_code


FRAME = pd.DataFrame({"code": ["A", "A", "B", "C"], "year": [1, 2, 1, 1],
                      "value": [1, 2, 3, 4], "note": ["x", "y", "z", "w"]})


def test_reads_only_the_rows_and_columns_asked_for(tmp_path: Path) -> None:
    _write(tmp_path, FRAME)
    seen: list[pd.DataFrame] = []

    def keep(t: pd.DataFrame) -> pd.DataFrame:
        seen.append(t)
        return t

    out = derived_table("t", keep, 1, tmp_path, columns=["code", "value"],
                        filters=[("year", "==", 1)])
    assert out.columns.tolist() == ["code", "value"]
    assert out["code"].tolist() == ["A", "B", "C"]


def test_one_la_render_keeps_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEEP_TABLES_ENV, raising=False)
    _write(tmp_path, FRAME)
    calls: list[int] = []
    derive = _count_calls(calls)
    derived_table("t", derive, (), tmp_path)
    derived_table("t", derive, (), tmp_path)
    assert calls == [4, 4] and derived._DERIVED == {}


def test_warm_kernel_derives_once_per_content_and_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEEP_TABLES_ENV, "1")
    _write(tmp_path, FRAME)
    calls: list[int] = []
    derive = _count_calls(calls)
    first = derived_table("t", derive, "k", tmp_path)
    first["value"] = 0  # a caller's change never reaches the kept result
    again = derived_table("t", derive, "k", tmp_path)
    assert calls == [4] and again["value"].tolist() == [3, 3, 4]
    derived_table("t", derive, "other key", tmp_path)
    derived_table("t", derive, "k", tmp_path, filters=[("year", "==", 1)])
    assert calls == [4, 4, 3]
    _write(tmp_path, FRAME.assign(value=FRAME["value"] * 10))  # rebuilt: new content
    assert derived_table("t", derive, "k", tmp_path)["value"].tolist() == [30, 30, 40]
    assert calls == [4, 4, 3, 4]


def test_a_damaged_table_is_refused_even_when_its_result_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEEP_TABLES_ENV, "1")
    _write(tmp_path, FRAME)
    derive = _count_calls([])
    derived_table("t", derive, (), tmp_path)
    path = tmp_path / "t.parquet"
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(TableCorruptError):
        derived_table("t", derive, (), tmp_path)


def test_population_read_as_categoricals_is_what_astype_gives(tmp_path: Path) -> None:
    """Page 02 reads ``population_lsoa``'s child age bands with their text as categoricals from
    the file's dictionary (issue 16, memory): after ``compact_population`` the frame is the one
    converting the strings gives, unused and unsorted dictionary values dropped and sorted."""
    from pandas.testing import assert_frame_equal

    from solihull_analytics.pages.deprivation import inputs

    population = pd.DataFrame({
        "lsoa_code": ["E2", "E1", "E2", "E1", "E1"],
        "source": ["sape", "census", "census", "sape", "census"],
        "age_band": ["all", "0-17", "0-15", "0-15", "16-17"],
        "population": [9, 5, 4, 3, 1],
        "source_id": ["s1", "c1", "c1", "s1", "c1"],
    })
    _write(tmp_path, population)
    bands = [("age_band", "in", list(inputs.POPULATION_AGE_BANDS))]
    got = derived_table("t", inputs.compact_population, (), tmp_path, filters=bands,
                        read_dictionary=inputs.POPULATION_CATEGORIES)
    rows = population[population["age_band"].isin(inputs.POPULATION_AGE_BANDS)]
    want = rows.astype({c: "category" for c in inputs.POPULATION_CATEGORIES})
    assert_frame_equal(got, want.reset_index(drop=True))
    assert list(got["age_band"].cat.categories) == ["0-15", "0-17"]


@pytest.mark.parametrize("options", [
    {"filters": [("year", "==", 1)]},
    {"columns": ["code", "note", "n"], "filters": [("code", "in", ["A", "C", "Q"])]},
    {"filters": [("code", "==", "none")]},
    {"filters": [("year", "==", 1)], "read_dictionary": ["note"]},
    {"columns": ["note"], "filters": [("year", "==", 1), ("code", "!=", "B")]},
    {"filters": [[("year", "==", 2)], [("code", "==", "C")]]},
    {},
])
def test_filtered_text_decoded_late_reads_what_pandas_reads(options: dict) -> None:
    """parse_table reads filtered text columns dictionary-encoded and decodes them after the
    filter (issue 16); the frame is the one pandas.read_parquet gives: values, missing text,
    nullable integers, dtypes, column order and categoricals asked for."""
    import io

    from solihull_analytics.processed import parse_table

    frame = FRAME.assign(note=["x", None, "z", "x"], n=pd.array([1, None, 3, 4], dtype="Int64"))
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    data = buffer.getvalue()
    got = parse_table(data, **options)
    want = pd.read_parquet(io.BytesIO(data), **options)
    pd.testing.assert_frame_equal(got, want, check_exact=True, check_column_type=True)
    assert got.dtypes.astype(str).tolist() == want.dtypes.astype(str).tolist()
