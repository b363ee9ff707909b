"""What notebook 01 reads: the processed CLA and population tables and the registry's facts.

Everything the page reads from disk is read here, once, by :func:`load_inputs` and the
registry helpers; :mod:`.compute` and :mod:`.comparators` receive it as plain values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from solihull_analytics import releases as registry
from solihull_analytics.pages.cla_trend import compute
from solihull_analytics.pages.cla_trend.census_bases import CensusBases

# The order of the ``population_la_year`` vintages (higher = more recent), their labels and the
# census each is based on are in the release registry (kind ``population``); the censuses' names
# are the labels of its ``census`` releases.


def vintage_rank() -> dict[str, int]:
    """Population vintage -> order (higher = more recent), from the release registry."""
    return registry.order_of("population")


def revised_vintages() -> dict[str, str]:
    """Population vintage -> the vintage it revises (registry fact ``revises``)."""
    return {
        r.label: str(r.fact("revises"))
        for r in registry.releases("population")
        if r.fact("revises")
    }


def vintage_labels() -> dict[str, str]:
    """Population vintage -> the label pages show, from the release registry."""
    latest = registry.labels("population")[-1:]
    return {
        r.label: str(r.fact("title", r.label)) + (" (latest)" if r.label in latest else "")
        for r in registry.releases("population")
    }


def census_bases() -> CensusBases:
    """Population vintage -> the census its estimates are based on (registry ``census_base``),
    with each census's name (the label of the registry's census release of that year)."""
    return CensusBases.from_facts(
        {r.label: r.fact("census_base") for r in registry.releases("population")},
        {r.year: r.label for r in registry.releases("census")},
    )


def cla_release_years() -> tuple[int, int]:
    """The years of the first and the latest DfE CLA releases in the registry."""
    years = [r.year for r in registry.releases("cla")]
    return min(years), max(years)


def cla_first_year() -> int:
    """The first year at 31 March the registry's CLA releases cover: the earliest ``first_year``
    of a file (a file without one covers its release's year)."""
    return min(int(f.option("first_year", r.year)) for r in registry.releases("cla")
               for f in r.files if f.layout != "none")


def candidates(population: pd.DataFrame) -> pd.DataFrame:
    """:func:`.compute.population_candidates` with the release registry's vintage facts."""
    return compute.population_candidates(population, vintage_rank(), census_bases())


@dataclass
class TrendInputs:
    """The processed tables notebook 01 reads."""

    cla: pd.DataFrame
    vintages: pd.DataFrame | None
    candidates: pd.DataFrame

    def source_ids(self, codes: list[str]) -> list[str]:
        """Catalogue ids behind the CLA rows of ``codes`` and the population estimates."""
        rows = self.cla[self.cla["la_code"].isin(codes)]
        ids: list[str] = []
        for col in ("source_id", "uasc_source_id", "rate_source_id"):
            ids += [str(x) for x in rows[col].dropna().unique()]
        pop = self.candidates[self.candidates["la_code"].isin(codes)]
        for value in pop["source_id"].dropna().unique():
            ids += [x for x in re.split(r"[,+]", str(value)) if x]
        return list(dict.fromkeys(i for i in ids if i and i != "nan"))


def load_inputs(processed_dir: object = None) -> TrendInputs:
    """Read ``cla_la_year``, ``cla_la_year_vintages`` and ``population_la_year``."""
    from solihull_analytics import paths
    from solihull_analytics.build import BuildError, read_table

    pdir = Path(processed_dir) if processed_dir else paths.processed_dir()
    cla = read_table("cla_la_year", pdir)
    try:
        vintages = read_table("cla_la_year_vintages", pdir)
    except BuildError:
        vintages = None
    population = read_table("population_la_year", pdir)
    return TrendInputs(cla, vintages, candidates(population))
