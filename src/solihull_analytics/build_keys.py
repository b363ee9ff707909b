"""What a processed table's build depends on: its key, and the fingerprint of a no-op build.

A table's key (recorded in the build manifest) covers its input files, the code of its builder
and of the source modules that builder imports, the release-registry records it reads and the
suite version; an unchanged key means the table is not built again. The fast fingerprint lets a
full build that has nothing to do say so without importing the source modules.
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from solihull_analytics import __version__, paths, processed
from solihull_analytics.catalogue import Entry

if TYPE_CHECKING:
    from solihull_analytics.build_registry import TableSpec

SOURCES_DIR = Path(__file__).resolve().parent / "sources"
#: The build's own modules, whose code is in the fast fingerprint.
BUILD_MODULES = (
    *(Path(__file__).with_name(f"{name}.py")
      for name in ("build", "build_registry", "analysis_tables")),
    Path(__file__),
    Path(processed.__file__),
)
#: Records the fingerprint of a complete, successful build, so that a no-op build can be
#: recognised without importing the source modules (pandas, geopandas, ...).
FAST_STATE_NAME = ".build-state.json"


def file_fingerprint(p: Path, entry: Entry) -> str:
    if not p.exists():
        return "absent"
    # Raw files are verified against the catalogue hash on fetch and are read-only afterwards, so
    # the catalogue hash plus size and mtime identify the content without re-hashing big files.
    st = p.stat()
    return f"{entry.sha256 or 'unhashed'}:{st.st_size}:{st.st_mtime_ns}"


def builder_sources(spec: TableSpec) -> list[Path]:
    """The source files whose code decides what a table's builder produces.

    The builder's module and the other ``sources`` modules it imports (``_common`` is in every
    key anyway), found in its source text, so that a change to a reader in a module of its own
    (e.g. ``sources/cla_readers.py``) rebuilds the tables that use it.
    """
    source = inspect.getsourcefile(spec.builder)
    if not source:
        return []
    module = Path(source)
    out = [module]
    if module.parent != SOURCES_DIR:
        return out
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        for name in names:
            stem = name.removeprefix(f"{__package__}.sources.")
            dep = SOURCES_DIR / f"{stem}.py"
            if stem != name and "." not in stem and stem != "_common" and dep.exists() \
                    and dep != module and dep not in out:
                out.append(dep)
    return out


def table_key(spec: TableSpec, entries: dict[str, Entry], raw_dir: Path) -> str:
    """A table's build key: what its builder reads and the code that decides what it produces."""
    h = hashlib.sha256()
    h.update(f"{spec.name}|{__version__}".encode())
    for source in builder_sources(spec):
        h.update(source.read_bytes())
    # Helpers shared by the source modules change what every builder produces.
    shared = SOURCES_DIR / "_common.py"
    if shared.exists():
        h.update(shared.read_bytes())
    for entry_id in spec.inputs + spec.optional_inputs:
        entry = entries[entry_id]
        h.update(f"|{entry_id}={file_fingerprint(entry.raw_path(raw_dir), entry)}".encode())
    if spec.release_kinds:
        from solihull_analytics import releases

        for kind in spec.release_kinds:
            h.update(f"|releases:{kind}={releases.fingerprint(kind)}".encode())
    return h.hexdigest()


def fast_fingerprint(
    manifest: dict[str, Any], entries: dict[str, Entry], raw_dir: Path, processed_dir: Path
) -> str | None:
    """Fingerprint of everything a full build depends on, computed without heavy imports.

    It covers the suite version, every source module, the build's own modules (``build``, this
    module, ``processed``), the release registry, the raw
    files (present or absent) that each built table declared, and the size and modification time
    of every output. ``None`` when an output is missing.
    """
    h = hashlib.sha256(__version__.encode())
    registry = paths.catalogue_path().with_name("releases.yaml")
    registry = Path(os.environ.get("SOLIHULL_RELEASES") or registry)
    if registry.exists():
        h.update(registry.read_bytes())
    from solihull_analytics import analysis_tables

    for p in sorted([*SOURCES_DIR.glob("*.py"), *BUILD_MODULES, *analysis_tables.code_files()]):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    for name in sorted(manifest):
        out = processed_dir / f"{name}.parquet"
        if not out.exists():
            return None
        # The output's size and mtime: a table damaged or replaced since the build changes them,
        # which sends the build down the slow path, where the table's sha256 is checked.
        st = out.stat()
        h.update(f"|{name}:{st.st_size}:{st.st_mtime_ns}".encode())
        if "declared" not in manifest[name]:
            return None  # a manifest from an older version: take the slow, careful path
        for entry_id in manifest[name]["declared"]:
            entry = entries.get(entry_id)
            if entry is None:
                return None
            h.update(f"|{entry_id}={file_fingerprint(entry.raw_path(raw_dir), entry)}".encode())
    return h.hexdigest()


def read_fast_state(processed_dir: Path) -> str | None:
    """The fingerprint recorded by the last complete, successful build (``None`` if none)."""
    p = processed_dir / FAST_STATE_NAME
    try:
        return json.loads(p.read_text(encoding="utf-8")).get("fingerprint")
    except (OSError, json.JSONDecodeError):
        return None
