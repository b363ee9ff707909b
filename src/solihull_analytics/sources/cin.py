"""Children in need, child protection, social work workforce and LAIT indicators (DfE).

Tables
------
``cin_la_year``
    CIN, referrals and child protection plan measures by LA/region/England and year, long,
    from the EES "Characteristics of children in need" releases (2025 preferred; 2022 for the
    rates per 10,000 it publishes and for measures the 2025 tables lack).
``workforce_la_year``
    Children's social work workforce indicators at 30 September, one row per area and year.
``lait_indicators``
    A tidy subset of DfE's Local Authority Interactive Tool (CLA, CIN, CPP rates and UASC).

``la_code`` is always DfE's current code: rows of authorities whose code changed 1:1 (North
Yorkshire, Somerset, Buckinghamshire) carry the current code in every year.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from solihull_analytics import releases
from solihull_analytics.build import BuildError, Inputs, table
from solihull_analytics.constants import ENGLAND_CODE
from solihull_analytics.sources._common import (
    current_la_code,
    dfe_current_la_codes,
    ees_area_columns,
    require_columns,
    to_number,
)

AREA_CODE = r"^E(0[6-9]|10|12|13|92)[0-9]{6}$"
#: The workforce release reports some shared services as one row with joined codes, e.g.
#: ``E09000021 / E09000027`` (Kingston and Richmond); those rows keep the joined code.
JOINT_AREA_CODE = r"^E(0[6-9]|10|12|13|92)[0-9]{6}( / E(0[6-9]|10)[0-9]{6})*$"
LEVELS = ["local_authority", "region", "country"]

#: Measures read from each EES file: source column -> (measure, rate-per-10k column or None).
#: Keys are file layouts (``layout`` of a CIN file in the release registry, data/releases.yaml).
CIN_MEASURES: dict[str, dict[str, tuple[str, str | None]]] = {
    "cin_ees_b1_2025": {
        "At31_episodes": ("cin_31_march", None),
        "Anypoint_episodes": ("cin_episodes_in_year", None),
        "Anypoint_child": ("cin_children_in_year", None),
        "Started_episodes": ("cin_episodes_started", None),
        "Started_child": ("cin_children_started", None),
        "Ended_episodes": ("cin_episodes_ended", None),
        "Ended_child": ("cin_children_ended", None),
        "awaiting_assessment": ("cin_awaiting_assessment", None),
    },
    "cin_ees_b1_2022": {
        "At31_episodes": ("cin_31_march", "At31_episodes_rate"),
        "Anypoint_episodes": ("cin_episodes_in_year", "Anypoint_episodes_rate"),
        "Anypoint_child": ("cin_children_in_year", "Anypoint_child_rate"),
        "Started_episodes": ("cin_episodes_started", "Started_episodes_rate"),
        "Started_child": ("cin_children_started", "Started_child_rate"),
        "Ended_episodes": ("cin_episodes_ended", "Ended_episodes_rate"),
        "Ended_child": ("cin_children_ended", "Ended_child_rate"),
        "Awaiting_assessment": ("cin_awaiting_assessment", "Awaiting_assessment_rate"),
    },
    "cin_ees_c1_2025": {
        "referral_count": ("referrals", None),
        "rereferral_count": ("re_referrals", None),
        "rereferral_percent": ("re_referral_pct", None),
        "no_further_action_count": ("referrals_nfa", None),
        "no_further_action_percent": ("referrals_nfa_pct", None),
        "not_in_need_count": ("referrals_not_in_need", None),
        "not_in_need_percent": ("referrals_not_in_need_pct", None),
        "referral_child_count": ("referrals_children", None),
        "rereferral_child_count": ("re_referrals_children", None),
        "rereferral_child_percent": ("re_referral_children_pct", None),
    },
    "cin_ees_c1_2022": {
        "Referrals": ("referrals", "Referrals_rate"),
        "Re_referrals": ("re_referrals", None),
        "Re_referrals_percent": ("re_referral_pct", None),
        "No_Further_Action": ("referrals_nfa", None),
        "No_Further_Action_percent": ("referrals_nfa_pct", None),
        "Not_in_Need": ("referrals_not_in_need", None),
        "Not_in_Need_percent": ("referrals_not_in_need_pct", None),
        "Referrals_child": ("referrals_children", "Referrals_child_rate"),
        "Re_referrals_child": ("re_referrals_children", None),
        "Re_referrals_child_percent": ("re_referral_children_pct", None),
    },
    "cin_ees_d5_2025": {
        "CPP_At31": ("cpp_31_march", None),
    },
    "cin_ees_d1_2022": {
        "CPP_At31": ("cpp_31_march", "CPP_At31_rate"),
        "CPP_start": ("cpp_started", "CPP_start_rate"),
        "CPP_child_start": ("cpp_children_started", "CPP_child_start_rate"),
        "CPP_end": ("cpp_ended", "CPP_end_rate"),
        "CPP_child_end": ("cpp_children_ended", "CPP_child_end_rate"),
        "CPP_anypoint": ("cpp_in_year", "CPP_anypoint_rate"),
        "CPP_child_anypoint": ("cpp_children_in_year", "CPP_child_anypoint_rate"),
    },
}


def cin_files() -> list[tuple[releases.Release, releases.ReleaseFile]]:
    """CIN releases' files in a layout of :data:`CIN_MEASURES`, latest release first."""
    return [
        (rel, f)
        for rel in reversed(releases.releases("cin"))
        for f in rel.files
        if f.layout in CIN_MEASURES
    ]


