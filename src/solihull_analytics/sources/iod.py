"""English Indices of Deprivation: IDACI, IMD and population denominators, every release.

Tables
------
``iod_lsoa``
    One row per release x LSOA, ID2007 to IoD2025, with IDACI and IMD ranks and deciles as
    published, the 0-15 population denominator where available, and the current
    children's-services LA.
``iod_releases``
    One row per release: what the data hold (computed) and where the missing files are.

What the mirror holds (see ``data/iod/SOURCES.md``): IDACI ranks and deciles for IoD2019 and
IoD2025 (File 3), IDACI deciles only for IoD2015, no IDACI for ID2007/ID2010 (IMD only), no
IDACI scores at all. Adding an official file to the raw cache (catalogue ids
``iod2015_file3``, ``iod2015_file7``, ``iod2019_file7``, ``iod2025_file7``, ``iod2025_file6``,
``id2010_all_domains``) fills the matching columns with no code change: columns are found by
header words (case-insensitive substrings), not by position.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from solihull_analytics import releases
from solihull_analytics.build import BuildError, Inputs, MissingInputError, table
from solihull_analytics.sources.geo import (
    ENGLISH_LA,
    ENGLISH_LSOA,
    la_of_district,
    read_district_lookup,
    read_lsoa01_lsoa11,
)
from solihull_analytics.sources.iod_readers import (  # noqa: F401  (re-exported for callers)
    FIELD_LABELS,
    FIELD_WORDS,
    LAYOUTS,
    extract_fields,
    read_rda,
    read_release_file,
    read_table_file,
    read_workbook,
)

#: Number of LSOAs in England by LSOA vintage (ONS); every release ranks all of them.
LSOAS_IN_ENGLAND = {2001: 32_482, 2011: 32_844, 2021: 33_755}


def iod_releases() -> list[releases.Release]:
    """The IoD releases of the release registry, oldest first."""
    return releases.releases("iod")


def release_names() -> list[str]:
    """Labels of the IoD releases in the registry, oldest first."""
    return [r.label for r in iod_releases()]


VALUE_FIELDS = [
    "idaci_rank",
    "idaci_decile",
    "idaci_score",
    "imd_rank",
    "imd_decile",
    "children_0_15",
    "denominator_year",
]
INT_FIELDS = ["idaci_rank", "idaci_decile", "imd_rank", "imd_decile", "children_0_15"]

_GAP_LABELS = {
    "ranks": "IDACI ranks",
    "deciles": "IDACI deciles",
    "scores": "IDACI scores",
    "children": "0-15 denominators for every LSOA",
}


# --------------------------------------------------------------------------------------------
# Assembly
# --------------------------------------------------------------------------------------------


class _ReleaseFrame:
    """Accumulates one release's LSOAs from a base file and supplements, tracking sources."""

    def __init__(self, release: str, base: pd.DataFrame, source_id: str) -> None:
        self.release = release
        self.df = base.set_index("lsoa_code")
        self.df = self.df[~self.df.index.duplicated()]
        self.sources = pd.Series(source_id, index=self.df.index, dtype="str")

    def add(self, extra: pd.DataFrame, source_id: str, path: Path) -> None:
        """Fill empty fields from ``extra``; warn where both hold different values."""
        extra = extra.set_index("lsoa_code")
        unknown = extra.index.difference(self.df.index)
        if len(unknown):
            raise BuildError(
                f"{path} ({source_id}): {len(unknown)} LSOA code(s) not in the release's main "
                f"file, e.g. {unknown[0]}. Is this file from {self.release}?"
            )
        extra = extra.reindex(self.df.index)
        for field in extra.columns:
            if field not in self.df.columns:
                self.df[field] = extra[field]
                continue
            both = self.df[field].notna() & extra[field].notna()
            differ = both & (self.df[field] != extra[field])
            if differ.any():
                warnings.warn(
                    f"{self.release}: {field} differs between {source_id} ({path.name}) and the "
                    f"file read before it for {int(differ.sum())} LSOA(s); keeping the first.",
                    stacklevel=2,
                )
            self.df[field] = self.df[field].where(self.df[field].notna(), extra[field])
        had = extra.notna().any(axis=1)
        self.sources = self.sources.where(~had, self.sources + "," + source_id)

    def frame(self) -> pd.DataFrame:
        out = self.df.reset_index()
        out["source_id"] = self.sources.to_numpy()
        out["release"] = self.release
        return out


