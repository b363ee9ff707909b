"""Fill the raw cache (``data/raw/``) with verified copies of the published files.

Where a file comes from, in order:

1. a mirror folder: ``--mirror DIR``, else ``$SOLIHULL_DATA_MIRROR``, else ``../shared/data``
   beside the repository when it exists;
2. otherwise the official download URL in the catalogue (downloaded with pooch).

Every file is checked against the catalogue's sha256 of the *published* bytes (a gzipped mirror
copy is decompressed on the way and the decompressed bytes are checked). Files are written to a
temporary name and moved into place only after the hash matches, so a bad file never replaces a
good one. Verified raw files are made read-only and never modified afterwards.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from solihull_analytics import paths
from solihull_analytics.catalogue import Entry, load_catalogue, select

CHUNK = 1 << 20


class FetchError(RuntimeError):
    """A raw file could not be fetched; the message says which entry and what to do."""


class HashMismatchError(FetchError):
    """The bytes obtained do not match the catalogue's sha256."""

    def __init__(self, entry: Entry, expected: str, actual: str, source: str) -> None:
        self.entry_id = entry.id
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"hash mismatch for {entry.id!r} from {source}: expected sha256 {expected}, got "
            f"{actual}. The file was not saved and any previous good copy is kept. The copy at "
            "the source is damaged or is a different release: restore it from the official URL "
            f"({entry.download_url or entry.landing_page}), or, if the publisher has issued a new "
            "version, add a catalogue entry for it."
        )


class MirrorMissingError(FetchError):
    """The mirror folder does not hold a file the catalogue says it should."""


class OfflineError(FetchError):
    """No mirror and the official URL cannot be reached."""


@dataclass
class FetchResult:
    """What happened to one catalogue entry."""

    entry_id: str
    status: str  # "fetched", "present", "skipped" or "failed"
    source: str = ""
    message: str = ""


