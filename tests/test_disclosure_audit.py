"""Auditor for page 04's disclosure control: it knows the true counts, the page does not.

Many random small extracts (1 to 60 children; varied mixes of UASC, no-postcode, postcode-not-
found, out-of-area and short-break children, children not looked after in the year, and bad
rows) are written in DfE's layout by ``tests/extract_factory.py``. For each, the page's content
is built in-process with the same library calls notebook 04 makes, every number it publishes is
collected (tables, text, chart title and alt text, headline JSON, summary), and the auditor
checks that no true count from 1 to 5 can be

- read directly (a table cell, or any whole number in the text, JSON or alt text),
- worked out from published figures through the ways the counts add up (a total less other
  published parts, the difference of two published figures, across tables and text), taking a
  reader who also assumes unpublished zero counts are zero and that a "c" hides at least 1,
- or recovered from a derived figure (a rate shown with its population, a ratio).

Two real renders through :mod:`solihull_analytics.report.pipeline` check the HTML, the JSON and the
executed notebook of one small extract the same way, and that an extract with no child in the
LA stops the page with a one-line message, keeping the previous page.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from extract_factory import CATEGORIES, relations, write_extract

from solihull_analytics.ssda903 import SSDA903Error

SOLIHULL = "E08000029"
BIRMINGHAM = "E08000025"
NB = "04_cla_deprivation_gradient"
SMALL = range(1, 6)
N_EXTRACTS = 30

pytestmark = [pytest.mark.mirror]

GROUP_LABELS = {
    "Unaccompanied asylum-seeking children": "uasc",
    "No home postcode recorded": "no_postcode",
    "Home postcode not found in the postcode directory": "not_found",
    "Home postcode outside the local authority": "outside",
    "Home postcode in the local authority": "in_area",
    "All children in the cohort": "total",
}
CHECK_LABELS = {
    "rows read": "read",
    "rows excluded (any reason)": "excluded",
    "rows kept": "kept",
    "excluded: unparseable date": "bad_date",
}
#: Phrases whose numbers are not counts from the extract (dates, deciles, fixed wording).
NOT_COUNTS = [
    r"\d{4}-\d{2}-\d{2}",
    r"\b\d{1,2} (?:January|February|March|April|May|June|July|August|September|October|"
    r"November|December) \d{4}",
    r"\b(?:19|20)\d\d(?:-\d\d)?\b",
    r"\d[\d,]*(?:\.\d+)? per 10,000",
    r"\d+(?:\.\d+)?%",
    r"\b\d+-\d+\b",
    r"(?i)\bdeciles? \(?\d+\)?(?:(?:,| and) \d+)*",
    r"\b1 to 5\b",
    r"\b\d = (?:most|least) deprived",
    r"\d+(?:\.\d+)? times",
    r"below 10 children",
    r"[\d,]+ Monte Carlo",
]
NUMBER = re.compile(r"(?<![\w.\-])-?\d[\d,]*(?:\.\d+)?(?![\w.])")


# -- the page's content ---------------------------------------------------------------------
@dataclass
class Content:
    """What a page publishes, in pieces: prose, tables and headline figures."""

    texts: list[str] = field(default_factory=list)
    tables: list[tuple[str, pd.DataFrame]] = field(default_factory=list)
    headlines: list[dict] = field(default_factory=list)


def build_content(ctx) -> Content:
    """Page 04's content, built with the calls notebook 04 makes."""
    import matplotlib.pyplot as plt

    from solihull_analytics.pages.cla_gradient import page as cg
    from solihull_analytics.report.page import Chart, TableBlock

    content = Content()
    blocks = [cg.synthetic_notice(ctx), cg.too_small_notice(ctx)]
    for section in (cg.extract_section, cg.cohort_section, cg.rates_section):
        blocks += section(ctx)
    blocks += cg.inequality_section(ctx)
    blocks.append(cg.method_section(ctx))
    for block in blocks:
        if block is None:
            continue
        if isinstance(block, str):
            content.texts.append(block)
        elif isinstance(block, TableBlock):
            content.tables.append((block.caption, block.df))
        elif isinstance(block, Chart):
            content.texts += [block.alt, block.source, block.fig.axes[0].get_title(loc="left")]
            content.texts += [t.get_text() for t in block.fig.axes[0].texts]
            plt.close(block.fig)
        else:
            raise AssertionError(f"unexpected block {type(block).__name__}")
    content.headlines = cg.headlines(ctx)
    content.texts.append(cg.summary(ctx))
    for h in content.headlines:
        content.texts += [str(h.get(k, "")) for k in ("statement", "label", "note")]
    return content


