"""The pack's chart style and how a chart becomes a PNG.

Charts follow the Government Analysis Function style (afcharts): its colour-blind-safe palette,
paired line styles and markers (meaning is never carried by colour alone), left-aligned titles,
light grid. :func:`png_bytes` saves a chart cropped to what it draws, drawing it once.
:class:`~solihull_analytics.report.page.Page` shows charts with these; the pages' own
``charts.py`` modules draw them.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

#: Analysis Function categorical palette (afcharts), in order.
AF_COLOURS = ("#12436D", "#28A197", "#801650", "#F46A25", "#3D3D3D", "#A285D1")
#: Line styles and markers paired with the colours, so that series differ without colour.
LINE_STYLES = ("-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1)))
MARKERS = ("o", "s", "^", "D", "v", "P")
#: Resolution of the charts' PNGs (dots per inch).
SAVE_DPI = 110
#: zlib level of the charts' PNGs. Solihull's 21 charts as RGB: level 3 takes 0.46 CPU s and
#: 2.07 MB, the default 6 0.74 s and 2.03 MB (RGBA at 6, matplotlib's default: 2.24 MB).
PNG_COMPRESS_LEVEL = 3
#: Blank margin (inches) drawn around a chart's canvas, for what reaches past it: the widest
#: charts' labels reach up to about an inch past it (issue 16).
DRAW_MARGIN = 1.5
#: Pixels at the canvas's edge that must be blank for a chart to be cut from its canvas.
_EDGE = 2


def use_af_style() -> None:
    """Apply the afcharts matplotlib style (falls back to equivalent settings if unavailable)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    try:
        import afcharts

        style = Path(afcharts.__file__).parent / "afcharts.mplstyle"
        plt.style.use(str(style))
    except (ImportError, OSError):  # pragma: no cover - afcharts is a pinned dependency
        plt.rcParams.update({"axes.spines.top": False, "axes.spines.right": False})
    plt.rcParams.update(
        {
            "figure.figsize": (9, 5),
            # Figures are laid out at the dpi they are saved at, so the chart's own layout pass
            # (tight_layout) and the saving share one renderer and its text measurements.
            "figure.dpi": SAVE_DPI,
            "savefig.dpi": SAVE_DPI,
            "font.family": "sans-serif",
            "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],
            "axes.titlesize": 15,
            "axes.titleweight": "bold",
        }
    )


@contextmanager
def deferred_drawing(fig: Any) -> Iterator[Any]:
    """Draw ``fig`` only when it is saved, not after every layer added inside the block.

    geopandas asks the canvas to redraw the whole figure after each ``.plot()`` call; on a
    non-interactive canvas that is a full render each time (a ten-layer LSOA map was drawn ten
    times, about 0.4 s each, issue 16). The saved image is the same: it is drawn from the
    figure's final state.
    """
    canvas = fig.canvas
    canvas.draw_idle = lambda *args, **kwargs: None
    try:
        yield fig
    finally:
        del canvas.draw_idle


