"""Page 05's analysis (pages/benchmarking/compute.py and measures.py) on small in-memory tables.

Nothing here reads the mirror: the national tables are built below (synthetic, generated here).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from solihull_analytics.constants import ENGLAND_CODE
from solihull_analytics.methods import count_model
from solihull_analytics.pages.benchmarking import compute, measures
from tests.test_count_model import synthetic_las

# --- OHID's funnel method written out independently (also used by test_benchmarking.py) ------


def independent_count_limits(e: float, level: float) -> tuple[float, float]:
    """OHID's funnel limits for a count with mean ``e``, written out without the library.

    The counts whose exact Poisson interval just reaches ``e``: P(X <= lo | e) = alpha/2 and
    P(X <= hi - 1 | e) = 1 - alpha/2, with P(X <= k | e) = gamma.sf(e, k + 1), solved by
    root-finding (the library uses scipy.special.pdtrik).
    """
    a = 1 - level
    top = e + 20 * np.sqrt(e) + 50
    lo = 0.0
    if np.exp(-e) < a / 2:
        lo = optimize.brentq(lambda k: stats.gamma.sf(e, k + 1) - a / 2, 0.0, top,
                             xtol=1e-12, rtol=1e-14)
    hi = optimize.brentq(lambda k: stats.gamma.sf(e, k) - (1 - a / 2), 1e-12, top,
                         xtol=1e-12, rtol=1e-14)
    return lo, hi


def independent_funnel(rate_per_10k: float, population: float, level: float) -> tuple[float, float]:
    """OHID's funnel limits for a rate per 10,000, written out without the library."""
    lo, hi = independent_count_limits(rate_per_10k * population / 10_000, level)
    return lo / population * 10_000, hi / population * 10_000


def independent_position(observed: float, expected: float) -> str:
    """OHID's funnel significance: ``expected`` against the count's Fingertips interval."""
    limits = {}
    for level in (0.95, 0.998):
        a, o = 1 - level, observed
        if o < 10:
            lo = 0.0 if o == 0 else stats.chi2.ppf(a / 2, 2 * o) / 2
            hi = stats.chi2.ppf(1 - a / 2, 2 * o + 2) / 2
        else:
            z = stats.norm.ppf(1 - a / 2)
            lo = o * (1 - 1 / (9 * o) - z / (3 * np.sqrt(o))) ** 3
            hi = (o + 1) * (1 - 1 / (9 * (o + 1)) + z / (3 * np.sqrt(o + 1))) ** 3
        limits[level] = (lo, hi)
    if expected < limits[0.998][0]:
        return "above 99.8%"
    if expected < limits[0.95][0]:
        return "above 95%"
    if expected > limits[0.998][1]:
        return "below 99.8%"
    if expected > limits[0.95][1]:
        return "below 95%"
    return "within 95%"


# --- synthetic national tables ----------------------------------------------------------------

N_LAS = 40
YEARS = range(2019, 2026)
CIN = ("cin_31_march", "cpp_31_march", "referrals")


def _las() -> pd.DataFrame:
    return pd.DataFrame({"la_code": [f"E06{i:06d}" for i in range(N_LAS)],
                         "la_name": [f"Place {i}" for i in range(N_LAS)],
                         "region_name": "Region", "la_type": "Unitary authority"})


