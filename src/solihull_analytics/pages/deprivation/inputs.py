"""Page 02's inputs: the processed tables it reads and the release facts from the registry.

Everything page 02 reads goes through here, once per page (:func:`load_inputs`,
:func:`release_facts`, :func:`growth_periods`); the analysis in :mod:`.compute` and
:mod:`.children` then works on what was read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from solihull_analytics import releases as registry
from solihull_analytics.pages.deprivation.children import (
    GrowthPeriod,
    growth_age_band,
    small_area_children,
)
from solihull_analytics.pages.deprivation.compute import ReleaseFacts

#: Notebook value meaning "the latest release that qualifies", resolved from the registry.
LATEST = registry.LATEST

#: Columns of ``iod_lsoa`` this page reads (an empty frame with them stands in when the
#: table could not be built).
IOD_COLUMNS_USED = (
    "release",
    "lsoa_code",
    "lsoa_vintage",
    "la_code",
    "idaci_rank",
    "idaci_decile",
    "children_0_15",
    "denominator_year",
    "lsoas_in_england",
    "source_id",
)


# --------------------------------------------------------------------------------------------
# Release facts (release registry)
# --------------------------------------------------------------------------------------------


def _gives_children(entry_id: str) -> bool:
    """Whether the registry says an IoD file holds 0-15 denominators."""
    found = registry.release_of(entry_id, "iod")
    if found is None:
        return False
    f = found[1]
    return "children_0_15" in (*f.fields, *f.optional_fields) or "children" in f.gives


def lsoa_sources() -> list[registry.Release]:
    """Censuses and small-area estimates with LSOA child counts (``lsoa_source``), in order."""
    return [
        r
        for kind in ("census", "lsoa_population")
        for r in registry.releases(kind)
        if r.fact("lsoa_source")
    ]


def release_facts() -> ReleaseFacts:
    """The IoD releases' labels, years, vintages and denominator files (release registry)."""
    iod = registry.releases("iod")
    return ReleaseFacts(
        labels=tuple(r.label for r in iod),
        year={r.label: r.year for r in iod},
        lsoa_vintage={r.label: int(r.lsoa_vintage or 0) for r in iod},
        data_year={r.label: int(r.fact("data_year", r.year)) for r in iod},
        children_file_ids=frozenset(
            f.id for r in iod for f in r.files if _gives_children(f.id)
        ),
        source_names={str(r.fact("lsoa_source")): r.label for r in lsoa_sources()},
    )


def idaci_rank_files() -> dict[str, tuple[str, ...]]:
    """Release label -> catalogue ids of official files holding IDACI ranks (preferred first)."""
    return {r.label: tuple(r.fact("idaci_rank_files") or ()) for r in registry.releases("iod")}


def census_sources() -> dict[int, str]:
    """LSOA vintage -> the ``population_lsoa`` source of the census on those LSOAs."""
    return {
        int(r.lsoa_vintage): str(r.fact("lsoa_source"))
        for r in registry.releases("census")
        if r.fact("lsoa_source") and r.lsoa_vintage
    }


def census_years() -> list[int]:
    """Years of the censuses with LSOA child counts, oldest first."""
    return [r.year for r in _censuses()]


def _children_file(rel: registry.Release) -> list[str]:
    return [f.id for f in rel.files_with(role="children_by_lsoa")]


def _censuses() -> list[registry.Release]:
    return [r for r in registry.releases("census") if r.fact("lsoa_source")]


def like_for_like_default() -> int:
    """The LSOA vintage the like-for-like view maps every release onto by default.

    The vintage most IoD releases of the registry are published on, so that the fewest releases
    go through an ONS lookup; the latest such vintage on a tie. Today 2001 and 2011 both hold
    two releases (ID2007/ID2010, IoD2015/IoD2019) and 2021 one, so 2011; a second release on
    2021 LSOAs moves the default to 2021.
    """
    counts: dict[int, int] = {}
    for rel in registry.releases("iod"):
        if rel.lsoa_vintage:
            counts[rel.lsoa_vintage] = counts.get(rel.lsoa_vintage, 0) + 1
    if not counts:
        raise ValueError("no IoD release of the registry names its lsoa_vintage.")
    return max(counts, key=lambda v: (counts[v], v))


def growth_vintage() -> int | None:
    """LSOA vintage the growth comparison groups LSOAs on: the earlier census compared's."""
    censuses = _censuses()
    if not censuses:
        return None
    return censuses[-2 if len(censuses) > 1 else -1].lsoa_vintage


