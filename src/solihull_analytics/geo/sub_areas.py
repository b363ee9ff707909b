"""Named sub-areas of a local authority (e.g. North Solihull), defined in a visible, editable file.

Each LA may have a small YAML file ``areas/<la_code>.yaml`` in this package (or any file passed
as ``areas_config``) that names one or more sub-areas, each as a list of wards of a stated ward
vintage (the ONS LSOA-to-ward best-fit lookups decide which 2021 LSOAs a ward holds) or as an
explicit list of 2021 LSOA codes. Every LSOA of the LA not in a named sub-area forms the "rest"
area (its name is set by ``rest_name``). An LA without a file gets a whole-LA profile.

Example (``areas/E08000029.yaml``)::

    la_code: E08000029
    ward_vintage: 2022
    rest_name: Rest of Solihull
    areas:
      - name: North Solihull
        wards:
          - {code: E05001287, name: Chelmsley Wood}
          - {code: E05001290, name: Kingshurst and Fordbridge}
          - {code: E05001300, name: Smith's Wood}

A ward may be given by code, by name, or both (both must then agree); a sub-area may instead
list ``lsoas:`` (2021 LSOA codes). A file naming an unknown ward, a ward of another LA, an LSOA
outside the LA, or two sub-areas that share LSOAs is rejected with :class:`AreaConfigError`, whose
message lists the LA's valid wards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from solihull_analytics import releases as registry
from solihull_analytics.build import read_table
from solihull_analytics.report.page import TableBlock

#: Folder of per-LA sub-area files shipped with the package.
AREAS_DIR = Path(__file__).resolve().parent / "area_definitions"


def ward_vintages() -> list[int]:
    """Ward vintages with an LSOA-to-ward lookup (release registry, ``ward_lookup`` records)."""
    return registry.ward_vintages()


def _ward_lookup_record() -> registry.Release:
    """The latest LSOA-to-ward lookup record of the release registry (a clear error if none)."""
    known = registry.geography("ward_lookup")
    if not known:
        raise AreaConfigError(
            f"the release registry {registry.registry_path()} has no LSOA-to-ward lookup "
            "(geography records with level ward_lookup); sub-areas need one."
        )
    return known[-1]


def areas_lsoa_vintage() -> int:
    """The LSOA vintage sub-areas are defined on: that of the LSOA-to-ward lookups."""
    return int(_ward_lookup_record().lsoa_vintage or 0)


def _ward_lookup(processed_dir: Path | None) -> pd.DataFrame:
    """The processed LSOA-to-ward lookup table the registry names."""
    return read_table(registry.geography_table(_ward_lookup_record()), processed_dir)
WHOLE_LA = "whole LA"


class AreaConfigError(ValueError):
    """A sub-area file is invalid; the message says why and lists the LA's valid wards."""


@dataclass(frozen=True)
class SubArea:
    """One named sub-area: its 2021 LSOAs and (if defined by wards) the wards it was made of."""

    name: str
    lsoa21: tuple[str, ...]
    wards: tuple[tuple[str, str], ...] = ()
    description: str = ""


@dataclass
class AreaDefinition:
    """The sub-areas of one LA and how they were defined.

    Attributes
    ----------
    la_code, la_name : str
        The LA (name from the data).
    areas : list of SubArea
        Named sub-areas, then the rest of the LA (if any LSOAs are left and ``rest_name`` set);
        for an LA without a configuration, a single area covering the whole LA.
    ward_vintage : int or None
        Ward vintage of the ward lists.
    config_path : Path or None
        The file read (None when the LA has no configuration).
    la_lsoa21 : tuple of str
        Every 2021 LSOA of the LA.
    """

    la_code: str
    la_name: str
    areas: list[SubArea]
    ward_vintage: int | None
    config_path: Path | None
    la_lsoa21: tuple[str, ...] = field(default_factory=tuple)
    rest_name: str | None = None
    #: Whether the LA has named sub-areas (False: whole-LA profile only).
    configured: bool = True

    @property
    def names(self) -> list[str]:
        """Sub-area names in display order (named areas, then the rest)."""
        return [a.name for a in self.areas]

    def membership(self) -> pd.DataFrame:
        """Return ``lsoa21_code, area``: one row per 2021 LSOA of the LA."""
        rows = [(code, a.name) for a in self.areas for code in a.lsoa21]
        return pd.DataFrame(rows, columns=["lsoa21_code", "area"])

    def describe(self) -> pd.DataFrame:
        """Return one row per sub-area: name, LSOA count and how it is defined (for a table)."""
        rows = []
        for a in self.areas:
            if a.wards:
                how = f"{self.ward_vintage} wards: " + ", ".join(
                    f"{name} ({code})" for code, name in a.wards
                )
            elif a.description:
                how = a.description
            else:
                how = "explicit list of 2021 LSOAs"
            rows.append({"area": a.name, "lsoas_2021": len(a.lsoa21), "definition": how})
        return pd.DataFrame(rows)


