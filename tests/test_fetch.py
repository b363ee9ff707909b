"""Fetching published files: verified copies, atomic writes, documented errors."""

from __future__ import annotations

import gzip
import hashlib
import stat
from pathlib import Path

import pytest
import yaml

from solihull_analytics.catalogue import load_catalogue
from solihull_analytics.fetch import (
    HashMismatchError,
    MirrorMissingError,
    OfflineError,
    fetch,
    fetch_entry,
)
from tests.catalogue_fixtures import catalogue_entry

CSV = b"lsoa21_code,value\nE01010108,1\nE01010109,2\n"
TXT = b"published notes\n" * 50


def _entry(entry_id: str, path: str, sha: str, **over: object) -> dict:
    return catalogue_entry(entry_id, path, sha, **{"publisher": "ONS", **over})


@pytest.fixture()
def small_mirror(tmp_path: Path) -> tuple[Path, Path]:
    """A mirror with one plain and one gzipped file, and a catalogue describing them."""
    mirror = tmp_path / "mirror"
    (mirror / "test").mkdir(parents=True)
    (mirror / "test" / "a.csv").write_bytes(CSV)
    (mirror / "test" / "b.txt.gz").write_bytes(gzip.compress(TXT))
    entries = [
        _entry("plain_file", "test/a.csv", hashlib.sha256(CSV).hexdigest()),
        _entry(
            "gz_file",
            "test/b.txt",
            hashlib.sha256(TXT).hexdigest(),
            mirror_path="test/b.txt.gz",
            mirror_compression="gzip",
            format="txt",
        ),
    ]
    cat = tmp_path / "catalogue.yaml"
    cat.write_text(yaml.safe_dump({"entries": entries}), encoding="utf-8")
    return mirror, cat


def test_fetch_from_a_temporary_mirror(small_mirror: tuple[Path, Path], tmp_path: Path) -> None:
    mirror, cat = small_mirror
    raw = tmp_path / "raw"
    results = fetch(mirror=mirror, raw_dir=raw, catalogue_file=cat, progress=False)
    assert {r.entry_id: r.status for r in results} == {
        "plain_file": "fetched",
        "gz_file": "fetched",
    }
    assert (raw / "test" / "a.csv").read_bytes() == CSV
    assert (raw / "test" / "b.txt").read_bytes() == TXT, "gzipped mirror copy is decompressed"
    mode = (raw / "test" / "a.csv").stat().st_mode
    assert not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH), (
        "verified raw files are read-only"
    )
    again = fetch(mirror=mirror, raw_dir=raw, catalogue_file=cat, progress=False)
    assert {r.status for r in again} == {"present"}


def test_corrupted_mirror_file_raises_and_good_copy_survives(
    small_mirror: tuple[Path, Path], tmp_path: Path
) -> None:
    mirror, cat = small_mirror
    raw = tmp_path / "raw"
    fetch(mirror=mirror, raw_dir=raw, catalogue_file=cat, progress=False)
    (mirror / "test" / "a.csv").write_bytes(CSV.replace(b"1", b"7"))
    entry = load_catalogue(cat)["plain_file"]
    with pytest.raises(HashMismatchError) as info:
        fetch_entry(entry, raw, mirror, force=True)
    message = str(info.value)
    assert "plain_file" in message and entry.sha256 in message
    assert hashlib.sha256(CSV.replace(b"1", b"7")).hexdigest() in message
    assert "previous good copy is kept" in message
    assert (raw / "test" / "a.csv").read_bytes() == CSV, "the good file must survive"
    assert not list((raw / "test").glob(".*part")), "no temporary file left behind"


def test_corrupted_mirror_file_on_first_fetch_leaves_nothing(
    small_mirror: tuple[Path, Path], tmp_path: Path
) -> None:
    mirror, cat = small_mirror
    (mirror / "test" / "a.csv").write_bytes(b"truncated")
    raw = tmp_path / "raw"
    results = fetch(mirror=mirror, raw_dir=raw, catalogue_file=cat, progress=False)
    status = {r.entry_id: r for r in results}
    assert status["plain_file"].status == "failed"
    assert "hash mismatch" in status["plain_file"].message
    assert status["gz_file"].status == "fetched", "one bad file does not stop the others"
    assert not (raw / "test" / "a.csv").exists()


def test_file_missing_from_mirror_is_reported(
    small_mirror: tuple[Path, Path], tmp_path: Path
) -> None:
    mirror, cat = small_mirror
    (mirror / "test" / "a.csv").unlink()
    entry = load_catalogue(cat)["plain_file"]
    with pytest.raises(MirrorMissingError, match="plain_file.*missing from the mirror"):
        fetch_entry(entry, tmp_path / "raw", mirror)


def test_offline_without_mirror_gives_the_documented_message(tmp_path: Path) -> None:
    # Port 9 on loopback refuses connections at once: an offline machine without a mirror.
    entries = [_entry("web_only", "test/w.csv", "0" * 64, download_url="http://127.0.0.1:9/w.csv")]
    cat = tmp_path / "catalogue.yaml"
    cat.write_text(yaml.safe_dump({"entries": entries}), encoding="utf-8")
    entry = load_catalogue(cat)["web_only"]
    with pytest.raises(OfflineError) as info:
        fetch_entry(entry, tmp_path / "raw", None)
    message = str(info.value)
    assert "web_only" in message and "--mirror" in message and "SOLIHULL_DATA_MIRROR" in message
    assert not (tmp_path / "raw" / "test" / "w.csv").exists()


def test_fetch_real_entry_from_the_project_mirror(mirror_dir: Path, tmp_path: Path) -> None:
    results = fetch(
        ["iod2025_file6_solihull_extract"], mirror=mirror_dir, raw_dir=tmp_path, progress=False
    )
    assert [r.status for r in results] == ["fetched"]
    entry = load_catalogue()["iod2025_file6_solihull_extract"]
    data = entry.raw_path(tmp_path).read_bytes()
    assert hashlib.sha256(data).hexdigest() == entry.sha256
