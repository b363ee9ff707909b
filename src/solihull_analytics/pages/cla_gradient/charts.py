"""Page 04's chart: rates per 10,000 by national IDACI decile, its title and its alt text.

Only what :attr:`GradientResult.plot_table` allows is drawn: hidden (suppressed) deciles are
marked "c", not drawn, and the fitted line appears only when SII and RII are published.
"""

from __future__ import annotations

import numpy as np

from solihull_analytics.pages.cla_gradient.published import GradientResult


def plot_gradient(result: GradientResult, title: str | None = None):
    """Bar chart of the rate per 10,000 by IDACI decile, 95% CIs as error bars.

    Hidden (suppressed) deciles are not drawn: a "c" marks their place; deciles with no
    neighbourhoods in the area are marked "none".

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    from solihull_analytics.report.charts import af_colours

    pt = result.plot_table
    colour, line_colour = af_colours(2)
    fig, ax = plt.subplots(figsize=(9, 5))
    shown = pt[pt["rate"].notna()]
    yerr = np.vstack([shown["rate"] - shown["lower"], shown["upper"] - shown["rate"]])
    ax.bar(shown["decile"], shown["rate"], color=colour, label="Rate per 10,000 (95% CI)")
    ax.errorbar(shown["decile"], shown["rate"], yerr=yerr, fmt="none", ecolor="#3D3D3D", capsize=4)
    for d in pt.loc[pt["hidden"], "decile"]:
        ax.text(d, 0, "c", ha="center", va="bottom", fontsize=13, fontweight="bold")
    for d in pt.loc[~pt["present"], "decile"]:
        ax.text(d, 0, "none", ha="center", va="bottom", fontsize=9, rotation=90)
    ax.set_xticks(range(1, 11))
    ax.set_xticklabels(
        ["1\nmost\ndeprived"] + [str(i) for i in range(2, 10)] + ["10\nleast\ndeprived"]
    )
    fig.subplots_adjust(bottom=0.3)
    ax.set_xlabel("National IDACI decile of the child's home neighbourhood (LSOA)")
    ax.set_ylabel(f"Looked after per 10,000 aged {result.denominators.age_band}")
    if title:
        ax.set_title(title, loc="left")
    ax.legend(loc="upper right", frameon=False)
    return fig



def chart_title(result: GradientResult) -> str:
    """Title of the gradient chart: the published ratio when there is one, else the direction."""
    r = result.ratio()
    if r:
        return (
            f"Children in the most deprived tenth were {r[0]:.0f} times as likely to be looked "
            "after"
        )
    if result.sii_published and result.stats.rises_with_deprivation:
        return "The rate of being looked after rises with neighbourhood deprivation"
    return "Rates of being looked after by neighbourhood deprivation"


def gradient_alt(result: GradientResult, la_name: str, period: str) -> str:
    """Alt text of the gradient chart: highest and lowest drawn rates, and hidden deciles."""
    pt = result.plot_table
    shown = pt[pt["rate"].notna()]
    hidden_text = (
        f" Deciles {', '.join(map(str, result.hidden_deciles))} are suppressed (c) and not drawn."
        if result.hidden_deciles
        else ""
    )
    head = (
        f"Bar chart of children looked after per 10,000 children by national IDACI decile of "
        f"their home neighbourhood, {la_name}, {period}."
    )
    if shown.empty:
        return head + " No decile's rate can be shown." + hidden_text
    hi_row = shown.loc[shown["rate"].idxmax()]
    lo_row = shown.loc[shown["rate"].idxmin()]
    return (
        f"{head} The highest rate shown is {hi_row['rate']:.0f} per 10,000 in decile "
        f"{int(hi_row['decile'])} and the lowest {lo_row['rate']:.0f} per 10,000 in decile "
        f"{int(lo_row['decile'])}." + hidden_text
    )

