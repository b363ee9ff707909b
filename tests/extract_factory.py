"""Small SSDA903 extracts in DfE's CSV layout whose true counts the tests know.

Each child is given a category (in the LA in a chosen IDACI decile, home outside the LA,
postcode not in the directory, no postcode, UASC, short breaks only, or not looked after in the
collection year); :func:`write_extract` writes ``header.csv``, ``episodes.csv``, ``uasc.csv`` and
an ONSPD-like ``postcodes.csv`` (``pcds``, ``lsoa11``) that places the made-up postcodes, and
returns the true counts. Everything is synthetic: identifiers, dates and postcodes are made up
here (postcodes use the unused ``ZZ`` area so that no real postcode is written).
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

HEADER = ["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"]
EPISODES = [
    "CHILD",
    "DECOM",
    "RNE",
    "LS",
    "CIN",
    "PLACE",
    "PLACE_PROVIDER",
    "DEC",
    "REC",
    "REASON_PLACE_CHANGE",
    "HOME_POST",
    "PL_POST",
    "URN",
]
UASC = ["CHILD", "SEX", "DOB", "DUC"]
CATEGORIES = (
    "in_area",
    "outside",
    "not_found",
    "no_postcode",
    "uasc",
    "short_break",
    "not_in_year",
)


@dataclass
class ExtractTruth:
    """What the extract holds, counted by construction (not by the code under test)."""

    folder: Path
    lookup: Path
    categories: dict[str, int]
    deciles: dict[int, int]
    header_rows: int
    episode_rows: int
    bad_episode_rows: int
    uasc_rows: int
    quantities: dict[str, int] = field(default_factory=dict)

    @property
    def cohort(self) -> int:
        return sum(
            self.categories[c] for c in ("in_area", "outside", "not_found", "no_postcode", "uasc")
        )


def _postcode(i: int) -> str:
    letters = string.ascii_uppercase
    return f"ZZ{i // 1000 % 10}{i // 100 % 10} {i // 10 % 10}{letters[i % 10]}{letters[i % 26]}"


def write_extract(
    folder: Path,
    categories: dict[str, int],
    la_deciles: dict[int, list[str]],
    outside_lsoas: list[str],
    rng: np.random.Generator,
    bad_episode_rows: int = 0,
) -> ExtractTruth:
    """Write an extract with ``categories[c]`` children of each category.

    Parameters
    ----------
    folder : Path
        Created if needed.
    categories : dict
        Children per category of :data:`CATEGORIES` (missing ones are 0).
    la_deciles : dict
        IDACI decile to the LA's LSOA codes in it (in-area children are spread over them).
    outside_lsoas : list of str
        LSOAs outside the LA, for "outside" children.
    rng : numpy.random.Generator
        Chooses deciles and LSOAs.
    bad_episode_rows : int
        Extra episodes with an unreadable start date, for in-cohort children (excluded rows).
    """
    folder.mkdir(parents=True, exist_ok=True)
    cats = {c: int(categories.get(c, 0)) for c in CATEGORIES}
    header, episodes, uasc, lookup = [], [], [], []
    deciles: dict[int, int] = {}
    available = sorted(la_deciles)
    n = 0
    for cat in CATEGORIES:
        for _ in range(cats[cat]):
            n += 1
            child = f"C{n:05d}"
            header.append([child, "1", "15/05/2010", "WBRI", f"UPN{n:05d}", "", ""])
            postcode = _postcode(n)
            ls, decom, dec = "C2", "15/06/2018", ""
            home = postcode
            if cat == "in_area":
                decile = int(rng.choice(available))
                deciles[decile] = deciles.get(decile, 0) + 1
                lookup.append([postcode, str(rng.choice(la_deciles[decile]))])
            elif cat == "outside":
                lookup.append([postcode, str(rng.choice(outside_lsoas))])
            elif cat in ("no_postcode", "uasc"):
                home = ""
            elif cat == "short_break":
                ls = "V3"
            elif cat == "not_in_year":
                decom, dec = "15/06/2016", "20/01/2017"
            episodes.append(
                [
                    child,
                    decom,
                    "S",
                    ls,
                    "N1",
                    "U1",
                    "PR1",
                    dec,
                    "E11" if dec else "",
                    "",
                    home,
                    "",
                    "",
                ]
            )
            if cat == "uasc":
                uasc.append([child, "1", "15/05/2010", ""])
    cohort_children = [
        r[0] for r, e in zip(header, episodes, strict=True) if e[3] != "V3" and e[1] == "15/06/2018"
    ]
    for i in range(bad_episode_rows):
        child = cohort_children[i % len(cohort_children)]
        episodes.append([child, "31/02/2018", "P", "C2", "N1", "U1", "PR1", "", "", "", "", "", ""])
    pd.DataFrame(header, columns=HEADER).to_csv(folder / "header.csv", index=False)
    pd.DataFrame(episodes, columns=EPISODES).to_csv(folder / "episodes.csv", index=False)
    pd.DataFrame(uasc, columns=UASC).to_csv(folder / "uasc.csv", index=False)
    lookup_path = folder.parent / f"{folder.name}-postcodes.csv"
    pd.DataFrame(lookup, columns=["pcds", "lsoa11"]).to_csv(lookup_path, index=False)
    truth = ExtractTruth(
        folder, lookup_path, cats, deciles, len(header), len(episodes), bad_episode_rows, len(uasc)
    )
    truth.quantities = quantities(truth, la_deciles)
    return truth


def quantities(t: ExtractTruth, la_deciles: dict[int, list[str]]) -> dict[str, int]:
    """The true value of every count page 04 could publish or a reader could link to it."""
    c = t.categories
    q = {
        "uasc": c["uasc"],
        "no_postcode": c["no_postcode"],
        "not_found": c["not_found"],
        "outside": c["outside"],
        "in_area": c["in_area"],
        "total": t.cohort,
        "short_break": c["short_break"],
        "not_in_year": c["not_in_year"],
        "header_read": t.header_rows,
        "header_kept": t.header_rows,
        "header_excluded": 0,
        "episodes_read": t.episode_rows,
        "episodes_excluded": t.bad_episode_rows,
        "episodes_bad_date": t.bad_episode_rows,
        "episodes_kept": t.episode_rows - t.bad_episode_rows,
        "uasc_read": t.uasc_rows,
        "uasc_excluded": 0,
        "uasc_kept": t.uasc_rows,
        "excluded_all": t.bad_episode_rows,
    }
    for d in la_deciles:
        q[f"decile_{d}"] = t.deciles.get(d, 0)
    return q


def relations(la_deciles: dict[int, list[str]]) -> list[tuple[str, list[str]]]:
    """How the quantities add up, as a reader who knows the SSDA903 return would reason."""
    return [
        ("total", ["uasc", "no_postcode", "not_found", "outside", "in_area"]),
        ("in_area", [f"decile_{d}" for d in la_deciles]),
        ("header_kept", ["total", "short_break", "not_in_year"]),
        ("header_read", ["header_excluded", "header_kept"]),
        ("episodes_read", ["episodes_excluded", "episodes_kept"]),
        ("episodes_excluded", ["episodes_bad_date"]),
        ("uasc_read", ["uasc_excluded", "uasc_kept"]),
        ("uasc_kept", ["uasc"]),
        ("excluded_all", ["header_excluded", "episodes_excluded", "uasc_excluded"]),
    ]
