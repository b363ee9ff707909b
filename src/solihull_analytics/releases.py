"""The release registry: which releases of each kind exist, in what order, and their files.

The registry (``data/releases.yaml``, beside the catalogue) is the one place that holds facts
about releases: label and year, geography vintage, the catalogue ids of the files with their
roles and layouts, and the order among releases of the same kind. Source modules read files by
layout from it; analysis modules and notebooks ask it for the releases in order and for the
latest. Nothing in the code names a release.

The registry follows the catalogue: ``SOLIHULL_RELEASES`` names it explicitly; otherwise it is
``releases.yaml`` in the folder of the catalogue in use (so pointing ``SOLIHULL_CATALOGUE`` at
a copy of the catalogue folder points at that folder's registry too).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from solihull_analytics import paths

KINDS = ("iod", "census", "lsoa_population", "population", "cla", "cin", "workforce",
         "neighbours", "geography")
#: Levels of ``geography`` records: polygons and code lookups, each by vintage.
GEOGRAPHY_LEVELS = ("lsoa_boundaries", "ward_boundaries", "la_boundaries", "lsoa_lookup",
                    "ward_lookup")
LATEST = "latest"
_FILE_KEYS = {"id", "role", "layout", "optional", "label", "fields", "optional_fields", "gives"}


class RegistryError(ValueError):
    """The registry is malformed or a release asked for is not in it."""


@dataclass(frozen=True)
class ReleaseFile:
    """One file of a release: a catalogue id, what it gives (role) and how to read it (layout)."""

    id: str
    role: str
    layout: str
    optional: bool = False
    label: str = ""
    fields: tuple[str, ...] = ()
    optional_fields: tuple[str, ...] = ()
    gives: tuple[str, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)

    def option(self, name: str, default: Any = None) -> Any:
        """Return a layout option of this file (e.g. ``mid_year``)."""
        return self.options.get(name, default)


@dataclass(frozen=True)
class Release:
    """One release of one kind of data."""

    kind: str
    label: str
    year: int
    order: int
    geography: str
    files: tuple[ReleaseFile, ...]
    facts: Mapping[str, Any] = field(default_factory=dict)

    def fact(self, name: str, default: Any = None) -> Any:
        """Return another recorded fact (``published``, ``data_year``, ``lsoa_vintage`` ...)."""
        return self.facts.get(name, default)

    @property
    def lsoa_vintage(self) -> int | None:
        value = self.facts.get("lsoa_vintage")
        return int(value) if value is not None else None

    def files_with(
        self, *, role: str | None = None, layout: str | None = None
    ) -> list[ReleaseFile]:
        """Files of this release with the given role and/or layout."""
        return [
            f
            for f in self.files
            if (role is None or f.role == role) and (layout is None or f.layout == layout)
        ]

    @property
    def file_ids(self) -> list[str]:
        return [f.id for f in self.files]


def registry_path() -> Path:
    """Return the registry file in use (see the module docstring)."""
    env = os.environ.get("SOLIHULL_RELEASES")
    if env:
        return Path(env).resolve()
    return paths.catalogue_path().with_name("releases.yaml")


def _file(raw: Mapping[str, Any], where: str) -> ReleaseFile:
    for key in ("id", "role", "layout"):
        if not raw.get(key):
            raise RegistryError(
                f"{where}: a file lacks {key!r}; every file needs id, role and layout."
            )
    return ReleaseFile(
        id=str(raw["id"]),
        role=str(raw["role"]),
        layout=str(raw["layout"]),
        optional=bool(raw.get("optional", False)),
        label=str(raw.get("label", "")),
        fields=tuple(raw.get("fields") or ()),
        optional_fields=tuple(raw.get("optional_fields") or ()),
        gives=tuple(raw.get("gives") or ()),
        options={k: v for k, v in raw.items() if k not in _FILE_KEYS},
    )


def _release(raw: Mapping[str, Any], where: str) -> Release:
    missing = [k for k in ("kind", "label", "year", "order", "files") if raw.get(k) in (None, "")]
    if missing:
        raise RegistryError(f"{where}: missing field(s) {', '.join(missing)}.")
    if raw["kind"] not in KINDS:
        raise RegistryError(f"{where}: kind must be one of {KINDS}, got {raw['kind']!r}.")
    label = str(raw["label"])
    files = tuple(_file(f, f"{where} ({label})") for f in raw["files"])
    facts = {k: v for k, v in raw.items() if k not in ("kind", "label", "year", "order", "files")}
    for key in ("published",):
        if key in facts:
            facts[key] = str(facts[key])
    return Release(
        kind=str(raw["kind"]),
        label=label,
        year=int(raw["year"]),
        order=int(raw["order"]),
        geography=str(raw.get("geography", "")),
        files=files,
        facts=facts,
    )


_CACHE: dict[tuple[str, int, int], list[Release]] = {}


def load_registry(path: Path | None = None) -> list[Release]:
    """Read and validate the registry; releases in file order.

    Raises
    ------
    RegistryError
        If the file is missing, a release is incomplete, a label is repeated within a kind, or a
        catalogue id belongs to two releases.
    """
    path = path or registry_path()
    if not path.exists():
        raise RegistryError(
            f"release registry not found at {path}; restore data/releases.yaml from git "
            "(it lives beside the catalogue)."
        )
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key in _CACHE:
        return list(_CACHE[key])
    with path.open(encoding="utf-8") as fh:
        doc = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    items = doc.get("releases") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        raise RegistryError(f"{path}: expected a top-level 'releases:' list.")
    out: list[Release] = []
    labels: set[tuple[str, str]] = set()
    owners: dict[tuple[str, str], str] = {}
    for i, raw in enumerate(items):
        rel = _release(raw, f"{path.name} release #{i + 1}")
        if (rel.kind, rel.label) in labels:
            raise RegistryError(f"{path.name}: {rel.kind} release {rel.label!r} appears twice.")
        labels.add((rel.kind, rel.label))
        for f in rel.files:
            # A file may serve two kinds (a CLA file carrying a population), not two releases
            # of one kind.
            if (rel.kind, f.id) in owners:
                raise RegistryError(
                    f"{path.name}: file {f.id!r} is listed under {rel.kind} releases "
                    f"{owners[(rel.kind, f.id)]!r} and {rel.label!r}."
                )
            owners[(rel.kind, f.id)] = rel.label
        out.append(rel)
    _CACHE.clear()
    _CACHE[key] = out
    return list(out)


def releases(kind: str, path: Path | None = None) -> list[Release]:
    """Releases of one kind, oldest first (by ``order``)."""
    if kind not in KINDS:
        raise RegistryError(f"unknown kind {kind!r}; kinds are {', '.join(KINDS)}.")
    return sorted((r for r in load_registry(path) if r.kind == kind), key=lambda r: r.order)


def labels(kind: str, path: Path | None = None) -> list[str]:
    """Labels of one kind's releases, oldest first."""
    return [r.label for r in releases(kind, path)]


