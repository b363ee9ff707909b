"""The next-year drill: new releases registered and used with no change to code or notebooks.

Each test works in a temporary copy (the ``workspace`` fixture of ``conftest.py``, helpers in
``tests/workspace.py``): a data folder (``SOLIHULL_DATA_DIR``) whose raw cache links
to the project's verified files and whose processed tables start as a copy of the project's, and
a copy of the catalogue and the release registry (``SOLIHULL_CATALOGUE``; the registry is the
``releases.yaml`` beside it). New files go in only through the public interfaces: the
``solihull-analytics data add`` command, then ``data build`` and the report renderer. No module
constant is patched.

1. A new Indices of Deprivation: IoD2025's files, byte for byte, registered as "IoD2030".
2. A new DfE CLA release: the 2025 release's file with every year moved on by one (2026).
3. A new ONS population vintage, which becomes the denominator series.

The command's rejections (unknown ``--like``, duplicate id, a file in another layout) are
tested on small files.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from solihull_analytics import paths
from tests.workspace import SOLIHULL, cli
from tests.workspace import build as _build
from tests.workspace import headlines as _headlines
from tests.workspace import raw as _raw
from tests.workspace import render as _render
from tests.workspace import shift_years_csv as _shift_years_csv

SRC = Path(__file__).resolve().parents[1] / "src" / "solihull_analytics"


# ------------------------------------------------------------------------------------------
# 1. A new IoD
# ------------------------------------------------------------------------------------------


@pytest.mark.mirror
def test_new_iod_release_iod2030(workspace: Path) -> None:
    from bs4 import BeautifulSoup

    incoming = workspace / "incoming"
    incoming.mkdir()
    for like in ("iod2025_file1", "iod2025_file3", "iod2025_file6_solihull_extract"):
        src = _raw(like)
        copy = incoming / src.name.replace("2025", "2030")
        shutil.copyfile(src, copy)
        out = cli("data", "add", str(copy), "--like", like, "--release", "IoD2030")
        assert f"added {like.replace('2025', '2030')} (iod" in out
        assert "iod_lsoa" in out and "02_idaci_deprivation" in out
        assert hashlib.sha256(copy.read_bytes()).hexdigest()[:12] in out
    from solihull_analytics import releases

    assert releases.labels("iod")[-1] == "IoD2030"
    assert releases.get("iod", "latest").year == 2030
    _build()

    pack = _render(workspace, ["02", "03", "05"])

    page02 = BeautifulSoup((pack / "02_idaci_deprivation.html").read_text("utf-8"), "html.parser")
    table1 = next(
        t for t in page02.find_all("table")
        if "Most deprived 20%: computed" in t.get_text()
    )
    rows = {
        tr.find_all(["td", "th"])[0].get_text(strip=True): [
            c.get_text(strip=True) for c in tr.find_all(["td", "th"])
        ]
        for tr in table1.find_all("tr")[1:]
    }
    assert list(rows) == ["ID2007", "ID2010", "IoD2015", "IoD2019", "IoD2025", "IoD2030"]
    headers = [c.get_text(strip=True) for c in table1.find_all("tr")[0].find_all(["td", "th"])]
    counts = [rows["IoD2030"][headers.index(f"Most deprived {p}%: computed")] for p in (20, 10)]
    assert counts == ["20", "9"]
    assert counts == [rows["IoD2025"][headers.index(f"Most deprived {p}%: computed")]
                      for p in (20, 10)]
    # The 5% and 2% columns are off the page (issue 17: the table fits); the download has them.
    link = table1.find_next("a", class_="sa-download")["href"]
    whole = pd.read_csv(pack / link, dtype=str, encoding="utf-8-sig").set_index("Release")
    counts = [whole.loc["IoD2030", f"Most deprived {p}%: computed"] for p in (20, 10, 5, 2)]
    assert counts == ["20", "9", "2", "0"]
    assert counts == [whole.loc["IoD2025", f"Most deprived {p}%: computed"]
                      for p in (20, 10, 5, 2)]

    periods03 = {h["period"] for h in _headlines(pack, "03_sub_area_profile")}
    assert "IoD2030" in periods03
    periods05 = {h["period"] for h in _headlines(pack, "05_benchmarking")}
    assert "IoD2030" in periods05 and "IoD2025" not in periods05
    page05 = (pack / "05_benchmarking.html").read_text("utf-8")
    assert "English Indices of Deprivation (IoD2030)" in page05


# ------------------------------------------------------------------------------------------
# 2. A new CLA release
# ------------------------------------------------------------------------------------------


@pytest.mark.mirror
def test_new_cla_release_extends_page01_to_2026(workspace: Path, processed: Path) -> None:
    from bs4 import BeautifulSoup

    src = _raw("cla_ees2025_number_rate")
    new = workspace / src.name.replace("release2025_2021-2025", "release2026_2022-2026")
    _shift_years_csv(src, new, 1)
    out = cli("data", "add", str(new), "--like", "cla_ees2025_number_rate")
    assert "added cla_ees2026_number_rate (cla new release EES reporting year 2026)" in out
    assert "cla_la_year" in out and "01_cla_trend" in out
    _build()
    from solihull_analytics.build import read_table

    cla = read_table("cla_la_year")
    assert cla["year"].max() == 2026
    sol = cla[(cla["la_code"] == SOLIHULL) & (cla["year"] == 2026)].iloc[0]
    assert sol["source_id"] == "cla_ees2026_number_rate"

    project = pd.read_parquet(processed / "cla_la_year.parquet")
    count_2025 = int(project.query("la_code == @SOLIHULL and year == 2025")["cla_all"].iloc[0])

    pack = _render(workspace, ["01"])
    page = BeautifulSoup((pack / "01_cla_trend.html").read_text("utf-8"), "html.parser")
    trend = next(t for t in page.find_all("table")
                 if "all CLA" in t.get_text() and "DfE rate" in t.get_text())
    header = [c.get_text(strip=True) for c in trend.find_all("tr")[0].find_all(["td", "th"])]
    rows = {r[0]: r for r in (
        [c.get_text(strip=True) for c in tr.find_all(["td", "th"])]
        for tr in trend.find_all("tr")[1:]
    )}
    assert list(rows)[-1] == "2026"
    # The 2026 count is the shifted file's (the 2025 release's 2025 count) with DfE's rate; the
    # recomputed rate needs the ONS mid-2025 estimate, which the page names as missing.
    assert int(rows["2026"][header.index("all CLA")].replace(",", "")) == count_2025
    assert float(rows["2026"][header.index("DfE rate")]) > 0
    assert "mid-2025" in page.get_text()


# ------------------------------------------------------------------------------------------
# 3. A new ONS population vintage
# ------------------------------------------------------------------------------------------


@pytest.mark.mirror
def test_new_population_vintage_becomes_the_denominator(workspace: Path) -> None:
    from solihull_analytics.build import read_table
    from solihull_analytics.pages.cla_trend import compute, inputs

    src = _raw("pop_0_17_la_2012_2024_rebased")
    df = pd.read_csv(src, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    # A revised series: every estimate 1% higher (so the new vintage is recognisable).
    values = pd.to_numeric(df["population_estimate"], errors="coerce")
    df["population_estimate"] = (values * 1.01).round().astype("Int64").astype(str)
    new = workspace / "dfe_ons_mid-year_population_estimates_0-17_2012_to_2025_revised.csv"
    df.to_csv(new, index=False)
    out = cli("data", "add", str(new), "--like", "pop_0_17_la_2012_2024_rebased",
              "--release", "census2021_rebased_revised", "--year", "2025")
    assert "population new release census2021_rebased_revised" in out
    assert "population_la_year" in out and "01_cla_trend" in out
    _build()

    population = read_table("population_la_year")
    assert "census2021_rebased_revised" in set(population["vintage"])
    cla = read_table("cla_la_year")
    # DfE's convention: 31 March Y uses mid-(Y-1); the new series covers mid-2012 to mid-2024.
    rates = compute.cla_rates(cla, inputs.candidates(population), [SOLIHULL], first_year=2013)
    held = rates[(rates["year"] >= 2013) & (rates["year"] <= 2025)]
    assert not held.empty
    assert set(held["denominator_vintage"].dropna()) == {"census2021_rebased_revised"}
    sol_2023 = population[
        (population["la_code"] == SOLIHULL) & (population["mid_year"] == 2023)
        & (population["age_band"] == "0-17")
    ].set_index("vintage")["population"]
    assert sol_2023["census2021_rebased_revised"] == round(sol_2023["census2021_rebased"] * 1.01)


# ------------------------------------------------------------------------------------------
# 4. A new geography vintage (build-level: no render)
# ------------------------------------------------------------------------------------------


def _ward_file(workspace: Path, year: int, rename: bool) -> Path:
    """The May 2025 West Midlands ward polygons as a ``year`` file (attributes renamed or not)."""
    text = _raw("geo_ward25_bgc_west_midlands").read_text(encoding="utf-8")
    if rename:
        yy = f"{year % 100:02d}"
        for old in ("WD25CD", "WD25NM", "LAD25CD"):
            text = text.replace(f'"{old}"', f'"{old.replace("25", yy)}"')
    new = workspace / f"ward{year % 100:02d}_bgc_west_midlands_region_E12000005.geojson"
    new.write_text(text, encoding="utf-8")
    return new


@pytest.mark.mirror
def test_new_ward_boundary_vintage_needs_only_a_registry_record(workspace: Path) -> None:
    """Wards of 2026 in the ONS layout: a table of their own, and page 02 maps with them."""
    from solihull_analytics import releases
    from solihull_analytics.build import read_table
    from solihull_analytics.pages.deprivation.maps import load_map_boundaries

    new = _ward_file(workspace, 2026, rename=True)
    out = cli("data", "add", str(new), "--like", "geo_ward25_bgc_west_midlands",
              "--id", "geo_ward26_bgc_west_midlands", "--release", "Wards May 2026 boundaries")
    assert "geography new release Wards May 2026 boundaries" in out
    assert "boundaries_ward26" in out and "02_idaci_deprivation" in out
    latest = releases.geography("ward_boundaries")[-1]
    assert (latest.label, latest.year) == ("Wards May 2026 boundaries", 2026)
    assert releases.geography_table(latest) == "boundaries_ward26"
    cli("data", "build", "--only", "boundaries_ward26")
    wards = read_table("boundaries_ward26")
    assert len(wards) == 754 and set(wards["ward_vintage"]) == {2026}
    assert (wards["la_code"] == SOLIHULL).sum() == 17
    assert int(load_map_boundaries().ward["ward_vintage"].iloc[0]) == 2026
    assert releases.geography_table(releases.geography("ward_boundaries")[0]) == \
        "boundaries_ward_wm", "the earlier vintage keeps its table"


@pytest.mark.mirror
def test_new_geography_vintage_in_another_layout_names_the_column(workspace: Path) -> None:
    """A 2026 ward file still carrying 2025 attribute names fails in one line naming them."""
    new = _ward_file(workspace, 2026, rename=False)
    cli("data", "add", str(new), "--like", "geo_ward25_bgc_west_midlands",
        "--id", "geo_ward26_bgc_west_midlands", "--release", "Wards May 2026 boundaries")
    from typer.testing import CliRunner

    from solihull_analytics.cli import app

    result = CliRunner().invoke(app, ["data", "build", "--only", "boundaries_ward26"])
    assert result.exit_code == 1, result.output
    assert new.name in result.output and "'WD26CD'" in result.output


# ------------------------------------------------------------------------------------------
# The command's rejections (small files; nothing written when rejected)
# ------------------------------------------------------------------------------------------


@pytest.fixture()
def small_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary catalogue, registry and empty data folder."""
    (tmp_path / "data" / "raw").mkdir(parents=True)
    shutil.copy(paths.catalogue_path(), tmp_path / "catalogue.yaml")
    shutil.copy(paths.catalogue_path().with_name("releases.yaml"), tmp_path)
    monkeypatch.setenv("SOLIHULL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SOLIHULL_CATALOGUE", str(tmp_path / "catalogue.yaml"))
    monkeypatch.delenv("SOLIHULL_RELEASES", raising=False)
    return tmp_path


