"""Statistical neighbours: DfE's lists, and a computed stand-in for an LA without one.

DfE publishes children's services statistical neighbours (ten per LA, in order, with a closeness
band); the ``statistical_neighbours`` table holds every model in the catalogue (April 2021 and
2025). :func:`neighbour_set` picks the list a page shows:

- ``model="current"``: the latest model (for comparisons in the latest year);
- ``model="report"``: the model in use when the Commissioner's report was written (March 2023),
  i.e. the April 2021 model, for pages that reproduce the report period;
- an LA reorganised after that model (North Yorkshire and Somerset in 2023, Cumberland and
  Westmorland and Furness, created in 2023) gets the latest model's list, and the page says so;
- only an LA with no DfE list in any model falls back to the computed stand-in below, labelled
  as such on the page.

The computed stand-in:

1. for every children's-services LA, a few indicators that do **not** involve children looked
   after (so that the neighbours are not chosen on the outcome they are compared on):

   - ``idaci_top20_share``: share of the LA's children aged 0-15 (the denominators of the latest
     IoD release published with them for all England, :func:`release_with_denominators`) who
     live in an LSOA among England's 20% most income-deprived for children (IDACI deciles 1-2);
   - ``low_income_rate``: children aged 0-15 in relative low income (DWP/HMRC, latest financial
     year held) per 100 children aged 0-15 (the latest census with ages by LA in the release
     registry, :func:`latest_la_census`);
   - ``log_children_0_17``: natural log of that census's population aged 0-17;

2. each indicator is standardised across LAs (z-score), and the distance between two LAs is the
   root mean square of their differences over the indicators both have, plus ``region_penalty``
   (in standard deviations) when they are in different regions;
3. the ``n`` LAs with the smallest distance are the neighbours.

The method is stated by :func:`method_statement`, for the page that uses it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from solihull_analytics import paths
from solihull_analytics import releases as registry
from solihull_analytics.build import BuildError, read_table


def release_with_denominators(iod_lsoa: pd.DataFrame) -> str | None:
    """The latest IoD release (registry order) with deciles and 0-15 denominators for 90% of
    England's LSOAs, or ``None``."""
    held = iod_lsoa.dropna(subset=["idaci_decile", "children_0_15"])
    counts = held.groupby("release")["lsoa_code"].nunique()
    total = iod_lsoa.groupby("release")["lsoa_code"].nunique()
    full = {r for r in counts.index if counts[r] >= 0.9 * total[r]}
    labels = [r for r in registry.labels("iod") if r in full]
    return labels[-1] if labels else None


def latest_la_census() -> tuple[int, str]:
    """Year and label of the latest census release in the registry with ages by LA (the
    stand-in's denominators)."""
    with_ages = [r for r in registry.releases("census") if r.files_with(role="age_by_la")]
    if not with_ages:
        raise registry.RegistryError("the release registry has no census with ages by LA "
                                     "(a census file with role age_by_la).")
    return with_ages[-1].year, with_ages[-1].label


#: Indicators used, with a plain-English label (``{census}``: the census used, see
#: :func:`indicator_labels`).
INDICATORS: dict[str, str] = {
    "idaci_top20_share": "share of children aged 0-15 in England's 20% most income-deprived "
    "LSOAs for children (IDACI, the latest release published with its own 0-15 denominators)",
    "low_income_rate": "children aged 0-15 in relative low income per 100 children aged 0-15 "
    "(DWP/HMRC children in low income families, latest year; {census} denominator)",
    "log_children_0_17": "size of the population aged 0-17 ({census}, log scale)",
}


def indicator_labels(census_label: str | None = None) -> dict[str, str]:
    """:data:`INDICATORS` with the census named (default: :func:`latest_la_census`'s label)."""
    census_label = census_label or latest_la_census()[1]
    return {k: v.format(census=census_label) for k, v in INDICATORS.items()}

DEFAULT_N = 10
DEFAULT_REGION_PENALTY = 0.5


