"""What page 04 publishes, after disclosure control: pure functions over the page's counts.

Disclosure control runs once, over every count the page publishes (:func:`page_counts`: the
checks table, the cohort's groups, the decile counts, and the counts in the text and the
headline JSON, linked by their totals): counts 1-5 shown as "c" with secondary suppression
(:class:`solihull_analytics.methods.disclosure.PublishedCounts`); rates and intervals from hidden
counts hidden; the end-decile ratio withheld when either end is hidden; SII and RII withheld
when most deciles are hidden, else rounded, with an audit that the rounded values do not pin any
hidden count (:func:`solihull_analytics.pages.cla_gradient.compute.audit_derived`). When the
children placed in the authority cannot be shown, the extract is too small to publish and the
page says so instead of giving numbers (:attr:`GradientResult.too_small`).
:func:`publish_gradient` assembles the :class:`GradientResult`, which holds aggregate tables only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from solihull_analytics.geo.lsoa import LsoaPopulation
from solihull_analytics.methods.disclosure import PublishedCounts
from solihull_analytics.methods.rates import poisson_rate_ci
from solihull_analytics.pages.cla_gradient.compute import (
    GROUP_KEYS,
    DecileStatistics,
    sii_rounding,
)
from solihull_analytics.ssda903.cohort import Cohort

#: The cohort's groups: key in :func:`page_counts` and label in the groups table.
GROUPS = dict(
    zip(
        GROUP_KEYS,
        (
            "Unaccompanied asylum-seeking children",
            "No home postcode recorded",
            "Home postcode not found in the postcode directory",
            "Home postcode outside the local authority",
            "Home postcode in the local authority",
        ),
        strict=True,
    )
)


def page_counts(
    checks: pd.DataFrame,
    short_break_only: int,
    groups: pd.Series,
    decile_counts: pd.Series,
) -> PublishedCounts:
    """Every count page 04 publishes, linked by its totals, with disclosure control applied.

    Names: ``checks:<table>:<check>`` (the checks table; ``checks:excluded_all`` is the sum of
    the tables' excluded rows, given in the text), ``cohort:short_break_only``,
    ``cohort:total``, ``group:<key>`` (keys of :data:`GROUPS`) and ``decile:<d>`` for the
    deciles with neighbourhoods in the authority. Relations: rows read = excluded + kept (and
    excluded = the sum of its reasons when it is), the cohort = its groups, the children placed
    in the authority = the deciles, Header rows kept = cohort + short-break-only + children
    not looked after in the period (unpublished), UASC rows kept = UASC children in the cohort
    + others (unpublished).

    Parameters
    ----------
    checks : pandas.DataFrame
        :meth:`SSDA903Extract.summary` (``table``, ``check``, ``rows``).
    short_break_only : int
        Children excluded as looked after only for short breaks.
    groups : pandas.Series
        Children by group, indexed by the keys of :data:`GROUPS`.
    decile_counts : pandas.Series
        Children placed in the authority by IDACI decile (deciles with neighbourhoods only).

    Returns
    -------
    PublishedCounts
        Suppressed and ready to format.
    """
    pc = PublishedCounts()
    excluded_any = []
    for table, sub in checks.groupby("table", sort=False):
        names = {check: f"checks:{table}:{check}" for check in sub["check"]}
        for check, rows in zip(sub["check"], sub["rows"], strict=True):
            pc.add(names[check], int(rows))
        read, kept = names.get("rows read"), names.get("rows kept")
        excluded = names.get("rows excluded (any reason)")
        if read and kept and excluded:
            excluded_any.append(excluded)
            if pc.value(read) == pc.value(excluded) + pc.value(kept):
                pc.relate(read, [excluded, kept])
            reasons = [n for c, n in names.items() if c.startswith("excluded: ")]
            if reasons and pc.value(excluded) == sum(pc.value(n) for n in reasons):
                pc.relate(excluded, reasons)
    pc.add("checks:excluded_all", sum(pc.value(n) for n in excluded_any))
    pc.relate("checks:excluded_all", excluded_any)
    pc.add("cohort:short_break_only", int(short_break_only))
    for key in GROUPS:
        pc.add(f"group:{key}", int(groups[key]), keep=5 if key == "in_area" else 1)
    total = int(groups[list(GROUPS)].sum())
    pc.add("cohort:total", total, keep=4)
    pc.relate("cohort:total", [f"group:{key}" for key in GROUPS])
    header_kept = "checks:header:rows kept"
    if header_kept in pc:
        rest = pc.value(header_kept) - total - int(short_break_only)
        if rest >= 0:
            pc.add("header:not_in_cohort", rest, published=False)
            pc.relate(
                header_kept, ["cohort:total", "cohort:short_break_only", "header:not_in_cohort"]
            )
    uasc_kept = "checks:uasc:rows kept"
    if uasc_kept in pc and pc.value(uasc_kept) >= pc.value("group:uasc"):
        pc.add("uasc:not_in_cohort", pc.value(uasc_kept) - pc.value("group:uasc"), published=False)
        pc.relate(uasc_kept, ["group:uasc", "uasc:not_in_cohort"])
    deciles = []
    for decile, n in decile_counts.items():
        pc.add(f"decile:{int(decile)}", int(n), keep=2)
        deciles.append(f"decile:{int(decile)}")
    if deciles:
        pc.relate("group:in_area", deciles)
    return pc.suppress()


# -- the whole analysis ---------------------------------------------------------------------
@dataclass
class GradientResult:
    """Everything the notebook publishes, after disclosure control (aggregates only).

    Attributes
    ----------
    counts : PublishedCounts
        Every count the page publishes, suppressed together; format counts through it.
    too_small : bool
        True when the extract is too small to publish safely (the children placed in the
        authority would have to be hidden, or no suppression pattern protects every small
        count): the page then shows no figures from the extract.
    checks : pandas.DataFrame
        Published checks table (``table``, ``check``, ``rows`` with "c").
    groups : pandas.DataFrame
        The cohort split into groups (``group``, ``children``, published with "c").
    deciles : pandas.DataFrame
        Published decile table: decile, LSOAs, population, children ("c" when hidden), rate
        and CI (hidden with the count).
    plot_table : pandas.DataFrame
        Decile, rate, lower, upper, fitted, hidden (bool): what the chart may draw.
    ratio_published : bool
        False when either end decile's count is hidden.
    cohort_total, in_area : int
        True counts, for computing only: publish ``counts.text("cohort:total")`` and
        ``counts.text("group:in_area")``.
    """

    la_code: str
    cohort: Cohort = field(repr=False)
    stats: DecileStatistics = field(repr=False)
    counts: PublishedCounts = field(repr=False)
    too_small: bool
    checks: pd.DataFrame
    groups: pd.DataFrame
    deciles: pd.DataFrame
    plot_table: pd.DataFrame
    denominators: LsoaPopulation = field(repr=False)
    postcode_method: str
    release: str
    vintage: int
    cohort_total: int = field(repr=False)
    in_area: int = field(repr=False)
    hidden_deciles: list[int]
    ratio_published: bool
    sii_published: bool
    sii_decimals: int
    rii_decimals: int
    source_ids: list[str]

    # Published (rounded, or None when withheld) values -------------------------------------
    def ratio(self) -> tuple[float, float, float] | None:
        """Most/least deprived ratio and 95% CI (1 d.p.), or None when withheld."""
        if not self.ratio_published:
            return None
        s = self.stats
        return round(s.ratio, 1), round(s.ratio_lower, 1), round(s.ratio_upper, 1)

    def sii(self) -> tuple[float, float, float] | None:
        """SII per 10,000 and its CI, rounded as audited, or None when withheld."""
        if not self.sii_published:
            return None
        s, d = self.stats, self.sii_decimals
        return round(s.sii, d), round(s.sii_lower, d), round(s.sii_upper, d)

    def rii(self) -> tuple[float, float, float] | None:
        """RII and its CI, rounded as audited, or None when withheld."""
        if not self.sii_published:
            return None
        s, d = self.stats, self.rii_decimals
        return round(s.rii, d), round(s.rii_lower, d), round(s.rii_upper, d)


def _decile_label(d: int) -> str:
    return f"{d} (most deprived)" if d == 1 else f"{d} (least deprived)" if d == 10 else str(d)


def published_deciles(
    stats: DecileStatistics, counts: PublishedCounts, age_band: str
) -> pd.DataFrame:
    """The decile table as published: counts through ``counts``, rates hidden with them."""
    t = stats.table
    present = t["population"] > 0
    rows = []
    for d in t.index:
        shown = present[d] and not counts.is_hidden(f"decile:{d}")
        rate = [
            t.loc[d, c] if shown else (counts.marker if present[d] else np.nan)
            for c in ("rate", "lower", "upper")
        ]
        rows.append(
            [
                _decile_label(int(d)),
                int(t.loc[d, "lsoas"]),
                int(round(t.loc[d, "population"])),
                counts.shown(f"decile:{d}") if present[d] else "–",
                *rate,
            ]
        )
    in_area_shown = not counts.is_hidden("group:in_area")
    total_ci = poisson_rate_ci(t["count"].sum(), t["population"].sum())
    overall = (
        [stats.overall_rate, float(total_ci.lower), float(total_ci.upper)]
        if in_area_shown
        else [counts.marker] * 3
    )
    rows.append(
        [
            "All deciles",
            int(t["lsoas"].sum()),
            int(round(t["population"].sum())),
            counts.shown("group:in_area"),
            *overall,
        ]
    )
    columns = [
        "IDACI decile",
        "Neighbourhoods (LSOAs)",
        f"Children aged {age_band}",
        "Children looked after",
        "Rate per 10,000",
        "95% CI lower",
        "95% CI upper",
    ]
    return pd.DataFrame(rows, columns=columns)



def published_checks(checks: pd.DataFrame, counts: PublishedCounts) -> pd.DataFrame:
    """The checks table as published: each row count through ``counts``."""
    return checks.assign(
        rows=[
            counts.shown(f"checks:{a}:{b}")
            for a, b in zip(checks["table"], checks["check"], strict=True)
        ]
    )


def group_table(counts: PublishedCounts) -> pd.DataFrame:
    """The cohort's groups as published (``group``, ``children``), with the cohort's total."""
    return pd.DataFrame(
        {
            "group": [*GROUPS.values(), "All children in the cohort"],
            "children": [counts.shown(f"group:{k}") for k in GROUPS]
            + [counts.shown("cohort:total")],
        }
    )


def plot_table(stats: DecileStatistics, hidden: pd.Series, fitted: bool) -> pd.DataFrame:
    """What the chart may draw: rates of shown deciles, and the fitted line when published."""
    t = stats.table
    present = t["population"] > 0
    shown = ~hidden & present
    return pd.DataFrame(
        {
            "decile": t.index,
            "rate": t["rate"].where(shown),
            "lower": t["lower"].where(shown),
            "upper": t["upper"].where(shown),
            "fitted": stats.fitted.reindex(t.index) if fitted else np.nan,
            "hidden": hidden.to_numpy(),
            "present": present.to_numpy(),
        }
    ).reset_index(drop=True)


def _indices_rounding(
    stats: DecileStatistics, counts: PublishedCounts, hidden: pd.Series, withheld: bool
) -> tuple[int, int] | None:
    """SII/RII decimals when they can be published, else None.

    Most deciles hidden: the indices would come mostly from suppressed counts (and too many
    ways of filling the hidden cells to audit), so they are withheld, as DfE withholds figures
    derived from suppressed counts.
    """
    t = stats.table
    present = t["population"] > 0
    mostly_hidden = int(hidden[present].sum()) * 2 > int(present.sum())
    if withheld or np.isnan(stats.sii) or mostly_hidden:
        return None
    primary = pd.Series([f"decile:{d}" in counts.primary for d in t.index], index=t.index)
    return sii_rounding(t, hidden, primary, stats.sii_definition)


def publish_gradient(
    la_code: str,
    cohort: Cohort,
    stats: DecileStatistics,
    checks: pd.DataFrame,
    groups: pd.Series,
    denominators: LsoaPopulation,
    *,
    postcode_method: str,
    release: str,
    vintage: int,
    source_ids: list[str],
) -> GradientResult:
    """Apply disclosure control once and assemble what the page publishes.

    Parameters
    ----------
    la_code : str
        The LA.
    cohort : Cohort
        The cohort (kept for its description; never displayed).
    stats : DecileStatistics
        Unsuppressed statistics by decile.
    checks : pandas.DataFrame
        :meth:`SSDA903Extract.summary`.
    groups : pandas.Series
        Children by group (:func:`.compute.cohort_groups`).
    denominators : LsoaPopulation
        The population the rates divide by.
    postcode_method, release, vintage, source_ids
        How postcodes were placed, the IoD release and its LSOA vintage, the sources used.

    Returns
    -------
    GradientResult
    """
    t = stats.table
    present = t["population"] > 0
    decile_counts = t.loc[present, "count"].astype(int)
    counts = page_counts(checks, cohort.short_break_only, groups, decile_counts)
    too_small = not counts.safe or counts.is_hidden("group:in_area")
    hidden = pd.Series(
        [bool(present[d]) and counts.is_hidden(f"decile:{d}") for d in t.index], index=t.index
    )
    nobody_in_area = int(groups["in_area"]) == 0
    ratio_published = (
        not too_small
        and not nobody_in_area
        and not (hidden[stats.most] or hidden[stats.least])
        and not np.isnan(stats.ratio_lower)
    )
    rounding = _indices_rounding(stats, counts, hidden, too_small or nobody_in_area)
    sii_dec, rii_dec = rounding or (1, 2)
    return GradientResult(
        la_code=la_code,
        cohort=cohort,
        stats=stats,
        counts=counts,
        too_small=too_small,
        checks=published_checks(checks, counts),
        groups=group_table(counts),
        deciles=published_deciles(stats, counts, denominators.age_band),
        plot_table=plot_table(stats, hidden, fitted=rounding is not None),
        denominators=denominators,
        postcode_method=postcode_method,
        release=release,
        vintage=vintage,
        cohort_total=int(groups.sum()),
        in_area=int(groups["in_area"]),
        hidden_deciles=[int(d) for d in t.index[hidden]],
        ratio_published=bool(ratio_published),
        sii_published=rounding is not None,
        sii_decimals=sii_dec,
        rii_decimals=rii_dec,
        source_ids=source_ids,
    )