def read_release(inputs: Inputs, release: releases.Release) -> pd.DataFrame:
    """Read one IoD release from its files in the registry (base file first, then the rest).

    Raises
    ------
    MissingInputError
        When the base file or another non-optional file is not in the raw cache.
    """
    readable = [f for f in release.files if f.layout != "none"]
    base = [f for f in readable if f.role == "base"]
    if len(base) != 1:
        raise BuildError(
            f"IoD release {release.label}: the release registry must list exactly one file "
            f"with role 'base' (found {len(base)})."
        )
    path = inputs.path(base[0].id)
    frame = _ReleaseFrame(release.label, read_release_file(base[0], path), base[0].id)
    for file in readable:
        if file is base[0]:
            continue
        path = inputs.optional_path(file.id) if file.optional else inputs.path(file.id)
        if path is not None:
            frame.add(read_release_file(file, path), file.id, path)
    return frame.frame()


IOD_REQUIRED = [
    "geo_la_hierarchy",
    "geo_lookup_lsoa01_lsoa11",
]


def iod_file_ids() -> list[str]:
    """Catalogue ids of every readable IoD file in the registry.

    All are declared optional so that a release whose files are absent (e.g. removed from the
    raw cache) is left out and the others still build.
    """
    return [i for i in releases.file_ids("iod") if i not in IOD_REQUIRED and _readable(i)]


def _readable(entry_id: str) -> bool:
    found = releases.release_of(entry_id, "iod")
    return found is not None and found[1].layout != "none"


IOD_COLUMNS = [
    "release",
    "lsoa_code",
    "lsoa_vintage",
    "lsoa_name",
    "lad_code",
    "la_code",
    "la_name",
    "idaci_rank",
    "idaci_decile",
    "idaci_score",
    "imd_rank",
    "imd_decile",
    "children_0_15",
    "denominator_year",
    "lsoas_in_england",
    "source_id",
]


def _inputs_key(inputs: Inputs) -> tuple[tuple[str, int, int], ...]:
    key = []
    for entry_id in IOD_REQUIRED + iod_file_ids():
        path = inputs.entry(entry_id).raw_path(inputs.raw_dir)
        st = path.stat() if path.exists() else None
        key.append((str(path), st.st_size if st else -1, st.st_mtime_ns if st else -1))
    key.append(("registry", releases.fingerprint("iod"), 0))
    return tuple(key)


_CACHE: dict[tuple, pd.DataFrame] = {}


def assemble_iod(inputs: Inputs) -> pd.DataFrame:
    """Build the long release x LSOA table (cached per set of input files within a process)."""
    key = _inputs_key(inputs)
    if key in _CACHE:
        return _CACHE[key].copy()
    known = iod_releases()
    vintage = {r.label: r.lsoa_vintage for r in known}
    df = pd.concat(_read_available_releases(inputs, known), ignore_index=True)
    df["lsoa_vintage"] = df["release"].map(vintage).astype("int64")
    _add_current_la(df, inputs)
    _add_lsoas_in_england(df)
    for field in INT_FIELDS + ["denominator_year"]:
        df[field] = df[field].astype("Int64")
    df["idaci_score"] = df["idaci_score"].astype("Float64")
    for field in ("lsoa_name", "lad_code", "source_id", "release", "lsoa_code"):
        df[field] = df[field].astype("str")
    df["release_order"] = df["release"].map({r.label: r.order for r in known})
    df = df.sort_values(["release_order", "lsoa_code"]).reset_index(drop=True)[IOD_COLUMNS]
    _CACHE.clear()
    _CACHE[key] = df
    return df.copy()


