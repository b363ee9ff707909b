"""Benchmark the report pipeline.

Usage::

    python benchmarks/report.py [--la E08000029] [--sample 10] [--jobs N]

Prints:

- pack wall time: the whole pack for one LA rendered warm (processed data present, --force);
- floor: the time to execute and render one empty notebook that only imports the libraries the
  report notebooks import (kernel start-up + imports), the cost no notebook can avoid;
- the ratio pack / (number of notebooks x floor) (target at most 1.5);
- peak memory of the process tree (target under 1.5 GB);
- a no-change rerun (target under 3 s, as a user runs it: a new process);
- ``--all-las`` timed on a sample of LAs, and the projection for every English LA.

The figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

FLOOR_IMPORTS = """
import pandas, numpy, geopandas, matplotlib, scipy, statsmodels.api
from solihull_analytics.page import Page
from solihull_analytics.geography import la_info
la = la_info(la_code)
page = Page("99_floor", "Floor", la.code, la.name, output_dir, run_date or None)
_ = page.finish()
"""


def _peak_rss_watch(stop: threading.Event, peak: list[int]) -> None:
    """Sample the resident memory of this process and all its children (kernels)."""
    me = os.getpid()
    while not stop.is_set():
        total = 0
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                text = status.read_text()
            except OSError:
                continue
            fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
            pid = int(status.parent.name)
            ppid = int(fields.get("PPid", "0").strip() or 0)
            if pid == me or ppid == me or _is_descendant(pid, me):
                total += int(fields.get("VmRSS", "0 kB").split()[0]) * 1024
        peak[0] = max(peak[0], total)
        time.sleep(0.2)


def _is_descendant(pid: int, ancestor: int) -> bool:
    for _ in range(6):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return False
        pid = int(stat[1])
        if pid == ancestor:
            return True
        if pid <= 1:
            return False
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--la", default="E08000029")
    parser.add_argument("--sample", type=int, default=10, help="LAs for the --all-las timing")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()

    from solihull_analytics.geography import list_las
    from solihull_analytics.report import (
        discover_notebooks,
        render_many,
        render_notebook,
        render_pack,
    )

    notebooks = discover_notebooks()
    with tempfile.TemporaryDirectory(prefix="sa-report-bench-") as tmp:
        reports = Path(tmp) / "reports"
        # floor: an empty notebook that imports the same libraries, rendered the same way
        floor_nb = Path(tmp) / "99_floor.ipynb"
        params = new_code_cell(
            'la_code = "E08000029"\nprocessed_dir = ""\noutput_dir = ""\nrun_date = ""'
        )
        params.metadata["tags"] = ["parameters"]
        nb = new_notebook(cells=[params, new_code_cell(FLOOR_IMPORTS)])
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        nbformat.write(nb, floor_nb)
        from solihull_analytics import paths

        floors = []
        for _ in range(2):
            start = time.perf_counter()
            r = render_notebook(
                floor_nb,
                args.la,
                reports / "floor",
                processed_dir=paths.processed_dir(),
                run_date="2026-01-01",
                force=True,
            )
            floors.append(time.perf_counter() - start)
            assert r.status == "rendered", r.summary()
        floor = min(floors)

        stop, peak = threading.Event(), [0]
        watcher = threading.Thread(target=_peak_rss_watch, args=(stop, peak), daemon=True)
        watcher.start()
        start = time.perf_counter()
        pack = render_pack(args.la, reports_dir=reports, force=True)
        pack_s = time.perf_counter() - start
        stop.set()
        watcher.join()
        failed = [n.summary() for n in pack.notebooks if n.status == "failed"]

        env = dict(os.environ, SOLIHULL_REPORTS_DIR=str(reports))
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "solihull_analytics", "report", "--la", args.la],
            env=env,
            check=True,
            capture_output=True,
        )
        rerun_s = time.perf_counter() - start

        las = list_las()["la_code"].tolist()
        sample = [c for c in las if c != args.la][: args.sample]
        start = time.perf_counter()
        many = render_many(sample, jobs=args.jobs, reports_dir=reports, force=True, progress=False)
        many_s = time.perf_counter() - start
        many_failures = [n.summary() for r in many for n in r.notebooks if n.status == "failed"]
        many_failed = len(many_failures)

    n = len(notebooks)
    ratio = pack_s / (n * floor)
    self_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(f"notebooks            {n} ({', '.join(p.stem for p in notebooks)})")
    print(f"floor (empty nb)     {floor:.2f} s (best of {len(floors)})")
    print(
        f"pack wall time       {pack_s:.1f} s for {args.la}"
        + (f"; FAILED: {failed}" if failed else "")
    )
    print(
        f"ratio                {ratio:.2f}  (pack / (notebooks x floor); target <= 1.5: "
        f"{'met' if ratio <= 1.5 else 'NOT met'})"
    )
    print(
        f"peak memory          {max(peak[0], self_peak) / 1e9:.2f} GB"
        " (process tree; target < 1.5 GB)"
    )
    print(f"no-change rerun      {rerun_s:.2f} s (new process; target < 3 s)")
    per_la = many_s / max(len(sample), 1)
    print(
        f"--all-las sample     {len(sample)} LAs in {many_s:.0f} s with {args.jobs} jobs "
        f"({per_la:.1f} s per LA; {many_failed} notebook failures)"
    )
    print(f"projected all LAs    {per_la * len(las) / 60:.0f} min for {len(las)} LAs")
    for line in many_failures:
        print(f"  failure: {line}")


if __name__ == "__main__":
    main()
