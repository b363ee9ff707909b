"""``solihull-analytics data add``: register a newly published file, modelled on an existing one.

The bookkeeping of a new release, done once and checked:

1. the file is checked against the layout of the file it is like (its columns, or the sheets and
   header words of a workbook; for IoD tables, the fields the reader needs), and rejected with
   the column it could not find;
2. its sha256 is computed, and a catalogue entry modelled on the existing one is appended to the
   catalogue (new id, path, release and hash; ``mirrored: false``);
3. the file is added to the release registry: to the release named by ``--release`` if it
   exists, else to a new release modelled on the existing file's release (next in order, so it
   becomes the latest);
4. the file is copied into ``data/raw/`` (read-only);
5. the tables and pages that will change are listed.

Nothing here knows a release: everything comes from the catalogue and the registry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from solihull_analytics import paths
from solihull_analytics import releases as registry
from solihull_analytics.catalogue import _ID, Entry, load_catalogue
from solihull_analytics.processed import atomic_write_bytes

_YEAR = re.compile(r"(?<!\d)(19|20)\d{2}(?!\d)")
#: Registry facts that belong to one release only and are not copied to a new one.
_NOT_COPIED = ("published", "report_table1", "report_children_share_20pct", "note_when_no_idaci",
               "idaci_rank_files", "denominator_files",
               # a geography record's table: a new vintage gets its own (named by its vintage)
               "table")
#: Year-valued facts and file options moved by the difference in years.
_SHIFTED = ("data_year", "mid_year", "first_year", "year")
#: Catalogue fields that describe the mirror's copy, dropped for a newly added file.
_MIRROR_FIELDS = ("mirror_path", "mirror_compression", "mirror_sha256", "archive_member")
#: Library modules that only look up names and codes (not a page's data).
_HELPER_MODULES = {"geo.las", "geo.sub_areas", "report", "methods", "paths", "build", "releases",
                   "catalogue", "ssda903", "constants", "reference"}
#: Modules whose page lists every catalogued file (so it changes whenever a file is added).
_LISTS_EVERY_FILE = {"pages.data_sources"}


class DataAddError(ValueError):
    """The file cannot be added; the message says why and what to do."""


@dataclass
class AddResult:
    """What ``data add`` did."""

    entry_id: str
    kind: str
    release: str
    new_release: bool
    sha256: str
    raw_path: Path
    tables: list[str] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)
    layout_note: str = ""


def sha256_of(path: Path) -> str:
    """The sha256 of a file's bytes."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# --------------------------------------------------------------------------------------------
# Layout checks
# --------------------------------------------------------------------------------------------


def _csv_columns(path: Path) -> list[str]:
    try:
        head = pd.read_csv(path, nrows=0, dtype=str, encoding="utf-8-sig")
    except UnicodeDecodeError:
        head = pd.read_csv(path, nrows=0, dtype=str, encoding="latin-1")
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataAddError(f"{path}: not a readable CSV file ({exc}).") from exc
    return [str(c).strip() for c in head.columns]


def _workbook_words(path: Path, rows: int = 15) -> dict[str, set[str]]:
    import python_calamine

    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # noqa: BLE001 - calamine raises its own error types
        raise DataAddError(f"{path}: not a readable workbook ({exc}).") from exc
    out = {}
    for name in book.sheet_names:
        cells = book.get_sheet_by_name(name).to_python(nrows=rows)
        out[name] = {str(c).strip() for row in cells for c in row if isinstance(c, str) and c}
    return out


def _without_years(words: list[str] | set[str]) -> list[str]:
    # Headers that carry a year (CLA_Mar2017, "Mid-2023") are expected to change between
    # releases; the rest of the layout must not.
    return [w for w in words if w and not _YEAR.search(w)]


