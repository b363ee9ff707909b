"""Run DfE's SSDA903 validation rules on one folder of CSVs; print the rules fired as JSON.

This file runs inside the validator's own environment (``.venv-903``: ``csc-validator-be-903``
pins pandas<2), not the project's, so it imports nothing from ``solihull_analytics``.
``scripts/validate_903.py`` creates that environment and calls this script.

Usage: ``python run_903_rules.py FOLDER YEAR LA_CODE``, where ``YEAR`` is the 31 March the
collection year ends (2019 for 2018-19). The ruleset is the package's own for that year when it
has one, else its oldest (``lac2022_23``). Prints ``{"ruleset", "fired": {code: rows},
"failed": [codes], "rules_run": n}``.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import sys
from pathlib import Path

TABLE_FILES = ("header.csv", "episodes.csv", "uasc.csv")


def ruleset_for(year: int) -> str:
    """The validator's ruleset module for the collection year ending 31 March ``year``."""
    rules = importlib.import_module("lac_validator.rules").__path__  # a namespace package
    available = sorted({p.name for d in rules for p in Path(d).glob("lac20*_*") if p.is_dir()})
    wanted = f"lac{year - 1}_{str(year)[2:]}"
    return wanted if wanted in available else available[0]


def run(folder: Path, year: int, la_code: str) -> dict:
    """Run every rule of the year's ruleset on the folder's tables; return what fired."""
    logging.disable(logging.WARNING)  # the engine logs every rule at INFO
    from lac_validator.lac_validator import LacValidator

    ruleset = ruleset_for(year)
    registry = importlib.import_module(f"lac_validator.rules.{ruleset}").registry
    files = [
        {"name": name, "description": "This year", "file_content": (folder / name).read_bytes()}
        for name in TABLE_FILES
        if (folder / name).exists()
    ]
    with contextlib.redirect_stdout(sys.stderr):  # some rules print; keep stdout for the JSON
        v = LacValidator(
            metadata={"collectionYear": str(year), "localAuthority": la_code},
            files=files,
            registry=registry,
        )
    fired: dict[str, int] = {}
    for table, df in v.ds_results.items():
        if table == "metadata":
            continue
        for col in df.columns:
            if col.startswith("ERR_"):
                n = int((df[col] == True).sum())  # noqa: E712 (object column of True/NaN)
                if n:
                    fired[col[4:]] = fired.get(col[4:], 0) + n
    return {
        "ruleset": ruleset,
        "rules_run": len(registry),
        "fired": dict(sorted(fired.items())),
        "failed": sorted(map(str, v.fails)),
    }


if __name__ == "__main__":
    folder_arg, year_arg, la_arg = sys.argv[1:4]
    print(json.dumps(run(Path(folder_arg), int(year_arg), la_arg)))
