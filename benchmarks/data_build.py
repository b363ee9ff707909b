"""Benchmark the data layer: cold fetch + build, and a no-op rebuild.

Usage::

    python benchmarks/data_build.py [--mirror DIR]

Cold: an empty temporary data folder is filled from the mirror (fetch) and every processed table
is built, then the analysis tables computed from them. No-op: the same build command run again as
a user would run it (a new process: interpreter start-up and imports included). Analyses: the
analysis tables alone, forced (``data build --only <table> --force``, a new process), and their
size. Targets on a 2-core machine: cold under 60 s,
no-op under 2 s. The figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _run(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - start


def _analyses(cli: list[str], env: dict[str, str], processed: Path) -> tuple[float, int]:
    """Seconds to recompute every analysis table (forced), and their bytes on disk."""
    manifest = json.loads((processed / "manifest.json").read_text(encoding="utf-8"))
    names = {entry["analysis"]: name for name, entry in manifest.items()
             if entry.get("kind") == "analysis"}
    seconds = _run([*cli, "data", "build", "--force", *(
        arg for name in names.values() for arg in ("--only", name))], env) if names else 0.0
    size = sum((processed / f"{name}.parquet").stat().st_size
               for name, entry in manifest.items() if entry.get("kind") == "analysis")
    return seconds, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mirror", help="mirror folder (default: the suite's default mirror)")
    args = parser.parse_args()
    cli = [sys.executable, "-m", "solihull_analytics"]
    with tempfile.TemporaryDirectory(prefix="sa-bench-") as tmp:
        env = dict(os.environ, SOLIHULL_DATA_DIR=str(Path(tmp) / "data"))
        if args.mirror:
            env["SOLIHULL_DATA_MIRROR"] = args.mirror
        fetch_s = _run([*cli, "data", "fetch"], env)
        build_s = _run([*cli, "data", "build"], env)
        noop = [_run([*cli, "data", "build"], env) for _ in range(3)]
        analysis_s, analysis_mb = _analyses(cli, env, Path(tmp) / "data" / "processed")
        raw_mb = sum(
            p.stat().st_size for p in (Path(tmp) / "data" / "raw").rglob("*") if p.is_file()
        )
        out_mb = sum(
            p.stat().st_size for p in (Path(tmp) / "data" / "processed").rglob("*") if p.is_file()
        )
    cold = fetch_s + build_s
    print(f"cpus                 {os.cpu_count()}")
    print(f"raw cache            {raw_mb / 1e6:.0f} MB; processed {out_mb / 1e6:.0f} MB")
    print(f"cold fetch           {fetch_s:.1f} s")
    print(f"cold build           {build_s:.1f} s")
    print(
        f"cold total           {cold:.1f} s   (target < 60 s: {'met' if cold < 60 else 'NOT met'})"
    )
    print(f"analysis tables      {analysis_s:.1f} s to recompute (forced, new process); "
          f"{analysis_mb / 1e6:.2f} MB on disk")
    print(
        f"no-op rebuild        {min(noop):.2f} s best, {max(noop):.2f} s worst of 3 "
        f"(target < 2 s: {'met' if max(noop) < 2 else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
