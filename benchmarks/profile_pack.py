"""Where one LA's pack spends its time in a warm kernel (issue 16).

Usage::

    python benchmarks/profile_pack.py [--la E08000029] [--warm-up E08000025] [--top 15]

Renders the pack of ``--warm-up`` then ``--la`` with :func:`render_batch` (one job, so one warm
kernel per notebook, as ``--all-las`` uses), then reports for ``--la`` only (its kernels warm):

- each notebook's render time (execution, conversion, publishing), and its execution time as
  papermill records it (the sum of the cells' ``papermill.duration``: little distorted by load);
- each cell's duration from the executed notebook's metadata;
- the page conversion repeated in this process with the reused exporter: nbconvert, the
  sanitiser and the table of contents, and the headline JSON read and schema check;
- the top costs over all of these.

The figures are printed, not asserted. Run ``uptime`` next to it.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path


def _timed(fn, *args):  # noqa: ANN001, ANN202 - a small timing helper
    start = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - start


def cell_costs(executed: Path) -> list[tuple[float, str]]:
    """(seconds, label) of every code cell of an executed notebook, from papermill's metadata."""
    doc = json.loads(executed.read_text(encoding="utf-8"))
    costs = []
    for i, cell in enumerate(doc["cells"]):
        if cell["cell_type"] != "code":
            continue
        seconds = cell["metadata"].get("papermill", {}).get("duration") or 0.0
        source = "".join(cell["source"]).strip().splitlines()
        first = next((s for s in source if s and not s.startswith("#")), "")
        costs.append((float(seconds), f"{executed.stem} cell {i}: {first[:70]}"))
    return costs


def conversion_costs(executed: Path, headline_path: Path) -> list[tuple[float, str]]:
    """Time the conversion steps of one executed notebook (the exporter already made)."""
    import nbformat

    from solihull_analytics.report import convert
    from solihull_analytics.report.pipeline import _read_headline

    headline, read_s = _timed(_read_headline, headline_path)
    exporter = convert._html_exporter()
    nb = nbformat.read(executed, as_version=4)
    resources = {"sa": {"title": "", "la_code": "", "la_name": "", "run_date": "",
                        "version": "", "synthetic": False, "sources": [],
                        "css": convert.page_css()}, "metadata": {"name": ""}}
    (body, _), export_s = _timed(exporter.from_notebook_node, nb, resources)
    clean, sanitise_s = _timed(convert.sanitise_page, body)
    _, toc_s = _timed(convert.add_toc, clean)
    _, whole_s = _timed(convert.notebook_to_html, executed, headline)
    name = executed.stem
    return [
        (read_s, f"{name} headline JSON read + schema check"),
        (export_s, f"{name} nbconvert export ({len(body) / 1e6:.1f} MB html)"),
        (sanitise_s, f"{name} sanitise page"),
        (toc_s, f"{name} table of contents"),
        (whole_s, f"{name} notebook_to_html (all of the above but the JSON)"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--la", default="E08000029")
    parser.add_argument("--warm-up", default="E08000025", help="LA rendered first, to warm up")
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()

    from solihull_analytics.report.batch import render_batch

    with tempfile.TemporaryDirectory(prefix="sa-profile-") as tmp:
        reports = Path(tmp)
        start = time.perf_counter()
        results = render_batch([args.warm_up, args.la], jobs=1, reports_dir=reports,
                               force=True, progress=False, run_date="2026-01-01")
        wall = time.perf_counter() - start
        pack = next(r for r in results if r.la_code == args.la)
        rows: list[tuple[float, str]] = []
        execute_total = 0.0
        print(f"{'notebook':<28} {'render s':>9} {'execute s':>10} {'html MB':>8}")
        for nb in pack.notebooks:
            executed = reports / args.la / "executed" / f"{nb.notebook}.ipynb"
            cells = cell_costs(executed)
            execute = sum(s for s, _ in cells)
            execute_total += execute
            html_mb = (reports / args.la / f"{nb.notebook}.html").stat().st_size / 1e6
            print(f"{nb.notebook:<28} {nb.seconds:>9.2f} {execute:>10.2f} {html_mb:>8.2f}"
                  + ("" if nb.status == "rendered" else f"  {nb.summary()}"))
            rows += cells
            rows += conversion_costs(executed, reports / args.la / f"{nb.notebook}.json")
            rows.append((nb.seconds - execute, f"{nb.notebook} render minus execute "
                         "(papermill, conversion, publishing)"))
        render_total = sum(n.seconds for n in pack.notebooks)
        print(f"{'total':<28} {render_total:>9.2f} {execute_total:>10.2f}")
        print(f"batch wall time for {args.warm_up} then {args.la}: {wall:.1f} s (1 job)")
    print(f"\ntop {args.top} costs for {args.la} (warm kernel), seconds:")
    for seconds, label in sorted(rows, reverse=True)[: args.top]:
        print(f"{seconds:8.2f}  {label}")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\nload average {load} (1, 5, 15 min; {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
