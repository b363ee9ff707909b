"""Headline figures as data: each page declares its headlines in a specification table.

A page's ``headlines.yaml`` lists, for each headline, its name, label, unit, the period and the
sentence as templates, and how many decimals the value keeps. The page's code supplies only the
numbers and the words that vary (``fields``); :func:`build_headlines` fills in the templates and
returns keyword arguments for :meth:`solihull_analytics.report.page.Page.headline`.

Examples
--------
>>> spec = HeadlineSpec(name="cla_rate", label="Children looked after rate",
...                     unit="per 10,000 aged 0-17", period="31 March {year}",
...                     statement="{area}: {value:.1f} per 10,000 at 31 March {year}.",
...                     decimals=1)
>>> h = build_headline(spec, HeadlineValues("cla_rate", 99.66, ["cla2025"], area="Solihull",
...                                         fields={"year": 2025}))
>>> h["value"], h["period"], h["statement"]
(99.7, '31 March 2025', 'Solihull: 99.7 per 10,000 at 31 March 2025.')

One specification can give a headline per release, each published under its own name:

>>> per_release = HeadlineSpec(name="lsoas_most_deprived", label="LSOAs ({release})",
...                            unit="LSOAs", period="{release}", statement="{value} LSOAs.",
...                            published_name="lsoas_most_deprived_{release_key}")
>>> build_headline(per_release, HeadlineValues("lsoas_most_deprived", 20, ["iod2025"],
...                fields={"release": "IoD2025", "release_key": "iod2025"}))["name"]
'lsoas_most_deprived_iod2025'
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

#: Keys a specification may give; ``name``, ``label``, ``unit``, ``period`` and ``statement``
#: are required.
SPEC_KEYS = ("name", "label", "unit", "period", "statement", "statement_missing", "note",
             "note_only_when_missing", "published_name", "decimals")


class HeadlineSpecError(ValueError):
    """A headline specification or the values given for it do not fit together."""


@dataclass(frozen=True)
class HeadlineSpec:
    """One row of a page's headline specification table.

    ``label``, ``period``, ``statement``, ``statement_missing`` and ``note`` are
    :meth:`str.format` templates over the headline's ``fields`` plus ``value``, ``lower``,
    ``upper`` and ``area``.
    ``statement_missing`` is used when the value is missing (default: ``statement``).
    ``published_name`` is a template for the name the headline is published under, where one
    specification gives a headline per release or period (default: ``name``).
    ``note_only_when_missing`` keeps ``note`` only for a missing value (a note that says which
    file would fill it in).
    """

    name: str
    label: str
    unit: str
    period: str
    statement: str
    statement_missing: str | None = None
    note: str | None = None
    note_only_when_missing: bool = False
    published_name: str | None = None
    decimals: int | None = None


@dataclass
class HeadlineValues:
    """What a page computed for one headline: the numbers and the words that vary."""

    name: str
    value: float | int | str | None
    source_ids: Sequence[str]
    lower: float | None = None
    upper: float | None = None
    area: str | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)


def load_specs(path: str | Path) -> dict[str, HeadlineSpec]:
    """Read a page's ``headlines.yaml`` (a list of mappings), keyed by headline name."""
    path = Path(path)
    rows = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    specs: dict[str, HeadlineSpec] = {}
    for i, row in enumerate(rows, start=1):
        unknown = set(row) - set(SPEC_KEYS)
        missing = {"name", "label", "unit", "period", "statement"} - set(row)
        if unknown or missing:
            raise HeadlineSpecError(
                f"{path.name}: headline {i} ({row.get('name', '?')}): "
                + (f"unknown keys {sorted(unknown)}" if unknown else f"missing {sorted(missing)}")
            )
        if row["name"] in specs:
            raise HeadlineSpecError(f"{path.name}: headline {row['name']!r} is declared twice")
        specs[row["name"]] = HeadlineSpec(**row)
    return specs


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _rounded(value: Any, decimals: int | None) -> Any:
    if decimals is None or _missing(value) or isinstance(value, str):
        return value
    return int(round(float(value))) if decimals == 0 else round(float(value), decimals)


def build_headline(spec: HeadlineSpec, values: HeadlineValues) -> dict[str, Any]:
    """Fill in ``spec``'s templates with ``values``; keyword arguments for ``Page.headline``."""
    if values.name != spec.name:
        raise HeadlineSpecError(f"values for {values.name!r} given to spec {spec.name!r}")
    context = {**values.fields, "value": values.value, "lower": values.lower,
               "upper": values.upper, "area": values.area}
    missing = _missing(values.value)
    statement = spec.statement
    if missing and spec.statement_missing is not None:
        statement = spec.statement_missing
    try:
        out: dict[str, Any] = dict(
            name=(spec.published_name or spec.name).format_map(context),
            value=_rounded(values.value, spec.decimals),
            unit=spec.unit,
            period=spec.period.format_map(context),
            source_ids=list(values.source_ids),
            statement=statement.format_map(context),
            label=spec.label.format_map(context),
        )
        if spec.note is not None and (missing or not spec.note_only_when_missing):
            out["note"] = spec.note.format_map(context)
    except (KeyError, ValueError, TypeError) as exc:
        raise HeadlineSpecError(
            f"headline {spec.name!r}: cannot fill its template ({exc})"
        ) from exc
    for key in ("lower", "upper"):
        value = getattr(values, key)
        if value is not None:
            out[key] = _rounded(value, spec.decimals)
    if values.area is not None:
        out["area"] = values.area
    return out


def build_headlines(
    specs: Mapping[str, HeadlineSpec], values: Iterable[HeadlineValues]
) -> list[dict[str, Any]]:
    """Headlines in the order ``values`` gives them; every value must have a specification."""
    out = []
    for v in values:
        if v.name not in specs:
            raise HeadlineSpecError(f"no specification for headline {v.name!r}")
        out.append(build_headline(specs[v.name], v))
    return out