def check_layout(new: Path, like_path: Path | None, file: registry.ReleaseFile) -> str:
    """Check that ``new`` has the layout of ``like_path`` (the file it is like).

    Returns
    -------
    str
        A note on what was checked.

    Raises
    ------
    DataAddError
        Naming the column (or sheet, or header word) not found.
    """
    suffix = new.suffix.lower()
    if like_path is not None and suffix != like_path.suffix.lower():
        raise DataAddError(
            f"{new}: a {suffix or 'no-extension'} file cannot be like {like_path.name} "
            f"({like_path.suffix}); the layout differs."
        )
    if file.layout == "iod_table":
        from solihull_analytics.build import BuildError
        from solihull_analytics.sources.iod import extract_fields, read_table_file

        try:
            extract_fields(read_table_file(new), new, file.fields, file.optional_fields)
        except BuildError as exc:
            raise DataAddError(f"layout differs from {file.id}: {exc}") from exc
    if like_path is None or not like_path.exists():
        return f"the file it is like is not in data/raw, so only the {suffix} format was checked"
    if suffix in (".csv", ".txt"):
        have = set(_csv_columns(new))
        missing = [c for c in _without_years(_csv_columns(like_path)) if c not in have]
        if missing:
            raise DataAddError(
                f"{new}: column {missing[0]!r} not found (the layout of {file.id} has it"
                + (f"; also missing: {', '.join(map(repr, missing[1:6]))}" if missing[1:] else "")
                + "). Check that the file is the publisher's table in the same layout."
            )
        return f"same columns as {file.id}"
    if suffix in (".xlsx", ".xls", ".xlsm"):
        have, want = _workbook_words(new), _workbook_words(like_path)
        for sheet, words in want.items():
            if sheet not in have:
                raise DataAddError(
                    f"{new}: sheet {sheet!r} not found (the layout of {file.id} has it; "
                    f"sheets here: {', '.join(have)})."
                )
            missing = [w for w in sorted(_without_years(words)) if w not in have[sheet]]
            if missing:
                raise DataAddError(
                    f"{new}, sheet {sheet!r}: header {missing[0]!r} not found (the layout of "
                    f"{file.id} has it)."
                )
        return f"same sheets and header words as {file.id}"
    return f"same {suffix} format as {file.id} (contents not inspected)"


# --------------------------------------------------------------------------------------------
# What the new entries say
# --------------------------------------------------------------------------------------------


def _shift_years(text: str, old: int, new: int) -> str:
    return re.sub(rf"(?<!\d){old}(?!\d)", str(new), text)


def _infer_year(file: Path, like_year: int, release: str | None, year: int | None,
                new_id: str | None) -> int:
    if year:
        return year
    for text in (release, new_id):
        if text:
            found = [int(m.group(0)) for m in _YEAR.finditer(text)]
            if found:
                return max(found)
    found = [int(m.group(0)) for m in _YEAR.finditer(file.stem) if int(m.group(0)) > like_year]
    if found:
        return max(found)
    raise DataAddError(
        f"cannot tell which release {file.name} is: give --release LABEL (e.g. the label of the "
        "new release) or --year YEAR."
    )


def _choose_release(like: str, theme: str) -> tuple[registry.Release, registry.ReleaseFile]:
    found = [(r, f) for r in registry.load_registry() for f in r.files if f.id == like]
    if not found:
        raise DataAddError(
            f"--like {like!r} is in the catalogue but in no release of the registry "
            f"({registry.registry_path()}), so the command cannot tell what it is for. Choose a "
            "file listed there (README: 'Adding next year's data')."
        )
    same_theme = [(r, f) for r, f in found if r.kind == theme]
    return (same_theme or found)[0]


def _catalogue_raw(cat_path: Path) -> dict[str, dict[str, Any]]:
    with cat_path.open(encoding="utf-8") as fh:
        doc = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return {str(e["id"]): e for e in doc["entries"]}


def _new_entry(like: dict[str, Any], new_id: str, path: str, sha: str, label: str,
               old_year: int, year: int, source: Path, landing_page: str | None,
               url: str | None) -> dict[str, Any]:
    entry = {k: v for k, v in like.items() if k not in _MIRROR_FIELDS}
    for key in ("title", "release", "vintage"):
        if isinstance(entry.get(key), str):
            entry[key] = _shift_years(entry[key], old_year, year)
    entry.update(
        id=new_id,
        path=path,
        sha256=sha,
        mirrored=False,
        download_url=url,
        source_note=(
            f"Registered by `solihull-analytics data add` on {dt.date.today().isoformat()} from "
            f"{source.name}, modelled on {like['id']} (release {label}). Check title, release, "
            "vintage, landing_page and download_url against the publisher's page."
        ),
    )
    if landing_page:
        entry["landing_page"] = landing_page
    return entry


