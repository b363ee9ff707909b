"""The Commissioner's report's CLA figures (March 2023) and their reconciliation with ours.

The report quotes Solihull's and England's non-UASC rates per 10,000 children for 31 March 2007
and 2022, their change and a "four times faster" ratio. :data:`REPORT_FIGURES` holds them as
printed, with the citation; :func:`reconciliation_table` compares each with the figure
recomputed from DfE and ONS data (notebook 01's rate tables) and explains any difference from
the numbers. The report divided each count at 31 March Y by the ONS mid-Y estimate
(2007: 44.6 = 205 / 45,948; 2022: 99.7 = 478 / 47,942), not DfE's mid-(Y-1), so its figures are
reconciled on that convention. Nothing here reads a file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from solihull_analytics.constants import ENGLAND_CODE, SOLIHULL_LA_CODE
from solihull_analytics.methods import rates
from solihull_analytics.reference.solihull_report import REPORT_CITATION

#: The LA the Commissioner's report is about (its figures are reconciled on every LA's page).
REPORT_LA = SOLIHULL_LA_CODE


@dataclass(frozen=True)
class ReportFigure:
    """A figure quoted in the Commissioner's report (non-UASC CLA, at 31 March).

    Attributes
    ----------
    key : str
        Identifier.
    label : str
        What the figure is.
    value : float
        The figure as printed.
    kind : str
        ``"count"``, ``"rate"``, ``"change"`` (percent) or ``"ratio"``.
    area : str
        ``"la"`` (Solihull) or ``"england"``.
    year : int or None
        Year at 31 March (None for changes over 2007-2022).
    note : str
        Where in the report it appears.
    citation : str
        The report.
    """

    key: str
    label: str
    value: float
    kind: str
    area: str
    year: int | None
    note: str = ""
    citation: str = REPORT_CITATION


REPORT_FIGURES: tuple[ReportFigure, ...] = (
    ReportFigure("la_count_2007", "Solihull non-UASC CLA, 31 March 2007", 205, "count", "la", 2007),
    ReportFigure(
        "la_rate_2007", "Solihull non-UASC rate per 10,000, 2007", 44.6, "rate", "la", 2007
    ),
    ReportFigure(
        "england_rate_2007", "England non-UASC rate per 10,000, 2007", 50.7, "rate", "england", 2007
    ),
    ReportFigure("la_count_2022", "Solihull non-UASC CLA, 31 March 2022", 478, "count", "la", 2022),
    ReportFigure(
        "la_rate_2022", "Solihull non-UASC rate per 10,000, 2022", 99.7, "rate", "la", 2022
    ),
    ReportFigure(
        "england_rate_2022_text",
        "England non-UASC rate per 10,000, 2022 (text)",
        63.3,
        "rate",
        "england",
        2022,
        "report text",
    ),
    ReportFigure(
        "england_rate_2022_table",
        "England non-UASC rate per 10,000, 2022 (table)",
        66.3,
        "rate",
        "england",
        2022,
        "report table",
    ),
    ReportFigure("la_change", "Solihull rate change 2007-2022 (%)", 124, "change", "la", None),
    ReportFigure(
        "england_change", "England rate change 2007-2022 (%)", 31, "change", "england", None
    ),
    ReportFigure(
        "times_faster",
        "Solihull rate rose 'four times faster' than England's",
        4,
        "ratio",
        "la",
        None,
    ),
)
REPORT_WINDOW = (2007, 2022)

#: Published counts the reconciliation needs that no file read here holds, quoted with their
#: source (one row each: ``la_code``, ``year``, ``release``, ``release_year``, ``cla_uasc``,
#: ``note``). DfE first published England's 2022 UASC count as 5,570 (later revised to 5,680);
#: with the 82,170 all-CLA count of the same release it gives the 76,600 non-UASC count the
#: report's England 2022 figure of 63.3 rests on.
QUOTED_UASC_COUNTS = pd.DataFrame(
    [
        {
            "la_code": ENGLAND_CODE,
            "year": 2022,
            "release": "EES reporting year 2022",
            "release_year": 2022,
            "cla_uasc": 5570,
            "note": "UASC 5,570 as first published in DfE's 2022 national tables, quoted as "
            "the mirror's cla/SOURCES.md records it: that table is not among the files read here",
        }
    ]
)



# ------------------------------------------------------------------------------------------
# Reconciliation with the report
# ------------------------------------------------------------------------------------------


def _fmt(value: float, kind: str) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "not computable"
    if kind == "count":
        return f"{value:,.0f}"
    if kind == "change":
        return f"{value:+.0f}%"
    if kind == "ratio":
        return f"{value:.1f} times"
    return f"{value:.1f}"


def implied_denominator(count: float, rate: float) -> float:
    """Population implied by a count and a rate per 10,000 (``count / rate * 10,000``)."""
    return float(count) / float(rate) * rates.PER_10K if rate else np.nan


def find_reproductions(
    target: float,
    counts: pd.DataFrame,
    candidates: pd.DataFrame,
    la_code: str,
    years: range | list[int],
    mid_years: range | list[int],
    decimals: int = 1,
) -> pd.DataFrame:
    """Search published counts and 0-17 estimates for pairs whose rate rounds to ``target``.

    Parameters
    ----------
    target : float
        The printed rate.
    counts : pandas.DataFrame
        Count vintages: ``la_code``, ``year``, ``count``, ``label`` (e.g. from
        ``cla_la_year_vintages``, non-UASC = all - UASC).
    candidates : pandas.DataFrame
        From :func:`population_candidates`.
    la_code : str
        Area.
    years : iterable of int
        Years at 31 March of the counts to try.
    mid_years : iterable of int
        Mid-years of the estimates to try.
    decimals : int
        Decimals the target was printed to.

    Returns
    -------
    pandas.DataFrame
        Matching combinations: ``count``, ``count_label``, ``mid_year``, ``population``,
        ``vintage``, ``rate``.
    """
    c = counts[(counts["la_code"] == la_code) & counts["year"].isin(list(years))]
    p = candidates[
        (candidates["la_code"] == la_code) & candidates["mid_year"].isin(list(mid_years))
    ]
    rows = []
    for _, cr in c.drop_duplicates(["year", "count"]).iterrows():
        for _, pr in p.drop_duplicates(["mid_year", "population"]).iterrows():
            rate = cr["count"] / pr["population"] * rates.PER_10K
            if round(rate, decimals) == round(target, decimals):
                rows.append(
                    {
                        "count": int(cr["count"]),
                        "count_label": cr["label"],
                        "mid_year": int(pr["mid_year"]),
                        "population": int(pr["population"]),
                        "vintage": pr["vintage"],
                        "rate": rate,
                    }
                )
    return pd.DataFrame(
        rows, columns=["count", "count_label", "mid_year", "population", "vintage", "rate"]
    )


def _rate_row(table: pd.DataFrame, code: str, year: int) -> pd.Series | None:
    rows = table[(table["la_code"] == code) & (table["year"] == year)]
    return None if rows.empty else rows.iloc[0]


def _area_phrase(name: str, mid_year: int, on_latest_base: object, census_label: str) -> str:
    """E.g. "England's pre-rebasing mid-2020 estimate" (``census_label`` names the latest base)."""
    if bool(on_latest_base):
        based = f"{census_label}-based" if census_label else "rebased"
    else:
        based = "pre-rebasing"
    return f"{name}'s {based} mid-{mid_year} estimate"


def _rate_explanation(
    f: ReportFigure,
    name: str,
    r: pd.Series,
    a: pd.Series | None,
    count_vintages: pd.DataFrame | None,
    candidates: pd.DataFrame | None,
    code: str,
    labels: Mapping[str, str],
    census_label: str = "",
) -> tuple[str, str]:
    """Sentence and verdict for a rate figure (``a`` is the report-convention row).

    ``labels`` maps a population vintage to the name the page shows for it; ``census_label``
    names the latest census base.
    """
    count = float(r["cla_non_uasc"])
    parts = []
    verdict = "not reproduced"
    alt = float(a["rate_non_uasc"]) if a is not None and pd.notna(a["rate_non_uasc"]) else np.nan
    if pd.notna(alt):
        vintage = labels.get(a["denominator_vintage"], a["denominator_vintage"])
        same = (
            f"{count:,.0f} / {a['denominator_population']:,.0f} "
            f"({vintage}, mid-{a['denominator_mid_year']}) "
            f"= {alt:.2f}"
        )
        if round(alt, 1) == f.value:
            verdict = "reproduced"
            parts.append(f"Reproduced on the same mid-year: {same}")
        else:
            parts.append(f"On the same mid-year {same}, not the report's {f.value}")
    if pd.notna(r["rate_non_uasc"]):
        dfe = float(r["rate_non_uasc"])
        approx = "" if bool(r["denominator_exact"]) else ", the nearest estimate held"
        parts.append(
            f"on DfE's convention (mid-{r['denominator_mid_year']}{approx}, "
            f"{r['denominator_population']:,.0f}) it would be {dfe:.1f}"
        )
    if verdict != "reproduced":
        parts.append(
            f"the report's {f.value} implies a denominator of "
            f"{implied_denominator(count, f.value):,.0f}"
        )
        if count_vintages is not None and candidates is not None:
            found = find_reproductions(
                f.value, count_vintages, candidates, code, [f.year],
                range(f.year - 3, f.year + 1),
            )
            if not found.empty:
                parts.append(_reproduction_phrase(f, name, found.iloc[0], candidates, code,
                                                  census_label))
                verdict = "explained (different denominator)"
            else:
                parts.append("no published count and estimate tried reproduces it")
    why = "; ".join(parts) + " (denominator)."
    return why[0].upper() + why[1:], verdict


def _reproduction_phrase(
    f: ReportFigure, name: str, m: pd.Series, candidates: pd.DataFrame, code: str,
    census_label: str = "",
) -> str:
    """The clause saying which count and denominator (``m``, the first of
    :func:`find_reproductions`) reproduce the report's rate."""
    based = candidates[
        (candidates["la_code"] == code)
        & (candidates["mid_year"] == m["mid_year"])
        & (candidates["population"] == m["population"])
    ]["on_latest_census_base"].any()
    return (
        f"it comes out only as {m['count']:,} ({m['count_label']}) / "
        f"{m['population']:,} ({_area_phrase(name, int(m['mid_year']), based, census_label)})"
        + (
            f", an older denominator than the mid-{f.year} estimate the report "
            "used elsewhere"
            if int(m["mid_year"]) != f.year
            else ""
        )
    )


