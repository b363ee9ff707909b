"""The make-free route of the README (for Windows) and the loopback-TCP kernel fallback."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from solihull_analytics.cli import app
from solihull_analytics.report import kernels
from solihull_analytics.report import pipeline as report

ROOT = Path(__file__).resolve().parents[1]


def _make_free_commands() -> list[list[str]]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## On Windows, without make", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, flags=re.S)
    assert block, "the README's Windows section has a bash block of commands"
    return [shlex.split(line) for line in block.group(1).splitlines() if line.strip()]


def test_readme_make_free_route_names_commands_that_exist() -> None:
    commands = _make_free_commands()
    programs = [c[0] for c in commands]
    assert programs[:2] == ["conda", "conda"] and commands[-1] == ["python", "-m", "pytest"]
    env_file = commands[0][commands[0].index("-f") + 1]
    env = yaml.safe_load((ROOT / env_file).read_text(encoding="utf-8"))
    assert commands[1] == ["conda", "activate", env["name"]]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip, "the conda environment installs the solihull-analytics command"
    cli = [c[1:] for c in commands if c[0] == "solihull-analytics"]
    assert [c[:2] for c in cli] == [["data", "fetch"], ["data", "build"], ["report", "--la"]]
    runner = CliRunner()
    for args in cli:
        # --help after the options: an unknown command or option still fails (exit 2).
        result = runner.invoke(app, [*args, "--help"])
        assert result.exit_code == 0, f"solihull-analytics {' '.join(args)}: {result.output}"


def test_kernels_use_ipc_except_on_windows(tmp_path: Path) -> None:
    assert kernels.kernel_transport("linux") == "ipc"
    assert kernels.kernel_transport("darwin") == "ipc"
    assert kernels.kernel_transport("win32") == "tcp"
    manager = kernels.local_socket_kernel_manager(tmp_path)()
    assert (manager.transport, manager.ip) == ("ipc", str(tmp_path / "kernel"))


@pytest.mark.slow
def test_a_notebook_renders_over_loopback_tcp(
    tmp_path: Path, processed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Windows fallback works: a notebook executes with its kernel on 127.0.0.1."""
    from tests.test_report import GOOD, SOLIHULL, _notebook

    monkeypatch.setattr(kernels, "kernel_transport", lambda platform=None: "tcp")
    manager = kernels.local_socket_kernel_manager(tmp_path)()
    assert (manager.transport, manager.ip) == ("tcp", "127.0.0.1")
    nb_dir = tmp_path / "nbs"
    nb_dir.mkdir()
    nb = _notebook(nb_dir, GOOD, "90_fixture")
    out = tmp_path / "reports" / SOLIHULL
    result = report.render_notebook(
        nb, SOLIHULL, out, processed_dir=processed, run_date="2026-01-31"
    )
    assert result.status == "rendered", result.summary()
    assert "A fixture paragraph that says 42." in (out / "90_fixture.html").read_text()


def test_pipeline_uses_pathlib_and_no_shell() -> None:
    """Paths portable to Windows: no os.path string joining, no shell commands."""
    found = []
    for source in sorted((ROOT / "src" / "solihull_analytics").rglob("*.py")):
        for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"\bos\.path\.|\bsubprocess\b|\bos\.system\(|shell=True", line):
                found.append(f"{source.name}:{number}: {line.strip()}")
    assert not found, "\n".join(found)
