"""Areas in DfE's children-looked-after files: levels, names and current GSS codes.

Used by the readers in :mod:`solihull_analytics.sources.cla_readers`: older files name
authorities or give DfE's 3-digit ``old_la_code``; :class:`AreaLookup` maps both to the current
codes, names and regions of DfE's latest release.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from solihull_analytics.build import BuildError

NATIONAL, REGIONAL, LOCAL = "National", "Regional", "Local authority"
#: Geographic levels as every processed table names them (EES files say National/Regional/...).
OUTPUT_LEVEL = {NATIONAL: "country", REGIONAL: "region", LOCAL: "local_authority"}
ENGLAND_NAME = "England"

#: Upper-tier authorities abolished in 2009, before GSS codes: DfE code -> (name, region code).
PRE_GSS_AUTHORITIES = {
    "875": ("Cheshire", "E12000002"),
    "820": ("Bedfordshire", "E12000006"),
}

LONDON_REGION_CODE = "E12000007"

#: Sub-regions that DfE files list besides the nine regions (dropped).
LONDON_SUBREGIONS = ("inner london", "outer london")


def normalise_area_name(name: object) -> str:
    """Return a matching key for an area name as spelt in DfE tables.

    Footnote digits, case, punctuation, "&" and a trailing ", City of" / "City of" prefix are
    ignored, so "Bristol, City of", "Newcastle Upon Tyne", "Cheshire East5" and
    "YORKSHIRE AND HUMBER" match the EES spellings.

    Parameters
    ----------
    name : object
        The name as found (``NaN`` gives ``""``).

    Returns
    -------
    str
        Lower-case words separated by single spaces.
    """
    if not isinstance(name, str):
        return ""
    text = name.strip().lower().replace("&", " and ").replace(", city of", "")
    text = re.sub(r"\d+$", "", text)
    text = re.sub(r"[^a-z ]+", " ", text)
    words = [w for w in text.split() if w not in {"the", "of", "county", "borough"}]
    key = " ".join(words)
    return NAME_ALIASES.get(key, key)


#: Old spellings of authority names (after :func:`normalise_area_name`) -> current spelling.
NAME_ALIASES = {"medway towns": "medway"}


# ----------------------------------------------------------------------------------------------
# Area codes
# ----------------------------------------------------------------------------------------------


class AreaLookup:
    """Current codes, names and regions of DfE areas, taken from the EES releases.

    Parameters
    ----------
    ees_frames : list of pandas.DataFrame
        The EES number/rate releases read as text, oldest first.
    """

    def __init__(self, ees_frames: list[pd.DataFrame]) -> None:
        parts = []
        for rank, df in enumerate(ees_frames):
            la = df[df["geographic_level"] == LOCAL]
            parts.append(
                la.assign(
                    rank=rank, year=pd.to_numeric(la["time_period"], errors="coerce")
                )[["old_la_code", "new_la_code", "la_name", "region_code", "region_name",
                   "rank", "year"]]
            )
        rows = pd.concat(parts, ignore_index=True)
        rows["old_la_code"] = rows["old_la_code"].str.strip()
        # The latest release names an authority with its current code; for an authority that no
        # longer exists its last year in the latest release that lists it gives its last code.
        latest = rows.sort_values(["rank", "year"]).drop_duplicates("old_la_code", keep="last")
        self.by_old_code = latest.set_index("old_la_code")[
            ["new_la_code", "la_name", "region_code", "region_name"]
        ].copy()
        # EES gives London boroughs the Inner/Outer London code (E13); use the region, London.
        inner_outer = self.by_old_code["region_code"].str.startswith("E13")
        self.by_old_code.loc[inner_outer, "region_code"] = LONDON_REGION_CODE
        regions = pd.concat(
            [df.loc[df["geographic_level"] == REGIONAL, ["region_code", "region_name"]]
             for df in ees_frames]
        ).drop_duplicates("region_code", keep="last")
        regions = regions[regions["region_code"].str.startswith("E12")]
        self.region_names = dict(zip(regions["region_code"], regions["region_name"], strict=True))
        self.region_by_name = {
            normalise_area_name(n): c for c, n in self.region_names.items()
        } | {"yorkshire and humber": "E12000003"}
        self.old_code_by_name = {
            normalise_area_name(name): code
            for code, name in zip(latest["old_la_code"], latest["la_name"], strict=True)
        }
        for code, (name, _region) in PRE_GSS_AUTHORITIES.items():
            self.old_code_by_name[normalise_area_name(name)] = code

    def add_names(self, names: pd.Series, old_codes: pd.Series) -> None:
        """Teach the lookup the names of another file's authorities (e.g. SFR 27/2010).

        These override the EES names, so that "Dorset" in the 2006-2010 tables is the county
        (835), not the unitary authority of 2019 (838).
        """
        for name, code in zip(names, old_codes, strict=True):
            key = normalise_area_name(name)
            if key and isinstance(code, str) and code.strip().isdigit():
                self.old_code_by_name[key] = code.strip()

    def la_code(self, old_codes: pd.Series) -> pd.Series:
        """Current GSS code for DfE's 3-digit codes (``<NA>`` for pre-2009 authorities)."""
        return old_codes.map(self.by_old_code["new_la_code"]).astype("str")

    def region_code_for_name(self, names: pd.Series) -> pd.Series:
        """E12 code for a region name as spelt in DfE tables."""
        return names.map(lambda n: self.region_by_name.get(normalise_area_name(n)))

    def old_code_for_name(self, names: pd.Series, source: Path | str) -> pd.Series:
        """DfE 3-digit code for an authority name; raise if any name is unknown."""
        keys = names.map(normalise_area_name)
        codes = keys.map(self.old_code_by_name)
        unknown = sorted(set(names[codes.isna()].astype(str)))
        if unknown:
            raise BuildError(
                f"{source}: authority name(s) {unknown[:8]} could not be matched to a DfE code. "
                "The table layout or names may have changed: add the spelling to the reader "
                "(normalise_area_name) or check the file against its catalogue entry."
            )
        return codes


