"""Build tidy processed tables from the raw cache.

Each processed table is declared once, next to the code that reads its source, with the
:func:`~solihull_analytics.build_registry.table` decorator (:mod:`.build_registry`)::

    @table("iod_lsoa", inputs=["iod2019_file3", ...], schema=IOD_LSOA_SCHEMA)
    def build_iod_lsoa(inputs: Inputs) -> pd.DataFrame:
        ...

:func:`build` runs the builders whose inputs changed since the last build. A manifest
(``data/processed/manifest.json``) records, per table, a key made of the hashes of its input
files, the builder's source code and the suite version; an unchanged key means the table is
skipped. Outputs are validated by their pandera schema and written atomically. Tables are read
with :func:`~solihull_analytics.table_reader.read_table` (re-exported here).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from solihull_analytics import analysis_tables, build_keys, paths, processed
from solihull_analytics.build_registry import (
    REGISTRY,
    SOURCE_MODULES,
    BuildError,
    InputList,
    Inputs,
    MissingInputError,
    TableSpec,
    load_registry,
    table,
)
from solihull_analytics.catalogue import Entry, load_catalogue
from solihull_analytics.table_reader import (
    KEEP_TABLES_ENV,
    read_table,
    table_columns,
)

#: What other modules import from here (declared in :mod:`.build_registry`, read in
#: :mod:`.table_reader`).
__all__ = [
    "KEEP_TABLES_ENV", "REGISTRY", "SOURCE_MODULES", "BuildError", "BuildResult", "InputList",
    "Inputs", "MissingInputError", "TableSpec", "build", "load_registry",
    "read_table", "table", "table_columns", "validate",
]

#: Held by a running build, so that a second build on the same folder waits for it.
LOCK_NAME = ".build.lock"


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
    analyses = analysis_tables.load_analyses()
    analysis_outputs = analysis_tables.output_names(analyses)
    wanted = list(names) if names else list(registry)
    unknown = [n for n in wanted if n not in registry and n not in analysis_outputs]
    if unknown:
        raise BuildError(f"unknown table(s) {', '.join(unknown)}; known: {', '.join(registry)}"
                         f", and the analysis tables {', '.join(analysis_outputs)}.")
    run = _BuildRun(registry, entries, raw_dir, processed_dir, progress)
    run.retire_unknown_tables(set(analysis_outputs))
    wanted_tables = [n for n in wanted if n in registry]
    todo = run.plan(wanted_tables, force)
    run.build(todo, jobs, catalogue_file)
    # Analyses come after the tables they read: a full build brings every one whose tables this
    # library builds up to date; a partial one those named and those reading a table it built.
    named = {analysis_outputs[n] for n in wanted if n in analysis_outputs}
    forced = named if force else set()
    applicable = [a for a in analyses.values() if set(a.tables) <= set(registry) and (
        not names or a.name in named or set(a.tables) & set(wanted_tables))]
    ordered_results = [run.results[n] for n in wanted_tables]
    ordered_results += run.build_analyses(applicable, forced)
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

    def retire_unknown_tables(self, analysis_outputs: set[str]) -> None:
        """Forget tables the library no longer builds (renamed or removed), and their files.

        Without this, a table renamed in a new version (e.g. ``boundaries_lsoa21`` to
        ``boundaries_lsoa21_wmca``) stays in the manifest, and every later run reports it
        missing or damaged. Processed tables are caches, so their files are removed too.
        ``analysis_outputs`` are the analysis tables the library builds (kept).
        """
        retired = sorted(set(self.manifest) - set(self.registry) - analysis_outputs)
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

    def build_analyses(self, analyses: list[analysis_tables.AnalysisSpec],
                       forced: set[str]) -> list[BuildResult]:
        """Bring analysis tables up to date after the processed tables; one result per table."""
        results = []
        for spec in analyses:
            done = analysis_tables.build_analysis(spec, self.manifest, self.processed_dir,
                                                  force=spec.name in forced)
            if done.status == "built":
                processed.write_manifest(self.processed_dir, self.manifest)
                self.progress(f"built analysis {spec.name} ({', '.join(spec.outputs)}) in "
                              f"{done.seconds:.1f} s")
            elif done.status == "failed":
                self.progress(f"FAILED analysis {spec.name}: {done.message}")
            results += [BuildResult(t, done.status, done.rows.get(t), done.seconds, done.message)
                        for t in spec.outputs]
        return results

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
