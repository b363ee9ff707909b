"""Page 05's national analysis as analysis tables, computed once per data build.

:func:`national_benchmark` with the notebook's default options (:data:`DEFAULTS`) is the same
for every LA, so the build computes it once (:mod:`solihull_analytics.analysis_tables`) into
four tables, and :func:`read_national` gives the page the same :class:`NationalBenchmark` back:

- ``benchmark_rates``: :func:`.measures.la_year_rates`, every LA and England, every year;
- ``benchmark_deprivation``: :func:`.measures.deprivation_by_la`, every IoD release with ranks;
- ``benchmark_models``: the main model's ``data`` (``fit`` 0) and each sensitivity refit's
  (``fit`` 1, 2, ...), with each fit's scalars, diagnostics and coefficient covariance, the
  resolved options and the catalogue ids behind the figures in the table's ``attrs``;
- ``benchmark_params``: each fit's coefficient table, by ``fit``.

The funnels and the change over the window are recomputed from these (a few milliseconds).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa

from solihull_analytics.analysis_tables import Reader, analysis, read_analysis
from solihull_analytics.methods.count_model import DeprivationModel
from solihull_analytics.pages.benchmarking.compute import (
    NationalBenchmark,
    SensitivityFit,
    change_against_deprivation,
    funnel_table,
    national_benchmark,
    oe_funnel_table,
    rate_change,
)
from solihull_analytics.pages.benchmarking.inputs import load_inputs
from solihull_analytics.pages.benchmarking.measures import SERIES, BenchmarkInputs

#: The notebook's default options: the analysis the build computes.
DEFAULTS: dict[str, Any] = {"year": 0, "cla_series": "non_uasc", "iod_release": "latest",
                            "change_years": 5}
RATES, DEPRIVATION, MODELS, PARAMS = (
    "benchmark_rates", "benchmark_deprivation", "benchmark_models", "benchmark_params")
#: Processed tables the analysis reads (those :func:`.inputs.load_inputs` reads).
INPUT_TABLES = ("cla_la_year", "population_la_year", "cin_la_year", "workforce_la_year",
                "iod_lsoa", "population_lsoa", "children_services_la")
#: Model fields kept as scalars in ``benchmark_models``' attrs.
MODEL_SCALARS = ("series", "covariate", "release", "year", "size", "quadratic", "size_centre",
                 "alpha", "alpha_lower", "alpha_upper", "diagnostics")

_CODE = pa.Column(str, pa.Check.str_matches(r"^E\d{8}$"))
SCHEMAS: dict[str, pa.DataFrameSchema] = {
    RATES: pa.DataFrameSchema(
        {"la_code": _CODE, "year": pa.Column(int, pa.Check.in_range(1990, 2100)),
         "population_0_17": pa.Column(float, pa.Check.ge(0), nullable=True),
         **{f"rate_{count}": pa.Column(float, pa.Check.ge(0), nullable=True)
            for count, _label in SERIES.values()}},
        unique=["la_code", "year"],
    ),
    DEPRIVATION: pa.DataFrameSchema(
        {"la_code": _CODE, "release": pa.Column(str),
         "idaci_top20_share": pa.Column(float, pa.Check.in_range(0, 100), nullable=True)},
        unique=["la_code", "release"],
    ),
    MODELS: pa.DataFrameSchema(
        {"fit": pa.Column(int, pa.Check.ge(0)), "la_code": _CODE,
         "observed": pa.Column(float, pa.Check.ge(0)),
         "expected": pa.Column(float, pa.Check.gt(0)), "oe": pa.Column(float, pa.Check.ge(0)),
         "oe_rank": pa.Column(int, pa.Check.ge(1))},
        unique=["fit", "la_code"],
    ),
    PARAMS: pa.DataFrameSchema(
        {"fit": pa.Column(int, pa.Check.ge(0)), "term": pa.Column(str),
         "coef": pa.Column(float),
         "rate_ratio": pa.Column(float, pa.Check.gt(0), nullable=True)},
        unique=["fit", "term"],
    ),
}


@dataclass
class NationalSources:
    """What page 05 needs from its inputs besides the national result: catalogue ids by kind
    (as :attr:`BenchmarkInputs.source_ids`), the census weights' label and the workforce."""

    source_ids: dict[str, list[str]]
    census_label: str
    workforce: pd.DataFrame = field(repr=False)


def _fits(nat: NationalBenchmark) -> list[tuple[str, DeprivationModel]]:
    return [("main", nat.model), *((f.label, f.model) for f in nat.sensitivity)]


def _model_meta(label: str, model: DeprivationModel) -> dict[str, Any]:
    meta = {name: getattr(model, name) for name in MODEL_SCALARS}
    meta["label"] = label
    meta["coef_cov"] = None if model.coef_cov is None else model.coef_cov.tolist()
    return meta