def _unchanged(ws: Path) -> bool:
    return (ws / "catalogue.yaml").read_bytes() == paths.catalogue_path().read_bytes() and (
        ws / "releases.yaml"
    ).read_bytes() == paths.catalogue_path().with_name("releases.yaml").read_bytes()


def test_data_add_rejects_unknown_like(small_workspace: Path) -> None:
    f = small_workspace / "x_2026.csv"
    f.write_text("a,b\n1,2\n", encoding="utf-8")
    out = cli("data", "add", str(f), "--like", "no_such_file", ok=False)
    assert "--like 'no_such_file' is not a catalogue id" in out
    assert _unchanged(small_workspace)


def test_data_add_rejects_duplicate_id(small_workspace: Path) -> None:
    f = small_workspace / "cla_2026.csv"
    f.write_text("time_period\n2026\n", encoding="utf-8")
    out = cli("data", "add", str(f), "--like", "cla_ees2025_number_rate",
              "--id", "cla_ees2024_number_rate", ok=False)
    assert "catalogue id 'cla_ees2024_number_rate' already exists" in out
    assert _unchanged(small_workspace)


def test_data_add_rejects_a_file_in_another_layout(small_workspace: Path) -> None:
    # The layout check compares with the file it is like; write that file's header here.
    like = small_workspace / "data" / "raw" / "cla" / (
        "ees_cla_number_and_rate_per_10k_children_release2025_2021-2025.csv"
    )
    like.parent.mkdir(parents=True)
    like.write_text("time_period,geographic_level,new_la_code,population_type,children_count\n"
                    "2025,National,,x,1\n", encoding="utf-8")
    f = small_workspace / "cla_2026.csv"
    f.write_text("time_period,geographic_level,new_la_code,population_type,number\n"
                 "2026,National,,x,1\n", encoding="utf-8")
    out = cli("data", "add", str(f), "--like", "cla_ees2025_number_rate", ok=False)
    assert "column 'children_count' not found" in out
    assert _unchanged(small_workspace)
    assert not (like.parent / "ees_cla_number_and_rate_per_10k_children_release2026_2022-2026.csv"
                ).exists()


