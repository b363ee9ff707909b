"""Build tidy processed tables from the raw cache.

Each processed table is declared once, next to the code that reads its source, with the
:func:`table` decorator::

    @table("iod_lsoa", inputs=["iod2019_file3", ...], schema=IOD_LSOA_SCHEMA)
    def build_iod_lsoa(inputs: Inputs) -> pd.DataFrame:
        ...

:func:`build` runs the builders whose inputs changed since the last build. A manifest
(``data/processed/manifest.json``) records, per table, a key made of the hashes of its input
files, the builder's source code and the suite version; an unchanged key means the table is
skipped. Outputs are validated by their pandera schema and written atomically.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import json
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from solihull_analytics import build_keys, paths, processed
from solihull_analytics.catalogue import Entry, load_catalogue

#: Modules that declare tables. Importing them fills :data:`REGISTRY`.
SOURCE_MODULES = (
    "solihull_analytics.sources.geo",
    "solihull_analytics.sources.geography",
    "solihull_analytics.sources.iod",
    "solihull_analytics.sources.cla",
    "solihull_analytics.sources.population",
    "solihull_analytics.sources.census",
    "solihull_analytics.sources.low_income",
    "solihull_analytics.sources.cin",
    "solihull_analytics.sources.neighbours",
)

#: Held by a running build, so that a second build on the same folder waits for it.
LOCK_NAME = ".build.lock"


class BuildError(RuntimeError):
    """A processed table could not be built; the message names the table, input and remedy."""


class MissingInputError(BuildError):
    """A required raw file is not in the cache."""


class Inputs:
    """What a builder may read: the raw files of its declared inputs.

    Parameters
    ----------
    table_name : str
        The table being built (used in error messages).
    entries : dict of str to Entry
        The catalogue.
    declared : sequence of str
        Catalogue ids the table declared (required and optional).
    raw_dir : Path
        The raw cache.
    """

    def __init__(
        self, table_name: str, entries: dict[str, Entry], declared: Sequence[str], raw_dir: Path
    ) -> None:
        self.table_name = table_name
        self.entries = entries
        self.declared = tuple(declared)
        self.raw_dir = raw_dir

    def entry(self, entry_id: str) -> Entry:
        """Return the catalogue entry ``entry_id`` (which the table must have declared)."""
        if entry_id not in self.declared:
            raise BuildError(
                f"table {self.table_name!r} reads {entry_id!r} without declaring it in inputs=; "
                "add it so that the build manifest tracks it."
            )
        return self.entries[entry_id]

    def path(self, entry_id: str) -> Path:
        """Return the raw file of a required input, or raise :class:`MissingInputError`."""
        p = self.entry(entry_id).raw_path(self.raw_dir)
        if not p.exists():
            raise MissingInputError(
                f"table {self.table_name!r} needs {entry_id!r} at {p}, which is missing. "
                f"Run `solihull-analytics data fetch --only {entry_id}` first."
            )
        return p

    def optional_path(self, entry_id: str) -> Path | None:
        """Return the raw file of an optional input, or ``None`` when it is not present."""
        p = self.entry(entry_id).raw_path(self.raw_dir)
        return p if p.exists() else None


InputList = Iterable[str] | Callable[[], Iterable[str]]


@dataclass(frozen=True)
class TableSpec:
    """A processed table: its name, inputs, builder and schema.

    ``declared_inputs`` and ``declared_optional`` are lists of catalogue ids, or functions
    returning them (read from the release registry when the build runs, so that a release added
    to the registry is an input without a code change). ``release_kinds`` names the registry
    kinds whose records enter the table's build key.
    """

    name: str
    declared_inputs: InputList
    declared_optional: InputList
    builder: Callable[[Inputs], Any]
    schema: Any = None
    geo: bool = False
    description: str = ""
    release_kinds: tuple[str, ...] = ()

    @property
    def inputs(self) -> tuple[str, ...]:
        ids = self.declared_inputs
        return tuple(ids() if callable(ids) else ids)

    @property
    def optional_inputs(self) -> tuple[str, ...]:
        ids = self.declared_optional
        return tuple(ids() if callable(ids) else ids)

    @property
    def filename(self) -> str:
        return f"{self.name}.parquet"


REGISTRY: dict[str, TableSpec] = {}


def table(
    name: str,
    inputs: InputList,
    *,
    optional_inputs: InputList = (),
    schema: Any = None,
    geo: bool = False,
    description: str = "",
    release_kinds: Iterable[str] = (),
) -> Callable[[Callable[[Inputs], Any]], Callable[[Inputs], Any]]:
    """Declare a processed table built by the decorated function.

    Parameters
    ----------
    name : str
        Table name; the output is ``data/processed/<name>.parquet``.
    inputs : iterable of str, or a function returning them
        Catalogue ids the builder needs (a function is called at build time, e.g. to read
        them from the release registry).
    optional_inputs : iterable of str, or a function returning them, optional
        Catalogue ids used when present (e.g. releases not in the mirror).
    schema : pandera.DataFrameSchema, optional
        Schema the output must pass.
    geo : bool, default False
        Whether the builder returns a GeoDataFrame (written as GeoParquet).
    description : str, optional
        One line on what the table holds; shown by ``solihull-analytics data list``.
    release_kinds : iterable of str, optional
        Release-registry kinds the builder reads; their records enter the build key.
    """

    def register(func: Callable[[Inputs], Any]) -> Callable[[Inputs], Any]:
        if name in REGISTRY and REGISTRY[name].builder.__qualname__ != func.__qualname__:
            raise BuildError(f"table {name!r} is declared twice.")
        REGISTRY[name] = TableSpec(
            name=name,
            declared_inputs=inputs if callable(inputs) else tuple(inputs),
            declared_optional=(
                optional_inputs if callable(optional_inputs) else tuple(optional_inputs)
            ),
            builder=func,
            schema=schema,
            geo=geo,
            description=description or (inspect.getdoc(func) or "").split("\n")[0],
            release_kinds=tuple(release_kinds),
        )
        return func

    return register


def load_registry() -> dict[str, TableSpec]:
    """Import every source module and return the table registry."""
    for module in SOURCE_MODULES:
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        # Tables declared from the release registry follow it (a record added since import).
        declare = getattr(mod, "register_registry_tables", None)
        if declare is not None:
            declare()
    return REGISTRY


@dataclass
class BuildResult:
    """Outcome of building one table."""

    name: str
    status: str  # "built", "unchanged" or "failed"
    rows: int | None = None
    seconds: float = 0.0
    message: str = ""
    inputs_missing: list[str] = field(default_factory=list)


def validate(spec: TableSpec, df: Any) -> Any:
    """Validate ``df`` against the table's schema, raising :class:`BuildError` with the detail."""
    if spec.schema is None:
        return df
    try:
        return spec.schema.validate(df, lazy=True)
    except Exception as exc:  # pandera raises SchemaErrors with a full failure report
        detail = getattr(exc, "failure_cases", None)
        shown = detail.head(10).to_string() if detail is not None else str(exc)
        raise BuildError(
            f"table {spec.name!r} failed its schema; the raw file may have changed layout. "
            f"First failures:\n{shown}"
        ) from exc