def _census_period(population: pd.DataFrame) -> tuple[GrowthPeriod, int] | None:
    censuses = _censuses()
    if len(censuses) < 2:
        return None
    first, last = censuses[-2], censuses[-1]
    start, end = str(first.fact("lsoa_source")), str(last.fact("lsoa_source"))
    band = growth_age_band(population, start, end)
    return GrowthPeriod(
        label=f"{first.label} to {last.label}, aged {band}",
        key=f"census_{first.year}_{last.year}_{band.replace('-', '_')}",
        start=start,
        end=end,
        age_band=band,
        span=f"{first.label}-{last.year}",
        source_ids=(*_children_file(first), *_children_file(last)),
        citation=", ".join(
            r.label + (f" ({r.fact('lsoa_table')})" if r.fact("lsoa_table") else "")
            for r in (first, last)
        ),
        end_label=last.label,
    ), int(first.lsoa_vintage or 0)


def _estimates_period(population: pd.DataFrame, vintage: int) -> GrowthPeriod | None:
    on_vintage = [r for r in registry.releases("lsoa_population") if r.lsoa_vintage == vintage]
    if len(on_vintage) < 2:
        return None
    first, last = on_vintage[0], on_vintage[-1]
    start, end = str(first.fact("lsoa_source")), str(last.fact("lsoa_source"))
    band = growth_age_band(population, start, end)
    return GrowthPeriod(
        label=f"Mid-{first.year} to mid-{last.year} (ONS small-area estimates), aged {band}",
        key=f"sape_{first.year}_{last.year}_{band.replace('-', '_')}",
        start=start,
        end=end,
        age_band=band,
        span=f"mid-{first.year}-{last.year}",
        source_ids=(*_children_file(first), *_children_file(last)),
        citation="small-area population estimates",
        end_label=last.label,
    )


def growth_periods(population: pd.DataFrame) -> tuple[tuple[GrowthPeriod, ...], int | None]:
    """The child population comparisons the registry allows, and the LSOA vintage they use.

    The last two censuses with LSOA child counts, on the earlier census's LSOAs; then the first
    and latest ONS small-area estimates on those LSOAs. Each compares the widest child age band
    both ends give per LSOA (:func:`~.children.growth_age_band`).

    Returns
    -------
    tuple
        The periods (census first) and the LSOA vintage LSOAs are grouped on (``None`` when no
        census comparison is possible).
    """
    census = _census_period(population)
    if census is None:
        return (), None
    period, vintage = census
    estimates = _estimates_period(population, vintage)
    return (period, *([estimates] if estimates else [])), vintage


def resolve_classify_release(iod: pd.DataFrame | None, value: str, vintage: int | None) -> str:
    """Resolve the release used to group LSOAs for growth: ``"latest"`` or a release label.

    ``"latest"`` is the latest release (registry order) on ``vintage`` LSOAs whose IDACI ranks
    are in ``iod``; any other value must be a release of the registry.
    """
    if value != LATEST:
        return registry.get("iod", value).label
    facts = release_facts()
    ranked = set()
    if iod is not None and len(iod):
        ranked = set(iod.loc[iod["idaci_rank"].notna(), "release"].unique())
    on_vintage = [r for r in facts.labels if facts.lsoa_vintage.get(r) == vintage]
    candidates = [r for r in on_vintage if r in ranked] or on_vintage
    if not candidates:
        raise ValueError(f"no IoD release on {vintage} LSOAs in the release registry.")
    return candidates[-1]


# --------------------------------------------------------------------------------------------
# Processed tables and the catalogue
# --------------------------------------------------------------------------------------------


@dataclass
class IdaciInputs:
    """Processed tables the IDACI page reads (any may be ``None`` when it could not be built)."""

    iod: pd.DataFrame | None
    releases: pd.DataFrame | None
    population: pd.DataFrame | None
    lsoa_lookups: list[pd.DataFrame]  # the registry's LSOA lookups that could be read
    problems: list[str]

    @property
    def lookups(self) -> dict[tuple[int, int], pd.DataFrame]:
        """ONS lookups keyed by ``(vintage_a, vintage_b)``, read from their code columns."""
        return {lookup_vintages(lookup): lookup for lookup in self.lsoa_lookups}


def lookup_vintages(lookup: pd.DataFrame) -> tuple[int, int]:
    """The two LSOA vintages an ONS lookup links, from its ``lsoaYY_code`` columns (oldest first).

    Raises
    ------
    ValueError
        If the table does not have exactly two such columns.
    """
    found = sorted(
        2000 + int(m.group(1))
        for c in lookup.columns
        if (m := re.fullmatch(r"lsoa(\d\d)_code", str(c)))
    )
    if len(found) != 2:
        raise ValueError(
            f"an LSOA lookup needs two lsoaYY_code columns; it has {list(lookup.columns)}"
        )
    return found[0], found[1]


def _same(table: pd.DataFrame) -> pd.DataFrame:
    return table


