"""The data catalogue: complete entries, hashes that match the mirror, clear errors."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pytest
import yaml

from solihull_analytics.catalogue import REQUIRED_FIELDS, CatalogueError, load_catalogue

# Official releases the mirror lacks; the issue asks for catalogue entries that point to them.
NOT_MIRRORED_EXPECTED = {
    "id2007_indices_zip",
    "id2010_all_domains",
    "iod2015_file3",
    "census2021_ts003_lsoa21",
    "dwp_cilif_lsoa",
}


def test_every_entry_is_complete() -> None:
    entries = load_catalogue()
    assert len(entries) >= 100
    for e in entries.values():
        for f in REQUIRED_FIELDS:
            assert getattr(e, f) not in (None, ""), f"{e.id}: {f} is empty"
        assert e.landing_page.startswith("http"), f"{e.id}: landing_page is not a URL"
        if e.mirrored:
            assert e.sha256 and len(e.sha256) == 64, f"{e.id}: mirrored entry without sha256"


def test_catalogue_has_not_mirrored_official_releases() -> None:
    entries = load_catalogue()
    missing = NOT_MIRRORED_EXPECTED - set(entries)
    assert not missing, f"catalogue lacks entries for {sorted(missing)}"
    for entry_id in NOT_MIRRORED_EXPECTED:
        assert entries[entry_id].mirrored is False


def test_every_mirror_file_is_catalogued(mirror_dir: Path) -> None:
    entries = load_catalogue()
    catalogued = {e.mirror_path for e in entries.values() if e.mirror_path}
    on_disk = {
        p.relative_to(mirror_dir).as_posix()
        for p in mirror_dir.rglob("*")
        if p.is_file() and p.name not in {"SOURCES.md", "README.md"}
    }
    assert on_disk - catalogued == set(), f"mirror files without an entry: {on_disk - catalogued}"
    assert catalogued - on_disk == set(), (
        f"entries pointing at absent files: {catalogued - on_disk}"
    )


def test_every_mirrored_file_matches_its_published_hash(mirror_dir: Path) -> None:
    bad = []
    for e in load_catalogue().values():
        if not e.mirrored:
            continue
        data = (mirror_dir / e.mirror_path).read_bytes()
        if e.mirror_compression == "gzip":
            assert hashlib.sha256(data).hexdigest() == e.mirror_sha256, f"{e.id}: .gz hash"
            data = gzip.decompress(data)
        if hashlib.sha256(data).hexdigest() != e.sha256:
            bad.append(e.id)
    assert not bad, f"mirror copies that do not match the catalogue sha256: {bad}"


def _write(tmp_path: Path, entries: list[dict]) -> Path:
    p = tmp_path / "catalogue.yaml"
    p.write_text(yaml.safe_dump({"entries": entries}), encoding="utf-8")
    return p


def _entry(**over: object) -> dict:
    base = {
        "id": "x_file",
        "title": "X",
        "publisher": "ONS",
        "release": "2021",
        "vintage": "LSOA 2021",
        "licence": "OGL v3.0",
        "landing_page": "https://example.org",
        "format": "csv",
        "kind": "original",
        "theme": "census",
        "path": "census/x.csv",
        "mirrored": True,
        "mirror_path": "census/x.csv",
        "sha256": "0" * 64,
    }
    base.update(over)
    return base


def test_duplicate_ids_are_rejected(tmp_path: Path) -> None:
    p = _write(tmp_path, [_entry(), _entry(path="census/y.csv")])
    with pytest.raises(CatalogueError, match="x_file.*twice"):
        load_catalogue(p)


def test_missing_field_names_the_entry_and_field(tmp_path: Path) -> None:
    p = _write(tmp_path, [_entry(publisher="")])
    with pytest.raises(CatalogueError, match="entry #1.*publisher"):
        load_catalogue(p)


def test_mirrored_entry_needs_a_hash(tmp_path: Path) -> None:
    p = _write(tmp_path, [_entry(sha256=None)])
    with pytest.raises(CatalogueError, match="x_file.*sha256"):
        load_catalogue(p)


def test_malformed_hash_is_rejected(tmp_path: Path) -> None:
    p = _write(tmp_path, [_entry(sha256="abc")])
    with pytest.raises(CatalogueError, match="64"):
        load_catalogue(p)
