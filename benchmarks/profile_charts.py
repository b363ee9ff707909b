"""What each chart of one LA's pack costs to draw and save, in a warm process (issue 16).

Usage::

    python benchmarks/profile_charts.py [--la E08000029] [--warm-up E10000016]
        [--notebooks 02 03] [--png-dir DIR] [--profile] [--keep-tables]

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

``--passes`` prints, for each chart of ``--la``, how often it is laid out, measured and drawn
(calls of ``tight_layout``, ``Figure.get_tightbbox``, ``Figure.draw``, ``Text._get_layout``,
``Text.draw``, ``findfont`` and ``Axis._update_ticks``, counted with cProfile from the end of the
previous chart) and its text objects: all, those drawn (visible, not empty), those never drawn
(invisible or empty); the axis of an axes turned off is not looked into.

``--png-dir`` saves every chart's PNG (``<notebook>_<n>.png``, with their alt text in
``alt.json``), e.g. to compare two versions
with ``compare_charts.py``. ``--profile`` prints the top cProfile entries of the ``--la`` run,
``--profile-figures`` those of its :meth:`Page.figure` calls only.
Figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import json
import os
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
        self.passes: cProfile.Profile | None = None

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
            record = {"notebook": page.notebook, "alt": alt, "build": build, "figure": end - start}
            if timer.passes:
                timer.passes.disable()
                record["passes"] = pass_counts(timer.passes)
                record["texts"] = text_census(fig)
                timer.passes = cProfile.Profile()
                timer.passes.enable()
            timer.records.append(record)
            timer.mark = time.process_time()

        page_module.Page.figure = figure

    def start_cell(self) -> None:
        self.mark = time.process_time()

    def count_passes(self, on: bool) -> None:
        """Count each chart's layout and drawing calls (cProfile) from now on, or stop."""
        if self.passes:
            self.passes.disable()
        self.passes = cProfile.Profile() if on else None
        if self.passes:
            self.passes.enable()


#: The calls ``--passes`` counts: label -> (file name ending, function name).
PASS_CALLS = {
    "tight_layout": ("figure.py", "tight_layout"),
    "tightbbox": ("figure.py", "get_tightbbox"),
    "fig.draw": ("figure.py", "draw"),
    "_get_layout": ("text.py", "_get_layout"),
    "Text.draw": ("text.py", "draw"),
    "findfont": ("font_manager.py", "findfont"),
    "_update_ticks": ("axis.py", "_update_ticks"),
}


def pass_counts(profiler: cProfile.Profile) -> dict[str, int]:
    """How often each of :data:`PASS_CALLS` was called under ``profiler``."""
    stats = pstats.Stats(profiler).stats  # (file, line, function) -> (cc, ncalls, ...)
    counts = dict.fromkeys(PASS_CALLS, 0)
    for (file, _line, func), (_cc, ncalls, *_rest) in stats.items():
        for label, (ending, name) in PASS_CALLS.items():
            if func == name and file.endswith(ending) and "matplotlib" in file:
                counts[label] += ncalls
    return counts


def text_census(fig) -> dict[str, int]:  # noqa: ANN001
    """A drawn figure's text objects: all; drawn (visible, not empty); invisible; empty.

    The axes of an axes turned off (maps) are not looked into: listing their ticks would create
    them (their drawing and layout passes skip them, so they are never created there).
    """
    from matplotlib.axis import Axis
    from matplotlib.text import Text

    off = {id(axis) for ax in fig.axes if not ax.axison for axis in (ax.xaxis, ax.yaxis)}
    out = {"all": 0, "drawn": 0, "invisible": 0, "empty": 0}
    stack = [fig]
    while stack:
        artist = stack.pop()
        if isinstance(artist, Axis) and id(artist) in off:
            continue
        stack.extend(artist.get_children())
        if not isinstance(artist, Text):
            continue
        out["all"] += 1
        if not artist.get_visible():
            out["invisible"] += 1
        elif not artist.get_text():
            out["empty"] += 1
        else:
            out["drawn"] += 1
    return out


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


def print_passes(records: list[dict]) -> None:
    """Print each chart's call counts and text census (``--passes``), and their totals."""
    labels = list(PASS_CALLS)
    kinds = list(records[0]["texts"]) if records else []
    print("Calls per chart: " + ", ".join(labels) + " | texts: " + ", ".join(kinds))
    totals = dict.fromkeys(labels + kinds, 0)
    for i, r in enumerate(records):
        calls = [r["passes"][k] for k in labels]
        texts = [r["texts"][k] for k in kinds]
        for k, v in zip(labels + kinds, calls + texts, strict=True):
            totals[k] += v
        print(f"  {i:2d} " + " ".join(f"{v:5d}" for v in calls) + " | "
              + " ".join(f"{v:4d}" for v in texts) + f"  {r['notebook']}")
    print("  all " + " ".join(f"{totals[k]:5d}" for k in labels) + " | "
          + " ".join(f"{totals[k]:4d}" for k in kinds))


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
    parser.add_argument(
        "--passes", action="store_true",
        help="count each chart's layout, measuring and drawing calls, and its text objects",
    )
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="cumulative", help="pstats order, e.g. tottime")
    parser.add_argument(
        "--keep-tables", action="store_true",
        help="keep parsed tables and derived results across LAs, as the --all-las batch's "
        "kernels do (without it every table is parsed again for --la, as in a one-LA pack)",
    )
    args = parser.parse_args()
    if args.keep_tables:
        from solihull_analytics.table_reader import KEEP_TABLES_ENV

        os.environ[KEEP_TABLES_ENV] = "1"

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
    timer.count_passes(args.passes)
    seconds = run_pack(args.la, books, timer)
    timer.count_passes(False)
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
    if args.passes:
        print_passes(timer.records)
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
        alts: dict[str, str] = {}
        for r, png in zip(timer.records, pngs, strict=True):
            n = counts[r["notebook"]] = counts.get(r["notebook"], 0) + 1
            (args.png_dir / f"{r['notebook']}_{n:02d}.png").write_bytes(png)
            alts[f"{r['notebook']}_{n:02d}.png"] = r["alt"]
        (args.png_dir / "alt.json").write_text(json.dumps(alts, indent=1), encoding="utf-8")
        print(f"PNGs (and their alt text, alt.json) in {args.png_dir}")
    if profiler:
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
