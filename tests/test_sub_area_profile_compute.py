"""Page 03's measures (pages/sub_area_profile/compute.py, maps.py) on small in-memory fixtures.

Three 2021 LSOAs in an invented LA (two in "North", one in "Rest"), two more English LSOAs
outside it and one Welsh LSOA; the previous census has the same LSOAs under older codes, one of
them split in two. Every expected figure is worked out by hand in the test.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from solihull_analytics.constants import ENGLAND_CODE
from solihull_analytics.geo.sub_areas import AreaDefinition, SubArea, lsoa11_membership
from solihull_analytics.pages.sub_area_profile import compute, maps

LA = "E08000099"
N1, N2, R1 = "E01900001", "E01900002", "E01900003"  # the LA's 2021 LSOAs
X1, X2, W1 = "E01900004", "E01900005", "W01900001"  # elsewhere in England; Wales
# previous census: P1 split into N1 and R1 (successors in two sub-areas), P2 -> N2
P1, P2, PX = "E01800001", "E01800002", "E01800004"


def _defn(configured: bool = True) -> AreaDefinition:
    areas = [SubArea("North", (N1, N2)), SubArea("Rest", (R1,))] if configured \
        else [SubArea("Testshire", (N1, N2, R1))]
    return AreaDefinition(LA, "Testshire", areas, None, None, (N1, N2, R1), configured=configured)


def _lookup() -> pd.DataFrame:
    return pd.DataFrame({"lsoa11_code": [P1, P1, P2, PX], "lsoa21_code": [N1, R1, N2, X1]})


def _m11(defn: AreaDefinition | None = None) -> pd.DataFrame:
    return lsoa11_membership(defn or _defn(), _lookup())


def _census() -> pd.DataFrame:
    return pd.DataFrame({"lsoa_code": [N1, N2, R1, X1, X2, W1],
                         "all": [100, 200, 300, 1000, 1000, 500],
                         "0-15": [30, 40, 30, 150, 250, 99]})


def _previous() -> pd.DataFrame:
    return pd.DataFrame({"lsoa_code": [P1, P2, PX, "W01800001"], "all": [350, 200, 900, 400],
                         "0-15": [50, 50, 100, 80]})


def test_pct_is_nan_where_the_denominator_is_not_positive():
    assert compute.pct(1, 4) == 25.0
    out = compute.pct([1, 1, 0], [2, 0, -1])
    assert out[0] == 50.0 and np.isnan(out[1]) and np.isnan(out[2])


def test_levels_and_sum_by_area_follow_the_definition():
    assert compute.levels(_defn()).values.tolist() == [
        ["North", "sub-area"], ["Rest", "sub-area"], ["Testshire", "LA"]]
    assert compute.levels(_defn(False)).values.tolist() == [["Testshire", "LA"]]
    values = _census().rename(columns={"lsoa_code": "lsoa21_code"})
    out = compute.sum_by_area(values, _defn().membership(), "lsoa21_code", ["all"], _defn(),
                              values.iloc[:5])
    assert out[["area", "all"]].values.tolist() == [
        ["North", 300], ["Rest", 300], ["Testshire", 600], ["England", 2600]]


def test_lsoa_wide_picks_one_year_and_vintage():
    pop = pd.DataFrame({"lsoa_code": [N1, N1, N1, P1], "year": [2021, 2021, 2020, 2021],
                        "lsoa_vintage": [2021, 2021, 2021, 2011], "age_band": ["all", "0-15",
                        "all", "all"], "population": [10, 3, 99, 98]})
    wide = compute.lsoa_wide(pop, 2021, 2021)
    assert wide.to_dict("records") == [{"lsoa_code": N1, "0-15": 3, "all": 10}]


def _pivot(rows: pd.DataFrame) -> pd.DataFrame:
    wide = rows.pivot_table(index="lsoa_code", columns="age_band", values="population",
                            aggfunc="sum").reset_index()
    wide.columns.name = None
    return wide


def test_full_grid_wide_is_pivot_table_for_a_full_grid_in_any_order():
    rng = np.random.default_rng(3)
    codes = [N2, X1, N1, W1]
    rows = pd.DataFrame({"lsoa_code": pd.array(np.repeat(codes, 3), dtype="str"),
                         "age_band": pd.array(["all", "0-15", "16-17"] * 4, dtype="str"),
                         "population": rng.integers(0, 500, 12)}).sample(frac=1, random_state=1)
    wide = compute.full_grid_wide(rows, "lsoa_code", "age_band", "population")
    pd.testing.assert_frame_equal(wide, _pivot(rows), check_column_type=True)
    assert wide["lsoa_code"].tolist() == sorted(codes)
    assert list(wide.columns) == ["lsoa_code", "0-15", "16-17", "all"]


def test_full_grid_wide_leaves_gaps_and_repeats_to_pivot_table():
    rows = pd.DataFrame({"lsoa_code": [N1, N1, N2], "age_band": ["all", "0-15", "all"],
                         "population": [10, 3, 7]})
    assert compute.full_grid_wide(rows, "lsoa_code", "age_band", "population") is None
    wide = compute.lsoa_wide(rows.assign(year=2021, lsoa_vintage=2021), 2021, 2021)
    pd.testing.assert_frame_equal(wide, _pivot(rows))
    assert np.isnan(wide.loc[1, "0-15"])  # N2 has no 0-15 row
    repeated = pd.DataFrame({"lsoa_code": [N1, N1, N2, N2], "age_band": ["all"] * 4,
                             "population": [10, 3, 7, 1]})
    assert compute.full_grid_wide(repeated, "lsoa_code", "age_band", "population") is None
    assert compute.lsoa_wide(repeated.assign(year=1, lsoa_vintage=1), 1, 1)["all"].tolist() == [
        13, 8]


def test_lsoa_wides_from_categoricals_are_lsoa_wide_on_text():
    """Page 03 reads population_lsoa's codes as categoricals (issue 16): each year's frame is
    the one lsoa_wide gives on text columns, a full grid or not (N2 has no 0-15 in 2020)."""
    pop = pd.DataFrame({
        "lsoa_code": [N2, N1, N1, N2, N1, N1, N2, P1, P1],
        "year": [2021, 2021, 2021, 2021, 2020, 2020, 2020, 2011, 2011],
        "lsoa_vintage": [2021] * 7 + [2011, 2011],
        "age_band": ["all", "all", "0-15", "0-15", "all", "0-15", "all", "0-15", "all"],
        "population": [10, 30, 3, 1, 29, 4, 9, 5, 50]})
    text = pop.astype({"lsoa_code": "str", "age_band": "str"})
    categorical = pop.astype({"lsoa_code": pd.CategoricalDtype([P1, N2, N1]),
                              "age_band": pd.CategoricalDtype(["all", "0-15", "unused"])})
    keys = [(2021, 2021), (2020, 2021), (2011, 2011), (1999, 2011)]
    for frame in (text, categorical):
        wides = compute.lsoa_wides(frame, keys)
        for year, vintage in keys[:3]:
            pd.testing.assert_frame_equal(wides[(year, vintage)],
                                          compute.lsoa_wide(text, year, vintage),
                                          check_column_type=True)
    assert wides[(2021, 2021)]["lsoa_code"].tolist() == [N1, N2]
    assert np.isnan(wides[(2020, 2021)].set_index("lsoa_code").loc[N2, "0-15"])
    assert wides[(1999, 2011)].empty


def test_full_grid_wide_keeps_nullable_integer_counts_as_pivot_table_does():
    rows = pd.DataFrame({"lsoa_code": [N2, N1, N2, N1], "age_band": ["a", "a", "b", "b"],
                         "population": pd.array([1, 2, 3, 4], dtype="Int64")})
    wide = compute.full_grid_wide(rows, "lsoa_code", "age_band", "population")
    pd.testing.assert_frame_equal(wide, _pivot(rows), check_column_type=True)
    assert str(wide["a"].dtype) == "Int64"
    rows.loc[0, "population"] = pd.NA
    assert compute.full_grid_wide(rows, "lsoa_code", "age_band", "population") is None


def test_census_population_sums_lsoas_and_takes_0_17_from_la_rows():
    la_age = pd.DataFrame({"la_code": [LA, LA, ENGLAND_CODE, ENGLAND_CODE],
                           "category": ["all", "0-17", "all", "0-17"],
                           "value": [600, 120, 2600, 520]})
    out = compute.census_population(_defn(), _census(), la_age).set_index("area")
    assert out.loc["North", ["lsoas", "residents", "children_0_15"]].tolist() == [2, 300, 70]
    assert out.loc["England", "residents"] == 2600  # English LSOAs only, not W01
    assert out.loc["Rest", "pct_0_15"] == pytest.approx(10.0)
    assert out.loc["Testshire", "pct_0_17"] == pytest.approx(20.0)
    assert pd.isna(out.loc["North", "children_0_17"]) and math.isnan(out.loc["North", "pct_0_17"])


def test_child_growth_assigns_a_split_lsoa_to_one_area_and_counts_it():
    out = compute.child_growth(_defn(), _previous(), _census(), _m11()).set_index("area")
    # P1 (50 children) has one successor in North and one in Rest: ties go to the first listed.
    north = out.loc["North"]
    assert [north["children_previous"], north["children_latest"],
            north["lsoas_previous_split"]] == [100, 70, 1]
    assert out.loc["Rest", "children_previous"] == 0
    assert out.loc["Testshire", "change"] == 0 and out.loc["Testshire", "pct_change"] == 0
    assert out.loc["England", "children_previous"] == 200
    assert out.loc["England", "pct_change"] == pytest.approx(100 * (500 - 200) / 200)


def _eth() -> pd.DataFrame:
    rows = []
    for code, white, asian in ((N1, 80, 20), (N2, 150, 50), (R1, 290, 10), (X1, 500, 500)):
        rows += [(code, "White", white, white + asian), (code, "Asian", asian, white + asian)]
    return pd.DataFrame(rows, columns=["lsoa21_code", "category", "count", "total"])


def test_ethnicity_non_white_share_by_area():
    out = compute.ethnicity(_defn(), _eth()).set_index("area")
    assert out.loc["North", ["residents", "white", "non_white", "Asian"]].tolist() \
        == [300, 230, 70, 70]
    assert out.loc["Rest", "pct_non_white"] == pytest.approx(100 / 30)
    assert out.loc["England", "pct_non_white"] == pytest.approx(100 * 580 / 1600)


def test_ethnicity_19_counts_white_minorities_as_not_white_british():
    cats = ["White: English, Welsh, Scottish, Northern Irish or British", "White: Irish",
            "Asian, Asian British or Asian Welsh: Indian"]
    la = pd.DataFrame({"la_code": [LA] * 3 + [ENGLAND_CODE] * 3, "category": cats * 2,
                       "value": [70, 10, 20, 600, 100, 300]})
    out = compute.ethnicity_19_la(_defn(), la).set_index("area")
    assert out.loc["Testshire", ["pct_non_white_british", "pct_non_white"]].tolist() \
        == pytest.approx([30.0, 20.0])
    assert out.loc["England", "white_british"] == 600
    assert compute.ethnicity_19_la(_defn(), la.iloc[3:]).index.size == 1


def test_lone_parents_from_lsoas_or_la_totals():
    cat = compute.LONE_PARENT_CATEGORY
    hh = pd.DataFrame({"lsoa21_code": [N1, N2, R1, X1], "category": cat,
                       "count": [5, 5, 2, 30], "total": [40, 60, 100, 300]})
    la = pd.DataFrame({"la_code": [LA, ENGLAND_CODE], "value": [200, 500]})
    out = compute.lone_parents(_defn(), hh, la).set_index("area")
    assert out.loc["North", "pct_lone_parent_dependent"] == pytest.approx(10.0)
    assert out.loc["England", "households"] == 500
    without = compute.lone_parents(_defn(), hh.iloc[0:0], la).set_index("area")
    assert without.loc["Testshire", "households"] == 200
    assert np.isnan(without.loc["North", "households"])
    assert without["pct_lone_parent_dependent"].isna().all()
    assert without.loc["North", "households_source"] == ""


def test_low_income_year_needs_an_estimate_for_the_mid_year_before():
    li = pd.DataFrame({"financial_year_ending": [2019, 2020, 2021, 2022]})
    assert compute.low_income_year(li, [2017, 2019, 2020], None) == 2021
    assert compute.low_income_year(li, [2017, 2019], None) == 2020
    assert compute.low_income_year(li, [2017, 2019], 2019) == 2019


def test_low_income_counts_and_shares():
    est = pd.DataFrame({"lsoa_code": [P1, P2, PX], "0-15": [60, 40, 100]})
    den = compute.estimates_0_15(_defn(), est, _m11())
    assert den[["area", "0-15"]].values.tolist() == [
        ["North", 100], ["Rest", 0], ["Testshire", 100], ["England", 200]]
    li_la = pd.DataFrame({"la_code": [LA, "E06000001", "W06000001"], "children": [20, 30, 99]})
    empty = pd.DataFrame({"lsoa_code": pd.Series(dtype=str), "children": pd.Series(dtype=int)})
    out = compute.low_income(_defn(), li_la, empty, den, _m11()).set_index("area")
    assert out.loc["Testshire", "pct_low_income"] == pytest.approx(20.0)
    assert out.loc["England", "children_low_income"] == 50  # English LAs only
    assert pd.isna(out.loc["North", "children_low_income"])
    lsoa = pd.DataFrame({"lsoa_code": [N1, N2, R1], "children": [4, 6, 10]})
    out = compute.low_income(_defn(), li_la, lsoa, den, _m11()).set_index("area")
    assert out.loc["North", "children_low_income"] == 10
    assert out.loc["Rest", "children_low_income"] == 10 and np.isnan(out.loc["Rest",
                                                                             "pct_low_income"])


def _iod() -> pd.DataFrame:
    rows = [("R21", 2021, N1, 1, 10.0, 2020), ("R21", 2021, N2, 1, 20.0, 2020),
            ("R21", 2021, R1, 5, 30.0, 2020),
            ("R11", 2011, P1, 2, np.nan, np.nan), ("R11", 2011, P2, 1, np.nan, np.nan)]
    return pd.DataFrame(rows, columns=["release", "lsoa_vintage", "lsoa_code", "idaci_decile",
                                       "children_0_15", "denominator_year"])


def test_latest_with_deciles_follows_registry_order():
    assert compute.latest_with_deciles(_iod(), 2021, ["R11", "R21"]) == "R21"
    assert compute.latest_with_deciles(_iod(), 2011, ["R11", "R21"]) == "R11"
    assert compute.latest_with_deciles(_iod(), 2001, ["R11", "R21"]) is None


def test_idaci_composition_and_summary():
    children = _census().set_index("lsoa_code")["0-15"]
    comp = compute.idaci_composition(_defn(), _iod(), ("R11", "R21"), children,
                                     ("Census X", 2021), _m11())
    assert len(comp) == 2 * 3 * 10  # every decile for every area and release
    la21 = comp[(comp["release"] == "R21") & (comp["area"] == "Testshire")].set_index("decile")
    assert la21.loc[1, "lsoas"] == 2 and la21.loc[1, "pct_children"] == pytest.approx(50.0)
    assert la21["children_source"].iloc[0] == "R21 denominators (mid-2020)"
    # R11 has no denominators and is on older LSOAs: no children, LSOAs only
    r11 = comp[comp["release"] == "R11"]
    assert r11["children_source"].iloc[0] == "not available"
    summ = compute.idaci_summary(comp).set_index(["release", "area"])
    assert summ.loc[("R21", "North"), "pct_children_most_deprived_10pct"] == pytest.approx(100)
    assert summ.loc[("R11", "North"), "lsoas_most_deprived_10pct"] == 1
    assert summ.loc[("R11", "North"), "lsoas"] == 2
    # without the release's denominators, a release on the census's LSOAs uses the census
    no_den = _iod().assign(children_0_15=np.nan)
    comp = compute.idaci_composition(_defn(), no_den, ("R21",), children, ("Census X", 2021),
                                     _m11())
    assert comp["children_source"].iloc[0] == "Census X aged 0-15"
    assert comp["children"].sum() == 70 + 30 + 100  # North, Rest and the LA


def test_components_link_lsoas_through_shared_successors():
    lk = pd.DataFrame({"lsoa11_code": ["a", "b", "c"], "lsoa21_code": ["x", "x", "y"]})
    groups = maps.components(lk)
    assert groups["a"] == groups["b"] != groups["c"]


def test_map_layers_use_latest_boundaries_when_they_cover_the_la():
    from shapely.geometry import box

    boundaries = pd.DataFrame({"lsoa21_code": [N1, N2, R1],
                               "geometry": [box(0, 0, 1, 1), box(1, 0, 2, 1), box(0, 1, 2, 2)]})
    prev = pd.DataFrame({"lsoa11_code": [P1, P2],
                         "geometry": [box(0, 0, 1, 2), box(1, 0, 2, 2)]})
    m = maps.MapInputs(_census(), "Census X", 2021, 2011, _iod(), ["R11", "R21"], boundaries,
                       prev, _lookup(), _m11())
    layers = maps.map_layers(_defn(), m)
    assert layers.lsoa_vintage == 2021 and layers.idaci_release == "R21"
    assert sorted(layers.outlines["area"]) == ["North", "Rest"]
    assert layers.lsoas.set_index("lsoa21_code").loc[N1, "pct_0_15"] == pytest.approx(30.0)
    partial = maps.map_layers(_defn(), maps.MapInputs(
        _census(), "Census X", 2021, 2011, _iod(), ["R11", "R21"], boundaries.iloc[:1], prev,
        _lookup(), _m11()))
    assert partial.lsoa_vintage == 2011 and partial.idaci_release == "R11"
    assert "Census X child share" in partial.note
    # P1 and P2 are not linked: P1's share is N1 + R1 (60 of 400)
    assert partial.lsoas.set_index("lsoa11_code").loc[P1, "pct_0_15"] == pytest.approx(15.0)


def test_ethnicity_from_the_wide_table_matches_the_long_rows():
    defn = _defn()
    wide = compute.ethnicity_wide(_eth())
    assert list(wide.columns[:1]) == ["lsoa21_code"] and "residents" in wide
    pd.testing.assert_frame_equal(compute.ethnicity_by_area(defn, wide),
                                  compute.ethnicity(defn, _eth()))


def test_decile_table_counts_match_pandas_group_sums():
    """Whole-number children are counted with numpy; fractional ones with pandas' group sums;
    both give every decile 1-10, missing children as 0 (issue 16)."""
    g = pd.DataFrame({"lsoa_code": list("abcde"), "idaci_decile": [1.0, 1.0, 3.0, 10.0, 3.0],
                      "children": [10.0, np.nan, 5.0, 7.0, 2.0]})
    whole = compute._decile_table(g)
    assert whole["decile"].tolist() == list(range(1, 11))
    assert whole["lsoas"].tolist() == [2, 0, 2, 0, 0, 0, 0, 0, 0, 1]
    assert whole["children"].tolist() == [10.0, 0, 7.0, 0, 0, 0, 0, 0, 0, 7.0]
    assert whole["pct_children"].iloc[0] == pytest.approx(100 * 10 / 24)
    fractional = compute._decile_table(g.assign(children=g["children"] + 0.5))
    assert fractional["children"].tolist() == [10.5, 0, 8.0, 0, 0, 0, 0, 0, 0, 7.5]
    assert fractional[["decile", "lsoas"]].equals(whole[["decile", "lsoas"]])
    assert whole.dtypes.equals(fractional.dtypes)
