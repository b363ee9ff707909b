"""Words of page 03 (sub-area profile): commentary written from the numbers, alt text, notes.

Census names and years come in as :class:`Censuses` (from the release registry, through
:mod:`.inputs`), never as literals here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Censuses:
    """The two censuses the page compares, as the release registry names them."""

    latest: str  # label, e.g. "Census 2021"
    latest_year: int
    latest_vintage: int  # LSOA vintage of its small-area tables
    previous: str
    previous_year: int
    previous_vintage: int


def financial_year(fye: int) -> str:
    """``2021`` -> ``"2020/21"``: the financial year ending in ``fye``."""
    return f"{fye - 1}/{str(fye)[2:]}"


def compare(a: float, b: float, unit: str = "percentage points") -> str:
    """'3.1 percentage points higher than' / 'lower than' / 'the same as'."""
    diff = a - b
    if abs(diff) < 0.05:
        return "about the same as"
    return f"{abs(diff):.1f} {unit} {'higher' if diff > 0 else 'lower'} than"


def ratio_words(a: float, b: float) -> str:
    """'1.3 times' style comparison of two positive numbers."""
    if not b or np.isnan(a) or np.isnan(b):
        return "not comparable with"
    return f"{a / b:.1f} times"


def values_list(df: pd.DataFrame, column: str, fmt: str = "{:.1f}%") -> str:
    """``"North Solihull 23.8%; Rest of Solihull 18.3%"``: each area with its formatted value.

    Parameters
    ----------
    df : pandas.DataFrame
        Rows with an ``area`` column.
    column : str
        The value column.
    fmt : str, default ``"{:.1f}%"``
        Format applied to each value.
    """
    return "; ".join(f"{a} {fmt.format(v)}" for a, v in zip(df["area"], df[column], strict=True))


def _row(df: pd.DataFrame, level: str) -> pd.Series | None:
    sel = df[df["level"] == level]
    return sel.iloc[0] if len(sel) else None


def say_population(pop: pd.DataFrame, c: Censuses) -> str:
    """Commentary on residents and the child share, from :func:`.compute.census_population`."""
    la, eng = _row(pop, "LA"), _row(pop, "England")
    text = (
        f"At the {c.latest_year} Census {la['area']} had {la['residents']:,} usual residents, "
        f"of whom {la['children_0_15']:,} ({la['pct_0_15']:.1f}%) were aged 0-15, "
        f"{compare(la['pct_0_15'], eng['pct_0_15'])} England ({eng['pct_0_15']:.1f}%)."
    )
    if pd.notna(la["pct_0_17"]):
        text += f" Including 16- and 17-year-olds, {la['pct_0_17']:.1f}% were aged 0-17."
    subs = pop[pop["level"] == "sub-area"]
    if len(subs) > 1:
        top = subs.sort_values("pct_0_15", ascending=False)
        a, b = top.iloc[0], top.iloc[-1]
        text += (
            f" Children make up a larger share of residents in {a['area']} "
            f"({a['pct_0_15']:.1f}% of {a['residents']:,}) than in {b['area']} "
            f"({b['pct_0_15']:.1f}%), a gap of {a['pct_0_15'] - b['pct_0_15']:.1f} percentage "
            "points. "
            f"{a['area']} holds {100 * a['children_0_15'] / la['children_0_15']:.0f}% of the "
            f"LA's children aged 0-15 but {100 * a['residents'] / la['residents']:.0f}% of its "
            "residents."
        )
    return text


def _change(r: pd.Series) -> str:
    word = "rose" if r["change"] > 0 else "fell" if r["change"] < 0 else "did not change"
    return (
        f"{word} from {r['children_previous']:,} to {r['children_latest']:,} "
        f"({r['pct_change']:+.1f}%)"
    )


def say_growth(growth: pd.DataFrame, c: Censuses) -> str:
    """Commentary on the change in children aged 0-15 between the two censuses."""
    la, eng = _row(growth, "LA"), _row(growth, "England")
    text = (
        f"Between the {c.previous_year} and {c.latest_year} Censuses the number of children "
        f"aged 0-15 in {la['area']} {_change(la)}, against {eng['pct_change']:+.1f}% in England."
    )
    for r in growth[growth["level"] == "sub-area"].itertuples():
        text += f" In {r.area} it {_change(pd.Series(r._asdict()))}."
    split = int(growth.loc[growth["level"] == "sub-area", "lsoas_previous_split"].sum())
    if split:
        text += (
            f" {split} {c.previous_vintage} LSOAs were split between sub-areas in "
            f"{c.latest_vintage} and were counted in the sub-area holding most of their "
            "successors."
        )
    return text


def say_ethnicity(eth: pd.DataFrame, eth19: pd.DataFrame, c: Censuses) -> str:
    """Commentary on the non-White (and, for the LA, non-White-British) share."""
    la, eng = _row(eth, "LA"), _row(eth, "England")
    text = (
        f"In {c.latest_year}, {la['pct_non_white']:.1f}% of {la['area']}'s residents were from "
        f"ethnic groups other than White ({eng['pct_non_white']:.1f}% in England)."
    )
    subs = eth[eth["level"] == "sub-area"]
    if len(subs) > 1:
        parts = [f"{r.area} {r.pct_non_white:.1f}%" for r in subs.itertuples()]
        text += " By sub-area: " + "; ".join(parts) + "."
    la19 = _row(eth19, "LA") if len(eth19) else None
    if la19 is not None:
        eng19 = _row(eth19, "England")
        text += (
            f" Counting White minorities (Irish, Gypsy or Irish Traveller, Roma, other White) "
            f"too, {la19['pct_non_white_british']:.1f}% of residents were not White British "
            f"({eng19['pct_non_white_british']:.1f}% in England); this detail exists only "
            "at LA level."
        )
    return text


def say_households(hh: pd.DataFrame, la_name: str, c: Censuses) -> str:
    """The lone-parent share by area, or the LA's households when the LSOA file is missing."""
    if hh["pct_lone_parent_dependent"].notna().any():
        return (
            "Lone-parent households with dependent children as a share of all households: "
            + values_list(hh, "pct_lone_parent_dependent")
            + "."
        )
    la_hh = hh[hh["level"] == "LA"].iloc[0]
    return (
        f"{la_name} had {int(la_hh['households']):,} households at the {c.latest_year} Census. "
        "The number that are lone parents with dependent children is not in the data used here, "
        "for the LA or its sub-areas."
    )


