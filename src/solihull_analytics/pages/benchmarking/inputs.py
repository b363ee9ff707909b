"""Read page 05's inputs once: the processed tables and the release registry's facts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from solihull_analytics import releases as registry
from solihull_analytics.pages.benchmarking.measures import CIN_MEASURES, BenchmarkInputs, split_ids


def load_inputs(
    processed_dir: Path | str | None = None, *, read: Callable[[str], Any] | None = None
) -> BenchmarkInputs:
    """Read the processed tables used by the benchmarking page.

    Parameters
    ----------
    processed_dir : Path or str, optional
        Processed tables folder (default ``data/processed``).
    read : callable, optional
        Reads a table by name instead (the build's reader, when it computes the analysis
        tables); default :func:`~solihull_analytics.build.read_table` from ``processed_dir``.

    Returns
    -------
    BenchmarkInputs
        Tables plus ``source_ids``: catalogue ids behind each kind of figure (``cla``,
        ``population``, ``cin``, ``workforce``, ``iod``), and the registry's order of IoD
        releases and population vintages.
    """
    from solihull_analytics import paths
    from solihull_analytics.build import read_table

    pdir = Path(processed_dir) if processed_dir else paths.processed_dir()
    if read is None:
        def read(name: str) -> Any:
            return read_table(name, pdir)
    cla = read("cla_la_year")
    population = read("population_la_year")
    cin = read("cin_la_year")
    cin = cin[cin["measure"].isin(list(CIN_MEASURES))].copy()
    workforce = read("workforce_la_year")
    iod = read("iod_lsoa")
    # Releases with IDACI ranks; Census weights from the latest census (release registry).
    ranked = iod.loc[iod["idaci_rank"].notna(), "release"].unique()
    iod = iod[iod["release"].isin(ranked)].copy()
    census = registry.get("census", registry.LATEST)
    pop_lsoa = read("population_lsoa")
    pop_lsoa = pop_lsoa[
        (pop_lsoa["source"] == census.fact("lsoa_source")) & (pop_lsoa["age_band"] == "0-15")
    ].copy()
    las = read("children_services_la")
    ids = {
        "cla": split_ids(pd.concat([cla["source_id"], cla["uasc_source_id"]])),
        "population": split_ids(population["source_id"]),
        "cin": split_ids(cin["source_id"]),
        "workforce": split_ids(workforce["source_id"]),
        "iod": split_ids(pd.concat([iod["source_id"], pop_lsoa["source_id"]])),
    }
    return BenchmarkInputs(
        cla, population, cin, workforce, iod, pop_lsoa, las, ids,
        iod_order=registry.labels("iod"), population_order=registry.order_of("population"),
        census_label=census.label,
    )