def get(kind: str, label: str, path: Path | None = None) -> Release:
    """The release ``label`` of ``kind``, or ``latest`` resolved; a clear error if unknown."""
    known = releases(kind, path)
    if label == LATEST:
        if not known:
            raise RegistryError(f"the registry has no {kind} release.")
        return known[-1]
    for rel in known:
        if rel.label == label:
            return rel
    raise RegistryError(
        f"{kind} release {label!r} is not in the registry {registry_path()}; "
        f"known: {', '.join(r.label for r in known)}."
    )


def resolve(kind: str, value: str, available: list[str] | None = None) -> str:
    """Resolve a notebook parameter to a release label.

    ``"latest"`` is the latest release of ``kind`` (among ``available`` when given, e.g. the
    releases a processed table holds); ``"latest:N"`` is handled by :func:`resolve_many`.
    """
    if value != LATEST:
        return get(kind, value).label
    known = labels(kind)
    if available is not None:
        known = [k for k in known if k in set(available)]
    if not known:
        raise RegistryError(f"no {kind} release is available in the data.")
    return known[-1]


def resolve_many(kind: str, value: str, available: list[str] | None = None) -> list[str]:
    """Resolve a comma-separated list of labels, ``latest`` or ``latest:N`` (the N latest)."""
    value = value.strip()
    known = labels(kind)
    if available is not None:
        known = [k for k in known if k in set(available)]
    if value.startswith(LATEST):
        n = int(value.split(":", 1)[1]) if ":" in value else 1
        return known[-n:]
    return [get(kind, v.strip()).label for v in value.split(",") if v.strip()]


