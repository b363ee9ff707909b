"""Fingerprints of the pages' headline JSON, for the behaviour-unchanged snapshot (issue 15).

The fingerprint covers what a page publishes as figures and words: title, summary, headlines,
missing-data notes and sources. It leaves out the run date (replaced by a placeholder wherever it
appears), the suite version and the notebook's file name (notebook 03 was renamed). Only sha256
fingerprints are kept in the repository, never the figures themselves.

Run as a script to (re)write ``tests/snapshots/headline_sha256.json`` from a rendered reports
folder, after checking by eye that any change is intended::

    python tests/headline_snapshot.py reports/
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

SNAPSHOT = Path(__file__).parent / "snapshots" / "headline_sha256.json"
#: Solihull, Kent, Westminster and the Isles of Scilly: a metropolitan district, a county, a
#: London borough and the smallest LA.
SNAPSHOT_LAS = ("E08000029", "E10000016", "E09000033", "E06000053")
#: Page number -> the words its fingerprint is filed under (stable across renames).
PAGES = {"00": "data_sources", "01": "cla_trend", "02": "idaci_deprivation",
         "03": "sub_area_profile", "04": "cla_deprivation_gradient", "05": "benchmarking"}


def fingerprint(doc: dict) -> str:
    """sha256 of a page's headline document, without run date, version or notebook name."""
    kept = {k: doc.get(k) for k in ("title", "summary", "la_code", "la_name", "synthetic",
                                    "sources", "headlines", "missing_data")}
    text = json.dumps(kept, sort_keys=True, ensure_ascii=False)
    if doc.get("run_date"):
        text = text.replace(doc["run_date"], "<run_date>")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def pack_fingerprints(pack: Path) -> dict[str, str]:
    """Fingerprint of each page in one LA's pack folder, keyed by page number and name."""
    out = {}
    for path in sorted(pack.glob("[0-9][0-9]_*.json")):
        number = path.name[:2]
        out[f"{number}_{PAGES[number]}"] = fingerprint(json.loads(path.read_text("utf-8")))
    return out


def main(reports: Path) -> None:
    snapshot = {code: pack_fingerprints(reports / code) for code in SNAPSHOT_LAS}
    SNAPSHOT.parent.mkdir(exist_ok=True)
    SNAPSHOT.write_text(json.dumps(snapshot, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {SNAPSHOT} ({sum(len(v) for v in snapshot.values())} pages)")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
