"""Where each figure comes from: the catalogue entries behind the processed tables, and how far
the data cover a given LA. Used by notebook ``00_data_sources``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from solihull_analytics import paths
from solihull_analytics.build import load_registry, read_table
from solihull_analytics.catalogue import load_catalogue
from solihull_analytics.processed import manifest

_PERIOD_COLUMNS = ("year", "mid_year", "release", "census_year", "financial_year_ending")


def data_sources_table(raw_dir: Path | None = None) -> pd.DataFrame:
    """Return one row per catalogue entry: publisher, release, licence, checksum, availability.

    Returns
    -------
    pandas.DataFrame
        Columns ``id``, ``title``, ``publisher``, ``release``, ``licence``, ``kind``,
        ``sha256_short``, ``available`` ("yes", or why not) and ``used_by`` (processed tables).
    """
    raw_dir = raw_dir or paths.raw_dir()
    used_by: dict[str, list[str]] = {}
    for name, spec in load_registry().items():
        for entry_id in spec.inputs + spec.optional_inputs:
            used_by.setdefault(entry_id, []).append(name)
    rows = []
    for e in load_catalogue().values():
        present = e.raw_path(raw_dir).exists()
        if present:
            available = "yes"
        elif e.mirrored:
            available = "not fetched yet"
        else:
            available = f"not in the mirror: {e.download_url or e.landing_page}"
        rows.append(
            {
                "id": e.id,
                "title": e.title,
                "publisher": e.publisher,
                "release": e.release,
                "licence": e.licence,
                "kind": e.kind,
                "sha256_short": e.short_sha256,
                "available": available,
                "used_by": ", ".join(used_by.get(e.id, [])),
            }
        )
    return pd.DataFrame(rows)


def coverage_for_la(la_code: str, processed_dir: Path | None = None) -> pd.DataFrame:
    """Return, for each processed table with an ``la_code`` column, the rows and periods for an LA.

    Parameters
    ----------
    la_code : str
        Children's-services LA code.
    processed_dir : Path, optional
        Processed tables folder.

    Returns
    -------
    pandas.DataFrame
        Columns ``table``, ``rows_for_la``, ``periods`` (first to last) and ``built_from``.
    """
    processed_dir = processed_dir or paths.processed_dir()
    built = manifest(processed_dir)
    registry = load_registry()
    rows = []
    for name in sorted(built):
        spec = registry.get(name)
        if spec is None or spec.geo:
            continue
        df = read_table(name, processed_dir)
        if "la_code" not in df.columns:
            continue
        mine = df[df["la_code"] == la_code]
        periods = ""
        for col in _PERIOD_COLUMNS:
            if col in mine.columns and len(mine):
                values = sorted(mine[col].dropna().unique().tolist())
                if values:
                    periods = f"{values[0]} to {values[-1]}" if len(values) > 1 else str(values[0])
                    break
        rows.append(
            {
                "table": name,
                "rows_for_la": int(len(mine)),
                "periods": periods,
                "built_from": ", ".join(built[name].get("inputs", [])),
            }
        )
    return pd.DataFrame(rows, columns=["table", "rows_for_la", "periods", "built_from"])
