"""The ``solihull-analytics`` command.

Run ``solihull-analytics --help`` for the list of commands. In short::

    solihull-analytics data fetch      # copy/download the published files into data/raw, verified
    solihull-analytics data build      # turn them into tidy tables in data/processed
    solihull-analytics data add FILE --like ID   # register a newly published file
    solihull-analytics report          # render the HTML pack into reports/
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from solihull_analytics import __version__
from solihull_analytics.constants import SOLIHULL_LA_CODE

app = typer.Typer(
    help=(
        "Children's services analytics for English local authorities, rebuilt from published "
        "DfE, ONS and MHCLG data.\n\n"
        "Typical use: `data fetch`, then `data build`, then `report` (or just `make reports`)."
    ),
    no_args_is_help=True,
    add_completion=False,
)
data_app = typer.Typer(
    help="Get the published data (fetch), turn it into tables (build), register a newly "
    "published file (add), and inspect it (list).",
    no_args_is_help=True,
)
app.add_typer(data_app, name="data")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"solihull-analytics {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Children's services analytics for English local authorities."""


@data_app.command("fetch")
def data_fetch(
    mirror: Annotated[
        Path | None,
        typer.Option(
            help=(
                "Folder holding copies of the published files (default: $SOLIHULL_DATA_MIRROR, "
                "else ../shared/data if it exists, else download from the official URLs)."
            )
        ),
    ] = None,
    only: Annotated[
        list[str] | None, typer.Option("--only", help="Catalogue id to fetch (repeatable).")
    ] = None,
    force: Annotated[
        bool, typer.Option(help="Fetch again even if present (kept unless the new copy verifies).")
    ] = False,
) -> None:
    """Copy or download the published files into data/raw/ and check their sha256."""
    from solihull_analytics.catalogue import CatalogueError
    from solihull_analytics.fetch import FetchError, fetch

    try:
        results = fetch(only, mirror=mirror if mirror is not None else "default", force=force)
    except (FetchError, CatalogueError) as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc
    counts: dict[str, int] = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
        if r.status == "failed":
            typer.secho(f"FAILED {r.entry_id}: {r.message}", fg="red", err=True)
    from solihull_analytics import paths

    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    typer.echo(f"fetch: {summary}. Raw files are in {paths.raw_dir()}")
    skipped = [r for r in results if r.status == "skipped"]
    if skipped:
        typer.echo(
            f"{len(skipped)} optional file(s) not available here (not mirrored); the reports say "
            "where they can be had. `solihull-analytics data list` shows them."
        )
    if counts.get("failed"):
        raise typer.Exit(1)


@data_app.command("build")
def data_build(
    only: Annotated[
        list[str] | None, typer.Option("--only", help="Table to build (repeatable).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Rebuild even if nothing changed.")] = False,
) -> None:
    """Build the tidy, schema-checked tables in data/processed/ (only what changed)."""
    from solihull_analytics import paths
    from solihull_analytics.build import BuildError, build

    try:
        results = build(only, force=force, progress=typer.echo)
    except BuildError as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc
    built = sum(r.status == "built" for r in results)
    unchanged = sum(r.status == "unchanged" for r in results)
    failed = [r for r in results if r.status == "failed"]
    typer.echo(
        f"build: {built} built, {unchanged} unchanged, {len(failed)} failed. "
        f"Tables are in {paths.processed_dir()}"
    )
    for r in failed:
        typer.secho(f"FAILED {r.name}: {r.message}", fg="red", err=True)
    if failed:
        raise typer.Exit(1)


