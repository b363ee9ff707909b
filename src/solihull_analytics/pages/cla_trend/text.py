"""Notebook 01's sentences: paragraphs, chart titles and alt text, written from the numbers.

Every function returns plain text (Markdown) from DataFrames and values it is given; none reads
data. Vintage names are shown through a ``labels`` mapping (population vintage -> the name the
page shows, from the release registry; a vintage it lacks is shown as it is); censuses are named
through a :class:`~.census_bases.CensusBases` (from the registry too), so no census is named here.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from solihull_analytics.geo.neighbours import NeighbourSet
from solihull_analytics.pages.cla_trend.census_bases import CensusBases
from solihull_analytics.pages.cla_trend.comparators import rank_among
from solihull_analytics.pages.cla_trend.compute import denominator_runs, diverged
from solihull_analytics.report.wording import ordinal

Labels = Mapping[str, str] | None

CONVENTION_LABELS: dict[str, str] = {
    "dfe": "DfE's convention: 31 March of year Y uses the ONS mid-(Y-1) estimate",
    "same_year": "same mid-year: 31 March of year Y uses the ONS mid-Y estimate",
}


def trend_source(first_release: int, last_release: int) -> str:
    """Source line of the trend chart, naming the years of the DfE releases used."""
    return (
        f"DfE children looked after statistics ({first_release}-{last_release} releases); ONS "
        "mid-year population estimates of children aged 0-17; rates recomputed by this suite."
    )


def vintage_name(value: object, labels: Labels = None) -> object:
    """The name the page shows for a population vintage (the vintage itself when unlabelled)."""
    return (labels or {}).get(value, value)  # type: ignore[arg-type]


def series_break_statement(
    table: pd.DataFrame,
    candidates: pd.DataFrame,
    la_code: str,
    la_name: str,
    labels: Labels = None,
    revises: Mapping[str, str] | None = None,
    census: CensusBases | None = None,
) -> str:
    """Which ONS series each stretch of years uses, and how it differs from DfE's at the time.

    Parameters
    ----------
    table : pandas.DataFrame
        The LA's rows of :func:`cla_rates`.
    candidates : pandas.DataFrame
        From :func:`population_candidates` (for an example of the revision).
    la_code, la_name : str
        The LA.
    labels : mapping, optional
        Population vintage -> the name to show.
    revises : mapping, optional
        Population vintage -> the vintage it revises (registry fact ``revises``).
    census : CensusBases, optional
        The census each vintage is based on, and the censuses' names.

    Returns
    -------
    str
        "" when every year uses one vintage.
    """
    runs = denominator_runs(table)
    if len(runs) < 2:
        return ""
    spans = "; ".join(
        f"{a}-{b}: {vintage_name(v, labels)}" if a != b else f"{a}: {vintage_name(v, labels)}"
        for a, b, v in runs
    )
    text = f"Denominators by year: {spans}."
    revises = dict(revises or {})
    revised = [r for r in runs if r[2] in revises]
    if revised:
        first, last = revised[0][0], revised[-1][1]
        new, old = revised[0][2], revises[revised[0][2]]
        mids = set(table.loc[table["year"].between(first, last), "denominator_mid_year"].dropna())
        c = candidates[(candidates["la_code"] == la_code) & candidates["mid_year"].isin(mids)]
        both = c.pivot_table(index="mid_year", columns="vintage", values="population",
                             aggfunc="first")
        example = ""
        if {old, new} <= set(both.columns):
            diff = both.dropna(subset=[old, new])
            diff = diff[diff[old] != diff[new]]
            if len(diff):
                y = int(diff.index.max())
                example = (
                    f" (for example {la_name} mid-{y}: {diff.loc[y, old]:,.0f} as "
                    f"DfE published it, {diff.loc[y, new]:,.0f} revised)"
                )
        text += (
            f" For {first}-{last} the recomputed rates use {_revised_series(new, census)}, not "
            f"the estimates DfE used when it published those years' rates{example}; this is a "
            f"break in the series{_like_rebasing(new, census)}, and one reason the recomputed "
            "all-CLA rate and DfE's published rate (crosses) differ in those years."
        )
    return text


def _before_latest_base(vintage: str, census: CensusBases | None) -> int | None:
    """The census ``vintage`` is based on, when that is older than the latest base."""
    base = (census.by_vintage if census else {}).get(vintage)
    latest = census.latest if census else None
    return base if base is not None and latest is not None and base < latest else None


def _revised_series(vintage: str, census: CensusBases | None) -> str:
    """What a revising vintage is, e.g. "ONS's pre-Census 2021 series as ONS later revised it
    (after the 2011 Census)" (the census names come from ``census``)."""
    base = _before_latest_base(vintage, census)
    if census is None or base is None:
        return "ONS's estimates as ONS later revised them"
    return f"ONS's pre-{census.label()} series as ONS later revised it (after the {base} Census)"


