"""Notebook 04 (CLA by IDACI decile): one synthetic Solihull render, and a render of a private
extract with planted markers that must appear in no output file."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

SOLIHULL = "E08000029"
NB = "04_cla_deprivation_gradient"

pytestmark = [pytest.mark.mirror, pytest.mark.slow]


def test_synthetic_solihull_render(render_pack_for) -> None:
    pack, [result] = render_pack_for(SOLIHULL, ["04"])
    assert result.status == "rendered", result.summary()
    doc = json.loads((pack / f"{NB}.json").read_text(encoding="utf-8"))
    assert doc["synthetic"] is True and doc["la_name"] == "Solihull"
    heads = {h["name"]: h for h in doc["headlines"]}
    assert heads["cla_gradient_in_area"]["value"] == 426
    ratio = heads["cla_idaci_ratio_most_least"]
    # the generator's gradient is 25; the estimate's 95% CI should hold it (seed 1)
    assert ratio["lower"] <= 25.0 <= ratio["upper"]
    assert all(h["statement"].startswith("SYNTHETIC DATA") for h in heads.values())
    page = (pack / f"{NB}.html").read_text(encoding="utf-8")
    assert "Traceback" not in page
    assert page.count("SYNTHETIC DATA") >= 3
    assert "Bywaters" in page
    assert "csc-validator-be-903 0.1.17" in page  # the synthetic extract against DfE's rules


def _plant_markers(folder: Path) -> list[str]:
    """Replace identifiers with unique markers, plant markers in postcodes, add bad rows.

    Returns every string that must not appear in any output.
    """
    header = pd.read_csv(folder / "header.csv", dtype=str, keep_default_na=False)
    eps = pd.read_csv(folder / "episodes.csv", dtype=str, keep_default_na=False)
    uasc = pd.read_csv(folder / "uasc.csv", dtype=str, keep_default_na=False)
    ids = {c: f"QZXCHILD-{i:04d}" for i, c in enumerate(header["CHILD"])}
    for df in (header, eps, uasc):
        df["CHILD"] = df["CHILD"].map(ids)
    header["UPN"] = [f"QZXUPN-{i:04d}" for i in range(len(header))]
    eps["URN"] = [f"QZXURN-{i:04d}" for i in range(len(eps))]
    eps["PL_POST"] = [f"QZXPL-{i:04d}" for i in range(len(eps))]
    eps.loc[eps.index[:5], "HOME_POST"] = [f"QZXPC-{i}" for i in range(5)]
    # partly bad: an unreadable date and an episode ending before it starts
    eps.loc[eps.index[10], "DECOM"] = "99/99/2018"
    eps.loc[eps.index[11], "DEC"] = "01/01/1990"
    header.to_csv(folder / "header.csv", index=False)
    eps.to_csv(folder / "episodes.csv", index=False)
    uasc.to_csv(folder / "uasc.csv", index=False)
    postcodes = {p for p in eps["HOME_POST"] if p and " " in p}
    dobs = set(header["DOB"]) | set(uasc["DOB"])
    return sorted(
        set(ids.values())
        | set(header["UPN"])
        | set(eps["URN"])
        | set(eps["PL_POST"])
        | {f"QZXPC-{i}" for i in range(5)}
        | postcodes
        | dobs
    )


def test_no_child_level_data_in_any_output(processed: Path, tmp_path: Path) -> None:
    from solihull_analytics.report.pipeline import render_pack
    from solihull_analytics.ssda903.synthetic import generate_903

    private = tmp_path / "private"
    generate_903(SOLIHULL, 2019, 426, 25.0, seed=11, processed_dir=processed).write(private)
    forbidden = _plant_markers(private)
    assert len(forbidden) > 1000
    reports = tmp_path / "reports"
    result = render_pack(
        SOLIHULL,
        notebooks=["04"],
        reports_dir=reports,
        processed_dir=processed,
        run_date="2026-01-31",
        force=True,
        extra_parameters={"private_dir": str(private)},
    )
    [nb] = result.notebooks
    assert nb.status == "rendered", nb.summary()
    pack = reports / SOLIHULL
    files = [p for p in pack.rglob("*") if p.is_file()]
    assert {p.suffix for p in files} >= {".html", ".json", ".ipynb"}
    for path in files:
        text = path.read_text(encoding="utf-8", errors="ignore")
        # PNG data is base64: markers contain "-" or " " or "/" runs no image can make by
        # accident, but strip it anyway so that a chance match cannot fail the test.
        text = re.sub(r"base64,[A-Za-z0-9+/=]+", "base64,", text)
        text = re.sub(r'"image/png": "[A-Za-z0-9+/=\\n]+"', "", text)
        leaked = [s for s in forbidden if s in text]
        assert not leaked, f"{path.name} contains child-level values, e.g. {leaked[:3]}"
    doc = json.loads((pack / f"{NB}.json").read_text(encoding="utf-8"))
    assert doc["synthetic"] is False
    page = (pack / f"{NB}.html").read_text(encoding="utf-8")
    assert "rows excluded (any reason)" in page
    assert "excluded: unparseable date" in page and "excluded: ends before it starts" in page
    assert "Home postcode not found in the postcode directory" in page
