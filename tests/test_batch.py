"""Batch rendering with warm kernels (issue 16): the same headline JSON as one-LA renders.

The warm-kernel mechanism does not depend on the notebook (every notebook goes through the same
``render_notebook`` on a kept kernel, reset between LAs), so the slow test renders only notebook
01 and compares with the one-LA renders that ``test_notebook_01.py`` already makes in the session.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from solihull_analytics.report.batch import _shares
from solihull_analytics.report.kernels import WarmKernel, render_in_kept_kernels
from solihull_analytics.report.pipeline import render_notebook

# A then B then A again, then C: metropolitan, London, metropolitan, county.
SEQUENCE = ["E08000029", "E09000033", "E08000029", "E10000016"]

LEAKY = """
import sys
preloaded = int({"solihull_analytics.report.page", "matplotlib.pyplot"} <= set(sys.modules))
stray = sorted(n for n in globals() if not n.startswith("_") and n not in {
    "In", "Out", "get_ipython", "exit", "quit", "open", "sys", "preloaded",
    "la_code", "processed_dir", "output_dir", "run_date"})
from solihull_analytics.report.page import Page
try:
    runs_seen += 1  # noqa: F821 - defined only if a previous LA's variables leaked
except NameError:
    runs_seen = 0
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
plt.figure()
page = Page(PAGE_ID, "Leak check", la_code, la_code, output_dir, run_date or None)
page.headline("runs_seen", runs_seen, "runs", "2026", [], f"Runs seen: {runs_seen}.")
page.headline("open_figures", len(plt.get_fignums()), "figures", "2026", [], "Open figures.")
import os
page.headline("kernel_pid", os.getpid(), "process", "2026", [], "Kernel process.")
import builtins, gc, weakref
probe = getattr(builtins, "_leak_probe", None)
page.headline("previous_cycle_alive", int(probe is not None and probe() is not None), "flag",
              "2026", [], "The previous render's cyclic garbage is still alive.")
page.headline("frozen", int(gc.get_freeze_count() > 0), "flag", "2026", [], "Objects frozen.")
page.headline("preloaded", preloaded, "flag", "2026", [], "Page scaffolding imported at start.")
page.headline("stray_names", len(stray), "names", "2026", [], "Names nobody defined.")
import pyarrow
page.headline("arrow_system_pool", int(pyarrow.default_memory_pool().backend_name == "system"),
              "flag", "2026", [], "Arrow allocates with the system allocator.")
class Cycle:
    pass
cycle = Cycle()
cycle.self = cycle
builtins._leak_probe = weakref.ref(cycle)
_ = page.finish()
"""


def _notebook(folder: Path, source: str, name: str = "90_leak") -> Path:
    params = new_code_cell(
        'la_code = "E08000029"\nprocessed_dir = ""\noutput_dir = ""\nrun_date = ""'
    )
    params.metadata["tags"] = ["parameters"]
    nb = new_notebook(cells=[params, new_code_cell(source)])
    nb.metadata["kernelspec"] = {
        "name": "python3", "display_name": "Python 3", "language": "python"
    }
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def test_shares_split_every_la_once() -> None:
    codes = [f"E0{i}" for i in range(7)]
    shares = _shares(codes, 3)
    assert len(shares) == 3
    assert sorted(c for s in shares for c in s) == sorted(codes)
    assert _shares(codes[:1], 4) == [codes[:1]]


def test_kept_kernel_forgets_the_previous_la(tmp_path: Path) -> None:
    """No variable or open figure survives from one LA's render to the next in a kept kernel."""
    import json

    nb = _notebook(tmp_path, LEAKY.replace("PAGE_ID", '"90_leak"'))
    seen, pids = [], []
    with WarmKernel(tmp_path) as kernel:
        for i, code in enumerate(["E08000029", "E09000033", "E08000029"]):
            out = tmp_path / "reports" / f"{i}_{code}"
            r = render_notebook(
                nb, code, out, processed_dir=tmp_path, run_date="2026-01-31", force=True,
                kernel=kernel,
            )
            assert r.status == "rendered", r.summary()
            doc = json.loads((out / "90_leak.json").read_text(encoding="utf-8"))
            values = {h["name"]: h["value"] for h in doc["headlines"]}
            del values["kernel_pid"]
            seen.append(values)
            executed = nbformat.read(out / "executed" / "90_leak.ipynb", as_version=4)
            assert "injected-parameters" in executed.cells[1].metadata.get("tags", [])
            assert f'la_code = "{code}"' in executed.cells[1].source
            pids.append(kernel.km.provisioner.pid)
    fresh = {"runs_seen": 0, "open_figures": 1, "previous_cycle_alive": 0, "arrow_system_pool": 1,
             "preloaded": 1, "stray_names": 0}
    # The reset collects a render's cyclic garbage before it freezes what survives (gc.freeze),
    # so the second and third renders run with the first's modules frozen and its garbage gone.
    assert seen == [{**fresh, "frozen": 0}, {**fresh, "frozen": 1}, {**fresh, "frozen": 1}]
    assert len(set(pids)) == 1, "one kernel served every LA"


@pytest.mark.slow
def test_batch_headline_json_matches_one_la_renders(render_pack_for, processed, tmp_path) -> None:
    """A, B, A, C in one kept kernel: each headline JSON is byte-identical to a fresh render."""
    from solihull_analytics.report.pipeline import discover_notebooks

    if not (processed / "population_la_year.parquet").exists():
        pytest.skip("population_la_year has not been built")
    (notebook,) = discover_notebooks(["01"])
    batch_json = []
    with WarmKernel(notebook.parent) as kernel:
        for i, code in enumerate(SEQUENCE):
            out = tmp_path / f"{i}" / code
            r = render_notebook(
                notebook, code, out, processed_dir=processed, run_date="2026-01-31",
                force=True, kernel=kernel,
            )
            assert r.status == "rendered", r.summary()
            batch_json.append((out / f"{notebook.stem}.json").read_bytes())
            shutil.rmtree(out / "executed")
    for code, got in zip(SEQUENCE, batch_json, strict=True):
        pack, (fresh,) = render_pack_for(code, ["01"])
        assert fresh.status != "failed", fresh.summary()
        assert got == (pack / f"{notebook.stem}.json").read_bytes(), code