def _read_available_releases(
    inputs: Inputs, known: list[releases.Release]
) -> list[pd.DataFrame]:
    """Every release whose files are in the raw cache, each with all the value fields (a
    release whose files are absent is left out with a warning; ``iod_releases`` says what is
    missing)."""
    frames = []
    skipped = []
    for release in known:
        try:
            frames.append(read_release(inputs, release))
        except MissingInputError as exc:
            skipped.append(str(exc))
    if not frames:
        raise BuildError(
            "no IoD release could be read: " + " | ".join(skipped) + " Run "
            "`solihull-analytics data fetch` first."
        )
    for message in skipped:
        warnings.warn(f"IoD release left out: {message}", stacklevel=3)
    for f in frames:
        for field in VALUE_FIELDS + ["lsoa_name", "lad_code"]:
            if field not in f.columns:
                f[field] = pd.NA
    return frames


def _add_current_la(df: pd.DataFrame, inputs: Inputs) -> None:
    """Add the current children's-services LA (``la_code``, ``la_name``) in place, and 2001
    LSOA names. 2011/2021 LSOAs: from the release's own district code; 2001 LSOAs: via the ONS
    LSOA 2001 -> 2011 lookup's 2011 district."""
    hierarchy = inputs.path("geo_la_hierarchy")
    districts = read_district_lookup(hierarchy)
    lookup_path = inputs.path("geo_lookup_lsoa01_lsoa11")
    lookup01 = read_lsoa01_lsoa11(lookup_path, with_names=True).drop_duplicates("lsoa01_code")
    lookup01 = lookup01[lookup01["lsoa01_code"].str.startswith("E01")].set_index("lsoa01_code")
    is01 = df["lsoa_vintage"] == 2001
    lad_for_la = df["lad_code"].where(~is01, df["lsoa_code"].map(lookup01["lad11_code"]))
    missing01 = is01 & lad_for_la.isna()
    if missing01.any():
        raise BuildError(
            f"{lookup_path}: 2001 LSOA(s) {df.loc[missing01, 'lsoa_code'].head(5).tolist()} "
            "are not in the LSOA 2001 -> 2011 lookup; check the lookup file."
        )
    df["la_code"] = la_of_district(lad_for_la, districts, f"IoD district codes / {lookup_path}")
    names = districts.drop_duplicates("la_code").set_index("la_code")["la_name"]
    df["la_name"] = df["la_code"].map(names).astype("str")
    df["lsoa_name"] = df["lsoa_name"].where(
        ~(is01 & df["lsoa_name"].isna()), df["lsoa_code"].map(lookup01["lsoa01_name"])
    )


def _add_lsoas_in_england(df: pd.DataFrame) -> None:
    """Add ``lsoas_in_england`` after checking every release ranks all LSOAs of its vintage."""
    counts = df.groupby("release")["lsoa_code"].transform("nunique")
    expected = df["lsoa_vintage"].map(LSOAS_IN_ENGLAND)
    if (counts != expected).any():
        bad = df.loc[counts != expected, "release"].unique().tolist()
        raise BuildError(
            f"release(s) {bad}: the number of LSOAs differs from the {LSOAS_IN_ENGLAND} LSOAs "
            "in England for that vintage; a file is incomplete or of another vintage."
        )
    df["lsoas_in_england"] = counts.astype("int64")


def _rank_within_england(df: pd.DataFrame) -> pd.Series:
    ok = pd.Series(True, index=df.index)
    for field in ("idaci_rank", "imd_rank"):
        ok &= df[field].isna() | ((df[field] >= 1) & (df[field] <= df["lsoas_in_england"]))
    return ok


_IN_REGISTRY = pa.Check(
    lambda s: s.isin(release_names()), error="release must be an IoD release of the registry"
)