def cin_inputs() -> list[str]:
    """Catalogue ids of the files ``cin_la_year`` reads (release registry)."""
    return [f.id for _, f in cin_files()]


def workforce_inputs() -> list[str]:
    """Catalogue ids of the workforce files (release registry, layout ``workforce_ees``)."""
    return releases.file_ids("workforce", layouts=("workforce_ees",))


def read_ees_csv(path: Path) -> pd.DataFrame:
    """Read an Explore Education Statistics CSV as strings (BOM tolerated)."""
    return pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)


def _year(values: pd.Series, path: Path | str) -> pd.Series:
    year = pd.to_numeric(values.str.strip().str[:4], errors="coerce")
    if year.isna().any():
        raise BuildError(f"{path}: column 'time_period' has values that are not years.")
    return year.astype("int64")


def ees_long(
    df: pd.DataFrame,
    measures: dict[str, tuple[str, str | None]],
    code_map: dict[str, str],
    source_path: Path | str,
) -> pd.DataFrame:
    """Turn an EES wide table into ``la_code, la_name, geographic_level, year, measure, value,
    rate_per_10k``.

    Parameters
    ----------
    df : pandas.DataFrame
        EES CSV read as strings.
    measures : dict
        Source column to (measure name, rate column or None).
    code_map : dict of str to str
        ``old_la_code`` to current ``new_la_code`` (see
        :func:`~solihull_analytics.sources._common.dfe_current_la_codes`).
    source_path : Path or str
        For error messages.

    Returns
    -------
    pandas.DataFrame
        Long frame; suppressed cells (``c``, ``x``, ``z``, ``u``, ``low`` ...) are ``<NA>``.
    """
    rates = [r for _, r in measures.values() if r]
    require_columns(df, [*measures, *rates], source_path)
    df = ees_area_columns(df, source_path)
    is_la = df["level"] == "local_authority"
    mapped = df.loc[is_la, "old_la_code"].str.strip().map(code_map)
    df.loc[is_la, "area_code"] = mapped.fillna(df.loc[is_la, "area_code"])
    base = pd.DataFrame(
        {
            "la_code": df["area_code"],
            "la_name": df["area_name"],
            "geographic_level": df["level"],
            "year": _year(df["time_period"], source_path),
        }
    )
    parts = []
    for col, (measure, rate_col) in measures.items():
        part = base.copy()
        part["measure"] = measure
        part["value"] = to_number(df[col])
        no_rate = pd.Series(pd.NA, index=df.index, dtype="Float64")
        part["rate_per_10k"] = to_number(df[rate_col]) if rate_col else no_rate
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


CIN_LA_YEAR_SCHEMA = pa.DataFrameSchema(
    {
        "la_code": pa.Column(str, pa.Check.str_matches(AREA_CODE)),
        "la_name": pa.Column(str),
        "geographic_level": pa.Column(str, pa.Check.isin(LEVELS)),
        "year": pa.Column("int64", pa.Check.in_range(2009, 2040)),
        "measure": pa.Column(str),
        "value": pa.Column("Float64", pa.Check.ge(0), nullable=True),
        "rate_per_10k": pa.Column("Float64", pa.Check.ge(0), nullable=True),
        "source_id": pa.Column(str),
        "rate_source_id": pa.Column(str, nullable=True),
    },
    strict=True,
    unique=["la_code", "year", "measure"],
)


