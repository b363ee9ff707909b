"""CSV downloads of a page's tables and chart data, written beside the page.

Each table (and each chart given its data) of page ``NN_name`` is written as
``reports/<LA>/NN_name/<stem>.csv`` and linked under the table or chart. Stems are stable from
year to year: they come from a name the section gives, or from the caption with numbers and the
LA's name taken out. Each CSV holds the full table (every row and column, as numbers where the
section passed numbers, rounded as the page rounds them) plus provenance columns:

``source``
    the table's source line (or the page title when it has none);
``page``
    the page it belongs to, e.g. ``01_cla_trend``;
``la_code``
    the local authority;
``run_date``
    the date the pack was run;
``produced_by``
    ``solihull-analytics <version>``.

A column of the table with one of these names is kept as it is. Files are UTF-8 with a byte
order mark, so that Excel on Windows opens them with the right characters.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from solihull_analytics import __version__

if TYPE_CHECKING:  # the kernels write the tables; the report's parent only publishes the files
    import pandas as pd

PROVENANCE_COLUMNS = ("source", "page", "la_code", "run_date", "produced_by")
_WORD = re.compile(r"[a-z]+")
_STEM_WORDS = 6


def stem_from(text: str, drop: str = "") -> str:
    """Return a stable file stem from a caption: lower-case words, numbers and ``drop`` removed.

    >>> stem_from("Solihull: LSOAs by national IDACI decile, 2019", drop="Solihull")
    'lsoas_by_national_idaci_decile'
    """
    if drop:
        text = text.replace(drop, " ")
    words = _WORD.findall(text.lower())
    return "_".join(words[:_STEM_WORDS]) or "table"


def safe_stem(name: str) -> str:
    """Return ``name`` reduced to ``[a-z0-9_]`` (a name a section chose, made path-safe)."""
    stem = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_")
    return stem or "table"


class Downloads:
    """The CSV files of one page: unique stems, provenance columns, relative links."""

    def __init__(
        self, folder: Path | None, page: str, la_code: str, run_date: str, default_source: str
    ) -> None:
        self.folder = folder
        self.page = page
        self.la_code = la_code
        self.run_date = run_date
        self.default_source = default_source
        self.used: set[str] = set()

    def unique(self, stem: str) -> str:
        """Return ``stem``, or ``stem_2``, ``stem_3``... if the page already used it."""
        candidate, n = stem, 1
        while candidate in self.used:
            n += 1
            candidate = f"{stem}_{n}"
        self.used.add(candidate)
        return candidate

    def write(self, df: pd.DataFrame, stem: str, source: str | None) -> str | None:
        """Write ``df`` with provenance as ``<folder>/<stem>.csv``; return the link, or None.

        Nothing is written (and None returned) in interactive use, where the page has no
        output folder.
        """
        stem = self.unique(safe_stem(stem))
        if self.folder is None:
            return None
        out = df.copy()
        provenance = {
            "source": source or self.default_source,
            "page": self.page,
            "la_code": self.la_code,
            "run_date": self.run_date,
            "produced_by": f"solihull-analytics {__version__}",
        }
        for column, value in provenance.items():
            if column not in out.columns:
                out[column] = value
        self.folder.mkdir(parents=True, exist_ok=True)
        out.to_csv(self.folder / f"{stem}.csv", index=False, encoding="utf-8-sig")
        return f"{self.page}/{stem}.csv"


def publish(staged: Path, target: Path) -> None:
    """Move a page's staged CSV folder into place, replacing the previous one whole.

    When the new render wrote no CSV files, the previous folder is removed, so that no stale
    download stays beside a page that no longer links it.
    """
    import shutil
    import tempfile

    old = None
    if target.exists():
        old = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".old-{target.name}-"))
        target.rename(old / target.name)
    if staged.is_dir():
        staged.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