@data_app.command(
    "add",
    help=(
        "Register a newly published file: catalogue entry, release registry, copy into "
        "data/raw/.\n\n"
        "Checks the file against the layout of the --like file (a missing column is named), "
        "computes its sha256, appends a catalogue entry modelled on --like "
        "(data/catalogue.yaml), adds the file to the release registry (data/releases.yaml), "
        "copies it into data/raw/ (read-only) and prints the tables and pages that will "
        "change. No code changes: run `data build` and `report` next. Rejects an unknown "
        "--like, an id already in the catalogue, and a file not in the --like layout."
    ),
    epilog=(
        "Example (a new IoD of three files): data add IoD2030_File1.xlsx --like iod2025_file1 "
        "--release IoD2030, then the same for File 3 (--like iod2025_file3 --release IoD2030) "
        "and the File 6 extract; then `data build` and `report`. A CLA release: data add "
        "cla_2026.csv --like cla_ees2025_number_rate (year and label from the file name)."
    ),
)
def data_add(
    file: Annotated[Path, typer.Argument(help="The published file, as downloaded.")],
    like: Annotated[
        str,
        typer.Option(
            "--like",
            help="Catalogue id of an existing file in the same layout, e.g. last year's "
            "(`data list` shows the ids). The new file must have its columns.",
        ),
    ],
    new_id: Annotated[
        str | None,
        typer.Option("--id", help="Catalogue id of the new file (default: --like with the year "
                     "replaced)."),
    ] = None,
    release: Annotated[
        str | None,
        typer.Option(help="Release label. An existing label adds the file to that release; a new "
                     "one makes a new release, latest of its kind (default: the --like release's "
                     "label with the year replaced)."),
    ] = None,
    year: Annotated[
        int | None, typer.Option(help="The release's year, if neither --release nor the file "
                                 "name says it.")
    ] = None,
    landing_page: Annotated[
        str | None, typer.Option(help="The publisher's page for the release.")
    ] = None,
    url: Annotated[str | None, typer.Option(help="The official direct download URL.")] = None,
) -> None:
    """Register a newly published file (see the command's help)."""
    from solihull_analytics.data_add import DataAddError, add_file

    try:
        result = add_file(file, like, new_id=new_id, release=release, year=year,
                          landing_page=landing_page, url=url)
    except DataAddError as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc
    what = "new release" if result.new_release else "added to release"
    typer.echo(f"added {result.entry_id} ({result.kind} {what} {result.release}); "
               f"sha256 {result.sha256[:12]}; layout: {result.layout_note}")
    typer.echo(f"copied to {result.raw_path}")
    typer.echo("tables that will change: " + (", ".join(result.tables) or "none"))
    typer.echo("pages that will change: " + ("; ".join(result.pages) or "none"))
    typer.echo("next: `solihull-analytics data build`, then `solihull-analytics report`.")


@data_app.command("list")
def data_list() -> None:
    """List the catalogue: each published file, whether it is cached, and the tables built."""
    from solihull_analytics import paths
    from solihull_analytics.build import load_registry
    from solihull_analytics.catalogue import load_catalogue
    from solihull_analytics.processed import manifest

    for entry in load_catalogue().values():
        present = entry.raw_path().exists()
        where = "cached" if present else ("mirror" if entry.mirrored else "NOT MIRRORED")
        typer.echo(f"{entry.id:45s} {where:12s} {entry.release}")
    built = manifest()
    typer.echo("")
    for name, spec in load_registry().items():
        state = f"{built[name]['rows']:,} rows" if name in built else "not built"
        typer.echo(f"table {name:28s} {state:14s} {spec.description}")
    typer.echo(f"\nraw: {paths.raw_dir()}  processed: {paths.processed_dir()}")


@data_app.command("verify")
def data_verify() -> None:
    """Re-hash every cached raw file against the catalogue (an audit; slower than fetch)."""
    from solihull_analytics.fetch import verify

    bad = [r for r in verify() if r.status == "failed"]
    for r in bad:
        typer.secho(f"MISMATCH {r.entry_id}: {r.source} has sha256 {r.message}", fg="red")
    typer.echo("all cached files match the catalogue" if not bad else f"{len(bad)} mismatches")
    if bad:
        raise typer.Exit(1)