@table(
    "cin_la_year",
    inputs=cin_inputs,
    schema=CIN_LA_YEAR_SCHEMA,
    release_kinds=("cin",),
    description="Children in need, referrals and child protection plans by LA and year (DfE EES).",
)
def build_cin_la_year(inputs: Inputs) -> pd.DataFrame:
    """CIN, referral and CPP measures by LA, region and England, reporting years to 31 March.

    The releases and their files are those of the release registry (kind ``cin``), each file
    read by its layout (:data:`CIN_MEASURES`). A value comes from the latest release that has the
    measure and year (``source_id`` says which). ``rate_per_10k`` is the rate published for that
    year by the latest release that published one (``rate_source_id``; today the 2022 release,
    2013-2022), on the population estimates of that release; where a later release revised the
    count the rate may not equal value / population. Measures ending ``_pct`` are percentages
    (0-100) as published.
    """
    files = cin_files()
    frames = {f.id: read_ees_csv(inputs.path(f.id)) for _, f in files}
    code_map = dfe_current_la_codes([frames[f.id] for _, f in files])
    key = ["la_code", "year", "measure"]
    by_release: dict[str, list[pd.DataFrame]] = {}
    for rel, f in files:
        long = ees_long(frames[f.id], CIN_MEASURES[f.layout], code_map, inputs.path(f.id))
        long["source_id"] = f.id
        by_release.setdefault(rel.label, []).append(long)
    # Releases latest first: a value comes from the latest release that has it.
    for label, parts in by_release.items():
        frame = pd.concat(parts, ignore_index=True)
        dup = frame.duplicated(key)
        if dup.any():
            raise BuildError(
                f"cin_la_year: the {label} CIN files hold {int(dup.sum())} repeated "
                f"area/year/measure rows (e.g. {frame.loc[dup, key].iloc[0].tolist()}); "
                "check the files for duplicated LA codes."
            )
    everything = pd.concat([p for parts in by_release.values() for p in parts], ignore_index=True)
    values = everything.drop_duplicates(key, keep="first")
    # Rates as published, from the latest release that published one for the row.
    rates = everything.loc[everything["rate_per_10k"].notna(),
                           [*key, "rate_per_10k", "source_id"]]
    rates = rates.drop_duplicates(key).rename(columns={"source_id": "rate_source_id"})
    values = values.drop(columns="rate_per_10k")
    out = values.merge(rates, on=key, how="left")
    out["rate_per_10k"] = out["rate_per_10k"].astype("Float64")
    out["rate_source_id"] = out["rate_source_id"].astype("string")
    cols = ["la_code", "la_name", "geographic_level", "year", "measure", "value", "rate_per_10k",
            "source_id", "rate_source_id"]
    return out[cols].sort_values(key).reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# workforce_la_year
# --------------------------------------------------------------------------------------------

#: EES workforce column -> output column. ``_fte`` measures are full-time equivalents.
WORKFORCE_COLUMNS = {
    "inpost_fte": "fte_social_workers",
    "inpost_headcount": "headcount_social_workers",
    "starters_fte": "starters_fte",
    "leavers_fte": "leavers_fte",
    "turnover_rate_fte": "turnover_rate_pct",
    "agency_fte": "agency_fte",
    "agency_rate_fte": "agency_rate_pct",
    "agency_cover_rate_fte": "agency_cover_of_vacancies_pct",
    "vacancy_fte": "vacancies_fte",
    "vacancy_rate_fte": "vacancy_rate_pct",
    "case_holders_fte": "case_holders_fte",
    "cases": "cases",
    "caseload_fte": "caseload_average",
    "absence_rate_fte": "absence_rate_pct",
}

WORKFORCE_SCHEMA = pa.DataFrameSchema(
    {
        "la_code": pa.Column(str, pa.Check.str_matches(JOINT_AREA_CODE)),
        "la_name": pa.Column(str),
        "geographic_level": pa.Column(str, pa.Check.isin(LEVELS)),
        "year": pa.Column("int64", pa.Check.in_range(2017, 2040)),
        **{
            c: pa.Column("Float64", pa.Check.ge(0), nullable=True)
            for c in WORKFORCE_COLUMNS.values()
        },
        "source_id": pa.Column(str),
    },
    strict=True,
    unique=["la_code", "year"],
)


def _workforce_frame(path: Path, source_id: str) -> pd.DataFrame:
    raw = read_ees_csv(path)
    require_columns(raw, list(WORKFORCE_COLUMNS), path)
    code_map = dfe_current_la_codes([raw])
    df = ees_area_columns(raw, path)
    is_la = df["level"] == "local_authority"
    mapped = df.loc[is_la, "old_la_code"].str.strip().map(code_map)
    df.loc[is_la, "area_code"] = current_la_code(mapped.fillna(df.loc[is_la, "area_code"]))
    out = pd.DataFrame(
        {
            "la_code": df["area_code"],
            "la_name": df["area_name"],
            "geographic_level": df["level"],
            "year": _year(df["time_period"], path),
        }
    )
    for src, dst in WORKFORCE_COLUMNS.items():
        out[dst] = to_number(df[src])
    out["source_id"] = source_id
    return out


