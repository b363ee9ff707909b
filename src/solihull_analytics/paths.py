"""Where the suite keeps its files.

Every location can be overridden by an environment variable, so tests and benchmarks can work in
a temporary folder without touching the analyst's caches.

=========================  ====================================  =================================
what                       default                               override
=========================  ====================================  =================================
project root               the repository holding this package   ``SOLIHULL_PROJECT_ROOT``
data folder                ``<root>/data``                       ``SOLIHULL_DATA_DIR``
raw cache                  ``<data>/raw``                        (follows the data folder)
processed tables           ``<data>/processed``                  (follows the data folder)
catalogue                  ``<root>/data/catalogue.yaml``        ``SOLIHULL_CATALOGUE``
mirror of published files  ``<root>/../shared/data`` if present  ``SOLIHULL_DATA_MIRROR``
reports                    ``<root>/reports``                    ``SOLIHULL_REPORTS_DIR``
notebooks                  ``<root>/notebooks``                  ``SOLIHULL_NOTEBOOKS_DIR``
private SSDA903 extract    ``<data>/private``                    ``SOLIHULL_PRIVATE_DIR``
=========================  ====================================  =================================
"""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    """Return the repository root (the folder holding ``pyproject.toml``)."""
    env = os.environ.get("SOLIHULL_PROJECT_ROOT")
    if env:
        return Path(env).resolve()
    return Path(__file__).resolve().parents[2]


def data_dir() -> Path:
    """Return the data folder that holds ``raw/`` and ``processed/``."""
    env = os.environ.get("SOLIHULL_DATA_DIR")
    return Path(env).resolve() if env else project_root() / "data"


def raw_dir() -> Path:
    """Return the cache of published files, exactly as published (read-only once verified)."""
    return data_dir() / "raw"


def processed_dir() -> Path:
    """Return the folder of tidy, schema-validated parquet tables."""
    return data_dir() / "processed"


def private_dir() -> Path:
    """Return the default folder for an LA's own SSDA903 extract (git-ignored)."""
    env = os.environ.get("SOLIHULL_PRIVATE_DIR")
    return Path(env).resolve() if env else data_dir() / "private"


def catalogue_path() -> Path:
    """Return the data catalogue file."""
    env = os.environ.get("SOLIHULL_CATALOGUE")
    return Path(env).resolve() if env else project_root() / "data" / "catalogue.yaml"


def reports_dir() -> Path:
    """Return the folder the HTML pack is written to."""
    env = os.environ.get("SOLIHULL_REPORTS_DIR")
    return Path(env).resolve() if env else project_root() / "reports"


def notebooks_dir() -> Path:
    """Return the folder of report notebooks."""
    env = os.environ.get("SOLIHULL_NOTEBOOKS_DIR")
    return Path(env).resolve() if env else project_root() / "notebooks"


def default_mirror() -> Path | None:
    """Return the mirror folder to fetch from, or ``None`` when there is none.

    ``SOLIHULL_DATA_MIRROR`` wins (an empty value means "no mirror: use the official URLs");
    otherwise ``../shared/data`` beside the repository is used when it exists.
    """
    if "SOLIHULL_DATA_MIRROR" in os.environ:
        env = os.environ["SOLIHULL_DATA_MIRROR"].strip()
        return Path(env).resolve() if env else None
    candidate = project_root().parent / "shared" / "data"
    return candidate if candidate.is_dir() else None
