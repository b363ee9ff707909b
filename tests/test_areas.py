"""Sub-area configuration (solihull_analytics.geo.sub_areas): validation on small in-memory
lookups."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from solihull_analytics.geo.sub_areas import (
    AreaConfigError,
    lsoa11_membership,
    parse_area_config,
    resolve_areas,
)

LA = "E08000099"
OTHER = "E08000098"


@pytest.fixture()
def lookup() -> pd.DataFrame:
    """Two LAs: LA has wards A (3 LSOAs), B (2) and C (1); OTHER has ward Z (2)."""
    rows = [
        ("E01000001", "E05000001", "Ward A", LA),
        ("E01000002", "E05000001", "Ward A", LA),
        ("E01000003", "E05000001", "Ward A", LA),
        ("E01000004", "E05000002", "Ward B", LA),
        ("E01000005", "E05000002", "Ward B", LA),
        ("E01000006", "E05000003", "Ward C", LA),
        ("E01000007", "E05000009", "Ward Z", OTHER),
        ("E01000008", "E05000009", "Ward Z", OTHER),
    ]
    df = pd.DataFrame(rows, columns=["lsoa21_code", "ward_code", "ward_name", "la_code"])
    df["lad_code"] = df["la_code"]
    return pd.concat([df.assign(ward_vintage=2022), df.assign(ward_vintage=2024)])


def _doc(*areas: dict, **extra) -> dict:
    return {"la_code": LA, "ward_vintage": 2022, "rest_name": "Rest", "areas": list(areas), **extra}


def test_good_config_by_code_and_name(lookup):
    doc = _doc({"name": "North", "wards": [{"code": "E05000001", "name": "Ward A"}, "Ward C"]})
    d = parse_area_config(doc, LA, "Testshire", lookup)
    assert d.names == ["North", "Rest"]
    m = d.membership()
    assert sorted(m.loc[m["area"] == "North", "lsoa21_code"]) == [
        "E01000001",
        "E01000002",
        "E01000003",
        "E01000006",
    ]
    assert sorted(m.loc[m["area"] == "Rest", "lsoa21_code"]) == ["E01000004", "E01000005"]
    assert d.areas[0].wards == (("E05000001", "Ward A"), ("E05000003", "Ward C"))
    assert d.configured
    assert d.describe()["lsoas_2021"].tolist() == [4, 2]


def test_explicit_lsoa_list_and_no_rest(lookup):
    doc = _doc({"name": "X", "lsoas": ["E01000004", "E01000005"]}, rest_name=None)
    d = parse_area_config(doc, LA, "Testshire", lookup)
    assert d.names == ["X"]


def test_unknown_ward_lists_valid_wards(lookup):
    doc = _doc({"name": "North", "wards": ["Ward Q"]})
    with pytest.raises(AreaConfigError, match="unknown ward") as exc:
        parse_area_config(doc, LA, "Testshire", lookup)
    assert "Ward A (E05000001)" in str(exc.value) and "Ward C (E05000003)" in str(exc.value)


def test_code_and_name_must_agree(lookup):
    doc = _doc({"name": "North", "wards": [{"code": "E05000001", "name": "Ward B"}]})
    with pytest.raises(AreaConfigError, match="unknown ward"):
        parse_area_config(doc, LA, "Testshire", lookup)


def test_ward_of_another_la(lookup):
    doc = _doc({"name": "North", "wards": [{"code": "E05000009"}]})
    with pytest.raises(AreaConfigError, match="another local authority") as exc:
        parse_area_config(doc, LA, "Testshire", lookup)
    assert OTHER in str(exc.value) and "Valid 2022 wards" in str(exc.value)


def test_overlapping_areas(lookup):
    doc = _doc(
        {"name": "North", "wards": ["Ward A"]}, {"name": "Middle", "wards": ["Ward B", "Ward A"]}
    )
    with pytest.raises(AreaConfigError, match="overlap") as exc:
        parse_area_config(doc, LA, "Testshire", lookup)
    assert "'North'" in str(exc.value) and "Ward B (E05000002)" in str(exc.value)


def test_lsoa_outside_la_and_wrong_la_and_vintage(lookup):
    with pytest.raises(AreaConfigError, match="not in"):
        parse_area_config(_doc({"name": "X", "lsoas": ["E01000007"]}), LA, "T", lookup)
    with pytest.raises(AreaConfigError, match="is for"):
        parse_area_config(_doc({"name": "X", "wards": ["Ward A"]}, la_code=OTHER), LA, "T", lookup)
    with pytest.raises(AreaConfigError, match="ward_vintage"):
        parse_area_config(
            _doc({"name": "X", "wards": ["Ward A"]}, ward_vintage=2019), LA, "T", lookup
        )
    with pytest.raises(AreaConfigError, match="needs 'wards' or 'lsoas'"):
        parse_area_config(_doc({"name": "X"}), LA, "T", lookup)


def test_lsoa11_membership_split_goes_to_majority(lookup):
    d = parse_area_config(_doc({"name": "North", "wards": ["Ward A"]}), LA, "T", lookup)
    lk = pd.DataFrame(
        [
            ("E01100001", "E01000001"),
            ("E01100001", "E01000002"),
            ("E01100001", "E01000004"),
            ("E01100002", "E01000005"),
            ("E01100003", "E01000005"),
        ],
        columns=["lsoa11_code", "lsoa21_code"],
    )
    m = lsoa11_membership(d, lk).set_index("lsoa11_code")
    assert m.loc["E01100001", "area"] == "North"
    assert bool(m.loc["E01100001", "split_across_areas"])
    assert m.loc["E01100002", "area"] == m.loc["E01100003", "area"] == "Rest"


def test_solihull_default_config(processed):
    d = resolve_areas("E08000029", "Solihull", processed)
    counts = d.membership()["area"].value_counts()
    assert counts["North Solihull"] == 25
    assert counts["Rest of Solihull"] == 109
    assert {w for _, w in d.areas[0].wards} == {
        "Chelmsley Wood",
        "Kingshurst and Fordbridge",
        "Smith's Wood",
    }


def test_la_without_config_is_whole_la(processed):
    d = resolve_areas("E10000016", "Kent", processed)
    assert not d.configured
    assert d.names == ["Kent"] and len(d.la_lsoa21) > 900


def test_config_for_another_la_via_file(processed, tmp_path):
    p = tmp_path / "b.yaml"
    p.write_text(
        "la_code: E08000025\nward_vintage: 2022\nareas:\n"
        "  - name: Two wards\n    wards: [Acocks Green, Aston]\n",
        encoding="utf-8",
    )
    d = resolve_areas("E08000025", "Birmingham", processed, p)
    assert d.names == ["Two wards", "Rest of Birmingham"]
    assert len(d.areas[0].lsoa21) == 28  # 15 + 13 LSOAs (ONS 2022 best-fit lookup)


# -- page sections and headlines built from the definition (pages.sub_area_profile) ----


def test_definition_section_lists_sub_areas(lookup):
    from solihull_analytics.geo.sub_areas import definition_section
    from solihull_analytics.report.page import TableBlock

    doc = _doc({"name": "North", "wards": ["Ward A"]})
    d = parse_area_config(doc, LA, "Testshire", lookup, config_path=Path("x/E08000099.yaml"))
    text, table = definition_section(d)
    assert "Testshire's 6 LSOAs" in text and "2 sub-areas" in text and "`E08000099.yaml`" in text
    assert isinstance(table, TableBlock)
    assert table.df["LSOAs (2021)"].tolist() == [3, 3]


def _frames(la: str = "Testshire"):
    areas = ["North", "Rest", la, "England"]
    levels = ["sub-area", "sub-area", "LA", "England"]
    base = pd.DataFrame({"area": areas, "level": levels})
    pop = base.assign(
        lsoas=[3, 3, 6, 100],
        residents=[100, 300, 400, 10_000],
        children_0_15=[25, 45, 70, 1_900],
        pct_0_15=[25.0, 15.0, 17.5, 19.0],
        pct_0_17=[float("nan"), float("nan"), 20.0, 21.0],
    )
    growth = base.assign(
        pct_change=[10.0, -5.0, 1.0, 2.0],
        children_previous=[20, 50, 70, 1_800],
        children_latest=[22, 48, 70, 1_836],
    )
    eth = base.assign(pct_non_white=[10.0, 20.0, 17.5, 19.0])
    eth19 = pd.DataFrame(columns=["area", "pct_non_white_british"])
    hh = base.assign(
        households=[float("nan"), float("nan"), 160.0, 4_000.0],
        pct_lone_parent_dependent=float("nan"),
    )
    li = base.assign(
        children_low_income=pd.array([None, None, 10, 300], dtype="Int64"),
        pct_low_income=[float("nan"), float("nan"), 14.29, 15.79],
    )
    idaci = pd.DataFrame(
        {
            "release": ["IoD2019", "IoD2019"],
            "area": ["North", la],
            "lsoas": [3, 6],
            "lsoas_most_deprived_10pct": [2, 2],
            "pct_children_most_deprived_10pct": [float("nan"), 40.0],
            "pct_children_most_deprived_20pct": [float("nan"), 50.0],
        }
    )
    return pop, growth, eth, eth19, hh, li, idaci


def _facts() -> dict:
    """Census and source facts as the page takes them from the release registry."""
    from solihull_analytics.pages.sub_area_profile.text import Censuses

    ids = ["population", "growth", "ethnicity", "ethnicity19", "households", "lone_parents",
           "low_income_denominator", "areas", "maps_latest", "maps_previous"]
    return {
        "censuses": Censuses("Census 2021", 2021, 2021, "Census 2011", 2011, 2011),
        "sources": {k: [f"{k}_file"] for k in ids},
        "lone_parent_entry": ("census2021_ts003_lsoa21", "https://x/census2021-ts003.zip",
                              "census2021-ts003-lsoa.csv", "census/census2021-ts003-lsoa.csv"),
    }


def test_headline_rows_missing_values_are_null_with_a_note(lookup):
    from solihull_analytics.pages.sub_area_profile.page import headline_rows

    d = parse_area_config(_doc({"name": "North", "wards": ["Ward A"]}), LA, "Testshire", lookup)
    pop, growth, eth, eth19, hh, li, idaci = _frames()
    rows = headline_rows(d, pop, growth, eth, eth19, hh, li, 2021, idaci, **_facts())
    by = {(r["name"], r["area"]): r for r in rows}
    for r in rows:
        assert r["value"] is None or isinstance(r["value"], (int, float)), r
        assert (r["value"] is None) == ("note" in r), r
    assert by[("children_0_15_pct", "North")]["value"] == 25.0
    assert by[("residents", "Testshire")]["value"] == 400
    assert by[("lone_parent_dependent_pct", "North")]["value"] is None
    assert "census2021_ts003_lsoa21" in by[("lone_parent_dependent_pct", "North")]["note"]
    assert by[("low_income_children_0_15", "Rest")]["value"] is None
    assert "dwp_cilif_lsoa" in by[("low_income_children_0_15_pct", "Rest")]["note"]
    assert by[("low_income_children_0_15", "Testshire")]["value"] == 10
    assert by[("low_income_children_0_15", "Testshire")]["period"] == "2020/21"
    north_idaci = by[("iod_2019_children_most_deprived_10pct_pct", "North")]
    assert north_idaci["value"] is None and "IoD2019 File 6" in north_idaci["note"]
    assert by[("iod_2019_lsoas_most_deprived_10pct", "North")]["value"] == 2
    assert ("children_0_17_pct", "North") not in by


def test_headline_null_survives_page_json(lookup):
    from solihull_analytics.pages.sub_area_profile.page import headline_rows
    from solihull_analytics.report.page import Headline

    d = parse_area_config(_doc({"name": "North", "wards": ["Ward A"]}), LA, "Testshire", lookup)
    rows = headline_rows(d, *_frames()[:6], 2021, _frames()[6], **_facts())
    h = next(r for r in rows if r["value"] is None)
    out = Headline(**h).as_dict()
    assert out["value"] is None and out["note"].startswith("needs ")


def test_alt_text_helpers():
    from solihull_analytics.pages.sub_area_profile.text import idaci_alt, values_list

    pop, *_, idaci = _frames()
    assert values_list(pop.head(2), "pct_0_15") == "North 25.0%; Rest 15.0%"
    assert values_list(pop.head(2), "pct_0_15", "{:+.1f}%") == "North +25.0%; Rest +15.0%"
    alt = idaci_alt(idaci.dropna(), "IoD2019")
    assert alt.startswith("Line chart of the share of children aged 0-15 in each national IDACI")
    assert "Testshire 40% in decile 1 and 50% in deciles 1-2." in alt


def test_la_lookups_read_without_pandas_agree_with_the_la_table(processed, tmp_path):
    """``la_info`` and ``la_codes`` (pyarrow only, for the report's parent process) give what
    the LA table says, also when only the CLA table is built (each LA's latest year)."""
    import json
    import shutil

    from solihull_analytics.geo.las import la_codes, la_info, list_las

    table = list_las(processed)
    assert la_codes(processed) == table["la_code"].tolist() and len(table) == 153
    for row in table.itertuples():
        info = la_info(row.la_code, processed)
        assert (info.name, info.region_code, info.region_name, info.la_type) == (
            row.la_name, row.region_code, row.region_name, row.la_type
        )
    only_cla = tmp_path / "processed"
    only_cla.mkdir()
    shutil.copy(processed / "cla_la_year.parquet", only_cla)
    manifest = json.loads((processed / "manifest.json").read_text(encoding="utf-8"))
    (only_cla / "manifest.json").write_text(json.dumps({"cla_la_year": manifest["cla_la_year"]}))
    assert la_info("E08000029", only_cla).name == "Solihull"
    assert la_info("E08000029", only_cla).la_type is None
    assert "E10000016" in la_codes(only_cla)