def _new_release(like: registry.Release, file: dict[str, Any], label: str, year: int,
                 landing_page: str) -> dict[str, Any]:
    delta = year - like.year
    facts = {k: v for k, v in like.facts.items() if k not in _NOT_COPIED}
    for key in _SHIFTED:
        if isinstance(facts.get(key), int):
            facts[key] += delta
    # Names that carry the release's year (a small-area estimate's population_lsoa source,
    # "sape_mid2020") move with it, or two releases would share one name.
    for key in ("title", "lsoa_source"):
        if isinstance(facts.get(key), str):
            facts[key] = _shift_years(facts[key], like.year, year)
    if "landing_page" in facts:
        facts["landing_page"] = landing_page
    order = max(r.order for r in registry.releases(like.kind)) + 1
    out: dict[str, Any] = {"kind": like.kind, "label": label, "year": year, "order": order}
    out.update({"published": str(year)} if "published" in like.facts else {})
    out["geography"] = like.geography
    out.update(facts)
    out["files"] = [file]
    return out


def _file_record(like: registry.ReleaseFile, new_id: str, delta: int) -> dict[str, Any]:
    rec: dict[str, Any] = {"id": new_id, "role": like.role, "layout": like.layout}
    if like.optional:
        rec["optional"] = True
    if like.label:
        rec["label"] = like.label
    for key in ("fields", "optional_fields", "gives"):
        if getattr(like, key):
            rec[key] = list(getattr(like, key))
    for key, value in like.options.items():
        rec[key] = value + delta if key in _SHIFTED and isinstance(value, int) else value
    return rec


def _flow(value: Any) -> str:
    """One YAML flow value on one line (a plain scalar dump would end with "...")."""
    text = yaml.safe_dump({"v": value}, default_flow_style=True, sort_keys=False,
                          width=100_000, allow_unicode=True).strip()
    return text[len("{v: "):-1]


def _release_text(rel: dict[str, Any]) -> str:
    lines = [f"- kind: {rel['kind']}"]
    for key, value in rel.items():
        if key in ("kind", "files"):
            continue
        lines.append(f"  {key}: {_flow(value)}")
    lines.append("  files:")
    lines += [f"  - {_flow(f)}" for f in rel["files"]]
    return "\n".join(lines) + "\n"


def _insert_file(text: str, kind: str, label: str, record: dict[str, Any]) -> str:
    """Add a file line at the end of the ``files:`` list of one release in the registry text."""
    lines = text.splitlines(keepends=True)
    start = None
    for i, line in enumerate(lines):
        if line.startswith("- kind: ") and line.split(":", 1)[1].strip() == kind:
            block = [lines[i]]
            for b in lines[i + 1 :]:
                if b.startswith("- "):
                    break
                block.append(b)
            if any(b.strip() in (f"label: {label}", f"label: {_flow(label)}") for b in block
                   if b.startswith("  label:")):
                start = i
                break
    if start is None:
        raise DataAddError(f"could not find {kind} release {label!r} in the registry text.")
    end = start + 1
    while end < len(lines) and not lines[end].startswith(("- ", "#")) and lines[end].strip():
        end += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    lines.insert(end, f"  - {_flow(record)}\n")
    return "".join(lines)


def _check_texts(cat_text: str, reg_text: str, cat_path: Path, reg_path: Path) -> None:
    """Load the new catalogue and registry texts before anything is written (raise if bad)."""
    import tempfile

    from solihull_analytics.catalogue import CatalogueError

    with tempfile.TemporaryDirectory() as tmp:
        cat_tmp, reg_tmp = Path(tmp) / cat_path.name, Path(tmp) / reg_path.name
        cat_tmp.write_text(cat_text, encoding="utf-8")
        reg_tmp.write_text(reg_text, encoding="utf-8")
        try:
            load_catalogue(cat_tmp)
            registry.load_registry(reg_tmp)
        except (CatalogueError, registry.RegistryError) as exc:
            raise DataAddError(f"the new entries would not load, nothing written: {exc}") from exc


# --------------------------------------------------------------------------------------------
# What changes
# --------------------------------------------------------------------------------------------


def tables_reading(entry_id: str) -> list[str]:
    """Processed tables that declare ``entry_id`` as an input (read from the registry)."""
    from solihull_analytics.build import load_registry

    return [n for n, s in load_registry().items() if entry_id in s.inputs + s.optional_inputs]