# -- the auditor ----------------------------------------------------------------------------
def whole_numbers(text: str) -> list[int]:
    """Whole numbers a text publishes as counts (dates, deciles and fixed wording removed)."""
    for pattern in NOT_COUNTS:
        text = re.sub(pattern, " ", text)
    out = []
    for token in NUMBER.findall(text):
        if "." not in token:
            out.append(int(token.replace(",", "")))
    return out


def _number(cell) -> float | None:
    if isinstance(cell, str):
        try:
            return float(cell.replace(",", ""))
        except ValueError:
            return None
    if cell is None or (isinstance(cell, float) and np.isnan(cell)):
        return None
    return float(cell)


def labelled_cells(content: Content) -> tuple[dict[str, object], dict[str, bool], list]:
    """Table cells mapped to the auditor's quantities: shown value, rate-shown flag, others."""
    shown: dict[str, object] = {}
    rate_shown: dict[str, bool] = {}
    unlabelled = []
    for caption, df in content.tables:
        cols = list(df.columns)
        if cols == ["table", "check", "rows"]:
            for table, check, rows in df.itertuples(index=False):
                key = CHECK_LABELS.get(check)
                if key is None:
                    unlabelled.append(rows)
                else:
                    shown[f"{table}_{key}"] = rows
        elif cols == ["group", "children"]:
            for group, children in df.itertuples(index=False):
                shown[GROUP_LABELS[group]] = children
        elif "IDACI decile" in cols:
            for _, row in df.iterrows():
                label = str(row["IDACI decile"])
                name = "in_area" if label == "All deciles" else f"decile_{label.split()[0]}"
                count = row["Children looked after"]
                if count == "–":
                    continue
                if name == "in_area" and name in shown:
                    assert str(shown[name]) == str(count), "in-area count differs by table"
                shown[name] = count
                rate_shown[name] = _number(row["Rate per 10,000"]) is not None
        else:
            raise AssertionError(f"unknown table {caption!r}")
    return shown, rate_shown, unlabelled


def audit(content: Content, truth: dict[str, int], la_deciles) -> list[str]:
    """Every way a true count of 1 to 5 can be read or worked out from the content."""
    problems = []
    shown, rate_shown, unlabelled = labelled_cells(content)
    # 1. read directly
    for name, value in shown.items():
        number = _number(value)
        if number is None:
            assert value == "c", f"{name}: unexpected cell {value!r}"
            continue
        if number != truth[name]:
            problems.append(f"{name}: published {value!r} but the true count is {truth[name]}")
        if number in SMALL:
            problems.append(f"{name}: count {value} shown")
    for value in unlabelled:
        if _number(value) in SMALL:
            problems.append(f"checks table: count {value} shown")
    text_numbers = [n for t in content.texts for n in whole_numbers(t)]
    for h in content.headlines:
        if h.get("unit") == "children" and h.get("value") is not None:
            text_numbers.append(int(h["value"]))
    problems += [f"text/JSON: small number {n} published" for n in text_numbers if n in SMALL]
    # 2. derived figures: a shown rate (with its population) gives the count
    for name, shown_rate in rate_shown.items():
        if shown_rate and _number(shown.get(name)) is None:
            problems.append(f"{name}: rate shown for a hidden count")
    heads = {h["name"]: h for h in content.headlines}
    ratio = heads.get("cla_idaci_ratio_most_least", {}).get("value")
    present = sorted(la_deciles)
    if ratio is not None:
        for end in (f"decile_{present[0]}", f"decile_{present[-1]}"):
            if _number(shown.get(end)) is None:
                problems.append(f"ratio published with {end} hidden")
    hidden_deciles = [d for d in present if shown.get(f"decile_{d}") == "c"]
    if "cla_idaci_sii" in heads and len(hidden_deciles) * 2 > len(present):
        problems.append(f"SII/RII published with deciles {hidden_deciles} hidden")
    # 3. worked out through the relations
    known = {n for n, v in shown.items() if _number(v) is not None}
    known |= {n for n, v in truth.items() if v == 0 or (v > 5 and v in text_numbers)}
    hidden_at_least_one = {n for n, v in shown.items() if v == "c"}
    for name in sorted(derivable(truth, known, hidden_at_least_one, relations(la_deciles))):
        if truth[name] in SMALL:
            problems.append(f"{name} = {truth[name]} can be worked out from published figures")
    return problems