@table(
    "workforce_la_year",
    inputs=workforce_inputs,
    schema=WORKFORCE_SCHEMA,
    release_kinds=("workforce",),
    description="Children's social work workforce indicators at 30 September by LA (DfE EES).",
)
def build_workforce_la_year(inputs: Inputs) -> pd.DataFrame:
    """Children's social work workforce at 30 September of ``year``, one row per area and year.

    Rates are percentages (0-100) on FTE as published: turnover = leavers / average in post,
    agency rate = agency FTE / (agency + employed FTE), vacancy rate = vacancies / (vacancies +
    employed FTE); ``caseload_average`` is cases per case-holding FTE. LAs that run a joint
    service are reported by DfE as one row with joined codes and names (e.g.
    ``E09000021 / E09000027``, Kingston upon Thames / Richmond upon Thames; North and West
    Northamptonshire); those rows are kept as published.
    """
    ids = workforce_inputs()
    if not ids:
        raise BuildError("the release registry lists no workforce file in layout workforce_ees.")
    # Latest release first; an area and year keeps the latest release's row.
    frames = [_workforce_frame(inputs.path(i), i) for i in reversed(ids)]
    out = pd.concat(frames, ignore_index=True).drop_duplicates(["la_code", "year"])
    return out.sort_values(["la_code", "year"]).reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# lait_indicators
# --------------------------------------------------------------------------------------------

#: LAIT ``Short Desc`` codes kept: CLA, CIN and CPP rates/numbers and UASC.
LAIT_INDICATORS = (
    "LAC",  # children looked after rate per 10,000 at 31 March
    "LACnum",  # number of children looked after at 31 March
    "CIN",  # children in need rate per 10,000 at 31 March
    "CPP_rate",  # child protection plans rate per 10,000 at 31 March
    "CPP_Num",  # number of children with a CPP at 31 March
    "Unacc_Asylmn_Seek_Childn",  # number of UASC looked after at 31 March
    "Unacc_Asylmn_Seek_Childn%",  # % of CLA who are UASC
    "UASC_%_Starting",  # % of children starting to be looked after who are UASC
)
#: LAIT names of areas that are not LAs, with their GSS codes and level.
LAIT_AREAS = {
    "england": (ENGLAND_CODE, "country"),
    "london (inner)": ("E13000001", "region"),
    "london (outer)": ("E13000002", "region"),
}

LAIT_SCHEMA = pa.DataFrameSchema(
    {
        "la_code": pa.Column(str, pa.Check.str_matches(AREA_CODE)),
        "la_name": pa.Column(str),
        "geographic_level": pa.Column(str, pa.Check.isin(LEVELS)),
        "period": pa.Column(str),
        "year": pa.Column("Int64", nullable=True),
        "indicator": pa.Column(str, pa.Check.isin(list(LAIT_INDICATORS))),
        "indicator_name": pa.Column(str, nullable=True),
        "value": pa.Column("Float64", nullable=True),
        "source_id": pa.Column(str),
    },
    strict=True,
    unique=["la_code", "period", "indicator"],
)


def lait_year(period: pd.Series) -> pd.Series:
    """Parse LAIT ``Years`` labels to an int year where one year is meant.

    ``2021`` and ``2021 (Rev)`` give 2021; a financial/academic year ``2020-21`` or ``2020/21``
    gives its end year 2021; multi-year ranges (``2014-16``) and anything else give ``<NA>``.
    """
    text = period.astype("string").str.strip()
    single = text.str.extract(r"^(\d{4})(?:\s*\(.*\))?$")[0]
    span = text.str.extract(r"^(\d{4})[-/](\d{2})(?:\s*\(.*\))?$")
    start = pd.to_numeric(span[0], errors="coerce")
    end = pd.to_numeric(span[1], errors="coerce")
    one_year = (end == (start + 1) % 100)
    fin = (start + 1).where(one_year)
    return pd.to_numeric(single, errors="coerce").fillna(fin).astype("Int64")


#: Role of the CIN file whose areas give LAIT's LA numbers their current GSS codes.
LAIT_AREA_CODES_ROLE = "cin_episodes"


