"""Readers of the official IoD files: workbooks, CSVs and R data files, fields found by header
words (split out of :mod:`solihull_analytics.sources.iod`, which assembles the tables)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadr
import python_calamine

from solihull_analytics import releases
from solihull_analytics.build import BuildError
from solihull_analytics.sources._common import find_column, require_columns
from solihull_analytics.sources.geo import ENGLISH_LSOA

#: Header words that identify each field in the official files (first matching set wins).
FIELD_WORDS: dict[str, list[tuple[str, ...]]] = {
    "lsoa_code": [("lsoa", "code")],
    "lsoa_name": [("lsoa", "name")],
    "lad_code": [("district", "code"), ("la code",)],
    "imd_rank": [("imd", "rank")],
    "imd_decile": [("imd", "decile")],
    "idaci_rank": [("idaci", "rank")],
    "idaci_decile": [("idaci", "decile")],
    "idaci_score": [("idaci", "score")],
    "children_0_15": [("0-15",)],
}
FIELD_LABELS = {
    "lsoa_code": "LSOA code",
    "lsoa_name": "LSOA name",
    "lad_code": "local authority district code",
    "imd_rank": "IMD rank",
    "imd_decile": "IMD decile",
    "idaci_rank": "IDACI rank",
    "idaci_decile": "IDACI decile",
    "idaci_score": "IDACI score",
    "children_0_15": "dependent children aged 0-15 population",
}
_MID_YEAR = re.compile(r"mid[\s-]*(\d{4})", re.IGNORECASE)




def read_workbook(path: Path) -> dict[str, pd.DataFrame]:
    """Read every sheet of a workbook with the calamine engine (first row = header).

    Same engine as ``pd.read_excel(..., engine="calamine")`` but builds each column in one go
    instead of converting cell by cell, which is several times faster on the 33,000-row IoD
    sheets. Empty cells come back as ``""``.
    """
    workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    sheets = {}
    for name in workbook.sheet_names:
        rows = workbook.get_sheet_by_name(name).to_python()
        if not rows:
            sheets[name] = pd.DataFrame()
            continue
        header = [str(h).strip() for h in rows[0]]
        columns = list(zip(*rows[1:], strict=True)) if len(rows) > 1 else [()] * len(header)
        sheets[name] = pd.DataFrame(
            {
                h: pd.Series(c, dtype=None if c else "object")
                for h, c in zip(header, columns, strict=True)
            }
        )
    return sheets


def _pick_data_sheet(path: Path) -> pd.DataFrame:
    """Read the data sheet of an official IoD workbook (the sheet with an LSOA code column)."""
    sheets = read_workbook(path)
    candidates = {
        name: df
        for name, df in sheets.items()
        if find_column(df, FIELD_WORDS["lsoa_code"], path, "LSOA code", required=False)
    }
    if not candidates:
        raise BuildError(
            f"{path}: no sheet has an LSOA code column (sheets: {list(sheets)}). The workbook "
            "layout has changed: check it against its catalogue entry and update the reader."
        )
    # The data sheet is the largest one holding LSOA codes.
    return max(candidates.values(), key=len)


def read_table_file(path: Path) -> pd.DataFrame:
    """Read an official IoD file (xlsx/xls data sheet, or CSV with or without a BOM)."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xls", ".xlsm"):
        return _pick_data_sheet(path)
    if suffix in (".csv", ".txt") or path.name.lower().endswith(".csv.gz"):
        return pd.read_csv(path, dtype=str, encoding="utf-8-sig", low_memory=False)
    raise BuildError(f"{path}: unsupported file type {suffix!r}; expected xlsx, xls or csv.")