def test_batch_takes_every_option_the_cli_gives_a_single_pack() -> None:
    """`report --la A B` goes through render_batch with the options `report --la A` gives
    render_pack (a missing one is a TypeError only when several LAs are asked for)."""
    import inspect

    from solihull_analytics.report.batch import render_batch
    from solihull_analytics.report.pipeline import render_pack

    single = set(inspect.signature(render_pack).parameters) - {"la_code", "on_result"}
    assert single <= set(inspect.signature(render_batch).parameters)


@pytest.mark.parametrize("kept", [True, False])
def test_one_pack_keeps_a_kernel_per_worker_and_resets_it(tmp_path: Path, kept: bool) -> None:
    """A pack's notebooks run one after another in one kernel per worker (a fresh kernel each
    when not ``kept``), with no variable or figure carried from one notebook to the next."""
    import json

    names = ["90_first", "91_second", "92_third"]
    nbs = [_notebook(tmp_path, LEAKY.replace("PAGE_ID", f'"{n}"'), n) for n in names]
    out = tmp_path / "reports" / "E08000029"

    def render(nb: Path, kernel: WarmKernel | None):
        return render_notebook(nb, "E08000029", out, processed_dir=tmp_path,
                               run_date="2026-01-31", force=True, kernel=kernel)

    order: list[str] = []
    results = render_in_kept_kernels(nbs, render, jobs=1, kept=kept,
                                     on_result=lambda r: order.append(r.notebook))
    assert [r.status for r in results] == ["rendered"] * 3, [r.summary() for r in results]
    assert order == names
    docs = [json.loads((out / f"{n}.json").read_text(encoding="utf-8")) for n in names]
    values = [{h["name"]: h["value"] for h in d["headlines"]} for d in docs]
    assert [(v["runs_seen"], v["open_figures"], v["previous_cycle_alive"]) for v in values] == [
        (0, 1, 0)
    ] * 3
    assert [v["frozen"] for v in values] == ([0, 1, 1] if kept else [0, 0, 0])
    # A kept kernel imports the page scaffolding as it starts, binding no name.
    assert [v["preloaded"] for v in values] == ([1, 1, 1] if kept else [0, 0, 0])
    assert [v["stray_names"] for v in values] == [0, 0, 0]
    pids = {v["kernel_pid"] for v in values}
    assert len(pids) == (1 if kept else 3)


def test_a_pack_needs_its_notebooks_in_one_folder(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    nbs = [tmp_path / "a" / "00_x.ipynb", tmp_path / "b" / "01_y.ipynb"]
    with pytest.raises(ValueError, match="share a folder"):
        render_in_kept_kernels(nbs, lambda nb, k: None, jobs=2)


@pytest.mark.slow
def test_pack_in_kept_kernels_matches_fresh_kernels(processed, tmp_path) -> None:
    """Pages rendered one after another in one kept kernel give the same headline JSON, CSVs
    and charts as pages rendered each in a fresh kernel (only the injected cell's id differs)."""
    import re

    from solihull_analytics.report.pipeline import render_pack

    if not (processed / "population_la_year.parquet").exists():
        pytest.skip("population_la_year has not been built")
    packs = {}
    for fresh in (False, True):
        reports = tmp_path / ("fresh" if fresh else "kept")
        result = render_pack("E08000029", notebooks=["00", "01"], reports_dir=reports,
                             processed_dir=processed, run_date="2026-01-31", jobs=1,
                             fresh_kernels=fresh)
        assert result.ok, [n.summary() for n in result.notebooks]
        packs[fresh] = reports / "E08000029"
    cell_id = re.compile(r'id="cell-id=[0-9a-f]+"')
    for kept_file in sorted(packs[False].rglob("*")):
        rel = kept_file.relative_to(packs[False])
        if not kept_file.is_file() or rel.parts[0] in {"executed", ".state"}:
            continue
        got, want = kept_file.read_bytes(), (packs[True] / rel).read_bytes()
        if rel.suffix == ".html" and rel.parent == Path("."):
            got, want = (cell_id.sub("", x.decode()) for x in (got, want))
        assert got == want, rel


@pytest.mark.parametrize("kept", [True, False])
def test_longest_notebooks_start_first_results_come_in_order(tmp_path: Path, kept: bool) -> None:
    """Workers start the notebooks the last render timed longest; results keep notebook order.
    (The render here starts no kernel: a kept kernel starts on a page's first render.)"""
    nbs = [tmp_path / f"0{i}_page.ipynb" for i in range(5)]
    expected = {nbs[0]: 1.0, nbs[2]: 30.0, nbs[3]: 12.5}  # 01 and 04 never rendered: last
    started: list[str] = []
    reported: list[str] = []

    def render(nb: Path, kernel: WarmKernel | None) -> str:
        assert (kernel is None) is (not kept)
        started.append(nb.stem)
        return nb.stem

    results = render_in_kept_kernels(nbs, render, jobs=1, kept=kept, on_result=reported.append,
                                     expected_seconds=expected)
    assert started == ["02_page", "03_page", "00_page", "01_page", "04_page"]
    assert results == reported == [nb.stem for nb in nbs]