def _change_from_report(figures: tuple[ReportFigure, ...], area: str) -> list[tuple[float, float]]:
    """The report's own start and end rates for ``area`` (every end figure it printed)."""
    start, end = REPORT_WINDOW
    starts = [f.value for f in figures if f.kind == "rate" and f.area == area and f.year == start]
    ends = [f.value for f in figures if f.kind == "rate" and f.area == area and f.year == end]
    return [(s, e) for s in starts for e in ends]


Verdict = tuple[float, str, str]  # our figure, the explanation, the verdict


def _count_verdict(f: ReportFigure, r: pd.Series | None) -> Verdict:
    """Our non-UASC count against the report's, and whether DfE rounded it."""
    ours = float(r["cla_non_uasc"]) if r is not None and pd.notna(r["cla_non_uasc"]) else np.nan
    if r is None or pd.isna(ours):
        return ours, "", "not reproduced"
    verdict = "reproduced" if ours == f.value else "not reproduced"
    rounded = int(r["counts_rounded_to"]) if pd.notna(r["counts_rounded_to"]) else 1
    base = f"{int(r['cla_all']):,} all CLA minus {int(r['cla_uasc']):,} UASC = {ours:,.0f}"
    if rounded > 1:
        why = (
            f"{base}; both published counts are rounded to the nearest {rounded}, "
            f"so the true figure could be up to {rounded} higher or lower "
            "(rounding)."
        )
    else:
        why = f"{base}, from unrounded published counts."
    return ours, why, verdict