def _like_rebasing(vintage: str, census: CensusBases | None) -> str:
    if census is None or _before_latest_base(vintage, census) is None:
        return ""
    return f" like the {census.label()} rebasing"


def describe_trend(la: pd.DataFrame, england: pd.DataFrame, la_name: str) -> str:
    """A paragraph on the latest rates and how they compare, generated from the numbers."""
    la_rows = la.dropna(subset=["rate_all"]).sort_values("year")
    latest = la_rows.iloc[-1]
    eng = england.set_index("year")
    year = int(latest["year"])
    e = eng.loc[year] if year in eng.index else None
    text = (
        f"At 31 March {year}, {int(latest['cla_all']):,} children were looked after by "
        f"{la_name}: {latest['rate_all']:.1f} per 10,000 children aged 0-17 (95% CI "
        f"{latest['rate_all_lower']:.1f} to {latest['rate_all_upper']:.1f}). "
    )
    if pd.notna(latest["cla_non_uasc"]):
        text += (
            f"Leaving out {int(latest['cla_uasc']):,} unaccompanied asylum-seeking children, the "
            f"rate was {latest['rate_non_uasc']:.1f} ({latest['rate_non_uasc_lower']:.1f} to "
            f"{latest['rate_non_uasc_upper']:.1f}). "
        )
    if e is not None and pd.notna(e["rate_non_uasc"]) and pd.isna(latest["rate_non_uasc"]):
        text += (
            f"{la_name}'s non-UASC rate cannot be compared with England's "
            f"({e['rate_non_uasc']:.1f}) for {year}: DfE suppressed a count it depends on. "
        )
    elif e is not None and pd.notna(e["rate_non_uasc"]):
        ratio = latest["rate_non_uasc"] / e["rate_non_uasc"]
        above = latest["rate_non_uasc_lower"] > e["rate_non_uasc"]
        below = latest["rate_non_uasc_upper"] < e["rate_non_uasc"]
        where = (
            "above England's"
            if above
            else "below England's"
            if below
            else "not clearly different from England's"
        )
        text += (
            f"England's non-UASC rate was {e['rate_non_uasc']:.1f}, so {la_name}'s was "
            f"{ratio:.2f} times England's and {where} (the 95% interval "
            f"{'excludes' if above or below else 'includes'} England's value). "
        )
    if pd.notna(latest["dfe_rate_per_10k"]):
        text += f"DfE's published all-CLA rate for {year} is {latest['dfe_rate_per_10k']:.0f}."
    return text


def describe_growth(growth: pd.DataFrame, la_name: str, start: int, end: int) -> str:
    """A paragraph on the change over the window, generated from :func:`growth_table`."""
    parts = []
    labels = {
        "non_uasc": "non-UASC rate (recomputed)",
        "all": "all-CLA rate (recomputed)",
        "dfe": "published DfE all-CLA rate",
    }
    for _, g in growth.iterrows():
        if pd.isna(g["la_change"]) or pd.isna(g["comparator_change"]):
            why = f" ({g['notes']})" if g["notes"] else " (a published count is missing)"
            parts.append(f"The {labels[g['series']]} cannot be compared over {start}-{end}{why}.")
            continue
        if diverged(g["la_change"], g["comparator_change"]):
            how = f"it {contrast_changes(g['la_change'], g['comparator_change'])}"
        elif pd.notna(g["ratio"]):
            how = f"{g['ratio']:.1f} times as fast as England's"
        else:
            how = "while England's did not rise"
        parts.append(
            f"The {labels[g['series']]} went from {g['la_start_rate']:.1f} to "
            f"{g['la_end_rate']:.1f} ({g['la_change']:+.0f}%), against England's "
            f"{g['comparator_start_rate']:.1f} to {g['comparator_end_rate']:.1f} "
            f"({g['comparator_change']:+.0f}%): {how}"
            + (
                " (approximate: a start-year denominator is the nearest estimate held)."
                if g["approximate"]
                else "."
            )
        )
    return f"Between {start} and {end} in {la_name}: " + " ".join(parts)


