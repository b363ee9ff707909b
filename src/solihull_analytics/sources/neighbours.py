"""DfE's children's services statistical neighbours, by model (April 2021 and 2025).

DfE publishes, for each children's-services LA, its ten closest LAs in order, each with a
closeness band ("Extremely close" ... "Not close"). The files key LAs by DfE's old 3-digit LA
number; ``statistical_neighbours`` maps them to the current codes the other tables use, through
the ``old_la_code``/``new_la_code`` pairs of DfE's children-looked-after releases (the latest
release first, then :func:`~solihull_analytics.sources._common.current_la_code` for 1:1 code
changes such as North Yorkshire and Somerset in 2023).

``la_code_at_model`` is the LA's code in DfE's release of the model's year. Where it differs
from ``la_code`` the authority was reorganised after the model was built (North Yorkshire and
Somerset became unitary in 2023), and the pages use the newer model's list for it. The April
2021 file ends with an "Old SNs" block (pre-2019 Dorset, Poole and Bournemouth,
Northamptonshire before its 2021 split): those lists describe authorities that no longer existed
when the model was published and are not read.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from solihull_analytics import releases
from solihull_analytics.build import BuildError, Inputs, table
from solihull_analytics.sources._common import current_la_code, dfe_current_la_codes

#: Layout of DfE's CSV lists (``layout`` of a neighbours file in the release registry).
LIST_LAYOUTS = ("dfe_sn_csv", "dfe_sn_csv_wide")
#: Layout of the CLA releases whose old/new LA code pairs map DfE's numbers to codes.
CODES_LAYOUT = "cla_ees_number_rate"


def _cla_code_files() -> dict[int, str]:
    """CLA release year -> catalogue id of its EES number-and-rate file (the code pairs)."""
    return {
        rel.year: f.id
        for rel in releases.releases("cla")
        for f in rel.files_with(layout=CODES_LAYOUT)
    }


def models() -> dict[str, tuple[str, str]]:
    """Model (its year, e.g. ``"2025"``) -> (DfE's list, the CLA release of the model's year).

    Both are catalogue ids, read from the release registry (kind ``neighbours``); the CLA
    release is the latest one no later than the model (its codes are the ones the model used).
    """
    code_files = _cla_code_files()
    out = {}
    for rel in releases.releases("neighbours"):
        lists = [f for f in rel.files_with(role="neighbour_groups") if f.layout in LIST_LAYOUTS]
        years = [y for y in code_files if y <= rel.year]
        if lists and years:
            out[str(rel.year)] = (lists[0].id, code_files[max(years)])
    return out


def model_labels() -> dict[str, str]:
    """Model -> what a page calls it (the registry's ``title`` of the release)."""
    return {str(r.year): str(r.fact("title", r.label)) for r in releases.releases("neighbours")}


def _latest_code_file() -> str:
    code_files = _cla_code_files()
    return code_files[max(code_files)]


def _inputs() -> list[str]:
    found = models()
    return [ids[0] for ids in found.values()] + sorted(
        {ids[1] for ids in found.values()} | {_latest_code_file()}
    )


CLOSENESS = ("Extremely close", "Very close", "Close", "Somewhat close", "Not close")

OUTPUT_COLUMNS = [
    "model",
    "la_code",
    "la_name",
    "old_la_code",
    "la_code_at_model",
    "rank",
    "neighbour_code",
    "neighbour_name",
    "neighbour_old_la_code",
    "closeness",
    "source_id",
]


def parse_neighbour_csv(path: Path | str, text: str | None = None) -> pd.DataFrame:
    """Read a DfE statistical neighbour CSV in long form.

    The first two columns are the LA number and name; each ``SN<k>`` (or ``SN_<k>``) column
    holds the k-th neighbour's number and the column after it that neighbour's closeness band.
    Reading stops at the first row without an LA number (the April 2021 file's blank rows and
    "Old SNs" block follow the current lists); an LA whose neighbour cells are all empty or "-"
    has no list and is left out.

    Parameters
    ----------
    path : Path or str
        The CSV (read unless ``text`` is given; named in errors).
    text : str, optional
        The file's content.

    Returns
    -------
    pandas.DataFrame
        ``old_la_code``, ``la_name``, ``rank``, ``neighbour_old_la_code``, ``closeness``.
    """
    if text is None:
        text = Path(path).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(text.lstrip("\ufeff").splitlines()))
    if not rows:
        raise BuildError(f"{path}: the file is empty.")
    header = [h.strip() for h in rows[0]]
    rank_columns = {
        i: int(m.group(1)) for i, h in enumerate(header) if (m := re.fullmatch(r"SN_?(\d+)", h))
    }
    if sorted(rank_columns.values()) != list(range(1, 11)):
        raise BuildError(
            f"{path}: expected columns SN1 ... SN10 (or SN_1 ... SN_10), found "
            f"{header[:12]}. DfE changed the layout: update parse_neighbour_csv."
        )
    records = []
    for line, row in enumerate(rows[1:], start=2):
        if not row or not row[0].strip():
            break
        number = row[0].strip()
        if not re.fullmatch(r"\d{3}", number):
            raise BuildError(f"{path}, line {line}: LA number {number!r} is not 3 digits.")
        cells = {row[i].strip() if i < len(row) else "" for i in rank_columns}
        if cells <= {"", "-"}:
            continue  # listed without neighbours (e.g. an LA created after the model)
        for i, rank in rank_columns.items():
            neighbour = row[i].strip() if i < len(row) else ""
            band = row[i + 1].strip() if i + 1 < len(row) else ""
            if not re.fullmatch(r"\d{3}", neighbour):
                raise BuildError(
                    f"{path}, line {line}: neighbour {rank} of LA {number} is {neighbour!r}, "
                    "not a 3-digit LA number. Check the file against its catalogue entry."
                )
            records.append((number, row[1].strip(), rank, neighbour, normalise_band(band)))
    out = pd.DataFrame(
        records,
        columns=["old_la_code", "la_name", "rank", "neighbour_old_la_code", "closeness"],
    )
    unknown = set(out["closeness"]) - set(CLOSENESS)
    if unknown:
        raise BuildError(
            f"{path}: unknown closeness band(s) {sorted(unknown)}; expected {CLOSENESS}."
        )
    listed = set(out["old_la_code"])
    orphans = sorted(set(out["neighbour_old_la_code"]) - listed)
    if orphans:
        raise BuildError(f"{path}: neighbour number(s) {orphans[:8]} have no row of their own.")
    return out


