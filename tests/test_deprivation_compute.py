"""Page 02's pure analysis (pages/deprivation/compute.py and children.py) and the report's
Table 1 reconciliation (reference/table1.py), on small in-memory fixtures: no mirror, no
registry (the releases here are made up: A on "2001" LSOAs, B on 2011, C on 2021)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from solihull_analytics.pages.deprivation import children, compute
from solihull_analytics.reference import table1 as report

LA = "E0LA"
FACTS = compute.ReleaseFacts(
    labels=("A", "B", "C"),
    year={"A": 2001, "B": 2011, "C": 2021},
    lsoa_vintage={"A": 2001, "B": 2011, "C": 2021},
    data_year={"A": 1999, "B": 2010, "C": 2019},
    children_file_ids=frozenset({"b_denominators"}),
    source_names={"census_b": "Census B"},
)


def _rows(release: str, vintage: int, codes: list[str], ranks: list[int | None],
          n_england: int = 10, la: str = LA) -> list[dict]:
    return [
        {
            "release": release,
            "lsoa_code": code,
            "lsoa_vintage": vintage,
            "la_code": la,
            "idaci_rank": rank,
            "idaci_decile": None if rank is None else (rank - 1) * 10 // n_england + 1,
            "children_0_15": None,
            "denominator_year": None,
            "lsoas_in_england": n_england,
            "source_id": f"{release.lower()}_file,{release.lower()}_extra",
        }
        for code, rank in zip(codes, ranks, strict=True)
    ]


def _iod() -> pd.DataFrame:
    """B: 4 LA LSOAs (ranks 1, 2, 5, 9 of 10) and 1 elsewhere; C: the same areas on 2021 LSOAs
    with B1 split into C1a/C1b; A: deciles only on 2001 LSOAs."""
    rows = (
        _rows("B", 2011, ["B1", "B2", "B3", "B4"], [1, 2, 5, 9])
        + _rows("B", 2011, ["X1"], [3], la="E0OTHER")
        + _rows("C", 2021, ["C1a", "C1b", "C2", "C3", "C4"], [1, 8, 2, 6, 10])
        + _rows("A", 2001, ["A1", "A2"], [None, None])
    )
    df = pd.DataFrame(rows)
    df.loc[df["release"] == "A", "idaci_decile"] = [1, 4]
    for c in ("idaci_rank", "idaci_decile", "children_0_15", "denominator_year"):
        df[c] = df[c].astype("Int64")
    return df


def test_release_facts_order_puts_unknown_releases_last() -> None:
    assert FACTS.order(["Z", "C", "A", "Y"]) == ["A", "C", "Y", "Z"]


def test_la_rows_lsoas_and_source_ids() -> None:
    iod = _iod()
    assert compute.la_release(iod, LA, "B")["lsoa_code"].tolist() == ["B1", "B2", "B3", "B4"]
    assert compute.la_lsoas(iod, LA, 2021) == ["C1a", "C1b", "C2", "C3", "C4"]
    assert compute.la_lsoas(None, LA, 2021) == []
    assert compute.iod_source_ids(iod, LA, "B") == ["b_extra", "b_file"]
    assert "c_file" in compute.iod_source_ids(iod, LA)


def test_band_counts_by_ranks_deciles_and_missing_release() -> None:
    facts = compute.ReleaseFacts(labels=("A", "B", "D"), year=FACTS.year,
                                 lsoa_vintage=FACTS.lsoa_vintage)
    c = compute.band_counts(_iod(), LA, facts, bands=(20, 10, 5)).set_index("release")
    # B: N = 10, 20% -> ranks <= 2 -> B1, B2; 10% -> rank 1; 5% -> floor(0.5) = 0
    assert (c.loc["B", "n_20pct"], c.loc["B", "n_10pct"], c.loc["B", "n_5pct"]) == (2, 1, 0)
    assert c.loc["B", "method_20pct"] == "ranks" and c.loc["B", "lsoas_in_england"] == 10
    # A: deciles only -> whole-decile bands only
    assert c.loc["A", "n_10pct"] == 1 and c.loc["A", "method_10pct"] == "deciles"
    assert pd.isna(c.loc["A", "n_5pct"]) and pd.isna(c.loc["A", "method_5pct"])
    # D: in the registry, not in the data -> a row with nothing counted
    assert not c.loc["D", "in_data"] and pd.isna(c.loc["D", "n_20pct"])


def test_decile_counts_derives_deciles_from_ranks_when_unpublished() -> None:
    iod = _iod()
    iod.loc[iod["release"] == "B", "idaci_decile"] = pd.NA
    d = compute.decile_counts(iod, LA, FACTS)
    b = d[d["release"] == "B"].set_index("decile")
    assert b["lsoas"].sum() == 4 and b.loc[1, "lsoas"] == 1 and b.loc[9, "lsoas"] == 1
    assert set(b["decile_source"]) == {"derived from published ranks"}
    assert math.isclose(b.loc[2, "share"], 0.25)
    assert compute.decile_counts(iod.iloc[0:0], LA, FACTS).empty


def test_national_ties_counts_shared_ranks_and_extras_at_cutoffs() -> None:
    iod = pd.DataFrame(_rows("B", 2011, list("abcde"), [1, 2, 2, 4, 5], n_england=5))
    iod["idaci_rank"] = iod["idaci_rank"].astype("Int64")
    t = compute.national_ties(iod, FACTS, bands=(20, 40)).set_index("Release")
    assert t.loc["B", "Rank numbers shared by 2+ LSOAs"] == 1
    assert t.loc["B", "Cut-off 40% (rank <=)"] == 2
    # rank 2 is shared by two LSOAs: the 40% band holds 3 LSOAs, one more than floor(0.4 x 5)
    assert t.loc["B", "Extra LSOAs from a tie at 40%"] == 1
    assert t.loc["B", "Extra LSOAs from a tie at 20%"] == 0


def test_lookup_pairs_either_direction_and_first_target() -> None:
    lookup = pd.DataFrame({"lsoa11_code": ["B1", "B1", "B2"], "lsoa21_code": ["C1b", "C1a", "C2"]})
    back = compute.lookup_pairs(lookup, 2021, 2011)
    assert list(back.columns) == ["source", "target"] and len(back) == 3
    assert compute.first_target(lookup, 2011, 2021).to_dict() == {"B1": "C1a", "B2": "C2"}
    with pytest.raises(ValueError, match="lsoa01_code"):
        compute.lookup_pairs(lookup, 2001, 2011)


def test_like_for_like_counts_maps_every_release_onto_one_vintage() -> None:
    iod = _iod()
    lookup = pd.DataFrame(
        {"lsoa11_code": ["B1", "B1", "B2", "B3", "B4"],
         "lsoa21_code": ["C1a", "C1b", "C2", "C3", "C4"]}
    )
    weights = {2021: pd.Series({"C1a": 10.0, "C1b": 90.0})}
    lfl = compute.like_for_like_counts(
        iod, ["B1", "B2", "B3", "B4"], 2011, {(2011, 2021): lookup}, FACTS, weights, bands=(20,)
    ).set_index("release")
    assert list(lfl.index) == ["B", "C"]  # A has no lookup from 2001 here: left out
    assert lfl.loc["B", "lsoas_changed"] == 0 and lfl.loc["B", "n_20pct"] == 2
    # C on 2011 LSOAs: B1 takes C1b's rank (more children) = 8, B2 <- C2 (2)
    assert lfl.loc["C", "mapped_from"] == 2021 and lfl.loc["C", "lsoas_changed"] == 1
    assert lfl.loc["C", "n_20pct"] == 1


def test_child_denominators_release_file_first_then_nearest_count() -> None:
    iod = _iod()
    b = iod["release"] == "B"
    iod.loc[b, "children_0_15"] = [10, 20, 30, 40, 50]
    iod.loc[b, "denominator_year"] = 2009
    iod.loc[b, "source_id"] = "b_file,b_denominators"
    den = children.child_denominators(iod, pd.DataFrame(), LA, "B", FACTS)
    assert den.from_release and den.children.sum() == 100 and den.year == 2009
    assert den.source_ids == ("b_denominators",) and "mid-2009" in den.label
    pop = pd.DataFrame(
        [(c, 2021, y, s, "0-15", n, f"{s}_id") for c in ["C1a", "C1b", "C2", "C3", "C4"]
         for y, s, n in ((2018, "census_c", 1), (2020, "est_c", 2))],
        columns=["lsoa_code", "lsoa_vintage", "year", "source", "age_band", "population",
                 "source_id"],
    )
    # C's data year 2019 is as near 2018 as 2020: the later year wins
    den = children.child_denominators(iod, pop, LA, "C", FACTS)
    assert not den.from_release and den.year == 2020 and den.children.sum() == 10
    assert den.label.startswith("est_c (aged 0-15") and den.source_ids == ("est_c_id",)
    assert children.child_denominators(iod, pop, LA, "A", FACTS) is None


def test_children_in_bands_counts_children_inside_each_band() -> None:
    iod = _iod()
    iod.loc[iod["release"] == "B", "children_0_15"] = [10, 20, 30, 40, 50]
    ch = children.children_in_bands(iod, pd.DataFrame(columns=["lsoa_vintage", "age_band"]),
                                    LA, FACTS, bands=(20,)).set_index("release")
    assert ch.loc["B", "children_la"] == 100 and ch.loc["B", "children_20pct"] == 30
    assert math.isclose(ch.loc["B", "share_20pct"], 0.3)
    assert ch.loc["C", "denominator"] == compute.NOT_AVAILABLE


def test_apportion_splits_merged_areas_by_weight_and_keeps_totals() -> None:
    lookup = pd.DataFrame({"lsoa11_code": ["B1", "B1", "B2", "B3"],
                           "lsoa21_code": ["C1a", "C1b", "C2", "C2"]})
    values = pd.Series({"C1a": 5.0, "C1b": 15.0, "C2": 40.0})
    out = children.apportion(values, lookup, 2021, 2011, pd.Series({"B2": 3.0, "B3": 1.0}))
    assert out.to_dict() == {"B1": 20.0, "B2": 30.0, "B3": 10.0}
    equal = children.apportion(values, lookup, 2021, 2011)
    assert equal["B2"] == equal["B3"] == 20.0


def test_apportion_to_some_targets_gives_them_the_same_counts() -> None:
    """Only one LA's target LSOAs needed (issue 16): their counts are those of the whole
    apportionment, including a source shared with a target outside the LA."""
    lookup = pd.DataFrame({"lsoa11_code": ["B1", "B1", "B2", "B3", "B4", "B5"],
                           "lsoa21_code": ["C1a", "C1b", "C2", "C2", "C4", "C5"]})
    lookup["lsoa21_code"] = lookup["lsoa21_code"].astype("string")  # Arrow strings, as read
    values = pd.Series({"C1a": 5.0, "C1b": 15.0, "C2": 40.0, "C4": 7.0, "C5": 9.0})
    weights = pd.Series({"B2": 3.0, "B3": 1.0})
    whole = children.apportion(values, lookup, 2021, 2011, weights)
    some = children.apportion(values, lookup, 2021, 2011, weights, targets=["B1", "B2"])
    assert some[["B1", "B2"]].to_dict() == whole[["B1", "B2"]].to_dict() == {
        "B1": 20.0, "B2": 30.0}
    assert "B4" not in some.index and "B5" not in some.index


def test_population_change_groups_by_decile_and_tenth() -> None:
    classify = pd.DataFrame({"lsoa_code": ["L1", "L2", "L3"], "idaci_rank": [3, 1, 2],
                             "idaci_decile": [1, 1, 2]})
    start = pd.Series({"L1": 100.0, "L2": 50.0, "L3": 10.0})
    end = pd.Series({"L1": 110.0, "L2": 100.0})  # L3 has no end count: left out
    r = children.population_change(classify, start, end, tenth=1)
    t = r["tenths"].set_index("group")
    assert math.isclose(t.iloc[0]["growth_pct"], 100.0)  # L2, the most deprived
    assert math.isclose(t.iloc[1]["growth_pct"], 10.0)
    assert math.isclose(t.loc["Whole LA", "growth_pct"], 40.0)
    assert r["by_decile"]["decile"].tolist() == [1] and len(r["lsoa"]) == 2


def _population() -> pd.DataFrame:
    rows = []
    for code, s, e in (("B1", 10, 20), ("B2", 10, 10)):
        rows += [(code, 2011, "start", "0-15", s), (code, 2011, "start", "0-17", s + 1)]
        rows += [(code, 2011, "end", "0-15", e), (code, 2011, "end", "0-17", e + 1)]
    rows += [("C1a", 2021, "later", "0-15", 30), ("C2", 2021, "later", "0-15", 10)]
    return pd.DataFrame(rows, columns=["lsoa_code", "lsoa_vintage", "source", "age_band",
                                       "population"])


def test_growth_age_band_is_the_widest_both_sources_give() -> None:
    pop = _population()
    assert children.small_area_children(pop, "start", "0-17").to_dict() == {"B1": 11, "B2": 11}
    assert children.growth_age_band(pop, "start", "end") == "0-17"
    assert children.growth_age_band(pop, "start", "later") == "0-15"


def test_growth_by_period_puts_later_lsoas_on_the_grouping_vintage() -> None:
    pop = _population()
    classify = pd.DataFrame({"lsoa_code": ["B1", "B2"], "idaci_rank": [1, 2],
                             "idaci_decile": [1, 1]})
    lookup = pd.DataFrame({"lsoa11_code": ["B1", "B2"], "lsoa21_code": ["C1a", "C2"]})
    periods = [
        children.GrowthPeriod("same LSOAs", "k1", "start", "end", "0-15"),
        children.GrowthPeriod("across vintages", "k2", "start", "later", "0-15"),
        children.GrowthPeriod("no data", "k3", "start", "missing", "0-15"),
    ]
    out = children.growth_by_period(classify, pop, periods, 2011, {(2011, 2021): lookup}, None)
    assert list(out) == ["same LSOAs", "across vintages"]
    whole = out["across vintages"]["tenths"].set_index("group").loc["Whole LA"]
    assert (whole["children_start"], whole["children_end"]) == (20, 40)
    assert "across vintages" not in children.growth_by_period(
        classify, pop, periods, 2011, {}, None)


# -- the report's Table 1 (reference/table1.py) ---------------------------------------------


def test_compare_with_report_and_its_sentence() -> None:
    counts = pd.DataFrame({"release": ["A", "B", "C"], "n_20pct": pd.array([None, 2, 3],
                                                                              dtype="Int64")})
    published = {"A": {20: 5}, "B": {20: 2}, "C": {20: 4}}
    cmp = report.compare_with_report(counts, published, (20,)).set_index("release")
    assert cmp.loc["B", "agrees"] and not cmp.loc["C", "agrees"]
    assert pd.isna(cmp.loc["A", "agrees"]) and cmp.loc["A", "published"] == 5
    said = report.describe_report_comparison(cmp.reset_index(), ["A", "B", "C"])
    assert said.startswith("Of the report's 3 Table 1 figures, 2 can be computed")
    assert "C 20%: computed 3, report 4" in said and "1 cannot be checked here (A)" in said


def test_report_children_text_sets_the_stated_share_against_the_computed() -> None:
    ch = pd.DataFrame({"release": ["B"], "share_20pct": [0.2149], "children_20pct": [2149],
                       "children_la": [10000], "denominator_year": [2015]})
    said = report.report_children_text(ch, "Town", ("B", 0.21))
    assert said.startswith("The report says 21% of Town's children")
    assert "with B's own mid-2015 denominators the share is 21.5% (2,149 of 10,000)" in said
    assert report.report_children_text(ch, "Town", ("Z", 0.21)) is None
    assert report.report_children_text(ch, "Town", None) is None


def test_lookup_vintages_come_from_the_code_columns() -> None:
    from solihull_analytics.pages.deprivation.inputs import lookup_vintages

    assert lookup_vintages(pd.DataFrame(columns=["lsoa21_code", "lsoa11_code", "x"])) == (
        2011, 2021)
    with pytest.raises(ValueError, match="two lsoaYY_code columns"):
        lookup_vintages(pd.DataFrame(columns=["lsoa11_code"]))
