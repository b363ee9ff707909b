"""Benchmark the report pipeline.

Usage::

    python benchmarks/report.py [--la E08000029] [--sample 20] [--jobs N]

Prints:

- pack wall time: the whole pack for one LA rendered warm (processed data present, --force),
  each worker in one kept kernel (``--fresh-kernels``: a fresh kernel per notebook, as before);
- floor: like for like, the same number of empty notebooks as the pack (each only imports the
  libraries the report notebooks import and writes an empty page), rendered the same way
  (``render_notebook``) with the same parallelism as the pack (``jobs`` notebooks at once):
  the cost of kernel start-up, imports and rendering that no pack can avoid;
- the ratio pack / floor (target at most 1.5);
- peak memory of the process tree, for the pack and for the ``--all-las`` sample (targets 1.0 GB
  and 2.0 GB, issue 16): the resident memory (RSS) summed over the processes, as measured since
  the issue was filed, and the proportional memory (PSS), which counts once the pages of shared
  libraries that every kernel maps (the memory the pack takes from the machine);
- the pack's execution time summed over its notebooks' cells, as papermill records them (a
  figure that the machine's load distorts less than wall time);
- a no-change rerun (target under 1.5 s, as a user runs it: a new process);
- ``--all-las`` timed on a sample of LAs (at least 20 by default), and the projection for every
  English LA (target 10 minutes);
- the CPU seconds of the pack and of the sample per LA: this process and every kernel it ran (the
  kernels are shut down and reaped when a render ends, so their time is in ``os.times()``'s
  children). CPU seconds vary much less with the machine's load than wall time, and the sample's
  CPU seconds per LA divided by the cores give the shortest wall time the route allows.

Run ``uptime`` next to it: on a shared machine the figures grow with the load.

The figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import os
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
from solihull_analytics.report.page import Page
from solihull_analytics.geo.las import la_info
la = la_info(la_code)
page = Page("99_floor", "Floor", la.code, la.name, output_dir, run_date or None)
_ = page.finish()
"""


def _tree_memory(me: int) -> dict[int, tuple[int, int]]:
    """Resident and proportional memory (bytes) of this process and its descendants, by pid.

    The proportional set size (PSS, Linux ``smaps_rollup``) shares each page among the processes
    that map it, so summed over the tree it counts once the shared libraries (Python, numpy,
    Arrow, matplotlib) that the resident set size (RSS) counts in every kernel and the parent.
    Without ``smaps_rollup`` the PSS is given as the RSS.
    """
    out: dict[int, tuple[int, int]] = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        pid = int(status.parent.name)
        ppid = int(fields.get("PPid", "0").strip() or 0)
        if not (pid == me or ppid == me or _is_descendant(pid, me)):
            continue
        rss = int(fields.get("VmRSS", "0 kB").split()[0]) * 1024
        try:
            rollup = (status.parent / "smaps_rollup").read_text().splitlines()
            pss = next(int(x.split()[1]) * 1024 for x in rollup if x.startswith("Pss:"))
        except (OSError, StopIteration):
            pss = rss
        out[pid] = (rss, pss)
    return out


def _peak_rss_watch(stop: threading.Event, peak: list[int],
                    at_peak: dict[int, int] | None = None) -> None:
    """Sample the memory of this process and all its children (kernels) every 0.2 s.

    ``peak`` is ``[peak RSS sum, peak PSS sum]``; ``at_peak`` is filled with each process's
    resident memory at the RSS peak (pid -> bytes).
    """
    me = os.getpid()
    while not stop.is_set():
        each = _tree_memory(me)
        total = sum(rss for rss, _ in each.values())
        if total > peak[0] and at_peak is not None:
            at_peak.clear()
            at_peak.update({pid: rss for pid, (rss, _) in each.items()})
        peak[0] = max(peak[0], total)
        peak[1] = max(peak[1], sum(pss for _, pss in each.values()))
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


