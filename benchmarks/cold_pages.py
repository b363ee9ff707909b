"""Each page's cold first cell in one LA's pack: import CPU and ``prepare`` CPU (issue 16).

Usage::

    python benchmarks/cold_pages.py [--la E08000029] [--notebooks 01 02 03 04] [--repeat 3]
        [--profile] [--top 25] [--sort cumulative]

A one-LA pack's kernels keep no tables, so each page's first cell after the parameters parses
its tables and derives its frames cold. For each notebook, in a fresh process each time (no
tables kept, ``SOLIHULL_KEEP_PARSED_TABLES`` unset), this runs the notebook's parameters cell
(with ``--la``) and then its first code cell in three parts:

- the cell's ``import`` statements: import CPU seconds;
- the statement calling the page's ``prepare``: prepare CPU seconds (with whatever it imports
  lazily, as in a fresh kernel);
- the rest of the cell (building the ``Page``: its chart style imports matplotlib's pyplot
  where the page's imports did not).

CPU seconds are the process's user + system time (``time.process_time``), which vary less with
the machine's load than wall time. With ``--repeat N`` each notebook runs in N fresh processes
and the median is printed with the range. ``--profile`` prints the top cProfile entries of each
page's prepare (one extra fresh process per page). Figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from solihull_analytics import paths
from solihull_analytics.table_reader import KEEP_TABLES_ENV

#: The code run in each fresh process: argv = notebook path, LA code, "profile" or "", top,
#: pstats order.
CHILD = r"""
import ast, cProfile, io, json, pstats, sys, time
doc = json.loads(open(sys.argv[1], encoding="utf-8").read())
cells = ["".join(c["source"]) for c in doc["cells"] if c["cell_type"] == "code"]
parts = {"imports": [], "prepare": [], "rest": []}
for node in ast.parse(cells[1]).body:
    code = ast.unparse(node)
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        parts["imports"].append(code)
    elif ".prepare(" in code and not parts["rest"]:
        parts["prepare"].append(code)
    else:
        parts["rest"].append(code)
env = {}
exec(cells[0], env)
env["la_code"] = sys.argv[2]
profiler = cProfile.Profile() if sys.argv[3] == "profile" else None
out = {}
for name, code in parts.items():
    if profiler and name == "prepare":
        profiler.enable()
    start = time.process_time()
    exec("\n".join(code), env)
    out[name] = time.process_time() - start
    if profiler and name == "prepare":
        profiler.disable()
if profiler:
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats(sys.argv[5]).print_stats(int(sys.argv[4]))
    out["profile"] = text.getvalue()
print("COLD_PAGES " + json.dumps(out))
"""


def run_fresh(notebook: Path, la: str, profile: bool = False, top: int = 25,
              sort: str = "cumulative") -> dict:
    """Run one notebook's first cell in a fresh process; its import and prepare CPU seconds."""
    env = {k: v for k, v in os.environ.items() if k != KEEP_TABLES_ENV}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(notebook), la, "profile" if profile else "", str(top),
         sort],
        capture_output=True, text=True, env=env, check=False,
    )
    for line in done.stdout.splitlines():
        if line.startswith("COLD_PAGES "):
            return json.loads(line.removeprefix("COLD_PAGES "))
    raise SystemExit(f"{notebook.name}: the first cell failed:\n{done.stderr[-2000:]}")


def summary(values: list[float]) -> str:
    """Median, with the range when there is more than one value."""
    med = statistics.median(values)
    if len(values) == 1:
        return f"{med:6.2f}"
    return f"{med:6.2f} ({min(values):.2f}-{max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--la", default="E08000029")
    parser.add_argument("--notebooks", nargs="*", default=["01", "02", "03", "04"],
                        help="numbers, e.g. 02 03")
    parser.add_argument("--repeat", type=int, default=3, help="fresh processes per notebook")
    parser.add_argument("--profile", action="store_true", help="cProfile each page's prepare")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", default="cumulative", help="pstats order, e.g. tottime")
    args = parser.parse_args()

    books = [b for b in sorted(paths.notebooks_dir().glob("[0-9][0-9]_*.ipynb"))
             if b.name[:2] in args.notebooks]
    print(f"Cold first cell of {args.la}'s pages, fresh process each, CPU s "
          f"(median of {args.repeat}, range): imports, prepare, rest of the cell")
    total = 0.0
    for book in books:
        runs = [run_fresh(book, args.la) for _ in range(args.repeat)]
        imports = [r["imports"] for r in runs]
        prepare = [r["prepare"] for r in runs]
        rest = [r["rest"] for r in runs]
        total += statistics.median(prepare)
        print(f"  {book.stem:30s} {summary(imports)}  {summary(prepare)}  {summary(rest)}")
    print(f"Summed prepare (medians): {total:.2f} CPU s")
    if args.profile:
        for book in books:
            print(f"\n== {book.stem}: prepare, cProfile ({args.sort})")
            print(run_fresh(book, args.la, True, args.top, args.sort)["profile"])


if __name__ == "__main__":
    main()