def default_config_path(la_code: str) -> Path | None:
    """Return the package's sub-area file for ``la_code``, or None if there is none."""
    p = AREAS_DIR / f"{la_code}.yaml"
    return p if p.exists() else None


def _ward_table(lookup: pd.DataFrame, la_code: str, vintage: int) -> pd.DataFrame:
    sel = lookup[(lookup["ward_vintage"] == vintage) & (lookup["la_code"] == la_code)]
    return (
        sel.groupby(["ward_code", "ward_name"], as_index=False)["lsoa21_code"]
        .count()
        .rename(columns={"lsoa21_code": "lsoas"})
        .sort_values("ward_name")
    )


def _valid_wards_text(wards: pd.DataFrame, vintage: int) -> str:
    items = [f"{r.ward_name} ({r.ward_code})" for r in wards.itertuples()]
    return f"Valid {vintage} wards of this LA: " + "; ".join(items) + "."


def _resolve_ward(
    spec: Any, vintage: int, la_code: str, lookup: pd.DataFrame, la_wards: pd.DataFrame
) -> tuple[str, str]:
    """Return (code, name) of one ward entry, or raise AreaConfigError."""
    if isinstance(spec, str):
        spec = {"code": spec} if spec[:3] in {"E05", "W05"} else {"name": spec}
    if not isinstance(spec, dict) or not ({"code", "name"} & set(spec)):
        raise AreaConfigError(
            f"each ward must be a code, a name or {{code: ..., name: ...}}; got {spec!r}. "
            + _valid_wards_text(la_wards, vintage)
        )
    code, name = spec.get("code"), spec.get("name")
    mine = la_wards
    if code is not None:
        mine = mine[mine["ward_code"] == str(code)]
    if name is not None:
        mine = mine[mine["ward_name"].str.casefold() == str(name).casefold()]
    if len(mine) == 1:
        return str(mine.iloc[0]["ward_code"]), str(mine.iloc[0]["ward_name"])
    label = " / ".join(str(v) for v in (code, name) if v is not None)
    everywhere = lookup[lookup["ward_vintage"] == vintage]
    other = everywhere
    if code is not None:
        other = other[other["ward_code"] == str(code)]
    if name is not None:
        other = other[other["ward_name"].str.casefold() == str(name).casefold()]
    other = other[other["la_code"] != la_code]
    if not other.empty:
        las = ", ".join(sorted(other["la_code"].unique()))
        raise AreaConfigError(
            f"ward {label!r} ({vintage} wards) belongs to another local authority ({las}), "
            f"not {la_code}. " + _valid_wards_text(la_wards, vintage)
        )
    raise AreaConfigError(
        f"unknown ward {label!r} for {la_code} in the {vintage} ward lookup (check the code, "
        "the name and the ward_vintage). " + _valid_wards_text(la_wards, vintage)
    )