def png_bytes(fig: Any) -> bytes:
    """Return ``fig`` as a PNG cropped to what it draws, drawn once.

    ``savefig(bbox_inches="tight")`` draws the figure twice: once to measure it, once more on a
    new canvas of the cropped size, measuring every text again (issue 16: about 40% of a chart's
    cost). Here the figure is drawn once, at the dpi its layout pass already used
    (:data:`SAVE_DPI`), on its canvas widened by :data:`DRAW_MARGIN` on every side (for what
    reaches past the canvas: long tick labels, bar labels, legends), and cut to the pixels it
    inked, padded by ``savefig.pad_inches`` (:func:`_ink_box`): no pass over its artists'
    extents is needed.

    When ink lies on the widened canvas's edge (something may reach past it), when a legend or a
    text is placed past it (:func:`_placed_past_canvas`: drawn there, it leaves no ink), or when
    the background is not opaque, the figure is saved with ``bbox_inches="tight"`` instead, so
    nothing is ever cut off.

    A text with ``wrap=True`` would be broken to the widened canvas's width here: break titles
    with :func:`tight_layout` instead.
    """
    import matplotlib as mpl
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.colors import to_rgba
    from matplotlib.layout_engine import PlaceHolderLayoutEngine
    from matplotlib.transforms import Bbox

    if fig.dpi != SAVE_DPI:
        fig.set_dpi(SAVE_DPI)
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    width, height = fig.get_size_inches()
    widened = Bbox.from_extents(-DRAW_MARGIN, -DRAW_MARGIN, width + DRAW_MARGIN,
                                height + DRAW_MARGIN)
    if isinstance(fig.get_layout_engine(), PlaceHolderLayoutEngine):
        # What fig.tight_layout() leaves: it lays nothing out, but savefig would make a measuring
        # draw for it. Without it, savefig with an explicit box draws once and measures nothing.
        fig.set_layout_engine(None)
    fig.savefig(io.BytesIO(), format="rgba", dpi=SAVE_DPI, bbox_inches=widened)
    rgba = np.asarray(canvas.buffer_rgba())
    pad = round(mpl.rcParams["savefig.pad_inches"] * SAVE_DPI)
    facecolor = to_rgba(fig.get_facecolor())
    background = np.round(np.array(facecolor) * 255).astype(np.uint8)
    box = None
    margin = round(DRAW_MARGIN * SAVE_DPI)
    if facecolor[3] == 1 and not _placed_past_canvas(fig, canvas.get_renderer(), margin):
        box = _ink_box(rgba, background, pad)
    buf = io.BytesIO()
    if box is not None:
        _write_png(buf, _crop(rgba, box, background))
        return buf.getvalue()
    fig.savefig(
        buf, format="png", dpi=SAVE_DPI, bbox_inches="tight",
        pil_kwargs={"compress_level": PNG_COMPRESS_LEVEL},
    )
    return buf.getvalue()


def _placed_past_canvas(fig: Any, renderer: Any, margin: int) -> bool:
    """Whether a drawn figure has a legend, or a text's anchor, further than ``margin`` pixels
    past its canvas.

    Such an artist may lie wholly past the canvas's edge, where it leaves no ink to find. Tick
    labels are not looked at: they sit next to their axes, and any that reached past the edge
    would leave ink at the edge (:func:`_ink_box`). Texts are checked at their anchor (after
    drawing, an annotation's anchor is its text's position), which lies on their box, without
    measuring them.
    """
    from matplotlib.legend import Legend
    from matplotlib.text import Text

    width, height = fig.canvas.get_width_height()
    low, right, top = -margin, width + margin, height + margin
    artists = [*fig.texts, *fig.legends]
    for ax in fig.axes:
        if ax.get_visible():
            artists += [a for a in ax.get_children() if isinstance(a, Text | Legend)]
            if ax.axison:
                artists += [ax.xaxis.label, ax.yaxis.label]
    for artist in artists:
        if not artist.get_visible():
            continue
        if isinstance(artist, Legend):
            box = artist.get_window_extent(renderer)
            if box.x0 < low or box.y0 < low or box.x1 > right or box.y1 > top:
                return True
        elif artist.get_text():
            x, y = artist.get_transform().transform(artist.get_unitless_position())
            if not (low <= x <= right and low <= y <= top):
                return True
    return False


def _ink_box(rgba: Any, background: Any, pad: int) -> tuple[int, int, int, int] | None:
    """Rows and columns (top, bottom, left, right; ends excluded) of the pixels that differ from
    ``background`` (RGBA bytes), padded by ``pad`` pixels (the box may then reach past the
    canvas); None when nothing is drawn or ink lies on the canvas's outermost :data:`_EDGE`
    pixels (it may be cut there)."""
    import numpy as np

    # One 32-bit word per pixel: a single comparison instead of four.
    words = np.ascontiguousarray(rgba).view(np.uint32)[..., 0]
    ink = words != np.asarray(background, dtype=np.uint8).view(np.uint32)[0]
    rows = np.flatnonzero(ink.any(axis=1))
    cols = np.flatnonzero(ink.any(axis=0))
    height, width = ink.shape
    if (
        not len(rows)
        or rows[0] < _EDGE
        or cols[0] < _EDGE
        or rows[-1] >= height - _EDGE
        or cols[-1] >= width - _EDGE
    ):
        return None
    return int(rows[0] - pad), int(rows[-1] + 1 + pad), int(cols[0] - pad), int(cols[-1] + 1 + pad)


