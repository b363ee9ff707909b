"""Tests for the Indices of Deprivation tables (``solihull_analytics.sources.iod``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from solihull_analytics.build import BuildError, read_table
from solihull_analytics.sources.iod import extract_fields, read_table_file

SOLIHULL = "E08000029"
IDACI_RANK = "Income Deprivation Affecting Children Index (IDACI) Rank (where 1 is most deprived)"
IDACI_DECILE = (
    "Income Deprivation Affecting Children Index (IDACI) Decile (where 1 is most deprived 10% of "
    "LSOAs)"
)
IDAOPI_RANK = "Income Deprivation Affecting Older People (IDAOPI) Rank (where 1 is most deprived)"


def _file3_like(idaci_rank_header: str = IDACI_RANK) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "LSOA code (2011)": ["E01000001", "E01000002", "W01000001"],
            "LSOA name (2011)": ["City of London 001A", "City of London 001B", "Wales"],
            "Local Authority District code (2019)": ["E09000001", "E09000001", "W06000001"],
            "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)": [
                29199,
                30379,
                1,
            ],
            idaci_rank_header: [32806, 29682, 1],
            IDACI_DECILE: [10, 10, 1],
            IDAOPI_RANK: [32820, 31938, 1],
        }
    )


def test_extract_fields_official_headers() -> None:
    out = extract_fields(_file3_like(), "File3.xlsx", ["idaci_rank", "idaci_decile"], ["imd_rank"])
    assert out["lsoa_code"].tolist() == ["E01000001", "E01000002"], "English LSOAs only"
    assert out["idaci_rank"].tolist() == [32806, 29682], "IDACI, not IDAOPI"
    assert str(out["idaci_rank"].dtype) == "Int64"
    assert out["imd_rank"].tolist() == [29199, 30379]


def test_extract_fields_id2010_csv_headers(tmp_path: Path) -> None:
    path = tmp_path / "1871702.csv"
    path.write_text(
        "\ufeffLSOA CODE,LA CODE,IMD SCORE,RANK OF IMD SCORE (where 1 is most deprived),"
        "IDACI score,Rank of IDACI (where 1 is most deprived),IDAOPI score\n"
        "E01000001,00AA,6.16,28814,0.04,32000,0.05\n",
        encoding="utf-8",
    )
    out = extract_fields(read_table_file(path), path, ["idaci_rank"], ["idaci_score", "lad_code"])
    assert out.loc[0, "idaci_rank"] == 32000
    assert out.loc[0, "idaci_score"] == pytest.approx(0.04)
    assert out.loc[0, "lad_code"] == "00AA"


def test_denominator_year_from_header() -> None:
    df = pd.DataFrame(
        {
            "LSOA code (2021)": ["E01010108", "E01010109"],
            "Dependent Children aged 0-15: mid 2022": [300, None],
        }
    )
    out = extract_fields(df, "File6.csv", ["children_0_15"])
    assert out["children_0_15"].tolist()[0] == 300 and pd.isna(out["children_0_15"].iloc[1])
    assert out["denominator_year"].iloc[0] == 2022 and pd.isna(out["denominator_year"].iloc[1])


def test_renamed_idaci_column_raises_naming_file_and_column(tmp_path: Path) -> None:
    path = tmp_path / "File_3_renamed.xlsx"
    df = _file3_like("Children income deprivation position")
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        pd.DataFrame({"Notes": ["about this file"]}).to_excel(
            writer, sheet_name="Notes", index=False
        )
        df.to_excel(writer, sheet_name="IoD IDACI", index=False)
    read = read_table_file(path)
    assert len(read) == 3, "the data sheet (with LSOA codes) is chosen, not Notes"
    with pytest.raises(BuildError) as err:
        extract_fields(read, path, ["idaci_rank", "idaci_decile"])
    message = str(err.value)
    assert "File_3_renamed.xlsx" in message
    assert "IDACI rank" in message and "'idaci'" in message and "'rank'" in message


def test_missing_idaci_column_in_csv_raises(tmp_path: Path) -> None:
    path = tmp_path / "File_7.csv"
    path.write_text("LSOA code (2011),IMD Rank\nE01000001,5\n", encoding="utf-8")
    with pytest.raises(BuildError, match=r"File_7\.csv: no IDACI score column"):
        extract_fields(read_table_file(path), path, ["idaci_score"])


def test_ambiguous_column_raises() -> None:
    df = pd.DataFrame({"LSOA code": ["E01000001"], "IDACI rank A": [1], "IDACI rank B": [2]})
    with pytest.raises(BuildError, match="ambiguous"):
        extract_fields(df, "x.csv", ["idaci_rank"])


# ---- golden tests on the tables built from the mirror ------------------------------------


@pytest.fixture(scope="module")
def iod(processed: Path) -> pd.DataFrame:
    return read_table("iod_lsoa", processed)


def _solihull_counts(iod: pd.DataFrame, release: str) -> list[int]:
    sol = iod[(iod["release"] == release) & (iod["la_code"] == SOLIHULL)]
    n = int(sol["lsoas_in_england"].iloc[0])
    return [int((sol["idaci_rank"] <= p / 100 * n).sum()) for p in (20, 10, 5, 2)]


@pytest.mark.mirror
def test_lsoa_counts(iod: pd.DataFrame) -> None:
    sizes = iod.groupby("release")["lsoa_code"].nunique()
    assert sizes["IoD2019"] == 32_844 and sizes["IoD2025"] == 33_755, "exact"
    assert sizes["ID2007"] == sizes["ID2010"] == 32_482, "exact"
    sol = iod[iod["la_code"] == SOLIHULL].groupby("release")["lsoa_code"].nunique()
    assert sol["IoD2015"] == sol["IoD2019"] == 134, "2011 LSOAs (exact)"
    assert sol["IoD2025"] == 134, "2021 LSOAs (exact)"
    assert sol["ID2007"] == sol["ID2010"] == 133, "2001 LSOAs (exact)"


@pytest.mark.mirror
def test_idaci_golden_counts(iod: pd.DataFrame) -> None:
    assert _solihull_counts(iod, "IoD2019") == [23, 20, 9, 2], "20/10/5/2% (exact)"
    assert _solihull_counts(iod, "IoD2025") == [20, 9, 2, 0], "20/10/5/2% (exact)"
    sol15 = iod[(iod["release"] == "IoD2015") & (iod["la_code"] == SOLIHULL)]
    assert int((sol15["idaci_decile"] <= 2).sum()) == 22, "deciles 1-2 (exact)"
    assert int((sol15["idaci_decile"] == 1).sum()) == 16, "decile 1 (exact)"


@pytest.mark.mirror
def test_old_releases_have_no_idaci_in_mirror(iod: pd.DataFrame) -> None:
    old = iod[iod["release"].isin(["ID2007", "ID2010"])]
    assert old["idaci_rank"].isna().all(), "no IDACI for ID2007/ID2010 in the mirror"
    assert old["imd_rank"].notna().all()


@pytest.mark.mirror
def test_denominators_golden(iod: pd.DataFrame) -> None:
    i19 = iod[iod["release"] == "IoD2019"]
    assert int(i19.loc[i19["la_code"] == SOLIHULL, "children_0_15"].sum()) == 40_214, "exact"
    assert int(i19["children_0_15"].sum()) == 10_405_050, "England 0-15 mid-2015 (exact)"
    assert (i19["denominator_year"] == 2015).all()
    i25 = iod[iod["release"] == "IoD2025"]
    sol25 = i25[i25["la_code"] == SOLIHULL]
    assert int(sol25["children_0_15"].sum()) == 42_454, "Solihull 0-15 mid-2022 (exact)"
    assert (sol25["denominator_year"] == 2022).all()
    assert i25.loc[i25["la_code"] != SOLIHULL, "children_0_15"].isna().all(), "extract only"


@pytest.mark.mirror
def test_iod_releases_golden(processed: Path) -> None:
    rel = read_table("iod_releases", processed).set_index("release")
    assert list(rel.index) == ["ID2007", "ID2010", "IoD2015", "IoD2019", "IoD2025"]
    assert rel.loc["IoD2019", "idaci_ranks_available"]
    assert rel.loc["IoD2025", "idaci_ranks_available"]
    assert not rel.loc["IoD2015", "idaci_ranks_available"]
    assert rel.loc["IoD2015", "idaci_deciles_available"]
    assert not rel.loc["ID2010", "idaci_deciles_available"]
    assert "iod2015_file3" in rel.loc["IoD2015", "missing_note"]
    assert rel.loc["IoD2025", "lsoas_in_england"] == 33_755