def _split_ids(values: pd.Series) -> list[str]:
    ids: list[str] = []
    for value in values.dropna().astype(str).unique():
        for part in re.split(r"[,+]", value):
            if part and part not in ids:
                ids.append(part)
    return ids


def _census_by_la(census: pd.DataFrame, lookup: pd.DataFrame | None, census_year: int
                  ) -> pd.DataFrame:
    c = census[(census["census_year"] == census_year) & (census["topic"] == "age")]
    c = c[c["geographic_level"] == "local_authority"] if "geographic_level" in c else c
    wide = c.pivot_table(index="la_code", columns="category", values="value", aggfunc="sum")
    wide.index = wide.index.astype(str)
    if lookup is not None and not lookup.empty:
        mapping = dict(
            zip(lookup["lad_code"].astype(str), lookup["la_code"].astype(str), strict=True)
        )
        wide = wide.rename(index=lambda code: mapping.get(code, code))
        wide = wide.groupby(level=0).sum(min_count=1)
    return wide


def indicator_table(
    las: pd.DataFrame,
    iod_lsoa: pd.DataFrame,
    low_income: pd.DataFrame,
    census_la: pd.DataFrame,
    la_lookup: pd.DataFrame | None = None,
    census_year: int | None = None,
) -> pd.DataFrame:
    """Compute the neighbour indicators for every LA.

    Parameters
    ----------
    las : pandas.DataFrame
        Children's-services LAs (``la_code``, ``la_name``, ``region_code``, ``region_name``).
    iod_lsoa : pandas.DataFrame
        LSOA deprivation table (``release``, ``la_code``, ``idaci_decile``, ``children_0_15``).
    low_income : pandas.DataFrame
        ``low_income_la_year`` (``la_code``, ``financial_year_ending``, ``age_band``,
        ``children``).
    census_la : pandas.DataFrame
        ``census_la`` (``la_code``, ``census_year``, ``topic``, ``category``, ``value``).
    la_lookup : pandas.DataFrame, optional
        ``lad_code`` to ``la_code`` lookup, to map census codes that changed since the census.
    census_year : int, optional
        The census whose ages by LA are the denominators (default: :func:`latest_la_census`).

    Returns
    -------
    pandas.DataFrame
        One row per LA, indexed by ``la_code``, with ``la_name``, ``region_code``,
        ``region_name`` and one column per indicator in :data:`INDICATORS` (NaN when the data
        do not cover the LA). ``attrs["source_ids"]`` lists the catalogue ids used.
    """
    source_ids: list[str] = []
    out = las.set_index("la_code")[["la_name", "region_code", "region_name"]].copy()
    out.index = out.index.astype(str)

    iod = iod_lsoa[iod_lsoa["release"] == release_with_denominators(iod_lsoa)].dropna(
        subset=["idaci_decile", "children_0_15"]
    )
    if not iod.empty:
        kids = iod["children_0_15"].astype(float)
        top = kids.where(iod["idaci_decile"].astype(float) <= 2, 0.0)
        grouped = pd.DataFrame({"la_code": iod["la_code"].astype(str), "k": kids, "t": top})
        sums = grouped.groupby("la_code")[["k", "t"]].sum()
        out["idaci_top20_share"] = (sums["t"] / sums["k"] * 100).reindex(out.index)
        source_ids += _split_ids(iod["source_id"])
    else:
        out["idaci_top20_share"] = np.nan

    census_year = census_year or latest_la_census()[0]
    census = _census_by_la(census_la, la_lookup, census_year)
    li = low_income[low_income["age_band"] == "0-15"]
    if not li.empty and "0-15" in census.columns:
        latest = li[li["financial_year_ending"] == li["financial_year_ending"].max()]
        counts = latest.groupby(latest["la_code"].astype(str))["children"].sum().astype(float)
        out["low_income_rate"] = (counts / census["0-15"].astype(float) * 100).reindex(out.index)
        source_ids += _split_ids(latest["source_id"])
    else:
        out["low_income_rate"] = np.nan
    if "0-17" in census.columns:
        out["log_children_0_17"] = np.log(census["0-17"].astype(float)).reindex(out.index)
    else:
        out["log_children_0_17"] = np.nan
    in_year = census_la["census_year"] == census_year
    used = census_la[in_year & census_la["category"].isin(["0-15", "0-17"])]
    source_ids += _split_ids(used["source_id"])
    out.attrs["source_ids"] = list(dict.fromkeys(source_ids))
    return out


