"""What each chart of one LA's pack costs to draw and save, in a warm process (issue 16).

Usage::

    python benchmarks/profile_charts.py [--la E08000029] [--warm-up E10000016]
        [--notebooks 02 03] [--png-dir DIR] [--profile]

Runs the code cells of the report notebooks in this process (their parameters cell with
``--la``), first for ``--warm-up`` (imports, table reads, caches), then for ``--la``, and reports
for ``--la``:

- each chart: the CPU seconds (this process) from the end of the previous chart (or the
  cell's start) to the call of :meth:`Page.figure` (building the chart, with the section's
  computing), and the CPU seconds :meth:`Page.figure` takes (laying out, drawing, encoding);
- each chart function's CPU seconds (the ``plot_*`` functions of the pages' ``charts``
  modules: building the figure and its layout pass);
- each notebook's cell CPU seconds, and the chart seconds per LA (chart functions plus
  :meth:`Page.figure`).

``--png-dir`` saves every chart's PNG (``<notebook>_<n>.png``), e.g. to compare two versions
with ``compare_charts.py``. ``--profile`` prints the top cProfile entries of the ``--la`` run,
``--profile-figures`` those of its :meth:`Page.figure` calls only.
Figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import json
import pstats
import time
from pathlib import Path

from solihull_analytics import paths
from solihull_analytics.report import page as page_module


def notebook_cells(path: Path) -> list[str]:
    """The code cells of a notebook, parameters cell first."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in doc["cells"] if c["cell_type"] == "code"]


class ChartTimer:
    """Wraps :meth:`Page.figure` to time each call and keep its PNG."""

    def __init__(self) -> None:
        self.records: list[dict] = []
        self.profiler: cProfile.Profile | None = None
        self.mark = time.process_time()
        self.pngs: list[bytes] = []
        self._original = page_module.Page.figure

    def install(self) -> None:
        timer = self

        def figure(page, fig, alt, *args, **kwargs):  # noqa: ANN001, ANN202
            start = time.process_time()
            build = start - timer.mark
            if timer.profiler:
                timer.profiler.enable()
            timer._original(page, fig, alt, *args, **kwargs)
            if timer.profiler:
                timer.profiler.disable()
            end = time.process_time()
            timer.records.append(
                {"notebook": page.notebook, "alt": alt, "build": build, "figure": end - start}
            )
            timer.mark = end

        page_module.Page.figure = figure

    def start_cell(self) -> None:
        self.mark = time.process_time()


#: The functions that draw a chart (return a figure), by page package.
CHART_FUNCTIONS = {
    "cla_trend": ("plot_trend", "plot_comparison"),
    "deprivation": ("plot_decile_map", "plot_decile_bars", "plot_growth"),
    "sub_area_profile": ("bar_chart", "idaci_chart", "maps_figure"),
    "cla_gradient": ("plot_gradient",),
    "benchmarking": (
        "plot_deprivation", "plot_funnel", "plot_change", "plot_workforce", "plot_diagnostics"
    ),
}


def time_chart_functions(seconds: dict[str, float]) -> None:
    """Add each chart function's CPU seconds to ``seconds[name]`` (wrapped where it is used)."""
    import importlib

    for package, names in CHART_FUNCTIONS.items():
        charts = importlib.import_module(f"solihull_analytics.pages.{package}.charts")
        page = importlib.import_module(f"solihull_analytics.pages.{package}.page")
        for name in names:
            original = getattr(charts, name)

            def timed(*args, _fn=original, _name=name, **kwargs):  # noqa: ANN002, ANN003, ANN202
                start = time.process_time()
                try:
                    return _fn(*args, **kwargs)
                finally:
                    seconds[_name] = seconds.get(_name, 0.0) + time.process_time() - start

            setattr(charts, name, timed)
            if getattr(page, name, None) is original:
                setattr(page, name, timed)