def sha256_file(path: Path) -> str:
    """Return the hex sha256 of a file, read in chunks."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def _copy_hashing(src: Path, dest: Path, gunzip: bool, advance: Callable[[int], None]) -> str:
    h = hashlib.sha256()
    opener = gzip.open if gunzip else open
    with opener(src, "rb") as fin, dest.open("wb") as fout:  # type: ignore[operator]
        for chunk in iter(lambda: fin.read(CHUNK), b""):
            h.update(chunk)
            fout.write(chunk)
            advance(len(chunk))
    return h.hexdigest()


def _copy_from_mirror(entry: Entry, src: Path, dest: Path, advance: Callable[[int], None]) -> str:
    """Copy (and decompress) a mirror file, turning a damaged copy into a :class:`FetchError`."""
    gunzip = entry.mirror_compression == "gzip"
    try:
        return _copy_hashing(src, dest, gunzip, advance)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        # EOFError: a truncated gzip; BadGzipFile: not gzip at all; zlib.error: corrupt data.
        raise FetchError(
            f"{entry.id!r}: the mirror copy {src} is not a valid gzip file "
            f"({type(exc).__name__}: {exc or 'truncated'}); skipped, nothing saved. Restore it "
            f"from the official URL ({entry.download_url or entry.landing_page}) or from a good "
            "mirror."
        ) from exc
    except OSError as exc:
        raise FetchError(
            f"{entry.id!r}: cannot copy {src} to {dest.parent}: {exc.strerror or exc}; "
            "nothing saved. Check the disk space and permissions, then run again."
        ) from exc


def _install(tmp: Path, target: Path) -> None:
    if target.exists():
        target.chmod(target.stat().st_mode | stat.S_IWUSR)
    os.replace(tmp, target)
    target.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)


def _download(entry: Entry, dest: Path) -> None:
    """Download ``entry.download_url`` into ``dest`` with pooch, checking the hash when known."""
    import pooch  # imported here: only needed without a mirror

    # A zip's own hash is not recorded (the catalogue hashes the member), so check after extracting.
    known_hash = f"sha256:{entry.sha256}" if entry.sha256 and not entry.archive_member else None
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".download-") as workdir:
        try:
            fetched = Path(
                pooch.retrieve(
                    entry.download_url,
                    known_hash=known_hash,
                    fname="download",
                    path=workdir,
                    downloader=pooch.HTTPDownloader(progressbar=True, timeout=60),
                )
            )
        except ValueError as exc:  # pooch's hash mismatch
            raise FetchError(f"{entry.id}: {exc}") from exc
        except Exception as exc:  # connection refused, DNS failure, HTTP error...
            raise OfflineError(
                f"cannot download {entry.id!r} from {entry.download_url} "
                f"({type(exc).__name__}). No mirror folder holds it. Connect to the internet, or "
                "point to a mirror with `solihull-analytics data fetch --mirror DIR` or "
                "SOLIHULL_DATA_MIRROR=DIR."
            ) from exc
        if fetched.stat().st_size == 0:
            raise FetchError(f"{entry.id}: the download from {entry.download_url} was empty.")
        if not entry.archive_member:
            shutil.copyfile(fetched, dest)
            return
        try:
            with zipfile.ZipFile(fetched) as zf, zf.open(entry.archive_member) as member:
                with dest.open("wb") as out:
                    shutil.copyfileobj(member, out, CHUNK)
        except KeyError as exc:
            raise FetchError(
                f"{entry.id}: the download {entry.download_url} has no member "
                f"{entry.archive_member!r}; the publisher may have renamed it. Update the entry's "
                "archive_member in data/catalogue.yaml."
            ) from exc


def fetch_entry(
    entry: Entry,
    raw_dir: Path,
    mirror: Path | None,
    *,
    force: bool = False,
    advance: Callable[[int], None] = lambda n: None,
) -> FetchResult:
    """Fetch one catalogue entry into ``raw_dir`` and verify it.

    Parameters
    ----------
    entry : Entry
        The catalogue entry.
    raw_dir : Path
        The raw cache.
    mirror : Path or None
        Mirror folder, or ``None`` to use the official URL.
    force : bool, default False
        Fetch again even when a copy is present (the present copy is kept unless the new one
        verifies).
    advance : callable, optional
        Progress callback, given the number of bytes just written.

    Returns
    -------
    FetchResult

    Raises
    ------
    HashMismatchError, MirrorMissingError, OfflineError
        With the entry id and what to do.
    """
    target = entry.raw_path(raw_dir)
    if target.exists() and not force:
        return FetchResult(entry.id, "present", str(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        mirror_file = mirror / entry.mirror_path if mirror and entry.mirror_path else None
        if mirror_file is not None and mirror_file.exists():
            source = str(mirror_file)
            actual = _copy_from_mirror(entry, mirror_file, tmp, advance)
        elif not entry.mirrored and not entry.download_url:
            return FetchResult(
                entry.id,
                "skipped",
                message=(
                    f"not mirrored and no direct download; optional. To use it, download it from "
                    f"{entry.landing_page} and save it as {target}."
                ),
            )
        elif mirror is not None and entry.mirrored and not entry.download_url:
            raise MirrorMissingError(
                f"{entry.id!r} is missing from the mirror at {mirror_file} and has no direct "
                f"download URL. Restore the mirror copy, or download it from "
                f"{entry.landing_page} and save it as {target}."
            )
        elif entry.download_url:
            source = entry.download_url
            _download(entry, tmp)
            actual = sha256_file(tmp)
        else:
            raise OfflineError(
                f"{entry.id!r}: no mirror folder was found and the entry has no download URL. "
                "Point to a mirror with --mirror DIR or SOLIHULL_DATA_MIRROR=DIR, or download it "
                f"from {entry.landing_page} and save it as {target}."
            )
        if entry.sha256 and actual != entry.sha256:
            raise HashMismatchError(entry, entry.sha256, actual, source)
        _install(tmp, target)
        return FetchResult(entry.id, "fetched", source)
    finally:
        if tmp.exists():
            tmp.unlink()


def fetch(
    ids: Iterable[str] | None = None,
    *,
    mirror: Path | None | str = "default",
    raw_dir: Path | None = None,
    catalogue_file: Path | None = None,
    force: bool = False,
    progress: bool = True,
    include_optional: bool | None = None,
) -> list[FetchResult]:
    """Fetch catalogue entries into the raw cache.

    Parameters
    ----------
    ids : iterable of str, optional
        Catalogue ids to fetch; every entry when omitted (entries that are neither mirrored nor
        downloadable are skipped with a note).
    mirror : Path, None or "default"
        Mirror folder; ``"default"`` resolves it with
        :func:`solihull_analytics.paths.default_mirror`;
        ``None`` forces the official URLs.
    raw_dir : Path, optional
        Raw cache (default ``data/raw``).
    catalogue_file : Path, optional
        Catalogue to use.
    force : bool, default False
        Re-fetch files already present (kept unless the new copy verifies).
    progress : bool, default True
        Show a progress bar on stderr.
    include_optional : bool, optional
        Whether to try downloading entries the mirror does not hold (official files the suite
        uses when present). Default: only when no mirror is used, or when ``ids`` names them.

    Returns
    -------
    list of FetchResult
        One per entry; entries that failed carry the error message.
    """
    from tqdm.auto import tqdm

    raw_dir = raw_dir or paths.raw_dir()
    if mirror == "default":
        mirror = paths.default_mirror()
    mirror = Path(mirror) if mirror is not None else None
    if mirror is not None and not mirror.is_dir():
        raise FetchError(
            f"mirror folder {mirror} does not exist; check --mirror / SOLIHULL_DATA_MIRROR."
        )
    entries = select(load_catalogue(catalogue_file), ids)
    explicit = bool(ids)
    if include_optional is None:
        include_optional = explicit or mirror is None
    results: list[FetchResult] = []
    todo = [e for e in entries if force or not e.raw_path(raw_dir).exists()]
    total = _expected_bytes(todo, mirror)
    with tqdm(
        total=total or None,
        unit="B",
        unit_scale=True,
        desc="fetch",
        disable=not progress or not todo,
    ) as bar:
        for entry in entries:
            if not entry.mirrored and not include_optional and not entry.raw_path(raw_dir).exists():
                results.append(_skipped_optional(entry, raw_dir))
                continue
            try:
                result = fetch_entry(entry, raw_dir, mirror, force=force, advance=bar.update)
            except FetchError as exc:
                if not entry.mirrored and not explicit:
                    result = FetchResult(entry.id, "skipped", message=str(exc))
                else:
                    result = FetchResult(entry.id, "failed", message=str(exc))
            results.append(result)
    return results


def _expected_bytes(todo: list[Entry], mirror: Path | None) -> int:
    """Rough bytes to copy from the mirror for the progress bar (gzip counted four times)."""
    total = 0
    for e in todo:
        if mirror is not None and e.mirror_path and (mirror / e.mirror_path).exists():
            total += (mirror / e.mirror_path).stat().st_size * (
                4 if e.mirror_compression == "gzip" else 1
            )
    return total


def _skipped_optional(entry: Entry, raw_dir: Path) -> FetchResult:
    """The result for an optional entry the mirror does not hold: where to get it."""
    return FetchResult(
        entry.id,
        "skipped",
        message=(
            f"optional, not in the mirror: download it from "
            f"{entry.download_url or entry.landing_page} with "
            f"`solihull-analytics data fetch --only {entry.id}` when online, or "
            f"save it as {entry.raw_path(raw_dir)}"
        ),
    )


def verify(raw_dir: Path | None = None, catalogue_file: Path | None = None) -> list[FetchResult]:
    """Re-hash every file in the raw cache against the catalogue (slow; for audits and tests)."""
    raw_dir = raw_dir or paths.raw_dir()
    results = []
    for entry in load_catalogue(catalogue_file).values():
        p = entry.raw_path(raw_dir)
        if not p.exists():
            results.append(FetchResult(entry.id, "skipped", message="not in raw cache"))
            continue
        actual = sha256_file(p)
        ok = entry.sha256 is None or actual == entry.sha256
        results.append(
            FetchResult(entry.id, "present" if ok else "failed", str(p), "" if ok else actual)
        )
    return results


def remove_raw(entry: Entry, raw_dir: Path | None = None) -> None:
    """Delete a raw file (it is read-only, so make it writable first)."""
    p = entry.raw_path(raw_dir or paths.raw_dir())
    if p.exists():
        p.chmod(p.stat().st_mode | stat.S_IWUSR)
        p.unlink()


__all__ = [
    "FetchError",
    "FetchResult",
    "HashMismatchError",
    "MirrorMissingError",
    "OfflineError",
    "fetch",
    "fetch_entry",
    "remove_raw",
    "sha256_file",
    "verify",
]