def _change_verdict(
    f: ReportFigure, name: str, growth: pd.Series, figures: tuple[ReportFigure, ...]
) -> Verdict:
    """Our change over the report's window against the report's, and its own arithmetic."""
    start, end = REPORT_WINDOW
    side = "la" if f.area == "la" else "comparator"
    ours = float(growth[f"{side}_change"])
    verdict = "not reproduced"
    why = (
        f"{name} non-UASC rate {growth[f'{side}_start_rate']:.2f} in {start} to "
        f"{growth[f'{side}_end_rate']:.2f} in {end} on the report's convention"
    )
    own = [
        (s, e, rates.percent_change(s, e))
        for s, e in _change_from_report(figures, f.area)
    ]
    match = [(s, e, c) for s, e, c in own if round(c) == f.value]
    if round(ours) == f.value:
        verdict = "reproduced"
    elif match:
        s, e, c = match[0]
        verdict = "explained (rounding)" if round(e, 1) == round(
            float(growth[f"{side}_end_rate"]), 1) else "explained (report's own figures)"
        why += f"; the report's {f.value:+.0f}% is its own rounded {s} to {e} ({c:+.1f}%)"
    others = [(s, e, c) for s, e, c in own if (s, e, c) not in match]
    for s, e, c in others:
        why += f"; from its {s} to {e} it would be {c:+.0f}%"
    return ours, why + ".", verdict


