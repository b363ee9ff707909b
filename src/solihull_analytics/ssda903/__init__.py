"""An LA's own SSDA903 (children looked after) return: reading it, checking it, the cohort of a
collection year, and synthetic extracts for demonstration and tests.

Modules: :mod:`~solihull_analytics.ssda903.folder` (which extract a run uses, its fingerprint,
the error), :mod:`~solihull_analytics.ssda903.extract` (the return's tables and columns, the error
and the checked extract), :mod:`~solihull_analytics.ssda903.read` (which folder; CSV, workbook
and XML files; which file is which table), :mod:`~solihull_analytics.ssda903.checks` (date
formats, row checks, :func:`load_extract`), :mod:`~solihull_analytics.ssda903.cohort` (the
children looked after in a collection year) and :mod:`~solihull_analytics.ssda903.synthetic`
(generated extracts with a known deprivation gradient). The names callers use are re-exported
here, so ``from solihull_analytics import ssda903`` and ``ssda903.load_extract(...)`` work;
they are imported when first used, so that the report's parent process, which needs only
:mod:`~solihull_analytics.ssda903.folder` (which extract, its fingerprint, the error), does not
import pandas (issue 16: about 40 MB and 0.4 s of every pack).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: Each re-exported name, and the module it lives in.
_EXPORTS = {
    "load_extract": "checks",
    "Cohort": "cohort",
    "build_cohort": "cohort",
    "collection_year_dates": "cohort",
    "COLUMNS": "extract",
    "DATE_COLUMNS": "extract",
    "REQUIRED": "extract",
    "RETURN_TABLES": "extract",
    "TABLE_TITLES": "extract",
    "TABLES": "extract",
    "SSDA903Extract": "extract",
    "SSDA903Error": "folder",
    "fingerprint": "folder",
    "requested_folder": "folder",
    "classify": "read",
    "find_tables": "read",
    "has_extract": "read",
}

__all__ = [
    "COLUMNS",
    "DATE_COLUMNS",
    "REQUIRED",
    "RETURN_TABLES",
    "TABLES",
    "TABLE_TITLES",
    "Cohort",
    "SSDA903Error",
    "SSDA903Extract",
    "build_cohort",
    "classify",
    "collection_year_dates",
    "find_tables",
    "fingerprint",
    "has_extract",
    "load_extract",
    "requested_folder",
]

if TYPE_CHECKING:
    from solihull_analytics.ssda903.checks import load_extract
    from solihull_analytics.ssda903.cohort import Cohort, build_cohort, collection_year_dates
    from solihull_analytics.ssda903.extract import (
        COLUMNS,
        DATE_COLUMNS,
        REQUIRED,
        RETURN_TABLES,
        TABLE_TITLES,
        TABLES,
        SSDA903Extract,
    )
    from solihull_analytics.ssda903.folder import SSDA903Error, fingerprint, requested_folder
    from solihull_analytics.ssda903.read import classify, find_tables, has_extract


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
