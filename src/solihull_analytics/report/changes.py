"""What changed since the last pack: each headline figure against the previous pack's.

Every page writes ``reports/<LA>/<page>.json`` with its headline figures. When a page is
rendered again and its headline figures differ from those already there, the old JSON is kept
as ``reports/<LA>/previous/<page>.json`` before the new one replaces it. The front page then
shows, for each headline figure, the previous value and the change, so a second run after a
new release needs nothing from the user. A rerun that changes no figure keeps the previous
pack as it was (running twice does not lose the comparison). ``--compare-with DIR`` compares
with another pack instead (a folder of page JSON files, or a reports folder holding
``<LA>/``).

Each figure is classed as:

``new``
    not in the previous pack;
``revised``
    same period, different value: a new release re-stated it (DfE re-states years on new
    population estimates, for example);
``changed``
    a later (or different) period;
``unchanged``
    same period and value.
"""

from __future__ import annotations

import html
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PREVIOUS_DIR = "previous"


def _figures(doc: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    return {
        h["name"]: (h.get("value"), h.get("period"), h.get("lower"), h.get("upper"))
        for h in doc.get("headlines", [])
    }


def keep_previous(current: Path, new_doc: dict[str, Any]) -> bool:
    """Copy the page JSON ``current`` to ``previous/`` when ``new_doc`` changes its figures.

    Call before the new JSON replaces ``current``. Returns whether a copy was kept.
    """
    if not current.exists():
        return False
    try:
        old_doc = json.loads(current.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return False
    if _figures(old_doc) == _figures(new_doc):
        return False
    folder = current.parent / PREVIOUS_DIR
    folder.mkdir(exist_ok=True)
    tmp = folder / f".{current.name}.tmp"
    shutil.copyfile(current, tmp)
    os.replace(tmp, folder / current.name)
    return True


def previous_docs(pack_dir: Path, compare_with: Path | None = None) -> dict[str, dict]:
    """Return the previous pack's page JSON documents by notebook id (empty if there is none).

    Parameters
    ----------
    pack_dir : Path
        This pack's folder, ``reports/<LA>``.
    compare_with : Path, optional
        Another pack to compare with: its ``<LA>`` folder, or a reports folder holding one.
        Default: ``<pack_dir>/previous``.
    """
    if compare_with is None:
        folder = pack_dir / PREVIOUS_DIR
    else:
        folder = Path(compare_with)
        if (folder / pack_dir.name).is_dir():
            folder = folder / pack_dir.name
    docs = {}
    for p in sorted(folder.glob("[0-9][0-9]_*.json")) if folder.is_dir() else []:
        try:
            doc = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        docs[doc.get("notebook", p.stem)] = doc
    return docs


@dataclass(frozen=True)
class Change:
    """How one headline figure compares with the previous pack."""

    status: str  # "new", "revised", "changed", "unchanged"
    previous_value: Any = None
    previous_period: str | None = None
    difference: float | None = None


def compare(headline: dict[str, Any], previous_doc: dict[str, Any] | None) -> Change:
    """Compare one headline figure with the same-named figure of the previous page JSON."""
    before = None
    for h in (previous_doc or {}).get("headlines", []):
        if h.get("name") == headline.get("name"):
            before = h
            break
    if before is None:
        return Change("new")
    value, old = headline.get("value"), before.get("value")
    difference = None
    numbers = (int, float)
    if isinstance(value, numbers) and isinstance(old, numbers):
        difference = value - old
        if isinstance(difference, float):
            difference = round(difference, 10)
    period, old_period = headline.get("period"), before.get("period")
    if period == old_period:
        status = "unchanged" if value == old else "revised"
    else:
        status = "changed"
    return Change(status, old, old_period, difference)


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return "not available" if value is None else str(value)


def _difference(difference: float, previous: float) -> str:
    """The change, with the decimals the front page gives the values themselves."""
    if isinstance(difference, int):
        return f"{difference:,}"
    current = previous + difference
    return f"{difference:,.2f}" if max(abs(previous), abs(current)) < 10 else f"{difference:,.1f}"


def change_cells(change: Change) -> str:
    """Two ``<td>`` cells for the front page: the previous value, and the change with its flag."""
    if change.status == "new":
        return "<td>–</td><td><strong class='sa-flag sa-new'>new</strong></td>"
    previous = _number(change.previous_value)
    if change.previous_period:
        previous += f" ({change.previous_period})"
    if change.difference is not None:
        diff = _difference(change.difference, change.previous_value)
        text = diff if diff.startswith("-") else f"+{diff}"
    elif change.status == "unchanged":
        text = "no change"
    else:
        text = "value changed"
    if change.status == "unchanged" and change.difference is not None:
        text = "no change"
    flag = ""
    if change.status == "revised":
        flag = (
            " <strong class='sa-flag sa-revised'>revised</strong>"
            "<br><small>same period, new release</small>"
        )
    elif change.status == "changed" and change.previous_period:
        text += f" since {change.previous_period}"
    return (
        f"<td class='sa-num'>{html.escape(previous)}</td>"
        f"<td class='sa-num'>{html.escape(text)}{flag}</td>"
    )


def compared_with_text(previous: dict[str, dict], compare_with: Path | None) -> str:
    """One sentence for the front page saying which pack the figures are compared with."""
    if not previous:
        return ""
    dates = sorted({d.get("run_date", "") for d in previous.values()} - {""})
    where = f"the pack in {compare_with}" if compare_with else "the previous pack"
    when = f" (run on {', '.join(dates)})" if dates else ""
    return (
        f"<p class='sa-compared'>Previous values and changes are against {html.escape(where)}"
        f"{html.escape(when)}. <strong>new</strong>: not in that pack; "
        "<strong>revised</strong>: same period, different value (a later release re-stated "
        "it).</p>"
    )