@app.command("report")
def report(
    la: Annotated[
        list[str] | None,
        typer.Option(
            help="LA code(s) to render, e.g. --la E08000029 E10000016 (default Solihull)."
        ),
    ] = None,
    all_las: Annotated[
        bool, typer.Option("--all-las", help="Render every English children's-services LA.")
    ] = False,
    notebooks: Annotated[
        list[str] | None,
        typer.Option(help="Notebook numbers or names, e.g. --notebooks 01 03 (default all)."),
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Output folder (default reports/).")] = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            help="Parallel renders: LAs at once for several LAs, notebooks at once for one LA "
            "(default: all cores)."
        ),
    ] = None,
    force: Annotated[bool, typer.Option(help="Render even if nothing changed.")] = False,
    run_date: Annotated[
        str | None, typer.Option(help="Date shown on the pages, YYYY-MM-DD (default today).")
    ] = None,
    private_dir: Annotated[
        Path | None,
        typer.Option(
            help="Folder with the LA's own SSDA903 return: CSV, Excel or DfE's XML (default "
            "SOLIHULL_PRIVATE_DIR, else data/private/ when it holds files; relative paths start "
            "from the current folder)."
        ),
    ] = None,
    list_las: Annotated[
        bool, typer.Option("--list-las", help="List valid LA codes and names, then stop.")
    ] = False,
    allow_no_children_in_la: Annotated[
        bool,
        typer.Option(
            "--allow-no-children-in-la",
            help="Page 04: publish a page that says so when no child in the extract lives in "
            "the LA (default: stop with a message, as that usually means a wrong --la).",
        ),
    ] = False,
    compare_with: Annotated[
        Path | None,
        typer.Option(
            help="A previous pack (its reports/ or reports/<LA>/ folder) to compare the front "
            "page's figures with (default: the figures this run replaces)."
        ),
    ] = None,
    fresh_kernels: Annotated[
        bool,
        typer.Option(
            "--fresh-kernels",
            help="Start a fresh kernel for every page, as Jupyter runs a notebook alone "
            "(slower; by default each worker keeps one kernel, reset between pages).",
        ),
    ] = False,
) -> None:
    """Render the HTML pack (one page per notebook, plus a front page) into reports/<LA>/.
    \f
    Long because typer declares every command-line option as a parameter (half the
    function); the body only checks the options and hands over to ``render_pack`` or
    ``render_batch``. (The form feed above keeps this out of ``--help``.)
    """
    _require_data_dir()
    if run_date is not None:
        run_date = _iso_date(run_date, "--run-date")
    if jobs is not None and jobs < 1:
        raise _fail(f"--jobs {jobs}: give at least 1 (or leave it out to use every core).")
    from solihull_analytics import paths
    from solihull_analytics.geo.las import UnknownAreaError, la_codes
    from solihull_analytics.geo.las import list_las as all_las_table
    from solihull_analytics.report.batch import render_batch
    from solihull_analytics.report.pipeline import ReportError, render_pack
    from solihull_analytics.ssda903 import SSDA903Error

    if list_las:
        for row in all_las_table().itertuples():
            typer.echo(f"{row.la_code}  {row.la_name}")
        return
    kwargs = dict(
        notebooks=notebooks,
        reports_dir=out,
        run_date=run_date,
        force=force,
        extra_parameters=None,
        compare_with=_existing_folder(compare_with, "--compare-with"),
        fresh_kernels=fresh_kernels,
    )
    _require_intact_tables()
    try:
        extra = _check_private_extract(private_dir, notebooks) or {}
        if allow_no_children_in_la:
            extra["allow_no_children_in_la"] = True
        kwargs["extra_parameters"] = extra or None
        if all_las or (la and len(la) > 1):
            codes = la_codes() if all_las else list(la or [])
            # Warm kernels kept across LAs (issue 16): same pages as render_many, much faster.
            results = render_batch(codes, jobs=jobs, **kwargs)
        else:
            code = (la or [SOLIHULL_LA_CODE])[0]
            results = [
                render_pack(code, on_result=lambda r: typer.echo(r.summary()), jobs=jobs, **kwargs)
            ]
    except (ReportError, UnknownAreaError, SSDA903Error) as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc
    failures = [n for r in results for n in r.notebooks if n.status == "failed"]
    rendered = sum(n.status == "rendered" for r in results for n in r.notebooks)
    unchanged = sum(n.status == "unchanged" for r in results for n in r.notebooks)
    typer.echo(
        f"report: {rendered} rendered, {unchanged} unchanged, {len(failures)} failed "
        f"across {len(results)} LA(s)."
    )
    for r in results:
        if r.index_path:
            typer.echo(f"Open {r.index_path}")
    top = (out or paths.reports_dir()) / "index.html"
    if len(results) > 1 and top.exists():
        typer.echo(f"All LAs: {top}")
    if failures:
        typer.secho("Failures (previous pages kept):", fg="red", err=True)
        for n in failures:
            typer.secho(f"  {n.summary()}", fg="red", err=True)
        raise typer.Exit(1)


