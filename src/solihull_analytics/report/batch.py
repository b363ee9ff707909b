"""Render the packs of many LAs with warm kernels (issue 16).

:func:`solihull_analytics.report.pipeline.render_many` renders each LA's pack in its own process and
starts a fresh kernel for every notebook of every LA, so imports and table reads are paid
153 x 6 times for a national run. Here each worker keeps one kernel per notebook and reuses it
across LAs:

- notebooks are taken one at a time; for each, ``jobs`` workers (threads, at most one per CPU)
  each start one kernel and render their share of the LAs in it, then shut it down, so no more
  kernels run at once than there are cores;
- each render goes through :func:`solihull_analytics.report.pipeline.render_notebook` unchanged:
  papermill injects the parameters (the executed copy keeps its injected-parameters cell and
  papermill's metadata), nbclient executes it on the kept kernel, and the page is converted with
  the thread's reused nbconvert exporter;
- between LAs the kernel's user namespace is cleared (``%reset -f``) and every matplotlib figure
  closed, so no variable leaks from one LA to the next; imported modules (and the library's
  cached table reads, keyed by their paths) stay warm. A kernel that died is restarted.

The headline JSON and pages are the same as a one-LA render (``tests/test_batch.py``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import ExitStack
from datetime import date
from pathlib import Path
from typing import Any

from solihull_analytics import paths

#: Run in a kept kernel before each render: forget the previous render's variables, close its
#: figures, and hand the memory they held back to the system (glibc keeps freed memory for the
#: process otherwise, so a kernel kept across pages would hold every page's peak).
RESET_CODE = (
    "get_ipython().run_line_magic('reset', '-f')\n"
    "import sys as _sa_sys\n"
    "if 'matplotlib.pyplot' in _sa_sys.modules:\n"
    "    _sa_sys.modules['matplotlib.pyplot'].close('all')\n"
    "import gc as _sa_gc\n"
    "_sa_gc.collect()\n"
    "if 'pyarrow' in _sa_sys.modules:\n"
    "    _sa_sys.modules['pyarrow'].default_memory_pool().release_unused()\n"
    "if _sa_sys.platform.startswith('linux'):\n"
    "    import ctypes as _sa_ctypes\n"
    "    try:\n"
    "        _sa_ctypes.CDLL('libc.so.6').malloc_trim(0)\n"
    "    except (OSError, AttributeError):\n"
    "        pass\n"
    "    del _sa_ctypes\n"
    "del _sa_sys, _sa_gc\n"
)
KERNEL_START_TIMEOUT = 120


class WarmKernel:
    """One kernel kept alive across LAs for one notebook (use as a context manager).

    The kernel starts on the first render, so a run where nothing changed starts none.

    Parameters
    ----------
    cwd : Path
        The kernel's working folder (the notebooks' folder, as papermill uses).
    keep_tables : bool, default True
        Let the kernel keep the tables it parses (still hash-checked on every read): right for
        one notebook rendered for many LAs, which reads the same tables each time; not for the
        notebooks of one pack, which read different tables, so keeping them only adds memory.
    """

    def __init__(self, cwd: Path, keep_tables: bool = True) -> None:
        self.cwd = cwd
        self.keep_tables = keep_tables
        self.km: Any = None
        self.kc: Any = None
        self.renders = 0
        self._stack = ExitStack()

    def __enter__(self) -> WarmKernel:
        from solihull_analytics.report.kernels import private_kernel_dir

        self._socket_dir = Path(self._stack.enter_context(private_kernel_dir()))
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._stop()
        finally:
            self._stack.close()

    def _start(self) -> None:
        from jupyter_core.utils import run_sync

        from solihull_analytics.report.kernels import local_socket_kernel_manager

        self.km = local_socket_kernel_manager(self._socket_dir)(kernel_name="python3")
        from solihull_analytics.build import KEEP_TABLES_ENV

        env = {k: v for k, v in os.environ.items() if k != KEEP_TABLES_ENV}
        if self.keep_tables:
            env[KEEP_TABLES_ENV] = "1"
        run_sync(self.km.start_kernel)(cwd=str(self.cwd), env=env)
        self.kc = self.km.client()
        self.kc.allow_stdin = False
        self.kc.start_channels()
        run_sync(self.kc.wait_for_ready)(timeout=KERNEL_START_TIMEOUT)

    def _stop(self) -> None:
        from jupyter_core.utils import run_sync

        if self.kc is not None:
            self.kc.stop_channels()
            self.kc = None
        if self.km is not None and self.km.has_kernel:
            run_sync(self.km.shutdown_kernel)(now=True)
        self.km = None

    def is_alive(self) -> bool:
        from jupyter_core.utils import run_sync

        return self.km is not None and bool(run_sync(self.km.is_alive)())

    def prepare(self) -> None:
        """Make the kernel ready for the next render: start it on the first, restart it if it
        died, else clear the previous render's state."""
        from jupyter_core.utils import run_sync

        if not self.is_alive():
            self._stop()
            self._start()
            return
        if self.renders:
            reply = run_sync(self.kc.execute_interactive)(
                RESET_CODE, silent=True, store_history=False, timeout=KERNEL_START_TIMEOUT,
                output_hook=lambda msg: None,
            )
            if reply["content"].get("status") != "ok":
                self._stop()
                self._start()

    def engine_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``papermill.execute_notebook``: run on this kept kernel."""
        _register_engine()
        self.prepare()
        self.renders += 1
        return {"engine_name": ENGINE_NAME, "warm_kernel": self}


#: The papermill engine that executes on a kept kernel (registered on first use).
ENGINE_NAME = "solihull-warm-kernel"


def _register_engine() -> None:
    """Register with papermill an engine that runs nbclient on a :class:`WarmKernel`.

    papermill's own engine gives nbclient only the kernel manager, so nbclient makes a new
    kernel client per notebook; clients of one manager share a session identity, so a client
    left connected would take the next one's replies. Here nbclient uses the kept client.
    """
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.utils import merge_kwargs, remove_args

    if ENGINE_NAME in papermill_engines._engines:
        return

    class WarmKernelEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(
            cls,
            nb_man: Any,
            kernel_name: str,
            log_output: bool = False,
            stdout_file: Any = None,
            stderr_file: Any = None,
            start_timeout: int = 60,
            execution_timeout: int | None = None,
            warm_kernel: WarmKernel | None = None,
            **kwargs: Any,
        ) -> Any:
            import logging

            if warm_kernel is None:
                raise ValueError(f"the {ENGINE_NAME} engine needs warm_kernel=")
            kwargs = remove_args(["input_path", "timeout", "startup_timeout", "km"], **kwargs)
            client = PapermillNotebookClient(
                nb_man,
                km=warm_kernel.km,
                **merge_kwargs(
                    kwargs,
                    timeout=execution_timeout,
                    startup_timeout=start_timeout,
                    kernel_name=kernel_name,
                    log=logging.getLogger("papermill"),
                    log_output=log_output,
                    stdout_file=stdout_file,
                    stderr_file=stderr_file,
                ),
            )
            client.kc = warm_kernel.kc
            return client.execute()

    papermill_engines.register(ENGINE_NAME, WarmKernelEngine)


def render_in_kept_kernels(
    notebooks: Sequence[Path],
    render: Callable[[Path, WarmKernel | None], Any],
    *,
    jobs: int,
    kept: bool = True,
    on_result: Callable[[Any], None] | None = None,
    expected_seconds: Mapping[Path, float] | None = None,
) -> list[Any]:
    """Render the notebooks of one pack, ``jobs`` at once, each worker in one kept kernel.

    A one-LA pack used to start a kernel for every notebook, and each paid the imports again
    (issue 16). Here each worker starts one kernel, on its first render, and renders notebook
    after notebook in it, reset between them as between LAs (:data:`RESET_CODE`: no variable or
    figure carries over; imported modules do). Workers take the next notebook when they finish
    one, the longest first (as the last render timed them), so that no long notebook is left to
    run alone at the end. ``kept=False`` gives each notebook a fresh kernel, as Jupyter runs a
    notebook alone.

    Parameters
    ----------
    notebooks : sequence of Path
        Notebooks of one folder (the kernels' working folder).
    render : callable
        ``render(notebook, kernel)``, returning the notebook's result; ``kernel`` is ``None``
        when ``kept`` is false. It reports failures in its result rather than raising.
    jobs : int
        Notebooks rendered at once (kernels running at once).
    kept : bool, default True
        Keep one kernel per worker.
    on_result : callable, optional
        Called with each result, in notebook order.
    expected_seconds : mapping, optional
        Each notebook's expected render time; longer ones start first (default: in order).

    Returns
    -------
    list
        The results, in notebook order.
    """
    import queue
    import threading
    from concurrent.futures import ThreadPoolExecutor

    folders = {nb.parent for nb in notebooks}
    if len(folders) > 1:
        raise ValueError(f"notebooks of one pack must share a folder, not {sorted(folders)}")
    todo: queue.SimpleQueue[tuple[int, Path]] = queue.SimpleQueue()
    expected = expected_seconds or {}
    for item in sorted(enumerate(notebooks), key=lambda item: -expected.get(item[1], 0.0)):
        todo.put(item)
    results: dict[int, Any] = {}
    reported = [0]
    lock = threading.Lock()

    def finish(i: int, result: Any) -> None:
        with lock:
            results[i] = result
            while reported[0] in results:
                if on_result:
                    on_result(results[reported[0]])
                reported[0] += 1

    def worker() -> None:
        with ExitStack() as stack:
            kernel = (
                stack.enter_context(WarmKernel(notebooks[0].parent, keep_tables=False))
                if kept else None
            )
            while True:
                try:
                    i, nb = todo.get_nowait()
                except queue.Empty:
                    return
                finish(i, render(nb, kernel))

    workers = max(1, min(jobs, len(notebooks)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for future in [pool.submit(worker) for _ in range(workers)]:
            future.result()
    return [results[i] for i in range(len(notebooks))]


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