def _build_one(
    spec: TableSpec, entries: dict[str, Entry], raw_dir: Path, processed_dir: Path
) -> dict[str, Any]:
    """Build, validate and atomically write one table; return what the manifest needs."""
    start = time.perf_counter()
    out = processed_dir / spec.filename
    try:
        inputs = Inputs(spec.name, entries, spec.inputs + spec.optional_inputs, raw_dir)
        df = validate(spec, spec.builder(inputs))
        processed.atomic_write_bytes(out, lambda p: df.to_parquet(p, index=False))
    except Exception as exc:  # noqa: BLE001 - one table's failure must not stop the rest
        return {
            "name": spec.name,
            "ok": False,
            "message": str(exc),
            "seconds": time.perf_counter() - start,
        }
    return {
        "name": spec.name,
        "ok": True,
        "rows": int(len(df)),
        "seconds": time.perf_counter() - start,
        **processed.output_stamp(out),
    }


def _build_group(
    names: list[str], raw_dir: Path, processed_dir: Path, catalogue_file: Path | None
) -> list[dict[str, Any]]:
    """Worker: build the tables of one source module in order (they may share cached reads)."""
    entries = load_catalogue(catalogue_file)
    registry = load_registry()
    return [_build_one(registry[n], entries, raw_dir, processed_dir) for n in names]