def load_indicator_table(processed_dir: Path | None = None) -> pd.DataFrame:
    """Read the processed tables and return :func:`indicator_table` for every LA."""
    pdir = processed_dir or paths.processed_dir()
    las = read_table("children_services_la", pdir)
    try:
        lookup = read_table("la_lookup", pdir)
    except BuildError:
        lookup = None
    return indicator_table(
        las,
        read_table("iod_lsoa", pdir),
        read_table("low_income_la_year", pdir),
        read_table("census_la", pdir),
        lookup,
    )


def distances(
    indicators: pd.DataFrame,
    la_code: str,
    columns: Sequence[str] = tuple(INDICATORS),
    region_penalty: float = DEFAULT_REGION_PENALTY,
) -> pd.Series:
    """Distance from ``la_code`` to every other LA on standardised indicators.

    Parameters
    ----------
    indicators : pandas.DataFrame
        Indexed by ``la_code`` with the indicator columns and ``region_code``.
    la_code : str
        The LA to measure from.
    columns : sequence of str
        Indicator columns to use.
    region_penalty : float, default 0.5
        Added to the distance (in standard deviations) for LAs in a different region.

    Returns
    -------
    pandas.Series
        Distance per other LA, sorted ascending (the LA itself is excluded; LAs sharing no
        indicator with it are dropped).
    """
    if la_code not in indicators.index:
        raise KeyError(f"{la_code} is not in the indicator table")
    values = indicators[list(columns)].astype(float)
    sd = values.std(ddof=0).replace(0, np.nan)
    z = (values - values.mean()) / sd
    diff = (z - z.loc[la_code]) ** 2
    shared = diff.notna().sum(axis=1)
    dist = np.sqrt(diff.sum(axis=1, min_count=1) / shared.replace(0, np.nan))
    if "region_code" in indicators and region_penalty:
        other_region = indicators["region_code"] != indicators.loc[la_code, "region_code"]
        dist = dist + region_penalty * other_region.astype(float)
    dist = dist.drop(index=la_code).dropna()
    return dist.sort_values(kind="mergesort")


