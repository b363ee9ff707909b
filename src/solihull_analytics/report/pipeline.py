"""Render the HTML pack: execute each notebook with papermill, convert it with nbconvert.

For each LA and each notebook in ``notebooks/`` (named ``NN_name.ipynb``):

1. skip it when its inputs (notebook file, library code, processed-data hashes, parameters) are
   unchanged since its last successful render (``--force`` overrides);
2. execute it with papermill into a staging folder, passing ``la_code``, ``processed_dir``,
   ``output_dir`` (where the notebook writes its headline JSON) and ``run_date``;
3. convert the executed notebook to standalone HTML in-process (code hidden, alt text on charts,
   header, table of contents, data-sources footer);
4. only then move the HTML, JSON and executed copy into ``reports/<la>/`` — a notebook that
   fails leaves the previous page in place, and the other notebooks still run.

Finally ``reports/<la>/index.html`` (the pack's front page) and ``reports/index.html`` (every LA
rendered) are rewritten.

The parts live beside this module: :mod:`~solihull_analytics.report.kernels` (the kernels'
private folders and transport), :mod:`~solihull_analytics.report.convert` (nbconvert to HTML,
atomic writes) and :mod:`~solihull_analytics.report.front` (the front pages).
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from solihull_analytics import __version__, paths
from solihull_analytics.report import changes
from solihull_analytics.report.convert import notebook_to_html, warm_up_conversion, write_atomic
from solihull_analytics.report.downloads import publish as publish_downloads
from solihull_analytics.report.front import write_la_index, write_top_index
from solihull_analytics.report.kernels import (
    clean_stale_kernel_dirs,
    local_socket_kernel_manager,
    private_kernel_dir,
    render_in_kept_kernels,
)

STATE_DIR = ".state"
PACKAGE_DIR = Path(__file__).resolve().parent
#: The library whose code a rendered page depends on (every module, template and setting).
LIBRARY_DIR = PACKAGE_DIR.parent
HEADLINE_SCHEMA = PACKAGE_DIR / "headline_schema.json"
_NOTEBOOK_NAME = re.compile(r"^(\d{2})_[a-z0-9_]+\.ipynb$")
#: The lock file of ``reports/<LA>/``, held while a pack is rendered into it.
REPORT_LOCK = ".render.lock"


class ReportError(RuntimeError):
    """The pack could not be rendered; the message says which notebook and why."""


@dataclass
class NotebookResult:
    """Outcome of rendering one notebook for one LA."""

    la_code: str
    notebook: str
    status: str  # "rendered", "unchanged" or "failed"
    seconds: float = 0.0
    cell: int | None = None
    error: str = ""
    stage: str = "execution"  # where a failure happened: "execution" or "rendering"

    def summary(self) -> str:
        """One line: notebook, LA, cell and exception for failures."""
        if self.status != "failed":
            return f"{self.la_code} {self.notebook}: {self.status} ({self.seconds:.1f} s)"
        where = f"cell {self.cell}" if self.cell is not None else f"{self.stage} stage"
        return f"{self.la_code} {self.notebook}: FAILED at {where}: {self.error}"


@dataclass
class PackResult:
    """Outcome of rendering the pack for one LA."""

    la_code: str
    notebooks: list[NotebookResult] = field(default_factory=list)
    index_path: Path | None = None

    @property
    def ok(self) -> bool:
        return all(n.status != "failed" for n in self.notebooks)


def discover_notebooks(
    selected: Sequence[str] | None = None, notebooks_dir: Path | None = None
) -> list[Path]:
    """Return the report notebooks, optionally only those whose number or name is selected.

    Parameters
    ----------
    selected : sequence of str, optional
        Numbers (``"01"``) or names (``"01_cla_trend"``); all notebooks when omitted.
    notebooks_dir : Path, optional
        Folder of notebooks (default ``notebooks/``).
    """
    folder = notebooks_dir or paths.notebooks_dir()
    found = sorted(p for p in folder.glob("*.ipynb") if _NOTEBOOK_NAME.match(p.name))
    if not selected:
        return found
    chosen = [p for p in found if p.name[:2] in selected or p.stem in selected]
    missing = [s for s in selected if not any(p.name[:2] == s or p.stem == s for p in found)]
    if missing:
        names = ", ".join(p.stem for p in found)
        raise ReportError(f"no notebook {', '.join(missing)} in {folder}; available: {names}.")
    return chosen


def _library_fingerprint() -> str:
    h = hashlib.sha256(__version__.encode())
    for p in sorted(LIBRARY_DIR.rglob("*")):
        if p.is_file() and p.suffix in {".py", ".j2", ".css", ".json", ".yaml"}:
            h.update(p.relative_to(LIBRARY_DIR).as_posix().encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def _processed_fingerprint(processed_dir: Path) -> str:
    manifest = processed_dir / "manifest.json"
    if not manifest.exists():
        return "no-manifest"
    doc = json.loads(manifest.read_text(encoding="utf-8"))
    return hashlib.sha256(
        json.dumps({k: v.get("sha256") for k, v in doc.items()}, sort_keys=True).encode()
    ).hexdigest()


def declared_parameters(notebook: Path) -> set[str]:
    """Names the notebook's ``parameters`` cell assigns (what papermill calls its parameters).

    Read from the cell's syntax tree rather than with ``papermill.inspect_notebook``, which
    gives the same names (``tests/test_report.py`` compares the two on every notebook) but costs
    a papermill import, about a second, on a run where nothing has changed.
    """
    doc = json.loads(notebook.read_text(encoding="utf-8"))
    names: set[str] = set()
    for cell in doc.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        if "parameters" not in cell.get("metadata", {}).get("tags", []):
            continue
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        for node in ast.parse(source).body:
            targets = node.targets if isinstance(node, ast.Assign) else (
                [node.target] if isinstance(node, ast.AnnAssign) else []
            )
            names |= {t.id for t in targets if isinstance(t, ast.Name)}
        break
    return names


def _private_extract(notebook: Path, parameters: dict[str, Any]) -> str:
    """Settle here which SSDA903 extract a notebook reads; return its fingerprint.

    The folder (``private_dir``, ``SOLIHULL_PRIVATE_DIR`` or a non-empty ``data/private/``) is
    resolved in this process, against the user's working directory, and passed to the kernel
    as an absolute path; the fingerprint covers that folder's files, so a changed extract
    re-renders the page. Notebooks without a ``private_dir`` parameter do not depend on it.
    """
    from solihull_analytics import ssda903

    if b"private_dir" not in notebook.read_bytes():
        parameters.pop("private_dir", None)
        return ""
    folder = ssda903.requested_folder(parameters.get("private_dir") or None)
    if folder is not None:
        parameters["private_dir"] = str(folder)
    return ssda903.fingerprint(folder)


def render_key(notebook: Path, parameters: dict[str, Any], library: str, processed: str) -> str:
    """Hash of everything a rendered page depends on (the run date excepted)."""
    stable = {k: v for k, v in parameters.items() if k not in {"run_date", "output_dir"}}
    h = hashlib.sha256()
    h.update(notebook.read_bytes())
    h.update(library.encode())
    h.update(processed.encode())
    h.update(json.dumps(stable, sort_keys=True, default=str).encode())
    return h.hexdigest()


@lru_cache(maxsize=1)
def _headline_validator() -> Any:
    """The schema's validator, its schema checked once (``jsonschema.validate`` re-checks the
    schema on every call: a sixth of a second a page)."""
    import jsonschema

    schema = json.loads(HEADLINE_SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_headline(doc: dict[str, Any]) -> None:
    """Validate a headline document against ``headline_schema.json`` (raises ReportError)."""
    import jsonschema

    error = jsonschema.exceptions.best_match(_headline_validator().iter_errors(doc))
    if error is not None:
        path = "/".join(str(p) for p in error.absolute_path)
        raise ReportError(f"headline JSON does not match the schema at {path}: {error.message}")


def _execute(notebook: Path, executed: Path, parameters: dict[str, Any],
             engine_kwargs: dict[str, Any]) -> tuple[str, int | None] | None:
    """Execute ``notebook`` into ``executed`` with papermill; the error and cell, or ``None``."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    try:
        papermill.execute_notebook(
            str(notebook),
            str(executed),
            parameters=parameters,
            kernel_name="python3",
            progress_bar=False,
            log_output=False,
            cwd=str(notebook.parent),
            # Write the executed copy once, at the end: papermill's default rewrites the whole
            # notebook (charts and all) before and after every cell, about 2 s a page (issue 16).
            request_save_on_cell_execute=False,
            **engine_kwargs,
        )
    except PapermillExecutionError as exc:
        # exec_count is the code cell's execution number, as shown in the executed copy.
        return f"{exc.ename}: {exc.evalue}", exc.exec_count
    except Exception as exc:  # noqa: BLE001 - kernel death, bad parameters, ...
        return f"{type(exc).__name__}: {exc}", None
    return None


