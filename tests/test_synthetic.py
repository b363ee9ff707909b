"""The synthetic SSDA903 generator: shape, validity, reproducibility, and the CLI function."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from solihull_analytics.ssda903 import COLUMNS, load_extract
from solihull_analytics.synthetic import relative_rate

SOLIHULL = "E08000029"


def test_relative_rate_is_log_linear() -> None:
    r = relative_rate([1, 5.5, 10], 25.0)
    assert r[0] == pytest.approx(25.0) and r[2] == pytest.approx(1.0)
    assert r[1] == pytest.approx(5.0)


@pytest.mark.mirror
def test_generated_extract_is_valid_and_reproducible(processed: Path, tmp_path: Path) -> None:
    from solihull_analytics.synthetic import generate_903

    a = generate_903(SOLIHULL, 2019, 200, 10.0, seed=7, processed_dir=processed)
    b = generate_903(SOLIHULL, 2019, 200, 10.0, seed=7, processed_dir=processed)
    pd.testing.assert_frame_equal(a.episodes, b.episodes)
    assert list(a.header.columns) == list(COLUMNS["header"])
    assert list(a.episodes.columns) == list(COLUMNS["episodes"])
    assert list(a.uasc.columns) == list(COLUMNS["uasc"])
    assert a.header["CHILD"].is_unique
    assert set(a.episodes["LS"]) <= {"C1", "C2", "D1", "E1", "J2", "L1", "V2", "V3"}
    assert a.truth.ratio == pytest.approx(10.0)
    assert len(a.uasc) == 12  # 6% of 200
    ex = load_extract(a.write(tmp_path / "s"), 2019)
    assert ex.rows_excluded == 0
    dob = ex.header.set_index("CHILD")["DOB"]
    age = (pd.Timestamp(2019, 3, 31) - dob).dt.days / 365.25
    assert age.between(0, 18).all()


@pytest.mark.mirror
def test_synthetic_903_command(processed: Path, tmp_path: Path) -> None:
    import typer
    from typer.testing import CliRunner

    from solihull_analytics.synthetic import synthetic_903_command

    app = typer.Typer()
    app.command()(synthetic_903_command)
    out = tmp_path / "cmd"
    result = CliRunner().invoke(
        app,
        [
            "--la",
            SOLIHULL,
            "--year",
            "2019",
            "--children",
            "50",
            "--gradient",
            "5",
            "--seed",
            "2",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "SYNTHETIC" in result.output
    assert {p.name for p in out.iterdir()} >= {"header.csv", "episodes.csv", "uasc.csv"}