def moved(change: float, decimals: int, rose: str = "rose") -> str:
    """A percentage change in words: ``"rose by 12%"``, ``"fell by 3%"``, ``"did not change"``."""
    if change > 0:
        return f"{rose} by {change:.{decimals}f}%"
    if change < 0:
        return f"fell by {abs(change):.{decimals}f}%"
    return "did not change"


def contrast_changes(
    la_change: float, comparator_change: float, comparator: str = "England's", decimals: int = 0
) -> str:
    """Two changes in plain English, e.g. ``"fell by 34% while England's rose by 26%"``.

    Parameters
    ----------
    la_change, comparator_change : float
        Percentage changes.
    comparator : str, default "England's"
        What the second change belongs to (possessive).
    decimals : int, default 0
        Decimals of the percentages.

    Returns
    -------
    str
    """
    return f"{moved(la_change, decimals)} while {comparator} {moved(comparator_change, decimals)}"



def describe_population_growth(pop: pd.DataFrame, la_name: str, labels: Labels = None,
                               census: CensusBases | None = None) -> str:
    """A paragraph on the growth of the 0-17 population, from :func:`population_growth`.

    Parameters
    ----------
    pop : pandas.DataFrame
        Two rows: the LA, then England.
    la_name : str
        The LA's name.
    labels : mapping, optional
        Population vintage -> the name to show.
    census : CensusBases, optional
        Names the latest census base when the start and end estimates straddle it.

    Returns
    -------
    str
        When both grew, the ratio of their growth; when they moved apart (one grew, the other
        fell) or either fell, what each did, without a ratio.
    """
    pl, pe = pop.iloc[0], pop.iloc[1]
    a, b = pl["percent_change"], pe["percent_change"]
    years = f"between mid-{int(pl['start_mid_year'])} and mid-{int(pl['end_mid_year'])}"
    if a > 0 and b > 0:
        text = (
            f"The population aged 0-17 grew by {a:.1f}% in {la_name} and {b:.1f}% in "
            f"England {years} ({la_name}'s growth was {a / b:.2f} times England's)"
        )
    elif pd.notna(a) and pd.notna(b):
        text = (
            f"The population aged 0-17 {moved(a, 1, 'grew')} in {la_name} "
            f"{'while it' if diverged(a, b) else 'and'} {moved(b, 1, 'grew')} in England "
            f"{years}"
        )
    else:
        text = (
            f"The population aged 0-17 grew by {a:.1f}% in {la_name} and {b:.1f}% in "
            f"England {years}"
        )
    return (
        text
        + f". Start: {vintage_name(pl['start_vintage'], labels)} ({pl['start_source_id']}); "
        f"end: {vintage_name(pl['end_vintage'], labels)} ({pl['end_source_id']})."
        + (
            f" {pl['note'][0].upper()}{pl['note'][1:]}, the nearest year held for both areas."
            if pl["note"]
            else ""
        )
        + (
            " The start and end estimates come from different ONS series (before and after the "
            f"{(census or CensusBases()).label()} rebasing), so part of the change may reflect "
            "the rebasing."
            if pl["start_on_latest_census_base"] != pl["end_on_latest_census_base"]
            else ""
        )
    )



# ------------------------------------------------------------------------------------------
# Section sentences: chart titles, alt text and paragraphs
# ------------------------------------------------------------------------------------------


def trend_title(la_name: str, relative: float, year: int) -> str:
    """The trend chart's title: the LA's all-CLA rate relative to England's in ``year``."""
    if abs(relative - 1) >= 0.05:
        return (
            f"{la_name}'s rate of children looked after was {relative:.1f} times England's "
            f"in {year}"
        )
    return f"{la_name}'s rate of children looked after was close to England's in {year}"


def before_break_label(la_rows: pd.DataFrame, break_year: int | None, labels: Labels = None
                       ) -> str | None:
    """What the years before the break to the latest census base use, for the trend chart
    (None: no break)."""
    runs = denominator_runs(la_rows)
    if not (break_year and runs and runs[0][0] < break_year):
        return None
    return str(vintage_name(runs[0][2], labels)).replace("ONS estimate, ", "")