def test_data_add_names_the_missing_iod_field(small_workspace: Path) -> None:
    f = small_workspace / "IoD2030_File3.csv"
    f.write_text("LSOA code (2021),IDACI decile\nE01000001,1\n", encoding="utf-8")
    out = cli("data", "add", str(f), "--like", "iod2025_file3", "--release", "IoD2030", ok=False)
    assert "IDACI rank" in out and "IoD2030_File3.csv" in out
    assert _unchanged(small_workspace)


# ------------------------------------------------------------------------------------------
# No release facts in code
# ------------------------------------------------------------------------------------------

#: IoD labels, population vintage names and IoD catalogue ids; none may appear as a string in
#: analysis code (docstrings aside) or as a notebook parameter default.
RELEASE_WORDS = re.compile(
    r"\b(ID20\d\d|IoD20\d\d|iod20\d\d_\w+|id20\d\d_\w+|pre_census2021|census2021_rebased|"
    r"mye20\d\d_first_release|mye_sya_\w+)\b"
)
#: A census named by its year ("Census 2021", "census2021_based", "2011 Census") or a series
#: named for coming before one ("pre-Census", "pre_census"): the census releases and each
#: population vintage's census_base are in the registry, and pages name them from there. Also
#: checked in identifiers (function, variable and argument names), not only in strings.
CENSUS_WORDS = re.compile(
    r"(?i:census)[ _-]?(?:19|20)\d\d|\b(?:19|20)\d\d[ _-]?(?i:census)|(?i:pre[ _-]?census)"
)
#: Every module that analyses, draws, writes or assembles (the registry and the readers of
#: published files in ``sources/`` are where release names belong).
ANALYSIS_MODULES = sorted(
    str(p.relative_to(SRC).with_suffix("")).replace("\\", "/")
    for folder in ("pages", "methods", "geo", "report", "reference", "ssda903")
    for p in (SRC / folder).rglob("*.py")
)