def _quiet_display() -> list[bytes]:
    """Replace IPython's display by one that keeps PNGs and shows nothing."""
    import IPython.display

    pngs: list[bytes] = []

    def display(*objs, raw=False, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        for obj in objs:
            if raw and isinstance(obj, dict) and "image/png" in obj:
                pngs.append(base64.b64decode(obj["image/png"]))

    IPython.display.display = display
    return pngs


def run_pack(la: str, notebooks: list[Path], timer: ChartTimer) -> dict[str, float]:
    """Execute the notebooks' code cells for ``la``; return seconds per notebook."""
    seconds = {}
    for nb in notebooks:
        cells = notebook_cells(nb)
        env: dict = {}
        exec(cells[0], env)  # noqa: S102 - the parameters cell of our own notebook
        env["la_code"] = la
        start = time.process_time()
        for cell in cells[1:]:
            timer.start_cell()
            exec(cell, env)  # noqa: S102 - our own notebook's cells
        seconds[nb.stem] = time.process_time() - start
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--la", default="E08000029")
    parser.add_argument("--warm-up", default="E10000016")
    parser.add_argument("--notebooks", nargs="*", default=[], help="numbers, e.g. 02 03")
    parser.add_argument("--png-dir", type=Path)
    parser.add_argument("--profile", action="store_true", help="profile the whole --la run")
    parser.add_argument(
        "--profile-figures", action="store_true", help="profile only the Page.figure calls"
    )
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="cumulative", help="pstats order, e.g. tottime")
    args = parser.parse_args()

    books = sorted(paths.notebooks_dir().glob("[0-9][0-9]_*.ipynb"))
    if args.notebooks:
        books = [b for b in books if b.name[:2] in args.notebooks]
    pngs = _quiet_display()
    timer = ChartTimer()
    timer.install()
    drawing: dict[str, float] = {}
    time_chart_functions(drawing)
    run_pack(args.warm_up, books, timer)
    timer.records.clear()
    drawing.clear()
    pngs.clear()
    profiler = cProfile.Profile() if args.profile or args.profile_figures else None
    if args.profile_figures:
        timer.profiler = profiler
    elif profiler:
        profiler.enable()
    seconds = run_pack(args.la, books, timer)
    if profiler and not args.profile_figures:
        profiler.disable()

    print(f"Charts of {args.la} (warm, after {args.warm_up}), CPU seconds: "
          "up to the chart (building it, and the section's computing), Page.figure, chart")
    per_book: dict[str, list[float]] = {}
    for i, r in enumerate(timer.records):
        per_book.setdefault(r["notebook"], [0.0, 0.0])
        per_book[r["notebook"]][0] += r["build"]
        per_book[r["notebook"]][1] += r["figure"]
        print(f"  {i:2d} {r['build']:6.2f} {r['figure']:6.2f}  {r['notebook']}: {r['alt'][:70]}")
    print("Per notebook (CPU s): cells, up to the charts, Page.figure")
    for stem, s in seconds.items():
        b, f = next((v for k, v in per_book.items() if stem.startswith(k[:2])), (0.0, 0.0))
        print(f"  {stem:32s} {s:6.2f} {b:6.2f} {f:6.2f}")
    print("Chart functions (CPU s, all calls): "
          + ", ".join(f"{k} {v:.2f}" for k, v in drawing.items()))
    total_fig = sum(r["figure"] for r in timer.records)
    total_draw = sum(drawing.values())
    print(f"Total: {len(timer.records)} charts; CPU s: chart functions {total_draw:.2f}, "
          f"Page.figure {total_fig:.2f}, both {total_draw + total_fig:.2f}; "
          f"cells {sum(seconds.values()):.2f}")
    if args.png_dir:
        args.png_dir.mkdir(parents=True, exist_ok=True)
        counts: dict[str, int] = {}
        for r, png in zip(timer.records, pngs, strict=True):
            n = counts[r["notebook"]] = counts.get(r["notebook"], 0) + 1
            (args.png_dir / f"{r['notebook']}_{n:02d}.png").write_bytes(png)
        print(f"PNGs in {args.png_dir}")
    if profiler:
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