def trend_alt(
    la_name: str,
    la_rows: pd.DataFrame,
    eng_last: pd.Series,
    year: int,
    pct: str,
    break_year: int | None,
    revised_run: tuple[int, int] | None,
    census: CensusBases | None = None,
) -> str:
    """Alt text of the trend chart.

    ``revised_run`` is the first stretch of years when it uses ONS's revised series from before
    the latest census base (shown before the break line), else None; ``census`` names that base.
    """
    census = census or CensusBases()
    la_last = la_rows.set_index("year").loc[year]
    first = la_rows.dropna(subset=["rate_all"]).iloc[0]
    alt = (
        f"Line chart of children looked after per 10,000 aged 0-17 at 31 March, "
        f"{int(la_rows['year'].min())} to {year}, for {la_name} and England, all children "
        f"and excluding UASC, with {pct} confidence bands. {la_name}: "
        f"{first['rate_all']:.1f} in {int(first['year'])} (first year with a denominator) "
        f"and {la_last['rate_all']:.1f} in {year} (excluding UASC "
        f"{la_last['rate_non_uasc']:.1f}); England {eng_last['rate_all']:.1f} "
        f"({eng_last['rate_non_uasc']:.1f} excluding UASC). Crosses show DfE's published "
        "all-CLA rate"
        + (
            ", which also covers the years without a denominator here."
            if la_rows["rate_all"].isna().any()
            else "."
        )
        + (
            f" A dotted line before {break_year} marks the switch to {census.based} "
            "population estimates."
            if break_year
            else ""
        )
    )
    if revised_run:
        alt += (
            f" Before the line, {int(revised_run[0])}-{int(revised_run[1])} rates use ONS's "
            f"revised pre-{census.label()} series, not the estimates DfE used at the time."
        )
    return alt


def rounding_note(cla_rows: pd.DataFrame) -> str:
    """Which years' published counts DfE rounded, e.g. "2006-2010 counts rounded to the nearest
    5 by DfE." ("" when none was), from an area's ``cla_la_year`` rows (``counts_rounded_to``,
    ``uasc_rounded_to``)."""
    cols = [c for c in ("counts_rounded_to", "uasc_rounded_to") if c in cla_rows]
    step = cla_rows[cols].apply(pd.to_numeric, errors="coerce").max(axis=1)
    rounded = cla_rows.loc[step > 1, "year"].astype(int)
    if rounded.empty:
        return ""
    first, last = rounded.min(), rounded.max()
    years = f"{first}-{last}" if first != last else str(first)
    return f"{years} counts rounded to the nearest {int(step.max())} by DfE."


def gaps_sentence(gaps: pd.DataFrame) -> str:
    """Which years have no recomputed rate, and why (rows of the rate table without one)."""
    return (
        f"Years without a recomputed rate ({', '.join(str(y) for y in gaps['year'])}): "
        + "; ".join(sorted(set(gaps["denominator_note"])))
        + ". DfE's published rate is "
        "shown for those years where DfE published one; it includes UASC."
    )


def comparison_texts(
    comparison: pd.DataFrame,
    la_code: str,
    la_name: str,
    la_rate: float,
    year: int,
    pct: str,
    model: str,
    england_rate: float,
    n_neighbours: int,
) -> tuple[str, str, str]:
    """Title, alt text and paragraph of the comparison with the region and neighbours.

    Parameters
    ----------
    comparison : pandas.DataFrame
        From :func:`.comparators.comparison_table`.
    la_code, la_name : str
        The LA.
    la_rate : float
        The LA's non-UASC rate in ``year``.
    year : int
        The year compared.
    pct : str
        Confidence level, e.g. ``"95%"``.
    model : str
        The neighbour model's label.
    england_rate : float
        England's non-UASC rate in ``year``.
    n_neighbours : int
        Number of neighbours listed.
    """
    rank, n_ranked = rank_among(comparison, la_code)
    region_row = comparison[comparison["role"] == "region"]
    is_neighbour = comparison["role"] == "neighbour"
    higher = comparison[is_neighbour & (comparison["rate_non_uasc_lower"] > la_rate)]
    lower = comparison[is_neighbour & (comparison["rate_non_uasc_upper"] < la_rate)]
    region = (
        f"{region_row['la_name'].iloc[0]} ({region_row['rate_non_uasc'].iloc[0]:.1f})"
        if len(region_row)
        else ""
    )
    title = (
        f"{la_name} ranks {rank} of {n_ranked} with its statistical neighbours on children "
        f"looked after excluding UASC, {year} ({model})"
    )
    alt = (
        f"Dot chart of children looked after excluding UASC per 10,000 aged 0-17 at 31 March "
        f"{year}, with {pct} confidence intervals, for {la_name} ({la_rate:.1f}), England "
        f"({england_rate:.1f})"
        + (f", {region}" if region else "")
        + f" and {n_neighbours} statistical neighbours ({model}), ranging from "
        f"{comparison['rate_non_uasc'].min():.1f} to {comparison['rate_non_uasc'].max():.1f}."
    )
    text = (
        f"In {year} {la_name} had the {ordinal(rank)} highest non-UASC rate of "
        f"{n_ranked} (itself and {n_ranked - 1} neighbours). {len(higher)} neighbour(s) had a "
        f"rate clearly higher (whole {pct} interval above {la_name}'s rate) and "
        f"{len(lower)} clearly lower."
        + (
            f" The {region_row['la_name'].iloc[0]} rate was "
            f"{region_row['rate_non_uasc'].iloc[0]:.1f}."
            if len(region_row)
            else ""
        )
    )
    return title, alt, text