def extract_fields(
    df: pd.DataFrame,
    path: Path | str,
    required: Sequence[str],
    optional: Sequence[str] = (),
) -> pd.DataFrame:
    """Pick the IoD fields out of an official table by header words.

    Parameters
    ----------
    df : pandas.DataFrame
        The file as read.
    path : Path or str
        The file (named in error messages).
    required : sequence of str
        Fields (keys of :data:`FIELD_WORDS`) that must be present; ``lsoa_code`` always is.
    optional : sequence of str
        Fields taken when present.

    Returns
    -------
    pandas.DataFrame
        ``lsoa_code`` plus the fields found, typed (ranks, deciles and counts ``Int64``, scores
        ``Float64``, codes and names ``str``). A ``children_0_15`` column comes with
        ``denominator_year`` parsed from its header ("... mid 2015 ...").

    Raises
    ------
    BuildError
        Naming the file and the field when a required column is missing or ambiguous, or when
        values are not numbers.
    """
    out = pd.DataFrame(index=df.index)
    wanted = ["lsoa_code", *[f for f in required if f != "lsoa_code"]]
    for field in [*wanted, *optional]:
        column = find_column(
            df, FIELD_WORDS[field], path, FIELD_LABELS[field], required=field in wanted
        )
        if column is None:
            continue
        values = df[column]
        if field in ("lsoa_code", "lsoa_name", "lad_code"):
            out[field] = values.astype("str").str.strip()
            continue
        numbers = pd.to_numeric(values, errors="coerce")
        bad = numbers.isna() & values.notna() & (values.astype("str").str.strip() != "")
        if bad.any():
            raise BuildError(
                f"{path}: column {column!r} ({FIELD_LABELS[field]}) holds non-numeric values, "
                f"e.g. {values[bad].iloc[0]!r}. Check the file against its catalogue entry."
            )
        if field == "idaci_score":
            out[field] = numbers.astype("Float64")
        else:
            out[field] = np.round(numbers).astype("Int64")
        if field == "children_0_15":
            year = _MID_YEAR.search(column)
            out["denominator_year"] = pd.array(
                [int(year.group(1)) if year else pd.NA] * len(out), dtype="Int64"
            )
            out["denominator_year"] = out["denominator_year"].where(out[field].notna())
    out = out[out["lsoa_code"].str.match(ENGLISH_LSOA, na=False)]
    if out["lsoa_code"].duplicated().any():
        dup = out.loc[out["lsoa_code"].duplicated(), "lsoa_code"].iloc[0]
        raise BuildError(f"{path}: LSOA {dup} appears more than once; check the file.")
    return out.reset_index(drop=True)


def read_rda(path: Path, object_name: str) -> pd.DataFrame:
    """Read one object of an R data file, with a clear error when it is not there."""
    objects = pyreadr.read_r(path)
    if object_name not in objects:
        raise BuildError(
            f"{path}: R object {object_name!r} not found (objects: {list(objects)}). "
            "Check the file against its catalogue entry."
        )
    return objects[object_name]


def _rda_fields(path: Path, object_name: str, columns: dict[str, str]) -> pd.DataFrame:
    raw = read_rda(path, object_name)
    require_columns(raw, list(columns), path)
    out = raw[list(columns)].rename(columns=columns)
    for field in out.columns:
        if field in ("imd_rank", "imd_decile"):
            out[field] = np.round(pd.to_numeric(out[field])).astype("Int64")
        else:
            out[field] = out[field].astype("str")
    return out


#: Layouts the IoD reader knows (``layout`` of a file in the release registry).
LAYOUTS = ("iod_table", "iod_rda", "none")


def read_release_file(file: releases.ReleaseFile, path: Path) -> pd.DataFrame:
    """Read one IoD file by its layout: ``iod_table`` (header words) or ``iod_rda`` (R object)."""
    if file.layout == "iod_table":
        return extract_fields(read_table_file(path), path, file.fields, file.optional_fields)
    if file.layout == "iod_rda":
        columns = file.option("columns") or {}
        return _rda_fields(path, str(file.option("object")), dict(columns))
    raise BuildError(
        f"{path} ({file.id}): layout {file.layout!r} is not one the IoD reader knows "
        f"({', '.join(LAYOUTS[:-1])}); fix the file's layout in the release registry."
    )
