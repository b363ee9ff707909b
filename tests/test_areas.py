"""Sub-area configuration (solihull_analytics.areas): validation on small in-memory lookups."""

from __future__ import annotations

import pandas as pd
import pytest

from solihull_analytics.areas import (
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
