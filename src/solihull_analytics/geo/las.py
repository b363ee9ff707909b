"""Local authorities and small areas: names, regions, and which LSOAs belong to which LA.

``la_code`` always means a children's-services (upper-tier) local authority, with the current
GSS code DfE uses (e.g. Solihull ``E08000029``, Kent ``E10000016``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from solihull_analytics import paths
from solihull_analytics import releases as registry
from solihull_analytics.build import BuildError, read_table
from solihull_analytics.table_reader import checked_table_bytes

if TYPE_CHECKING:
    import pandas as pd


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


#: The columns an LA's row carries, when its table has them.
LA_COLUMNS = ("la_code", "la_name", "region_code", "region_name", "la_type")


@lru_cache(maxsize=8)
def _la_rows(processed_dir: str) -> tuple[dict[str, Any], ...]:
    """One dict per LA (:data:`LA_COLUMNS` its table has), read with pyarrow, not pandas: the
    report's parent process checks the LA code here and needs nothing else of pandas (issue 16).

    From ``children_services_la`` (the first row of each code), else from the LA rows of
    ``cla_la_year`` (each code's latest year).
    """
    pdir = Path(processed_dir)
    try:
        rows = _table_rows("children_services_la", pdir, LA_COLUMNS)
    except BuildError:
        cla = _table_rows("cla_la_year", pdir, ("geographic_level", "year", *LA_COLUMNS[:4]))
        rows = sorted(
            (r for r in cla if r["geographic_level"] == "local_authority"),
            key=lambda r: r["year"],
        )
        rows = list({r["la_code"]: r for r in rows}.values())  # each code's last row
    by_code: dict[str, dict[str, Any]] = {}
    for row in rows:
        by_code.setdefault(row["la_code"], {k: row[k] for k in LA_COLUMNS if k in row})
    return tuple(by_code.values())


def _table_rows(name: str, pdir: Path, columns: tuple[str, ...]) -> list[dict[str, Any]]:
    """The rows of a processed table (checked against the manifest), as dicts of ``columns``
    (those it has)."""
    import io

    import pyarrow.parquet as pq

    data, _sha256 = checked_table_bytes(name, pdir)
    # ParquetFile, not read_table: read_table goes through pyarrow.dataset, which imports pandas.
    file = pq.ParquetFile(io.BytesIO(data))
    names = set(file.schema_arrow.names)
    return file.read(columns=[c for c in columns if c in names]).to_pylist()


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
    import pandas as pd

    pdir = processed_dir or paths.processed_dir()
    return pd.DataFrame(list(_la_rows(str(pdir)))).sort_values("la_name").reset_index(drop=True)


def la_codes(processed_dir: Path | None = None) -> list[str]:
    """Every current English children's-services LA code, in order of name (as
    :func:`list_las`), without pandas."""
    rows = _la_rows(str(processed_dir or paths.processed_dir()))
    return [r["la_code"] for r in sorted(rows, key=lambda r: r["la_name"])]


def la_info(la_code: str, processed_dir: Path | None = None) -> LocalAuthority:
    """Look up an LA by code, from the published data (names are never typed by hand).

    Raises
    ------
    UnknownAreaError
        If ``la_code`` is not a current English children's-services LA; the message lists how
        to find valid codes.
    """
    rows = _la_rows(str(processed_dir or paths.processed_dir()))
    row = next((r for r in rows if r["la_code"] == la_code), None)
    if row is None:
        raise UnknownAreaError(
            f"{la_code!r} is not a current English children's-services local authority code. "
            "Run `solihull-analytics report --list-las` to see the valid codes "
            "(e.g. E08000029 Solihull, E10000016 Kent)."
        )

    def text(column: str) -> str | None:
        value = row.get(column)
        return None if value is None or value != value else str(value)  # None or NaN

    return LocalAuthority(
        code=la_code,
        name=str(row["la_name"]),
        region_code=text("region_code"),
        region_name=text("region_name"),
        la_type=text("la_type"),
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
