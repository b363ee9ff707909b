"""Page 04 (notebook ``04_cla_deprivation_gradient``): the deprivation gradient of children
looked after, from an LA's own SSDA903 return.

The page contract (:mod:`solihull_analytics.report.contract`): :func:`prepare` reads the page's
inputs once (:mod:`.inputs`: the extract, or a synthetic one, and the published tables), the
section functions give the blocks under each heading, :func:`headlines` fills in
``headlines.yaml`` and :func:`summary` gives the front page's sentence.

Steps: the cohort of the collection year (:func:`solihull_analytics.ssda903.build_cohort`);
home postcodes to LSOAs (:func:`solihull_analytics.geo.postcodes.map_postcodes`); each LSOA's
national IDACI decile and its children (:mod:`solihull_analytics.geo.lsoa`); rates, the end-decile
ratio, SII and RII by decile (:mod:`.compute`); disclosure control, once, over every count the
page publishes (:mod:`.published`). The chart is drawn in :mod:`.charts` and the sentences
written in :mod:`.text`. Nothing child-level is published: the page shows aggregates only.
"""

from __future__ import annotations

from pathlib import Path

from solihull_analytics import ssda903
from solihull_analytics.geo.las import la_info
from solihull_analytics.geo.lsoa import FOR_COHORT, resolve_idaci_release
from solihull_analytics.methods.inequality import DEFAULT_SII_DEFINITION
from solihull_analytics.pages.cla_gradient import text
from solihull_analytics.pages.cla_gradient.charts import chart_title, gradient_alt, plot_gradient
from solihull_analytics.pages.cla_gradient.inputs import (
    GradientContext,
    NoChildrenInAreaError,
    cla_gradient,
    load_page_extract,
)
from solihull_analytics.pages.cla_gradient.text import synthetic_notice, too_small_notice
from solihull_analytics.report.headlines import HeadlineValues, build_headlines, load_specs

PAGE_ID = "04_cla_deprivation_gradient"
PAGE_TITLE = "Children looked after by neighbourhood deprivation"
HEADLINE_SPECS = load_specs(Path(__file__).with_name("headlines.yaml"))

__all__ = [
    "PAGE_ID",
    "PAGE_TITLE",
    "GradientContext",
    "NoChildrenInAreaError",
    "cohort_section",
    "extract_section",
    "headlines",
    "inequality_section",
    "method_section",
    "prepare",
    "rates_section",
    "summary",
    "synthetic_notice",
    "too_small_notice",
]


