"""Page 05's words: commentary, chart titles and alternative text, method notes, the summary.

Each function turns numbers already computed (:mod:`.compute`, the model) into sentences; none
computes an analysis of its own beyond counting and ranking what it describes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from solihull_analytics.constants import ENGLAND_CODE
from solihull_analytics.methods.count_model import DeprivationModel
from solihull_analytics.pages.benchmarking.compute import (
    WORKFORCE_LABELS,
    NationalBenchmark,
    position_counts,
)
from solihull_analytics.pages.benchmarking.measures import DEPRIVATION_LABELS, SERIES
from solihull_analytics.report.wording import ordinal

#: Funnel positions as phrases ("Solihull is ... ").
POSITION_PHRASE: dict[str, str] = {
    "above 99.8%": "above the upper 99.8% limit",
    "above 95%": "above the upper 95% limit (within 99.8%)",
    "within 95%": "within the 95% limits",
    "below 95%": "below the lower 95% limit (within 99.8%)",
    "below 99.8%": "below the lower 99.8% limit",
}
#: Sources named under the tables and charts.
SOURCE_RATES = (
    "DfE children looked after and children in need statistics; ONS mid-year estimates; "
    "MHCLG English Indices of Deprivation"
)
SOURCE_OWN_RATES = "DfE children looked after and children in need statistics; ONS"
SOURCE_FUNNEL = "DfE children looked after statistics; ONS mid-year estimates"
SOURCE_OE = "Model on DfE, ONS and MHCLG data (see appendix)"
SOURCE_CHANGE = "DfE children looked after statistics; ONS mid-year estimates; MHCLG"
SOURCE_RESIDUALS = "Model on DfE, ONS and MHCLG data"


def judge_oe(lower: float, upper: float) -> str:
    """'higher than expected', 'lower than expected' or 'in line with expectation'."""
    if lower > 1:
        return "higher than expected"
    if upper < 1:
        return "lower than expected"
    return "in line with expectation"


def describe_model(model: DeprivationModel, la_code: str, la_name: str) -> str:
    """Plain-English summary of the model and where the LA sits."""
    slope = model.params.iloc[1]
    pct = (slope["rate_ratio"] - 1) * 100
    n = model.diagnostics["n_las"]
    text = (
        f"Across {n} local authorities in {model.year}, each 10 percentage points more children "
        f"living in England's most income-deprived fifth of neighbourhoods goes with a "
        f"{abs(pct):.0f}% {'higher' if pct >= 0 else 'lower'} rate of "
        f"{SERIES[model.series][1]} (95% CI {(slope['rate_ratio_lower'] - 1) * 100:.0f}% to "
        f"{(slope['rate_ratio_upper'] - 1) * 100:.0f}%). "
    )
    r = model.row(la_code)
    if r is None:
        return text + f"{la_name} is not in the model for this year."
    verdict = judge_oe(r["oe_lower"], r["oe_upper"])
    text += (
        f"Given its child deprivation ({r['deprivation']:.1f}% of children in the most deprived "
        f"fifth), the model expects {la_name} to have about {r['expected']:,.0f} children looked "
        f"after ({r['expected_rate']:.1f} per 10,000); it had {r['observed']:,.0f} "
        f"({r['rate']:.1f} per 10,000). Observed/expected is {r['oe']:.2f} (95% CI "
        f"{r['oe_lower']:.2f} to {r['oe_upper']:.2f}): {verdict}. It ranks "
        f"{ordinal(int(r['oe_rank']))} of {n} on this deprivation-adjusted ratio "
        f"(1st = furthest above expected), against {ordinal(int(r['rate_rank']))} on the crude "
        "rate. "
    )
    in_range = r["nb_lower"] <= r["observed"] <= r["nb_upper"]
    text += (
        f"Authorities with the same deprivation and size vary a lot: 95% of them would have "
        f"between {r['nb_lower']:,.0f} and {r['nb_upper']:,.0f} children looked after, so "
        f"{la_name}'s count is {'within' if in_range else 'outside'} the usual spread."
    )
    return text


#: How the funnel limits and positions are worked out (page 05, after the two funnel plots).
FUNNEL_METHOD_TEXT = (
    "**Method.** The limits and positions follow OHID's funnel method for Fingertips "
    "(PHEindicatormethods, PHStatsMethods) and reproduce OHID's own limits, checked against "
    "its code: an authority is outside a limit when the confidence interval of its count "
    "(exact Poisson below 10 children, Byar's from 10) excludes the number expected, at "
    "England's rate in the first plot and from the model in the second. The limits drawn "
    "before this change sat about one to two children too high; a count of 0 is now within the 95% "
    "limits unless more than 3.69 children were expected, and below the 99.8% limit only when "
    "more than 6.91 were."
)


def describe_funnel(table: pd.DataFrame, la_code: str, la_name: str, centre_label: str) -> str:
    """Plain-English summary of a funnel plot."""
    counts = position_counts(table)
    n = int(table["funnel_position"].notna().sum())
    above = counts["above 99.8%"]
    below = counts["below 99.8%"]
    outside95 = n - counts["within 95%"]
    text = (
        f"{outside95} of {n} authorities lie outside the 95% limits around {centre_label} "
        f"(about {0.05 * n:.0f} would by chance alone if every authority had the same "
        f"underlying rate), and {above + below} outside the 99.8% limits ({above} above, "
        f"{below} below). "
    )
    if outside95 > 0.2 * n:
        text += (
            "So many authorities outside the limits shows that rates genuinely differ between "
            "authorities far beyond chance; the limits flag which differences are not chance, "
            "not which are a problem. "
        )
    row = table[table["la_code"] == la_code]
    if not row.empty and pd.notna(row.iloc[0]["funnel_position"]):
        text += f"{la_name} is {POSITION_PHRASE[row.iloc[0]['funnel_position']]}."
    return text


def describe_change(
    change: pd.DataFrame, la_code: str, la_name: str, start: int, end: int, england_change: float
) -> str:
    """Plain-English summary of the change chart."""
    rho = stats.spearmanr(change["deprivation"], change["change"]).statistic
    rising = int((change["change"] > 0).sum())
    text = (
        f"Between {start} and {end} the rate rose in {rising} of {len(change)} authorities "
        f"(England: {england_change:+.1f} per 10,000). The change is "
        f"{'hardly' if abs(rho) < 0.2 else 'somewhat' if abs(rho) < 0.4 else 'clearly'} "
        f"related to deprivation (Spearman correlation {rho:+.2f}"
        f"{'; more deprived authorities rose more' if rho >= 0.2 else ''}"
        f"{'; more deprived authorities rose less' if rho <= -0.2 else ''}). "
    )
    row = change[change["la_code"] == la_code]
    if row.empty:
        return text + f"{la_name} does not have both years."
    r = row.iloc[0]
    rank = int((change["change"] > r["change"]).sum()) + 1
    text += (
        f"{la_name}'s rate went from {r['rate_start']:.1f} to {r['rate_end']:.1f} per 10,000 "
        f"({r['change']:+.1f}, {r['pct_change']:+.0f}%), the {ordinal(rank)} largest rise of "
        f"{len(change)}."
    )
    return text


def describe_workforce(panel: pd.DataFrame, la_code: str, la_name: str) -> str:
    """Plain-English comparison of the LA's workforce indicators with neighbours and England."""
    me = panel[panel["la_code"] == la_code]
    eng = panel[panel["la_code"] == ENGLAND_CODE]
    nb = panel[~panel["la_code"].isin([la_code, ENGLAND_CODE])]
    if me.empty or me[list(WORKFORCE_LABELS)].isna().all(axis=None):
        return f"Workforce indicators for {la_name} are not published for this year."
    parts = []
    for col, label in WORKFORCE_LABELS.items():
        v = me.iloc[0][col]
        if pd.isna(v):
            continue
        e = eng.iloc[0][col] if len(eng) else np.nan
        med = nb[col].median()
        name = label.split(" (")[0].lower()
        parts.append(f"{name} {v:.1f} (neighbours' median {med:.1f}, England {e:.1f})")
    year = int(panel["year"].iloc[0])
    note = me.iloc[0]["note"]
    joint = f" Figures are for the {note.split(': ', 1)[1]} joint service." if note else ""
    return f"At 30 September {year}, {la_name}: " + "; ".join(parts) + "." + joint