IOD_LSOA_SCHEMA = pa.DataFrameSchema(
    {
        "release": pa.Column(str, _IN_REGISTRY),
        "lsoa_code": pa.Column(str, pa.Check.str_matches(ENGLISH_LSOA)),
        "lsoa_vintage": pa.Column(int, pa.Check.isin(list(LSOAS_IN_ENGLAND))),
        "lsoa_name": pa.Column(str, nullable=True),
        "lad_code": pa.Column(
            str, pa.Check.str_matches(r"^(E0[6-9][0-9]{6}|[0-9]{2}[A-Z]{2})$"), nullable=True
        ),
        "la_code": pa.Column(str, pa.Check.str_matches(ENGLISH_LA)),
        "la_name": pa.Column(str),
        "idaci_rank": pa.Column("Int64", pa.Check.ge(1), nullable=True),
        "idaci_decile": pa.Column("Int64", pa.Check.in_range(1, 10), nullable=True),
        "idaci_score": pa.Column("Float64", pa.Check.in_range(0, 1), nullable=True),
        "imd_rank": pa.Column("Int64", pa.Check.ge(1), nullable=True),
        "imd_decile": pa.Column("Int64", pa.Check.in_range(1, 10), nullable=True),
        "children_0_15": pa.Column("Int64", pa.Check.ge(0), nullable=True),
        "denominator_year": pa.Column("Int64", pa.Check.in_range(2001, 2100), nullable=True),
        "lsoas_in_england": pa.Column(int, pa.Check.isin(list(LSOAS_IN_ENGLAND.values()))),
        "source_id": pa.Column(str),
    },
    checks=pa.Check(_rank_within_england, error="ranks must lie in 1..lsoas_in_england"),
    unique=["release", "lsoa_code"],
    strict=True,
)


@table(
    "iod_lsoa",
    inputs=IOD_REQUIRED,
    optional_inputs=iod_file_ids,
    release_kinds=("iod",),
    schema=IOD_LSOA_SCHEMA,
    description="Indices of Deprivation by release x LSOA: IDACI, IMD, 0-15 denominators",
)
def build_iod_lsoa(inputs: Inputs) -> pd.DataFrame:
    """One row per release x LSOA (ID2007, ID2010, IoD2015, IoD2019, IoD2025).

    Columns
    -------
    release, lsoa_code, lsoa_vintage (2001/2011/2021), lsoa_name (2001 names from the ONS
    lookup), lad_code (the district as published in the release: LAD07 old-style codes such as
    ``00CT`` for ID2007, none for ID2010, LAD13 for IoD2015, LAD19 for IoD2019, LAD24 for
    IoD2025), la_code/la_name (current children's-services LA; 2001 LSOAs via the LSOA
    2001 -> 2011 lookup's 2011 district), idaci_rank/idaci_decile/idaci_score and
    imd_rank/imd_decile as published (1 = most deprived; ties share the lower rank; ID2007/ID2010
    IMD deciles are those of the derived files, computed from the ranks by the IMD R package, as
    those releases published no LSOA deciles), children_0_15 (IoD2019 File 6, mid-2015;
    IoD2025 File 6, mid-2022, Solihull rows only in the mirror) with denominator_year set where
    a count is present, lsoas_in_england (32,482 / 32,844 / 33,755 by vintage) and source_id
    (comma-separated catalogue ids of the files that supplied the row).

    IDACI is absent (NA) where no file holds it: ID2007 and ID2010 entirely, IoD2015 ranks
    (deciles only), and scores in every release, until the official files are added.
    """
    return assemble_iod(inputs)