def _read_headline(headline_path: Path) -> dict[str, Any]:
    """The headline JSON the notebook wrote, checked against the schema."""
    if not headline_path.exists():
        raise ReportError("the notebook did not write its headline JSON (page.finish()).")
    headline = json.loads(headline_path.read_text(encoding="utf-8"))
    validate_headline(headline)
    return headline


def _publish(staging: Path, name: str, out_dir: Path, page: str,
             headline: dict[str, Any]) -> None:
    """Move a rendered page, its executed copy, headline JSON and downloads into ``out_dir``."""
    # The page first: if it cannot be written (a full disk), nothing of this run replaces
    # the previous version.
    write_atomic(out_dir / f"{name}.html", page)
    (out_dir / "executed").mkdir(exist_ok=True)
    os.replace(staging / f"{name}.ipynb", out_dir / "executed" / f"{name}.ipynb")
    changes.keep_previous(out_dir / f"{name}.json", headline)
    os.replace(staging / f"{name}.json", out_dir / f"{name}.json")
    publish_downloads(staging / name, out_dir / name)


def _engine_kwargs(kernel: Any, socket_dir: Path) -> dict[str, Any]:
    """papermill's engine options: the kept ``kernel`` (started now, the conversion warmed up
    while it starts), or a fresh kernel listening in ``socket_dir``."""
    if kernel is None:
        return {"kernel_manager_class": local_socket_kernel_manager(socket_dir)}
    engine_kwargs = kernel.engine_kwargs()
    warm_up_conversion()  # while the kernel starts (once per thread)
    return engine_kwargs


