"""Analysis tables: national analyses computed once per data build, from processed tables.

A page's national analysis (for page 05, every LA's rates, child deprivation and the negative
binomial model with its sensitivity refits) does not depend on the LA, yet every fresh kernel
recomputed it. An analysis table holds such a result: :func:`solihull_analytics.build.build`
computes it after the processed tables, from processed tables only (read with
:func:`~solihull_analytics.table_reader.read_table`, never from raw files), validates it with its
pandera schema, writes it atomically beside them and records it in the same manifest with its
sha256. Its key covers the sha256 of every input table, the code that computes it, the release
registry records it reads and the suite version, so it is rebuilt when any of them changes.

Pages read it with :func:`read_analysis`, which refuses (one-line error, never a silent
recomputation) a table that fails its hash or was computed from input tables since rebuilt.

Analyses are declared with :func:`analysis` in the modules of :data:`ANALYSIS_MODULES`, which
name the code files their results depend on (so that a no-op build can check them without
importing pandas).
"""

from __future__ import annotations

import hashlib
import importlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from solihull_analytics import __version__, processed
from solihull_analytics.build_registry import BuildError

PACKAGE_DIR = Path(__file__).resolve().parent
#: Modules declaring analyses -> the code files (relative to the package) whose code decides
#: what those analyses produce; a change to any of them rebuilds the module's analyses.
ANALYSIS_MODULES: dict[str, tuple[str, ...]] = {
    "solihull_analytics.pages.benchmarking.national_tables": (
        "pages/benchmarking/national_tables.py",
        "pages/benchmarking/compute.py",
        "pages/benchmarking/measures.py",
        "pages/benchmarking/inputs.py",
        "methods/count_model.py",
        "methods/rates.py",
        "methods/idaci_bands.py",
        "constants.py",
    ),
}

#: Reads one processed table (checked against its sha256), as an analysis builder sees it.
Reader = Callable[[str], Any]


@dataclass(frozen=True)
class AnalysisSpec:
    """A national analysis: the processed tables it reads and the analysis tables it writes.

    ``outputs`` maps each analysis table it writes to its pandera schema; ``builder`` takes a
    :data:`Reader` and returns ``{table name: DataFrame}`` for every output.
    """

    name: str
    tables: tuple[str, ...]
    outputs: dict[str, Any]
    builder: Callable[[Reader], dict[str, Any]]
    module: str
    release_kinds: tuple[str, ...] = ()
    description: str = ""

    @property
    def code_files(self) -> list[Path]:
        return [PACKAGE_DIR / rel for rel in ANALYSIS_MODULES.get(self.module, ())]


ANALYSES: dict[str, AnalysisSpec] = {}


def analysis(
    name: str,
    *,
    tables: Iterable[str],
    outputs: dict[str, Any],
    release_kinds: Iterable[str] = (),
    description: str = "",
) -> Callable[[Callable[[Reader], dict[str, Any]]], Callable[[Reader], dict[str, Any]]]:
    """Declare an analysis computed by the decorated function from processed ``tables``."""

    def register(func: Callable[[Reader], dict[str, Any]]) -> Callable[[Reader], dict[str, Any]]:
        ANALYSES[name] = AnalysisSpec(
            name=name, tables=tuple(tables), outputs=dict(outputs), builder=func,
            module=func.__module__, release_kinds=tuple(release_kinds),
            description=description or (func.__doc__ or "").strip().split("\n")[0],
        )
        return func

    return register


def load_analyses() -> dict[str, AnalysisSpec]:
    """Import the modules of :data:`ANALYSIS_MODULES` and return the declared analyses."""
    for module in ANALYSIS_MODULES:
        importlib.import_module(module)
    return ANALYSES


def output_names(analyses: dict[str, AnalysisSpec] | None = None) -> dict[str, str]:
    """Analysis table -> the analysis that writes it."""
    analyses = load_analyses() if analyses is None else analyses
    return {table: spec.name for spec in analyses.values() for table in spec.outputs}


def code_files() -> list[Path]:
    """Every code file an analysis depends on (for the build's fast fingerprint)."""
    return sorted({PACKAGE_DIR / rel for files in ANALYSIS_MODULES.values() for rel in files})


def _release_fingerprint(spec: AnalysisSpec) -> str:
    from solihull_analytics import releases

    return "|".join(f"{kind}={releases.fingerprint(kind)}" for kind in spec.release_kinds)