def to_frames(nat: NationalBenchmark, inputs: BenchmarkInputs) -> dict[str, pd.DataFrame]:
    """The analysis tables of a national result (see the module docstring)."""
    fits = _fits(nat)
    models = pd.concat([m.data.assign(fit=i) for i, (_label, m) in enumerate(fits)],
                       ignore_index=True)
    params = pd.concat([m.params.assign(fit=i) for i, (_label, m) in enumerate(fits)],
                       ignore_index=True)
    models.attrs["analysis"] = {
        "options": {"year": nat.year, "cla_series": nat.cla_series,
                    "iod_release": nat.iod_release, "change_years": nat.change_years},
        "england_rate": nat.england_rate,
        "fits": [_model_meta(label, m) for label, m in fits],
        "sensitivity": [[f.series, f.release, f.measure] for f in nat.sensitivity],
        "cla_ids": nat.cla_ids,
        "source_ids": inputs.source_ids,
        "census_label": inputs.census_label,
    }
    frames = {RATES: nat.rates, DEPRIVATION: nat.dep, MODELS: models, PARAMS: params}
    return {name: _with_dtypes(df) for name, df in frames.items()}


def _with_dtypes(df: pd.DataFrame) -> pd.DataFrame:
    """A shallow copy recording which columns hold Python objects (text, mostly), which parquet
    would give back as pandas' string dtype: :func:`_restore_dtypes` makes them objects again,
    so that the page sees the frames the computation made."""
    out = df.copy(deep=False)
    out.attrs = {**df.attrs, "object_columns": [c for c in df.columns if df[c].dtype == object]}
    return out


def _restore_dtypes(df: pd.DataFrame) -> pd.DataFrame:
    """The frame as computed: object columns restored, and no attrs (which pandas would
    deep-copy on every operation)."""
    cols = df.attrs.get("object_columns", [])
    out = df.copy(deep=False)
    out.attrs = {}
    if cols:
        out = out.astype(dict.fromkeys(cols, object))
    for col in cols:  # missing text was None before parquet
        out[col] = out[col].where(out[col].notna(), None)
    return out


@analysis("benchmark_national", tables=INPUT_TABLES, outputs=SCHEMAS,
          release_kinds=("iod", "population", "census"))
def build_national(read: Reader) -> dict[str, pd.DataFrame]:
    """Page 05's national benchmark (rates, deprivation, model and refits), default options."""
    inputs = load_inputs(read=read)
    return to_frames(national_benchmark(inputs, **DEFAULTS), inputs)


def _model(meta: dict[str, Any], data: pd.DataFrame, params: pd.DataFrame) -> DeprivationModel:
    cov = meta["coef_cov"]
    return DeprivationModel(
        data=data, params=params, coef_cov=None if cov is None else np.asarray(cov, dtype=float),
        **{name: meta[name] for name in MODEL_SCALARS},
    )


def from_frames(frames: dict[str, pd.DataFrame]) -> NationalBenchmark:
    """The :class:`NationalBenchmark` the analysis tables hold (inverse of :func:`to_frames`)."""
    meta = frames[MODELS].attrs["analysis"]
    frames = {name: _restore_dtypes(df) for name, df in frames.items()}
    models, params = frames[MODELS], frames[PARAMS]

    def part(table: pd.DataFrame, i: int) -> pd.DataFrame:
        return table[table["fit"] == i].drop(columns="fit").reset_index(drop=True)

    fitted = [_model(m, part(models, i), part(params, i)) for i, m in enumerate(meta["fits"])]
    opts = meta["options"]
    rates_all, dep = frames[RATES], frames[DEPRIVATION]
    rate_col = f"rate_{SERIES[opts['cla_series']][0]}"
    dep_now = dep[dep["release"] == opts["iod_release"]].set_index("la_code")["idaci_top20_share"]
    change, england_change = change_against_deprivation(
        rate_change(rates_all, rate_col, opts["year"] - opts["change_years"], opts["year"]),
        dep_now,
    )
    sensitivity = [SensitivityFit(m["label"], s, r, c, model) for m, (s, r, c), model
                   in zip(meta["fits"][1:], meta["sensitivity"], fitted[1:], strict=True)]
    return NationalBenchmark(
        **opts, rates=rates_all, dep=dep, model=fitted[0], sensitivity=sensitivity,
        funnel=funnel_table(fitted[0].data, meta["england_rate"]),
        oe_funnel=oe_funnel_table(fitted[0]), change=change,
        england_rate=meta["england_rate"], england_change=england_change,
        cla_ids=list(meta["cla_ids"]),
    )


def matches(options: dict[str, Any], stored: dict[str, Any]) -> bool:
    """Whether the options asked for resolve to the stored analysis's (0/"latest": stored)."""
    return (
        options["cla_series"] == stored["cla_series"]
        and options["change_years"] == stored["change_years"]
        and (options["year"] or stored["year"]) == stored["year"]
        and options["iod_release"] in ("latest", stored["iod_release"])
    )


def read_national(
    processed_dir: Path | None, options: dict[str, Any]
) -> tuple[NationalSources, NationalBenchmark] | None:
    """The stored national result when ``options`` resolve to it, else ``None``.

    Raises (from :func:`~solihull_analytics.analysis_tables.read_analysis`) when a table is
    missing, fails its hash or is stale: it is never recomputed in its place.
    """
    from solihull_analytics.table_reader import read_table

    models = read_analysis(MODELS, processed_dir)
    meta = models.attrs["analysis"]
    if not matches(options, meta["options"]):
        return None
    frames = {MODELS: models, **{t: read_analysis(t, processed_dir)
                                 for t in (RATES, DEPRIVATION, PARAMS)}}
    sources = NationalSources(meta["source_ids"], meta["census_label"],
                              read_table("workforce_la_year", processed_dir))
    return sources, from_frames(frames)
