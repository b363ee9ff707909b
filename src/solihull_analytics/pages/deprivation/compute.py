"""Page 02's analysis: pure functions over the ``iod_lsoa`` and ``population_lsoa`` tables.

Nothing here reads a file, a table or the release registry: the release facts a function needs
come in as a :class:`ReleaseFacts` (built from the registry by :mod:`.inputs`). Definitions
(bands, ties, deciles, LSOA vintages) are in the package docstring.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from solihull_analytics.methods.idaci_bands import (
    band_cutoff,
    decile_from_rank,
    in_band_from_decile,
    in_most_deprived,
    ties_at_cutoff,
)

#: Bands of England's most deprived LSOAs shown in Table 1 (percent).
BANDS: tuple[int, ...] = (20, 10, 5, 2)
NOT_AVAILABLE = "not available in the data used"


@dataclass(frozen=True)
class ReleaseFacts:
    """What the registry says about the IoD releases, as plain values.

    Attributes
    ----------
    labels : tuple of str
        IoD release labels, oldest first.
    year, lsoa_vintage, data_year : dict of str to int
        Per label: the year the label refers to, the LSOA vintage the release is published on,
        and the reference year of its income data (nearest population).
    children_file_ids : frozenset of str
        Catalogue ids of IoD files that hold 0-15 denominators.
    source_names : dict of str to str
        ``population_lsoa`` source -> how pages name it (e.g. a census's label).
    """

    labels: tuple[str, ...]
    year: Mapping[str, int] = field(default_factory=dict)
    lsoa_vintage: Mapping[str, int] = field(default_factory=dict)
    data_year: Mapping[str, int] = field(default_factory=dict)
    children_file_ids: frozenset[str] = frozenset()
    source_names: Mapping[str, str] = field(default_factory=dict)

    def order(self, releases: Iterable[str]) -> list[str]:
        """``releases`` in registry order; labels the registry does not know last, sorted."""
        releases = set(releases)
        known = [r for r in self.labels if r in releases]
        return known + sorted(releases - set(known))


@dataclass(frozen=True)
class ReleaseChildDenominators:
    """Children aged 0-15 per LSOA of an LA for one IoD release, and where they come from."""

    children: pd.Series  # indexed by lsoa_code
    label: str
    year: int | None
    source_ids: tuple[str, ...]
    from_release: bool


def la_release(iod: pd.DataFrame, la_code: str, release: str) -> pd.DataFrame:
    """Return the rows of ``iod_lsoa`` for one LA and release."""
    return iod[(iod["la_code"] == la_code) & (iod["release"] == release)]


def la_lsoas(iod: pd.DataFrame | None, la_code: str, vintage: int) -> list[str]:
    """The LA's LSOAs on one vintage, from ``iod_lsoa`` (any release on that vintage)."""
    if iod is None or iod.empty:
        return []
    sel = iod[(iod["la_code"] == la_code) & (iod["lsoa_vintage"] == vintage)]
    return sorted(set(sel["lsoa_code"]))


def iod_source_ids(iod: pd.DataFrame, la_code: str, release: str | None = None) -> list[str]:
    """Catalogue ids of the files behind an LA's ``iod_lsoa`` rows (optionally one release)."""
    sel = iod[iod["la_code"] == la_code]
    if release is not None:
        sel = sel[sel["release"] == release]
    return sorted({s for joined in sel["source_id"].dropna().unique() for s in joined.split(",")})


def _band_flags(part: pd.DataFrame, n_eng: int, p: int) -> tuple[np.ndarray | None, str | None]:
    """In-band flags of one release's rows for band ``p``, and the method (ranks/deciles)."""
    if len(part) and part["idaci_rank"].notna().all() and n_eng:
        return in_most_deprived(part["idaci_rank"], n_eng, p).to_numpy(dtype=bool), "ranks"
    if len(part) and p % 10 == 0 and part["idaci_decile"].notna().all():
        return in_band_from_decile(part["idaci_decile"], p).to_numpy(dtype=bool), "deciles"
    return None, None


def band_counts(
    iod: pd.DataFrame, la_code: str, facts: ReleaseFacts, bands: Sequence[int] = BANDS
) -> pd.DataFrame:
    """Count an LA's LSOAs in England's most deprived ``p``% per release, on its own vintage.

    Parameters
    ----------
    iod : pandas.DataFrame
        The ``iod_lsoa`` table (columns ``release, lsoa_code, lsoa_vintage, la_code,
        idaci_rank, idaci_decile, lsoas_in_england``).
    la_code : str
        Children's-services LA code.
    facts : ReleaseFacts
        The releases to report (every one gets a row, all counts missing when it has no rows in
        ``iod``), with their years and vintages.
    bands : sequence of int
        Bands in percent.

    Returns
    -------
    pandas.DataFrame
        One row per release: ``release, year, lsoa_vintage, lsoas_in_england, lsoas_in_la,
        idaci_ranks, idaci_deciles, in_data`` and, per band, ``n_<p>pct`` (Int64, missing when
        not computable) and ``method_<p>pct`` (``"ranks"``, ``"deciles"`` or ``None``).
    """
    rows = []
    la_rows = iod[iod["la_code"] == la_code]  # once, not once per release
    for rel in facts.labels:
        part = la_release(la_rows, la_code, rel)
        in_england = iod.loc[iod["release"] == rel, "lsoas_in_england"]
        n_eng = int(in_england.iloc[0]) if len(in_england) else None
        row: dict[str, Any] = {
            "release": rel,
            "year": facts.year.get(rel),
            "lsoa_vintage": facts.lsoa_vintage.get(rel),
            "lsoas_in_england": n_eng,
            "lsoas_in_la": int(part["lsoa_code"].nunique()) if len(part) else None,
            "idaci_ranks": bool(len(part)) and bool(part["idaci_rank"].notna().all()),
            "idaci_deciles": bool(len(part)) and bool(part["idaci_decile"].notna().all()),
            "in_data": bool(len(in_england)),
        }
        for p in bands:
            flags, method = _band_flags(part, n_eng or 0, p)
            row[f"n_{p}pct"] = int(flags.sum()) if flags is not None else None
            row[f"method_{p}pct"] = method
        rows.append(row)
    out = pd.DataFrame(rows)
    for col in ["year", "lsoa_vintage", "lsoas_in_england", "lsoas_in_la"] + [
        f"n_{p}pct" for p in bands
    ]:
        out[col] = out[col].astype("Int64")
    return out


def decile_counts(iod: pd.DataFrame, la_code: str, facts: ReleaseFacts) -> pd.DataFrame:
    """Count an LA's LSOAs per national IDACI decile, per release (deciles as published).

    Deciles come from the published decile column; where a release has ranks but no deciles
    they are derived with :func:`decile_from_rank`. Releases with neither are left out.

    Returns
    -------
    pandas.DataFrame
        ``release, lsoa_vintage, decile (1-10), lsoas, share`` (share of the LA's LSOAs),
        with every decile present (zeros included), plus ``decile_source``.
    """
    frames = []
    for rel in facts.labels:
        part = la_release(iod, la_code, rel)
        if part.empty:
            continue
        if part["idaci_decile"].notna().all():
            dec, how = part["idaci_decile"].astype("Int64"), "published"
        elif part["idaci_rank"].notna().all():
            dec = decile_from_rank(part["idaci_rank"], int(part["lsoas_in_england"].iloc[0]))
            how = "derived from published ranks"
        else:
            continue
        counts = dec.value_counts().reindex(range(1, 11), fill_value=0)
        frames.append(
            pd.DataFrame(
                {
                    "release": rel,
                    "lsoa_vintage": facts.lsoa_vintage.get(rel),
                    "decile": range(1, 11),
                    "lsoas": counts.to_numpy().astype("int64"),
                    "share": counts.to_numpy() / len(part),
                    "decile_source": how,
                }
            )
        )
    if not frames:
        return pd.DataFrame(
            columns=["release", "lsoa_vintage", "decile", "lsoas", "share", "decile_source"]
        )
    return pd.concat(frames, ignore_index=True)


def national_ties(iod: pd.DataFrame, facts: ReleaseFacts, bands: Sequence[int] = BANDS
                  ) -> pd.DataFrame:
    """Per release with ranks: tied rank numbers, and extra LSOAs a tie adds at each cut-off."""
    rows = []
    ranked = iod.loc[iod["idaci_rank"].notna(), ["release", "idaci_rank", "lsoas_in_england"]]
    for rel in facts.order(iod["release"].unique()):
        part = ranked[ranked["release"] == rel]
        if part.empty:
            continue
        n = int(part["lsoas_in_england"].iloc[0])
        r = part["idaci_rank"].astype("int64")
        row: dict[str, Any] = {
            "Release": rel,
            "LSOAs in England": n,
            "Rank numbers shared by 2+ LSOAs": int((r.value_counts() > 1).sum()),
        }
        for p in bands:
            row[f"Cut-off {p}% (rank <=)"] = band_cutoff(n, p)
            row[f"Extra LSOAs from a tie at {p}%"] = ties_at_cutoff(r, n, p)
        rows.append(row)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# Like-for-like: a release on another LSOA vintage
# --------------------------------------------------------------------------------------------


def lookup_pairs(lookup: pd.DataFrame, source_vintage: int, target_vintage: int) -> pd.DataFrame:
    """Return ``source, target`` code pairs from an ONS lookup table (either direction).

    ``lookup`` holds two code columns named ``lsoaYY_code`` (e.g. ``lsoa_lookup_11_21`` or
    ``lsoa_lookup_01_11``).
    """
    src = f"lsoa{str(source_vintage)[2:]}_code"
    tgt = f"lsoa{str(target_vintage)[2:]}_code"
    missing = [c for c in (src, tgt) if c not in lookup.columns]
    if missing:
        raise ValueError(f"lookup has no column(s) {missing}; columns: {list(lookup.columns)}")
    return (
        lookup[[src, tgt]].rename(columns={src: "source", tgt: "target"}).dropna().drop_duplicates()
    )


def first_target(lookup: pd.DataFrame, source_vintage: int, target_vintage: int) -> pd.Series:
    """Return one target LSOA per source LSOA (the first listed), e.g. to place LSOAs in wards."""
    pairs = lookup_pairs(lookup, source_vintage, target_vintage).sort_values(["source", "target"])
    return pairs.drop_duplicates("source").set_index("source")["target"]


def map_release_to_vintage(
    release_rows: pd.DataFrame,
    lookup: pd.DataFrame,
    target_vintage: int,
    weights: pd.Series | None = None,
) -> pd.DataFrame:
    """Put one release's IDACI ranks and deciles on another LSOA vintage (like-for-like view).

    Each target LSOA takes the rank (and decile) of the linked source LSOA holding most children
    (``weights``, indexed by source LSOA code; equal weights when ``None`` or missing), ties
    going to the more deprived piece. Ranks stay ranks of the release, so the release's own
    ``N`` still applies.

    Parameters
    ----------
    release_rows : pandas.DataFrame
        ``iod_lsoa`` rows of one release (``lsoa_code, lsoa_vintage, idaci_rank,
        idaci_decile, lsoas_in_england``).
    lookup : pandas.DataFrame
        ONS LSOA lookup between the two vintages (see :func:`lookup_pairs`).
    target_vintage : int
        The LSOA vintage to map onto.
    weights : pandas.Series, optional
        Children per source LSOA.

    Returns
    -------
    pandas.DataFrame
        ``lsoa_code`` (target), ``idaci_rank, idaci_decile, lsoas_in_england, pieces``
        (number of source LSOAs linked), ``lsoa_vintage`` (= target) and ``mapped_from``.
    """
    source_vintage = int(release_rows["lsoa_vintage"].iloc[0])
    cols = ["lsoa_code", "idaci_rank", "idaci_decile", "lsoas_in_england"]
    if source_vintage == target_vintage:
        out = release_rows[cols].copy()
        out["pieces"] = 1
    else:
        pairs = lookup_pairs(lookup, source_vintage, target_vintage)
        joined = pairs.merge(
            release_rows[cols].rename(columns={"lsoa_code": "source"}), on="source", how="inner"
        )
        w = weights if weights is not None else pd.Series(dtype="float64")
        joined["weight"] = joined["source"].map(w).astype("float64").fillna(1.0)
        joined["_rank"] = joined["idaci_rank"].astype("float64").fillna(np.inf)
        joined["_dec"] = joined["idaci_decile"].astype("float64").fillna(np.inf)
        joined = joined.sort_values(
            ["target", "weight", "_rank", "_dec", "source"],
            ascending=[True, False, True, True, True],
        )
        pieces = joined.groupby("target")["source"].nunique()
        out = joined.drop_duplicates("target")[["target", *cols[1:]]].rename(
            columns={"target": "lsoa_code"}
        )
        out["pieces"] = out["lsoa_code"].map(pieces).astype("int64")
    out["lsoa_vintage"] = target_vintage
    out["mapped_from"] = source_vintage
    return out.reset_index(drop=True)


def _vintage_chain(source: int, target: int, known: Iterable[int]) -> list[int]:
    """Vintages to step through from ``source`` to ``target`` (via those in between)."""
    lo, hi = sorted((source, target))
    between = sorted(v for v in set(known) if lo < v < hi)
    return (between if source < target else between[::-1]) + [target]


def _mapped_onto(
    part: pd.DataFrame,
    target: int,
    lookups: Mapping[tuple[int, int], pd.DataFrame],
    weights: Mapping[int, pd.Series],
) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """One release's rows stepped onto ``target`` LSOAs: (mapped rows, last step) or Nones."""
    mapped, last = part, None
    if int(part["lsoa_vintage"].iloc[0]) == target:
        return mapped, last
    known = {v for pair in lookups for v in pair}
    for v in _vintage_chain(int(part["lsoa_vintage"].iloc[0]), target, known):
        here = int(mapped["lsoa_vintage"].iloc[0])
        lk = lookups.get((here, v), lookups.get((v, here)))
        if lk is None:
            return None, None
        mapped = last = map_release_to_vintage(mapped, lk, v, weights.get(here))
    return mapped, last


def linked_sources(
    targets: Iterable[str],
    source_vintage: int,
    target_vintage: int,
    lookups: Mapping[tuple[int, int], pd.DataFrame],
) -> set[str] | None:
    """The ``source_vintage`` LSOAs linked to ``targets`` through the ONS lookups (chained
    through the vintages in between, as :func:`like_for_like_counts` maps), or ``None`` when a
    lookup of the chain is missing.

    Each target LSOA takes its value from the source LSOAs linked to it only, so mapping these
    sources gives ``targets`` what mapping every LSOA in England gives.
    """
    needed = set(targets)
    if source_vintage == target_vintage:
        return needed
    known = {v for pair in lookups for v in pair}
    chain = [source_vintage, *_vintage_chain(source_vintage, target_vintage, known)]
    for here, before in zip(chain[:0:-1], chain[-2::-1], strict=True):  # target back to source
        lk = lookups.get((here, before), lookups.get((before, here)))
        if lk is None:
            return None
        pairs = lookup_pairs(lk, before, here)
        needed = set(pairs.loc[pairs["target"].isin(needed), "source"])
    return needed


def like_for_like_counts(
    iod: pd.DataFrame,
    la_lsoas: Sequence[str],
    target_vintage: int,
    lookups: Mapping[tuple[int, int], pd.DataFrame],
    facts: ReleaseFacts,
    weights: Mapping[int, pd.Series] | None = None,
    bands: Sequence[int] = BANDS,
) -> pd.DataFrame:
    """Count the LA's LSOAs of ``target_vintage`` in each band, every release mapped to them.

    Parameters
    ----------
    iod : pandas.DataFrame
        ``iod_lsoa``.
    la_lsoas : sequence of str
        The LA's LSOAs on ``target_vintage``.
    target_vintage : int
        Vintage to count on.
    lookups : dict
        ``{(vintage_a, vintage_b): lookup}`` for consecutive vintages. A release two steps
        away is chained through the vintage in between.
    facts : ReleaseFacts
        Gives the order of the releases.
    weights : dict of int to pandas.Series, optional
        Children per LSOA by vintage.

    Returns
    -------
    pandas.DataFrame
        One row per release with ranks or deciles: ``release, mapped_from, lsoa_vintage,
        lsoas_in_la, lsoas_changed`` (LA LSOAs whose source was not one unchanged LSOA),
        ``n_<p>pct`` per band.
    """
    la_set = set(la_lsoas)
    rows = []
    for rel in facts.order(iod["release"].unique()):
        release = iod["release"] == rel
        facts_of = iod.loc[release, ["idaci_rank", "idaci_decile", "lsoa_vintage",
                                     "lsoas_in_england"]]
        if not (facts_of["idaci_rank"].notna().any() or facts_of["idaci_decile"].notna().any()):
            continue
        # Map only the LSOAs linked to the LA's (the same result for them; not all England).
        sources = linked_sources(la_set, int(facts_of["lsoa_vintage"].iloc[0]), target_vintage,
                                 lookups)
        part = iod[release] if sources is None else iod[release & iod["lsoa_code"].isin(sources)]
        mapped, last = _mapped_onto(part if len(part) else iod[release], target_vintage, lookups,
                                    weights or {})
        if mapped is None:
            continue
        mapped = mapped[mapped["lsoa_code"].isin(la_set)]
        changed = 0
        if last is not None:
            changed = int(last.loc[last["lsoa_code"].isin(la_set), "pieces"].gt(1).sum())
        row: dict[str, Any] = {
            "release": rel,
            "mapped_from": int(facts_of["lsoa_vintage"].iloc[0]),
            "lsoa_vintage": target_vintage,
            "lsoas_in_la": len(mapped),
            "lsoas_changed": changed,
        }
        n_eng = int(facts_of["lsoas_in_england"].iloc[0])
        for p in bands:
            flags, _ = _band_flags(mapped, n_eng, p) if len(mapped) else (None, None)
            row[f"n_{p}pct"] = int(flags.sum()) if flags is not None else None
        rows.append(row)
    out = pd.DataFrame(rows)
    for p in bands:
        if f"n_{p}pct" in out:
            out[f"n_{p}pct"] = out[f"n_{p}pct"].astype("Int64")
    return out