def _check_private_extract(
    private_dir: Path | None, notebooks: list[str] | None
) -> dict[str, str] | None:
    """Read the SSDA903 extract asked for before any page renders; say which files it used.

    Raises SSDA903Error with a one-line message when the extract cannot be used, so the run
    stops instead of publishing synthetic figures or a page of zeros.
    """
    from solihull_analytics import ssda903
    from solihull_analytics.report.pipeline import discover_notebooks

    folder = ssda903.requested_folder(private_dir)
    if folder is None:
        return None
    if any(b"private_dir" in nb.read_bytes() for nb in discover_notebooks(notebooks)):
        extract = ssda903.load_extract(folder)
        typer.echo(f"SSDA903 extract {folder}: {extract.describe()}")
    return {"private_dir": str(folder)}


def _existing_folder(folder: Path | None, option: str) -> Path | None:
    """Resolve ``folder`` against the working directory; stop with a message if it is missing."""
    if folder is None:
        return None
    folder = folder.expanduser().resolve()
    if not folder.is_dir():
        typer.secho(f"error: {option} {folder}: no such folder.", fg="red", err=True)
        raise typer.Exit(2)
    return folder


@app.command("synthetic-903")
def synthetic_903(
    la: Annotated[str, typer.Option(help="LA code, e.g. E08000029 (Solihull).")] = SOLIHULL_LA_CODE,
    year: Annotated[
        int, typer.Option(help="Collection year, named by the 31 March it ends.")
    ] = 2019,
    children: Annotated[
        int, typer.Option(help="Children looked after in the year with a home postcode in the LA.")
    ] = 426,
    gradient: Annotated[
        float,
        typer.Option(help="Rate in the most deprived IDACI decile / rate in the least deprived."),
    ] = 25.0,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 1,
    out: Annotated[
        Path | None, typer.Option(help="Output folder (default data/synthetic/<la>/<year>/).")
    ] = None,
) -> None:
    """Write a SYNTHETIC SSDA903 extract (Header, Episodes, UASC CSVs) with a known gradient.

    For demonstrations and tests only: the children are invented, the postcodes are real
    postcodes of the LA, and home areas are drawn with the stated deprivation gradient.
    """
    _validate_synthetic_options(la, children, gradient)
    from solihull_analytics.ssda903.synthetic import synthetic_903_command

    synthetic_903_command(
        la=la, year=year, children=children, gradient=gradient, seed=seed, out=out
    )


def _fail(message: str, code: int = 2) -> typer.Exit:
    """Print ``error: message`` (one line, on stderr) and return the Exit to raise."""
    typer.secho(f"error: {message}", fg="red", err=True)
    return typer.Exit(code)


def _iso_date(value: str, option: str) -> str:
    """Return ``value`` if it is a real calendar date written YYYY-MM-DD, else stop."""
    from datetime import date

    try:
        if len(value) == 10 and value[4] == value[7] == "-":
            return date.fromisoformat(value).isoformat()
    except ValueError:
        pass
    raise _fail(f"{option} {value!r} is not a real date; give it as YYYY-MM-DD, e.g. 2025-03-31.")


