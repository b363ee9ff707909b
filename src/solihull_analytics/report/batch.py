"""Render the packs of many LAs with warm kernels (issue 16).

:func:`solihull_analytics.report.pipeline.render_many` renders each LA's pack in its own process
with kernels of its own, so imports and table reads are paid again for every LA of a national
run. Here each worker keeps one kernel per notebook and reuses it across LAs:

- notebooks are taken one at a time; for each, ``jobs`` workers (threads, at most one per CPU)
  each start one kernel (:class:`~solihull_analytics.report.kernels.WarmKernel`, which may keep
  the tables it parses) and render their share of the LAs in it, then shut it down, so no more
  kernels run at once than there are cores;
- each render goes through :func:`solihull_analytics.report.pipeline.render_notebook` unchanged:
  papermill injects the parameters (the executed copy keeps its injected-parameters cell and
  papermill's metadata), nbclient executes it on the kept kernel, and the page is converted with
  the thread's reused nbconvert exporter;
- between LAs the kernel is reset (:data:`~solihull_analytics.report.kernels.RESET_CODE`): no
  variable or figure carries over; imported modules (and the library's kept table reads, keyed
  by their checksums) stay warm. A kernel that died is restarted.

The headline JSON and pages are the same as a one-LA render (``tests/test_batch.py``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from contextlib import ExitStack
from datetime import date
from pathlib import Path
from typing import Any

from solihull_analytics import paths
from solihull_analytics.report.kernels import WarmKernel


def _shares(codes: Sequence[str], jobs: int) -> list[list[str]]:
    """Split the LAs into ``jobs`` interleaved shares (neighbouring codes spread out)."""
    return [list(codes[i::jobs]) for i in range(jobs) if codes[i::jobs]]


def render_batch(
    la_codes: Iterable[str],
    *,
    notebooks: Sequence[str] | None = None,
    reports_dir: Path | None = None,
    processed_dir: Path | None = None,
    run_date: str | None = None,
    force: bool = False,
    extra_parameters: dict[str, Any] | None = None,
    jobs: int | None = None,
    progress: bool = True,
    compare_with: Path | None = None,
    fresh_kernels: bool = False,
) -> list[Any]:
    """Render the packs of many LAs with one warm kernel per worker per notebook.

    Parameters are those of :func:`~solihull_analytics.report.pipeline.render_many`; ``jobs`` is
    capped at the number of CPUs; ``compare_with`` is a previous pack for the front pages and
    ``fresh_kernels`` starts a fresh kernel for every page, much slower (as in
    :func:`~solihull_analytics.report.pipeline.render_pack`). One LA's failure does not stop the
    rest.

    Returns
    -------
    list of PackResult
        One per LA, sorted by LA code, notebooks in notebook order.
    """
    from concurrent.futures import ThreadPoolExecutor

    from tqdm.auto import tqdm

    from solihull_analytics.geo.las import la_info
    from solihull_analytics.report.kernels import clean_stale_kernel_dirs
    from solihull_analytics.report.pipeline import (
        PackResult,
        _library_fingerprint,
        discover_notebooks,
    )

    codes = list(dict.fromkeys(la_codes))
    reports_dir = Path(reports_dir or paths.reports_dir())
    processed_dir = Path(processed_dir or paths.processed_dir())
    run_date = run_date or date.today().isoformat()
    for code in codes:
        la_info(code, processed_dir)  # fail early, with the valid codes, on a bad code
    cpus = os.cpu_count() or 1
    jobs = max(1, min(jobs or cpus, cpus, len(codes) or 1))
    selected = discover_notebooks(notebooks)
    library = _library_fingerprint()
    results = {code: PackResult(code) for code in codes}
    clean_stale_kernel_dirs()
    _prepare_pack_dirs(reports_dir, codes)

    bar = tqdm(total=len(codes) * len(selected), desc="pages", disable=not progress)

    render_kwargs = {"processed_dir": processed_dir, "run_date": run_date, "force": force,
                     "extra_parameters": extra_parameters, "library": library}

    def worker(nb: Path, share: list[str]) -> list[Any]:
        return _render_share(nb, share, reports_dir, render_kwargs, bar.update, fresh_kernels)

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for nb in selected:
            for done in pool.map(lambda share, nb=nb: worker(nb, share), _shares(codes, jobs)):
                for r in done:
                    results[r.la_code].notebooks.append(r)
    bar.close()
    _write_indexes(reports_dir, results, compare_with)
    return [results[c] for c in sorted(codes)]


def _render_share(
    nb: Path,
    share: list[str],
    reports_dir: Path,
    render_kwargs: dict[str, Any],
    advance: Any,
    fresh_kernels: bool = False,
) -> list[Any]:
    """Render one notebook for each LA of ``share`` in one warm kernel (or a fresh kernel each),
    under each pack's lock; a lock or kernel failure becomes that LA's failed result."""
    from solihull_analytics.locking import hold_lock
    from solihull_analytics.report.pipeline import REPORT_LOCK, NotebookResult, render_notebook

    done = []
    with ExitStack() as stack:
        kernel = None if fresh_kernels else stack.enter_context(WarmKernel(nb.parent))
        for code in share:
            out_dir = reports_dir / code
            try:
                with hold_lock(out_dir / REPORT_LOCK, f"report for {code}"):
                    result = render_notebook(nb, code, out_dir, **render_kwargs, kernel=kernel)
            except Exception as exc:  # noqa: BLE001 - a lock or kernel restart failed
                error = f"{type(exc).__name__}: {exc}"
                result = NotebookResult(code, nb.stem, "failed", error=error)
            done.append(result)
            advance(1)
    return done


def _prepare_pack_dirs(reports_dir: Path, codes: list[str]) -> None:
    """Create each LA's pack folder and clear what an interrupted run left staged there."""
    from solihull_analytics.locking import hold_lock
    from solihull_analytics.report.pipeline import REPORT_LOCK, clean_staging

    for code in codes:
        (reports_dir / code).mkdir(parents=True, exist_ok=True)
        with hold_lock(reports_dir / code / REPORT_LOCK, f"report for {code}"):
            clean_staging(reports_dir, code)


def _write_indexes(reports_dir: Path, results: dict[str, Any], compare_with: Path | None) -> None:
    """Write each LA's pack index (under its lock), then the top index of all packs."""
    from solihull_analytics.locking import hold_lock
    from solihull_analytics.report.front import write_la_index, write_top_index
    from solihull_analytics.report.pipeline import REPORT_LOCK

    for code, result in results.items():
        out_dir = reports_dir / code
        with hold_lock(out_dir / REPORT_LOCK, f"report for {code}"):
            result.index_path = write_la_index(out_dir, compare_with)
    write_top_index(reports_dir)
