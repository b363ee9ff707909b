"""Local authorities and small areas: names, regions, and which LSOAs belong to which LA.

``la_code`` always means a children's-services (upper-tier) local authority, with the current
GSS code DfE uses (e.g. Solihull ``E08000029``, Kent ``E10000016``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from solihull_analytics import paths
from solihull_analytics import releases as registry
from solihull_analytics.build import BuildError, read_table


class UnknownAreaError(ValueError):
    """An LA code is not a current English children's-services local authority."""


@dataclass(frozen=True)
class LocalAuthority:
    """A children's-services local authority."""

    code: str
    name: str
    region_code: str | None
    region_name: str | None
    la_type: str | None


@lru_cache(maxsize=8)
def _la_table(processed_dir: str) -> pd.DataFrame:
    pdir = Path(processed_dir)
    try:
        las = read_table("children_services_la", pdir)
        cols = {c: c for c in ("la_code", "la_name", "region_code", "region_name", "la_type")}
        return las[[c for c in cols if c in las.columns]].drop_duplicates("la_code")
    except BuildError:
        cla = read_table("cla_la_year", pdir)
        cla = cla[cla["geographic_level"] == "local_authority"].sort_values("year")
        keep = [c for c in ("la_code", "la_name", "region_code", "region_name") if c in cla]
        return cla[keep].drop_duplicates("la_code", keep="last")


def list_las(processed_dir: Path | None = None) -> pd.DataFrame:
    """Return every current English children's-services LA (code, name, region, type).

    Parameters
    ----------
    processed_dir : Path, optional
        Processed tables folder (default ``data/processed``).

    Returns
    -------
    pandas.DataFrame
        One row per LA, sorted by name.
    """
    pdir = processed_dir or paths.processed_dir()
    return _la_table(str(pdir)).sort_values("la_name").reset_index(drop=True)


def la_info(la_code: str, processed_dir: Path | None = None) -> LocalAuthority:
    """Look up an LA by code, from the published data (names are never typed by hand).

    Raises
    ------
    UnknownAreaError
        If ``la_code`` is not a current English children's-services LA; the message lists how
        to find valid codes.
    """
    table = list_las(processed_dir)
    row = table[table["la_code"] == la_code]
    if row.empty:
        raise UnknownAreaError(
            f"{la_code!r} is not a current English children's-services local authority code. "
            "Run `solihull-analytics report --list-las` to see the valid codes "
            "(e.g. E08000029 Solihull, E10000016 Kent)."
        )
    r = row.iloc[0]
    return LocalAuthority(
        code=la_code,
        name=str(r["la_name"]),
        region_code=str(r["region_code"])
        if "region_code" in r and pd.notna(r["region_code"])
        else None,
        region_name=str(r["region_name"])
        if "region_name" in r and pd.notna(r["region_name"])
        else None,
        la_type=str(r["la_type"]) if "la_type" in r and pd.notna(r["la_type"]) else None,
    )


def lsoas_of_la(la_code: str, vintage: int, processed_dir: Path | None = None) -> list[str]:
    """Return the LSOA codes of a children's-services LA on one LSOA vintage.

    Parameters
    ----------
    la_code : str
        Children's-services LA code.
    vintage : int
        2001, 2011 or 2021.
    processed_dir : Path, optional
        Processed tables folder.

    Returns
    -------
    list of str
        Sorted codes. 2011 and 2001 LSOAs come from ``iod_lsoa`` (the LA each release's
        district code, or the ONS 2001 -> 2011 lookup, places them in); LSOAs of the vintage an
        LSOA -> ward -> LAD lookup of the release registry is on (2021 today, ``lsoa21_ward``)
        come from that lookup, falling back to ``iod_lsoa``.
    """
    pdir = processed_dir or paths.processed_dir()
    codes: set[str] = set()
    wards = [r for r in registry.geography("ward_lookup") if r.lsoa_vintage == vintage]
    if wards:
        code = f"lsoa{vintage % 100:02d}_code"
        try:
            w = read_table(registry.geography_table(wards[-1]), pdir)
            codes = set(w.loc[w["la_code"] == la_code, code])
        except BuildError:
            codes = set()
    if not codes:
        iod = read_table("iod_lsoa", pdir)
        sel = iod[(iod["la_code"] == la_code) & (iod["lsoa_vintage"] == vintage)]
        codes = set(sel["lsoa_code"])
    return sorted(codes)
