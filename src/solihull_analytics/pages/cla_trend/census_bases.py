"""Census bases of ONS population estimates: which census each vintage is based on, and names.

ONS rebases its mid-year estimates on each new census, so page 01's denominators change series
at a break. The facts (each vintage's ``census_base``, each census's label) are the release
registry's, passed in by :mod:`.inputs`; nothing here names a census.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd


@dataclass(frozen=True)
class CensusBases:
    """Which census each population vintage is based on, and what the censuses are called.

    ONS rebases its estimates on each new census; the latest census any vintage is based on is
    "the latest census base", and estimates on it are the rebased series. Built by the page from
    the release registry (``census_base`` of each population vintage, the labels of the census
    releases), so a newly registered census changes the page's words without code changes.

    Attributes
    ----------
    by_vintage : mapping of str to int
        Population vintage -> the year of the census its estimates are based on.
    labels : mapping of int to str
        Census year -> its name on pages (the census release's label).
    """

    by_vintage: Mapping[str, int] = field(default_factory=dict)
    labels: Mapping[int, str] = field(default_factory=dict)

    @property
    def latest(self) -> int | None:
        """The latest census any vintage is based on (None when no vintage says)."""
        return max(self.by_vintage.values(), default=None)

    @property
    def previous(self) -> int | None:
        """The census before :attr:`latest` that a vintage is based on (None if none)."""
        earlier = [y for y in self.by_vintage.values() if self.latest and y < self.latest]
        return max(earlier, default=None)

    def label(self, year: int | None = None) -> str:
        """The name of census ``year`` (default: the latest base), e.g. its registry label."""
        year = self.latest if year is None else year
        if year is None:
            return "the census"
        return self.labels.get(year, f"Census {year}")

    @property
    def based(self) -> str:
        """The latest base as a compound adjective, e.g. ``"Census-2021-based"``."""
        return self.label().replace(" ", "-") + "-based"

    @property
    def slug(self) -> str:
        """The latest base's name as a column-name part, e.g. ``"census2021"``."""
        return re.sub(r"[^a-z0-9]+", "", self.label().lower())

    @classmethod
    def from_facts(
        cls, census_bases: Mapping[str, object] | None, labels: Mapping[int, str] | None = None
    ) -> CensusBases:
        """From ``{vintage: census_base}`` (vintages without a base are left out)."""
        known = {str(k): int(v) for k, v in (census_bases or {}).items()
                 if v is not None and not pd.isna(v)}
        return cls(known, dict(labels or {}))


def on_latest_census_base(
    mid_year: pd.Series, vintage: pd.Series, bases: CensusBases
) -> pd.Series:
    """Whether each estimate is on the latest census base: its vintage is based on that census
    (and it is for a mid-year after the previous census: ONS rebases back to then), or it is
    for a mid-year from that census on. A vintage ``bases`` does not know is judged by its
    mid-year alone; with no base known at all, none is."""
    latest = bases.latest
    if latest is None:
        return pd.Series(False, index=mid_year.index)
    years = mid_year.astype(int)
    rebased = vintage.astype(str).map(dict(bases.by_vintage)).eq(latest)
    after_previous = years > (bases.previous if bases.previous is not None else -1)
    return (years >= latest) | (after_previous & rebased)