def analysis_key(spec: AnalysisSpec, manifest: dict[str, Any]) -> str | None:
    """The analysis's key, or ``None`` when an input table has not been built."""
    h = hashlib.sha256(f"{spec.name}|{__version__}|{sorted(spec.outputs)}".encode())
    for path in spec.code_files:
        h.update(path.read_bytes())
    for table in spec.tables:
        sha = manifest.get(table, {}).get("sha256")
        if sha is None:
            return None
        h.update(f"|{table}={sha}".encode())
    h.update(_release_fingerprint(spec).encode())
    return h.hexdigest()


@dataclass
class AnalysisOutcome:
    """What building one analysis did: ``status`` is "built", "unchanged" or "failed"."""

    spec: AnalysisSpec
    status: str
    rows: dict[str, int]
    seconds: float = 0.0
    message: str = ""


def _validate(table: str, schema: Any, df: Any) -> Any:
    try:
        return schema.validate(df, lazy=True)
    except Exception as exc:  # pandera's SchemaErrors carry the failure cases
        detail = getattr(exc, "failure_cases", None)
        shown = detail.head(10).to_string() if detail is not None else str(exc)
        raise BuildError(f"analysis table {table!r} failed its schema. First failures:\n{shown}"
                         ) from exc


def build_analysis(
    spec: AnalysisSpec, manifest: dict[str, Any], processed_dir: Path, *, force: bool = False
) -> AnalysisOutcome:
    """Build one analysis when its key changed or an output fails its hash; record it.

    ``manifest`` is updated in place (the caller writes it). A failure keeps the previous
    outputs and their manifest entries.
    """
    from solihull_analytics.table_reader import read_table

    start = time.perf_counter()
    key = analysis_key(spec, manifest)
    if key is None:
        missing = [t for t in spec.tables if not manifest.get(t, {}).get("sha256")]
        return AnalysisOutcome(spec, "failed", {}, 0.0,
                               f"needs processed table(s) {', '.join(missing)}, not built")
    if not force and all(
        manifest.get(t, {}).get("key") == key
        and processed.table_problem(t, manifest.get(t), processed_dir, full=True) is None
        for t in spec.outputs
    ):
        rows = {t: manifest[t].get("rows") for t in spec.outputs}
        return AnalysisOutcome(spec, "unchanged", rows)

    def read(table: str) -> Any:
        if table not in spec.tables:
            raise BuildError(f"analysis {spec.name!r} reads {table!r} without declaring it.")
        return read_table(table, processed_dir)

    try:
        frames = spec.builder(read)
        frames = {t: _validate(t, spec.outputs[t], frames[t]) for t in spec.outputs}
        for table, df in frames.items():
            processed.atomic_write_bytes(processed_dir / f"{table}.parquet",
                                         lambda p, df=df: df.to_parquet(p, index=False))
    except Exception as exc:  # noqa: BLE001 - reported as a failed analysis, build goes on
        return AnalysisOutcome(spec, "failed", {}, time.perf_counter() - start, str(exc))
    inputs = {t: manifest[t]["sha256"] for t in spec.tables}
    for table, df in frames.items():
        manifest[table] = {
            "key": key, "kind": "analysis", "analysis": spec.name, "rows": int(len(df)),
            "tables": inputs, "releases": _release_fingerprint(spec), "inputs": [],
            "declared": [], "built_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
            **processed.output_stamp(processed_dir / f"{table}.parquet"),
        }
    return AnalysisOutcome(spec, "built", {t: len(df) for t, df in frames.items()},
                           time.perf_counter() - start)


class StaleAnalysisError(BuildError):
    """An analysis table was computed from processed tables that have since been rebuilt."""


def read_analysis(name: str, processed_dir: Path | None = None) -> Any:
    """Read an analysis table: its sha256 checked, and its inputs the tables now built.

    Raises
    ------
    processed.TableCorruptError
        The table fails its hash (from :func:`~solihull_analytics.table_reader.read_table`).
    StaleAnalysisError
        An input table or the release registry changed since it was computed.
    BuildError
        It has not been built.
    """
    from solihull_analytics import paths
    from solihull_analytics.table_reader import read_table

    folder = processed_dir or paths.processed_dir()
    df = read_table(name, folder)
    manifest = processed.read_manifest(folder)
    entry = manifest.get(name, {})
    changed = [t for t, sha in entry.get("tables", {}).items()
               if manifest.get(t, {}).get("sha256") != sha]
    spec = ANALYSES.get(entry.get("analysis", ""))
    if spec is not None and entry.get("releases") != _release_fingerprint(spec):
        changed.append("the release registry")
    if changed:
        raise StaleAnalysisError(
            f"analysis table {name!r} was computed before {', '.join(changed)} changed; it was "
            "not used. Run `solihull-analytics data build` to bring it up to date."
        )
    return df
