"""Page 04's inputs: the extract (the LA's own, or a synthetic one) and the published tables.

:func:`load_page_extract` loads the extract asked for, or a synthetic one when none was asked
for (never falling back to synthetic data when an extract was asked for). :func:`cla_gradient`
reads the IDACI deciles, LSOA populations and postcode lookups it needs, once, and computes the
published gradient with :mod:`.compute` and :mod:`.published`. :class:`GradientContext` is what
the page's sections are given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from solihull_analytics import ssda903
from solihull_analytics.geo.las import LocalAuthority
from solihull_analytics.geo.lsoa import (
    FOR_COHORT,
    boundary_source_ids,
    lsoa_denominators,
    lsoa_idaci_decile,
    release_vintage,
    resolve_idaci_release,
)
from solihull_analytics.geo.postcodes import map_postcodes
from solihull_analytics.methods.inequality import DEFAULT_SII_DEFINITION
from solihull_analytics.pages.cla_gradient.compute import (
    cohort_groups,
    decile_inputs,
    decile_statistics,
)
from solihull_analytics.pages.cla_gradient.published import GradientResult, publish_gradient
from solihull_analytics.ssda903 import SSDA903Extract, build_cohort, collection_year_dates


class NoChildrenInAreaError(ValueError):
    """No child in the extract has a home postcode in the authority (wrong ``--la``?)."""


def cla_gradient(
    extract: SSDA903Extract,
    la_code: str,
    processed_dir: Path | None = None,
    *,
    cohort_year: int = 2019,
    cohort: str = "during_year",
    idaci_release: str = FOR_COHORT,
    postcode_lookup: str | Path | None = None,
    n_sims: int = 1000,
    seed: int = 20240331,
    sii_definition: str = DEFAULT_SII_DEFINITION,
) -> GradientResult:
    """Compute the published deprivation gradient of children looked after.

    Parameters
    ----------
    extract : SSDA903Extract
        Checked SSDA903 extract.
    la_code : str
        The LA; children whose home postcode lies outside its LSOAs are a separate group.
    processed_dir : Path, optional
        Processed tables folder.
    cohort_year : int, default 2019
        Collection year (ending 31 March).
    cohort : {"during_year", "at_31_march"}
        Cohort definition.
    idaci_release : str, default "cohort"
        IoD release whose national IDACI deciles are used: a label, "latest", or "cohort" (the
        latest release published by the cohort year; see :func:`resolve_idaci_release`).
    postcode_lookup : str or Path, optional
        ONSPD/NSPL CSV for postcode to LSOA.
    n_sims, seed : int
        Monte Carlo settings for the SII/RII limits.
    sii_definition : {"phe", "gap"}, default "phe"
        SII/RII definition (PHE's, as Fingertips, by default).

    Returns
    -------
    GradientResult
    """
    coh = build_cohort(extract, cohort_year, cohort)
    idaci_release = resolve_idaci_release(idaci_release, cohort_year)
    vintage = release_vintage(idaci_release, processed_dir)
    deciles = lsoa_idaci_decile(idaci_release, processed_dir)
    la_lsoas = deciles[deciles["la_code"] == la_code]
    if la_lsoas.empty:
        raise ValueError(f"no LSOAs for {la_code} in {idaci_release}")
    kids = coh.children
    match = map_postcodes(kids.loc[~kids["uasc"], "postcode"], vintage, processed_dir,
                          postcode_lookup)
    groups, in_area_lsoa = cohort_groups(kids, match.lsoa, set(la_lsoas["lsoa_code"]))
    denominators = lsoa_denominators(
        la_lsoas["lsoa_code"], cohort_year, cohort, idaci_release, processed_dir
    )
    counts, populations, lsoas = decile_inputs(
        in_area_lsoa, la_lsoas.set_index("lsoa_code")["idaci_decile"], denominators.population
    )
    stats = decile_statistics(
        counts, populations, lsoas, n_sims=n_sims, seed=seed, sii_definition=sii_definition
    )
    placed_by = set() if postcode_lookup else {boundary_source_ids().get(vintage)} - {None}
    source_ids = sorted(
        set(denominators.source_ids)
        | {i for s in la_lsoas["source_id"].dropna().unique() for i in s.split(",")}
        | placed_by
    )
    return publish_gradient(
        la_code,
        coh,
        stats,
        extract.summary(),
        groups,
        denominators,
        postcode_method=match.method,
        release=idaci_release,
        vintage=vintage,
        source_ids=source_ids,
    )


@dataclass
class GradientContext:
    """What notebook 04 needs to build its page, computed once by :func:`prepare`.

    Holds aggregates only, apart from the cohort inside ``result`` (never displayed): the
    extract's checks are kept as the publishable summary table and counts, not its rows.

    Attributes
    ----------
    la : solihull_analytics.geo.las.LocalAuthority
        The local authority.
    result : GradientResult
        The published gradient.
    checks : pandas.DataFrame
        :meth:`SSDA903Extract.summary` (counts only).
    rows_read : dict
        Data rows read per SSDA903 table.
    rows_excluded : int
        Rows that failed the checks, across tables.
    uasc_table : bool
        Whether the extract had a UASC table.
    is_synthetic : bool
        Whether a synthetic extract was used (no extract in the private folder).
    cohort_year : int
        Collection year (ending 31 March).
    idaci_release : str
        IoD release of the IDACI deciles.
    synthetic_seed : int
        Seed of the synthetic extract.
    synthetic_gradient : float
        Built-in gradient of the synthetic extract.
    """

    la: LocalAuthority
    result: GradientResult = field(repr=False)
    checks: pd.DataFrame = field(repr=False)
    rows_read: dict[str, int]
    rows_excluded: int
    uasc_table: bool
    is_synthetic: bool
    cohort_year: int
    idaci_release: str
    synthetic_seed: int
    synthetic_gradient: float
    tables_not_used: tuple[str, ...] = ()

    @property
    def period(self) -> str:
        """The collection year as shown, e.g. ``"2018-19"``."""
        return f"{self.cohort_year - 1}-{str(self.cohort_year)[2:]}"

    @property
    def source_ids(self) -> list[str]:
        """Catalogue ids of the published sources used."""
        return self.result.source_ids

    @property
    def label(self) -> str:
        """Prefix for headline statements and the summary (``"SYNTHETIC DATA: "`` or ``""``)."""
        return "SYNTHETIC DATA: " if self.is_synthetic else ""


def load_page_extract(
    la: LocalAuthority,
    processed: Path | None,
    private_dir: str | Path | None,
    cohort_year: int,
    cohort: str,
    *,
    synthetic_seed: int,
    synthetic_gradient: float,
) -> tuple[SSDA903Extract, Path, bool]:
    """The extract asked for, or a synthetic one when none was asked for.

    An extract asked for (argument, ``SOLIHULL_PRIVATE_DIR`` or a non-empty ``data/private/``)
    is used or :func:`solihull_analytics.ssda903.load_extract` raises: a synthetic extract
    stands in only when none was asked for.

    Returns
    -------
    extract, folder, is_synthetic

    Raises
    ------
    solihull_analytics.ssda903.SSDA903Error
        If the extract is unusable, or no child in it was looked after in the collection year
        (not a page of zeros: an extract for another year, or only short breaks, stops here).
    """
    from solihull_analytics.ssda903 import synthetic

    private = ssda903.requested_folder(private_dir or None)
    is_synthetic = private is None
    if is_synthetic:
        folder = synthetic.ensure_synthetic_extract(
            la.code,
            cohort_year,
            children=synthetic.default_children(la.code, processed, cohort_year),
            gradient=synthetic_gradient,
            seed=synthetic_seed,
            processed_dir=processed,
        )
    else:
        folder = private
    extract = ssda903.load_extract(folder, cohort_year)
    if build_cohort(extract, cohort_year, cohort).children.empty:
        start, end = collection_year_dates(cohort_year)
        raise ssda903.SSDA903Error(
            f"{folder}: no child in the extract was looked after (other than for short "
            f"breaks) between {start:%d %B %Y} and {end:%d %B %Y}; check that cohort_year "
            f"({cohort_year}) is the collection year of the extract."
        )
    return extract, folder, is_synthetic