def _iod(rng: np.random.Generator, codes: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Four LSOAs per LA, ranked in two releases; IoD2025 has no denominators of its own."""
    lsoas = [f"L{i:04d}" for i in range(4 * len(codes))]
    frames = []
    for release, children, sid in (("IoD2019", 100.0, "iod19"), ("IoD2025", np.nan, "iod25")):
        frames.append(pd.DataFrame({
            "release": release, "lsoa_code": lsoas, "la_code": np.repeat(codes, 4),
            "idaci_rank": rng.permutation(len(lsoas)) + 1, "children_0_15": children,
            "lsoas_in_england": len(lsoas), "source_id": sid,
        }))
    census = pd.DataFrame({"lsoa_code": lsoas, "population": rng.integers(50, 150, len(lsoas)),
                           "source_id": "census21"})
    return pd.concat(frames, ignore_index=True), census


def synthetic_inputs(seed: int = 7) -> measures.BenchmarkInputs:
    """Forty LAs and England, 2019-2025 (synthetic counts from a negative binomial model)."""
    rng = np.random.default_rng(seed)
    las = _las()
    codes = list(las["la_code"])
    iod, census = _iod(rng, codes)
    top = iod[iod["release"] == "IoD2025"].assign(top=lambda d: d["idaci_rank"] <= 32)
    share = top.groupby("la_code")["top"].mean().reindex(codes).to_numpy() * 100
    pop = rng.uniform(20_000, 200_000, N_LAS)
    rows, pops, cin = [], [], []
    for year in YEARS:
        mu = pop * np.exp(-5.0 + 0.15 * share / 10 + 0.01 * (year - 2019))
        y = rng.negative_binomial(10, 10 / (10 + mu)).astype(float)
        uasc = np.round(0.08 * y)
        rows.append(pd.DataFrame({"la_code": codes, "year": year, "cla_all": y, "cla_uasc": uasc,
                                  "cla_non_uasc": y - uasc, "dfe_population_0_17": pop + 1,
                                  "source_id": f"cla{year}", "uasc_source_id": f"cla{year}"}))
        pops.append(pd.DataFrame({"la_code": codes, "mid_year": year - 1, "age_band": "0-17",
                                  "population": pop, "vintage": "mye2024",
                                  "source_id": "mye2024"}))
        for measure, per in zip(CIN, (0.03, 0.004, 0.05), strict=True):
            cin.append(pd.DataFrame({"la_code": codes, "year": year, "measure": measure,
                                     "value": np.round(per * pop), "source_id": f"cin{year}"}))
    cla = pd.concat(rows, ignore_index=True)
    england = cla.groupby("year", as_index=False)[
        ["cla_all", "cla_uasc", "cla_non_uasc", "dfe_population_0_17"]].sum()
    year_ids = england["year"].map(lambda y: f"cla{y}")
    cla = pd.concat([cla, england.assign(la_code=ENGLAND_CODE, source_id=year_ids,
                                         uasc_source_id=year_ids)], ignore_index=True)
    population = pd.concat(pops, ignore_index=True)
    population = pd.concat([population, population.groupby(
        ["mid_year", "age_band", "vintage", "source_id"], as_index=False)["population"].sum()
        .assign(la_code=ENGLAND_CODE)], ignore_index=True)
    workforce = pd.DataFrame({"la_code": [*codes, ENGLAND_CODE],
                              "la_name": [*las["la_name"], "England"], "year": 2025,
                              "agency_rate_pct": 15.0, "turnover_rate_pct": 16.0,
                              "vacancy_rate_pct": 17.0, "caseload_average": 18.0,
                              "source_id": "swf2025"})
    return measures.BenchmarkInputs(
        cla=cla, population=population, cin=pd.concat(cin, ignore_index=True),
        workforce=workforce, iod=iod, population_lsoa=census, las=las,
        source_ids={"iod": ["iod25", "census21"], "workforce": ["swf2025"]},
        iod_order=["IoD2015", "IoD2019", "IoD2025"], population_order={"mye2024": 5},
    )


@pytest.fixture(scope="module")
def inputs() -> measures.BenchmarkInputs:
    return synthetic_inputs()


@pytest.fixture(scope="module")
def national(inputs) -> compute.NationalBenchmark:
    return compute.national_benchmark(inputs)


# --- measures.py ------------------------------------------------------------------------------


def test_split_ids():
    assert measures.split_ids(["a+b", "b,c", None, "nan", " d "]) == ["a", "b", "c", "d"]


def test_release_order_and_resolution():
    dep = pd.DataFrame({"release": ["IoD2025", "X", "IoD2019"]})
    order = ["IoD2015", "IoD2019", "IoD2025"]
    assert measures.in_release_order(dep["release"], order) == ["IoD2019", "IoD2025", "X"]
    assert measures.resolve_release(dep[dep["release"] != "X"], "latest", order) == "IoD2025"
    assert measures.resolve_release(dep, "IoD2019", order) == "IoD2019"
    with pytest.raises(ValueError, match="'IoD2015' has no IDACI ranks.*IoD2019, IoD2025, X"):
        measures.resolve_release(dep, "IoD2015", order)
    with pytest.raises(ValueError, match="no IoD release"):
        measures.resolve_release(dep.iloc[:0], "latest", order)


def test_child_population_keeps_the_latest_vintage():
    pop = pd.DataFrame({"la_code": ["A", "A", "A", "B"], "mid_year": [2023, 2023, 2022, 2023],
                        "age_band": ["0-17", "0-17", "0-17", "0-4"],
                        "population": [100.0, 110.0, 90.0, 5.0],
                        "vintage": ["new", "old", "old", "new"]})
    out = measures.child_population(pop, {"old": 1, "new": 2})
    assert out.to_dict("records") == [
        {"la_code": "A", "mid_year": 2022, "population_0_17": 90.0, "vintage": "old"},
        {"la_code": "A", "mid_year": 2023, "population_0_17": 100.0, "vintage": "new"},
    ]


def test_la_year_rates_on_small_tables(inputs):
    out = measures.la_year_rates(inputs, first_year=2024)
    assert set(out["year"]) == {2024, 2025}
    assert len(out) == 2 * (N_LAS + 1)
    row = out[(out["la_code"] == "E06000003") & (out["year"] == 2025)].iloc[0]
    cla = inputs.cla[(inputs.cla["la_code"] == "E06000003") & (inputs.cla["year"] == 2025)].iloc[0]
    pop = inputs.population[(inputs.population["la_code"] == "E06000003")
                            & (inputs.population["mid_year"] == 2024)]["population"].iloc[0]
    assert row["population_0_17"] == pop and row["denominator_mid_year"] == 2024
    assert row["rate_cla_non_uasc"] == pytest.approx(cla["cla_non_uasc"] / pop * 10_000)
    assert row["rate_referrals"] == pytest.approx(round(0.05 * pop) / pop * 10_000)
    assert out.loc[out["la_code"] == ENGLAND_CODE, "la_name"].iloc[0] == "England"
    # without an ONS estimate for the mid-year, DfE's published denominator is used
    thin = measures.BenchmarkInputs(**{**inputs.__dict__, "population": inputs.population.iloc[:0]})
    row = measures.la_year_rates(thin, 2025).set_index("la_code").loc["E06000003"]
    assert row["population_0_17"] == cla["dfe_population_0_17"]


def test_latest_year_skips_england_and_missing_counts():
    t = pd.DataFrame({"la_code": ["A", "A", ENGLAND_CODE], "year": [2024, 2025, 2026],
                      "cla_non_uasc": [1.0, np.nan, 5.0], "cla_all": [1.0, 2.0, 5.0]})
    assert measures.latest_year(t, "non_uasc") == 2024
    assert measures.latest_year(t, "all") == 2025


def test_ids_for_years(inputs):
    ids = inputs.ids_for_years([2025, 2020])
    assert ids == ["cla2020", "cla2025", "mye2024", "cin2020", "cin2025"]


def test_deprivation_by_la_shares_and_percentiles():
    iod = pd.DataFrame(
        {
            "release": "IoD2019",
            "lsoa_code": [f"L{i}" for i in range(10)],
            "la_code": ["A"] * 5 + ["B"] * 5,
            "idaci_rank": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
            "children_0_15": [100, 300, 100, 100, 100, 100, 100, 100, 100, 100],
            "lsoas_in_england": 10,
        }
    )
    out = measures.deprivation_by_la(iod, pd.DataFrame({"lsoa_code": [], "population": []}),
                                     releases=["IoD2019"])
    a = out.set_index("la_code").loc["A"]
    # ranks 1-2 are England's most deprived 20% of 10 LSOAs: 400 of A's 700 children
    assert a["idaci_top20_share"] == pytest.approx(400 / 700 * 100)
    assert a["idaci_mean_percentile"] == pytest.approx(
        (10 * 100 + 20 * 300 + 30 * 100 + 40 * 100 + 50 * 100) / 700
    )
    assert out.set_index("la_code").loc["B", "idaci_top20_share"] == 0
    england = out.set_index("la_code").loc[ENGLAND_CODE, "idaci_top20_share"]
    assert england == pytest.approx(400 / 1200 * 100)


def test_deprivation_by_la_iod2025_uses_census_weights():
    iod = pd.DataFrame(
        {
            "release": "IoD2025",
            "lsoa_code": ["L1", "L2", "L3", "L4", "L5"],
            "la_code": ["A"] * 5,
            "idaci_rank": [1, 2, 3, 4, 5],
            "children_0_15": [pd.NA] * 5,
            "lsoas_in_england": 5,
        }
    )
    census = pd.DataFrame({"lsoa_code": ["L1", "L2", "L3", "L4", "L5"],
                           "population": [50, 10, 10, 10, 20]})
    out = measures.deprivation_by_la(iod, census, releases=["IoD2025"], census_label="Census X")
    assert out.loc[out["la_code"] == "A", "idaci_top20_share"].iloc[0] == pytest.approx(50.0)
    assert out["weights"].iloc[0] == "Census X children aged 0-15"


def test_deprivation_by_la_orders_releases_and_refuses_none(inputs):
    out = measures.deprivation_by_la(inputs.iod, inputs.population_lsoa,
                                     release_order=["IoD2025", "IoD2019"])
    assert list(dict.fromkeys(out["release"])) == ["IoD2025", "IoD2019"]
    with pytest.raises(ValueError, match="no IDACI ranks"):
        measures.deprivation_by_la(inputs.iod, inputs.population_lsoa, releases=["IoD2010"])


# --- compute.py: the model's data and sensitivity ----------------------------------------------


def test_model_frame_excludes_with_reasons():
    rates_table = pd.DataFrame({
        "la_code": ["A", "B", "C", "D", "E", ENGLAND_CODE], "la_name": list("ABCDE") + ["Eng"],
        "region_name": "R", "la_type": "t", "year": 2025,
        "cla_non_uasc": [100.0, np.nan, 50.0, 60.0, 5.0, 1000.0],
        "population_0_17": [20_000.0, 20_000.0, np.nan, 20_000.0, 2_000.0, 1e6],
    })
    dep = pd.DataFrame({"la_code": ["A", "B", "C", "E"], "release": "IoD2025",
                        "idaci_top20_share": [10.0, 20.0, 30.0, 40.0]})
    frame, excluded = compute.model_frame(rates_table, dep, 2025, "non_uasc", "IoD2025")
    assert list(frame["la_code"]) == ["A"]
    assert frame.iloc[0][["observed", "deprivation"]].tolist() == [100.0, 10.0]
    assert {e["la_code"]: e["reason"] for e in excluded} == {
        "B": "count not published (suppressed) for this year",
        "C": "no 0-17 population estimate",
        "D": "no IoD2025 deprivation value",
        "E": "fewer than 5,000 children",
    }


def test_sensitivity_fits_and_table(inputs, national):
    fits = national.sensitivity
    labels = [f.label for f in fits]
    assert labels[:4] == list(compute.SPECIFICATIONS) and len(fits) == 7
    assert [(f.series, f.release, f.measure) for f in fits[4:]] == [
        ("non_uasc", "IoD2019", "idaci_top20_share"),
        ("non_uasc", "IoD2025", "idaci_mean_percentile"),
        ("all", "IoD2025", "idaci_top20_share"),
    ]
    main = fits[labels.index("deprivation + size (main)")].model
    assert main.params["coef"].tolist() == national.model.params["coef"].tolist()
    table = compute.sensitivity_table(fits, "E06000005")
    assert len(table) == 7 and table["n_las"].eq(N_LAS).all()
    assert table.loc[2, "oe"] == national.model.row("E06000005")["oe"]
    assert table.loc[4, "series"] == "children looked after excluding UASC"
    assert compute.sensitivity_table(fits, "nowhere")["oe"].isna().all()
    # with no release before the main one, the "previous" refit is skipped
    only = compute.sensitivity_fits(national.rates, national.dep, 2025, ["IoD2019", "IoD2025"],
                                    release="IoD2019", alternatives=[("all", "previous", "x")])
    assert len(only) == 4


# --- compute.py: funnels --------------------------------------------------------------------


def test_funnel_table_limits_and_positions_against_independent_values():
    frame = pd.DataFrame(
        {
            "la_code": ["small_high", "big_high", "mid_within", "big_low", "mid_low"],
            "observed": [20.0, 1_350.0, 300.0, 620.0, 260.0],
            "population_0_17": [1_500.0, 200_000.0, 50_000.0, 120_000.0, 50_000.0],
        }
    )
    t = compute.funnel_table(frame, 60.0)
    for _, row in t.iterrows():
        lo95, hi95 = independent_funnel(60.0, row["population_0_17"], 0.95)
        lo998, hi998 = independent_funnel(60.0, row["population_0_17"], 0.998)
        assert row["lower_95"] == pytest.approx(lo95, rel=1e-9)
        assert row["upper_95"] == pytest.approx(hi95, rel=1e-9)
        assert row["lower_99_8"] == pytest.approx(lo998, rel=1e-9)
        assert row["upper_99_8"] == pytest.approx(hi998, rel=1e-9)
    # independently: 1,500 children -> E = 9, 95% upper 105.38, 99.8% upper 133.76 per 10,000
    # (the exact interval of a count of 9 used before gave 113.90 and 151.1)
    assert t["upper_95"].iloc[0] == pytest.approx(105.38, abs=0.01)
    pos = t.set_index("la_code")["funnel_position"]
    assert pos["small_high"] == "above 95%"  # 133.3
    assert pos["big_high"] == "above 99.8%"  # 67.5 vs 65.45
    assert pos["mid_within"] == "within 95%"  # 60.0
    assert pos["big_low"] == "below 99.8%"  # 51.7 vs 53.17
    assert pos["mid_low"] == "below 95%"  # 52.0, between 49.49 and 53.21
    for _, row in t.iterrows():
        e = 60.0 * row["population_0_17"] / 10_000
        assert row["funnel_position"] == independent_position(row["observed"], e)
    counts = compute.position_counts(t)
    assert sum(counts.values()) == 5 and counts["above 95%"] == 1
    assert list(counts) == list(compute.POSITION_ORDER)
    assert compute.position_of(t, "big_low") == "below 99.8%"
    assert compute.position_of(t, "nowhere") == "not shown"


def test_oe_funnel_is_centred_on_one():
    m = count_model.fit_deprivation_model(synthetic_las(60, seed=3), year=2025)
    t = compute.oe_funnel_table(m)
    e = t["expected"].iloc[0]
    lo, hi = independent_count_limits(e, 0.95)
    assert t["lower_95"].iloc[0] == pytest.approx(lo / e, rel=1e-9)
    assert t["upper_95"].iloc[0] == pytest.approx(hi / e, rel=1e-9)
    assert (t["lower_95"] < 1).all() and (t["upper_95"] > 1).all()
    for _, row in t.iterrows():
        assert row["funnel_position"] == independent_position(row["observed"], row["expected"])


# --- compute.py: change and workforce --------------------------------------------------------


def test_rate_change():
    t = pd.DataFrame({"la_code": ["A", "A", "B"], "la_name": ["a", "a", "b"],
                      "year": [2020, 2025, 2025], "r": [50.0, 60.0, 70.0]})
    c = compute.rate_change(t, "r", 2020, 2025)
    assert list(c["la_code"]) == ["A"]
    assert c["change"].iloc[0] == 10.0 and c["pct_change"].iloc[0] == pytest.approx(20.0)


def test_change_against_deprivation():
    change = pd.DataFrame({"la_code": ["A", "B", ENGLAND_CODE], "change": [1.0, 2.0, 3.0]})
    out, england = compute.change_against_deprivation(change, pd.Series({"A": 12.5}))
    assert out["la_code"].tolist() == ["A"] and out["deprivation"].tolist() == [12.5]
    assert england == 3.0
    _, england = compute.change_against_deprivation(change.iloc[:2], pd.Series({"A": 1.0}))
    assert np.isnan(england)


def test_workforce_panel_uses_joint_service_rows():
    w = pd.DataFrame(
        {
            "la_code": ["E09000021 / E09000027", "E08000029", ENGLAND_CODE],
            "la_name": ["Kingston upon Thames / Richmond upon Thames", "Solihull", "England"],
            "year": 2025,
            "agency_rate_pct": [10.0, 20.0, 13.0],
            "turnover_rate_pct": [11.0, 12.0, 11.8],
            "vacancy_rate_pct": [5.0, 6.0, 14.2],
            "caseload_average": [15.0, 14.0, 15.2],
        }
    )
    p = compute.workforce_panel(w, ["E08000029", "E09000027", "E09000099"])
    assert list(p["la_code"]) == ["E08000029", "E09000027", "E09000099", ENGLAND_CODE]
    assert list(p.columns) == ["la_code", "la_name", "year", *compute.WORKFORCE_LABELS, "note"]
    rich = p.set_index("la_code").loc["E09000027"]
    assert rich["agency_rate_pct"] == 10.0 and rich["note"].startswith("joint service")
    assert p.set_index("la_code").loc["E09000099", "note"] == "not published for this year"
    assert p["year"].eq(2025).all()
    older = compute.workforce_panel(w.assign(year=2024), ["E08000029"], year=2025)
    assert older["agency_rate_pct"].isna().all()


# --- compute.py: national and local parts ----------------------------------------------------


def test_national_benchmark_on_synthetic_tables(inputs, national):
    assert (national.year, national.iod_release, national.cla_series) == (2025, "IoD2025",
                                                                          "non_uasc")
    assert national.start == 2020 and national.rate_col == "rate_cla_non_uasc"
    assert national.model.diagnostics["n_las"] == N_LAS
    slope = national.model.params.iloc[1]
    assert slope["lower"] < 0.15 < slope["upper"]  # the synthetic slope per 10 points
    eng = inputs.cla[(inputs.cla["la_code"] == ENGLAND_CODE) & (inputs.cla["year"] == 2025)]
    eng_pop = inputs.population[(inputs.population["la_code"] == ENGLAND_CODE)
                                & (inputs.population["mid_year"] == 2024)]["population"].iloc[0]
    assert national.england_rate == pytest.approx(eng["cla_non_uasc"].iloc[0] / eng_pop * 1e4)
    assert ENGLAND_CODE not in set(national.change["la_code"]) and len(national.change) == N_LAS
    assert np.isfinite(national.england_change)
    assert set(national.funnel["la_code"]) == set(national.model.data["la_code"])
    assert national.dep_now.index.name == "la_code" and ENGLAND_CODE in national.dep_now.index
    other = compute.national_benchmark(inputs, year=2023, cla_series="all", iod_release="IoD2019",
                                       change_years=3)
    assert (other.year, other.start, other.iod_release) == (2023, 2020, "IoD2019")
    assert other.model.series == "all"


def test_deprivation_rank(inputs, national):
    dep = national.dep
    rank = compute.deprivation_rank(dep, "E06000001", "IoD2025")
    shares = dep[(dep["release"] == "IoD2025") & (dep["la_code"] != ENGLAND_CODE)]
    assert rank.n_las == N_LAS
    assert rank.rank == 1 + (shares["idaci_top20_share"] > rank.share).sum()
    # England: census-weighted share of children in the 32 most deprived of 160 LSOAs
    iod = inputs.iod[inputs.iod["release"] == "IoD2025"].merge(inputs.population_lsoa,
                                                               on="lsoa_code")
    top = iod.loc[iod["idaci_rank"] <= 32, "population"].sum()
    assert rank.england_share == pytest.approx(100 * top / iod["population"].sum())
    assert compute.deprivation_rank(dep, "nowhere", "IoD2025") is None


def test_local_benchmark_reads_one_la(inputs, national):
    la = "E06000004"
    loc = compute.local_benchmark(national, la, ["E06000001", "E06000002"], inputs.workforce)
    assert loc.me["la_code"] == la and loc.me["oe"] == national.model.row(la)["oe"]
    assert loc.funnel_position == compute.position_of(national.funnel, la)
    assert loc.oe_funnel_position in compute.POSITION_ORDER
    assert loc.change_row["la_code"].tolist() == [la]
    assert list(loc.workforce["la_code"]) == [la, "E06000001", "E06000002", ENGLAND_CODE]
    assert loc.workforce_row["agency_rate_pct"] == 15.0 and loc.workforce_year == 2025
    assert len(loc.sensitivity) == 7 and loc.deprivation.n_las == N_LAS
    unknown = compute.local_benchmark(national, "E06999999", [], inputs.workforce)
    assert unknown.me is None and unknown.funnel_position == "not shown"
    assert unknown.deprivation is None and unknown.change_row.empty
    assert unknown.workforce["la_name"].tolist()[0] == "E06999999"  # name falls back to code
