"""Bad input and faults end cleanly: one line naming what is wrong, non-zero exit, nothing
half-written (issue 11, section 2's first bullet and section 3).

Every case runs on tiny temporary catalogues, mirrors and tables, so the file stays fast; the CLI
is run in a subprocess where its exit code and message are what is being checked.
"""

from __future__ import annotations

import errno
import gzip
import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
import pytest
import yaml

from solihull_analytics import build as build_module
from solihull_analytics import build_keys, cli, processed
from solihull_analytics.build import TableSpec, build, read_table
from solihull_analytics.fetch import fetch
from solihull_analytics.locking import LockBusyError, hold_lock, is_locked
from solihull_analytics.processed import TableCorruptError
from solihull_analytics.report import convert, kernels
from solihull_analytics.report import pipeline as report
from tests.catalogue_fixtures import catalogue_entry

CSV = b"code,value\nA,1\nB,2\nC,3\n"
SCHEMA = pa.DataFrameSchema({"code": pa.Column(str), "value": pa.Column(int, pa.Check.ge(0))})
TABLE = "tiny_table"


_entry = catalogue_entry


def _cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    """Run ``solihull-analytics`` in a subprocess with extra environment variables."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("SOLIHULL_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "solihull_analytics", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
    )


def _assert_one_line_error(proc: subprocess.CompletedProcess, *words: str) -> str:
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and "Aborted" not in proc.stderr, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, proc.stderr
    for word in words:
        assert word in errors[0], errors[0]
    return errors[0]


def _run_in_process(
    args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> tuple[int, str]:
    """Run the console entry point in this process (faster than a subprocess)."""
    monkeypatch.setattr(sys, "argv", ["solihull-analytics", *args])
    with pytest.raises(SystemExit) as info:
        cli.run()
    code = info.value.code
    return (code if isinstance(code, int) else 1 if code else 0), capsys.readouterr().err


def _assert_one_error_line(code: int, err: str, *words: str) -> None:
    assert code != 0
    assert "Traceback" not in err and "Aborted" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), err
    for word in words:
        assert word in lines[0], lines[0]


# -- processed tables are checked before use ---------------------------------------------------
@pytest.fixture()
def tiny_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    raw = tmp_path / "raw"
    (raw / "t").mkdir(parents=True)
    (raw / "t" / "in.csv").write_bytes(CSV)
    cat = tmp_path / "catalogue.yaml"
    entry = _entry("tiny_input", "t/in.csv", hashlib.sha256(CSV).hexdigest())
    cat.write_text(yaml.safe_dump({"entries": [entry]}), encoding="utf-8")
    calls = {"n": 0}

    def builder(inputs: build_module.Inputs) -> pd.DataFrame:
        calls["n"] += 1
        return pd.read_csv(inputs.path("tiny_input"), dtype={"code": str})

    spec = TableSpec(TABLE, ("tiny_input",), (), builder, SCHEMA)
    monkeypatch.setitem(build_module.REGISTRY, TABLE, spec)
    only_tiny = {TABLE: spec}
    monkeypatch.setattr(build_module, "load_registry", lambda: only_tiny)
    kwargs = {"raw_dir": raw, "processed_dir": tmp_path / "processed", "catalogue_file": cat}
    return {"kwargs": kwargs, "processed": tmp_path / "processed", "calls": calls}


def _flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def test_a_flipped_byte_is_refused_on_read_and_rebuilt_by_build(tiny_project: dict) -> None:
    lines: list[str] = []
    assert [r.status for r in build(progress=lines.append, **tiny_project["kwargs"])] == ["built"]
    table = tiny_project["processed"] / f"{TABLE}.parquet"
    _flip_a_byte(table)
    with pytest.raises(TableCorruptError) as info:
        read_table(TABLE, tiny_project["processed"])
    message = str(info.value)
    assert TABLE in message and "data build" in message and "\n" not in message
    # The no-op fast path notices the change (size/mtime) and the slow path rebuilds.
    results = build(progress=lines.append, **tiny_project["kwargs"])
    assert [r.status for r in results] == ["built"]
    assert any(TABLE in line and "rebuilding" in line for line in lines), lines
    assert read_table(TABLE, tiny_project["processed"])["value"].tolist() == [1, 2, 3]
    assert tiny_project["calls"]["n"] == 2


def test_a_flipped_byte_with_its_old_mtime_is_still_refused_on_read(tiny_project: dict) -> None:
    build(**tiny_project["kwargs"])
    table = tiny_project["processed"] / f"{TABLE}.parquet"
    st = table.stat()
    _flip_a_byte(table)
    os.utime(table, ns=(st.st_atime_ns, st.st_mtime_ns))
    with pytest.raises(TableCorruptError, match=f"data build --only {TABLE}"):
        read_table(TABLE, tiny_project["processed"])
    # The command the message gives takes the slow path, which hashes every table.
    assert [r.status for r in build([TABLE], **tiny_project["kwargs"])] == ["built"]
    assert read_table(TABLE, tiny_project["processed"])["value"].tolist() == [1, 2, 3]


def test_a_truncated_table_is_refused_on_read_and_rebuilt(tiny_project: dict) -> None:
    lines: list[str] = []
    build(**tiny_project["kwargs"])
    table = tiny_project["processed"] / f"{TABLE}.parquet"
    table.write_bytes(table.read_bytes()[:-40])
    with pytest.raises(TableCorruptError, match=TABLE):
        read_table(TABLE, tiny_project["processed"])
    assert processed.verify_tables(tiny_project["processed"]).keys() == {TABLE}
    results = build([TABLE], progress=lines.append, **tiny_project["kwargs"])
    assert [r.status for r in results] == ["built"]
    assert any("truncated" in line for line in lines), lines
    assert processed.verify_tables(tiny_project["processed"]) == {}


def test_a_table_missing_from_the_manifest_is_not_used(tiny_project: dict) -> None:
    build(**tiny_project["kwargs"])
    (tiny_project["processed"] / "manifest.json").write_text("{}", encoding="utf-8")
    with pytest.raises(TableCorruptError, match="no checksum"):
        read_table(TABLE, tiny_project["processed"])


def test_fast_fingerprint_notices_a_damaged_table(tiny_project: dict) -> None:
    from solihull_analytics.catalogue import load_catalogue

    kwargs = tiny_project["kwargs"]
    build(**kwargs)
    manifest = processed.manifest(kwargs["processed_dir"])
    entries = load_catalogue(kwargs["catalogue_file"])

    def fingerprint() -> str | None:
        return build_keys.fast_fingerprint(
            manifest, entries, kwargs["raw_dir"], kwargs["processed_dir"]
        )

    before = fingerprint()
    assert before == build_keys.read_fast_state(kwargs["processed_dir"])
    table = kwargs["processed_dir"] / f"{TABLE}.parquet"
    table.write_bytes(table.read_bytes()[:-1])
    assert fingerprint() != before


def test_cli_names_a_damaged_table_and_what_to_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    processed = tmp_path / "data" / "processed"
    processed.mkdir(parents=True)
    pd.DataFrame({"la_code": ["E08000029"], "la_name": ["Solihull"]}).to_parquet(
        processed / "children_services_la.parquet"
    )
    doc = {"children_services_la": {"sha256": "0" * 64, "size": 1, "mtime_ns": 1}}
    (processed / "manifest.json").write_text(json.dumps(doc), encoding="utf-8")
    env = {"SOLIHULL_DATA_DIR": str(tmp_path / "data")}
    listed = _cli("report", "--list-las", env=env)
    _assert_one_line_error(listed, "children_services_la", "data build")
    monkeypatch.setenv("SOLIHULL_DATA_DIR", env["SOLIHULL_DATA_DIR"])
    argv = ["report", "--out", str(tmp_path / "reports")]
    code, err = _run_in_process(argv, monkeypatch, capsys)
    _assert_one_error_line(code, err, "children_services_la", "data build")
    assert not (tmp_path / "reports").exists(), "nothing is written from a damaged table"


# -- corrupt mirror copies ---------------------------------------------------------------------
def test_corrupt_gzip_mirror_copies_are_skipped_and_the_rest_fetched(tmp_path: Path) -> None:
    text = b"published notes\n" * 200
    sha = hashlib.sha256(text).hexdigest()
    good = gzip.compress(text)
    mirror = tmp_path / "mirror"
    (mirror / "t").mkdir(parents=True)
    damaged = bytearray(good)
    damaged[len(damaged) // 2] ^= 0xFF
    copies = {
        "a_corrupt": bytes(damaged),
        "b_truncated": good[: len(good) // 2],
        "c_not_gzip": text,
        "d_good": good,
    }
    entries = []
    for name, data in copies.items():
        (mirror / "t" / f"{name}.txt.gz").write_bytes(data)
        entries.append(
            _entry(
                name,
                f"t/{name}.txt",
                sha,
                mirror_path=f"t/{name}.txt.gz",
                mirror_compression="gzip",
                format="txt",
            )
        )
    cat = tmp_path / "catalogue.yaml"
    cat.write_text(yaml.safe_dump({"entries": entries}), encoding="utf-8")
    raw = tmp_path / "data" / "raw"
    results = fetch(mirror=mirror, raw_dir=raw, catalogue_file=cat, progress=False)
    status = {r.entry_id: r.status for r in results}
    assert status == {
        "a_corrupt": "failed",
        "b_truncated": "failed",
        "c_not_gzip": "failed",
        "d_good": "fetched",
    }
    for r in results[:3]:
        assert r.entry_id in r.message and f"{r.entry_id}.txt.gz" in r.message
        assert "\n" not in r.message
    assert (raw / "t" / "d_good.txt").read_bytes() == text
    assert sorted(p.name for p in (raw / "t").iterdir()) == ["d_good.txt"], "nothing half-written"

    env = {
        "SOLIHULL_DATA_DIR": str(tmp_path / "cli-data"),
        "SOLIHULL_CATALOGUE": str(cat),
    }
    proc = _cli("data", "fetch", "--mirror", str(mirror), env=env)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "Aborted" not in proc.stderr, proc.stderr
    failed = [line for line in proc.stderr.splitlines() if line.startswith("FAILED")]
    assert [line.split()[1].rstrip(":") for line in failed] == list(copies)[:3]
    assert (tmp_path / "cli-data" / "raw" / "t" / "d_good.txt").exists()


# -- tracebacks become one-line messages -------------------------------------------------------
def test_a_full_disk_while_a_page_is_written_keeps_the_old_page_and_no_tmp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = tmp_path / "01_cla_trend.html"
    page.write_text("previous page", encoding="utf-8")
    real_fdopen = os.fdopen

    class FullDisk:
        def __init__(self, fh) -> None:
            self.fh = fh

        def __enter__(self):
            return self

        def __exit__(self, *exc) -> None:
            self.fh.close()

        def write(self, text: str) -> int:
            raise OSError(errno.ENOSPC, "No space left on device", str(page))

    monkeypatch.setattr(convert.os, "fdopen",
                        lambda fd, *a, **k: FullDisk(real_fdopen(fd, *a, **k)))
    with pytest.raises(OSError) as info:
        convert.write_atomic(page, "new page")
    assert page.read_text(encoding="utf-8") == "previous page"
    assert sorted(p.name for p in tmp_path.iterdir()) == [page.name], "no .tmp left behind"
    message = cli._one_line_error(info.value)
    assert message and "No space left" in message and str(page) in message
    assert "disk space" in message and "\n" not in message


def test_a_read_only_reports_folder_gives_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        # root ignores permission bits: refuse writes under the folder the way the OS would.
        real_mkdir = Path.mkdir

        def read_only_mkdir(self: Path, *args, **kwargs) -> None:
            if reports in self.parents:
                raise PermissionError(errno.EACCES, "Permission denied", str(self))
            real_mkdir(self, *args, **kwargs)

        monkeypatch.setattr(Path, "mkdir", read_only_mkdir)
    else:
        reports.chmod(0o555)
    monkeypatch.setattr("solihull_analytics.geo.las.la_info", lambda *a, **k: None)
    monkeypatch.setattr(cli, "_require_intact_tables", lambda: None)
    try:
        code, err = _run_in_process(["report", "--out", str(reports)], monkeypatch, capsys)
    finally:
        reports.chmod(0o755)
    _assert_one_error_line(code, err, "Permission denied", str(reports))


def test_a_missing_data_dir_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder"
    proc = _cli("report", env={"SOLIHULL_DATA_DIR": str(missing)})
    _assert_one_line_error(proc, str(missing), "SOLIHULL_DATA_DIR")


def test_a_missing_data_dir_is_named_by_list_las(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    missing = tmp_path / "no-such-folder"
    monkeypatch.setenv("SOLIHULL_DATA_DIR", str(missing))
    code, err = _run_in_process(["report", "--list-las"], monkeypatch, capsys)
    _assert_one_error_line(code, err, str(missing), "SOLIHULL_DATA_DIR")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--children", "0"], ["--children 0", "at least 1"]),
        (["--gradient", "-1"], ["--gradient -1", "positive"]),
        (["--gradient", "nan"], ["--gradient nan", "positive"]),
    ],
)
def test_synthetic_903_rejects_impossible_options(
    tmp_path: Path,
    args: list[str],
    words: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
) -> None:
    argv = ["synthetic-903", "--out", str(tmp_path / "out"), *args]
    _assert_one_error_line(*_run_in_process(argv, monkeypatch, capsys), *words)
    assert not (tmp_path / "out").exists()


def test_synthetic_903_rejects_an_unknown_la(processed: Path, tmp_path: Path) -> None:
    proc = _cli("synthetic-903", "--la", "E99999999", "--out", str(tmp_path / "out"))
    _assert_one_line_error(proc, "E99999999", "--list-las")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("value", ["2019-13-45", "2019-02-29", "20190101", "tomorrow"])
def test_run_date_must_be_a_real_iso_date(value: str) -> None:
    with pytest.raises(cli.typer.Exit):
        cli._iso_date(value, "--run-date")
    assert cli._iso_date("2020-02-29", "--run-date") == "2020-02-29"


def test_cli_rejects_fewer_than_one_job(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    argv = ["report", "--jobs", "0", "--out", str(tmp_path / "r")]
    code, err = _run_in_process(argv, monkeypatch, capsys)
    _assert_one_error_line(code, err, "--jobs 0")
    assert not (tmp_path / "r").exists()


def test_cli_rejects_an_impossible_run_date(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    argv = ["report", "--run-date", "2019-13-45", "--out", str(tmp_path / "r")]
    code, err = _run_in_process(argv, monkeypatch, capsys)
    _assert_one_error_line(code, err, "2019-13-45", "YYYY-MM-DD")
    assert code == 2 and not (tmp_path / "r").exists()


# -- killed runs leave nothing running and nothing behind --------------------------------------
WORKER_SCRIPT = textwrap.dedent(
    """
    import os, sys, time
    from concurrent.futures import ProcessPoolExecutor, wait
    from solihull_analytics.locking import exit_with_parent

    def slow_write(path):
        time.sleep(20)
        open(path, "w").write("written after the build was killed")
        return os.getpid()

    def pid(_):
        time.sleep(0.5)
        return os.getpid()

    if __name__ == "__main__":
        out = sys.argv[1]
        with ProcessPoolExecutor(max_workers=2, initializer=exit_with_parent) as pool:
            pids = set(pool.map(pid, range(4)))
            print(" ".join(map(str, pids)), flush=True)
            futures = [pool.submit(slow_write, f"{out}/{i}.parquet") for i in range(2)]
            wait(futures)
    """
)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (exited, not yet reaped) is not running
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().split(") ")[-1][0] != "Z"
    except OSError:
        return True


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="kill -9 is POSIX")
def test_build_workers_exit_when_the_build_is_killed(tmp_path: Path) -> None:
    script = tmp_path / "pool.py"
    script.write_text(WORKER_SCRIPT, encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, str(script), str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        worker_pids = [int(p) for p in proc.stdout.readline().split()]
        assert worker_pids, "the pool started workers"
        time.sleep(0.5)  # the workers are now inside slow_write
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        deadline = time.monotonic() + 5
        while any(_alive(p) for p in worker_pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(p) for p in worker_pids), "workers outlived the killed build"
    finally:
        if proc.poll() is None:
            proc.kill()
    assert not list(tmp_path.glob("*.parquet")), "a worker wrote after the build was killed"


def test_stale_kernel_folders_are_removed_but_live_ones_kept(tmp_path: Path) -> None:
    dead = tmp_path / f"{kernels.KERNEL_DIR_PREFIX}dead"
    dead.mkdir()
    (dead / kernels.KERNEL_DIR_LOCK).touch()
    (dead / "kernel.json").write_text('{"key": "secret"}', encoding="utf-8")
    no_lock_file = tmp_path / f"{kernels.KERNEL_DIR_PREFIX}old-version"
    no_lock_file.mkdir()
    live = tmp_path / f"{kernels.KERNEL_DIR_PREFIX}live"
    live.mkdir()
    (live / kernels.KERNEL_DIR_LOCK).touch()
    an_hour_ago = time.time() - 3600
    for folder in (dead, no_lock_file, live):
        os.utime(folder, (an_hour_ago, an_hour_ago))
    just_made = tmp_path / f"{kernels.KERNEL_DIR_PREFIX}just-made"
    just_made.mkdir()
    (just_made / kernels.KERNEL_DIR_LOCK).touch()
    with hold_lock(live / kernels.KERNEL_DIR_LOCK, "test"):
        removed = kernels.clean_stale_kernel_dirs(tmp_path)
    assert removed == 1
    assert not dead.exists(), "a killed run's connection file (with its key) is removed"
    assert live.exists() and no_lock_file.exists() and just_made.exists()


def test_kernel_connection_file_lives_in_the_private_folder(tmp_path: Path) -> None:
    manager = kernels.local_socket_kernel_manager(tmp_path)(kernel_name="python3")
    assert Path(manager.connection_file).parent == tmp_path
    with kernels.private_kernel_dir() as folder:
        assert (folder.stat().st_mode & 0o077) == 0, "readable by this user only"
        assert is_locked(folder / kernels.KERNEL_DIR_LOCK)
    assert not folder.exists(), "removed on exit"


def test_a_killed_reports_staging_folder_is_removed_by_the_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    la = "E08000029"
    stale = tmp_path / la / ".staging-killed"
    stale.mkdir(parents=True)
    (stale / "04_cla_deprivation_gradient.ipynb").write_text("{}", encoding="utf-8")
    seen: list[bool] = []

    def fake_render(notebook: Path, la_code: str, out_dir: Path, **kwargs) -> report.NotebookResult:
        seen.append(is_locked(out_dir / report.REPORT_LOCK))
        assert not stale.exists(), "the leftover is gone before notebooks run"
        return report.NotebookResult(la_code, notebook.stem, "rendered")

    monkeypatch.setattr("solihull_analytics.geo.las.la_info", lambda *a, **k: None)
    monkeypatch.setattr(report, "render_notebook", fake_render)
    monkeypatch.setattr(report, "clean_stale_kernel_dirs", lambda: 0)
    result = report.render_pack(la, reports_dir=tmp_path, notebooks=["00"])
    assert [n.status for n in result.notebooks] == ["rendered"] and seen == [True]
    assert not list((tmp_path / la).glob(".staging-*"))


# -- two runs on the same folders --------------------------------------------------------------
HOLDER_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from solihull_analytics.locking import hold_lock

    with hold_lock(Path(sys.argv[1]), "test holder"):
        print("held", flush=True)
        time.sleep(60)
    """
)


