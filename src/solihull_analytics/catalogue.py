"""The data catalogue: one entry per published file the suite reads.

The catalogue (``data/catalogue.yaml``) is the only place that names a published file; which
release each file belongs to is in the release registry beside it (:mod:`.releases`). Adding
next year's release means adding an entry here and in the registry (``solihull-analytics data
add`` does both); no analysis code changes.

Each entry records who published the file, which release and vintage it is, its licence, where
it can be downloaded, the sha256 of the published bytes, and where a local mirror keeps a copy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from solihull_analytics import paths

REQUIRED_FIELDS = (
    "id",
    "title",
    "publisher",
    "release",
    "vintage",
    "licence",
    "landing_page",
    "format",
    "kind",
    "theme",
    "path",
    "mirrored",
)
KINDS = ("original", "derived", "extract")
COMPRESSIONS = ("none", "gzip")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_ID = re.compile(r"^[a-z0-9][a-z0-9_]*$")


class CatalogueError(ValueError):
    """The catalogue file is malformed; the message names the entry and field to fix."""


@dataclass(frozen=True)
class Entry:
    """One published file.

    Attributes
    ----------
    id : str
        Stable identifier used everywhere else (e.g. ``iod2019_file3``).
    title, publisher, release, vintage, licence : str
        Human-readable provenance, shown in every report footer.
    landing_page : str
        Official page that describes the release.
    download_url : str or None
        Official direct download of the exact bytes, when one exists.
    sha256 : str or None
        Hash of the published bytes (for a gzipped mirror copy: of the decompressed bytes).
        ``None`` only for files not in the mirror whose hash has not been recorded yet.
    format : str
        ``csv``, ``xlsx``, ``xls``, ``rda``, ``rds``, ``parquet``, ``geojson``, ``topojson``,
        ``txt``, ``zip``.
    kind : str
        ``original`` (the publisher's bytes), ``derived`` (a faithful third-party conversion of the
        publisher's data, e.g. an R object written to CSV) or ``extract`` (a subset of rows).
    theme : str
        ``iod``, ``census``, ``cla``, ``cin``, ``workforce``, ``population``, ``geo``, ...
    path : str
        Where the file lives under ``data/raw/`` (always uncompressed unless ``format`` says so).
    mirrored : bool
        Whether the project's mirror folder holds the file.
    mirror_path : str or None
        Path of the copy inside the mirror folder.
    mirror_compression : str
        ``gzip`` when the mirror holds a ``gzip -n`` copy of the published bytes, else ``none``.
    mirror_sha256 : str or None
        Hash of the mirror copy as stored (for gzipped copies), for reference.
    archive_member : str or None
        When the official download is a zip, the member that is the published file (its bytes
        are what ``sha256`` describes).
    source_note : str
        Where the mirror's copy came from, and anything a user must know (rounding, suppression).
    """

    id: str
    title: str
    publisher: str
    release: str
    vintage: str
    licence: str
    landing_page: str
    format: str
    kind: str
    theme: str
    path: str
    mirrored: bool
    download_url: str | None = None
    sha256: str | None = None
    mirror_path: str | None = None
    mirror_compression: str = "none"
    mirror_sha256: str | None = None
    archive_member: str | None = None
    source_note: str = ""
    extra: Mapping[str, object] = field(default_factory=dict)

    @property
    def short_sha256(self) -> str:
        """First 12 hex digits of the published hash (``"not recorded"`` when unknown)."""
        return self.sha256[:12] if self.sha256 else "not recorded"

    def raw_path(self, raw_dir: Path | None = None) -> Path:
        """Return the path of this file in the raw cache."""
        return (raw_dir or paths.raw_dir()) / self.path


def _validate(raw: Mapping[str, object], where: str) -> Entry:
    missing = [f for f in REQUIRED_FIELDS if raw.get(f) in (None, "")]
    # ``mirrored: false`` is a legitimate value, so test presence rather than truth for it.
    if "mirrored" in raw and isinstance(raw["mirrored"], bool) and "mirrored" in missing:
        missing.remove("mirrored")
    if missing:
        raise CatalogueError(
            f"{where}: missing field(s) {', '.join(missing)}; add them to the entry."
        )
    entry_id = str(raw["id"])
    if not _ID.match(entry_id):
        raise CatalogueError(f"{where}: id {entry_id!r} must be lower-case letters, digits and _.")
    if raw["kind"] not in KINDS:
        raise CatalogueError(
            f"{where} ({entry_id}): kind must be one of {KINDS}, got {raw['kind']!r}."
        )
    compression = raw.get("mirror_compression") or "none"
    if compression not in COMPRESSIONS:
        raise CatalogueError(
            f"{where} ({entry_id}): mirror_compression must be one of {COMPRESSIONS}."
        )
    for key in ("sha256", "mirror_sha256"):
        value = raw.get(key)
        if value is not None and not _SHA256.match(str(value)):
            raise CatalogueError(f"{where} ({entry_id}): {key} must be 64 lower-case hex digits.")
    if raw["mirrored"]:
        if not raw.get("mirror_path"):
            raise CatalogueError(f"{where} ({entry_id}): a mirrored entry needs mirror_path.")
        if not raw.get("sha256"):
            raise CatalogueError(f"{where} ({entry_id}): a mirrored entry needs sha256.")
    known = {f.name for f in Entry.__dataclass_fields__.values()}  # type: ignore[attr-defined]
    extra = {k: v for k, v in raw.items() if k not in known}
    values = {k: v for k, v in raw.items() if k in known and k != "extra"}
    values["mirror_compression"] = compression
    return Entry(**values, extra=extra)  # type: ignore[arg-type]


def load_catalogue(path: Path | None = None) -> dict[str, Entry]:
    """Read and validate the catalogue.

    Parameters
    ----------
    path : Path, optional
        Catalogue file; defaults to :func:`solihull_analytics.paths.catalogue_path`.

    Returns
    -------
    dict of str to Entry
        Entries keyed by id, in file order.

    Raises
    ------
    CatalogueError
        If the file is missing or an entry is incomplete, duplicated or malformed.
    """
    path = path or paths.catalogue_path()
    if not path.exists():
        raise CatalogueError(
            f"catalogue not found at {path}; restore data/catalogue.yaml from git."
        )
    # A page reads the catalogue several times, and a warm kernel (issue 16) once per LA:
    # keep the validated entries while the file is unchanged (same size and modification time).
    stat = path.stat()
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    cached = _CATALOGUE_CACHE.get(key)
    if cached is None:
        cached = _read_catalogue(path)
        _CATALOGUE_CACHE.clear()
        _CATALOGUE_CACHE[key] = cached
    return dict(cached)


_CATALOGUE_CACHE: dict[tuple[str, int, int], dict[str, Entry]] = {}


def _read_catalogue(path: Path) -> dict[str, Entry]:
    """Parse and validate the catalogue file (see :func:`load_catalogue`)."""
    with path.open(encoding="utf-8") as fh:
        # The C loader parses the catalogue about ten times faster; same safe semantics.
        doc = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    items = doc.get("entries") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        raise CatalogueError(f"{path}: expected a top-level 'entries:' list.")
    entries: dict[str, Entry] = {}
    seen_paths: dict[str, str] = {}
    for i, raw in enumerate(items):
        entry = _validate(raw, f"{path.name} entry #{i + 1}")
        if entry.id in entries:
            raise CatalogueError(f"{path.name}: id {entry.id!r} appears twice; ids must be unique.")
        if entry.path in seen_paths:
            raise CatalogueError(
                f"{path.name}: entries {seen_paths[entry.path]!r} and {entry.id!r} share path "
                f"{entry.path!r}; each file needs its own path under data/raw/."
            )
        seen_paths[entry.path] = entry.id
        entries[entry.id] = entry
    return entries


def select(entries: Mapping[str, Entry], ids: Iterable[str] | None) -> list[Entry]:
    """Return the entries named by ``ids`` (all when ``ids`` is empty), rejecting unknown ids."""
    ids = list(ids or [])
    if not ids:
        return list(entries.values())
    unknown = [i for i in ids if i not in entries]
    if unknown:
        raise CatalogueError(
            f"unknown catalogue id(s): {', '.join(unknown)}. "
            "Run `solihull-analytics data list` to see the ids."
        )
    return [entries[i] for i in ids]
