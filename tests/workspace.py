"""A temporary workspace for tests that change the data through the public interface.

The ``workspace`` fixture (in ``conftest.py``) makes a data folder (``SOLIHULL_DATA_DIR``) whose
raw cache links to the project's verified files and whose processed tables start as a copy of
the project's, and a copy of the catalogue and the release registry (``SOLIHULL_CATALOGUE``).
The helpers here add files with ``solihull-analytics data add``, rebuild and render into
``<workspace>/reports`` (the same folder every time, as a user's second run would).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from solihull_analytics import paths
from solihull_analytics.cli import app

SOLIHULL = "E08000029"
RUN_DATE = "2026-01-31"


def link_tree(src: Path, dst: Path) -> None:
    """Recreate ``src``'s folders under ``dst`` with each file a symbolic link (no copying)."""
    for path in src.rglob("*"):
        target = dst / path.relative_to(src)
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(path.resolve())


def make_workspace(processed: Path, root: Path) -> Path:
    """Fill ``root`` with the data folder and catalogue copies; return the catalogue path."""
    data = root / "data"
    link_tree(paths.raw_dir(), data / "raw")
    shutil.copytree(processed, data / "processed")
    catalogue_dir = root / "catalogue"
    catalogue_dir.mkdir()
    shutil.copy(paths.catalogue_path(), catalogue_dir / "catalogue.yaml")
    shutil.copy(paths.catalogue_path().with_name("releases.yaml"), catalogue_dir)
    return catalogue_dir / "catalogue.yaml"


def cli(*args: str, ok: bool = True) -> str:
    """Run the command line; assert it succeeded (or, with ``ok=False``, exited 2)."""
    result = CliRunner().invoke(app, list(args))
    out = result.output + (result.stderr if result.stderr_bytes else "")
    if ok:
        assert result.exit_code == 0, out
    else:
        assert result.exit_code == 2, out
    return out


def build() -> str:
    """``solihull-analytics data build``, asserting nothing failed."""
    out = cli("data", "build")
    assert "0 failed" in out, out
    return out


def render(workspace: Path, notebooks: list[str], run_date: str = RUN_DATE) -> Path:
    """Render pages for Solihull into ``<workspace>/reports``; return the pack folder."""
    from solihull_analytics.report.pipeline import render_pack

    reports = workspace / "reports"
    result = render_pack(
        SOLIHULL,
        notebooks=notebooks,
        reports_dir=reports,
        processed_dir=paths.processed_dir(),
        run_date=run_date,
    )
    failed = [r for r in result.notebooks if r.status == "failed"]
    assert not failed, [(r.notebook, r.message) for r in failed]
    return reports / SOLIHULL


def raw(entry_id: str) -> Path:
    """The raw file of a catalogue entry (in the workspace's catalogue)."""
    from solihull_analytics.catalogue import load_catalogue

    return load_catalogue()[entry_id].raw_path()


def headlines(pack: Path, page: str) -> list[dict]:
    """The headline figures of one page's JSON."""
    doc = json.loads((pack / f"{page}.json").read_text(encoding="utf-8"))
    return doc["headlines"] if isinstance(doc, dict) else doc


def shift_years_csv(src: Path, dst: Path, by: int) -> None:
    """Copy an EES CSV with every ``time_period`` moved on by ``by`` years."""
    df = pd.read_csv(src, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    df["time_period"] = (df["time_period"].astype(int) + by).astype(str)
    df.to_csv(dst, index=False)