@pytest.fixture()
def held_lock(tmp_path: Path):
    """Start a process that holds a lock file; yield a function taking the lock's path."""
    procs: list[subprocess.Popen] = []

    def hold(lock_file: Path) -> None:
        lock_file.parent.mkdir(parents=True, exist_ok=True)
        script = tmp_path / "holder.py"
        script.write_text(HOLDER_SCRIPT, encoding="utf-8")
        proc = subprocess.Popen(
            [sys.executable, str(script), str(lock_file)], stdout=subprocess.PIPE, text=True
        )
        procs.append(proc)
        assert proc.stdout.readline().strip() == "held"

    yield hold
    for proc in procs:
        proc.kill()
        proc.wait(timeout=10)


def test_a_second_data_build_waits_then_stops_with_a_message(tmp_path: Path, held_lock) -> None:
    data = tmp_path / "data"
    held_lock(data / "processed" / build_module.LOCK_NAME)
    proc = _cli("data", "build", env={"SOLIHULL_DATA_DIR": str(data), "SOLIHULL_LOCK_WAIT": "1"})
    assert "waiting" in proc.stdout, proc.stdout
    _assert_one_line_error(proc, "another data build", str(data / "processed"))


def test_a_second_report_on_the_same_la_waits_then_stops(
    tmp_path: Path, held_lock, monkeypatch: pytest.MonkeyPatch
) -> None:
    la = "E08000029"
    held_lock(tmp_path / la / report.REPORT_LOCK)
    monkeypatch.setattr("solihull_analytics.geo.las.la_info", lambda *a, **k: None)
    monkeypatch.setattr(report, "render_notebook", lambda *a, **k: pytest.fail("rendered"))
    monkeypatch.setenv("SOLIHULL_LOCK_WAIT", "0.5")
    with pytest.raises(LockBusyError, match=f"another report for {la}"):
        report.render_pack(la, reports_dir=tmp_path, notebooks=["00"])
