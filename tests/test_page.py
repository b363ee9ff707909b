"""The notebook-side page API: blocks, alt text, headline JSON."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from solihull_analytics.report.page import Chart, MissingData, Page, TableBlock, Uses  # noqa: E402
from solihull_analytics.report.pipeline import validate_headline  # noqa: E402


@pytest.fixture()
def shown(monkeypatch: pytest.MonkeyPatch) -> list:
    out: list = []
    monkeypatch.setattr("IPython.display.display", lambda *a, **k: out.append((a, k)))
    return out


def _text(shown: list) -> str:
    parts = []
    for args, _ in shown:
        obj = args[0]
        parts.append(obj.data if hasattr(obj, "data") else json.dumps(obj))
    return "\n".join(parts)


def test_show_dispatches_blocks_in_order(shown: list, tmp_path: Path) -> None:
    page = Page("90_test", "Test page", "E08000029", "Solihull", tmp_path, "2026-01-31")
    table = TableBlock(pd.DataFrame({"rate": [1.23456]}), "A caption", float_format="{:.3f}")
    page.show(
        "Some *text*.",
        [MissingData("2011 ethnicity", "https://ons.example"), None],
        Uses(("iod2019_file3", "cla_ees2025_number_rate")),
        table,
    )
    text = _text(shown)
    assert text.index("Some *text*.") < text.index("2011 ethnicity") < text.index("1.235")
    assert "<caption>A caption</caption>" in text
    assert page.missing == [{"what": "2011 ethnicity", "where": "https://ons.example"}]
    assert page.source_ids == ["iod2019_file3", "cla_ees2025_number_rate"]
    with pytest.raises(TypeError):
        page.show(3)


def test_chart_needs_alt_text_and_carries_it(shown: list, tmp_path: Path) -> None:
    page = Page("90_test", "Test page", "E08000029", "Solihull", tmp_path, "2026-01-31")
    fig, ax = plt.subplots()
    ax.plot([1, 2], [3, 4])
    with pytest.raises(ValueError, match="alt text"):
        page.figure(fig, alt="", source="x")
    fig, ax = plt.subplots()
    ax.plot([1, 2], [3, 4])
    page.show(Chart(fig, "A line rising from 3 to 4.", "Test source"))
    (args, kwargs) = next(item for item in shown if "metadata" in item[1])
    assert kwargs["metadata"]["image/png"]["alt"] == "A line rising from 3 to 4."
    assert "Source: Test source" in _text(shown)


def test_synthetic_page_labels_alt_text(shown: list, tmp_path: Path) -> None:
    page = Page("90_test", "T", "E08000029", "Solihull", tmp_path, "2026-01-31", synthetic=True)
    fig, ax = plt.subplots()
    page.figure(fig, alt="Bars by decile.", source="synthetic")
    (args, kwargs) = next(item for item in shown if "metadata" in item[1])
    assert kwargs["metadata"]["image/png"]["alt"].startswith("SYNTHETIC DATA")


def test_finish_writes_schema_valid_json_with_null_values(shown: list, tmp_path: Path) -> None:
    page = Page("90_test", "Test page", "E08000029", "Solihull", tmp_path, "2026-01-31")
    page.headline(
        "share",
        None,
        "%",
        "2021",
        ["iod2019_file3"],
        "Not available here.",
        note="needs census2021_ts003_lsoa21",
    )
    page.headline("rate", float("nan"), "per 10,000", "2025", [], "Rate not computed.")
    doc = page.finish()
    validate_headline(doc)
    written = json.loads((tmp_path / "90_test.json").read_text())
    assert written["headlines"][0]["value"] is None
    assert written["headlines"][1]["value"] is None
    assert written["sources"][0]["id"] == "iod2019_file3"


def test_deferred_drawing_skips_redraws_and_keeps_the_image() -> None:
    """geopandas redraws after every layer; inside the block nothing is drawn until saved."""
    import io

    import geopandas as gpd
    from shapely.geometry import box

    from solihull_analytics.report.charts import deferred_drawing

    layers = [gpd.GeoSeries([box(i, 0, i + 1, 1)]) for i in range(4)]

    def render(deferred: bool) -> tuple[int, bytes]:
        fig, ax = plt.subplots(figsize=(3, 2))
        draws = []
        fig.canvas.mpl_connect("draw_event", lambda event: draws.append(event))
        if deferred:
            with deferred_drawing(fig):
                for layer in layers:
                    layer.plot(ax=ax)
            assert "draw_idle" not in vars(fig.canvas), "the canvas's own method is back"
        else:
            for layer in layers:
                layer.plot(ax=ax)
        n = len(draws)
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        plt.close(fig)
        return n, buf.getvalue()

    eager_draws, eager_png = render(False)
    deferred_draws, deferred_png = render(True)
    assert eager_draws == len(layers)
    assert deferred_draws == 0
    assert deferred_png == eager_png
