"""LSOA lookups across vintages (geo/lsoa.py): which release and boundaries, from the registry."""

from __future__ import annotations

from pathlib import Path

import pytest

from solihull_analytics.geo import lsoa


def _release(label: str, year: int, order: int, vintage: int) -> str:
    return (
        f"- {{kind: iod, label: {label}, year: {year}, order: {order}, lsoa_vintage: {vintage}, "
        f"files: [{{id: {label.lower()}, role: base, layout: iod_table}}]}}\n"
    )


def _boundaries(vintage: int, covers: str) -> str:
    return (
        f"- {{kind: geography, label: LSOA {vintage}, level: lsoa_boundaries, year: {vintage}, "
        f"order: {vintage}, covers: {covers}, "
        f"files: [{{id: b{vintage}, role: boundaries, layout: ons_lsoa_boundaries}}]}}\n"
    )


REGISTRY = "releases:\n" + "".join(
    _release(*r) for r in (("A", 2010, 1, 2001), ("B", 2015, 2, 2011), ("C", 2019, 3, 2011),
                           ("D", 2025, 4, 2021))
) + _boundaries(2011, "England") + _boundaries(2021, "West Midlands")


@pytest.fixture()
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "releases.yaml"
    path.write_text(REGISTRY, encoding="utf-8")
    monkeypatch.setenv("SOLIHULL_RELEASES", str(path))
    return path


def test_the_england_wide_boundaries_are_the_2011_lsoas() -> None:
    vintage = lsoa.england_boundary_vintage()
    assert vintage == 2011
    assert lsoa.boundary_tables()[vintage] == ("boundaries_lsoa11", lsoa.WHOLE_COUNTRY)
    assert set(lsoa.boundary_source_ids()) == set(lsoa.boundary_tables()) == {2011, 2021}


def test_boundary_tables_follow_the_registry(registry: Path) -> None:
    """Tables are named from the vintage when a record names none; a new vintage is found."""
    assert lsoa.boundary_tables() == {2011: ("boundaries_lsoa11", "England"),
                                      2021: ("boundaries_lsoa21", "West Midlands")}
    registry.write_text(REGISTRY + _boundaries(2031, "England"), encoding="utf-8")
    assert lsoa.england_boundary_vintage() == 2031
    assert lsoa.boundary_table(2031) == "boundaries_lsoa31"
    with pytest.raises(ValueError, match="known vintages: 2011, 2021, 2031"):
        lsoa.boundary_table(2001)


def test_releases_come_from_the_registry(registry: Path) -> None:
    assert lsoa.latest_release_on_vintage(2011) == "C"
    assert lsoa.latest_release_on_vintage(2021) == "D"
    with pytest.raises(ValueError, match="no IoD release of the registry is on 1991 LSOAs"):
        lsoa.latest_release_on_vintage(1991)
    assert lsoa.resolve_idaci_release(lsoa.FOR_COHORT, 2019) == "C"
    assert lsoa.resolve_idaci_release(lsoa.FOR_COHORT, 2024) == "C"
    assert lsoa.resolve_idaci_release("latest", 2019) == "D"
    assert lsoa.release_vintage("B") == 2011
    with pytest.raises(ValueError, match="no IoD release of the registry was published by 2009"):
        lsoa.resolve_idaci_release(lsoa.FOR_COHORT, 2009)


def test_the_synthetic_generator_follows_the_registry(registry: Path) -> None:
    """No release label in the generator: a new release on the England-wide LSOAs is used."""
    from solihull_analytics.ssda903 import synthetic

    assert synthetic.default_release() == "C"
    registry.write_text(REGISTRY + _release("E", 2027, 5, 2011), encoding="utf-8")
    assert synthetic.default_release() == "E"


def test_unknown_boundary_vintage_is_refused() -> None:
    with pytest.raises(ValueError, match="no LSOA boundaries of vintage 2001"):
        lsoa.lsoa_boundaries(2001)


def test_boundaries_in_box_select_as_cx_does_a_slice_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Page 04 places postcodes without holding all England's polygons (issue 16): the
    polygons read a slice at a time are those ``.cx`` selects from the whole table, in order
    and with the same index labels."""
    import hashlib
    import json

    import geopandas as gpd
    from pandas.testing import assert_frame_equal
    from shapely.geometry import box

    whole = gpd.GeoDataFrame(
        {"lsoa11_code": [f"E0100000{i}" for i in range(7)]},
        geometry=[box(i * 10, 0, i * 10 + 8, 8) for i in range(7)], crs=27700)
    path = tmp_path / "polys.parquet"
    whole.to_parquet(path, index=False)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    (tmp_path / "manifest.json").write_text(json.dumps({"polys": {"sha256": sha}}))
    monkeypatch.setattr(lsoa, "BOUNDARY_SLICE_ROWS", 2)
    for x0, x1 in [(15, 35), (-5, 100), (200, 300), (9, 9.5)]:
        got = lsoa.boundaries_in_box("polys", (x0, -1, x1, 9), tmp_path)
        want = whole.cx[x0:x1, -1:9]
        assert_frame_equal(got, want)
        assert got.crs == want.crs
    assert lsoa.boundaries_in_box("polys", (15, -1, 35, 9), tmp_path)["lsoa11_code"].tolist() \
        == ["E01000001", "E01000002", "E01000003"]


def test_rows_where_in_reads_only_the_rows_asked_for(tmp_path: Path) -> None:
    """Page 02's maps read one LA's polygons with a row filter (issue 16): the rows are those
    the whole table holds for these codes, in the table's order, with its CRS; no codes, no
    rows; and a table changed since the build is refused as every read refuses it."""
    import hashlib
    import json

    import geopandas as gpd
    from shapely.geometry import box

    from solihull_analytics.processed import TableCorruptError

    whole = gpd.GeoDataFrame(
        {"lsoa11_code": [f"E0100000{i}" for i in range(7)], "name": list("abcdefg")},
        geometry=[box(i * 10, 0, i * 10 + 8, 8) for i in range(7)], crs=27700)
    path = tmp_path / "polys.parquet"
    whole.to_parquet(path, index=False)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    (tmp_path / "manifest.json").write_text(json.dumps({"polys": {"sha256": sha}}))
    wanted = ["E01000005", "E01000001", "E01000009"]  # unordered, one not in the table
    got = lsoa.rows_where_in("polys", "lsoa11_code", wanted, tmp_path,
                             columns=["lsoa11_code", "geometry"])
    assert isinstance(got, gpd.GeoDataFrame) and got.crs == whole.crs
    assert got["lsoa11_code"].tolist() == ["E01000001", "E01000005"]
    assert list(got.columns) == ["lsoa11_code", "geometry"]
    assert got.geometry.equals(whole.geometry.iloc[[1, 5]].reset_index(drop=True))
    assert len(lsoa.rows_where_in("polys", "lsoa11_code", [], tmp_path)) == 0
    path.write_bytes(path.read_bytes() + b"x")
    with pytest.raises(TableCorruptError):
        lsoa.rows_where_in("polys", "lsoa11_code", wanted, tmp_path)