def _string_constants(path: Path) -> list[str]:
    return _strings_of(ast.parse(path.read_text(encoding="utf-8")))


def _strings_of(tree: ast.AST) -> list[str]:
    """String constants of a module's syntax tree, docstrings aside."""
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef)
        and node.body and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        n.value for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings
    ]


def _identifiers(path: Path) -> list[str]:
    """Names defined or used in a module: functions, classes, variables, attributes, arguments."""
    out: list[str] = []
    for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            out.append(n.name)
        elif isinstance(n, ast.Name):
            out.append(n.id)
        elif isinstance(n, ast.Attribute):
            out.append(n.attr)
        elif isinstance(n, ast.arg):
            out.append(n.arg)
        elif isinstance(n, ast.keyword) and n.arg:
            out.append(n.arg)
        elif isinstance(n, ast.alias):
            out.append(n.asname or n.name)
    return out


def _names_a_release(path: Path) -> list[str]:
    """Strings (docstrings aside) and identifiers of ``path`` that name a release or a census.

    Geography vintages (``lsoa11_code``, ``lsoa21``) are not matched: they are the geography
    registry work's."""
    strings = _string_constants(path)
    return [s for s in strings if RELEASE_WORDS.search(s)] + [
        s for s in strings + _identifiers(path) if CENSUS_WORDS.search(s)]