def build(
    names: Iterable[str] | None = None,
    *,
    force: bool = False,
    raw_dir: Path | None = None,
    processed_dir: Path | None = None,
    catalogue_file: Path | None = None,
    progress: Callable[[str], None] | None = None,
    jobs: int | None = None,
) -> list[BuildResult]:
    """Build processed tables whose inputs changed.

    Parameters
    ----------
    names : iterable of str, optional
        Tables to build; all registered tables when omitted.
    force : bool, default False
        Rebuild even when the manifest says nothing changed.
    raw_dir, processed_dir : Path, optional
        Override the cache folders (default: :mod:`solihull_analytics.paths`).
    catalogue_file : Path, optional
        Override the catalogue.
    progress : callable, optional
        Called with one line of text per table.
    jobs : int, optional
        Source modules built in parallel (default: the number of CPUs). Tables of one module are
        built in order in one process, since they may share what they read.

    Returns
    -------
    list of BuildResult
        One result per table. A failed table does not stop the others; its previous output, if
        any, is kept.
    """
    raw_dir = raw_dir or paths.raw_dir()
    processed_dir = processed_dir or paths.processed_dir()
    entries = load_catalogue(catalogue_file)
    full_build = not names
    if full_build and not force:
        previous = processed.read_manifest(processed_dir)
        fingerprint = build_keys.fast_fingerprint(previous, entries, raw_dir, processed_dir)
        recorded = build_keys.read_fast_state(processed_dir)
        if previous and fingerprint is not None and fingerprint == recorded:
            return [BuildResult(n, "unchanged", v.get("rows")) for n, v in previous.items()]
    from solihull_analytics.locking import hold_lock

    processed_dir.mkdir(parents=True, exist_ok=True)
    with hold_lock(processed_dir / LOCK_NAME, "data build", notify=progress):
        processed.remove_stale_temporaries(processed_dir)
        return _build_locked(
            names, force, raw_dir, processed_dir, catalogue_file, entries, progress, jobs
        )


def _build_locked(
    names: Iterable[str] | None,
    force: bool,
    raw_dir: Path,
    processed_dir: Path,
    catalogue_file: Path | None,
    entries: dict[str, Entry],
    progress: Callable[[str], None] | None,
    jobs: int | None,
) -> list[BuildResult]:
    """The body of :func:`build`, run while holding the build lock."""
    registry = load_registry()
    wanted = list(names) if names else list(registry)
    unknown = [n for n in wanted if n not in registry]
    if unknown:
        raise BuildError(f"unknown table(s) {', '.join(unknown)}; known: {', '.join(registry)}.")
    run = _BuildRun(registry, entries, raw_dir, processed_dir, progress)
    run.retire_unknown_tables()
    todo = run.plan(wanted, force)
    run.build(todo, jobs, catalogue_file)
    ordered_results = [run.results[n] for n in wanted]
    if not names:
        run.write_fast_state(ordered_results)
    return ordered_results


