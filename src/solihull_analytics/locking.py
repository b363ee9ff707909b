"""Locks that stop two runs from writing the same folders at once, and worker processes that
end with their run.

``data build`` holds a lock on ``data/processed/`` and ``report`` one on each ``reports/<LA>/``
while they write. A second run on the same folder says so and waits for the first to finish
(up to ``SOLIHULL_LOCK_WAIT`` seconds, default one hour), then stops with a message. The locks
are operating-system file locks (:mod:`filelock`, which also works on Windows): a run that is
killed releases its lock, so a lock never outlives its run; likewise the worker processes of a
killed run stop (:func:`exit_with_parent`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

#: Seconds a second run waits for the first before it stops.
DEFAULT_WAIT_SECONDS = 3600.0


class LockBusyError(RuntimeError):
    """Another run held the folder for longer than we were willing to wait."""


def _wait_seconds() -> float:
    value = os.environ.get("SOLIHULL_LOCK_WAIT", "").strip()
    try:
        return max(0.0, float(value)) if value else DEFAULT_WAIT_SECONDS
    except ValueError:
        return DEFAULT_WAIT_SECONDS


def _to_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


@contextmanager
def hold_lock(
    lock_file: Path,
    what: str,
    *,
    notify: Callable[[str], None] | None = None,
    wait: float | None = None,
) -> Iterator[None]:
    """Hold ``lock_file`` for the duration of the block, waiting (with a message) if it is taken.

    Parameters
    ----------
    lock_file : Path
        The lock file (created when missing; its folder must exist).
    what : str
        What holds the lock, for messages (e.g. ``"data build"``).
    notify : callable, optional
        Where the "waiting" line goes (default: stderr).
    wait : float, optional
        Seconds to wait (default ``SOLIHULL_LOCK_WAIT`` or one hour).

    Raises
    ------
    LockBusyError
        When the other run still holds the lock after ``wait`` seconds.
    """
    lock = FileLock(str(lock_file))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        wait = _wait_seconds() if wait is None else wait
        (notify or _to_stderr)(
            f"another {what} is using {lock_file.parent}; waiting up to {wait:g} s for it to "
            "finish..."
        )
        try:
            lock.acquire(timeout=wait)
        except Timeout as exc:
            raise LockBusyError(
                f"another {what} is still using {lock_file.parent} after {wait:g} s (lock file "
                f"{lock_file.name}); let it finish or stop it, then run again."
            ) from exc
    try:
        yield
    finally:
        lock.release()


def is_locked(lock_file: Path) -> bool:
    """Whether a live process holds ``lock_file`` (a missing file is not locked)."""
    if not lock_file.exists():
        return False
    lock = FileLock(str(lock_file))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return True
    except OSError:
        return True  # cannot tell: treat as held, so nothing in use is removed
    lock.release()
    return False


def exit_with_parent() -> None:
    """Pool initializer: end this worker process as soon as the process that started it dies.

    Without it, workers of a killed build (``kill -9``, a closed terminal) would carry on
    building and writing tables nobody asked for any more. Works on Windows too (the parent's
    sentinel is a process handle there).
    """
    import multiprocessing
    import threading

    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        parent.join()
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