def read_neighbour_workbook(path: Path | str) -> pd.DataFrame:
    """Read DfE's workbook copy of a model (sheet "LA SN Groups") like :func:`parse_neighbour_csv`.

    The sheet has two rows of column letters and numbers above the same header as the CSV.
    """
    import io

    raw = pd.read_excel(path, sheet_name="LA SN Groups", header=None, dtype=str,
                        engine="calamine")
    starts = raw.index[raw.iloc[:, 0].astype(str).str.strip().eq("LA num")]
    if not len(starts):
        raise BuildError(f"{path}: no header row starting 'LA num' in sheet 'LA SN Groups'.")
    body = raw.loc[starts[0]:].fillna("")
    body = body.map(lambda v: v[:-2] if isinstance(v, str) and v.endswith(".0") else v)
    text = io.StringIO()
    body.to_csv(text, header=False, index=False)
    return parse_neighbour_csv(path, text.getvalue())


def normalise_band(band: str) -> str:
    """``"Very Close"``, ``"Close "`` -> ``"Very close"``, ``"Close"`` (DfE's files vary)."""
    text = " ".join(band.split()).lower()
    return text[:1].upper() + text[1:]


def _read_release(path: Path) -> pd.DataFrame:
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig",
                     usecols=["time_period", "geographic_level", "old_la_code", "new_la_code"])
    return df[df["geographic_level"] == "Local authority"].drop_duplicates()