def say_low_income(li: pd.DataFrame, fye: int) -> str:
    """Commentary on children in relative low-income families."""
    la, eng = _row(li, "LA"), _row(li, "England")
    year = financial_year(fye)
    if pd.isna(la["children_low_income"]):
        return f"DWP figures for {la['area']} are not available for {year}."
    text = (
        f"In {year}, {int(la['children_low_income']):,} children aged 0-15 in {la['area']} "
        f"lived in relative low-income families, {la['pct_low_income']:.1f}% of the "
        f"estimated {la['children_0_15']:,} children ({eng['pct_low_income']:.1f}% in "
        "England)."
    )
    subs = li[(li["level"] == "sub-area") & li["children_low_income"].notna()]
    for r in subs.itertuples():
        text += f" {r.area}: {int(r.children_low_income):,} ({r.pct_low_income:.1f}%)."
    return text


def say_idaci(summary: pd.DataFrame) -> str:
    """Commentary on the share of children in the most deprived IDACI deciles nationally."""
    parts = []
    for rel, g in summary.groupby("release", sort=False):
        items = [
            f"{r.area} {r.pct_children_most_deprived_10pct:.0f}% "
            f"({r.lsoas_most_deprived_10pct} of {r.lsoas} LSOAs)"
            for r in g.itertuples()
        ]
        parts.append(
            f"In {rel}, the share of children aged 0-15 living in LSOAs among the most "
            "deprived 10% in England on IDACI was: " + "; ".join(items) + "."
        )
    parts.append(
        "If children were spread evenly across England's deciles, 10% would live in each decile."
    )
    return " ".join(parts)


def idaci_alt(summary: pd.DataFrame, release: str) -> str:
    """Alt text of the IDACI decile chart for ``release``: each area's decile 1 and 1-2 shares.

    Areas are listed in ascending order of the decile-1 share.
    """
    s = summary[summary["release"] == release].sort_values("pct_children_most_deprived_10pct")
    return (
        f"Line chart of the share of children aged 0-15 in each national IDACI decile, {release}: "
        + "; ".join(
            f"{r.area} {r.pct_children_most_deprived_10pct:.0f}% in decile 1 and "
            f"{r.pct_children_most_deprived_20pct:.0f}% in deciles 1-2"
            for r in s.itertuples()
        )
        + "."
    )