def prepare(
    la_code: str,
    processed_dir: str | Path | None = None,
    private_dir: str | Path | None = "",
    *,
    cohort_year: int = 2019,
    cohort: str = "during_year",
    idaci_release: str = FOR_COHORT,
    postcode_lookup: str | Path | None = "",
    synthetic_seed: int = 1,
    synthetic_gradient: float = 25.0,
    sii_definition: str = DEFAULT_SII_DEFINITION,
    allow_no_children_in_la: bool = False,
) -> GradientContext:
    """Load the extract (or a synthetic one) and compute the gradient for notebook 04.

    Parameters
    ----------
    la_code : str
        The LA.
    processed_dir : str or Path, optional
        Processed tables folder; empty or None for the project's ``data/processed``.
    private_dir : str or Path, optional
        Folder with the LA's SSDA903 return (CSV, Excel or XML); empty or None for
        ``SOLIHULL_PRIVATE_DIR`` or ``data/private/`` (see
        :func:`solihull_analytics.ssda903.requested_folder`). Only when none of these asks for
        an extract is a synthetic extract generated (or reused) instead.
    cohort_year : int, default 2019
        Collection year, ending 31 March.
    cohort : {"during_year", "at_31_march"}
        Cohort definition.
    idaci_release : str, default "cohort"
        IoD release of the national IDACI deciles: a label, "latest", or "cohort" (the latest
        release published by the cohort year).
    postcode_lookup : str or Path, optional
        ONSPD/NSPL CSV for postcode to LSOA; empty or None for the point-in-polygon join.
    synthetic_seed : int, default 1
        Seed of the synthetic extract.
    synthetic_gradient : float, default 25.0
        Built-in most/least deprived ratio of the synthetic extract.
    sii_definition : {"phe", "gap"}, default "phe"
        SII/RII definition (PHE's, as Fingertips, by default).
    allow_no_children_in_la : bool, default False
        Publish a page even when no child in the extract has a home postcode in the LA.

    Returns
    -------
    GradientContext

    Raises
    ------
    solihull_analytics.ssda903.SSDA903Error
        If the extract asked for is missing, unreadable or unusable (the message says why).
    NoChildrenInAreaError
        When no child in the extract has a home postcode in the LA (usually a wrong LA code
        or another LA's extract), unless ``allow_no_children_in_la``.
    """
    processed = Path(processed_dir) if processed_dir else None
    idaci_release = resolve_idaci_release(idaci_release, cohort_year)
    la = la_info(la_code, processed)
    extract, _, is_synthetic = load_page_extract(
        la,
        processed,
        private_dir,
        cohort_year,
        cohort,
        synthetic_seed=synthetic_seed,
        synthetic_gradient=synthetic_gradient,
    )
    result = cla_gradient(
        extract,
        la.code,
        processed,
        cohort_year=cohort_year,
        cohort=cohort,
        idaci_release=idaci_release,
        postcode_lookup=postcode_lookup or None,
        sii_definition=sii_definition,
    )
    if result.in_area == 0 and not allow_no_children_in_la:
        raise NoChildrenInAreaError(
            f"none of the {result.cohort_total:,} children in this extract has a home postcode "
            f"in {la.name}: check `--la` and the extract"
        )
    return GradientContext(
        la=la,
        result=result,
        checks=extract.summary(),
        rows_read=dict(extract.rows_read),
        rows_excluded=extract.rows_excluded,
        uasc_table=extract.uasc_supplied,
        is_synthetic=is_synthetic,
        cohort_year=cohort_year,
        idaci_release=idaci_release,
        synthetic_seed=synthetic_seed,
        synthetic_gradient=synthetic_gradient,
        tables_not_used=tuple(
            sorted({t for t in extract.unused.values() if t in ssda903.TABLE_TITLES.values()})
        ),
    )


# -- sections (one per heading of the notebook) ----------------------------------------------
def extract_section(ctx: GradientContext) -> list:
    """Section "The extract and its checks": rows read and excluded, by check.

    Returns
    -------
    list of Block
        A paragraph and the checks table (counts only, suppressed with the rest of the page).
    """
    from solihull_analytics.report.page import TableBlock

    paragraph = text.extract_paragraph(ctx)
    if ctx.result.too_small:
        return [paragraph]
    caption = "Rows read, excluded by check, and kept, by SSDA903 table"
    return [paragraph, TableBlock(ctx.result.checks, caption=caption)]


def cohort_section(ctx: GradientContext) -> list:
    """Section "Who is counted": the cohort and its groups (small counts suppressed).

    Returns
    -------
    list of Block
        A paragraph and the groups table.
    """
    from solihull_analytics.report.page import TableBlock

    paragraph = text.cohort_paragraph(ctx)
    if ctx.result.too_small:
        return [paragraph]
    caption = f"Children in the cohort by group, {ctx.la.name}, {ctx.period}"
    return [paragraph, TableBlock(ctx.result.groups, caption=caption)]


def rates_section(ctx: GradientContext) -> list:
    """Section "Rates by deprivation decile": the chart and the published decile table.

    Returns
    -------
    list of Block
        The chart (hidden deciles not drawn) and the decile table.
    """
    from solihull_analytics.report.page import Chart, TableBlock

    res, name = ctx.result, ctx.la.name
    if res.too_small:
        return ["No rates are shown: the extract is too small to publish safely."]
    chart = Chart(
        plot_gradient(res, chart_title(res)), gradient_alt(res, name, ctx.period),
        text.rates_source(ctx),
    )
    caption = (
        f"Children looked after by national IDACI decile of home neighbourhood, {name}, "
        f"{ctx.period}"
    )
    return [chart, TableBlock(res.deciles, caption=caption)]


