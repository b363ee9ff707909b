"""Page 00's reading part: the catalogue, the table registry and the processed tables.

Everything page 00 reads is read here, once, by :func:`read_inputs`; what it computes from
them is in :mod:`~solihull_analytics.pages.data_sources.compute`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from solihull_analytics import paths
from solihull_analytics.build import load_registry, read_table, table_columns
from solihull_analytics.catalogue import load_catalogue
from solihull_analytics.pages.data_sources import compute
from solihull_analytics.processed import manifest


@dataclass
class Inputs:
    """What page 00 reads: the catalogue entries and, for an LA, the coverage of each table."""

    sources: pd.DataFrame
    coverage: pd.DataFrame


def catalogue_entries(raw_dir: Path | None = None) -> pd.DataFrame:
    """One row per catalogue entry: its facts and whether its raw file is present.

    Returns
    -------
    pandas.DataFrame
        Columns ``id``, ``title``, ``publisher``, ``release``, ``licence``, ``kind``,
        ``sha256_short``, ``present``, ``mirrored``, ``download_url`` and ``landing_page``.
    """
    raw_dir = raw_dir or paths.raw_dir()
    rows = [
        {
            "id": e.id,
            "title": e.title,
            "publisher": e.publisher,
            "release": e.release,
            "licence": e.licence,
            "kind": e.kind,
            "sha256_short": e.short_sha256,
            "present": e.raw_path(raw_dir).exists(),
            "mirrored": e.mirrored,
            "download_url": e.download_url,
            "landing_page": e.landing_page,
        }
        for e in load_catalogue().values()
    ]
    return pd.DataFrame(rows)


def table_inputs() -> dict[str, list[str]]:
    """Processed table name -> the catalogue ids it declares (required, then optional), in name
    order: the registry's own order follows which source modules were imported first, so a
    kernel kept across pages listed a file's tables in another order than a fresh one."""
    registry = load_registry()
    return {name: [*registry[name].inputs, *registry[name].optional_inputs]
            for name in sorted(registry)}


def la_tables(
    processed_dir: Path, la_code: str
) -> Iterator[tuple[str, pd.DataFrame, list[str]]]:
    """Each built, non-geographic table with an ``la_code`` column, in name order.

    Yields ``(name, the LA's rows, inputs it was built from)``, one table at a time. Only the
    ``la_code`` and period columns of the LA's rows are read (issue 16: every table whole was
    the pack's biggest memory use).
    """
    built = manifest(processed_dir)
    registry = load_registry()
    for name in sorted(built):
        spec = registry.get(name)
        if spec is None or spec.geo:
            continue
        names = table_columns(name, processed_dir)
        if "la_code" in names:
            wanted = ["la_code", *(c for c in compute.PERIOD_COLUMNS if c in names)]
            df = read_table(name, processed_dir, columns=wanted,
                            filters=[("la_code", "==", la_code)])
            yield name, df, list(built[name].get("inputs", []))


def read_inputs(la_code: str, processed_dir: Path | None = None,
                raw_dir: Path | None = None) -> Inputs:
    """Read what page 00 shows for ``la_code``: the catalogue and each table's coverage."""
    processed_dir = processed_dir or paths.processed_dir()
    sources = compute.sources_table(catalogue_entries(raw_dir), table_inputs())
    rows = [compute.coverage_row(name, df, la_code, built_from)
            for name, df, built_from in la_tables(processed_dir, la_code)]
    return Inputs(sources=sources, coverage=compute.coverage_table(rows))
