"""Shared fixtures.

Tests that need published data use the ``processed`` fixture: it fetches the raw files from the
mirror (or the official URLs) into the project's ``data/`` caches and builds the processed tables
once per session, or skips with a one-line reason when neither is reachable. Unit tests on small
fixtures need nothing and always run.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from solihull_analytics import paths

NORTH_SOLIHULL_WARDS_2022 = ("Chelmsley Wood", "Kingshurst and Fordbridge", "Smith's Wood")
SOLIHULL = "E08000029"


def _internet_reachable() -> bool:
    try:
        socket.create_connection(("assets.publishing.service.gov.uk", 443), timeout=3).close()
        return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def mirror_dir() -> Path:
    """The mirror folder of published files, or skip."""
    mirror = paths.default_mirror()
    if mirror is None:
        pytest.skip("no data mirror (set SOLIHULL_DATA_MIRROR or provide ../shared/data)")
    return mirror


@pytest.fixture(scope="session")
def processed() -> Path:
    """Fetch and build everything once per session; return the processed-tables folder."""
    from solihull_analytics.build import build
    from solihull_analytics.fetch import fetch

    mirror = paths.default_mirror()
    if mirror is None and not _internet_reachable():
        pytest.skip("published data unreachable: no mirror folder and no internet")
    results = fetch(mirror=mirror if mirror is not None else None, progress=False)
    failed = [r for r in results if r.status == "failed"]
    if failed:
        pytest.fail("fetch failed: " + "; ".join(f"{r.entry_id}: {r.message}" for r in failed))
    build_results = build()
    bad = [r for r in build_results if r.status == "failed"]
    if bad:
        pytest.fail("build failed: " + "; ".join(f"{r.name}: {r.message}" for r in bad))
    return paths.processed_dir()


@pytest.fixture()
def isolated_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the suite's data folder at an empty temporary folder for this test."""
    data = tmp_path / "data"
    (data / "raw").mkdir(parents=True)
    (data / "processed").mkdir()
    monkeypatch.setenv("SOLIHULL_DATA_DIR", str(data))
    return data


def pytest_report_header(config: pytest.Config) -> str:
    mirror = paths.default_mirror()
    return f"solihull-analytics data mirror: {mirror or 'none'}; data dir: {paths.data_dir()}" + (
        f"; SOLIHULL_DATA_MIRROR={os.environ['SOLIHULL_DATA_MIRROR']!r}"
        if "SOLIHULL_DATA_MIRROR" in os.environ
        else ""
    )


@pytest.fixture(scope="session")
def render_pack_for(processed: Path, tmp_path_factory: pytest.TempPathFactory):
    """Return ``render(la_code, notebooks)``: render pages into a session folder, once each.

    The result is the pack folder ``<tmp>/reports/<la_code>``; failures are returned, not raised,
    so tests can assert on them. Renders are cached per (LA, notebook) for the session.
    """
    from solihull_analytics.report.pipeline import render_pack

    reports = tmp_path_factory.mktemp("reports")
    done: dict[tuple[str, str], object] = {}

    def render(la_code: str, notebooks: list[str]) -> tuple[Path, list]:
        todo = [n for n in notebooks if (la_code, n) not in done]
        if todo:
            result = render_pack(
                la_code,
                notebooks=todo,
                reports_dir=reports,
                processed_dir=processed,
                run_date="2026-01-31",
            )
            for r in result.notebooks:
                done[(la_code, r.notebook[:2])] = r
                done[(la_code, r.notebook)] = r
        results = [done[(la_code, n)] for n in notebooks]
        return reports / la_code, results

    return render


@pytest.fixture()
def workspace(processed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary data folder, catalogue and registry (the project's files are not touched).

    See ``tests/workspace.py``: data go in only through the public interfaces.
    """
    from tests.workspace import make_workspace

    catalogue = make_workspace(processed, tmp_path)
    monkeypatch.setenv("SOLIHULL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SOLIHULL_CATALOGUE", str(catalogue))
    monkeypatch.delenv("SOLIHULL_RELEASES", raising=False)
    return tmp_path