@pytest.mark.parametrize("module", ANALYSIS_MODULES)
def test_no_release_named_in_analysis_code(module: str) -> None:
    found = _names_a_release(SRC / f"{module}.py")
    assert not found, f"{module}.py names releases: {found[:5]}; read them from the registry"


@pytest.mark.parametrize("line", [
    'label = "Census 2031"',
    'LABEL = "rebased on Census-2031 from here"',
    'col = "denominator_census2031_based"',
    'def census2031_break_year(table): return None',
    'text = f"before the 2031 Census, {x}"',
    'name = "pre-Census 2031 series"',
])
def test_the_release_check_catches_a_census_named_in_a_page(tmp_path: Path, line: str) -> None:
    module = tmp_path / "page.py"
    module.write_text(f'"""A page module; docstrings may say Census 2021."""\n{line}\n',
                      encoding="utf-8")
    assert _names_a_release(module)
    module.write_text('"""Census 2031 in a docstring is fine."""\n# and Census 2031 in a comment\n'
                      'label = census.label()\n', encoding="utf-8")
    assert not _names_a_release(module)


#: Geography vintages written into code: names that carry an LSOA or ward vintage (columns
#: ``lsoa21_code``, tables ``boundaries_lsoa11`` / ``lsoa_lookup_11_21``, catalogue ids
#: ``geo_lsoa21_bgc_wmca``, ward columns ``WD25CD``). The registry's ``geography`` records and
#: :mod:`solihull_analytics.geo.lsoa` (``lsoa_code_column``, ``boundary_table``) name them.
GEOGRAPHY_WORDS = re.compile(
    r"\b(\w*lsoa(01|11|21|31)\w*|boundaries_\w+|lsoa_lookup_\w+|geo_(lsoa|msoa|ward|lookup)\w*|"
    r"ward\d\d\w*|wd\d\d\w*)\b",
    re.IGNORECASE,
)
#: Modules allowed to name geography vintages, with the reason (each entry must still offend).
GEOGRAPHY_ALLOWED = {
    # Sub-area files (geo/area_definitions/*.yaml) are written as 2021 LSOA codes and wards of
    # the LSOA 2021 -> ward lookups; a new LSOA vintage means redrawing them, not a setting.
    "geo/sub_areas": "sub-area definitions are lists of 2021 LSOAs",
    # Page 03 compares the two censuses on the columns of the ONS LSOA 2011 -> 2021 lookup
    # (lsoa11_code, lsoa21_code); its tables are read from the registry, but a census on new
    # LSOAs still needs these column names generalised (geo.lsoa.lsoa_code_column).
    "pages/sub_area_profile/compute": "census comparison on the LSOA 2011 -> 2021 columns",
    "pages/sub_area_profile/maps": "census comparison on the LSOA 2011 -> 2021 columns",
}


