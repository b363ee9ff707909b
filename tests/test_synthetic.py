"""The synthetic SSDA903 generator: shape, validity, reproducibility, and the CLI function."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from solihull_analytics.ssda903 import COLUMNS, load_extract, synthetic_children
from solihull_analytics.ssda903.synthetic import relative_rate

SOLIHULL = "E08000029"


def test_relative_rate_is_log_linear() -> None:
    r = relative_rate([1, 5.5, 10], 25.0)
    assert r[0] == pytest.approx(25.0) and r[2] == pytest.approx(1.0)
    assert r[1] == pytest.approx(5.0)


def _fake_children(year: int, n: int = 400, seed: int = 5) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Header and Episodes rows for ``n`` children of each kind, with made-up postcodes."""
    rng = np.random.default_rng(seed)
    places = synthetic_children.Places(
        np.array([f"B9{i} 1AA" for i in range(40)]), np.array([f"CV{i} 2BB" for i in range(40)])
    )
    headers, episodes = [], []
    for k in range(n):
        kind = ("in", "uasc", "none", "short")[k % 4]
        home = f"B9{k % 40} 1AA" if kind == "in" else ""
        h, eps = synthetic_children.child_rows(
            rng, f"C{k}", year, home, places, uasc=kind == "uasc", short_breaks=kind == "short"
        )
        headers.append({**h, "kind": kind})
        episodes.extend({**e, "kind": kind} for e in eps)
    return pd.DataFrame(headers), pd.DataFrame(episodes)


@pytest.mark.parametrize("year", [2019, 2025])
def test_generated_rows_follow_dfe_rules(year: int) -> None:
    """The consistency DfE's validation rules ask for, on rows drawn without any data files."""
    header, eps = _fake_children(year)
    male, female = ("M", "F") if year == 2025 else ("1", "2")
    assert set(header["SEX"]) == {male, female}  # rule 101
    mothers = header[header["MOTHER"] == "1"]
    assert len(mothers) and (mothers["SEX"] == female).all() and (mothers["MC_DOB"] != "").all()
    assert (header.loc[header["SEX"] == male, "MOTHER"] == "").all()
    care = eps[eps["LS"] != "V3"]
    for code, kind in synthetic_children.PLACEMENTS.items():  # rules 527-531, 529, 1015
        rows = care[care["PLACE"] == code]
        assert set(rows["PLACE_PROVIDER"]) <= set(kind.providers), code
    if year > synthetic_children.LAST_H5_YEAR:  # K3 is rejected by the validator's 2024-25 rule 146
        assert "H5" not in set(care["PLACE"])
    own = care[care["PLACE_PROVIDER"] == "PR1"]
    assert own["PL_POST"].str.startswith("B9").all()
    assert not ((care["PLACE"] == "P1") & (care["LS"] == "V2")).any()  # rule 378
    assert ((care["PLACE"] == "P1") == (care["PL_POST"] == care["HOME_POST"])).all()  # 392d
    sgo = care[care["REC"].isin(["E45", "E46"])]
    assert len(sgo) and sgo["PLACE"].isin(synthetic_children.FOSTER).all()  # rule 516
    assert (eps.loc[eps["kind"] == "uasc", "HOME_POST"] == "").all()  # rule 406
    breaks = eps[eps["LS"] == "V3"]  # rules 214, 380-382, 398, 420
    assert set(breaks["kind"]) == {"short"} and set(breaks["RNE"]) == {"S"}
    assert (breaks[["HOME_POST", "PL_POST", "URN"]] == "").all().all()
    assert not breaks["PLACE"].str.startswith("T").any()
    for _, child in care.groupby("CHILD", sort=False):
        rows = child.to_dict("records")
        for ended, nxt in zip(rows, rows[1:], strict=False):
            assert ended["DEC"] == nxt["DECOM"] and ended["REC"] == "X1"
            same_place = all(ended[c] == nxt[c] for c in ("PLACE", "PLACE_PROVIDER", "PL_POST"))
            if nxt["RNE"] == "L":  # rule 434: legal status changes, placement does not
                assert same_place and ended["LS"] != nxt["LS"]
                assert ended["REASON_PLACE_CHANGE"] == ""
            else:  # rules 225, 435: the reason for the move is on the episode that ends
                assert nxt["RNE"] == "P" and ended["LS"] == nxt["LS"]
                assert ended["REASON_PLACE_CHANGE"] in synthetic_children.PLACE_CHANGE_REASONS
        assert rows[-1]["REASON_PLACE_CHANGE"] == ""
        assert rows[-1]["REC"] != "X1"


@pytest.mark.mirror
def test_generated_extract_is_valid_and_reproducible(processed: Path, tmp_path: Path) -> None:
    from solihull_analytics.ssda903.synthetic import generate_903

    a = generate_903(SOLIHULL, 2019, 200, 10.0, seed=7, processed_dir=processed)
    b = generate_903(SOLIHULL, 2019, 200, 10.0, seed=7, processed_dir=processed)
    pd.testing.assert_frame_equal(a.episodes, b.episodes)
    assert list(a.header.columns) == list(COLUMNS["header"])
    assert list(a.episodes.columns) == list(COLUMNS["episodes"])
    assert list(a.uasc.columns) == list(COLUMNS["uasc"])
    assert a.header["CHILD"].is_unique
    assert set(a.episodes["LS"]) == {"C1", "C2", "V2", "V3"}
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

    from solihull_analytics.ssda903.synthetic import synthetic_903_command

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