def _ratio_verdict(
    f: ReportFigure, growth: pd.Series, figures: tuple[ReportFigure, ...]
) -> Verdict:
    """Our "times faster" ratio against the report's "four", from its own changes too."""
    ours = float(growth["ratio"])
    la_change, eng_change = growth["la_change"], growth["comparator_change"]
    rep = {x.key: x.value for x in figures}
    printed = rep["la_change"] / rep["england_change"]
    verdict = "reproduced" if round(ours) == f.value else (
        "explained (report's own figures)" if round(printed) == f.value
        else "not reproduced")
    why = (
        f"{la_change:+.1f}% / {eng_change:+.1f}% on the report's convention gives "
        f"{ours:.1f}; the report's {rep['la_change']:+.0f}% / "
        f"{rep['england_change']:+.0f}% gives {printed:.1f}, which it rounded to "
        "'four'."
    )
    ends = [e for s, e in _change_from_report(figures, "england")]
    starts = [s for s, e in _change_from_report(figures, "england")]
    if len(set(ends)) > 1 and starts:
        alts = [
            f"{rep['la_change'] / rates.percent_change(starts[0], e):.1f} with England's "
            f"{e}"
            for e in sorted(set(ends))
        ]
        why += " On the report's own England figures it is " + " or ".join(alts) + "."
    return ours, why, verdict


def reconciliation_table(
    default: pd.DataFrame,
    alternative: pd.DataFrame,
    la_code: str,
    la_name: str,
    window_growth: pd.Series,
    count_vintages: pd.DataFrame | None = None,
    candidates: pd.DataFrame | None = None,
    figures: tuple[ReportFigure, ...] = REPORT_FIGURES,
    vintage_labels: Mapping[str, str] | None = None,
    census_label: str = "",
) -> pd.DataFrame:
    """Compare the report's figures with ours and explain each difference in one sentence.

    Rates, changes and the "times faster" ratio are ours on the report's own convention (the
    rate at 31 March Y on the mid-Y estimate, ``alternative``); each rate's sentence also gives
    the figure on DfE's convention (``default``).

    Parameters
    ----------
    default : pandas.DataFrame
        :func:`~solihull_analytics.pages.cla_trend.compute.cla_rates` on DfE's convention
        (``nearest=True`` flags any approximate denominator), for the LA and England.
    alternative : pandas.DataFrame
        The same on the ``same_year`` convention (the report's).
    la_code, la_name : str
        The LA (the report is about Solihull; for any other LA the figures are still
        Solihull's and the page says so).
    window_growth : pandas.Series
        The non-UASC row of the page's growth table over :data:`REPORT_WINDOW` on the
        alternative convention (``la_change``, ``comparator_change``, ``ratio``), computed by
        the page so that this module does not depend on a page.
    count_vintages : pandas.DataFrame, optional
        Count vintages for :func:`find_reproductions` (``la_code``, ``year``, ``count``,
        ``label``).
    candidates : pandas.DataFrame, optional
        Population candidates for :func:`find_reproductions`.
    figures : tuple of ReportFigure
        The report's figures.
    vintage_labels : mapping of str to str, optional
        Population vintage -> the name to show for it (default: the vintage as it is).
    census_label : str, optional
        The name of the latest census the estimates are based on (the registry's census label),
        for estimates on it (default: "rebased").

    Returns
    -------
    pandas.DataFrame
        ``figure``, ``report``, ``ours``, ``difference``, ``verdict``, ``explanation`` (and
        ``key``, ``ours_value``). ``verdict`` is "reproduced", "explained (...)" or
        "not reproduced".
    """
    growth = window_growth
    labels = dict(vintage_labels or {})
    rows = []
    for f in figures:
        code = la_code if f.area == "la" else ENGLAND_CODE
        name = la_name if f.area == "la" else "England"
        ours, why, verdict = np.nan, "", "not reproduced"
        if f.kind == "count":
            ours, why, verdict = _count_verdict(f, _rate_row(default, code, f.year))
        elif f.kind == "rate":
            r = _rate_row(default, code, f.year)
            a = _rate_row(alternative, code, f.year)
            ours = float(a["rate_non_uasc"]) if a is not None else np.nan
            if r is None or pd.isna(r["cla_non_uasc"]):
                why = f"No non-UASC count for {name} in {f.year} in the published files."
            else:
                why, verdict = _rate_explanation(
                    f, name, r, a, count_vintages, candidates, code, labels, census_label
                )
        elif f.kind == "change":
            ours, why, verdict = _change_verdict(f, name, growth, figures)
        elif f.kind == "ratio":
            ours, why, verdict = _ratio_verdict(f, growth, figures)
        diff = ours - f.value if pd.notna(ours) else np.nan
        rows.append(
            {
                "key": f.key,
                "figure": f.label,
                "report": _fmt(f.value, f.kind),
                "ours": _fmt(ours, f.kind),
                "difference": (f"{diff:+.1f}" if f.kind != "count" else f"{diff:+,.0f}")
                if pd.notna(diff)
                else "–",
                "verdict": verdict,
                "ours_value": ours,
                "explanation": why,
            }
        )
    return pd.DataFrame(rows)