class _BuildRun:
    """One build under the lock: which tables to build, their keys, the manifest and results."""

    def __init__(self, registry: dict[str, TableSpec], entries: dict[str, Entry], raw_dir: Path,
                 processed_dir: Path, progress: Callable[[str], None] | None) -> None:
        self.registry = registry
        self.entries = entries
        self.raw_dir = raw_dir
        self.processed_dir = processed_dir
        self.progress = progress or (lambda _line: None)
        self.manifest = processed.read_manifest(processed_dir)
        self.results: dict[str, BuildResult] = {}
        self.keys: dict[str, str] = {}

    def retire_unknown_tables(self) -> None:
        """Forget tables the library no longer builds (renamed or removed), and their files.

        Without this, a table renamed in a new version (e.g. ``boundaries_lsoa21`` to
        ``boundaries_lsoa21_wmca``) stays in the manifest, and every later run reports it
        missing or damaged. Processed tables are caches, so their files are removed too.
        """
        retired = sorted(set(self.manifest) - set(self.registry))
        for name in retired:
            del self.manifest[name]
            (self.processed_dir / f"{name}.parquet").unlink(missing_ok=True)
            self.progress(f"removed {name}: this version of the library no longer builds it")
        if retired:
            processed.write_manifest(self.processed_dir, self.manifest)

    def plan(self, wanted: list[str], force: bool) -> list[str]:
        """The tables to build: those whose key changed or whose output fails its checksum."""
        todo: list[str] = []
        restamped = False
        for name in wanted:
            spec = self.registry[name]
            for entry_id in spec.inputs + spec.optional_inputs:
                if entry_id not in self.entries:
                    raise BuildError(
                        f"table {name!r} declares {entry_id!r}, which is not in the catalogue."
                    )
            self.keys[name] = build_keys.table_key(spec, self.entries, self.raw_dir)
            out = self.processed_dir / spec.filename
            recorded = self.manifest.get(name, {})
            if not force and out.exists() and recorded.get("key") == self.keys[name]:
                # The tables are small (tens of MB in all), so the slow path hashes every one.
                problem = processed.table_problem(name, recorded, self.processed_dir, full=True)
                if problem is None:
                    self.results[name] = BuildResult(name, "unchanged", recorded.get("rows"))
                    restamped = processed.restamp(recorded, out) or restamped
                    continue
                self.progress(f"table {name} {problem}: rebuilding it")
            todo.append(name)
        if restamped:
            processed.write_manifest(self.processed_dir, self.manifest)
        return todo

    def record(self, outcome: dict[str, Any]) -> None:
        """Record one table's outcome (and, when built, its manifest entry)."""
        name = outcome["name"]
        spec = self.registry[name]
        if not outcome["ok"]:
            self.results[name] = BuildResult(
                name, "failed", seconds=outcome["seconds"], message=outcome["message"]
            )
            self.progress(f"FAILED {name}: {outcome['message']}")
            return
        present = [i for i in spec.optional_inputs
                   if self.entries[i].raw_path(self.raw_dir).exists()]
        self.manifest[name] = {
            "key": self.keys[name],
            "rows": outcome["rows"],
            "inputs": list(spec.inputs) + present,
            "declared": list(spec.inputs + spec.optional_inputs),
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
            **{k: outcome[k] for k in processed.STAMP_FIELDS},
        }
        processed.write_manifest(self.processed_dir, self.manifest)
        self.results[name] = BuildResult(name, "built", outcome["rows"], outcome["seconds"])
        self.progress(f"built {name}: {outcome['rows']:,} rows in {outcome['seconds']:.1f} s")

    def build(self, todo: list[str], jobs: int | None, catalogue_file: Path | None) -> None:
        """Build ``todo``: one worker process per source module when there are several."""
        groups: dict[str, list[str]] = {}
        for name in todo:
            groups.setdefault(self.registry[name].builder.__module__, []).append(name)
        jobs = jobs or os.cpu_count() or 1
        if jobs > 1 and len(groups) > 1 and all(m in SOURCE_MODULES for m in groups):
            self._build_in_parallel(list(groups.values()), jobs, catalogue_file)
            return
        for name in todo:
            self.record(_build_one(self.registry[name], self.entries, self.raw_dir,
                                   self.processed_dir))

    def _build_in_parallel(self, groups: list[list[str]], jobs: int,
                           catalogue_file: Path | None) -> None:
        from concurrent.futures import ProcessPoolExecutor, as_completed

        from solihull_analytics.locking import exit_with_parent

        # Longest groups first, so the two workers finish together.
        ordered = sorted(groups, key=len, reverse=True)
        with ProcessPoolExecutor(
            max_workers=min(jobs, len(ordered)), initializer=exit_with_parent
        ) as pool:
            futures = [
                pool.submit(_build_group, g, self.raw_dir, self.processed_dir, catalogue_file)
                for g in ordered
            ]
            for fut in as_completed(futures):
                for outcome in fut.result():
                    self.record(outcome)

    def write_fast_state(self, results: list[BuildResult]) -> None:
        """After a full build: record its fingerprint if it all succeeded, else forget it."""
        state = self.processed_dir / build_keys.FAST_STATE_NAME
        ok = all(r.status != "failed" for r in results) and set(self.manifest) >= set(
            self.registry)
        fingerprint = (
            build_keys.fast_fingerprint(self.manifest, self.entries, self.raw_dir,
                                        self.processed_dir)
            if ok else None
        )
        if fingerprint:
            text = json.dumps({"fingerprint": fingerprint})
            processed.atomic_write_bytes(state, lambda p: p.write_text(text, encoding="utf-8"))
        elif state.exists():
            state.unlink()