def parse_area_config(
    doc: dict[str, Any],
    la_code: str,
    la_name: str,
    lookup: pd.DataFrame,
    config_path: Path | None = None,
) -> AreaDefinition:
    """Validate a parsed sub-area document and resolve each sub-area to 2021 LSOAs.

    Parameters
    ----------
    doc : dict
        The YAML document (keys ``la_code``, ``ward_vintage``, ``rest_name``, ``areas``).
    la_code, la_name : str
        The LA being profiled.
    lookup : pandas.DataFrame
        The ``lsoa21_ward`` table (``lsoa21_code, ward_vintage, ward_code, ward_name, la_code``).
    config_path : Path, optional
        Where the document came from (recorded; shown on the page).

    Returns
    -------
    AreaDefinition

    Raises
    ------
    AreaConfigError
        For a document for another LA, an unknown ward vintage, an unknown ward, a ward of another
        LA, an LSOA outside the LA, an empty or unnamed sub-area, or overlapping sub-areas.
    """
    if not isinstance(doc, dict):
        raise AreaConfigError(f"{config_path}: expected a mapping with an 'areas' list")
    if str(doc.get("la_code", la_code)) != la_code:
        raise AreaConfigError(f"{config_path}: the file is for {doc.get('la_code')}, not {la_code}")
    known = ward_vintages()
    vintage = int(doc.get("ward_vintage", known[0] if known else 0))
    if vintage not in known:
        raise AreaConfigError(
            f"ward_vintage {vintage} has no LSOA-to-ward lookup; use one of {tuple(known)}"
        )
    la_wards = _ward_table(lookup, la_code, vintage)
    la_lsoas = lookup[(lookup["ward_vintage"] == vintage) & (lookup["la_code"] == la_code)]
    all_lsoas = tuple(sorted(la_lsoas["lsoa21_code"]))
    specs = doc.get("areas") or []
    if not isinstance(specs, list) or not specs:
        raise AreaConfigError(
            f"{config_path}: 'areas' must be a non-empty list. "
            + _valid_wards_text(la_wards, vintage)
        )
    areas: list[SubArea] = []
    owner: dict[str, str] = {}
    for spec in specs:
        name = str(spec.get("name", "")).strip() if isinstance(spec, dict) else ""
        if not name:
            raise AreaConfigError(f"{config_path}: every sub-area needs a name; got {spec!r}")
        lsoas, wards = _sub_area_lsoas(
            spec, name, vintage, la_code, lookup, la_wards, la_lsoas, all_lsoas
        )
        clash = sorted({owner[c] for c in lsoas if c in owner})
        if clash or name in [a.name for a in areas]:
            shared = [c for c in lsoas if c in owner]
            raise AreaConfigError(
                f"sub-areas overlap: {name!r} shares {len(shared)} LSOAs with "
                f"{', '.join(repr(c) for c in clash) or 'a sub-area of the same name'}; "
                "each ward or LSOA may belong to one sub-area only. "
                + _valid_wards_text(la_wards, vintage)
            )
        owner.update({c: name for c in lsoas})
        areas.append(SubArea(name, tuple(lsoas), tuple(wards), str(spec.get("description", ""))))
    rest = [c for c in all_lsoas if c not in owner]
    rest_name = doc.get("rest_name", f"Rest of {la_name}")
    if rest and rest_name:
        areas.append(SubArea(str(rest_name), tuple(rest), (), f"all other 2021 LSOAs of {la_name}"))
    return AreaDefinition(
        la_code, la_name, areas, vintage, config_path, all_lsoas, str(rest_name or "") or None
    )


def _sub_area_lsoas(
    spec: dict[str, Any],
    name: str,
    vintage: int,
    la_code: str,
    lookup: pd.DataFrame,
    la_wards: pd.DataFrame,
    la_lsoas: pd.DataFrame,
    all_lsoas: tuple[str, ...],
) -> tuple[list[str], list[tuple[str, str]]]:
    """One sub-area's 2021 LSOAs (sorted) and its wards (code, name), from its ``wards`` or its
    ``lsoas``; :class:`AreaConfigError` when it has neither, none, or LSOAs outside the LA."""
    wards: list[tuple[str, str]] = []
    if spec.get("wards"):
        wards = [_resolve_ward(w, vintage, la_code, lookup, la_wards) for w in spec["wards"]]
        codes = {c for c, _ in wards}
        lsoas = sorted(la_lsoas.loc[la_lsoas["ward_code"].isin(codes), "lsoa21_code"])
    elif spec.get("lsoas"):
        lsoas = sorted({str(c) for c in spec["lsoas"]})
        outside = sorted(set(lsoas) - set(all_lsoas))
        if outside:
            raise AreaConfigError(
                f"sub-area {name!r}: LSOAs not in {la_code}: {', '.join(outside[:10])}. "
                + _valid_wards_text(la_wards, vintage)
            )
    else:
        raise AreaConfigError(
            f"sub-area {name!r} needs 'wards' or 'lsoas'. "
            + _valid_wards_text(la_wards, vintage)
        )
    if not lsoas:
        raise AreaConfigError(f"sub-area {name!r} contains no LSOAs")
    return lsoas, wards


def resolve_areas(
    la_code: str,
    la_name: str,
    processed_dir: Path | None = None,
    areas_config: str | Path | None = None,
) -> AreaDefinition:
    """Return the sub-areas of an LA from its configuration (or a whole-LA definition).

    Parameters
    ----------
    la_code, la_name : str
        The LA (the name from :func:`solihull_analytics.geo.las.la_info`).
    processed_dir : Path, optional
        Processed tables folder (for ``lsoa21_ward``).
    areas_config : str or Path, optional
        A YAML file to use instead of the package's ``areas/<la_code>.yaml``.

    Returns
    -------
    AreaDefinition
        Without a configuration: one area named after the LA holding all its 2021 LSOAs.
    """
    lookup = _ward_lookup(processed_dir)
    path = Path(areas_config) if areas_config else default_config_path(la_code)
    if path is None:
        first = ward_vintages()[0]
        sel = lookup[(lookup["ward_vintage"] == first) & (lookup["la_code"] == la_code)]
        lsoas = tuple(sorted(sel["lsoa21_code"]))
        whole = SubArea(la_name, lsoas, (), f"all 2021 LSOAs of {la_name}")
        return AreaDefinition(la_code, la_name, [whole], None, None, lsoas, configured=False)
    if not path.exists():
        raise AreaConfigError(f"sub-area file not found: {path}")
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    return parse_area_config(doc, la_code, la_name, lookup, path)


