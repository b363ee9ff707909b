"""The ``solihull-analytics`` command.

Run ``solihull-analytics --help`` for the list of commands. In short::

    solihull-analytics data fetch      # copy/download the published files into data/raw, verified
    solihull-analytics data build      # turn them into tidy tables in data/processed
    solihull-analytics report          # render the HTML pack into reports/
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from solihull_analytics import __version__

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
    help="Get the published data (fetch), turn it into tables (build), and inspect it (list).",
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


@data_app.command("list")
def data_list() -> None:
    """List the catalogue: each published file, whether it is cached, and the tables built."""
    from solihull_analytics import paths
    from solihull_analytics.build import load_registry, manifest
    from solihull_analytics.catalogue import load_catalogue

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
        typer.Option(help="Folder with the LA's own SSDA903 CSVs (default data/private/)."),
    ] = None,
    list_las: Annotated[
        bool, typer.Option("--list-las", help="List valid LA codes and names, then stop.")
    ] = False,
    compare_with: Annotated[
        Path | None,
        typer.Option(
            help="A previous pack (its reports/ or reports/<LA>/ folder) to compare the front "
            "page's figures with (default: the figures this run replaces)."
        ),
    ] = None,
) -> None:
    """Render the HTML pack (one page per notebook, plus a front page) into reports/<LA>/."""
    from solihull_analytics import paths
    from solihull_analytics.geography import UnknownAreaError
    from solihull_analytics.geography import list_las as all_las_table
    from solihull_analytics.report import ReportError, render_many, render_pack

    if list_las:
        for row in all_las_table().itertuples():
            typer.echo(f"{row.la_code}  {row.la_name}")
        return
    extra = {"private_dir": str(private_dir)} if private_dir else None
    kwargs = dict(
        notebooks=notebooks,
        reports_dir=out,
        run_date=run_date,
        force=force,
        extra_parameters=extra,
        compare_with=_existing_folder(compare_with, "--compare-with"),
    )
    try:
        if all_las or (la and len(la) > 1):
            codes = all_las_table()["la_code"].tolist() if all_las else list(la or [])
            results = render_many(codes, jobs=jobs, **kwargs)
        else:
            code = (la or ["E08000029"])[0]
            results = [
                render_pack(code, on_result=lambda r: typer.echo(r.summary()), jobs=jobs, **kwargs)
            ]
    except (ReportError, UnknownAreaError) as exc:
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
    la: Annotated[str, typer.Option(help="LA code, e.g. E08000029 (Solihull).")] = "E08000029",
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
    from solihull_analytics.synthetic import synthetic_903_command

    synthetic_903_command(
        la=la, year=year, children=children, gradient=gradient, seed=seed, out=out
    )


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
    """Console entry point."""
    sys.exit(app(args=_expand_multi_value_options(sys.argv[1:]), prog_name="solihull-analytics"))
