"""An LA's own SSDA903 (children looked after) return: reading it, checking it, the cohort of a
collection year, and synthetic extracts for demonstration and tests.

Modules: :mod:`~solihull_analytics.ssda903.extract` (the return's tables and columns, the error
and the checked extract), :mod:`~solihull_analytics.ssda903.read` (which folder; CSV, workbook
and XML files; which file is which table), :mod:`~solihull_analytics.ssda903.checks` (date
formats, row checks, :func:`load_extract`), :mod:`~solihull_analytics.ssda903.cohort` (the
children looked after in a collection year) and :mod:`~solihull_analytics.ssda903.synthetic`
(generated extracts with a known deprivation gradient). The names callers use are re-exported
here, so ``from solihull_analytics import ssda903`` and ``ssda903.load_extract(...)`` work.
"""

from solihull_analytics.ssda903.checks import load_extract
from solihull_analytics.ssda903.cohort import Cohort, build_cohort, collection_year_dates
from solihull_analytics.ssda903.extract import (
    COLUMNS,
    DATE_COLUMNS,
    REQUIRED,
    RETURN_TABLES,
    TABLE_TITLES,
    TABLES,
    SSDA903Error,
    SSDA903Extract,
)
from solihull_analytics.ssda903.read import (
    classify,
    find_tables,
    fingerprint,
    has_extract,
    requested_folder,
)

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
