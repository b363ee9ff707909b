"""The kernels that execute the pack's notebooks: how they talk to the pipeline, and where.

Each kernel gets a private temporary folder (mode 0700) for its connection file (which holds its
signing key) and, on Linux and macOS, its socket files; folders left by a killed run are removed
by the next one (:func:`clean_stale_kernel_dirs`).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
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
