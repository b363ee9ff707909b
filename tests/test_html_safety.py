"""Names from configuration or data cannot inject script into the pack (issue 11, section 4).

Unit tests check the sanitiser, the Markdown escaping and the Content-Security-Policy; one
rendering test builds page 03 from a hostile sub-area file (an area called
``<img src=x onerror=...>`` and a name with ``"`` in it) and checks the HTML, and, when
Chromium is installed, that nothing ran in a real browser.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest

from solihull_analytics.report.sanitise import (
    CONTENT_SECURITY_POLICY,
    add_csp,
    escape_markdown_html,
    sanitise_fragment,
    sanitise_page,
)
from tests.browser import chromium_driver

SOLIHULL = "E08000029"
HOSTILE = "<img src=x onerror=\"document.title='PWNED'\">North"
QUOTED = 'Rest "of" Solihull'


class _Elements(HTMLParser):
    """Every start tag of a document with its attributes, and the text of <script> elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))


def _elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Elements()
    parser.feed(html)
    return parser.elements


def _assert_no_script(html: str, where: str) -> None:
    for tag, attrs in _elements(html):
        assert tag not in {"script", "iframe", "object", "embed"}, f"{where}: <{tag}> present"
        handlers = [a for a in attrs if a.lower().startswith("on")]
        assert not handlers, f"{where}: <{tag}> carries event handlers {handlers}"
        for key in ("href", "src"):
            value = (attrs.get(key) or "").strip().lower()
            assert not value.startswith("javascript:"), f"{where}: javascript: URL on <{tag}>"
        if tag == "img":
            src = attrs.get("src")
            assert src is None or src.startswith("data:image/png;base64,"), (
                f"{where}: an image that is not one of the pack's charts: {attrs}"
            )


def test_sanitiser_drops_handlers_scripts_and_script_urls() -> None:
    dirty = (
        '<p>ok</p><img src=x onerror="alert(1)"><script>alert(2)</script>'
        '<a href="javascript:alert(3)">x</a><a href="01_cla_trend/rates.csv">csv</a>'
        '<img src="data:image/png;base64,iVBORw0KGgo=" alt="a &quot;b&quot;">'
        '<iframe src="https://example.org"></iframe><svg onload="alert(4)"></svg>'
        '<table class="sa-table"><tr><th scope="col">a</th></tr></table>'
    )
    clean = sanitise_fragment(dirty)
    _assert_no_script(clean, "fragment")
    assert "alert" not in clean
    assert 'href="01_cla_trend/rates.csv"' in clean, "relative links (downloads) are kept"
    assert 'alt="a &quot;b&quot;"' in clean, "chart alt text with quotes survives, escaped"
    assert '<th scope="col">' in clean and 'class="sa-table"' in clean


def test_markdown_from_data_cannot_carry_html() -> None:
    text = escape_markdown_html(f"Children in {HOSTILE} and {QUOTED} > 5")
    assert "<" not in text and "&lt;img" in text
    assert "> 5" in text, "a quote mark or comparison stays readable"


def test_page_gets_a_csp_that_forbids_scripts() -> None:
    page = '<html><head><title>t</title></head><body><main id="sa-main"><p>x</p></main></body>'
    out = sanitise_page(page)
    assert out.count("Content-Security-Policy") == 1
    assert "script-src 'none'" in CONTENT_SECURITY_POLICY
    assert "default-src 'none'" in CONTENT_SECURITY_POLICY
    assert add_csp(out) == out, "added once"
    with pytest.raises(ValueError, match="sa-main"):
        sanitise_page("<html><head></head><body><p>no main</p></body></html>")


def _hostile_areas(tmp_path: Path) -> Path:
    config = tmp_path / f"{SOLIHULL}.yaml"
    config.write_text(
        json.dumps(  # JSON is YAML, and quotes the names exactly
            {
                "la_code": SOLIHULL,
                "ward_vintage": 2022,
                "rest_name": QUOTED,
                "areas": [
                    {
                        "name": HOSTILE,
                        "wards": [
                            {"code": "E05001287", "name": "Chelmsley Wood"},
                            {"code": "E05001290", "name": "Kingshurst and Fordbridge"},
                            {"code": "E05001300", "name": "Smith's Wood"},
                        ],
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    return config


@pytest.fixture(scope="module")
def hostile_pack(processed: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from solihull_analytics.report.pipeline import render_pack

    tmp = tmp_path_factory.mktemp("hostile")
    reports = tmp / "reports"
    result = render_pack(
        SOLIHULL,
        notebooks=["03"],
        reports_dir=reports,
        processed_dir=processed,
        run_date="2026-01-31",
        extra_parameters={"areas_config": str(_hostile_areas(tmp))},
        jobs=1,
    )
    assert result.ok, [r.summary() for r in result.notebooks]
    return reports / SOLIHULL


@pytest.mark.slow
def test_hostile_area_names_render_as_text(hostile_pack: Path) -> None:
    for name in ("03_sub_area_profile.html", "index.html"):
        html = (hostile_pack / name).read_text(encoding="utf-8")
        _assert_no_script(html, name)
        assert "Content-Security-Policy" in html and "script-src 'none'" in html
    page = (hostile_pack / "03_sub_area_profile.html").read_text(encoding="utf-8")
    assert "&lt;img src=x onerror=" in page, "the hostile name is shown, as text"
    alts = [a.get("alt") or "" for t, a in _elements(page) if t == "img"]
    assert alts and any(QUOTED in alt for alt in alts), (
        "a name with a double quote stays whole inside the chart's alt attribute"
    )


def _chromium_driver(tmp_path: Path):
    return chromium_driver(tmp_path / "profile", "--window-size=1280,1000")


@pytest.mark.slow
def test_hostile_area_names_run_nothing_in_chromium(hostile_pack: Path, tmp_path: Path) -> None:
    driver = _chromium_driver(tmp_path)
    try:
        for name in ("03_sub_area_profile.html", "index.html"):
            driver.get((hostile_pack / name).as_uri())
            assert "PWNED" not in driver.title, f"{name}: script from an area name ran"
            handlers = driver.execute_script(
                "return Array.from(document.querySelectorAll('*')).filter(e => "
                "Array.from(e.attributes).some(a => a.name.startsWith('on'))).length"
            )
            assert handlers == 0, f"{name}: {handlers} elements with event handlers"
            scripts = driver.execute_script("return document.scripts.length")
            assert scripts == 0, f"{name}: {scripts} script elements"
    finally:
        driver.quit()