def report_convention_sentence(
    default: pd.DataFrame, alternative: pd.DataFrame, la_code: str, la_name: str
) -> str:
    """One sentence on which denominator convention the report used, from the numbers.

    The report's LA rates are tried on both conventions; the sentence names the one that
    reproduces all of them (or says that neither does).
    """
    figures = [f for f in REPORT_FIGURES if f.kind == "rate" and f.area == "la"]

    def reproduced(table: pd.DataFrame) -> list[pd.Series]:
        rows = [_rate_row(table, la_code, f.year) for f in figures]
        return [
            r for r, f in zip(rows, figures, strict=True)
            if r is not None and pd.notna(r["rate_non_uasc"])
            and round(float(r["rate_non_uasc"]), 1) == f.value
        ]

    same, dfe = reproduced(alternative), reproduced(default)
    if len(same) == len(figures) > len(dfe):
        shown = " and ".join(
            f"{int(r['year'])} ({int(r['cla_non_uasc']):,} / "
            f"{r['denominator_population']:,.0f}, mid-{r['denominator_mid_year']})"
            for r in same
        )
        return (
            "The report divided each year's count at 31 March by the ONS estimate for the same "
            f"mid-year, not DfE's mid-(Y-1): {la_name}'s rates for {shown} all come out that "
            "way, so the rates, changes and ratio below are on that convention."
        )
    return (
        f"Neither convention reproduces all of {la_name}'s report rates; the rates below are "
        "on the same mid-year, with DfE's convention in each explanation."
    )


def count_vintages_table(vintages: pd.DataFrame, codes: list[str]) -> pd.DataFrame:
    """Non-UASC counts as published in each release, for :func:`find_reproductions`.

    Rows of :data:`QUOTED_UASC_COUNTS` for ``codes`` are added as UASC counts of their release,
    and their note is carried into the label.
    """
    quoted = QUOTED_UASC_COUNTS[QUOTED_UASC_COUNTS["la_code"].isin(codes)]
    v = pd.concat([vintages[vintages["la_code"].isin(codes)], quoted], ignore_index=True)
    notes = {(r.la_code, r.year, r.release): r.note for r in quoted.itertuples()}
    base = pd.DataFrame(
        {
            "la_code": v["la_code"].astype(str),
            "year": v["year"].astype(int),
            "release": v["release"].astype(str),
            "all": pd.to_numeric(v["cla_all"], errors="coerce").astype(float),
            "uasc": pd.to_numeric(v["cla_uasc"], errors="coerce").astype(float),
        }
    )
    alls = base.dropna(subset=["all"])[["la_code", "year", "release", "all"]]
    uascs = base.dropna(subset=["uasc"])[["la_code", "year", "release", "uasc"]]
    pairs = alls.merge(uascs, on=["la_code", "year"], suffixes=("", "_uasc"))
    pairs["count"] = pairs["all"] - pairs["uasc"]
    same = pairs["release"] == pairs["release_uasc"]
    if "release_year" in v:
        first_year = v.groupby(["la_code", "year"])["release_year"].min()
        release_year = dict(zip(v["release"].astype(str), v["release_year"], strict=False))
        first = [
            release_year.get(rel) == first_year.get((code, year))
            for code, year, rel in zip(pairs["la_code"], pairs["year"], pairs["release"],
                                       strict=True)
        ]
    else:
        first = [False] * len(pairs)
    pairs["label"] = np.where(
        same,
        pairs["year"].astype(str)
        + np.where(first, " non-UASC count as first published, in ", " count as published in ")
        + pairs["release"],
        pairs["year"].astype(str)
        + " all CLA from "
        + pairs["release"]
        + ", UASC from "
        + pairs["release_uasc"],
    )
    pairs["label"] = [
        f"{label}; {notes[(code, year, rel)]}" if (code, year, rel) in notes else label
        for label, code, year, rel in zip(pairs["label"], pairs["la_code"], pairs["year"],
                                          pairs["release_uasc"], strict=True)
    ]
    pairs = pairs.assign(_same=same).sort_values("_same", ascending=False, kind="mergesort")
    return (
        pairs[["la_code", "year", "label", "count"]]
        .drop_duplicates(["la_code", "year", "count"])
        .reset_index(drop=True)
    )

