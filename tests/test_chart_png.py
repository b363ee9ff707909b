"""Charts saved once and cropped (:func:`charts.png_bytes`) match ``bbox_inches="tight"``."""

from __future__ import annotations

import io

import numpy as np
import pytest

from solihull_analytics.report import charts


@pytest.fixture(autouse=True)
def _style():
    charts.use_af_style()


def _figure(legend_outside: bool):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([1, 2, 3], [3, 1, 2], label="a series with a long name")
    ax.set_title("A title", loc="left")
    fig.tight_layout()
    if legend_outside:  # placed after the layout pass: it reaches past the canvas's right edge
        ax.legend(loc="upper left", bbox_to_anchor=(1.5, 1))
    return fig


def _pixels(png: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


def _tight(fig) -> np.ndarray:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    return _pixels(buf.getvalue())


@pytest.mark.parametrize("legend_outside", [False, True])
def test_png_is_the_tight_crop_at_the_save_dpi(legend_outside):
    import matplotlib.pyplot as plt

    fig = _figure(legend_outside)
    ours = _pixels(charts.png_bytes(fig))
    reference = _tight(_figure(legend_outside))
    plt.close("all")
    # Same crop up to the rounding of its edges to whole pixels.
    assert abs(ours.shape[0] - reference.shape[0]) <= 2
    assert abs(ours.shape[1] - reference.shape[1]) <= 2
    canvas_width = 4 * charts.SAVE_DPI
    assert (ours.shape[1] > canvas_width) == legend_outside
    # Nothing touches the border: the padding is intact on all four sides.
    for edge in (ours[0], ours[-1], ours[:, 0], ours[:, -1]):
        assert (edge == 255).all()


def test_png_dpi_is_recorded():
    import matplotlib.pyplot as plt
    from PIL import Image

    png = charts.png_bytes(_figure(False))
    plt.close("all")
    dpi = Image.open(io.BytesIO(png)).info["dpi"]
    assert round(dpi[0]) == charts.SAVE_DPI