def map_to_codes(
    lists: pd.DataFrame,
    current: dict[str, str],
    at_model: dict[str, str],
    source: Path | str,
) -> pd.DataFrame:
    """Add current codes (``la_code``, ``neighbour_code``) and ``la_code_at_model``.

    Parameters
    ----------
    lists : pandas.DataFrame
        From :func:`parse_neighbour_csv`.
    current : dict of str to str
        Old LA number -> code in DfE's latest release.
    at_model : dict of str to str
        Old LA number -> code in DfE's release of the model's year (numbers it lacks, such as
        LAs created in the model's year, take their current code).
    source : Path or str
        For the error message.
    """
    unknown = sorted(
        (set(lists["old_la_code"]) | set(lists["neighbour_old_la_code"])) - set(current)
    )
    if unknown:
        raise BuildError(
            f"{source}: LA number(s) {unknown[:8]} are not in DfE's children-looked-after "
            "releases, so they cannot be mapped to codes. Add the release that lists them."
        )
    out = lists.copy()
    out["la_code"] = current_la_code(out["old_la_code"].map(current))
    out["neighbour_code"] = current_la_code(out["neighbour_old_la_code"].map(current))
    model_code = out["old_la_code"].map(at_model)
    out["la_code_at_model"] = model_code.where(model_code.notna(), out["la_code"])
    names = out.drop_duplicates("old_la_code").set_index("old_la_code")["la_name"]
    out["neighbour_name"] = out["neighbour_old_la_code"].map(names)
    return out


STATISTICAL_NEIGHBOURS_SCHEMA = pa.DataFrameSchema(
    {
        "model": pa.Column(
            "str",
            pa.Check(lambda s: s.isin(list(models())), error="model must be a registry release"),
        ),
        "la_code": pa.Column("str", pa.Check.str_matches(r"^E(0[6-9]|10)[0-9]{6}$")),
        "la_name": pa.Column("str"),
        "old_la_code": pa.Column("str", pa.Check.str_matches(r"^\d{3}$")),
        "la_code_at_model": pa.Column("str", pa.Check.str_matches(r"^E(0[6-9]|10)[0-9]{6}$")),
        "rank": pa.Column("int64", pa.Check.in_range(1, 10)),
        "neighbour_code": pa.Column("str", pa.Check.str_matches(r"^E(0[6-9]|10)[0-9]{6}$")),
        "neighbour_name": pa.Column("str"),
        "neighbour_old_la_code": pa.Column("str", pa.Check.str_matches(r"^\d{3}$")),
        "closeness": pa.Column("str", pa.Check.isin(list(CLOSENESS))),
        "source_id": pa.Column("str"),
    },
    unique=["model", "la_code", "rank"],
    checks=pa.Check(
        lambda df: (df["la_code"] != df["neighbour_code"]).all(),
        error="an LA is listed as its own neighbour",
    ),
    strict=True,
    coerce=False,
)


@table(
    "statistical_neighbours",
    inputs=_inputs,
    schema=STATISTICAL_NEIGHBOURS_SCHEMA,
    description="DfE children's services statistical neighbours (10 per LA, in order, with "
    "closeness band), April 2021 and 2025 models, on current LA codes",
)
def build_statistical_neighbours(inputs: Inputs) -> pd.DataFrame:
    """Every DfE statistical neighbour list in the registry, one row per LA, model and rank."""
    found = models()
    latest = _latest_code_file()
    code_pairs = {rid: _read_release(inputs.path(rid)) for rid in _inputs() if rid not in
                  {ids[0] for ids in found.values()}}
    ordered = [code_pairs[latest]] + [df for rid, df in code_pairs.items() if rid != latest]
    current = dfe_current_la_codes(ordered)
    parts = []
    for model, (list_id, release_id) in found.items():
        path = inputs.path(list_id)
        at_model = dfe_current_la_codes([code_pairs[release_id]])
        mapped = map_to_codes(parse_neighbour_csv(path), current, at_model, path)
        parts.append(mapped.assign(model=model, source_id=list_id))
    out = pd.concat(parts, ignore_index=True)
    for column in OUTPUT_COLUMNS:
        if column != "rank":
            out[column] = out[column].astype("str")
    out["rank"] = out["rank"].astype("int64")
    return out[OUTPUT_COLUMNS].sort_values(["model", "la_code", "rank"]).reset_index(drop=True)
