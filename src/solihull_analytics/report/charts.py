"""The pack's chart style and how a chart becomes a PNG.

Charts follow the Government Analysis Function style (afcharts): its colour-blind-safe palette,
paired line styles and markers (meaning is never carried by colour alone), left-aligned titles,
light grid. :func:`png_bytes` saves a chart cropped to what it draws, drawing it once.
:class:`~solihull_analytics.report.page.Page` shows charts with these; the pages' own
``charts.py`` modules draw them.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
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
    """Return ``fig`` as a PNG cropped to what it draws (``bbox_inches="tight"``), drawn once.

    ``savefig(bbox_inches="tight")`` draws the figure twice: once to measure it, once more on a
    new canvas of the cropped size, measuring every text again (issue 16: about 40% of a chart's
    cost). Here the figure is measured with the renderer its layout pass already used (same
    dpi, :data:`SAVE_DPI`), then drawn once:

    - when its tight bounding box (padded by ``savefig.pad_inches``, rounded out to whole
      pixels) lies on the canvas, that box is cut from the drawn image (measured again after
      drawing, which places titles, tick labels and legends);
    - otherwise (a title or legend reaching past the canvas) it is saved with that box, and if
      anything then touches the image's border (the box was measured short) it is saved again
      with ``bbox_inches="tight"``, so nothing is ever cut off.
    """

    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.transforms import Bbox

    if fig.dpi != SAVE_DPI:
        fig.set_dpi(SAVE_DPI)
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    renderer = canvas.get_renderer()
    box = _pixel_box(fig, renderer)
    width, height = canvas.get_width_height()
    inside = box[0] >= 0 and box[1] >= 0 and box[2] <= width and box[3] <= height
    buf = io.BytesIO()
    if inside:
        canvas.draw()
        # Measured again after drawing: drawing places titles, tick labels and legends.
        drawn = _pixel_box(fig, canvas.get_renderer())
        x0, y0, x1, y1 = drawn
        if x0 >= 0 and y0 >= 0 and x1 <= width and y1 <= height:
            pixels = np.asarray(canvas.buffer_rgba())[height - y1 : height - y0, x0:x1]
            _write_png(buf, pixels)
            return buf.getvalue()
        box = drawn
    inches = Bbox.from_extents(*box).transformed(fig.dpi_scale_trans.inverted())
    fig.savefig(
        buf, format="png", dpi=SAVE_DPI, bbox_inches=inches, pad_inches=0,
        pil_kwargs={"compress_level": PNG_COMPRESS_LEVEL},
    )
    if not _blank_border(buf.getvalue(), fig.get_facecolor()):
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=SAVE_DPI, bbox_inches="tight")
    return buf.getvalue()


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


def _pixel_box(fig: Any, renderer: Any) -> tuple[int, int, int, int]:
    """The figure's tight bounding box in pixels, padded by ``savefig.pad_inches``, rounded out."""
    import math

    import matplotlib as mpl

    pad = mpl.rcParams["savefig.pad_inches"] * fig.dpi
    box = fig.get_tightbbox(renderer).transformed(fig.dpi_scale_trans).padded(pad)
    return math.floor(box.x0), math.floor(box.y0), math.ceil(box.x1), math.ceil(box.y1)


def _blank_border(png: bytes, facecolor: Any) -> bool:
    """Whether the outermost two pixels of a PNG are all the background (nothing cut off)."""
    import numpy as np
    from matplotlib.colors import to_rgba_array
    from PIL import Image

    rgba = np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))
    background = np.round(to_rgba_array(facecolor)[0] * 255).astype(np.uint8)
    edges = np.concatenate(
        [rgba[:2].reshape(-1, 4), rgba[-2:].reshape(-1, 4),
         rgba[:, :2].reshape(-1, 4), rgba[:, -2:].reshape(-1, 4)]
    )
    return bool((edges == background).all())


def af_colours(n: int) -> list[str]:
    """Return ``n`` Analysis Function colours (repeating after six)."""
    return [AF_COLOURS[i % len(AF_COLOURS)] for i in range(n)]