def iod_years(years: list[int]) -> str:
    """``[2019, 2025]`` -> ``"2019 and 2025"`` (the releases a table draws on)."""
    words = [str(y) for y in years]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def measure_notes(c: Censuses) -> pd.DataFrame:
    """One row per measure: source and geography (for the page's 'about the data' table)."""
    lk = f"LSOA{str(c.previous_vintage)[2:]}-LSOA{str(c.latest_vintage)[2:]}"
    rows = [
        ("Residents, children 0-15", f"ONS {c.latest}, usual residents by age (6 categories)",
         f"{c.latest_vintage} LSOA, summed to sub-areas, LA and England"),
        ("Children 0-17", f"ONS {c.latest} TS007 (single year of age)", "LA and England only"),
        (f"Children 0-15, {c.previous_year}", f"ONS {c.previous} KS102EW (age structure)",
         f"{c.previous_vintage} LSOA, assigned to sub-areas via the ONS {lk} lookup"),
        ("Ethnic group (5 groups)", f"ONS {c.latest} TS021", f"{c.latest_vintage} LSOA"),
        ("Ethnic group (19 groups)", f"ONS {c.latest} ethnic group bulletin data", "LA, England"),
        ("Households", f"ONS {c.latest} TS003 (total)", "LA, England"),
        ("Lone-parent households", f"ONS {c.latest} TS003 (LSOA bulk file)",
         f"{c.latest_vintage} LSOA, when the file is present"),
        ("Children in low income families",
         "DWP/HMRC Children in low income families "
         "(relative, before housing costs); denominator ONS mid-year estimates (SAPE)",
         "Upper-tier LA; LSOA when the Stat-Xplore export is present"),
        ("IDACI deciles", "MHCLG English Indices of Deprivation, the releases shown on this page",
         f"each release's own LSOAs ({c.previous_vintage} or {c.latest_vintage} LSOA)"),
        ("Sub-areas",
         f"Project file areas/<LA code>.yaml; ONS LSOA ({c.latest_vintage}) to ward best-fit "
         "lookups", f"{c.latest_vintage} LSOA"),
    ]
    return pd.DataFrame(rows, columns=["measure", "source", "geography"])


ABOUT = (
    "Each measure, where it comes from and the geography it is published for. Sub-area "
    "figures are sums of published LSOA figures, so the sub-areas add up to the authority. "
    "Census counts are published by ONS with small random adjustments, so totals from "
    "different tables can differ by a few people."
)


def ethnicity_previous_missing(c: Censuses, where: str) -> tuple[str, str]:
    """What is missing to compare ethnic group between the censuses; ``where``: the registry's
    ``ethnicity_source`` of the previous census."""
    return (
        f"{c.previous} ethnic group, needed to compare {c.previous_year} with {c.latest_year} "
        "for the LA (and the sub-areas).",
        where or f"the {c.previous} ethnic group table at local authority and LSOA level (ONS)",
    )


def lone_parent_missing(c: Censuses, file_id: str, url: str, member: str, path: str
                        ) -> tuple[str, str]:
    """What is missing for the lone-parent share, and where to get it (from the catalogue)."""
    return (
        f"{c.latest} household composition (lone parent with dependent children) at LSOA level "
        f"(catalogue entry {file_id}).",
        f"ONS/Nomis bulk file {url}, member {member} (save it as data/raw/{path} and run "
        "`solihull-analytics data build`)",
    )


LOW_INCOME_LSOA_MISSING = (
    "Children in low income families by LSOA (catalogue entry dwp_cilif_lsoa), needed for "
    "the sub-area figures; the published files here are at local-authority level only.",
    "DWP Stat-Xplore, dataset 'Children in Low Income Families - Relative Low Income' "
    "(https://stat-xplore.dwp.gov.uk/), table by LSOA and year, saved as "
    "data/raw/census/dwp_cilif_relative_low_income_lsoa.csv",
)


def summary(pop: pd.DataFrame, la_name: str, configured: bool, c: Censuses) -> str:
    """One-line summary for the pack's front page."""
    if not configured:
        return f"{la_name} compared with England (no sub-areas defined)."
    first = pop.iloc[0]
    return f"{first['area']}: {first['pct_0_15']:.1f}% of residents aged 0-15 ({c.latest})."