def render_notebook(
    notebook: Path,
    la_code: str,
    out_dir: Path,
    *,
    processed_dir: Path,
    run_date: str,
    extra_parameters: dict[str, Any] | None = None,
    force: bool = False,
    library: str | None = None,
    kernel: Any = None,
) -> NotebookResult:
    """Execute and render one notebook for one LA into ``out_dir`` (``reports/<la>``).

    ``kernel`` is an optional :class:`~solihull_analytics.report.kernels.WarmKernel`, kept across
    renders; without it papermill starts and stops a fresh kernel.

    Returns
    -------
    NotebookResult
        ``unchanged`` when skipped, ``rendered`` on success, ``failed`` with the cell and
        exception otherwise (the previous HTML, JSON and executed copy are then left in place).
    """
    start = time.perf_counter()
    name = notebook.stem
    declared = declared_parameters(notebook)
    parameters: dict[str, Any] = {
        "la_code": la_code,
        "processed_dir": str(processed_dir),
        "run_date": run_date,
        # Only what this notebook declares: an option for page 04 must not re-render page 01.
        **{k: v for k, v in (extra_parameters or {}).items() if k in declared},
    }
    extra_fp = _private_extract(notebook, parameters)
    key = render_key(notebook, parameters, (library or _library_fingerprint()) + extra_fp,
                     _processed_fingerprint(processed_dir))
    state_file = out_dir / STATE_DIR / f"{name}.json"
    html_file = out_dir / f"{name}.html"
    if not force and state_file.exists() and html_file.exists():
        if json.loads(state_file.read_text(encoding="utf-8")).get("key") == key:
            return NotebookResult(la_code, name, "unchanged", time.perf_counter() - start)
    out_dir.mkdir(parents=True, exist_ok=True)

    def failed(error: str, cell: int | None = None, stage: str = "execution") -> NotebookResult:
        seconds = time.perf_counter() - start
        return NotebookResult(la_code, name, "failed", seconds, cell, error, stage)

    with (
        tempfile.TemporaryDirectory(dir=out_dir, prefix=".staging-") as staging_name,
        private_kernel_dir() as socket_dir,  # mode 0700
    ):
        staging = Path(staging_name)
        executed = staging / f"{name}.ipynb"
        parameters["output_dir"] = str(staging)
        engine_kwargs = _engine_kwargs(kernel, Path(socket_dir))
        error = _execute(notebook, executed, parameters, engine_kwargs)
        if error is not None:
            return failed(*error)
        try:
            headline = _read_headline(staging / f"{name}.json")
            page = notebook_to_html(executed, headline)
        except Exception as exc:  # noqa: BLE001
            return failed(f"{type(exc).__name__}: {exc}", stage="rendering")
        _publish(staging, name, out_dir, page, headline)
    seconds = time.perf_counter() - start
    _write_state(state_file, key, run_date, seconds)
    return NotebookResult(la_code, name, "rendered", seconds)