def load_inputs(processed_dir: Path | None = None) -> IdaciInputs:
    """Read ``iod_lsoa``, ``iod_releases``, ``population_lsoa`` and the LSOA lookups.

    A table that cannot be read is ``None`` and its error message goes into ``problems`` (the
    page then says what is missing instead of failing).
    """
    from solihull_analytics.build import BuildError, read_table
    from solihull_analytics.derived import derived_table

    problems: list[str] = []

    def read(name: str, derive: Any = None, columns: list[str] | None = None,
             filters: list[tuple[str, str, Any]] | None = None,
             read_dictionary: list[str] | None = None) -> pd.DataFrame | None:
        """The table (``derive``: what the page keeps of it, derived once per content in a
        warm kernel), or None with the reason in ``problems``."""
        try:
            if derive is None:
                return read_table(name, processed_dir)
            return derived_table(name, derive, (), processed_dir, columns=columns,
                                 filters=filters, read_dictionary=read_dictionary)
        except (BuildError, FileNotFoundError, OSError) as exc:
            problems.append(f"processed table {name!r} is not available ({exc})")
            return None

    iod = read("iod_lsoa", _same, list(IOD_COLUMNS_USED))  # only the columns the page reads
    if iod is None:
        iod = pd.DataFrame({c: pd.Series(dtype="object") for c in IOD_COLUMNS_USED})
    lookups = [read(registry.geography_table(r)) for r in registry.geography("lsoa_lookup")]
    # Only the child age bands the page counts (half the table's rows), its repeated text read
    # as categoricals: parsing then peaks about 55 MB lower.
    population = read("population_lsoa", compact_population,
                      filters=[("age_band", "in", list(POPULATION_AGE_BANDS))],
                      read_dictionary=POPULATION_CATEGORIES)
    return IdaciInputs(
        iod,
        read("iod_releases"),
        population,
        [lookup for lookup in lookups if lookup is not None],
        problems,
    )


#: The age bands of ``population_lsoa`` the page reads: children aged 0-15 (census weights,
#: denominators) and 0-17 (growth, where both ends give it). Other bands are not read.
POPULATION_AGE_BANDS = ("0-15", "0-17")

#: ``population_lsoa``'s repeated text columns, kept as categoricals by :func:`compact_population`.
POPULATION_CATEGORIES = ["source", "age_band", "source_id"]


def compact_population(population: pd.DataFrame) -> pd.DataFrame:
    """``population_lsoa`` with its repeated text columns as categoricals.

    A third of the memory, and selecting rows by source and age band compares small integer
    codes instead of strings; the page only reads values out of these columns (no group-by
    on them), so its figures do not change. Columns already read as categoricals (from the
    file's dictionary) keep only the categories present, sorted, as ``astype("category")``
    would give them.
    """
    out = {}
    for col in POPULATION_CATEGORIES:
        values = population[col]
        if not isinstance(values.dtype, pd.CategoricalDtype):
            values = values.astype("category")
        values = values.cat.remove_unused_categories()
        out[col] = values.cat.reorder_categories(sorted(values.cat.categories))
    return population.assign(**out)


def optional_table(name: str, processed_dir: Path | None) -> Any | None:
    """Read a processed table, or ``None`` when it cannot be built or read."""
    from solihull_analytics.build import BuildError, read_table

    try:
        return read_table(name, processed_dir)
    except (BuildError, OSError):
        return None


def child_weights(population: pd.DataFrame | None) -> dict[int, pd.Series]:
    """Census children aged 0-15 per LSOA by vintage (weights for the like-for-like mapping)."""
    if population is None:
        return {}
    out = {}
    for vintage, source in census_sources().items():
        s = small_area_children(population, source, "0-15")
        if len(s):
            out[vintage] = s
    return out


def official_url(entry_ids: Sequence[str], catalogue: dict[str, Any] | None = None) -> str:
    """Return the official download URL (else landing page) of the first known catalogue id."""
    if catalogue is None:
        from solihull_analytics.catalogue import load_catalogue

        catalogue = load_catalogue()
    for eid in entry_ids:
        e = catalogue.get(eid)
        if e is not None:
            return e.download_url or e.landing_page
    return "(no catalogue entry)"


def missing_iod_files(raw_dir: Path | None = None) -> pd.DataFrame:
    """Return the catalogue's IoD files that should be in the raw cache but are not.

    Only files the mirror normally holds (``mirrored: true``) are listed: those are the ones a
    page silently loses when they are removed. Columns ``id, title, release, url``.
    """
    from solihull_analytics.catalogue import load_catalogue

    rows = []
    for e in load_catalogue().values():
        if e.theme == "iod" and e.mirrored and not e.raw_path(raw_dir).exists():
            rows.append(
                {
                    "id": e.id,
                    "title": e.title,
                    "release": e.release,
                    "url": e.download_url or e.landing_page,
                }
            )
    return pd.DataFrame(rows, columns=["id", "title", "release", "url"])
