"""The pack's front pages: ``reports/<LA>/index.html`` (each page's headline figures, with the
change since the previous pack) and ``reports/index.html`` (every LA rendered).
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from solihull_analytics import __version__
from solihull_analytics.report import changes
from solihull_analytics.report.convert import page_css, write_atomic
from solihull_analytics.report.sanitise import CSP_META

#: Headline figures shown per page on the pack's front page (the rest are on the page itself).
FRONT_PAGE_HEADLINES = 6


def _index_page(title: str, body: str, css: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
{CSP_META}
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<meta name="generator" content="solihull-analytics {html.escape(__version__)}">
<title>{html.escape(title)}</title>
<style>{css}</style>
</head>
<body class="sa-page">
<a class="sa-skip" href="#sa-main">Skip to content</a>
{body}
</body>
</html>
"""


def _format_value(h: dict[str, Any]) -> str:
    value = h.get("value")
    if value is None:
        return "not available"
    if isinstance(value, float):
        text = f"{value:,.2f}" if abs(value) < 10 else f"{value:,.1f}"
    elif isinstance(value, int):
        text = f"{value:,}"
    else:
        text = str(value)
    if h.get("lower") is not None and h.get("upper") is not None:
        text += f" (95% CI {h['lower']:,.1f} to {h['upper']:,.1f})"
    return text


def _page_docs(out_dir: Path) -> list[dict[str, Any]]:
    """The headline JSON of every page in ``out_dir``, in page order (unreadable ones skipped)."""
    docs = []
    for p in sorted(out_dir.glob("[0-9][0-9]_*.json")):
        try:
            docs.append(json.loads(p.read_text(encoding="utf-8")))
        except json.JSONDecodeError:
            continue
    return docs


def _synthetic_mark(doc: dict[str, Any]) -> str:
    return " <strong class='sa-synthetic'>SYNTHETIC DATA</strong>" if doc.get("synthetic") else ""


def _headline_rows(doc: dict[str, Any], previous: dict[str, Any]) -> list[str]:
    """Table rows for the page's first :data:`FRONT_PAGE_HEADLINES` headline figures."""
    rows = []
    for h in doc.get("headlines", [])[:FRONT_PAGE_HEADLINES]:
        rows.append(
            "<tr>"
            f"<th scope='row'>{html.escape(h.get('label') or h['name'].replace('_', ' '))}</th>"
            f"<td>{html.escape(_format_value(h))}</td>"
            f"<td>{html.escape(h['unit'])}</td><td>{html.escape(h['period'])}</td>"
            f"<td>{html.escape(h['statement'])}</td>"
            + (changes.change_cells(changes.compare(h, previous.get(doc["notebook"])))
               if previous else "")
            + "</tr>"
        )
    return rows


def _page_section(doc: dict[str, Any], previous: dict[str, Any]) -> str:
    """The front page's section for one page: its headline figures and a link ("" if none)."""
    nb = doc["notebook"]
    rows = _headline_rows(doc, previous)
    if not rows:
        return ""
    more = len(doc.get("headlines", [])) - FRONT_PAGE_HEADLINES
    more_text = (
        f"<p>{more} more figures on <a href='{html.escape(nb)}.html'>the full page</a>.</p>"
        if more > 0
        else ""
    )
    return (
        f"<h2 id='{html.escape(nb)}'>{html.escape(doc['title'])}{_synthetic_mark(doc)}</h2>"
        f"<p><a href='{html.escape(nb)}.html'>Read the full page</a></p>"
        "<table class='sa-table'><caption>Headline figures</caption><thead><tr>"
        "<th scope='col'>Measure</th><th scope='col'>Value</th><th scope='col'>Unit</th>"
        "<th scope='col'>Period</th><th scope='col'>In plain English</th>"
        + ("<th scope='col'>Previous</th><th scope='col'>Change</th>" if previous else "")
        + "</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>{more_text}"
    )


def write_la_index(out_dir: Path, compare_with: Path | None = None) -> Path:
    """Write ``reports/<la>/index.html``: headline figures and links to every page.

    When a previous pack is at hand (``<out_dir>/previous/``, or ``compare_with``), each
    figure also shows its previous value and the change (:mod:`solihull_analytics.report.changes`).
    """
    previous = changes.previous_docs(out_dir, compare_with)
    docs = _page_docs(out_dir)
    la_name = docs[0]["la_name"] if docs else out_dir.name
    la_code = docs[0]["la_code"] if docs else out_dir.name
    run_dates = sorted({d.get("run_date", "") for d in docs})
    links = [
        f'<li><a href="{html.escape(d["notebook"])}.html">{html.escape(d["title"])}</a>'
        f"{_synthetic_mark(d)}</li>"
        for d in docs
    ]
    sections = [_page_section(d, previous) for d in docs]
    body = (
        "<header class='sa-header'><p class='sa-crumb'><a href='../index.html'>All local "
        "authorities</a></p>"
        f"<h1>{html.escape(la_name)}: children's services data pack</h1>"
        f"<p class='sa-meta'>Local authority {html.escape(la_code)} &middot; run on "
        f"{html.escape(', '.join(run_dates))} &middot; solihull-analytics "
        f"{html.escape(__version__)}</p></header>"
        "<main id='sa-main'>"
        "<nav aria-label='Pages in this pack'><h2 id='pages'>Pages in this pack</h2>"
        f"<ol>{''.join(links)}</ol></nav>"
        f"{changes.compared_with_text(previous, compare_with)}"
        f"{''.join(sections)}</main>"
        "<footer class='sa-footer'><p>Built from published DfE, ONS and MHCLG data; each page "
        "lists the files it used with their checksums. Contains public sector information "
        "licensed under the Open Government Licence v3.0.</p></footer>"
    )
    target = out_dir / "index.html"
    write_atomic(
        target, _index_page(f"{la_name}: children's services data pack", body, page_css())
    )
    return target


def write_top_index(reports_dir: Path) -> Path:
    """Write ``reports/index.html`` listing every LA with a rendered pack."""
    rows = []
    for la_dir in sorted(
        p for p in reports_dir.iterdir() if p.is_dir() and (p / "index.html").exists()
    ):
        jsons = sorted(la_dir.glob("[0-9][0-9]_*.json"))
        name = la_dir.name
        if jsons:
            name = json.loads(jsons[0].read_text(encoding="utf-8")).get("la_name", name)
        rows.append((name, la_dir.name))
    rows.sort()
    items = "".join(
        f"<li><a href='{html.escape(code)}/index.html'>{html.escape(name)}</a> "
        f"({html.escape(code)})</li>"
        for name, code in rows
    )
    body = (
        "<header class='sa-header'><h1>Children's services data packs</h1>"
        f"<p class='sa-meta'>{len(rows)} local authorities &middot; solihull-analytics "
        f"{html.escape(__version__)}</p></header>"
        f"<main id='sa-main'><h2 id='las'>Local authorities</h2><ul>{items}</ul></main>"
    )
    target = reports_dir / "index.html"
    write_atomic(target, _index_page("Children's services data packs", body, page_css()))
    return target
