"""Notebook 03 (sub-areas compared): renders, and every Solihull headline figure is recomputed
here from the raw mirror files with pandas, by a path independent of the library.

Tolerances: counts exact; percentages within 0.006 points (the JSON rounds to 2 decimals).
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import NORTH_SOLIHULL_WARDS_2022, SOLIHULL
from tests.pages import has_error_text, page_text

pytestmark = [pytest.mark.slow, pytest.mark.mirror]

NORTH, REST, LA, ENG = "North Solihull", "Rest of Solihull", "Solihull", "England"
PCT_TOL = 0.006


def _headlines(pack: Path) -> dict[tuple[str, str], object]:
    doc = json.loads((pack / "03_sub_area_profile.json").read_text(encoding="utf-8"))
    return {(h["name"], h.get("area", "")): h["value"] for h in doc["headlines"]}


def _stat_xplore(path: Path, year: str) -> pd.Series:
    """Read a DWP Stat-Xplore CSV: area code -> value for ``year`` (e.g. '2020/21')."""
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith('"Year"'))
    header = next(csv.reader([lines[start]]))
    col = header.index(year)
    out = {}
    for row in csv.reader(io.StringIO("\n".join(lines[start + 1 :]))):
        if row and re.fullmatch(r"[EWSN]\d{8}", row[0]):
            out[row[0]] = float(row[col])
    return pd.Series(out)


@pytest.fixture(scope="module")
def expected(mirror_dir: Path) -> dict[tuple[str, str], float]:
    """Every Solihull headline figure, from the raw files."""
    census, geo, iod = mirror_dir / "census", mirror_dir / "geo", mirror_dir / "iod"
    ward = pd.read_csv(geo / "lookup_lsoa21_wd22_lad22_ew.csv.gz", encoding="utf-8-sig")
    sol = ward[ward["LAD22CD"] == SOLIHULL]
    north = set(sol.loc[sol["WD22NM"].isin(NORTH_SOLIHULL_WARDS_2022), "LSOA21CD"])
    rest = set(sol["LSOA21CD"]) - north
    groups = {NORTH: north, REST: rest, LA: north | rest}
    # 2011 LSOAs -> 2021 LSOAs (all Solihull LSOAs are unchanged, "U")
    lk = pd.read_csv(geo / "lookup_lsoa11_lsoa21_lad22_exact_ew.csv.gz", encoding="utf-8-sig")
    lk = lk[lk["LAD22CD"] == SOLIHULL]
    assert (lk["CHGIND"] == "U").all()
    to11 = dict(zip(lk["LSOA21CD"], lk["LSOA11CD"], strict=True))
    groups11 = {k: {to11[c] for c in v} for k, v in groups.items()}
    exp: dict[tuple[str, str], float] = {}

    age = pd.read_csv(census / "census2021_age6_lsoa21_ew_long.csv.gz")
    tot21 = age.groupby("lsoa21_code")["usual_residents"].sum()
    kid21 = age[age["age_group"] == "Aged 15 years and under"].set_index("lsoa21_code")[
        "usual_residents"
    ]
    eng21 = tot21.index.str.startswith("E01")
    ks = pd.read_csv(census / "census2011_ks102ew_age_structure_lsoa11_ew.csv.gz")
    bands = ["0 to 4", "5 to 7", "8 to 9", "10 to 14", "15"]
    kid11 = ks[[f"Age: Age {b}; measures: Value" for b in bands]].sum(axis=1)
    kid11.index = ks["geography code"]
    for name, codes in {**groups, ENG: None}.items():
        sel = eng21 if codes is None else tot21.index.isin(list(codes))
        res, kids = tot21[sel].sum(), kid21[tot21.index[sel]].sum()
        exp[("lsoas_2021", name)] = int(sel.sum())
        exp[("residents", name)] = res
        exp[("children_0_15", name)] = kids
        exp[("children_0_15_pct", name)] = 100 * kids / res
        k11 = (
            kid11[kid11.index.str.startswith("E01")].sum()
            if codes is None
            else kid11[list(groups11[name])].sum()
        )
        exp[("children_0_15_growth_2011_2021", name)] = 100 * (kids - k11) / k11
    ts = {}
    for level, f, code in ((LA, "ltla", SOLIHULL), (ENG, "country", "E92000001")):
        t = pd.read_csv(census / f"census2021_ts007_age_single_year_{f}_ew.csv")
        row = t[t["geography code"] == code].iloc[0]
        ages = ["Age: Aged under 1 year; measures: Value", "Age: Aged 1 year; measures: Value"]
        ages += [f"Age: Aged {a} years; measures: Value" for a in range(2, 18)]
        ts[level] = 100 * row[ages].sum() / row["Age: Total; measures: Value"]
        exp[("children_0_17_pct", level)] = ts[level]

    eth = pd.read_csv(census / "census2021_ts021_ethnic_group_5cat_lsoa21_ew_long.csv.gz")
    totals = eth.groupby("lsoa21_code")["total_residents"].first()
    white = eth[eth["ethnic_group"] == "White"].set_index("lsoa21_code")["n"]
    for name, codes in {**groups, ENG: None}.items():
        idx = totals.index[totals.index.str.startswith("E01")] if codes is None else list(codes)
        exp[("non_white_pct", name)] = 100 * (1 - white[idx].sum() / totals[idx].sum())
    e19 = pd.read_csv(census / "census2021_ethnic_group_19cat_ltla21_ew_long.csv.gz")
    e19 = e19[e19["ethnic_group"].str.endswith("(number)")]
    for name, sel in (
        (LA, e19["ltla21_code"] == SOLIHULL),
        (ENG, e19["ltla21_code"].str[0] == "E"),
    ):
        part = e19[sel]
        wb = part.loc[part["ethnic_group"].str.startswith("White: English"), "value"].sum()
        exp[("non_white_british_pct", name)] = 100 * (1 - wb / part["value"].sum())
    hh = pd.read_csv(census / "census2021_ts003_households_total_ltla23_ew.csv.gz")
    exp[("households", LA)] = hh.loc[hh["ltla23_code"] == SOLIHULL, "households"].sum()
    exp[("households", ENG)] = hh.loc[hh["ltla23_code"].str[0] == "E", "households"].sum()

    li = sum(
        _stat_xplore(
            census / f"dwp_cilif_relative_low_income_utla_age_{a}_fye2015_to_fye2022p.csv",
            "2020/21",
        )
        for a in ("0-4", "5-10", "11-15")
    )
    sape = pd.read_csv(census / "sape_mid2020_persons_single_year_lsoa11_ew.csv.gz")
    sape_kids = sape[[str(a) for a in range(16)]].sum(axis=1)
    sape_kids.index = sape["lsoa11_code"]
    for name, count, den in (
        (LA, li[SOLIHULL], sape_kids[list(groups11[LA])].sum()),
        (ENG, li[li.index.str[0] == "E"].sum(), sape_kids[sape_kids.index.str[:3] == "E01"].sum()),
    ):
        exp[("low_income_children_0_15", name)] = count
        exp[("low_income_children_0_15_pct", name)] = 100 * count / den

    f3 = "Supplementary_IDACI_IDAOPI.xlsx"
    dec_col = (
        "Income Deprivation Affecting Children Index (IDACI) Decile "
        "(where 1 is most deprived 10% of LSOAs)"
    )
    d19 = pd.read_excel(iod / f"IoD2019_File3_{f3}", sheet_name=1, engine="calamine")
    d19 = d19.set_index("LSOA code (2011)")[dec_col]
    p19 = pd.read_excel(
        iod / "IoD2019_File6_Population_Denominators.xlsx", sheet_name=1, engine="calamine"
    ).set_index("LSOA code (2011)")["Dependent Children aged 0-15: mid 2015 (excluding prisoners)"]
    d25 = pd.read_excel(iod / f"IoD2025_File3_{f3}", sheet_name=1, engine="calamine")
    d25 = d25.set_index("LSOA code (2021)")[dec_col]
    p25 = pd.read_csv(iod / "IoD2025_File6_Population_Denominators_Solihull_extract.csv")
    p25 = p25.set_index("LSOA code (2021)")["Dependent Children aged 0-15: mid 2022"]
    for tag, dec, pop, grp in (("iod_2019", d19, p19, groups11), ("iod_2025", d25, p25, groups)):
        for name, codes in grp.items():
            codes = list(codes)
            most = [c for c in codes if dec[c] == 1]
            exp[(f"{tag}_lsoas_most_deprived_10pct", name)] = len(most)
            exp[(f"{tag}_children_most_deprived_10pct_pct", name)] = (
                100 * pop[most].sum() / pop[codes].sum()
            )
    return exp


def test_solihull_headlines_match_raw_files(render_pack_for, expected):
    pack, (result,) = render_pack_for(SOLIHULL, ["03"])
    assert result.status == "rendered", result.summary()
    got = _headlines(pack)
    numeric = {k: v for k, v in got.items() if isinstance(v, (int, float))}
    assert set(numeric) == set(expected), set(numeric) ^ set(expected)
    for key, value in numeric.items():
        want = expected[key]
        if key[0].endswith("_pct") or "growth" in key[0]:
            assert value == pytest.approx(want, abs=PCT_TOL), key
        else:
            assert value == round(want), key
    # reference values (census/SOURCES.md)
    assert got[("lsoas_2021", NORTH)] == 25
    assert got[("children_0_15_pct", NORTH)] == pytest.approx(23.84, abs=0.005)
    assert got[("children_0_15_pct", REST)] == pytest.approx(18.29, abs=0.005)
    assert round(got[("children_0_15_growth_2011_2021", NORTH)], 1) == 9.2
    assert round(got[("children_0_15_growth_2011_2021", LA)], 1) == 6.5
    assert round(got[("children_0_15_growth_2011_2021", REST)], 1) == 5.8
    assert got[("non_white_pct", NORTH)] == pytest.approx(12.88, abs=0.005)
    assert got[("non_white_pct", LA)] == pytest.approx(17.84, abs=0.005)
    # measures without data are null, with a note naming the official file needed
    assert got[("lone_parent_dependent_pct", NORTH)] is None
    assert got[("low_income_children_0_15_pct", NORTH)] is None
    doc = json.loads((pack / "03_sub_area_profile.json").read_text(encoding="utf-8"))
    for h in doc["headlines"]:
        assert h["value"] is None or isinstance(h["value"], (int, float)), h
        if h["value"] is None:
            assert h.get("note", "").startswith("needs "), h
    notes = {h["note"] for h in doc["headlines"] if h["value"] is None}
    assert any("census2021_ts003_lsoa21" in n for n in notes)
    assert any("dwp_cilif_lsoa" in n for n in notes)


def test_solihull_page(render_pack_for):
    pack, (result,) = render_pack_for(SOLIHULL, ["03"])
    assert result.status == "rendered", result.summary()
    text = page_text(pack / "03_sub_area_profile.html")
    assert not has_error_text(text)
    for words in (
        "North Solihull",
        "Chelmsley Wood",
        "KS201EW",
        "census2021-ts003",
        "Stat-Xplore",
        "IoD2025",
    ):
        assert words in text
    doc = json.loads((pack / "03_sub_area_profile.json").read_text(encoding="utf-8"))
    assert len(doc["missing_data"]) == 3
    assert doc["la_name"] == "Solihull"


@pytest.fixture(scope="module")
def birmingham(processed, tmp_path_factory):
    from solihull_analytics.report.pipeline import render_pack

    cfg = tmp_path_factory.mktemp("areas") / "birmingham.yaml"
    cfg.write_text(
        "la_code: E08000025\nward_vintage: 2022\nrest_name: Rest of Birmingham\nareas:\n"
        "  - name: Aston and Alum Rock\n    wards:\n"
        "      - {code: E05011121, name: Aston}\n      - {name: Alum Rock}\n",
        encoding="utf-8",
    )
    reports = tmp_path_factory.mktemp("reports_b")
    result = render_pack(
        "E08000025",
        notebooks=["03"],
        reports_dir=reports,
        processed_dir=processed,
        run_date="2026-01-31",
        force=True,
        extra_parameters={"areas_config": str(cfg)},
    )
    return reports / "E08000025", result.notebooks[0]


def test_renders_for_birmingham_with_config(birmingham):
    pack, result = birmingham
    assert result.status == "rendered", result.summary()
    got = _headlines(pack)
    assert got[("lsoas_2021", "Aston and Alum Rock")] == 26
    assert (
        got[("lsoas_2021", "Aston and Alum Rock")] + got[("lsoas_2021", "Rest of Birmingham")]
        == got[("lsoas_2021", "Birmingham")]
    )
    assert (
        got[("residents", "Aston and Alum Rock")] + got[("residents", "Rest of Birmingham")]
        == got[("residents", "Birmingham")]
    )
    text = page_text(pack / "03_sub_area_profile.html")
    assert not has_error_text(text) and "Alum Rock" in text


def test_renders_for_kent_without_config(render_pack_for):
    pack, (result,) = render_pack_for("E10000016", ["03"])
    assert result.status == "rendered", result.summary()
    got = _headlines(pack)
    assert {a for _, a in got} == {"Kent", "England"}
    text = page_text(pack / "03_sub_area_profile.html")
    assert not has_error_text(text)
    assert "No sub-areas are defined for Kent" in text and "E10000016.yaml" in text
