"""Charts drawn once and cropped to their ink (:func:`charts.png_bytes`) keep everything
``bbox_inches="tight"`` keeps, with ``savefig.pad_inches`` of blank margin."""

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


def _ink_size(rgba: np.ndarray) -> tuple[int, int]:
    ink = (rgba[..., :3] != 255).any(axis=2)
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def _margins(rgba: np.ndarray) -> tuple[int, int, int, int]:
    """Blank rows above and below, blank columns left and right of the ink."""
    ink = (rgba[..., :3] != 255).any(axis=2)
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    return rows[0], len(ink) - 1 - rows[-1], cols[0], ink.shape[1] - 1 - cols[-1]


@pytest.mark.parametrize("legend_outside", [False, True])
def test_png_keeps_all_the_tight_crop_draws(legend_outside):
    import matplotlib as mpl
    import matplotlib.pyplot as plt

    fig = _figure(legend_outside)
    ours = _pixels(charts.png_bytes(fig))
    reference = _tight(_figure(legend_outside))
    plt.close("all")
    # Everything drawn is there: the inked area has the size of the reference's, up to the
    # sub-pixel placement of the reference's cropped canvas.
    assert all(abs(a - b) <= 1 for a, b in zip(_ink_size(ours), _ink_size(reference), strict=True))
    canvas_width = 4 * charts.SAVE_DPI
    assert (ours.shape[1] > canvas_width) == legend_outside
    pad = round(mpl.rcParams["savefig.pad_inches"] * charts.SAVE_DPI)
    if legend_outside:  # saved with bbox_inches="tight": at least the padding all round
        assert min(_margins(ours)) >= pad - 1
    else:  # cut from the drawn canvas: exactly the padding all round
        assert _margins(ours) == (pad, pad, pad, pad)


def test_ink_box_pads_the_drawn_pixels_and_refuses_ink_on_the_canvas_edge():
    white = np.array([255, 255, 255, 255], dtype=np.uint8)
    canvas = np.full((40, 60, 4), 255, dtype=np.uint8)
    canvas[10:15, 20:31] = (18, 67, 109, 255)
    assert charts._ink_box(canvas, white, 5) == (5, 20, 15, 36)
    # The padding may reach past the canvas; the crop fills it with the background.
    canvas[3, 2] = (0, 0, 0, 255)
    box = charts._ink_box(canvas, white, 5)
    assert box == (-2, 20, -3, 36)
    crop = charts._crop(canvas, box, white)
    assert crop.shape == (22, 39, 4)
    assert (crop[5, 5] == (0, 0, 0, 255)).all() and (crop[:2] == 255).all()
    # Ink on the canvas's outermost pixels may have been cut: no crop is offered.
    canvas[12, 59] = (0, 0, 0, 255)
    assert charts._ink_box(canvas, white, 5) is None
    assert charts._ink_box(np.full((8, 8, 4), 255, dtype=np.uint8), white, 1) is None


def test_png_dpi_is_recorded():
    import matplotlib.pyplot as plt
    from PIL import Image

    png = charts.png_bytes(_figure(False))
    plt.close("all")
    dpi = Image.open(io.BytesIO(png)).info["dpi"]
    assert round(dpi[0]) == charts.SAVE_DPI


LONG = "Children looked after in the most deprived tenth were far more likely to be in care"


@pytest.mark.parametrize(
    ("panels", "words", "broken"), [(1, LONG, True), (3, LONG, True), (3, "Rate (%)", False)]
)
def test_lines_broken_once_draw_what_wrap_true_draws(panels, words, broken):
    """Titles broken by :func:`charts.tight_layout` are drawn as ``wrap=True`` draws them on the
    figure's own canvas (``savefig`` with a bounding box would break them to that box)."""
    import matplotlib.pyplot as plt

    def drawn(ours: bool) -> np.ndarray:
        fig, axes = plt.subplots(1, panels, figsize=(4, 3), squeeze=False)
        headings = []
        for ax in axes[0]:
            ax.plot([1, 2, 3], [3, 1, 2])
            headings.append((ax.set_title(words, loc="left", wrap=not ours), words))
        if ours:
            charts.tight_layout(fig, headings)
            assert ("\n" in headings[0][0].get_text()) == broken
        else:
            fig.tight_layout()
        fig.canvas.draw()
        return np.array(fig.canvas.buffer_rgba())

    ours, reference = drawn(True), drawn(False)
    plt.close("all")
    assert np.array_equal(ours, reference)
