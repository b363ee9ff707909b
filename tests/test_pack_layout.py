"""Every page of the Solihull pack fits a 1280 px screen and A4 paper (issue 17), in Chromium.

For each page: no horizontal overflow at 1280 px, no table wider than its container, no number
or code broken over two lines inside its cell; then, laid out as Chromium prints it (print media,
the width of A4 less the page margins), no table runs past the right margin, and the page prints
to an A4 PDF. One browser session serves every page.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from solihull_analytics.report.pipeline import discover_notebooks
from tests.browser import chromium_driver

SOLIHULL = "E08000029"
SCREEN_WIDTH = 1280
#: A4 (210 mm) less the 15 mm margins of pack.css's @page rule, in CSS pixels (96 per inch).
A4_CONTENT_WIDTH = round((210 - 2 * 15) / 25.4 * 96)

#: Returns a list of problems on the current page (empty when it fits).
_CHECK_LAYOUT = r"""
const problems = [];
const root = document.documentElement;
if (arguments[0] && root.scrollWidth > window.innerWidth) {
  problems.push(`page scrolls sideways: scrollWidth ${root.scrollWidth} > ${window.innerWidth}`);
}
const unbroken = /^[-+\u2212\u2013]?[£]?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?%?$|^[EWSNK]\d{8}$/;
document.querySelectorAll('table').forEach((table, i) => {
  const name = (table.caption ? table.caption.textContent : `table ${i + 1}`).slice(0, 70);
  const box = table.parentElement.getBoundingClientRect();
  const own = table.getBoundingClientRect();
  if (own.right > box.right + 1 || own.width > box.width + 1) {
    const sizes = `${Math.round(own.width)} px wide in a ${Math.round(box.width)} px container`;
    problems.push(`${name}: ${sizes}`);
  }
  table.querySelectorAll('td, th').forEach(cell => {
    const text = cell.textContent.trim();
    const align = getComputedStyle(cell).textAlign;
    if (cell.classList.contains('sa-num') && align !== 'right') {
      problems.push(`${name}: number "${text}" aligned ${align}`);
    }
    if (cell.classList.contains('sa-text') && !['left', 'start'].includes(align)) {
      problems.push(`${name}: text "${text.slice(0, 30)}" aligned ${align}`);
    }
    if (!text || !/\d/.test(text) || !unbroken.test(text)) return;
    const range = document.createRange();
    range.selectNodeContents(cell);
    const lines = new Set(Array.from(range.getClientRects()).map(r => Math.round(r.top)));
    if (lines.size > 1) problems.push(`${name}: "${text}" breaks over ${lines.size} lines`);
  });
});
return problems;
"""


def _driver(tmp_path: Path):
    return chromium_driver(tmp_path / "profile", "--hide-scrollbars")


def _viewport(driver, width: int, media: str) -> None:
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 1000, "deviceScaleFactor": 1, "mobile": False},
    )
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": media})


@pytest.mark.slow
def test_every_page_fits_the_screen_and_a4(render_pack_for, tmp_path: Path) -> None:
    names = [p.name[:2] for p in discover_notebooks()]
    pack, results = render_pack_for(SOLIHULL, names)
    failed = [r.summary() for r in results if r.status == "failed"]
    assert not failed, failed
    pages = [pack / "index.html"] + sorted(pack.glob("0[0-9]_*.html"))
    assert len(pages) == len(names) + 1
    driver = _driver(tmp_path)
    problems: list[str] = []
    try:
        for page in pages:
            _viewport(driver, SCREEN_WIDTH, "screen")
            driver.get(page.as_uri())
            assert driver.execute_script("return window.innerWidth") == SCREEN_WIDTH
            problems += [f"{page.name} at 1280 px: {p}" for p in driver.execute_script(
                _CHECK_LAYOUT, True
            )]
            # Laid out as printed: print media, A4 width less margins (page-level sideways
            # overflow is checked on the tables: print clips what runs past the margin).
            _viewport(driver, A4_CONTENT_WIDTH, "print")
            problems += [f"{page.name} on A4: {p}" for p in driver.execute_script(
                _CHECK_LAYOUT, False
            )]
            pdf = driver.execute_cdp_cmd(
                "Page.printToPDF", {"preferCSSPageSize": True, "printBackground": False}
            )
            data = base64.b64decode(pdf["data"])
            assert data.startswith(b"%PDF") and len(data) > 5000, f"{page.name}: no PDF"
            (tmp_path / f"{page.stem}.pdf").write_bytes(data)
    finally:
        driver.quit()
    assert not problems, "\n".join(problems)