def _write_state(state_file: Path, key: str, run_date: str, seconds: float) -> None:
    """Record a successful render: its key (to skip an unchanged rerun) and how long it took
    (to start the longest page first next time)."""
    state = {"key": key, "rendered_at": run_date, "seconds": round(seconds, 1)}
    write_atomic(state_file, json.dumps(state))


def last_render_seconds(out_dir: Path, notebook: Path) -> float:
    """How long the notebook's last successful render into ``out_dir`` took (0 if unknown)."""
    state_file = out_dir / STATE_DIR / f"{notebook.stem}.json"
    try:
        return float(json.loads(state_file.read_text(encoding="utf-8")).get("seconds", 0.0))
    except (OSError, ValueError, TypeError, AttributeError):
        return 0.0


def render_pack(
    la_code: str,
    *,
    notebooks: Sequence[str] | None = None,
    reports_dir: Path | None = None,
    processed_dir: Path | None = None,
    run_date: str | None = None,
    force: bool = False,
    extra_parameters: dict[str, Any] | None = None,
    on_result: Callable[[NotebookResult], None] | None = None,
    jobs: int | None = None,
    compare_with: Path | None = None,
    fresh_kernels: bool = False,
) -> PackResult:
    """Render every (selected) notebook for one LA, then its index page.

    Parameters
    ----------
    la_code : str
        Children's-services LA code, e.g. ``"E08000029"``.
    notebooks : sequence of str, optional
        Notebook numbers or names (default: all).
    reports_dir, processed_dir : Path, optional
        Output and input folders (defaults from :mod:`solihull_analytics.paths`).
    run_date : str, optional
        ISO date shown on the pages (default today).
    force : bool, default False
        Render even when nothing changed.
    extra_parameters : dict, optional
        More papermill parameters (e.g. ``private_dir``).
    on_result : callable, optional
        Called after each notebook.
    jobs : int, optional
        Notebooks executed at once (default: the number of CPUs), each worker in its own kernel
        process, so the pack uses every core; results are reported in notebook order.
    compare_with : Path, optional
        A previous pack to compare the front page's figures with (default: the figures this
        pack replaced, kept in ``reports/<la>/previous/``).
    fresh_kernels : bool, default False
        Start a fresh kernel for every notebook, as Jupyter runs a notebook alone. By default
        each worker keeps one kernel for the notebooks it renders, reset between them, so the
        imports are paid once per worker
        (:func:`~solihull_analytics.report.kernels.render_in_kept_kernels`).
    """
    from solihull_analytics.geo.las import la_info

    reports_dir = reports_dir or paths.reports_dir()
    processed_dir = processed_dir or paths.processed_dir()
    run_date = run_date or date.today().isoformat()
    la_info(la_code, processed_dir)  # fail early, with the list of valid codes, on a bad code
    out_dir = reports_dir / la_code
    result = PackResult(la_code)
    library = _library_fingerprint()

    def one(nb: Path, kernel: Any) -> NotebookResult:
        try:
            return render_notebook(
                nb,
                la_code,
                out_dir,
                processed_dir=processed_dir,
                run_date=run_date,
                extra_parameters=extra_parameters,
                force=force,
                library=library,
                kernel=kernel,
            )
        except Exception as exc:  # noqa: BLE001 - the kept kernel failed to start or restart
            return NotebookResult(la_code, nb.stem, "failed", error=f"{type(exc).__name__}: {exc}")

    from solihull_analytics.locking import hold_lock

    selected = discover_notebooks(notebooks)
    out_dir.mkdir(parents=True, exist_ok=True)
    clean_stale_kernel_dirs()
    with hold_lock(out_dir / REPORT_LOCK, f"report for {la_code}"):
        clean_staging(reports_dir, la_code)  # no live run holds them: we hold the lock
        result.notebooks = render_in_kept_kernels(
            selected, one, jobs=max(1, jobs or os.cpu_count() or 1), kept=not fresh_kernels,
            on_result=on_result,
            expected_seconds={nb: last_render_seconds(out_dir, nb) for nb in selected},
        )
        if out_dir.exists():
            result.index_path = write_la_index(out_dir, compare_with)
            write_top_index(reports_dir)
    return result