def derivable(truth, known, at_least_one, rels) -> set[str]:
    """Unknown quantities determined by the relations (linear algebra and non-negativity)."""
    unknown = [n for n in truth if n not in known]
    position = {n: i for i, n in enumerate(unknown)}
    rows = []
    for total, parts in rels:
        row = np.zeros(len(unknown))
        if total in position:
            row[position[total]] += 1
        for p in parts:
            if p in position:
                row[position[p]] -= 1
        if row.any():
            rows.append(row)
    out = set()
    if rows:
        a = np.array(rows)
        diag = np.diag(np.linalg.pinv(a) @ a)
        out |= {n for n, d in zip(unknown, diag, strict=True) if np.isclose(d, 1.0)}
    for total, parts in rels:
        hidden = [p for p in parts if p in position]
        if total in known and hidden and all(p in at_least_one for p in hidden):
            if truth[total] - sum(truth[p] for p in parts if p not in position) == len(hidden):
                out |= set(hidden)
    return out


# -- fixtures -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def geography(processed: Path):
    from solihull_analytics.build import read_table

    iod = read_table("iod_lsoa", processed)
    iod = iod[iod["release"] == "IoD2019"]
    sol = iod[iod["la_code"] == SOLIHULL]
    la_deciles = {int(d): sorted(g["lsoa_code"]) for d, g in sol.groupby("idaci_decile")}
    outside = sorted(iod.loc[iod["la_code"] == BIRMINGHAM, "lsoa_code"])[:50]
    return la_deciles, outside


@pytest.fixture()
def cached_tables(monkeypatch: pytest.MonkeyPatch):
    """Read each processed table once for the many extracts (same data, less time)."""
    from solihull_analytics.geo import lsoa

    cached = functools.lru_cache(maxsize=None)(lsoa.read_table)
    monkeypatch.setattr(lsoa, "read_table", lambda name, d=None: cached(name, d).copy())


def random_mix(rng: np.random.Generator) -> tuple[dict[str, int], int]:
    n = int(rng.integers(1, 61))
    categories = list(CATEGORIES)
    weights = rng.dirichlet(np.where(np.arange(len(categories)) == 0, 3.0, 0.5))
    counts = rng.multinomial(n, weights)
    mix = dict(zip(categories, (int(c) for c in counts), strict=True))
    in_cohort = sum(mix[c] for c in categories[:5])
    bad = int(rng.integers(0, 4)) if in_cohort else 0
    return mix, bad


def _prepare(processed, truth, **kwargs):
    from solihull_analytics.pages.cla_gradient import page as cg

    return cg.prepare(
        SOLIHULL,
        processed,
        truth.folder,
        postcode_lookup=str(truth.lookup),
        allow_no_children_in_la=True,
        **kwargs,
    )


# -- tests ----------------------------------------------------------------------------------
ISSUE_EXAMPLES = {
    "23 children, UASC 3": ({"in_area": 20, "uasc": 3}, 0),
    "4 children": ({"in_area": 3, "uasc": 1}, 0),
    "uasc rows kept 6, no postcode 2": ({"in_area": 30, "uasc": 6, "no_postcode": 2}, 0),
    "short breaks 1, uasc rows 1": ({"in_area": 40, "uasc": 1, "short_break": 1}, 1),
}


@pytest.mark.parametrize("example", ISSUE_EXAMPLES)
def test_issue_examples_disclose_nothing(example, processed, geography, cached_tables, tmp_path):
    la_deciles, outside = geography
    mix, bad = ISSUE_EXAMPLES[example]
    truth = write_extract(
        tmp_path / "x", mix, la_deciles, outside, np.random.default_rng(1), bad_episode_rows=bad
    )
    ctx = _prepare(processed, truth)
    content = build_content(ctx)
    assert audit(content, truth.quantities, la_deciles) == []
    if example == "23 children, UASC 3":
        # protected without losing the gradient: the in-area count is shown, the total is not
        assert not ctx.result.too_small
        assert ctx.result.counts.shown("group:in_area") == 20
        assert ctx.result.counts.shown("cohort:total") == "c"
        # 20 children over ten deciles: every decile hidden, so no SII/RII either
        assert "cla_idaci_sii" not in {h["name"] for h in content.headlines}
    if example == "4 children":
        assert ctx.result.too_small
        assert "too small to publish safely" in " ".join(content.texts)
        assert not content.tables
        assert all(h["value"] is None for h in content.headlines)


