"""Render the HTML pack: execute each notebook with papermill, convert it with nbconvert.

For each LA and each notebook in ``notebooks/`` (named ``NN_name.ipynb``):

1. skip it when its inputs (notebook file, library code, processed-data hashes, parameters) are
   unchanged since its last successful render (``--force`` overrides);
2. execute it with papermill into a staging folder, passing ``la_code``, ``processed_dir``,
   ``output_dir`` (where the notebook writes its headline JSON) and ``run_date``;
3. convert the executed notebook to standalone HTML in-process (code hidden, alt text on charts,
   header, table of contents, data-sources footer);
4. only then move the HTML, JSON and executed copy into ``reports/<la>/`` — a notebook that
   fails leaves the previous page in place, and the other notebooks still run.

Finally ``reports/<la>/index.html`` (the pack's front page) and ``reports/index.html`` (every LA
rendered) are rewritten.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from solihull_analytics import __version__, paths
from solihull_analytics.report import changes
from solihull_analytics.report.downloads import publish as publish_downloads
from solihull_analytics.report.sanitise import CSP_META, sanitise_page

STATE_DIR = ".state"
PACKAGE_DIR = Path(__file__).resolve().parent
HEADLINE_SCHEMA = PACKAGE_DIR / "headline_schema.json"
#: Headline figures shown per page on the pack's front page (the rest are on the page itself).
FRONT_PAGE_HEADLINES = 6
_NOTEBOOK_NAME = re.compile(r"^(\d{2})_[a-z0-9_]+\.ipynb$")


def kernel_transport(platform: str | None = None) -> str:
    """``"ipc"`` (local socket files), or ``"tcp"`` on loopback on Windows only.

    Windows has no Unix-domain (IPC) sockets that ZeroMQ can use, so kernels there listen on
    127.0.0.1: reachable from this machine only, and protected by the connection file's key.
    """
    return "tcp" if (platform or sys.platform) == "win32" else "ipc"


def _local_socket_kernel_manager(socket_dir: Path) -> type:
    """A kernel manager whose kernels talk over local (IPC) sockets instead of TCP.

    Notebook 04 handles child-level data inside the kernel; with IPC the traffic between
    pipeline and kernel goes through socket files readable by this user only, never a network
    port (and ipykernel's "running over TCP without encryption" warning goes away).
    """
    from jupyter_client.manager import AsyncKernelManager

    class LocalSocketKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.transport = kernel_transport()
            self.ip = str(socket_dir / "kernel") if self.transport == "ipc" else "127.0.0.1"
            # The connection file holds the kernel's signing key: keep it in the same private
            # folder (removed at the end, or by the next run if this one is killed), not in
            # Jupyter's shared runtime folder.
            self.connection_file = str(socket_dir / "kernel.json")

        def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
            # The kernel logs a harmless "KeyboardInterrupt caught" at every shutdown; a failing
            # cell is reported by the pipeline itself, so keep the kernel's own log quiet.
            quiet = ["--IPKernelApp.log_level=CRITICAL"]
            return super().format_kernel_cmd([*(extra_arguments or []), *quiet])

    return LocalSocketKernelManager


class ReportError(RuntimeError):
    """The pack could not be rendered; the message says which notebook and why."""


@dataclass
class NotebookResult:
    """Outcome of rendering one notebook for one LA."""

    la_code: str
    notebook: str
    status: str  # "rendered", "unchanged" or "failed"
    seconds: float = 0.0
    cell: int | None = None
    error: str = ""
    stage: str = "execution"  # where a failure happened: "execution" or "rendering"

    def summary(self) -> str:
        """One line: notebook, LA, cell and exception for failures."""
        if self.status != "failed":
            return f"{self.la_code} {self.notebook}: {self.status} ({self.seconds:.1f} s)"
        where = f"cell {self.cell}" if self.cell is not None else f"{self.stage} stage"
        return f"{self.la_code} {self.notebook}: FAILED at {where}: {self.error}"


@dataclass
class PackResult:
    """Outcome of rendering the pack for one LA."""

    la_code: str
    notebooks: list[NotebookResult] = field(default_factory=list)
    index_path: Path | None = None

    @property
    def ok(self) -> bool:
        return all(n.status != "failed" for n in self.notebooks)


def discover_notebooks(
    selected: Sequence[str] | None = None, notebooks_dir: Path | None = None
) -> list[Path]:
    """Return the report notebooks, optionally only those whose number or name is selected.

    Parameters
    ----------
    selected : sequence of str, optional
        Numbers (``"01"``) or names (``"01_cla_trend"``); all notebooks when omitted.
    notebooks_dir : Path, optional
        Folder of notebooks (default ``notebooks/``).
    """
    folder = notebooks_dir or paths.notebooks_dir()
    found = sorted(p for p in folder.glob("*.ipynb") if _NOTEBOOK_NAME.match(p.name))
    if not selected:
        return found
    chosen = [p for p in found if p.name[:2] in selected or p.stem in selected]
    missing = [s for s in selected if not any(p.name[:2] == s or p.stem == s for p in found)]
    if missing:
        names = ", ".join(p.stem for p in found)
        raise ReportError(f"no notebook {', '.join(missing)} in {folder}; available: {names}.")
    return chosen


def _library_fingerprint() -> str:
    h = hashlib.sha256(__version__.encode())
    for p in sorted(PACKAGE_DIR.rglob("*")):
        if p.is_file() and p.suffix in {".py", ".j2", ".css", ".json", ".yaml"}:
            h.update(p.relative_to(PACKAGE_DIR).as_posix().encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def _processed_fingerprint(processed_dir: Path) -> str:
    manifest = processed_dir / "manifest.json"
    if not manifest.exists():
        return "no-manifest"
    doc = json.loads(manifest.read_text(encoding="utf-8"))
    return hashlib.sha256(
        json.dumps({k: v.get("sha256") for k, v in doc.items()}, sort_keys=True).encode()
    ).hexdigest()


def declared_parameters(notebook: Path) -> set[str]:
    """Names the notebook's ``parameters`` cell declares, as papermill reads them."""
    import papermill

    return set(papermill.inspect_notebook(str(notebook)))


def _private_extract(notebook: Path, parameters: dict[str, Any]) -> str:
    """Settle here which SSDA903 extract a notebook reads; return its fingerprint.

    The folder (``private_dir``, ``SOLIHULL_PRIVATE_DIR`` or a non-empty ``data/private/``) is
    resolved in this process, against the user's working directory, and passed to the kernel
    as an absolute path; the fingerprint covers that folder's files, so a changed extract
    re-renders the page. Notebooks without a ``private_dir`` parameter do not depend on it.
    """
    from solihull_analytics import ssda903

    if b"private_dir" not in notebook.read_bytes():
        parameters.pop("private_dir", None)
        return ""
    folder = ssda903.requested_folder(parameters.get("private_dir") or None)
    if folder is not None:
        parameters["private_dir"] = str(folder)
    return ssda903.fingerprint(folder)


def render_key(notebook: Path, parameters: dict[str, Any], library: str, processed: str) -> str:
    """Hash of everything a rendered page depends on (the run date excepted)."""
    stable = {k: v for k, v in parameters.items() if k not in {"run_date", "output_dir"}}
    h = hashlib.sha256()
    h.update(notebook.read_bytes())
    h.update(library.encode())
    h.update(processed.encode())
    h.update(json.dumps(stable, sort_keys=True, default=str).encode())
    return h.hexdigest()


def _page_css() -> str:
    return (PACKAGE_DIR / "templates" / "pack.css").read_text(encoding="utf-8")


def _add_toc(page: str) -> str:
    headings = re.findall(r'<h2 id="([^"]+)"[^>]*>(.*?)(?:<a class="anchor-link".*?)?</h2>', page)
    items = []
    for anchor, text in headings:
        label = re.sub(r"<[^>]+>", "", text).strip()
        if anchor != "data-used" and label:
            items.append(f'<li><a href="#{anchor}">{label}</a></li>')
    items.append('<li><a href="#data-used">Data used</a></li>')
    toc = "<h2 class='sa-toc-title'>Contents</h2><ol>" + "".join(items) + "</ol>"
    return page.replace("<!--SA-TOC-->", toc, 1)


_EXPORTERS = threading.local()


def _html_exporter() -> Any:
    """The pack's HTML exporter, made once per thread and reused across pages (issue 16)."""
    exporter = getattr(_EXPORTERS, "html", None)
    if exporter is None:
        from nbconvert import HTMLExporter

        exporter = HTMLExporter(
            template_name="pack",
            extra_template_basedirs=[str(PACKAGE_DIR / "templates")],
            exclude_input=True,
            exclude_input_prompt=True,
            exclude_output_prompt=True,
            embed_images=True,
        )
        _EXPORTERS.html = exporter
    return exporter


def notebook_to_html(executed: Path, headline: dict[str, Any]) -> str:
    """Convert an executed notebook to a standalone, accessible HTML page (code hidden)."""
    import nbformat

    exporter = _html_exporter()
    nb = nbformat.read(executed, as_version=4)
    # Drop error/stream outputs from the page: warnings and logs are for the executed copy only.
    for cell in nb.cells:
        if cell.get("cell_type") == "code":
            cell["outputs"] = [
                o
                for o in cell.get("outputs", [])
                if o.get("output_type") not in {"stream", "error"}
            ]
    resources = {
        "sa": {
            "title": headline.get("title", executed.stem),
            "la_code": headline.get("la_code", ""),
            "la_name": headline.get("la_name", ""),
            "run_date": headline.get("run_date", ""),
            "version": __version__,
            "synthetic": bool(headline.get("synthetic")),
            "sources": headline.get("sources", []),
            "css": _page_css(),
        },
        "metadata": {"name": headline.get("title", executed.stem)},
    }
    nb.metadata["title"] = f"{headline.get('title', executed.stem)}: {headline.get('la_name', '')}"
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return _add_toc(sanitise_page(body))


def validate_headline(doc: dict[str, Any]) -> None:
    """Validate a headline document against ``headline_schema.json`` (raises ReportError)."""
    import jsonschema

    schema = json.loads(HEADLINE_SCHEMA.read_text(encoding="utf-8"))
    try:
        jsonschema.validate(doc, schema)
    except jsonschema.ValidationError as exc:
        path = "/".join(str(p) for p in exc.absolute_path)
        raise ReportError(
            f"headline JSON does not match the schema at {path}: {exc.message}"
        ) from exc


def _write_atomic(target: Path, text: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, target)
    except BaseException:
        # A full disk or an interrupted write: leave the previous file and no temporary behind.
        Path(tmp).unlink(missing_ok=True)
        raise


KERNEL_DIR_PREFIX = "sa-kernel-"
#: Held (locked) while a run uses its kernel folder; a folder whose lock is free was left by a
#: run that was killed.
KERNEL_DIR_LOCK = ".in-use"
#: The lock file of ``reports/<LA>/``, held while a pack is rendered into it.
REPORT_LOCK = ".render.lock"


@contextmanager
def _private_kernel_dir() -> Iterator[Path]:
    """A temporary folder only this user can read (mode 0700) for a kernel's connection file and
    sockets; removed on exit, and by :func:`clean_stale_kernel_dirs` if the run is killed."""
    from solihull_analytics.locking import hold_lock

    with tempfile.TemporaryDirectory(prefix=KERNEL_DIR_PREFIX) as name:
        folder = Path(name)
        with hold_lock(folder / KERNEL_DIR_LOCK, "report"):
            yield folder


def clean_stale_kernel_dirs(
    temp_root: Path | None = None, min_age_seconds: float = 24 * 3600
) -> int:
    """Remove kernel folders (with their connection keys) left by killed runs; return how many.

    A folder whose lock is held belongs to a live run and is kept, and so is one made in the
    last few seconds (its run may not have taken the lock yet). One without a lock file (made by
    an older version) is removed only when older than ``min_age_seconds``.
    """
    from solihull_analytics.locking import is_locked

    root = temp_root or Path(tempfile.gettempdir())
    removed = 0
    for folder in root.glob(f"{KERNEL_DIR_PREFIX}*"):
        try:
            st = folder.stat()
            if not folder.is_dir() or (hasattr(os, "getuid") and st.st_uid != os.getuid()):
                continue
            age = time.time() - st.st_mtime
            lock = folder / KERNEL_DIR_LOCK
            if age < 5 or (lock.exists() and is_locked(lock)):
                continue
            if not lock.exists() and age < min_age_seconds:
                continue
        except OSError:
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed += not folder.exists()
    return removed


def render_notebook(
    notebook: Path,
    la_code: str,
    out_dir: Path,
    *,
    processed_dir: Path,
    run_date: str,
    extra_parameters: dict[str, Any] | None = None,
    force: bool = False,
    library: str | None = None,
    kernel: Any = None,
) -> NotebookResult:
    """Execute and render one notebook for one LA into ``out_dir`` (``reports/<la>``).

    ``kernel`` is an optional warm kernel kept across LAs by :mod:`solihull_analytics.report.batch`
    (it has ``engine_kwargs()``); without it papermill starts and stops a fresh kernel.

    Returns
    -------
    NotebookResult
        ``unchanged`` when skipped, ``rendered`` on success, ``failed`` with the cell and
        exception otherwise (the previous HTML, JSON and executed copy are then left in place).
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    start = time.perf_counter()
    name = notebook.stem
    declared = declared_parameters(notebook)
    parameters: dict[str, Any] = {
        "la_code": la_code,
        "processed_dir": str(processed_dir),
        "run_date": run_date,
        # Only what this notebook declares: an option for page 04 must not re-render page 01.
        **{k: v for k, v in (extra_parameters or {}).items() if k in declared},
    }
    library = library or _library_fingerprint()
    extra_fp = _private_extract(notebook, parameters)
    key = render_key(
        notebook, parameters, library + extra_fp, _processed_fingerprint(processed_dir)
    )
    state_file = out_dir / STATE_DIR / f"{name}.json"
    html_file = out_dir / f"{name}.html"
    if not force and state_file.exists() and html_file.exists():
        if json.loads(state_file.read_text(encoding="utf-8")).get("key") == key:
            return NotebookResult(la_code, name, "unchanged", time.perf_counter() - start)
    out_dir.mkdir(parents=True, exist_ok=True)

    def failed(error: str, cell: int | None = None, stage: str = "execution") -> NotebookResult:
        seconds = time.perf_counter() - start
        return NotebookResult(la_code, name, "failed", seconds, cell, error, stage)

    with (
        tempfile.TemporaryDirectory(dir=out_dir, prefix=".staging-") as staging_name,
        _private_kernel_dir() as socket_dir,  # mode 0700
    ):
        staging = Path(staging_name)
        executed = staging / f"{name}.ipynb"
        parameters["output_dir"] = str(staging)
        engine_kwargs = (
            kernel.engine_kwargs()
            if kernel is not None
            else {"kernel_manager_class": _local_socket_kernel_manager(Path(socket_dir))}
        )
        try:
            papermill.execute_notebook(
                str(notebook),
                str(executed),
                parameters=parameters,
                kernel_name="python3",
                progress_bar=False,
                log_output=False,
                cwd=str(notebook.parent),
                **engine_kwargs,
            )
        except PapermillExecutionError as exc:
            # exec_count is the code cell's execution number, as shown in the executed copy.
            return failed(f"{exc.ename}: {exc.evalue}", exc.exec_count)
        except Exception as exc:  # noqa: BLE001 - kernel death, bad parameters, ...
            return failed(f"{type(exc).__name__}: {exc}")
        headline_path = staging / f"{name}.json"
        try:
            if not headline_path.exists():
                raise ReportError("the notebook did not write its headline JSON (page.finish()).")
            headline = json.loads(headline_path.read_text(encoding="utf-8"))
            validate_headline(headline)
            page = notebook_to_html(executed, headline)
        except Exception as exc:  # noqa: BLE001
            return failed(f"{type(exc).__name__}: {exc}", stage="rendering")
        # The page first: if it cannot be written (a full disk), nothing of this run replaces
        # the previous version.
        _write_atomic(html_file, page)
        (out_dir / "executed").mkdir(exist_ok=True)
        os.replace(executed, out_dir / "executed" / f"{name}.ipynb")
        changes.keep_previous(out_dir / f"{name}.json", headline)
        os.replace(headline_path, out_dir / f"{name}.json")
        publish_downloads(staging / name, out_dir / name)
    _write_atomic(state_file, json.dumps({"key": key, "rendered_at": run_date}))
    return NotebookResult(la_code, name, "rendered", time.perf_counter() - start)


def _index_page(title: str, body: str, css: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
{CSP_META}
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<meta name="generator" content="solihull-analytics {html.escape(__version__)}">
<title>{html.escape(title)}</title>
<style>{css}</style>
</head>
<body class="sa-page">
<a class="sa-skip" href="#sa-main">Skip to content</a>
{body}
</body>
</html>
"""


def _format_value(h: dict[str, Any]) -> str:
    value = h.get("value")
    if value is None:
        return "not available"
    if isinstance(value, float):
        text = f"{value:,.2f}" if abs(value) < 10 else f"{value:,.1f}"
    elif isinstance(value, int):
        text = f"{value:,}"
    else:
        text = str(value)
    if h.get("lower") is not None and h.get("upper") is not None:
        text += f" (95% CI {h['lower']:,.1f} to {h['upper']:,.1f})"
    return text


def write_la_index(out_dir: Path, compare_with: Path | None = None) -> Path:
    """Write ``reports/<la>/index.html``: headline figures and links to every page.

    When a previous pack is at hand (``<out_dir>/previous/``, or ``compare_with``), each
    figure also shows its previous value and the change (:mod:`solihull_analytics.report.changes`).
    """
    previous = changes.previous_docs(out_dir, compare_with)
    docs = []
    for p in sorted(out_dir.glob("[0-9][0-9]_*.json")):
        try:
            docs.append(json.loads(p.read_text(encoding="utf-8")))
        except json.JSONDecodeError:
            continue
    la_name = docs[0]["la_name"] if docs else out_dir.name
    la_code = docs[0]["la_code"] if docs else out_dir.name
    run_dates = sorted({d.get("run_date", "") for d in docs})
    sections = []
    links = []
    for d in docs:
        nb = d["notebook"]
        synthetic = (
            " <strong class='sa-synthetic'>SYNTHETIC DATA</strong>" if d.get("synthetic") else ""
        )
        links.append(
            f'<li><a href="{html.escape(nb)}.html">{html.escape(d["title"])}</a>{synthetic}</li>'
        )
        rows = []
        headlines = d.get("headlines", [])
        for h in headlines[:FRONT_PAGE_HEADLINES]:
            rows.append(
                "<tr>"
                f"<th scope='row'>{html.escape(h.get('label') or h['name'].replace('_', ' '))}</th>"
                f"<td>{html.escape(_format_value(h))}</td>"
                f"<td>{html.escape(h['unit'])}</td><td>{html.escape(h['period'])}</td>"
                f"<td>{html.escape(h['statement'])}</td>"
                + (changes.change_cells(changes.compare(h, previous.get(nb))) if previous else "")
                + "</tr>"
            )
        more = len(headlines) - FRONT_PAGE_HEADLINES
        more_text = (
            f"<p>{more} more figures on <a href='{html.escape(nb)}.html'>the full page</a>.</p>"
            if more > 0
            else ""
        )
        if rows:
            sections.append(
                f"<h2 id='{html.escape(nb)}'>{html.escape(d['title'])}{synthetic}</h2>"
                f"<p><a href='{html.escape(nb)}.html'>Read the full page</a></p>"
                "<table class='sa-table'><caption>Headline figures</caption><thead><tr>"
                "<th scope='col'>Measure</th><th scope='col'>Value</th><th scope='col'>Unit</th>"
                "<th scope='col'>Period</th><th scope='col'>In plain English</th>"
                + (
                    "<th scope='col'>Previous</th><th scope='col'>Change</th>"
                    if previous
                    else ""
                )
                + "</tr></thead>"
                f"<tbody>{''.join(rows)}</tbody></table>{more_text}"
            )
    body = (
        "<header class='sa-header'><p class='sa-crumb'><a href='../index.html'>All local "
        "authorities</a></p>"
        f"<h1>{html.escape(la_name)}: children's services data pack</h1>"
        f"<p class='sa-meta'>Local authority {html.escape(la_code)} &middot; run on "
        f"{html.escape(', '.join(run_dates))} &middot; solihull-analytics "
        f"{html.escape(__version__)}</p></header>"
        "<main id='sa-main'>"
        "<nav aria-label='Pages in this pack'><h2 id='pages'>Pages in this pack</h2>"
        f"<ol>{''.join(links)}</ol></nav>"
        f"{changes.compared_with_text(previous, compare_with)}"
        f"{''.join(sections)}</main>"
        "<footer class='sa-footer'><p>Built from published DfE, ONS and MHCLG data; each page "
        "lists the files it used with their checksums. Contains public sector information "
        "licensed under the Open Government Licence v3.0.</p></footer>"
    )
    target = out_dir / "index.html"
    _write_atomic(
        target, _index_page(f"{la_name}: children's services data pack", body, _page_css())
    )
    return target


def write_top_index(reports_dir: Path) -> Path:
    """Write ``reports/index.html`` listing every LA with a rendered pack."""
    rows = []
    for la_dir in sorted(
        p for p in reports_dir.iterdir() if p.is_dir() and (p / "index.html").exists()
    ):
        jsons = sorted(la_dir.glob("[0-9][0-9]_*.json"))
        name = la_dir.name
        if jsons:
            name = json.loads(jsons[0].read_text(encoding="utf-8")).get("la_name", name)
        rows.append((name, la_dir.name))
    rows.sort()
    items = "".join(
        f"<li><a href='{html.escape(code)}/index.html'>{html.escape(name)}</a> "
        f"({html.escape(code)})</li>"
        for name, code in rows
    )
    body = (
        "<header class='sa-header'><h1>Children's services data packs</h1>"
        f"<p class='sa-meta'>{len(rows)} local authorities &middot; solihull-analytics "
        f"{html.escape(__version__)}</p></header>"
        f"<main id='sa-main'><h2 id='las'>Local authorities</h2><ul>{items}</ul></main>"
    )
    target = reports_dir / "index.html"
    _write_atomic(target, _index_page("Children's services data packs", body, _page_css()))
    return target


def render_pack(
    la_code: str,
    *,
    notebooks: Sequence[str] | None = None,
    reports_dir: Path | None = None,
    processed_dir: Path | None = None,
    run_date: str | None = None,
    force: bool = False,
    extra_parameters: dict[str, Any] | None = None,
    on_result: Callable[[NotebookResult], None] | None = None,
    jobs: int | None = None,
    compare_with: Path | None = None,
) -> PackResult:
    """Render every (selected) notebook for one LA, then its index page.

    Parameters
    ----------
    la_code : str
        Children's-services LA code, e.g. ``"E08000029"``.
    notebooks : sequence of str, optional
        Notebook numbers or names (default: all).
    reports_dir, processed_dir : Path, optional
        Output and input folders (defaults from :mod:`solihull_analytics.paths`).
    run_date : str, optional
        ISO date shown on the pages (default today).
    force : bool, default False
        Render even when nothing changed.
    extra_parameters : dict, optional
        More papermill parameters (e.g. ``private_dir``).
    on_result : callable, optional
        Called after each notebook.
    jobs : int, optional
        Notebooks executed at once (default: the number of CPUs). Each runs in its own kernel
        process, so the pack uses every core; results are reported in notebook order.
    compare_with : Path, optional
        A previous pack to compare the front page's figures with (default: the figures this
        pack replaced, kept in ``reports/<la>/previous/``).
    """
    from concurrent.futures import ThreadPoolExecutor

    from solihull_analytics.geo.las import la_info

    reports_dir = reports_dir or paths.reports_dir()
    processed_dir = processed_dir or paths.processed_dir()
    run_date = run_date or date.today().isoformat()
    la_info(la_code, processed_dir)  # fail early, with the list of valid codes, on a bad code
    out_dir = reports_dir / la_code
    result = PackResult(la_code)
    library = _library_fingerprint()

    def one(nb: Path) -> NotebookResult:
        return render_notebook(
            nb,
            la_code,
            out_dir,
            processed_dir=processed_dir,
            run_date=run_date,
            extra_parameters=extra_parameters,
            force=force,
            library=library,
        )

    from solihull_analytics.locking import hold_lock

    selected = discover_notebooks(notebooks)
    out_dir.mkdir(parents=True, exist_ok=True)
    clean_stale_kernel_dirs()
    with hold_lock(out_dir / REPORT_LOCK, f"report for {la_code}"):
        clean_staging(reports_dir, la_code)  # no live run holds them: we hold the lock
        # Threads are enough: the work happens in the kernel processes papermill starts.
        with ThreadPoolExecutor(max_workers=max(1, jobs or os.cpu_count() or 1)) as pool:
            for r in pool.map(one, selected):
                result.notebooks.append(r)
                if on_result:
                    on_result(r)
        if out_dir.exists():
            result.index_path = write_la_index(out_dir, compare_with)
            write_top_index(reports_dir)
    return result


def _render_pack_worker(kwargs: dict[str, Any]) -> PackResult:
    return render_pack(**kwargs)


def render_many(
    la_codes: Iterable[str],
    *,
    jobs: int | None = None,
    progress: bool = True,
    **kwargs: Any,
) -> list[PackResult]:
    """Render packs for many LAs in parallel; one LA's failure does not stop the rest."""
    from tqdm.auto import tqdm

    codes = list(la_codes)
    jobs = jobs or os.cpu_count() or 1
    results: list[PackResult] = []
    from solihull_analytics.build import exit_with_parent

    with ProcessPoolExecutor(max_workers=jobs, initializer=exit_with_parent) as pool:
        # LAs run in parallel, so each LA renders its notebooks one at a time.
        futures = {
            pool.submit(_render_pack_worker, {"la_code": c, "jobs": 1, **kwargs}): c for c in codes
        }
        for fut in tqdm(as_completed(futures), total=len(codes), desc="LAs", disable=not progress):
            code = futures[fut]
            try:
                results.append(fut.result())
            except Exception as exc:  # noqa: BLE001
                results.append(
                    PackResult(code, [NotebookResult(code, "(pack)", "failed", error=str(exc))])
                )
    reports_dir = kwargs.get("reports_dir") or paths.reports_dir()
    if Path(reports_dir).exists():
        write_top_index(Path(reports_dir))
    return sorted(results, key=lambda r: r.la_code)


def clean_staging(reports_dir: Path | None = None, la_code: str | None = None) -> None:
    """Remove staging and swap folders left by a killed run (of one LA, or of every LA).

    Call it only while holding the LA's render lock, or when no run is going on.
    """
    root = reports_dir or paths.reports_dir()
    # .staging-*: pages being rendered; .old-*: a downloads folder being swapped (downloads.py).
    for prefix in (".staging-", ".old-"):
        for p in root.glob(f"{la_code or '*'}/{prefix}*"):
            shutil.rmtree(p, ignore_errors=True)
