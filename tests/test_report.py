"""The report pipeline: every page renders, is accessible and code-free, and failures are safe."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from typer.testing import CliRunner

from solihull_analytics.report.front import write_la_index
from solihull_analytics.report.pipeline import (
    discover_notebooks,
    render_notebook,
    validate_headline,
)
from tests.browser import chromium, chromium_driver
from tests.pages import page_text

SOLIHULL = "E08000029"
OTHER_LA = "E06000023"  # Bristol, a unitary in another region
ERROR_TEXT = re.compile(
    r"Traceback|Error:|Exception:|NameError|KeyError|ValueError|jp-OutputArea-stderr"
)


def _notebook(path: Path, body: str, name: str) -> Path:
    params = new_code_cell(
        'la_code = "E08000029"\nprocessed_dir = ""\noutput_dir = ""\nrun_date = ""'
    )
    params.metadata["tags"] = ["parameters"]
    nb = new_notebook(cells=[new_markdown_cell("## A section"), params, new_code_cell(body)])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path / f"{name}.ipynb")
    return path / f"{name}.ipynb"


GOOD = """
from pathlib import Path
from solihull_analytics.report.page import Page
page = Page("90_fixture", "Fixture page", la_code, "Solihull", output_dir, run_date or None)
page.markdown("A fixture paragraph that says 42.")
page.headline("answer", 42, "things", "2026", [], "The answer is 42.")
_ = page.finish()
"""
RAISES = """
raise ValueError("deliberate failure in a fixture notebook")
"""


@pytest.fixture(scope="module")
def packs(render_pack_for) -> dict[str, Path]:
    names = [p.name[:2] for p in discover_notebooks()]
    out = {}
    for la in (SOLIHULL, OTHER_LA):
        pack_dir, results = render_pack_for(la, names)
        failed = [r.summary() for r in results if r.status == "failed"]
        assert not failed, failed
        out[la] = pack_dir
    return out


@pytest.mark.slow
@pytest.mark.parametrize("la", [SOLIHULL, OTHER_LA])
def test_every_page_exists_and_is_clean(packs: dict[str, Path], la: str) -> None:
    pack = packs[la]
    notebooks = discover_notebooks()
    assert notebooks, "no notebooks found"
    assert (pack / "index.html").exists()
    assert (pack.parent / "index.html").exists(), "reports/index.html lists every LA"
    for nb in notebooks:
        raw = (pack / f"{nb.stem}.html").read_text(encoding="utf-8")
        assert "<script src=" not in raw, f"{nb.stem}: page loads external scripts"
        page = page_text(raw)  # CSS class names are not content
        doc = json.loads((pack / f"{nb.stem}.json").read_text(encoding="utf-8"))
        validate_headline(doc)
        assert doc["la_code"] == la
        assert doc["la_name"] in page, f"{nb.stem}: LA name from the data appears in the page"
        assert (pack / "executed" / f"{nb.stem}.ipynb").exists()
        code_shown = "hl-ipython3" in page or "jp-InputArea-editor" in page
        assert not code_shown, f"{nb.stem}: code cells appear in the page"
        found = ERROR_TEXT.search(page)
        assert not found, f"{nb.stem}: error text {found}"
        imgs = re.findall(r"<img\b[^>]*>", page)
        for img in imgs:
            alt = re.search(r'alt="([^"]*)"', img)
            assert alt and len(alt.group(1)) > 10, f"{nb.stem}: image without alt text"
            assert "no description" not in alt.group(1), f"{nb.stem}: fallback alt text"
        assert 'class="sa-toc"' in page and 'id="data-used"' in page
        assert "<table" in page, f"{nb.stem}: tables are real HTML tables"
    index = (pack / "index.html").read_text(encoding="utf-8")
    for nb in notebooks:
        assert f'href="{nb.stem}.html"' in index


@pytest.mark.slow
def test_every_chart_links_its_data(render_pack_for) -> None:
    """Pages 01, 02, 03 and 05: under every chart, a link to a CSV of the data it plots.

    Page 04 is left out on purpose: its chart's data are withheld for disclosure control.
    (The renders are the session's, shared with the other tests of the Solihull pack.)
    """
    pages = ["01", "02", "03", "05"]
    pack, results = render_pack_for(SOLIHULL, pages)
    failed = [r.summary() for r in results if r.status == "failed"]
    assert not failed, failed
    for nb in discover_notebooks():
        if nb.stem[:2] not in pages:
            continue
        page = page_text(pack / f"{nb.stem}.html")
        charts = re.split(r"<img\b[^>]*data:image/png", page)[1:]
        assert charts, f"{nb.stem}: no charts found"
        for i, after in enumerate(charts, 1):
            link = re.search(
                r'href="([^"]+\.csv)"[^>]*>\s*Download the chart&#x27;s data \(CSV\)'
                r"|href=\"([^\"]+\.csv)\"[^>]*>\s*Download the chart's data \(CSV\)",
                after,
            )
            assert link, f"{nb.stem}: chart {i} of {len(charts)} has no data download"
            csv = pack / (link.group(1) or link.group(2))
            assert csv.is_file(), f"{nb.stem}: chart {i} links a missing file {csv.name}"
            assert csv.name.startswith("chart_"), csv.name
            rows = csv.read_text(encoding="utf-8-sig").splitlines()
            assert len(rows) > 1, f"{nb.stem}: {csv.name} holds no data"


def test_failing_notebook_keeps_the_previous_page(tmp_path: Path, processed: Path) -> None:
    nb_dir = tmp_path / "nbs"
    nb_dir.mkdir()
    out = tmp_path / "reports" / SOLIHULL
    good = _notebook(nb_dir, GOOD, "90_fixture")
    ok = render_notebook(good, SOLIHULL, out, processed_dir=processed, run_date="2026-01-31")
    assert ok.status == "rendered", ok.summary()
    before = (out / "90_fixture.html").read_text(encoding="utf-8")
    assert "A fixture paragraph that says 42." in before
    _notebook(nb_dir, RAISES, "90_fixture")
    bad = render_notebook(good, SOLIHULL, out, processed_dir=processed, run_date="2026-01-31")
    assert bad.status == "failed"
    assert bad.cell is not None and "ValueError" in bad.error and "deliberate" in bad.error
    assert "90_fixture" in bad.summary() and f"cell {bad.cell}" in bad.summary()
    assert (out / "90_fixture.html").read_text(encoding="utf-8") == before, "old HTML kept"
    assert json.loads((out / "90_fixture.json").read_text())["headlines"][0]["value"] == 42
    assert not list(out.glob(".staging-*")), "staging folder cleaned up"


def test_unchanged_notebook_is_skipped_and_force_reruns(tmp_path: Path, processed: Path) -> None:
    nb_dir = tmp_path / "nbs"
    nb_dir.mkdir()
    out = tmp_path / "reports" / SOLIHULL
    nb = _notebook(nb_dir, GOOD, "90_fixture")
    kwargs = dict(processed_dir=processed, run_date="2026-01-31")
    assert render_notebook(nb, SOLIHULL, out, **kwargs).status == "rendered"
    assert render_notebook(nb, SOLIHULL, out, **kwargs).status == "unchanged"
    assert render_notebook(nb, SOLIHULL, out, force=True, **kwargs).status == "rendered"
    nb.write_text(nb.read_text().replace("says 42", "says 43"))
    assert render_notebook(nb, SOLIHULL, out, **kwargs).status == "rendered"


def test_cli_summary_names_notebook_cell_and_exception(
    tmp_path: Path, processed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from solihull_analytics.cli import app

    nb_dir = tmp_path / "nbs"
    nb_dir.mkdir()
    _notebook(nb_dir, GOOD, "90_fixture")
    _notebook(nb_dir, RAISES, "91_broken")
    monkeypatch.setenv("SOLIHULL_NOTEBOOKS_DIR", str(nb_dir))
    result = CliRunner().invoke(
        app, ["report", "--la", SOLIHULL, "--out", str(tmp_path / "reports"), "--force"]
    )
    assert result.exit_code == 1
    text = result.output
    assert "91_broken: FAILED at cell" in text and "ValueError: deliberate" in text
    assert (tmp_path / "reports" / SOLIHULL / "90_fixture.html").exists(), "others still run"
    assert (tmp_path / "reports" / SOLIHULL / "index.html").exists()


def test_la_index_lists_headlines(tmp_path: Path) -> None:
    doc = {
        "notebook": "90_fixture",
        "title": "Fixture",
        "la_code": SOLIHULL,
        "la_name": "Solihull",
        "run_date": "2026-01-31",
        "suite_version": "0",
        "synthetic": False,
        "sources": [],
        "headlines": [
            {
                "name": "rate",
                "value": 99.7,
                "unit": "per 10,000",
                "period": "2022",
                "source_ids": [],
                "statement": "The rate was 99.7.",
                "lower": 90.0,
                "upper": 109.0,
            }
        ],
    }
    validate_headline(doc)
    (tmp_path / "90_fixture.json").write_text(json.dumps(doc))
    html = write_la_index(tmp_path).read_text()
    assert "99.7 (95% CI 90.0 to 109.0)" in html and "The rate was 99.7." in html
    assert "Solihull: children&#x27;s services data pack" in html or "Solihull: children" in html


@pytest.mark.slow
def test_index_page_renders_in_a_real_browser(packs: dict[str, Path], tmp_path: Path) -> None:
    driver = chromium_driver(tmp_path / "profile", "--window-size=1280,1600")
    try:
        pages = [packs[SOLIHULL] / "index.html"] + sorted(packs[SOLIHULL].glob("0[0-9]_*.html"))
        for page in pages:
            driver.get(page.as_uri())
            title = driver.title
            assert "Solihull" in title, f"{page.name}: title {title!r}"
            assert "Solihull" in driver.find_element("tag name", "h1").text
            broken = driver.execute_script(
                "return Array.from(document.images)"
                ".filter(i => !i.complete || i.naturalWidth === 0).length"
            )
            assert broken == 0, f"{page.name}: {broken} broken images"
            shot = tmp_path / f"{page.stem}.png"
            driver.save_screenshot(str(shot))
            from PIL import Image

            pixels = Image.open(shot).convert("L").getextrema()
            assert pixels[1] - pixels[0] > 50, f"{page.name}: screenshot looks blank"
    finally:
        driver.quit()


def test_chromium_headless_cli_can_print_a_page(packs: dict[str, Path], tmp_path: Path) -> None:
    """Pages print (A4 PDF) without error."""
    browser = chromium()
    if browser is None:
        pytest.skip("Chromium not installed (.ci/run installs it with apt-get)")
    pdf = tmp_path / "index.pdf"
    subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            f"--user-data-dir={tmp_path / 'p'}",
            f"--print-to-pdf={pdf}",
            "--no-pdf-header-footer",
            (packs[SOLIHULL] / "index.html").as_uri(),
        ],
        check=True,
        timeout=120,
        capture_output=True,
    )
    assert pdf.exists() and pdf.stat().st_size > 1000


def test_notebooks_are_passed_only_the_parameters_they_declare() -> None:
    """Page 04's options reach notebook 04 and leave the other pages' render keys alone."""
    from solihull_analytics.report.pipeline import declared_parameters, discover_notebooks

    by_name = {nb.stem: nb for nb in discover_notebooks(None)}
    nb04 = declared_parameters(by_name["04_cla_deprivation_gradient"])
    assert {"private_dir", "allow_no_children_in_la", "sii_definition"} <= nb04
    assert "allow_no_children_in_la" not in declared_parameters(by_name["01_cla_trend"])


def test_declared_parameters_agree_with_papermill() -> None:
    """Our reading of each parameters cell gives papermill's own parameter names."""
    import papermill

    from solihull_analytics.report.pipeline import declared_parameters, discover_notebooks

    for nb in discover_notebooks(None):
        assert declared_parameters(nb) == set(papermill.inspect_notebook(str(nb))), nb.name


def test_cli_offers_the_no_children_override() -> None:
    from typer.testing import CliRunner

    from solihull_analytics.cli import app

    out = CliRunner().invoke(app, ["report", "--help"], env={"COLUMNS": "240"}).output
    assert "--allow-no-children-in-la" in out


def test_pack_parent_process_imports_no_pandas(tmp_path: Path, processed: Path) -> None:
    """Rendering a pack, the ``report`` command's own process checks the LA, settles the extract,
    runs papermill and converts pages, and leaves pandas, geopandas and matplotlib to the kernels:
    about 45 MB and 0.4 s less in every pack (issue 16)."""
    import os
    import sys

    nb_dir = tmp_path / "nbs"
    nb_dir.mkdir()
    _notebook(nb_dir, GOOD, "90_fixture")
    script = (
        "import sys\n"
        "from solihull_analytics.cli import app\n"
        "try:\n"
        f"    app(['report', '--la', '{SOLIHULL}', '--out', sys.argv[1], '--force'])\n"
        "except SystemExit as exc:\n"
        "    print('exit', exc.code)\n"
        "print('loaded', *[m for m in ('pandas', 'geopandas', 'matplotlib') if m in sys.modules])\n"
    )
    env = {**os.environ, "SOLIHULL_NOTEBOOKS_DIR": str(nb_dir),
           "SOLIHULL_DATA_DIR": str(processed.parent)}
    env.pop("SOLIHULL_PRIVATE_DIR", None)
    run = subprocess.run([sys.executable, "-c", script, str(tmp_path / "reports")], env=env,
                         capture_output=True, text=True, timeout=300)
    lines = run.stdout.splitlines()
    assert "exit 0" in lines, run.stdout + run.stderr
    assert (tmp_path / "reports" / SOLIHULL / "90_fixture.html").exists()
    assert lines[-1] == "loaded", f"the parent imported {lines[-1].split()[1:]}"


def test_conversion_warmed_up_while_a_kernel_starts_gives_the_same_page(tmp_path: Path) -> None:
    """``warm_up_conversion`` (run while a kept kernel starts) readies this thread's exporter and
    changes nothing in the pages converted after it."""
    import threading

    from nbformat.v4 import new_output

    from solihull_analytics.report import convert

    output = new_output("display_data", data={"text/html": "<p>Forty-two children.</p>"})
    cells = [new_markdown_cell("## A section"), new_code_cell("", outputs=[output])]
    nb = new_notebook(cells=cells)
    path = tmp_path / "90_fixture.ipynb"
    nbformat.write(nb, path)
    headline = {"title": "Fixture", "la_code": SOLIHULL, "la_name": "Solihull", "sources": []}
    pages: dict[str, str] = {}

    def convert_in_thread(warm: bool) -> None:
        if warm:
            convert.warm_up_conversion()
            assert convert._EXPORTERS.html is not None
        pages[str(warm)] = convert.notebook_to_html(path, headline)

    for warm in (False, True):
        thread = threading.Thread(target=convert_in_thread, args=(warm,))
        thread.start()
        thread.join()
    assert set(pages) == {"False", "True"}
    assert pages["True"] == pages["False"] and "Forty-two children." in pages["True"]
    assert "Warm-up" not in pages["True"]