def test_random_small_extracts_disclose_nothing(processed, geography, cached_tables, tmp_path):
    la_deciles, outside = geography
    rng = np.random.default_rng(20260131)
    failures, too_small, published = [], 0, 0
    for i in range(N_EXTRACTS):
        mix, bad = random_mix(rng)
        truth = write_extract(tmp_path / f"e{i}", mix, la_deciles, outside, rng, bad)
        if truth.cohort == 0:
            # no child looked after in the year: the run stops, nothing is published
            with pytest.raises(SSDA903Error, match="no child in the extract was looked after"):
                _prepare(processed, truth)
            continue
        ctx = _prepare(processed, truth)
        problems = audit(build_content(ctx), truth.quantities, la_deciles)
        failures += [f"extract {i} {mix} bad={bad}: {p}" for p in problems]
        too_small += ctx.result.too_small
        published += not ctx.result.too_small
    assert not failures, "\n".join(failures[:20])
    # the audit must have seen both kinds of page
    assert too_small and published, (too_small, published)


def test_auditor_catches_the_reported_leaks(processed, geography, cached_tables, tmp_path):
    """The auditor fails the page as it was before: raw counts in text, JSON and checks."""
    la_deciles, outside = geography
    truth = write_extract(
        tmp_path / "x",
        {"in_area": 20, "uasc": 3, "short_break": 1},
        la_deciles,
        outside,
        np.random.default_rng(1),
    )
    ctx = _prepare(processed, truth)
    content = build_content(ctx)
    q = truth.quantities
    leaky = Content(list(content.texts), list(content.tables), list(content.headlines))
    leaky.texts.append(f"(short-break-only children excluded: {q['short_break']})")
    assert any("small number 1" in p for p in audit(leaky, q, la_deciles))
    leaky = Content(list(content.texts), list(content.tables), list(content.headlines))
    leaky.texts.append(f"{q['total']:,} children in all; {q['in_area']} had a home postcode")
    problems = audit(leaky, q, la_deciles)
    assert any(p.startswith("uasc = 3 can be worked out") for p in problems), problems
    checks = pd.DataFrame({"table": ["uasc"], "check": ["rows kept"], "rows": [3]})
    leaky = Content(list(content.texts), [*content.tables, ("checks", checks)], [])
    assert any("uasc_kept: count 3 shown" in p for p in audit(leaky, q, la_deciles))


# -- real renders ---------------------------------------------------------------------------
class _PageParser(HTMLParser):
    """Split rendered HTML into text (with alt attributes) and tables (caption, rows)."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.tables: list[tuple[str, list[list[str]]]] = []
        self._table: list[list[str]] | None = None
        self._caption: list[str] = []
        self._cell: list[str] | None = None
        self._in_caption = False
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("style", "script"):
            self._skip += 1
        elif tag == "img" and attrs.get("alt"):
            self.text.append(attrs["alt"])
        elif tag == "table":
            self._table, self._caption = [], []
        elif tag == "caption":
            self._in_caption = True
        elif tag == "tr" and self._table is not None:
            self._table.append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self._skip -= 1
        elif tag == "caption":
            self._in_caption = False
        elif tag in ("td", "th") and self._cell is not None:
            self._table[-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table" and self._table is not None:
            self.tables.append(("".join(self._caption).strip(), self._table))
            self._table = None

    def handle_data(self, data):
        if self._skip:
            return
        if self._in_caption:
            self._caption.append(data)
        elif self._cell is not None:
            self._cell.append(data)
        elif self._table is None:
            self.text.append(data)


def html_content(html: str, headlines: list[dict]) -> Content:
    """Page 04's content as published in rendered HTML (the footer's file list left out)."""
    parser = _PageParser()
    parser.feed(html)
    content = Content(texts=[" ".join(parser.text)], headlines=headlines)
    for caption, rows in parser.tables:
        if caption.startswith("Published files behind this page"):
            continue
        header, *body = [r for r in rows if r]
        content.tables.append((caption, pd.DataFrame(body, columns=header)))
    return content


def notebook_content(path: Path) -> Content:
    """Everything the executed notebook's outputs hold (Markdown, HTML tables, text, alt)."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    content = Content()
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            content.texts += [str(v) for k, v in data.items() if k in ("text/markdown",)]
            content.texts += ["".join(out.get("text", ""))] + out.get("traceback", [])
            content.texts.append(str(out.get("metadata", {}).get("image/png", {}).get("alt", "")))
            if "text/html" in data:
                html = "".join(data["text/html"])
                part = html_content(html, [])
                content.texts += part.texts
                content.tables += part.tables
    return content