def report_neighbours_paragraph(
    table: pd.DataFrame, la_name: str, start: int, end: int, nset: NeighbourSet
) -> str:
    """The window's change against the report-period neighbours, from
    :func:`.comparators.report_neighbours_table` (the LA's row first)."""
    me = table.iloc[0]
    nbrs = table[table["role"] == "neighbour"].dropna(subset=["change"])
    text = f"Over {start}-{end}, against {nset.label}"
    if nset.model == nset.requested and not nset.is_stand_in:
        text += ", the model in use when the Commissioner's report was written"
    text += ": "
    if pd.notna(me["change"]) and len(nbrs):
        faster = int((nbrs["change"] > me["change"]).sum())
        text += (
            f"{la_name}'s non-UASC rate went from {me['start_rate']:.1f} to "
            f"{me['end_rate']:.1f} ({me['change']:+.0f}%); its neighbours' median change was "
            f"{nbrs['change'].median():+.0f}%, and {faster} of the {len(nbrs)} neighbours with "
            f"a rate in both years rose by more."
        )
    else:
        text += f"{la_name}'s non-UASC rate change cannot be computed from the published data."
    if table["change"].isna().any():
        text += (
            " A dash means no non-UASC rate for that year: the authority did not exist in "
            "that form yet, or DfE did not publish its UASC count (suppressed or not reported)."
        )
    if nset.note:
        text += f" {nset.note}"
    if nset.is_stand_in:
        text += " " + nset.statement()
    return text


def reconciliation_intro(
    report_la_name: str, is_report_la: bool, convention_sentence: str, n_figures: int,
    n_reproduced: int, citation: str,
) -> str:
    """The paragraph before the reconciliation table."""
    return (
        (
            f"These are {report_la_name}'s figures (the report's subject), whichever authority "
            "this page is about. "
            if not is_report_la
            else ""
        )
        + convention_sentence
        + f" Of the report's {n_figures} figures, {n_reproduced} are reproduced exactly on "
        "that convention; the others are shown next to ours with the reason. No figure is "
        f"forced to match. Source of the report's figures: {citation}."
    )


def change_ratio_words(la_change: float, comparator_change: float, ratio: float,
                       la_name: str, window: str) -> str:
    """The "times England's change" headline sentence.

    Three forms: the two changes went opposite ways (said in words, as a negative or
    undefined ratio would mislead), a ratio, or no ratio at all.
    """
    if diverged(la_change, comparator_change):
        return (
            f"{la_name}'s non-UASC rate {moved(la_change, 0)} over {window} while "
            f"England's {moved(comparator_change, 0)}."
        )
    if pd.notna(ratio):
        return (
            f"{la_name}'s non-UASC rate changed {ratio:.1f} times as much as England's "
            f"over {window}."
        )
    return f"No ratio to England's change over {window} can be computed for {la_name}."


def summary_sentence(la_name: str, la_last: pd.Series, eng_last: pd.Series, year: int) -> str:
    """One sentence for the pack's index page."""
    return (
        f"{la_name}: {la_last['rate_all']:.1f} children looked after per 10,000 in "
        f"{year} ({la_last['rate_non_uasc']:.1f} excluding UASC); England "
        f"{eng_last['rate_all']:.1f}."
    )