IOD_RELEASES_SCHEMA = pa.DataFrameSchema(
    {
        "release": pa.Column(str, _IN_REGISTRY, unique=True),
        "published": pa.Column(str, pa.Check.str_matches(r"^\d{4}(-\d{2}(-\d{2})?)?$")),
        "lsoa_vintage": pa.Column(int, pa.Check.isin(list(LSOAS_IN_ENGLAND))),
        "lsoas_in_england": pa.Column(int, pa.Check.isin(list(LSOAS_IN_ENGLAND.values()))),
        "idaci_ranks_available": pa.Column(bool),
        "idaci_deciles_available": pa.Column(bool),
        "idaci_scores_available": pa.Column(bool),
        "imd_ranks_available": pa.Column(bool),
        "lsoas_with_children_0_15": pa.Column(int, pa.Check.ge(0)),
        "source_ids": pa.Column(str),
        "landing_page": pa.Column(str, pa.Check.str_startswith("https://")),
        "missing_note": pa.Column(str, nullable=True),
    },
    strict=True,
)


def _missing_note(release: releases.Release, present: dict[str, bool]) -> str | None:
    """Say which IDACI data a release lacks and which catalogue ids would supply them.

    The remedies are the release's optional files and what each ``gives`` (registry); a release
    may record ``note_when_no_idaci`` for IDACI that no catalogued file supplies.
    """
    gaps = [gap for gap, ok in present.items() if not ok]
    if not gaps:
        return None
    optional = [f for f in release.files if f.optional and f.layout != "none"]
    by_remedy: dict[str, list[str]] = {}
    for gap in gaps:
        files = [f"{f.id} ({f.label})" for f in optional if gap in f.gives]
        if files:
            remedy = "add " + " or ".join(files) + " to data/raw"
        elif release.fact("note_when_no_idaci") and gap != "children":
            remedy = str(release.fact("note_when_no_idaci"))
        else:
            remedy = "no catalogued file supplies it"
        by_remedy.setdefault(remedy, []).append(_GAP_LABELS[gap])
    notes = [f"no {', '.join(labels)} ({remedy})" for remedy, labels in by_remedy.items()]
    return f"{release.label}: " + "; ".join(notes) + "."


@table(
    "iod_releases",
    inputs=IOD_REQUIRED,
    optional_inputs=iod_file_ids,
    release_kinds=("iod",),
    schema=IOD_RELEASES_SCHEMA,
    description="One row per IoD release: what IDACI data it holds, sources, landing page",
)
def build_iod_releases(inputs: Inputs) -> pd.DataFrame:
    """One row per IoD release: publication, LSOA vintage and which IDACI data are present.

    The ``*_available`` flags are computed from ``iod_lsoa`` (any non-missing value);
    ``missing_note`` says what is missing and which catalogue id would supply it.
    """
    df = assemble_iod(inputs)
    rows = []
    for rel in iod_releases():
        part = df[df["release"] == rel.label]
        if part.empty:
            continue
        ids = sorted({s for joined in part["source_id"].unique() for s in joined.split(",")})
        ranks = bool(part["idaci_rank"].notna().any())
        deciles = bool(part["idaci_decile"].notna().any())
        scores = bool(part["idaci_score"].notna().any())
        rows.append(
            {
                "release": rel.label,
                "published": str(rel.fact("published", rel.year)),
                "lsoa_vintage": rel.lsoa_vintage,
                "lsoas_in_england": int(part["lsoas_in_england"].iloc[0]),
                "idaci_ranks_available": ranks,
                "idaci_deciles_available": deciles,
                "idaci_scores_available": scores,
                "imd_ranks_available": bool(part["imd_rank"].notna().any()),
                "lsoas_with_children_0_15": int(part["children_0_15"].notna().sum()),
                "source_ids": ",".join(ids),
                "landing_page": str(rel.fact("landing_page", "")),
                "missing_note": _missing_note(
                    rel,
                    {
                        "ranks": ranks,
                        "deciles": deciles,
                        "scores": scores,
                        "children": bool(part["children_0_15"].notna().all()),
                    },
                ),
            }
        )
    out = pd.DataFrame(rows)
    for col in ("lsoa_vintage", "lsoas_in_england", "lsoas_with_children_0_15"):
        out[col] = out[col].astype("int64")
    for col in ("release", "published", "source_ids", "landing_page", "missing_note"):
        out[col] = out[col].astype("str")
    return out