def test_rendered_page_json_and_notebook_disclose_nothing(processed, geography, tmp_path) -> None:
    """One real render of the issue's 23-child example, then a render of an extract with no
    child in the LA: that page fails with the one-line message and the first page is kept."""
    from solihull_analytics.report.pipeline import render_pack

    la_deciles, outside = geography
    truth = write_extract(
        tmp_path / "x", {"in_area": 20, "uasc": 3}, la_deciles, outside, np.random.default_rng(1)
    )
    reports = tmp_path / "reports"

    def render(t):
        [result] = render_pack(
            SOLIHULL,
            notebooks=["04"],
            reports_dir=reports,
            processed_dir=processed,
            run_date="2026-01-31",
            force=True,
            extra_parameters={"private_dir": str(t.folder), "postcode_lookup": str(t.lookup)},
        ).notebooks
        return result

    result = render(truth)
    assert result.status == "rendered", result.summary()
    pack = reports / SOLIHULL
    html = (pack / f"{NB}.html").read_text(encoding="utf-8")
    doc = json.loads((pack / f"{NB}.json").read_text(encoding="utf-8"))
    assert doc["synthetic"] is False
    page = html_content(html, doc["headlines"])
    assert {c for c, _ in page.tables} >= {
        "Rows read, excluded by check, and kept, by SSDA903 table"
    }, "the page should publish its tables"
    q = truth.quantities
    assert audit(page, q, la_deciles) == []
    assert audit(notebook_content(pack / "executed" / f"{NB}.ipynb"), q, la_deciles) == []
    json_texts = [doc["summary"], doc["title"]] + [
        str(h.get(k, "")) for h in doc["headlines"] for k in ("statement", "label", "note")
    ]
    json_content = Content(texts=json_texts, headlines=doc["headlines"])
    assert audit(json_content, q, la_deciles) == []
    assert "Home postcode in the local authority" in html and ">20<" in html

    # an extract for another LA: the page stops with one line and the previous page stays
    elsewhere = write_extract(
        tmp_path / "y", {"outside": 12}, la_deciles, outside, np.random.default_rng(2)
    )
    failed = render(elsewhere)
    assert failed.status == "failed"
    line = failed.summary()
    assert "\n" not in line
    assert line.endswith(
        "none of the 12 children in this extract has a home postcode in Solihull: check "
        "`--la` and the extract"
    ), line
    assert (pack / f"{NB}.html").read_text(encoding="utf-8") == html
    assert not list(pack.glob(".staging-*"))


def test_no_child_in_the_la_is_said_plainly(processed, geography, cached_tables, tmp_path):
    """An extract for another LA stops with one line; asked for, the page says so plainly."""
    from solihull_analytics.pages.cla_gradient import page as cg

    la_deciles, outside = geography
    truth = write_extract(
        tmp_path / "x", {"outside": 9, "uasc": 2}, la_deciles, outside, np.random.default_rng(3)
    )
    with pytest.raises(cg.NoChildrenInAreaError) as raised:
        cg.prepare(SOLIHULL, processed, truth.folder, postcode_lookup=str(truth.lookup))
    assert str(raised.value) == (
        "none of the 11 children in this extract has a home postcode in Solihull: check "
        "`--la` and the extract"
    )
    ctx = _prepare(processed, truth)
    content = build_content(ctx)
    text = " ".join(content.texts)
    assert "nan" not in text.split() and "-0.0" not in text
    assert "none of the children in this extract has a home postcode in Solihull" in text
    heads = {h["name"]: h for h in content.headlines}
    assert heads["cla_gradient_in_area"]["value"] == 0
    assert set(heads) == {
        "cla_gradient_cohort",
        "cla_gradient_in_area",
        "cla_idaci_ratio_most_least",
    }
    assert heads["cla_idaci_ratio_most_least"]["note"] == "not computed: no child in the authority"
    assert audit(content, truth.quantities, la_deciles) == []