def _module_file(package: Path, dotted: str) -> Path | None:
    """The source file of ``solihull_analytics.<dotted>`` (a module or a package's ``__init__``)."""
    base = package.joinpath(*dotted.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def _imported_modules(package: Path, code: str) -> set[str]:
    """Dotted names (below the package) of the modules ``code`` imports."""
    out = set(re.findall(r"from solihull_analytics import (\w+)", code))
    for parent, name in re.findall(r"from solihull_analytics\.([\w.]+) import (\w+)", code):
        child = f"{parent}.{name}"
        out.add(child if _module_file(package, child) is not None else parent)
    return out


def _is_helper(dotted: str) -> bool:
    return any(dotted == h or dotted.startswith(h + ".") for h in _HELPER_MODULES)


def _page_source(package: Path, code: str) -> tuple[set[str], str]:
    """Modules a notebook's code imports, and the text of those that may read tables.

    A page package counts as a whole (all its files); other modules count one import deep.
    Helpers that only look up names and codes are left out.
    """
    dotted = _imported_modules(package, code)
    text, seen = "", set()
    for name in sorted(dotted):
        if name.startswith("pages."):
            page_dir = package.joinpath(*name.split(".")[:2])
            text += "".join(f.read_text(encoding="utf-8") for f in sorted(page_dir.glob("*.py")))
            continue
        src = _module_file(package, name)
        if src is None or _is_helper(name) or name in seen:
            continue
        seen.add(name)
        text += src.read_text(encoding="utf-8")
    for sub in sorted(_imported_modules(package, text)):
        src = _module_file(package, sub)
        if src is not None and not _is_helper(sub) and sub not in seen:
            seen.add(sub)
            text += src.read_text(encoding="utf-8")
    return dotted, text


def pages_reading(tables: list[str]) -> list[str]:
    """Notebooks (pages) whose library modules read any of ``tables``.

    A page's modules are its page package and the package modules they import in turn (helpers
    that only look up names are left out). Page 00 lists every catalogued file, so it always
    changes.
    """
    package = Path(__file__).resolve().parent
    wanted = set(tables)
    # Geography tables are named by the registry, not in code: a page reads one when its code
    # asks the registry for that table's level (e.g. "ward_boundaries").
    level_of = {registry.geography_table(r): str(r.fact("level"))
                for r in registry.releases("geography")}
    out = []
    for nb in sorted(paths.notebooks_dir().glob("*.ipynb")):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        modules, text = _page_source(package, code)
        strings = set(re.findall(r"\"([a-z0-9_]+)\"", text))
        reads = (strings & wanted) | {t for t in wanted if level_of.get(t) in strings}
        if reads or any(m == x or m.startswith(x + ".") for m in modules
                        for x in _LISTS_EVERY_FILE):
            why = ", ".join(sorted(reads)) if reads else "lists every catalogued file"
            out.append(f"{nb.stem} ({why})")
    return out


# --------------------------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------------------------


def add_file(
    file: Path,
    like: str,
    *,
    new_id: str | None = None,
    release: str | None = None,
    year: int | None = None,
    landing_page: str | None = None,
    url: str | None = None,
) -> AddResult:
    """Register ``file`` as a new published file modelled on catalogue entry ``like``.

    Parameters
    ----------
    file : Path
        The published file as downloaded.
    like : str
        Catalogue id of an existing file in the same layout (e.g. last year's).
    new_id : str, optional
        Catalogue id of the new file; default the ``like`` id with its release year replaced.
    release : str, optional
        Label of the release the file belongs to. An existing label adds the file to that
        release (for releases of several files); a new label makes a new release, modelled on
        ``like``'s, ordered after every release of its kind. Default: ``like``'s label with
        its year replaced.
    year : int, optional
        The release's year, when neither ``release`` nor the file name says it.
    landing_page, url : str, optional
        The publisher's page and direct download, for the catalogue entry.

    Raises
    ------
    DataAddError
        An unknown ``like``, a duplicate id, a file that does not match the layout, a file that
        is missing or already in the raw cache.
    """
    file = Path(file)
    if not file.is_file():
        raise DataAddError(f"{file}: no such file.")
    cat_path = paths.catalogue_path()
    reg_path = registry.registry_path()
    entries = load_catalogue(cat_path)
    if like not in entries:
        raise DataAddError(
            f"--like {like!r} is not a catalogue id. `solihull-analytics data list` shows them."
        )
    like_entry = entries[like]
    like_rel, like_file = _choose_release(like, like_entry.theme)
    target_year = _infer_year(file, like_rel.year, release, year, new_id)
    label = release or _shift_years(like_rel.label, like_rel.year, target_year)
    if label == like_rel.label and release is None:
        raise DataAddError(
            f"cannot name the new release from {like_rel.label!r}: give --release LABEL."
        )
    entry_id = _new_entry_id(new_id, like, like_rel.year, target_year, entries)
    like_raw = like_entry.raw_path()
    note = check_layout(file, like_raw if like_raw.exists() else None, like_file)
    sha = sha256_of(file)

    rel_path = _new_rel_path(like_entry.path, like_rel.year, target_year, file, entry_id,
                             entries)
    raw_target = paths.raw_dir() / rel_path
    if raw_target.exists():
        raise DataAddError(f"{raw_target} already exists in the raw cache; remove it first.")

    existing = {(r.kind, r.label): r for r in registry.load_registry()}
    is_new = (like_rel.kind, label) not in existing
    record = _file_record(like_file, entry_id, target_year - like_rel.year)
    entry = _new_entry(
        _catalogue_raw(cat_path)[like], entry_id, rel_path, sha, label, like_rel.year,
        target_year, file, landing_page, url,
    )

    cat_text = cat_path.read_text(encoding="utf-8").rstrip("\n") + "\n\n"
    cat_text += yaml.safe_dump([entry], sort_keys=False, allow_unicode=True, width=100_000)
    reg_text = _registry_text(reg_path, is_new, like_rel, record, label, target_year,
                              entry["landing_page"])
    _check_texts(cat_text, reg_text, cat_path, reg_path)

    _write_all(file, raw_target, {cat_path: cat_text, reg_path: reg_text})

    tables = tables_reading(entry_id)
    return AddResult(entry_id, like_rel.kind, label, is_new, sha, raw_target, tables,
                     pages_reading(tables), note)


def _write_all(file: Path, raw_target: Path, texts: dict[Path, str]) -> None:
    """Copy ``file`` into the raw cache read-only, then write the catalogue and registry texts
    (each atomically), once every check has passed."""
    raw_target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(file, raw_target)
    raw_target.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    for path, text in texts.items():
        atomic_write_bytes(path, lambda p, text=text: p.write_text(text, encoding="utf-8"))


def _registry_text(
    reg_path: Path,
    is_new: bool,
    like_rel: registry.Release,
    record: dict[str, Any],
    label: str,
    target_year: int,
    landing_page: str,
) -> str:
    """The release registry's new text: a new release holding ``record``, or ``record`` added
    to the existing release ``label``."""
    reg_text = reg_path.read_text(encoding="utf-8")
    if is_new:
        new_rel = _new_release(like_rel, record, label, target_year, landing_page)
        return reg_text.rstrip("\n") + "\n\n" + _release_text(new_rel)
    return _insert_file(reg_text, like_rel.kind, label, record)


def _new_entry_id(
    new_id: str | None, like: str, like_year: int, target_year: int, entries: dict[str, Entry]
) -> str:
    """The new file's catalogue id: ``new_id``, or ``like`` with its years shifted; checked to
    be new and well formed."""
    entry_id = new_id or _shift_years(like, like_year, target_year)
    if entry_id == like or not _ID.match(entry_id):
        raise DataAddError(
            f"cannot make a new catalogue id from {like!r}: give --id (lower-case letters, "
            "digits and _)."
        )
    if entry_id in entries:
        raise DataAddError(
            f"catalogue id {entry_id!r} already exists ({entries[entry_id].title}); give "
            "another --id, or remove the old entry first."
        )
    return entry_id


def _new_rel_path(
    like_path: str,
    like_year: int,
    target_year: int,
    file: Path,
    entry_id: str,
    entries: dict[str, Entry],
) -> str:
    """The new file's path in the raw cache: the like entry's with years shifted, else beside
    it under the file's own name, else under its id when that path is taken."""
    rel_path = _shift_years(like_path, like_year, target_year)
    if rel_path == like_path:
        rel_path = str(Path(like_path).parent / file.name)
    if any(e.path == rel_path for e in entries.values()):
        rel_path = str(Path(rel_path).parent / f"{entry_id}{Path(rel_path).suffix}")
    return rel_path