def _is_year(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) is int and 1990 <= node.value <= 2100


def _names_vintage(node: ast.AST) -> bool:
    name = getattr(node, "id", None) or getattr(node, "attr", None) or getattr(node, "arg", None)
    return "vintage" in str(name or "").lower()


def _vintage_literals(tree: ast.AST) -> list[str]:
    """Years given to, stored in or compared with a name saying ``vintage``."""
    found = []
    for n in ast.walk(tree):
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef):
            a = n.args
            pos = a.posonlyargs + a.args
            pairs = list(zip(pos[len(pos) - len(a.defaults):], a.defaults, strict=True))
            pairs += [(k, d) for k, d in zip(a.kwonlyargs, a.kw_defaults, strict=True) if d]
            found += [f"{arg.arg}={d.value}" for arg, d in pairs
                      if _names_vintage(arg) and _is_year(d)]
        elif isinstance(n, ast.AnnAssign | ast.Assign) and n.value is not None \
                and _is_year(n.value):
            targets = n.targets if isinstance(n, ast.Assign) else [n.target]
            found += [ast.unparse(n)] if any(_names_vintage(t) for t in targets) else []
        elif isinstance(n, ast.keyword) and _names_vintage(n) and _is_year(n.value):
            found.append(f"{n.arg}={n.value.value}")
        elif isinstance(n, ast.Compare):
            sides = [n.left, *n.comparators]
            if any(map(_names_vintage, sides)) and any(map(_is_year, sides)):
                found.append(ast.unparse(n))
    return found


def geography_vintages_named(source: str) -> list[str]:
    """Geography vintages named in Python ``source`` outside docstrings (what the test bans)."""
    tree = ast.parse(source)
    words = [m.group(0) for s in _strings_of(tree) if (m := GEOGRAPHY_WORDS.search(s))]
    return words + _vintage_literals(tree)


@pytest.mark.parametrize("module", ANALYSIS_MODULES)
def test_no_geography_vintage_named_in_analysis_code(module: str) -> None:
    found = geography_vintages_named((SRC / f"{module}.py").read_text(encoding="utf-8"))
    if module in GEOGRAPHY_ALLOWED:
        assert found, f"{module}.py no longer names geography vintages: drop it from the list"
        return
    assert not found, (
        f"{module}.py names geography vintages: {found[:5]}; read them from the release "
        "registry (releases.geography, geo.lsoa.boundary_table / lsoa_code_column)"
    )


@pytest.mark.parametrize("line", [
    "def prepare(la_code, *, like_for_like_vintage: int = 2011): ...",
    "class Ctx:\n    like_for_like_vintage: int = 2011\n",
    "x = f(vintage=2021)",
    "if polygon_vintage == 2021: pass",
    "t = read_table('boundaries_lsoa11')",
    "col = 'lsoa21_code'",
])
def test_the_geography_check_catches_hard_coded_vintages(line: str) -> None:
    assert geography_vintages_named(line)


def test_the_geography_check_ignores_docstrings_and_other_years() -> None:
    source = (
        'def f(vintage: int | None = None, year: int = 2024):\n'
        '    """Map 2011 LSOAs (``lsoa11_code``) by default."""\n'
        '    return year == 2024\n'
    )
    assert geography_vintages_named(source) == []


def test_notebook_defaults_name_no_release() -> None:
    for nb in sorted((SRC.parents[1] / "notebooks").glob("*.ipynb")):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        params = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
        text = "".join(params[0]["source"]) if params else ""
        assert not RELEASE_WORDS.search(text), f"{nb.name} parameters name a release"
        assert not CENSUS_WORDS.search(text), f"{nb.name} parameters name a census"
        assert not re.search(r"=\s*\"?20\d\d", "\n".join(
            line for line in text.splitlines()
            if re.match(r"\s*(iod|idaci|classify|\w*vintage)", line)
        )), nb.name


