"""Resident memory after each cell of the pack's notebooks, one fresh process per notebook.

Prints, after each cell, its seconds, the resident memory and the peak so far (which catches
memory held only inside a cell).

Usage::

    python benchmarks/notebook_memory.py [--la E08000029] [--notebooks 01 02 03 04 05] [--kept]

A one-LA pack's peak memory is the sum of the kernels running at once (two with ``--jobs 2``)
and the parent process; this shows which notebook, and which cell, holds the most. Each
notebook's code cells run in a new Python process (as a fresh kernel runs them, without the
kernel's own ~30 MB), with the parameters cell's ``la_code`` replaced and outputs discarded;
pages are written to a temporary folder. The figures are printed, not asserted.

``--kept`` renders the notebooks instead, in the order given, in one kernel kept across them
(as a worker of a one-LA pack does), and prints the kernel's resident memory and peak after each
page and after the reset between pages (``report/kernels.py`` ``RESET_CODE``): what a kept
kernel carries from one page into the next.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def rss_mb() -> float:
    """This process's resident memory in MB (Linux ``/proc``)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_mb() -> float:
    """This process's peak resident memory so far in MB (inside cells too)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_cells(notebook: Path, la_code: str, output_dir: str) -> None:
    """Run one notebook's code cells here, printing time and resident memory after each."""
    cells = [c for c in json.loads(notebook.read_text(encoding="utf-8"))["cells"]
             if c["cell_type"] == "code"]
    namespace: dict = {}
    print(f"{notebook.stem}: after start-up {rss_mb():.0f} MB", flush=True)
    for i, cell in enumerate(cells):
        source = "".join(cell["source"])
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(source, f"{notebook.stem} cell {i}", "exec"), namespace)  # noqa: S102
        if i == 0:  # the parameters cell
            namespace.update(la_code=la_code, output_dir=output_dir, run_date="2026-11-30")
        first = next((s for s in source.splitlines() if s and not s.startswith("#")), "")
        print(f"  cell {i:2d} {time.perf_counter() - start:6.2f} s  {rss_mb():6.0f} MB "
              f"(peak {peak_mb():4.0f})  {first[:60]}", flush=True)


def kernel_memory_mb(pid: int) -> tuple[float, float]:
    """A process's resident memory and its peak so far, in MB (Linux ``/proc``)."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS", "VmHWM")):
            key, value = line.split(":")
            found[key] = int(value.split()[0]) / 1024
    return found.get("VmRSS", float("nan")), found.get("VmHWM", float("nan"))


def run_kept(numbers: list[str], la_code: str, output_dir: str) -> None:
    """Render the notebooks in one kept kernel, printing its memory after each page and reset."""
    from jupyter_core.utils import run_sync

    from solihull_analytics import paths
    from solihull_analytics.report.kernels import RESET_CODE, render_in_kept_kernels
    from solihull_analytics.report.pipeline import discover_notebooks, render_notebook

    books = [nb for n in numbers for nb in discover_notebooks() if nb.name.startswith(n)]

    def render(nb: Path, kernel):  # noqa: ANN001, ANN202 - render_in_kept_kernels' callback
        result = render_notebook(nb, la_code, Path(output_dir), processed_dir=paths.processed_dir(),
                                 run_date="2026-11-30", force=True, kernel=kernel)
        pid = kernel.km.provisioner.pid
        rss, peak = kernel_memory_mb(pid)
        run_sync(kernel.kc.execute_interactive)(RESET_CODE, silent=True, store_history=False,
                                                timeout=120)
        after, _ = kernel_memory_mb(pid)
        print(f"{nb.stem:30s} {result.status:9s} kernel {rss:5.0f} MB after the page (peak so "
              f"far {peak:4.0f}), {after:5.0f} MB after the reset", flush=True)
        return result

    render_in_kept_kernels(books, render, jobs=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--la", default="E08000029")
    parser.add_argument("--notebooks", nargs="*", default=["01", "02", "03", "04", "05"])
    parser.add_argument("--kept", action="store_true",
                        help="render in one kept kernel, in the order given (memory per page)")
    parser.add_argument("--run", help=argparse.SUPPRESS)  # internal: one notebook, here
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        run_cells(Path(args.run), args.la, args.out)
        return
    with tempfile.TemporaryDirectory(prefix="sa-memory-") as tmp:
        if args.kept:
            run_kept(args.notebooks, args.la, tmp)
            return
        for number in args.notebooks:
            for nb in sorted((ROOT / "notebooks").glob(f"{number}*.ipynb")):
                subprocess.run([sys.executable, __file__, "--la", args.la, "--run", str(nb),
                                "--out", tmp], check=True, env={**os.environ, "MPLBACKEND": "Agg"})


if __name__ == "__main__":
    main()