def valid_wards(
    la_code: str, vintage: int | None = None, processed_dir: Path | None = None
) -> pd.DataFrame:
    """Return the wards of an LA (code, name, number of 2021 LSOAs) for writing a config.

    ``vintage`` defaults to the earliest ward vintage with a lookup (the default of a sub-area
    file's ``ward_vintage``).
    """
    vintage = ward_vintages()[0] if vintage is None else vintage
    return _ward_table(_ward_lookup(processed_dir), la_code, vintage).reset_index(drop=True)


def lsoa11_membership(definition: AreaDefinition, lookup_11_21: pd.DataFrame) -> pd.DataFrame:
    """Assign each 2011 LSOA of the LA to a sub-area through the ONS LSOA11-to-LSOA21 lookup.

    A 2011 LSOA goes to the sub-area holding its 2021 successor(s); where a split 2011 LSOA has
    successors in more than one sub-area it goes to the one holding most of them (ties: the first
    listed). Merged 2011 LSOAs each follow their common 2021 LSOA.

    Returns
    -------
    pandas.DataFrame
        ``lsoa11_code, area, split_across_areas``.
    """
    member = definition.membership()
    order = {n: i for i, n in enumerate(definition.names)}
    joined = lookup_11_21[["lsoa11_code", "lsoa21_code"]].merge(member, on="lsoa21_code")
    counts = joined.groupby(["lsoa11_code", "area"], as_index=False).size()
    counts["order"] = counts["area"].map(order)
    counts = counts.sort_values(["lsoa11_code", "size", "order"], ascending=[True, False, True])
    n_areas = counts.groupby("lsoa11_code")["area"].transform("nunique")
    counts["split_across_areas"] = n_areas > 1
    out = counts.drop_duplicates("lsoa11_code")
    return out[["lsoa11_code", "area", "split_across_areas"]].reset_index(drop=True)


def config_template(
    la_code: str, vintage: int | None = None, processed_dir: Path | None = None
) -> str:
    """Return a starter YAML file listing the LA's wards (commented) for an analyst to edit.

    ``vintage`` defaults to the earliest ward vintage with a lookup (see :func:`valid_wards`).
    """
    vintage = ward_vintages()[0] if vintage is None else vintage
    wards = valid_wards(la_code, vintage, processed_dir)
    lines = [
        f"la_code: {la_code}",
        f"ward_vintage: {vintage}",
        "rest_name: Rest of the LA",
        "areas:",
        "  - name: My sub-area",
        "    wards:",
    ]
    for i, r in enumerate(wards.itertuples()):
        prefix = "      - " if i < 2 else "      # - "
        lines.append(f'{prefix}{{code: {r.ward_code}, name: "{r.ward_name}"}}')
    return "\n".join(lines) + "\n"


def definition_section(
    definition: AreaDefinition, processed_dir: Path | None = None
) -> list[str | TableBlock]:
    """Return the blocks that say how the sub-areas are defined (or how to define some).

    Parameters
    ----------
    definition : AreaDefinition
        The LA's sub-areas, from :func:`resolve_areas`.
    processed_dir : Path, optional
        Processed-tables folder (for the starter file's ward list when there is no configuration).

    Returns
    -------
    list
        For a configured LA, a paragraph and a table of the sub-areas; otherwise a paragraph and
        a starter YAML file (as a Markdown code block) naming two of the LA's wards.
    """
    d = definition
    if d.configured:
        name = d.config_path.name if d.config_path else ""
        text = (
            f"{d.la_name}'s {len(d.la_lsoa21)} LSOAs (2021 Lower layer Super Output Areas) are "
            f"divided into {len(d.areas)} sub-areas, set in the file `{name}`. "
            f"Wards ({d.ward_vintage} boundaries) are turned into LSOAs with the ONS best-fit "
            "LSOA-to-ward lookup. To change the definition, edit that file (or pass another file "
            "as the `areas_config` parameter) and render the page again."
        )
        table = TableBlock(
            d.describe().rename(columns={"lsoas_2021": "LSOAs (2021)"}),
            caption=f"Sub-areas of {d.la_name} used on this page",
        )
        return [text, table]
    text = (
        f"No sub-areas are defined for {d.la_name}, so this page profiles the whole authority "
        f"({len(d.la_lsoa21)} LSOAs) against England. To compare parts of {d.la_name}, add a "
        f"file `src/solihull_analytics/areas/{d.la_code}.yaml` (or pass one as the `areas_config` "
        "parameter) naming the wards of each sub-area, then render this page again. A starting "
        f"point listing two of {d.la_name}'s wards:"
    )
    return [text, "```yaml\n" + config_template(d.la_code, None, processed_dir) + "```"]