def _crop(rgba: Any, box: tuple[int, int, int, int], background: Any) -> Any:
    """The ``box`` (top, bottom, left, right) of ``rgba``; what lies past the canvas is
    ``background``."""
    import numpy as np

    top, bottom, left, right = box
    height, width = rgba.shape[:2]
    if top >= 0 and left >= 0 and bottom <= height and right <= width:
        return rgba[top:bottom, left:right]
    out = np.empty((bottom - top, right - left, 4), dtype=np.uint8)
    out[...] = background
    t, lf = max(top, 0), max(left, 0)
    out[t - top : min(bottom, height) - top, lf - left : min(right, width) - left] = rgba[
        t:bottom, lf:right
    ]
    return out


def _write_png(buf: io.BytesIO, pixels: Any) -> None:
    """Write RGBA pixels as a PNG: RGB when every pixel is opaque (the same image, a quarter
    less to compress), at :data:`PNG_COMPRESS_LEVEL`, with matplotlib's metadata and the dpi."""
    import matplotlib as mpl
    import numpy as np
    from PIL import Image, PngImagePlugin

    if bool((pixels[..., 3] == 255).all()):
        pixels = np.ascontiguousarray(pixels[..., :3])
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", f"Matplotlib version{mpl.__version__}, https://matplotlib.org/")
    Image.fromarray(pixels).save(
        buf, format="png", dpi=(SAVE_DPI, SAVE_DPI), pnginfo=info,
        compress_level=PNG_COMPRESS_LEVEL,
    )


def tight_layout(fig: Any, wrapped: Sequence[tuple[Any, str]] = ()) -> None:
    """``fig.tight_layout()``, with left-aligned texts broken into lines to fit the figure.

    Each ``(text, words)`` of ``wrapped`` is set to ``words`` broken where matplotlib's
    ``wrap=True`` breaks them (as many words on a line as fit between the text's anchor and the
    figure's right edge), before the layout pass and again after it, when the text has moved:
    with ``wrap=True`` matplotlib breaks the text again at every measurement and drawing
    (issue 16).
    """
    widths: dict[tuple[int, str], int] = {}  # the same lines are measured in both passes
    for text, words in wrapped:
        _break_lines(fig, text, words, widths)
    fig.tight_layout()
    for text, words in wrapped:
        _break_lines(fig, text, words, widths)


def _break_lines(fig: Any, text: Any, words: str, widths: dict[tuple[int, str], int]) -> None:
    """Set ``text`` to ``words``, a line break where the next word would pass the figure's
    right edge (left-aligned, unrotated text; mathtext is left to ``wrap=True``). ``widths``
    keeps the lines measured, by text."""
    import math

    if "$" in words or text.get_horizontalalignment() != "left" or text.get_rotation():
        text.set_text(words)
        text.set_wrap(True)
        return
    renderer = fig.canvas.get_renderer()
    prop = text.get_fontproperties()
    x0 = text.get_transform().transform(text.get_unitless_position())[0]
    room = fig.bbox.x1 - x0

    def width(line: str) -> int:
        key = (id(text), line)
        if key not in widths:
            measured = renderer.get_text_width_height_descent(line, prop, ismath=False)[0]
            widths[key] = math.ceil(measured)
        return widths[key]

    lines = []
    for paragraph in words.split("\n"):
        if width(paragraph) <= room:  # it fits: one measurement rather than one per word
            lines.append(paragraph)
            continue
        line, *rest = paragraph.split(" ")
        for word in rest:
            longer = f"{line} {word}"
            if width(longer) > room:
                lines.append(line)
                line = word
            else:
                line = longer
        lines.append(line)
    text.set_wrap(False)
    text.set_text("\n".join(lines))


def af_colours(n: int) -> list[str]:
    """Return ``n`` Analysis Function colours (repeating after six)."""
    return [AF_COLOURS[i % len(AF_COLOURS)] for i in range(n)]