def _render_pack_worker(kwargs: dict[str, Any]) -> PackResult:
    return render_pack(**kwargs)


def render_many(
    la_codes: Iterable[str],
    *,
    jobs: int | None = None,
    progress: bool = True,
    **kwargs: Any,
) -> list[PackResult]:
    """Render packs for many LAs in parallel; one LA's failure does not stop the rest."""
    from tqdm.auto import tqdm

    codes = list(la_codes)
    jobs = jobs or os.cpu_count() or 1
    results: list[PackResult] = []
    from solihull_analytics.locking import exit_with_parent

    with ProcessPoolExecutor(max_workers=jobs, initializer=exit_with_parent) as pool:
        # LAs run in parallel, so each LA renders its notebooks one at a time.
        futures = {
            pool.submit(_render_pack_worker, {"la_code": c, "jobs": 1, **kwargs}): c for c in codes
        }
        for fut in tqdm(as_completed(futures), total=len(codes), desc="LAs", disable=not progress):
            code = futures[fut]
            try:
                results.append(fut.result())
            except Exception as exc:  # noqa: BLE001
                results.append(
                    PackResult(code, [NotebookResult(code, "(pack)", "failed", error=str(exc))])
                )
    reports_dir = kwargs.get("reports_dir") or paths.reports_dir()
    if Path(reports_dir).exists():
        write_top_index(Path(reports_dir))
    return sorted(results, key=lambda r: r.la_code)


def clean_staging(reports_dir: Path | None = None, la_code: str | None = None) -> None:
    """Remove staging and swap folders left by a killed run (of one LA, or of every LA).

    Call it only while holding the LA's render lock, or when no run is going on.
    """
    root = reports_dir or paths.reports_dir()
    # .staging-*: pages being rendered; .old-*: a downloads folder being swapped (downloads.py).
    for prefix in (".staging-", ".old-"):
        for p in root.glob(f"{la_code or '*'}/{prefix}*"):
            shutil.rmtree(p, ignore_errors=True)
