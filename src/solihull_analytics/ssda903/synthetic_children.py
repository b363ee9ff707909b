"""One synthetic child's SSDA903 rows (Header and Episodes), following DfE's validation rules.

Used by :mod:`solihull_analytics.ssda903.synthetic`, which decides how many children of each
kind there are and where they live: :func:`child_rows` draws one child's date of birth, sex,
periods of care (or short breaks), legal statuses, placements with their providers and places,
and reasons for ending, consistent with DfE's rules for the collection year (the rule numbers
are given where each is followed). Nothing here is real child-level data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from solihull_analytics.ssda903.cohort import collection_year_dates
from solihull_analytics.ssda903.extract import DATE_FORMAT

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


def _pick(rng: np.random.Generator, table: dict[str, float], size: int | None = None):
    keys = list(table)
    p = np.array([table[k] for k in keys], dtype=float)
    return rng.choice(keys, size=size, p=p / p.sum())


def format_date(ts: pd.Timestamp | None) -> str:
    return "" if ts is None or pd.isna(ts) else ts.strftime(DATE_FORMAT)


def sex_codes(year: int) -> tuple[str, str]:
    """Codes for male and female: ``1``/``2`` until 2023-24, ``M``/``F`` from 2024-25."""
    return ("M", "F") if year >= 2025 else ("1", "2")


def _day_between(rng: np.random.Generator, first: pd.Timestamp, last: pd.Timestamp):
    return first + pd.Timedelta(days=int(rng.integers(0, max((last - first).days, 0) + 1)))


@dataclass(frozen=True)
class Places:
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
    places: Places,
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
    places: Places,
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
    bounds, spell_end = _episode_starts(rng, start, end, dob, eighteenth)
    is_open = spell_end > end
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
        e["DECOM"], e["DEC"] = format_date(e["DECOM"]), format_date(e["DEC"])
    return kept


def _episode_starts(
    rng: np.random.Generator,
    start: pd.Timestamp,
    end: pd.Timestamp,
    dob: pd.Timestamp,
    eighteenth: pd.Timestamp,
) -> tuple[list[pd.Timestamp], pd.Timestamp]:
    """Start dates of a period of care's one to three episodes (a period that overlaps the
    collection year ``start``..``end`` and ends by the child's 18th birthday), and its end."""
    t = _day_between(
        rng, max(start, dob + pd.Timedelta(days=1)), min(end, eighteenth - pd.Timedelta(days=1))
    )
    spell_start = max(dob, t - pd.Timedelta(days=int(rng.exponential(500))))
    spell_end = min(t + pd.Timedelta(days=int(rng.exponential(400))), eighteenth)
    last = min(spell_end, end)
    span = (last - spell_start).days
    n_eps = max(1, min(int(rng.choice([1, 2, 3], p=[0.55, 0.3, 0.15])), span))
    cuts = sorted(rng.choice(np.arange(1, span), size=n_eps - 1, replace=False).tolist())
    bounds = [spell_start] + [spell_start + pd.Timedelta(days=int(c)) for c in cuts]
    return bounds, spell_end


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
                "DECOM": format_date(decom),
                "RNE": "S",
                "LS": "V3",
                "CIN": "N2",
                "PLACE": place,
                "PLACE_PROVIDER": provider,
                "DEC": format_date(decom + pd.Timedelta(days=int(rng.integers(1, 4)))),
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
            mc_dob = format_date(_day_between(rng, first_possible, last_day))
    return {
        "CHILD": child,
        "SEX": sex,
        "DOB": format_date(dob),
        "ETHNIC": "OOTH" if uasc and rng.random() < 0.5 else str(_pick(rng, ETHNIC)),
        "UPN": "UN2" if uasc else f"A{rng.integers(10**11, 10**12)}",
        "MOTHER": mother,
        "MC_DOB": mc_dob,
    }


def child_rows(
    rng: np.random.Generator,
    child: str,
    year: int,
    home_post: str,
    places: Places,
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
