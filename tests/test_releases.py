"""The release registry (data/releases.yaml): loading, order, "latest", and checks."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from solihull_analytics import releases
from solihull_analytics.catalogue import load_catalogue

REGISTRY = """
releases:
- kind: iod
  label: B2019
  year: 2019
  order: 2
  lsoa_vintage: 2011
  files:
  - {id: b_base, role: base, layout: iod_table, fields: [imd_rank]}
- kind: iod
  label: A2015
  year: 2015
  order: 1
  lsoa_vintage: 2011
  files:
  - {id: a_base, role: base, layout: iod_rda, object: x, columns: {c: lsoa_code}}
- kind: population
  label: v1
  year: 2020
  order: 1
  files:
  - {id: p1, role: denominators, layout: dfe_population}
"""


@pytest.fixture()
def registry_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "releases.yaml"
    path.write_text(REGISTRY, encoding="utf-8")
    monkeypatch.setenv("SOLIHULL_RELEASES", str(path))
    return path


def test_releases_in_order_and_latest(registry_file: Path) -> None:
    assert releases.labels("iod") == ["A2015", "B2019"]  # by order, not file order
    assert releases.get("iod", "latest").label == "B2019"
    assert releases.resolve("iod", "latest", available=["A2015"]) == "A2015"
    assert releases.resolve_many("iod", "latest:2") == ["A2015", "B2019"]
    assert releases.resolve_many("iod", "B2019, A2015") == ["B2019", "A2015"]
    assert releases.order_of("population") == {"v1": 1}
    rel, f = releases.release_of("a_base")
    assert rel.label == "A2015" and f.option("object") == "x" and rel.lsoa_vintage == 2011


def test_unknown_release_is_named(registry_file: Path) -> None:
    with pytest.raises(releases.RegistryError, match="'C2030' is not in the registry.*A2015"):
        releases.get("iod", "C2030")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("releases:\n- {kind: iod, label: X, year: 1, order: 1, files: [{id: a, role: base}]}\n",
         "lacks 'layout'"),
        ("releases:\n- {kind: iodd, label: X, year: 1, order: 1, files: []}\n", "kind must be"),
        ("releases:\n- {kind: iod, label: X, order: 1, files: [{id: a, role: r, layout: l}]}\n",
         "missing field.*year"),
        ("releases:\n"
         "- {kind: iod, label: X, year: 1, order: 1, files: [{id: a, role: r, layout: l}]}\n"
         "- {kind: iod, label: Y, year: 2, order: 2, files: [{id: a, role: r, layout: l}]}\n",
         "file 'a' is listed under iod releases 'X' and 'Y'"),
    ],
)
def test_malformed_registry_is_rejected(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "releases.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(releases.RegistryError, match=message):
        releases.load_registry(path)


def test_project_registry_files_are_in_the_catalogue() -> None:
    """Every file the registry lists is a catalogue entry, and every release has an order."""
    catalogue = load_catalogue()
    registry = releases.load_registry()
    missing = [f.id for r in registry for f in r.files if f.id not in catalogue]
    assert not missing
    for kind in releases.KINDS:
        orders = [r.order for r in releases.releases(kind)]
        assert len(orders) == len(set(orders)), f"{kind}: two releases share an order"
    # Every IoD file of the catalogue is registered (the ONS LSOA lookups it also holds aside).
    iod_ids = {i for i, e in catalogue.items() if e.theme == "iod" and "lookup" not in i}
    assert iod_ids <= set(releases.file_ids("iod"))


def test_iod_reader_names_an_unknown_layout(tmp_path: Path) -> None:
    from solihull_analytics.build import BuildError
    from solihull_analytics.sources.iod import read_release_file

    f = releases.ReleaseFile(id="x", role="base", layout="iod_pdf")
    with pytest.raises(BuildError, match="layout 'iod_pdf' is not one the IoD reader knows"):
        read_release_file(f, tmp_path / "x.pdf")


def test_iod_reader_names_the_missing_column(tmp_path: Path) -> None:
    from solihull_analytics.build import BuildError
    from solihull_analytics.sources.iod import read_release_file

    path = tmp_path / "file3.csv"
    pd.DataFrame({"LSOA code (2021)": ["E01000001"], "IDACI decile": [1]}).to_csv(path)
    f = releases.ReleaseFile(id="x", role="idaci", layout="iod_table",
                             fields=("idaci_rank", "idaci_decile"))
    with pytest.raises(BuildError, match="IDACI rank"):
        read_release_file(f, path)


def test_population_vintage_order_and_labels_come_from_the_registry(registry_file: Path) -> None:
    from solihull_analytics.pages.cla_trend import inputs as cla_trend

    assert cla_trend.vintage_rank() == {"v1": 1}
    assert cla_trend.vintage_labels()["v1"].endswith("(latest)")