def test_registry_env_follows_the_catalogue(tmp_path: Path, monkeypatch) -> None:
    from solihull_analytics import releases

    (tmp_path / "releases.yaml").write_text(
        "releases:\n- {kind: iod, label: X1, year: 2001, order: 1, files: "
        "[{id: a, role: base, layout: iod_table}]}\n", encoding="utf-8")
    monkeypatch.setenv("SOLIHULL_CATALOGUE", str(tmp_path / "catalogue.yaml"))
    monkeypatch.delenv("SOLIHULL_RELEASES", raising=False)
    assert releases.registry_path() == (tmp_path / "releases.yaml").resolve()
    assert releases.labels("iod") == ["X1"]
    assert os.environ["SOLIHULL_CATALOGUE"].endswith("catalogue.yaml")


def test_a_new_small_area_estimate_gets_its_own_source_name() -> None:
    """A release modelled on mid-2020's estimates is named for its own year in population_lsoa."""
    from solihull_analytics import releases
    from solihull_analytics.data_add import _new_release

    like = releases.get("lsoa_population", "latest")
    new = _new_release(like, {"id": "x"}, "ONS small-area estimates, mid-2021", 2021, "")
    assert like.fact("lsoa_source") == "sape_mid2020"
    assert new["lsoa_source"] == "sape_mid2021" and new["year"] == 2021


def test_data_add_second_file_joins_the_named_release(small_workspace: Path) -> None:
    from solihull_analytics import releases
    from solihull_analytics.catalogue import load_catalogue

    a = small_workspace / "cla_number_rate_2026.csv"
    a.write_text("time_period,children_count\n2026,1\n", encoding="utf-8")
    out = cli("data", "add", str(a), "--like", "cla_ees2025_number_rate")
    assert "cla new release EES reporting year 2026" in out and "cla_la_year" in out
    b = small_workspace / "cla_national_2026.csv"
    b.write_text("time_period,number\n2026,1\n", encoding="utf-8")
    out = cli("data", "add", str(b), "--like", "cla_ees2024_national_time_series",
              "--release", "EES reporting year 2026", "--id", "cla_ees2026_national_time_series")
    assert "added to release EES reporting year 2026" in out
    new = releases.get("cla", "latest")
    assert new.label == "EES reporting year 2026" and new.year == 2026
    assert [(f.id, f.layout) for f in new.files] == [
        ("cla_ees2026_number_rate", "cla_ees_number_rate"),
        ("cla_ees2026_national_time_series", "cla_national_time_series"),
    ]
    assert releases.get("cla", "EES reporting year 2025").file_ids == [
        "cla_ees2025_number_rate", "cla_dashboard_characteristics_2021_2025"]
    entry = load_catalogue()["cla_ees2026_number_rate"]
    assert entry.sha256 == hashlib.sha256(a.read_bytes()).hexdigest() and not entry.mirrored
    assert entry.raw_path().read_bytes() == a.read_bytes()
    assert "2026" in entry.release and "2025" not in entry.release


#: Notebook prose that would go stale with next year's data: a release, a census, "the 2025
#: model", "from 2006 to ...", "2011 to 2021". (The Commissioner's report's own window and the
#: neighbours DfE listed when it was written are history, and may be named.)
STALE_PROSE = re.compile(r"\bthe (?:19|20)\d\d model|\bfrom (?:19|20)\d\d to\b|"
                         r"\b(?:19|20)\d\d to (?:19|20)\d\d\b")


def test_notebook_prose_names_no_release_that_next_year_changes() -> None:
    for nb in sorted((SRC.parents[1] / "notebooks").glob("*.ipynb")):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        for i, cell in enumerate(c for c in cells if c["cell_type"] == "markdown"):
            text = "".join(cell["source"])
            for pattern in (RELEASE_WORDS, CENSUS_WORDS, STALE_PROSE):
                found = pattern.search(text)
                assert not found, (f"{nb.name} markdown cell {i} says {found.group(0)!r}; "
                                   "let the page's code name it from the registry")
    assert STALE_PROSE.search("## Growth in the number of children, 2011 to 2021")
    assert STALE_PROSE.search("statistical neighbours (the 2025 model)")