def inequality_section(ctx: GradientContext) -> list[str]:
    """Section "How unequal": the ratio, SII and RII (or why withheld), and the benchmark."""
    return text.inequality_paragraphs(ctx)


def method_section(ctx: GradientContext) -> str:
    """Section "Method": cohort, places, deprivation, rates and disclosure control in words."""
    return text.method_paragraph(ctx)


# -- headlines and summary --------------------------------------------------------------------
def _count_values(ctx: GradientContext, name: str, cell: str, sentence: str) -> HeadlineValues:
    pc = ctx.result.counts
    value = None if pc.is_hidden(cell) else pc.value(cell)
    return HeadlineValues(
        name, value, ctx.source_ids, area=ctx.la.name,
        fields={"period": ctx.period, "prefix": ctx.label, "sentence": sentence},
    )


def _headline_values(ctx: GradientContext) -> list[HeadlineValues]:
    """The numbers and varying words of each headline, in the order the JSON lists them."""
    res = ctx.result
    common = {"period": ctx.period, "prefix": ctx.label}
    sentences = text.count_headline_sentences(ctx)
    out = [
        _count_values(ctx, "cla_gradient_cohort", "cohort:total", sentences["cla_gradient_cohort"]),
        _count_values(ctx, "cla_gradient_in_area", "group:in_area",
                      sentences["cla_gradient_in_area"]),
    ]
    r = res.ratio()
    out.append(
        HeadlineValues(
            "cla_idaci_ratio_most_least", r[0] if r else None, ctx.source_ids,
            lower=r[1] if r else None, upper=r[2] if r else None, area=ctx.la.name,
            fields={**common, "why": text.ratio_missing_reason(ctx)},
        )
    )
    sii, rii = res.sii(), res.rii()
    if rii:
        out.append(
            HeadlineValues(
                "cla_idaci_rii", float(rii[0]), ctx.source_ids, lower=float(rii[1]),
                upper=float(rii[2]), area=ctx.la.name,
                fields={**common, "rii": rii[0], "rii_lower": rii[1], "rii_upper": rii[2]},
            )
        )
        out.append(
            HeadlineValues(
                "cla_idaci_sii", float(sii[0]), ctx.source_ids, lower=float(sii[1]),
                upper=float(sii[2]), area=ctx.la.name, fields={**common, "sii": sii[0]},
            )
        )
    return out


def _note(ctx: GradientContext, headline: dict) -> str | None:
    """Why a headline figure is withheld (None when it is published)."""
    res = ctx.result
    if headline["name"] in ("cla_gradient_cohort", "cla_gradient_in_area"):
        if res.too_small:
            return text.WITHHELD_SMALL
        return text.WITHHELD_DISCLOSURE if headline["value"] is None else None
    if headline["name"] == "cla_idaci_ratio_most_least" and headline["value"] is None:
        if res.too_small:
            return text.WITHHELD_SMALL
        return text.NO_CHILD_IN_AREA if res.in_area == 0 else text.WITHHELD_DISCLOSURE
    return None


def headlines(ctx: GradientContext) -> list[dict]:
    """Headline figures for the page's JSON, as keyword arguments for ``Page.headline``.

    Counts come from the suppressed set (value None, with a note, when hidden); the ratio is
    recorded as withheld when disclosure control hides it; SII and RII are left out when they
    cannot be published.

    Returns
    -------
    list of dict
    """
    out = build_headlines(HEADLINE_SPECS, _headline_values(ctx))
    for h in out:
        note = _note(ctx, h)
        if note is not None:
            h["note"] = note
    return out


def summary(ctx: GradientContext) -> str:
    """One-sentence summary of the page for the pack's front page."""
    return text.summary_sentence(ctx)