def _p_text(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"= {p:.3f}"


def diagnostics_text(model: DeprivationModel) -> str:
    """Describe the model's dispersion, calibration, residuals and curvature test.

    Parameters
    ----------
    model : DeprivationModel
        The fitted model.

    Returns
    -------
    str
        A Markdown paragraph.
    """
    d = model.diagnostics
    curvature = (
        f"Adding a squared deprivation term improves the fit (likelihood-ratio p "
        f"{_p_text(d['curvature_p'])}): rates rise with deprivation and level off among the most "
        "deprived authorities; its effect on the O/E ratios is shown in the sensitivity table "
        "below."
        if d["curvature_p"] < 0.05
        else f"A squared deprivation term does not improve the fit (p = {d['curvature_p']:.2f})."
    )
    return (
        f"**Dispersion.** A Poisson model has Pearson chi-square / df = "
        f"{d['poisson_dispersion']:.1f} (1 expected); the negative binomial's alpha is "
        f"{model.alpha:.3f} (95% CI {model.alpha_lower:.3f} to {model.alpha_upper:.3f}), i.e. "
        "authorities' underlying rates vary with a coefficient of variation of about "
        f"{model.alpha**0.5 * 100:.0f}%, and its Pearson chi-square / df is "
        f"{d['nb_dispersion']:.2f}. The likelihood-ratio test of negative binomial against "
        f"Poisson gives {d['lr_stat']:.0f} (p {_p_text(d['lr_p'])}); "
        f"AIC {d['aic_nb']:.0f} against {d['aic_poisson']:.0f}. "
        f"**Calibration.** The fitted total over the {d['n_las']} authorities is "
        f"{d['fitted_total']:,.0f} against {d['observed_total']:,.0f} observed "
        f"({(d['total_ratio'] - 1) * 100:+.1f}%). "
        f"**Residuals.** {d['large_residuals']} authorities have Pearson residuals beyond ±2 "
        f"(about {0.05 * d['n_las']:.0f} expected); Spearman correlation of residuals with "
        f"deprivation {d['resid_deprivation_spearman']:+.2f} and with size "
        f"{d['resid_size_spearman']:+.2f}. " + curvature
    )


def sensitivity_text(sens: pd.DataFrame, la_name: str) -> str:
    """Summarise :func:`sensitivity_table`: the best specification and the LA's O/E range.

    Parameters
    ----------
    sens : pandas.DataFrame
        From :func:`sensitivity_table`; its first four rows are the specifications fitted on
        the main data.
    la_name : str
        The LA's name.

    Returns
    -------
    str
        A Markdown paragraph.
    """
    best = sens.iloc[sens.iloc[:4]["aic"].idxmin()]
    if pd.isna(best["oe"]):
        la_part = (
            f"{la_name} is not in the model (its counts are suppressed or too small), so no O/E "
            "is given for it."
        )
        range_part = ""
    else:
        la_part = (
            f"there {la_name}'s O/E is {best['oe']:.2f} ({best['oe_lower']:.2f} to "
            f"{best['oe_upper']:.2f})."
        )
        range_part = (
            f" Across all fits below {la_name}'s O/E ranges from {sens['oe'].min():.2f} to "
            f"{sens['oe'].max():.2f}."
        )
    return (
        f"**Other specifications.** The lowest AIC among the four specifications on the main "
        f"data is '{best['model']}' (AIC {best['aic']:.0f}); {la_part} A squared term "
        "lets the rate level off among the most deprived authorities; the main model keeps one "
        "deprivation slope so that its sign is easy to read." + range_part
    )


def rates_note(year: int) -> str:
    """What the rates in the first tables are."""
    return (
        f"All rates below are per 10,000 children aged 0-17 at 31 March {year} (referrals: "
        f"in the year to 31 March {year}), on ONS mid-{year - 1} estimates."
    )


def dep_label(release: str) -> str:
    """Axis label of the deprivation measure."""
    return (
        f"% of children aged 0-15 in England's most deprived 20% of LSOAs (IDACI, "
        f"{release})"
    )


def model_title(la_name: str, me: pd.Series | None, series_label: str) -> str:
    """Title of the deprivation scatter chart."""
    if me is None:
        return f"Rates of {series_label} rise with child deprivation"
    return f"{la_name}'s rate is {me['oe']:.2f} times the rate expected from its child deprivation"


def model_alt(nat: NationalBenchmark, la_name: str, me: pd.Series | None) -> str:
    """Alternative text of the deprivation scatter chart."""
    model, series_label, label = nat.model, SERIES[nat.cla_series][1], dep_label(nat.iod_release)
    alt = (
        f"Scatter chart of {model.diagnostics['n_las']} English local authorities: rate of "
        f"{series_label} per 10,000 children in {nat.year} against the {label}. The model's "
        f"expected rate rises from {model.expected_rate_at([0])[0]:.0f} at 0% to "
        f"{model.expected_rate_at([60])[0]:.0f} at 60% for an authority of median size; a "
        "shaded band shows the 95% confidence interval of that expected rate."
    )
    if me is not None:
        alt += (
            f" {la_name} is at {me['deprivation']:.1f}% with a rate of {me['rate']:.1f} "
            f"against an expected {me['expected_rate']:.1f}."
        )
    return alt


def model_method(nat: NationalBenchmark) -> str:
    """How the deprivation measure and the model are built (under the model's commentary)."""
    release, model, year = nat.iod_release, nat.model, nat.year
    series_label = SERIES[nat.cla_series][1]
    weights = nat.dep[nat.dep["release"] == release]["weights"].iloc[0]
    uasc = (
        "UASC are left out because where unaccompanied children are placed follows national "
        "transfer arrangements and ports of entry, not local deprivation. "
        if nat.cla_series == "non_uasc"
        else ""
    )
    return (
        f"**Measure of deprivation.** {DEPRIVATION_LABELS['idaci_top20_share']}: for "
        f"{release}, LSOAs ranked in England's most deprived 20% on the Income Deprivation "
        f"Affecting Children Index, weighted by children aged 0-15 ({weights}). "
        f"**Model.** Negative binomial regression of the number of {series_label} at 31 March "
        f"{year} with the population aged 0-17 as exposure, on this share and the log of the "
        "population aged 0-17. A count model with the population as exposure models the rate "
        "directly; the negative binomial allows for authorities differing far more than chance "
        f"(a Poisson model's dispersion is {model.diagnostics['poisson_dispersion']:.0f} times "
        "too large) while letting every authority inform the fit. Size is in the model because, "
        "at the same deprivation, larger authorities have lower rates; without it the expected "
        f"counts over-predict them. {uasc}"
        "O/E intervals combine Byar's interval for the observed count with the model's "
        "uncertainty in the expected count. Details are in the appendix."
    )


def funnel_title(la_name: str, position: Any, england_rate: float) -> str:
    """Title of the crude-rate funnel plot."""
    if position in POSITION_PHRASE:
        return (
            f"{la_name} is {POSITION_PHRASE[position]} around England's rate of "
            f"{england_rate:.1f}"
        )
    return f"Rates against England's rate of {england_rate:.1f}"


def funnel_alt(nat: NationalBenchmark, la_name: str, position: Any) -> str:
    """Alternative text of the crude-rate funnel plot."""
    counts = position_counts(nat.funnel)
    series_label, england_rate = SERIES[nat.cla_series][1], nat.england_rate
    return (
        f"Funnel plot of {len(nat.funnel)} local authorities: rate of {series_label} per 10,000 "
        f"children in {nat.year} against the number of children aged 0-17, with 95% and "
        f"99.8% limits around England's rate of {england_rate:.1f}. {counts['above 99.8%']} "
        f"authorities are above and {counts['below 99.8%']} below the 99.8% limits. "
        f"{la_name} is {POSITION_PHRASE.get(position, 'not shown')}."
    )


def oe_funnel_title(la_name: str, position: Any) -> str:
    """Title of the O/E funnel plot."""
    return (
        f"Allowing for deprivation and size, {la_name} is "
        f"{POSITION_PHRASE.get(position, 'not shown')}"
    )


def oe_funnel_alt(oe_funnel: pd.DataFrame, la_name: str, me: pd.Series | None) -> str:
    """Alternative text of the O/E funnel plot."""
    c2 = position_counts(oe_funnel)
    return (
        f"Funnel plot of observed/expected ratios for {len(oe_funnel)} authorities against "
        "the expected number from the deprivation model, with 95% and 99.8% limits around 1. "
        f"{c2['above 99.8%']} authorities are above and {c2['below 99.8%']} below the 99.8% "
        "limits."
        + (
            f" {la_name}: {me['oe']:.2f} on an expected {me['expected']:.0f}."
            if me is not None
            else ""
        )
    )


def change_title(la_name: str, row: pd.DataFrame, start: int, year: int) -> str:
    """Title of the change chart (``row``: the LA's row of the change table, maybe empty)."""
    if len(row):
        return (
            f"{la_name}'s rate changed by {row['change'].iloc[0]:+.1f} per 10,000 from {start} "
            f"to {year}"
        )
    return f"Change in rates from {start} to {year}"


def change_alt(nat: NationalBenchmark, la_name: str, row: pd.DataFrame) -> str:
    """Alternative text of the change chart."""
    return (
        f"Scatter chart of {len(nat.change)} authorities: change in the rate of "
        f"{SERIES[nat.cla_series][1]} per 10,000 children between {nat.start} and {nat.year} "
        f"against child deprivation. England's rate changed by {nat.england_change:+.1f}."
        + (
            f" {la_name}: {row['rate_start'].iloc[0]:.1f} to {row['rate_end'].iloc[0]:.1f}."
            if len(row)
            else ""
        )
    )


def change_coverage(n_las: int, start: int) -> str:
    """Which authorities the change chart holds."""
    return (
        f"{n_las} authorities hold a rate in both years; the others are authorities "
        f"created since {start} or whose UASC count was suppressed in one of the years."
    )


def workforce_title(la_name: str, me_wf: pd.Series, wf_year: int) -> str:
    """Title of the workforce chart."""
    if pd.notna(me_wf["agency_rate_pct"]):
        return (
            f"{la_name}: agency rate {me_wf['agency_rate_pct']:.1f}%, caseload "
            f"{me_wf['caseload_average']:.1f} at 30 September {wf_year}"
        )
    return f"Social work workforce, {wf_year}"


def workforce_alt(la_name: str, wf_year: int, neighbours_label: str, text: str) -> str:
    """Alternative text of the workforce chart (``text``: :func:`describe_workforce`)."""
    return (
        "Four dot charts of children's social worker agency rate, turnover rate, vacancy "
        f"rate and average caseload at 30 September {wf_year} for {la_name}, its statistical "
        f"neighbours ({neighbours_label}) and England. " + text
    )


def residuals_alt(model: DeprivationModel) -> str:
    """Alternative text of the residual plots."""
    d = model.diagnostics
    return (
        "Four residual plots of the negative binomial model: Pearson residuals against "
        "expected count, deprivation and child population, and a normal Q-Q plot of "
        f"deviance residuals. {d['large_residuals']} of {d['n_las']} residuals lie beyond "
        "±2."
    )


def summary_text(model: DeprivationModel, la_code: str, la_name: str, me: pd.Series | None,
                 year: int) -> str:
    """One-sentence summary of the page for the pack's index."""
    if me is None:
        return describe_model(model, la_code, la_name).split(". ")[-1]
    return (
        f"{la_name}: {SERIES[model.series][1]} {me['rate']:.1f} per 10,000 in {year}, "
        f"{me['oe']:.2f} times the rate expected from child deprivation and size."
    )