class PeakMemory:
    """Watch the peak resident memory of this process tree while the ``with`` block runs."""

    def __enter__(self) -> PeakMemory:
        self._stop, self._peak, self.at_peak = threading.Event(), [0, 0], {}
        self._thread = threading.Thread(
            target=_peak_rss_watch, args=(self._stop, self._peak, self.at_peak), daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def gb(self) -> float:
        """Peak of the processes' resident memory (RSS) summed: shared pages counted per process."""
        return self._peak[0] / 1e9

    @property
    def pss_gb(self) -> float:
        """Peak of the processes' proportional memory (PSS) summed: each page counted once."""
        return self._peak[1] / 1e9

    def composition(self) -> str:
        """The processes' resident memory at the peak: this process, then the largest others
        (the kernels), in GB."""
        me = os.getpid()
        others = sorted((v for pid, v in self.at_peak.items() if pid != me), reverse=True)
        parts = [f"this process {self.at_peak.get(me, 0) / 1e9:.2f}"]
        parts += [f"{v / 1e9:.2f}" for v in others[:4]]
        return ", ".join(parts) + (f" (+{len(others) - 4} more)" if len(others) > 4 else "")


class CpuSeconds:
    """CPU seconds (user and system) of this process and its reaped children over a block."""

    def __enter__(self) -> CpuSeconds:
        self._start = os.times()
        return self

    def __exit__(self, *exc: object) -> None:
        end = os.times()
        self.seconds = sum(
            getattr(end, f) - getattr(self._start, f)
            for f in ("user", "system", "children_user", "children_system")
        )


def write_floor_notebooks(folder: Path, count: int) -> list[Path]:
    """Write ``count`` empty notebooks (parameters cell + the pack's imports) into ``folder``."""
    params = new_code_cell(
        'la_code = "E08000029"\nprocessed_dir = ""\noutput_dir = ""\nrun_date = ""'
    )
    params.metadata["tags"] = ["parameters"]
    written = []
    for i in range(count):
        name = f"9{i}_floor"
        source = FLOOR_IMPORTS.replace('"99_floor"', f'"{name}"')
        nb = new_notebook(cells=[params, new_code_cell(source)])
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        path = folder / f"{name}.ipynb"
        nbformat.write(nb, path)
        written.append(path)
    return written


def time_floor(
    floor_nbs: list[Path], la: str, out_dir: Path, jobs: int, fresh_kernels: bool = False
) -> float:
    """Render the empty notebooks as :func:`render_pack` renders a pack: ``jobs`` at once, each
    worker in one kept kernel (or a fresh kernel per notebook, as ``--fresh-kernels``)."""
    from solihull_analytics import paths
    from solihull_analytics.report.kernels import render_in_kept_kernels
    from solihull_analytics.report.pipeline import render_notebook

    def one(nb: Path, kernel: object) -> str:
        r = render_notebook(
            nb,
            la,
            out_dir,
            processed_dir=paths.processed_dir(),
            run_date="2026-01-01",
            force=True,
            kernel=kernel,
        )
        assert r.status == "rendered", r.summary()
        return r.status

    start = time.perf_counter()
    render_in_kept_kernels(floor_nbs, one, jobs=max(1, jobs), kept=not fresh_kernels)
    return time.perf_counter() - start


def papermill_seconds(executed_dir: Path) -> dict[str, float]:
    """Notebook name -> the sum of its cells' execution times recorded by papermill."""
    import json

    out = {}
    for path in sorted(executed_dir.glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        out[path.stem] = sum(
            float(c.get("metadata", {}).get("papermill", {}).get("duration") or 0.0)
            for c in cells
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--la", default="E08000029")
    parser.add_argument(
        "--sample", type=int, default=20, help="LAs for the --all-las timing (issue 16: >= 20)"
    )
    parser.add_argument(
        "--many",
        choices=["processes", "batch"],
        default="batch",
        help="how the sample is rendered: render_many (a process and fresh kernels per LA) or "
        "render_batch (warm kernels kept across LAs, as --all-las does)",
    )
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--fresh-kernels", action="store_true",
        help="render the pack and its floor with a fresh kernel per notebook (the route before "
        "kept kernels), to compare",
    )
    args = parser.parse_args()

    from solihull_analytics.geo.las import list_las
    from solihull_analytics.report.batch import render_batch
    from solihull_analytics.report.pipeline import (
        discover_notebooks,
        render_many,
        render_pack,
    )

    notebooks = discover_notebooks()
    with tempfile.TemporaryDirectory(prefix="sa-report-bench-") as tmp:
        reports = Path(tmp) / "reports"
        notebooks_jobs = args.jobs
        floor_nbs = write_floor_notebooks(Path(tmp), len(notebooks))
        floors = [
            time_floor(floor_nbs, args.la, reports / "floor", notebooks_jobs, args.fresh_kernels)
            for _ in range(2)
        ]
        floor = min(floors)

        with PeakMemory() as pack_peak, CpuSeconds() as pack_cpu:
            start = time.perf_counter()
            pack = render_pack(args.la, reports_dir=reports, force=True, jobs=notebooks_jobs,
                               fresh_kernels=args.fresh_kernels)
            pack_s = time.perf_counter() - start
        failed = [n.summary() for n in pack.notebooks if n.status == "failed"]
        executes = papermill_seconds(reports / args.la / "executed")

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
        with PeakMemory() as many_peak, CpuSeconds() as many_cpu:
            start = time.perf_counter()
            render = render_batch if args.many == "batch" else render_many
            many = render(sample, jobs=args.jobs, reports_dir=reports, force=True, progress=False)
            many_s = time.perf_counter() - start
        many_failures = [n.summary() for r in many for n in r.notebooks if n.status == "failed"]
        many_failed = len(many_failures)

    n = len(notebooks)
    ratio = pack_s / floor
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average         {load} (1, 5, 15 min, at the end; {os.cpu_count()} CPUs)")
    print(f"notebooks            {n} ({', '.join(p.stem for p in notebooks)})")
    kernels = "a fresh kernel each" if args.fresh_kernels else "one kept kernel per worker"
    print(
        f"floor (like for like) {floor:.2f} s: {n} empty notebooks, {notebooks_jobs} at once, "
        f"{kernels} (best of {len(floors)})"
    )
    print(
        f"pack wall time       {pack_s:.1f} s for {args.la}, {notebooks_jobs} at once"
        + (f"; FAILED: {failed}" if failed else "")
    )
    print(
        f"ratio                {ratio:.2f}  (pack / floor; target <= 1.5: "
        f"{'met' if ratio <= 1.5 else 'NOT met'})"
    )
    print(
        f"pack execute (cells) {sum(executes.values()):.1f} s summed over notebooks, from "
        "papermill's cell durations (less distorted by load than wall time): "
        + ", ".join(f"{k[:2]} {v:.1f}" for k, v in sorted(executes.items()))
    )
    print(f"pack CPU             {pack_cpu.seconds:.1f} s (this process and its kernels)")
    print(
        f"peak memory, pack    {pack_peak.gb:.2f} GB RSS summed over the process tree (target "
        f"<= 1.0 GB); {pack_peak.pss_gb:.2f} GB PSS (shared libraries counted once)"
    )
    print(f"  at the peak, GB    {pack_peak.composition()}")
    print(f"no-change rerun      {rerun_s:.2f} s (new process; target < 1.5 s)")
    per_la = many_s / max(len(sample), 1)
    print(
        f"--all-las sample     {len(sample)} LAs in {many_s:.0f} s with {args.jobs} jobs "
        f"({per_la:.1f} s per LA; {many_failed} notebook failures; {args.many})"
    )
    cpu_per_la = many_cpu.seconds / max(len(sample), 1)
    cores = os.cpu_count() or 1
    print(
        f"sample CPU           {cpu_per_la:.1f} s per LA (this process and its kernels); at full "
        f"use of {cores} cores, all LAs need at least {cpu_per_la * len(las) / cores / 60:.1f} min"
    )
    print(
        f"peak memory, sample  {many_peak.gb:.2f} GB RSS summed over the process tree (target "
        f"<= 2.0 GB); {many_peak.pss_gb:.2f} GB PSS"
    )
    print(
        f"projected all LAs    {per_la * len(las) / 60:.1f} min for {len(las)} LAs "
        "(target <= 10 min)"
    )
    for line in many_failures:
        print(f"  failure: {line}")


if __name__ == "__main__":
    main()
