"""The kernels that execute the pack's notebooks: how they talk to the pipeline, and where.

Each kernel gets a private temporary folder (mode 0700) for its connection file (which holds its
signing key) and, on Linux and macOS, its socket files; folders left by a killed run are removed
by the next one (:func:`clean_stale_kernel_dirs`).

A :class:`WarmKernel` is kept alive across renders and reset between them
(:data:`RESET_CODE`), so the libraries are imported once per worker:
:func:`render_in_kept_kernels` renders one LA's pages that way, and
:mod:`~solihull_analytics.report.batch` one page for many LAs (issue 16).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any


def kernel_transport(platform: str | None = None) -> str:
    """``"ipc"`` (local socket files), or ``"tcp"`` on loopback on Windows only.

    Windows has no Unix-domain (IPC) sockets that ZeroMQ can use, so kernels there listen on
    127.0.0.1: reachable from this machine only, and protected by the connection file's key.
    """
    return "tcp" if (platform or sys.platform) == "win32" else "ipc"


def local_socket_kernel_manager(socket_dir: Path) -> type:
    """A kernel manager whose kernels talk over local (IPC) sockets instead of TCP.

    Notebook 04 handles child-level data inside the kernel; with IPC the traffic between
    pipeline and kernel goes through socket files readable by this user only, never a network
    port (and ipykernel's "running over TCP without encryption" warning goes away).
    """
    from jupyter_client.manager import AsyncKernelManager

    class LocalSocketKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.transport = kernel_transport()
            self.ip = str(socket_dir / "kernel") if self.transport == "ipc" else "127.0.0.1"
            # The connection file holds the kernel's signing key: keep it in the same private
            # folder (removed at the end, or by the next run if this one is killed), not in
            # Jupyter's shared runtime folder.
            self.connection_file = str(socket_dir / "kernel.json")

        def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
            # The kernel logs a harmless "KeyboardInterrupt caught" at every shutdown; a failing
            # cell is reported by the pipeline itself, so keep the kernel's own log quiet.
            quiet = ["--IPKernelApp.log_level=CRITICAL"]
            return super().format_kernel_cmd([*(extra_arguments or []), *quiet])

    return LocalSocketKernelManager


KERNEL_DIR_PREFIX = "sa-kernel-"
#: Held (locked) while a run uses its kernel folder; a folder whose lock is free was left by a
#: run that was killed.
KERNEL_DIR_LOCK = ".in-use"
@contextmanager
def private_kernel_dir() -> Iterator[Path]:
    """A temporary folder only this user can read (mode 0700) for a kernel's connection file and
    sockets; removed on exit, and by :func:`clean_stale_kernel_dirs` if the run is killed."""
    from solihull_analytics.locking import hold_lock

    with tempfile.TemporaryDirectory(prefix=KERNEL_DIR_PREFIX) as name:
        folder = Path(name)
        with hold_lock(folder / KERNEL_DIR_LOCK, "report"):
            yield folder


def clean_stale_kernel_dirs(
    temp_root: Path | None = None, min_age_seconds: float = 24 * 3600
) -> int:
    """Remove kernel folders (with their connection keys) left by killed runs; return how many.

    A folder whose lock is held belongs to a live run and is kept, and so is one made in the
    last few seconds (its run may not have taken the lock yet). One without a lock file (made by
    an older version) is removed only when older than ``min_age_seconds``.
    """
    from solihull_analytics.locking import is_locked

    root = temp_root or Path(tempfile.gettempdir())
    removed = 0
    for folder in root.glob(f"{KERNEL_DIR_PREFIX}*"):
        try:
            st = folder.stat()
            if not folder.is_dir() or (hasattr(os, "getuid") and st.st_uid != os.getuid()):
                continue
            age = time.time() - st.st_mtime
            lock = folder / KERNEL_DIR_LOCK
            if age < 5 or (lock.exists() and is_locked(lock)):
                continue
            if not lock.exists() and age < min_age_seconds:
                continue
        except OSError:
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed += not folder.exists()
    return removed


#: Run in a kept kernel before each render: forget the previous render's variables, close its
#: figures, and hand the memory they held back to the system (glibc keeps freed memory for the
#: process otherwise, so a kernel kept across pages would hold every page's peak).
#:
#: What survives the collection (modules, kept tables, caches) is then frozen (``gc.freeze``): the
#: cyclic garbage collector no longer walks those 250,000-odd objects on each full collection.
#: Unfrozen, the collections of one LA's six pages took about 5 s (three in every reset, the
#: rest while the cells ran); frozen, about 0.3 s. A render's own garbage is still collected,
#: since the collection runs before the freeze.
RESET_CODE = (
    "get_ipython().run_line_magic('reset', '-f')\n"
    "import sys as _sa_sys\n"
    "if 'matplotlib.pyplot' in _sa_sys.modules:\n"
    "    _sa_sys.modules['matplotlib.pyplot'].close('all')\n"
    "import gc as _sa_gc\n"
    "_sa_gc.collect()\n"
    "_sa_gc.freeze()\n"
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
#: Run by a kept kernel as soon as it starts, while this process imports papermill and reads the
#: notebook: every page starts by importing the page scaffolding (pandas with it), and its first
#: ``Page`` sets the chart style through pyplot (about 0.7 s of imports in a fresh kernel).
#: An expression, run silently, so it binds no name in the page's namespace.
PRELOAD_CODE = (
    "[__import__('importlib').import_module(m)"
    " for m in ('solihull_analytics.report.page', 'matplotlib.pyplot')]"
)
#: pyarrow's environment variable for its default memory pool (a user's own setting is kept).
ARROW_POOL_ENV = "ARROW_DEFAULT_MEMORY_POOL"


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
        self._ready = False
        self._pending_reset: str | None = None
        self._stack = ExitStack()

    def __enter__(self) -> WarmKernel:
        self._socket_dir = Path(self._stack.enter_context(private_kernel_dir()))
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._stop()
        finally:
            self._stack.close()

    def _start(self) -> None:
        """Start the kernel and ask it to import :data:`PRELOAD_CODE`, without waiting for it:
        :meth:`wait_until_ready` waits, once this process has done its own preparing."""
        from jupyter_core.utils import run_sync

        self.km = local_socket_kernel_manager(self._socket_dir)(kernel_name="python3")
        from solihull_analytics.build import KEEP_TABLES_ENV

        env = {k: v for k, v in os.environ.items() if k != KEEP_TABLES_ENV}
        if self.keep_tables:
            env[KEEP_TABLES_ENV] = "1"
        # Arrow's own allocator (mimalloc) kept the memory of one page's tables after the reset
        # released it, so a kernel kept for three pages held the largest of them: with the
        # system allocator, which the reset's malloc_trim hands back, one LA's pack peaked at
        # 0.87-0.88 GB instead of 0.95-1.02 (two runs each), for the same CPU time.
        env.setdefault(ARROW_POOL_ENV, "system")
        run_sync(self.km.start_kernel)(cwd=str(self.cwd), env=env)
        self.kc = self.km.client()
        self.kc.allow_stdin = False
        self.kc.start_channels()
        self._ready = False
        # Queued until the kernel listens; its reply is one wait_for_ready and nbclient skip.
        self.kc.execute(PRELOAD_CODE, silent=True, store_history=False)

    def wait_until_ready(self) -> None:
        """Wait until the started kernel answers (it has then run :data:`PRELOAD_CODE`)."""
        from jupyter_core.utils import run_sync

        if not self._ready:
            run_sync(self.kc.wait_for_ready)(timeout=KERNEL_START_TIMEOUT)
            self._ready = True

    def _stop(self) -> None:
        from jupyter_core.utils import run_sync

        self._pending_reset = None
        if self.kc is not None:
            self.kc.stop_channels()
            self.kc = None
        if self.km is not None and self.km.has_kernel:
            run_sync(self.km.shutdown_kernel)(now=True)
        self.km = None

    def is_alive(self) -> bool:
        from jupyter_core.utils import run_sync

        return self.km is not None and bool(run_sync(self.km.is_alive)())

    def reset_soon(self) -> None:
        """Send :data:`RESET_CODE` now without waiting: the kernel clears the render just
        executed while this process converts and publishes it; :meth:`prepare` collects the
        reply before the next render."""
        if self.kc is not None and self._pending_reset is None:
            self._pending_reset = self.kc.execute(RESET_CODE, silent=True, store_history=False)

    def prepare(self) -> None:
        """Make the kernel ready for the next render: start it on the first, restart it if it
        died, else clear the previous render's state (sent by :meth:`reset_soon`, or now)."""
        from jupyter_core.utils import run_sync

        if not self.is_alive():
            self._stop()
            self._start()
            return
        if self.renders:
            self.wait_until_ready()
            msg_id = self._pending_reset or self.kc.execute(
                RESET_CODE, silent=True, store_history=False
            )
            self._pending_reset = None
            reply = run_sync(_shell_reply)(self.kc, msg_id, KERNEL_START_TIMEOUT)
            if reply is None or reply["content"].get("status") != "ok":
                self._stop()
                self._start()

    def engine_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``papermill.execute_notebook``: run on this kept kernel.

        The kernel is started (or reset) first, so that it starts up while papermill is
        imported; the engine waits for it just before the first cell.
        """
        self.prepare()
        _register_engine()
        self.renders += 1
        return {"engine_name": ENGINE_NAME, "warm_kernel": self}


async def _shell_reply(kc: Any, msg_id: str, timeout: float) -> dict[str, Any] | None:
    """The kernel's reply to request ``msg_id`` (replies to earlier requests are skipped), or
    None if none comes within ``timeout`` seconds."""
    import queue

    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            msg = await kc.get_shell_msg(timeout=left)
        except queue.Empty:
            return None
        if msg["parent_header"].get("msg_id") == msg_id:
            return msg
    return None


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
            warm_kernel.wait_until_ready()
            executed = client.execute()
            warm_kernel.reset_soon()
            return executed

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