def lait_area_codes_file() -> str:
    """Catalogue id of the file that names LAIT's areas: the latest CIN release's
    :data:`LAIT_AREA_CODES_ROLE` file (release registry), so a new CIN release brings new codes.
    """
    for rel in reversed(releases.releases("cin")):
        files = rel.files_with(role=LAIT_AREA_CODES_ROLE)
        if files:
            return files[0].id
    raise BuildError(
        f"the release registry lists no CIN release with a {LAIT_AREA_CODES_ROLE!r} file, which "
        "lait_indicators needs for LA codes; add one to data/releases.yaml (kind cin)."
    )


def lait_inputs() -> list[str]:
    """Catalogue ids ``lait_indicators`` reads: LAIT, its dictionary, and the CIN area file."""
    return ["lait_indicators", "lait_data_dictionary", lait_area_codes_file()]


@table(
    "lait_indicators",
    inputs=lait_inputs,
    release_kinds=("cin",),
    schema=LAIT_SCHEMA,
    description="DfE LAIT indicators on CLA, CIN and CPP rates and UASC by LA and year.",
)
def build_lait_indicators(inputs: Inputs) -> pd.DataFrame:
    """A tidy subset of DfE's LAIT data: CLA, CIN, CPP rates and numbers, and UASC.

    LAIT names areas and gives DfE's 3-digit LA number but no GSS code; codes come from the
    latest CIN release's children-in-need file (``old_la_code`` to current ``new_la_code``, see
    :func:`lait_area_codes_file`) and region names. LAIT rates use
    the latest population estimates, so earlier years may differ from first publication.
    ``value`` is ``<NA>`` for suppressed cells (``x``, ``c``, ``-``).
    """
    path = inputs.path("lait_indicators")
    raw = pd.read_parquet(path)
    require_columns(raw, ["Short Desc", "Years", "LA and Regions", "Values", "LA Number"], path)
    raw = raw[raw["Short Desc"].isin(LAIT_INDICATORS)]
    missing = sorted(set(LAIT_INDICATORS) - set(raw["Short Desc"].unique()))
    if missing:
        raise BuildError(
            f"{path}: indicator(s) {missing} not found in column 'Short Desc'; LAIT may have "
            "renamed them — check the data dictionary and update LAIT_INDICATORS."
        )
    cin_path = inputs.path(lait_area_codes_file())
    cin = read_ees_csv(cin_path)
    require_columns(cin, ["region_code", "region_name"], cin_path)
    code_map = dfe_current_la_codes([cin])
    regions = cin[cin["geographic_level"] == "Regional"][["region_code", "region_name"]]
    region_codes = {n.strip().lower(): c for c, n in regions.drop_duplicates().itertuples(False)}

    number = raw["LA Number"].astype("Int64").astype("string")
    name = raw["LA and Regions"].astype(str).str.strip()
    la_code = number.map(code_map)
    level = pd.Series("local_authority", index=raw.index)
    for area, (code, lvl) in LAIT_AREAS.items():
        hit = name.str.lower() == area
        la_code = la_code.mask(hit, code)
        level = level.mask(hit, lvl)
    region_hit = la_code.isna() & name.str.lower().isin(region_codes)
    la_code = la_code.mask(region_hit, name.str.lower().map(region_codes))
    level = level.mask(region_hit, "region")
    if la_code.isna().any():
        unknown = sorted(name[la_code.isna()].unique())[:5]
        raise BuildError(
            f"{path}: areas {unknown} have no GSS code (LA number not in {cin_path.name} and not "
            "a region); update LAIT_AREAS or the CIN release."
        )
    dict_path = inputs.path("lait_data_dictionary")
    dictionary = pd.read_csv(dict_path, dtype=str, encoding="utf-8-sig")
    require_columns(dictionary, ["Measure_short", "Measure"], dict_path)
    names = dictionary.dropna(subset=["Measure_short"]).drop_duplicates("Measure_short")
    names = dict(zip(names["Measure_short"], names["Measure"].str.strip(), strict=True))
    out = pd.DataFrame(
        {
            "la_code": la_code.astype(str),
            "la_name": name,
            "geographic_level": level,
            "period": raw["Years"].astype(str).str.strip(),
            "year": lait_year(raw["Years"]),
            "indicator": raw["Short Desc"].astype(str),
            "indicator_name": raw["Short Desc"].map(names).astype("string"),
            "value": to_number(raw["Values"]),
            "source_id": "lait_indicators",
        }
    )
    return out.sort_values(["indicator", "la_code", "period"]).reset_index(drop=True)


__all__ = [
    "CIN_MEASURES",
    "LAIT_INDICATORS",
    "WORKFORCE_COLUMNS",
    "ees_long",
    "lait_year",
    "read_ees_csv",
]