def statistical_neighbours(
    indicators: pd.DataFrame,
    la_code: str,
    n: int = DEFAULT_N,
    columns: Sequence[str] = tuple(INDICATORS),
    region_penalty: float = DEFAULT_REGION_PENALTY,
) -> pd.DataFrame:
    """Return the ``n`` LAs nearest to ``la_code`` (see the module docstring for the method).

    Returns
    -------
    pandas.DataFrame
        Columns ``rank``, ``la_code``, ``la_name``, ``region_name``, ``distance`` and the
        indicators, nearest first.
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    dist = distances(indicators, la_code, columns, region_penalty).head(n)
    out = indicators.loc[dist.index, ["la_name", "region_name", *columns]].copy()
    out.insert(0, "distance", dist.values)
    out = out.reset_index().rename(columns={"index": "la_code"})
    out.insert(0, "rank", range(1, len(out) + 1))
    return out


def method_statement(
    n: int = DEFAULT_N,
    region_penalty: float = DEFAULT_REGION_PENALTY,
    census_label: str | None = None,
) -> str:
    """One paragraph saying how neighbours were chosen (for the page that shows them);
    ``census_label`` names the census of the denominators (default: from the registry)."""
    items = "; ".join(indicator_labels(census_label).values())
    return (
        "DfE's children's services statistical neighbour list is not in the published files "
        f"used here, so the {n} statistical neighbours are the {n} authorities closest on "
        f"published indicators that do not involve children looked after: {items}. Each "
        "indicator is standardised across all English children's-services authorities; the "
        "distance is the root mean square of the standardised differences"
        + (
            f", plus {region_penalty:g} standard deviations for an authority in another region"
            if region_penalty
            else ""
        )
        + ". These are not DfE's official neighbours."
    )


#: Short column headings for the indicators, for tables shown on a page.
INDICATOR_HEADINGS: dict[str, str] = {
    "idaci_top20_share": "% children in 20% most deprived LSOAs",
    "low_income_rate": "% children in low income",
    "log_children_0_17": "log(0-17 population)",
}


def display_table(neighbours: pd.DataFrame) -> pd.DataFrame:
    """The neighbour list ready to show: codes dropped, indicator columns given short headings.

    Parameters
    ----------
    neighbours : pandas.DataFrame
        From :func:`statistical_neighbours`.

    Returns
    -------
    pandas.DataFrame
        The same rows without ``la_code``, indicator columns renamed by
        :data:`INDICATOR_HEADINGS`.
    """
    return neighbours.drop(columns=["la_code"]).rename(columns=INDICATOR_HEADINGS)


# ------------------------------------------------------------------------------------------
# DfE's statistical neighbours
# ------------------------------------------------------------------------------------------

#: Year the Commissioner's report was written (March 2023): its period uses the DfE model that
#: was current then.
REPORT_YEAR = 2023
STAND_IN = "stand-in"
STAND_IN_LABEL = "computed stand-in (not DfE's list: DfE publishes none for this authority)"
#: Columns of a DfE neighbour list as pages show it.
DFE_HEADINGS = {
    "rank": "Rank",
    "la_name": "Authority",
    "closeness": "Closeness (DfE band)",
}


def model_label(model: str) -> str:
    """What a model is called on a page, e.g. ``"DfE statistical neighbours, 2025 model"``."""
    from solihull_analytics.sources.neighbours import model_labels

    return model_labels().get(model, STAND_IN_LABEL if model == STAND_IN else model)


def resolve_model(table: pd.DataFrame, model: str) -> str:
    """Turn ``"current"`` or ``"report"`` into a model held in ``table`` (e.g. ``"2025"``).

    ``"current"`` is the latest model; ``"report"`` the latest model published no later than
    :data:`REPORT_YEAR`. Any other value must be a model in the table.
    """
    held = sorted(table["model"].astype(str).unique(), key=int)
    if not held:
        raise ValueError("the statistical_neighbours table is empty")
    if model == "current":
        return held[-1]
    if model == "report":
        before = [m for m in held if int(m) <= REPORT_YEAR]
        if not before:
            raise ValueError(f"no DfE neighbour model from {REPORT_YEAR} or earlier is held")
        return before[-1]
    if model not in held:
        raise ValueError(f"neighbour model {model!r} is not held (held: {', '.join(held)})")
    return model


def dfe_list(table: pd.DataFrame, la_code: str, model: str) -> pd.DataFrame:
    """DfE's list for ``la_code`` in ``model`` (empty when the LA has none under its code then).

    An LA whose code at the model's date differs from its code now (reorganised since) has no
    list here: its list described a different authority.
    """
    rows = table[
        (table["model"].astype(str) == model)
        & (table["la_code"] == la_code)
        & (table["la_code_at_model"] == la_code)
    ]
    out = rows.sort_values("rank")[["rank", "neighbour_code", "neighbour_name", "closeness",
                                    "source_id"]]
    return out.rename(columns={"neighbour_code": "la_code", "neighbour_name": "la_name"})


@dataclass
class NeighbourSet:
    """The statistical neighbours a page shows, and where they come from.

    Attributes
    ----------
    la_code, la_name : str
        The LA.
    requested : str
        The model asked for (``"2021"``, ``"2025"``).
    model : str
        The model used: ``requested``, the latest model for an LA reorganised since, or
        :data:`STAND_IN`.
    table : pandas.DataFrame
        ``rank``, ``la_code``, ``la_name`` and ``closeness`` (DfE) or ``distance`` and the
        indicators (stand-in), nearest first.
    note : str
        Why the model used differs from the one asked for ("" when it does not).
    source_ids : list of str
        Catalogue ids behind the list.
    """

    la_code: str
    la_name: str
    requested: str
    model: str
    table: pd.DataFrame = field(repr=False)
    note: str = ""
    source_ids: list[str] = field(default_factory=list)

    @property
    def codes(self) -> list[str]:
        """Neighbours' codes, nearest first."""
        return self.table["la_code"].astype(str).tolist()

    @property
    def label(self) -> str:
        """The model used, as a page names it."""
        return model_label(self.model)

    @property
    def is_stand_in(self) -> bool:
        """Whether the list is the computed stand-in."""
        return self.model == STAND_IN

    def statement(self) -> str:
        """One paragraph: whose list this is and, when it is not the one asked for, why."""
        if self.is_stand_in:
            n = len(self.table)
            return (
                f"DfE publishes no statistical neighbour list for {self.la_name}, so the page "
                "uses a computed stand-in. " + method_statement(n)
            )
        text = (
            f"Statistical neighbours: {self.label} (DfE's children's services statistical "
            f"neighbour benchmarking tool), the {len(self.table)} authorities DfE lists as most "
            f"like {self.la_name}, nearest first, with DfE's closeness band."
        )
        return text + (f" {self.note}" if self.note else "")

    def display(self) -> pd.DataFrame:
        """The list as a page shows it (codes dropped)."""
        if self.is_stand_in:
            return display_table(self.table)
        return self.table[list(DFE_HEADINGS)].rename(columns=DFE_HEADINGS)


