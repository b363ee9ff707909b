"""Page 00's sentences."""

from __future__ import annotations


def published_files(n_available: int, n_publishers: int, n_missing: int) -> str:
    """The paragraph above the table of files used."""
    return (
        f"This pack draws on **{n_available} published files** from {n_publishers} publishers. "
        f"Each was checked against the sha256 checksum of the published bytes before use. "
        f"{n_missing} further official files are catalogued but not available "
        "here; pages that need them say so."
    )


def coverage(la_name: str, la_code: str, n_with_rows: int, n_tables: int) -> str:
    """The paragraph above the coverage table."""
    return (
        f"{la_name} ({la_code}) appears in {n_with_rows} of the {n_tables} local-authority "
        "tables built from these files. The table gives the number of rows for this authority and "
        "the first and last period covered."
    )


def not_available(n_missing: int) -> str:
    """The paragraph above the table of files not available here."""
    if not n_missing:
        return "Every catalogued file is available."
    return (
        f"{n_missing} catalogued files are not in the local mirror. Download them from the "
        "address shown and rerun `make reports`; the same code then uses them."
    )


SUMMARY = "Where every figure in this pack comes from."
#: Headline period when the run has no date (interactive use).
PERIOD_WITHOUT_RUN_DATE = "this run"