def _require_data_dir() -> None:
    """Stop with a message when the data folder (``SOLIHULL_DATA_DIR``) does not exist."""
    import os

    from solihull_analytics import paths

    data = paths.data_dir()
    if not data.is_dir():
        where = "SOLIHULL_DATA_DIR" if os.environ.get("SOLIHULL_DATA_DIR") else "the data folder"
        raise _fail(
            f"{where} {data} does not exist; point SOLIHULL_DATA_DIR at the folder holding raw/ "
            "and processed/, or unset it and run `make data`."
        )


def _require_intact_tables() -> None:
    """Stop before rendering when a processed table is not the one the build wrote."""
    from solihull_analytics.processed import verify_tables

    bad = verify_tables()
    if bad:
        detail = "; ".join(f"{name} {why}" for name, why in sorted(bad.items()))
        raise _fail(
            f"processed table(s) not as built: {detail}. Run `solihull-analytics data build` "
            "to rebuild them, then run again."
        )


def _validate_synthetic_options(la: str, children: int, gradient: float) -> None:
    """Check synthetic-903's options before generating anything."""
    import math

    if children < 1:
        raise _fail(f"--children {children}: give at least 1 child.")
    if not (math.isfinite(gradient) and gradient > 0):
        raise _fail(
            f"--gradient {gradient:g}: give a positive ratio (most deprived decile's rate / "
            "least deprived decile's rate), e.g. 25."
        )
    from solihull_analytics.geo.las import UnknownAreaError, la_info

    _require_data_dir()
    try:
        la_info(la)
    except UnknownAreaError as exc:
        raise _fail(str(exc).splitlines()[0]) from exc


def _one_line_error(exc: BaseException) -> str | None:
    """The one-line message for an error the user can act on, or ``None`` for a bug."""
    import errno

    from solihull_analytics.build import BuildError
    from solihull_analytics.catalogue import CatalogueError
    from solihull_analytics.fetch import FetchError
    from solihull_analytics.locking import LockBusyError
    from solihull_analytics.processed import TableCorruptError
    from solihull_analytics.report.pipeline import ReportError

    known = (BuildError, TableCorruptError, CatalogueError, FetchError, LockBusyError, ReportError)
    if isinstance(exc, known):
        return str(exc).splitlines()[0]
    if isinstance(exc, OSError):
        where = exc.filename or "a file"
        what = exc.strerror or str(exc)
        if exc.errno == errno.ENOSPC:
            hint = "free some disk space and run again; the previous files were kept"
        elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            hint = (
                "make the folder writable, or choose another (--out, SOLIHULL_REPORTS_DIR, "
                "SOLIHULL_DATA_DIR)"
            )
        elif exc.errno == errno.ENOENT:
            hint = "check the path and the SOLIHULL_* environment variables"
        else:
            hint = "check the path, disk space and permissions"
        return f"{what}: {where}; {hint}."
    return None


_MULTI_VALUE_OPTIONS = {"--la", "--notebooks", "--only"}


def _expand_multi_value_options(argv: list[str]) -> list[str]:
    """Let ``--la A B`` mean ``--la A --la B`` (click options take one value each)."""
    out: list[str] = []
    current: str | None = None
    for arg in argv:
        if arg.startswith("-"):
            current = arg if arg in _MULTI_VALUE_OPTIONS else None
            out.append(arg)
        elif current and out and out[-1] != current and not out[-1].startswith("-"):
            out.extend([current, arg])
        else:
            out.append(arg)
    return out


def run() -> None:
    """Console entry point: known problems end with one line on stderr and a non-zero exit.

    Set ``SOLIHULL_DEBUG=1`` to see the full traceback instead.
    """
    import os

    try:
        sys.exit(
            app(args=_expand_multi_value_options(sys.argv[1:]), prog_name="solihull-analytics")
        )
    except Exception as exc:
        if os.environ.get("SOLIHULL_DEBUG"):
            raise
        try:
            message = _one_line_error(exc)
        except Exception:  # noqa: BLE001 - the handler itself must never add a traceback
            message = None
        if message is None:
            message = (
                f"unexpected {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
                " (set SOLIHULL_DEBUG=1 for the traceback, and please report it)"
            )
        typer.secho(f"error: {message}", fg="red", err=True)
        sys.exit(2)