def neighbour_set(
    la_code: str,
    la_name: str,
    model: str = "current",
    processed_dir: Path | None = None,
    n: int = DEFAULT_N,
    dfe_table: pd.DataFrame | None = None,
) -> NeighbourSet:
    """Pick the statistical neighbours of ``la_code`` (see the module docstring).

    Parameters
    ----------
    la_code, la_name : str
        The LA.
    model : str, default "current"
        ``"current"``, ``"report"`` or a model name (``"2021"``, ``"2025"``).
    processed_dir : Path, optional
        Processed tables (default: the project's).
    n : int, default 10
        Neighbours kept (DfE lists ten).
    dfe_table : pandas.DataFrame, optional
        The ``statistical_neighbours`` table (read from ``processed_dir`` when omitted).

    Returns
    -------
    NeighbourSet
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    table = dfe_table if dfe_table is not None else read_table(
        "statistical_neighbours", processed_dir or paths.processed_dir())
    requested = resolve_model(table, model)
    latest = resolve_model(table, "current")
    rows = dfe_list(table, la_code, requested)
    used, note = requested, ""
    if rows.empty and requested != latest:
        rows = dfe_list(table, la_code, latest)
        used = latest
        note = (
            f"{la_name} has no list of its own in the {model_label(requested).split(', ')[-1]} "
            f"(it was created or reorganised after that model), so DfE's {latest} list is used."
        )
    if not rows.empty:
        rows = rows.head(n).reset_index(drop=True)
        return NeighbourSet(la_code, la_name, requested, used, rows.drop(columns="source_id"),
                            note, _split_ids(rows["source_id"]))
    indicators = load_indicator_table(processed_dir)
    stand_in = statistical_neighbours(indicators, la_code, n=n)
    return NeighbourSet(la_code, la_name, requested, STAND_IN, stand_in,
                        "DfE publishes no list for this authority.",
                        list(indicators.attrs.get("source_ids", [])))