def read_table(
    name: str,
    processed_dir: Path | None = None,
    *,
    columns: list[str] | None = None,
    filters: list[tuple[str, str, Any]] | None = None,
) -> Any:
    """Read a processed table (a GeoDataFrame for boundary layers), checked against its sha256.

    The bytes are read once, hashed, compared with the sha256 the build recorded in the
    manifest, and only then parsed: what is used is exactly what was checked.

    Parameters
    ----------
    name : str
        The table (file ``<name>.parquet`` in ``processed_dir``).
    processed_dir : Path, optional
        Default :func:`solihull_analytics.paths.processed_dir`.
    columns, filters : optional
        Read only these columns, and only the rows these pyarrow filters keep (e.g.
        ``[("la_code", "==", code)]``), for a page that needs a small part of a big table.
        Such reads are not kept (see Notes).

    Raises
    ------
    BuildError
        If the table has not been built, with the command that builds it.
    processed.TableCorruptError
        If the table does not match the manifest (or is not in it), with the command to run.

    Notes
    -----
    The check runs on every call. In a kernel kept across LAs (:data:`KEEP_TABLES_ENV` set) a
    whole table is parsed only once per content, and each caller gets its own shallow copy.
    """
    data, recorded = checked_table_bytes(name, processed_dir)
    if columns is None and filters is None:
        return _parsed_table(data, recorded).copy(deep=False)
    return _parse(data, columns=columns, filters=filters)


def checked_table_bytes(name: str, processed_dir: Path | None = None) -> tuple[bytes, str]:
    """The bytes of a processed table and their sha256, checked against the build manifest.

    Raises as :func:`read_table` does (missing, or not the table the build wrote).
    """
    processed_dir = processed_dir or paths.processed_dir()
    p = processed_dir / f"{name}.parquet"
    if not p.exists():
        raise BuildError(
            f"processed table {name!r} not found at {p}. Run `solihull-analytics data build` "
            "(or `make reports`) first."
        )
    data = p.read_bytes()
    recorded = processed.read_manifest(processed_dir).get(name, {}).get("sha256")
    if recorded is None or hashlib.sha256(data).hexdigest() != recorded:
        why = (
            "has no checksum in the build manifest"
            if recorded is None
            else "does not match the sha256 the build recorded (damaged or changed by hand)"
        )
        raise processed.TableCorruptError(
            f"processed table {name!r} at {p} {why}; it was not used. Run "
            f"`solihull-analytics data build --only {name}` to rebuild it, then run again."
        )
    return data, recorded


def table_columns(name: str, processed_dir: Path | None = None) -> list[str]:
    """The column names of a processed table, from its parquet footer (data not read)."""
    import pyarrow.parquet as pq

    p = (processed_dir or paths.processed_dir()) / f"{name}.parquet"
    return list(pq.read_schema(p).names)


#: Parsed tables by the sha256 of their bytes (checked above on every read): a warm kernel
#: (issue 16) parses each table once, not once per LA. Callers get a shallow copy; with
#: pandas' copy-on-write a caller's changes never reach the kept table.
_PARSED: dict[str, Any] = {}
_PARSED_MAX = 40
#: Set (to "1") in the environment of a kernel kept across LAs: only there are parsed tables
#: kept, since a one-LA render would only hold them in memory longer.
KEEP_TABLES_ENV = "SOLIHULL_KEEP_PARSED_TABLES"


def _parsed_table(data: bytes, sha256: str) -> Any:
    """Parse checked parquet bytes (a GeoDataFrame for boundary layers), once per content
    when :data:`KEEP_TABLES_ENV` is set (or already kept)."""
    import os

    table = _PARSED.get(sha256)
    if table is None:
        table = _parse(data)
        if os.environ.get(KEEP_TABLES_ENV) != "1":
            return table
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.pop(next(iter(_PARSED)))
        _PARSED[sha256] = table
    return table


#: Parsing checked bytes lives with the processed-table store.
_parse, _is_geoparquet = processed.parse_table, processed.is_geoparquet