def order_of(kind: str) -> dict[str, int]:
    """``{label: order}`` for one kind (e.g. population vintages, higher = more recent)."""
    return {r.label: r.order for r in releases(kind)}


def file_ids(kind: str, *, layouts: tuple[str, ...] | None = None, optional: bool | None = None
             ) -> list[str]:
    """Catalogue ids of one kind's files (optionally only some layouts / only (non-)optional)."""
    out = []
    for rel in releases(kind):
        for f in rel.files:
            if layouts is not None and f.layout not in layouts:
                continue
            if optional is not None and f.optional != optional:
                continue
            if f.id not in out:
                out.append(f.id)
    return out


def release_of(entry_id: str, kind: str | None = None) -> tuple[Release, ReleaseFile] | None:
    """The release (and its file record) a catalogue id belongs to, or ``None``."""
    for rel in load_registry():
        if kind is not None and rel.kind != kind:
            continue
        for f in rel.files:
            if f.id == entry_id:
                return rel, f
    return None


def fingerprint(kind: str) -> str:
    """A text that changes whenever one kind's records change (for build keys)."""
    return repr([(r.label, r.year, r.order, r.geography, r.files, sorted(r.facts.items(), key=str))
                 for r in releases(kind)])


# --------------------------------------------------------------------------------------------
# Geography vintages (kind ``geography``)
# --------------------------------------------------------------------------------------------


def geography(level: str, path: Path | None = None) -> list[Release]:
    """Geography records of one level (e.g. ``lsoa_boundaries``), oldest vintage first.

    Raises
    ------
    RegistryError
        If ``level`` is not one of :data:`GEOGRAPHY_LEVELS`.
    """
    if level not in GEOGRAPHY_LEVELS:
        raise RegistryError(
            f"unknown geography level {level!r}; levels are {', '.join(GEOGRAPHY_LEVELS)}."
        )
    return [r for r in releases("geography", path) if r.fact("level") == level]


def geography_table(rel: Release) -> str:
    """The processed table a geography record is built into (its ``table``, else by vintage)."""
    if rel.fact("table"):
        return str(rel.fact("table"))
    level, yy = rel.fact("level"), f"{rel.year % 100:02d}"
    if level == "lsoa_boundaries":
        return f"boundaries_lsoa{yy}"
    if level == "ward_boundaries":
        return f"boundaries_ward{yy}"
    if level == "la_boundaries":
        return f"boundaries_la{yy}"
    if level == "lsoa_lookup":
        return f"lsoa_lookup_{int(rel.fact('from_vintage', 0)) % 100:02d}_{yy}"
    return f"lsoa{int(rel.lsoa_vintage or 0) % 100:02d}_ward"


def lsoa_boundary_release(vintage: int, path: Path | None = None) -> Release:
    """The LSOA boundary record of one LSOA vintage (the latest record when there are several).

    Raises
    ------
    RegistryError
        If the registry has no LSOA boundaries of that vintage (the message lists those it has).
    """
    known = geography("lsoa_boundaries", path)
    found = [r for r in known if r.year == vintage]
    if not found:
        raise RegistryError(
            f"no LSOA boundaries of vintage {vintage} in the registry {registry_path()}; "
            f"known vintages: {', '.join(str(r.year) for r in known) or 'none'}."
        )
    return found[-1]


def lsoa_lookup_release(from_vintage: int, to_vintage: int, path: Path | None = None
                        ) -> Release | None:
    """The LSOA lookup record linking two vintages (either direction), or ``None``."""
    pair = {from_vintage, to_vintage}
    found = [r for r in geography("lsoa_lookup", path)
             if {int(r.fact("from_vintage", 0)), r.year} == pair]
    return found[-1] if found else None


def geography_citation(rel: Release) -> str:
    """The catalogue id pages cite for a geography record: its ``citation`` file, else its first."""
    cited = rel.files_with(role="citation") or list(rel.files)
    return cited[0].id


def geography_file_ids(rel: Release) -> list[str]:
    """Catalogue ids of the files a geography record is read from (not those only cited)."""
    return [f.id for f in rel.files if f.layout != "none"]


def ward_vintages(path: Path | None = None) -> list[int]:
    """Ward vintages with an LSOA-to-ward lookup in the registry, oldest first."""
    return [r.year for r in geography("ward_lookup", path)]
