"""Compare the chart images of two renders of the pack, chart by chart (issue 16).

Usage::

    python benchmarks/compare_charts.py <reports_A> <reports_B> [--la E08000029 ...]

Each argument is a ``reports/`` folder (holding ``<LA>/<page>.html``) or one LA's folder, or a
folder of ``profile_charts.py --png-dir`` outputs (``<LA>/<notebook>_<n>.png`` with ``alt.json``)
or one of them. For every page present in both, its charts (the
``<img src="data:image/png;base64,...">`` of its HTML, or its PNGs in order of their names) are
compared: identical pixels, or the share of pixels that differ (over the larger of the two
images when their sizes differ), with each image's size in pixels and bytes and whether its alt
text is unchanged. Images that differ are compared again cut to their ink (the pixels that
differ from the background, the top-left pixel's colour): "same ink" when only the blank
margins around the same drawing changed, else the share of inked pixels that differ and the
change in the inked area's size. The figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import base64
import html
import io
import json
import re
from pathlib import Path

import numpy as np
from PIL import Image

_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_SRC = re.compile(r'src="data:image/png;base64,([^"]+)"')
_ALT = re.compile(r'alt="([^"]*)"')


def page_charts(page: Path) -> list[tuple[str, bytes]]:
    """(alt text, PNG bytes) of each embedded PNG chart of a page's HTML, in order."""
    out = []
    for tag in _IMG.findall(page.read_text(encoding="utf-8")):
        src = _SRC.search(tag)
        if src is None:
            continue
        alt = _ALT.search(tag)
        out.append((html.unescape(alt.group(1)) if alt else "", base64.b64decode(src.group(1))))
    return out


def pixels(png: bytes) -> np.ndarray:
    """The RGBA pixels of a PNG."""
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


def differing_share(a: np.ndarray, b: np.ndarray) -> float:
    """Share of pixels that differ, over the larger canvas (aligned at the top left)."""
    h, w = max(a.shape[0], b.shape[0]), max(a.shape[1], b.shape[1])
    pa = np.zeros((h, w, 4), dtype=np.uint8)
    pb = np.zeros((h, w, 4), dtype=np.uint8)
    pa[: a.shape[0], : a.shape[1]] = a
    pb[: b.shape[0], : b.shape[1]] = b
    return float((pa != pb).any(axis=2).mean())


def ink(a: np.ndarray) -> np.ndarray:
    """The smallest rectangle of ``a`` holding every pixel unlike its top-left pixel."""
    drawn = (a != a[0, 0]).any(axis=2)
    rows, cols = np.flatnonzero(drawn.any(axis=1)), np.flatnonzero(drawn.any(axis=0))
    if not len(rows):
        return a[:0, :0]
    return a[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def ink_result(a: np.ndarray, b: np.ndarray) -> str:
    """"same ink" or the share of inked pixels that differ, with the inked size's change."""
    ia, ib = ink(a), ink(b)
    if ia.shape == ib.shape and np.array_equal(ia, ib):
        return "same ink"
    dh, dw = ib.shape[0] - ia.shape[0], ib.shape[1] - ia.shape[1]
    return f"ink {differing_share(ia, ib):.1%} differ, {dw:+d}x{dh:+d} px"


def png_charts(folder: Path) -> dict[str, list[tuple[str, bytes]]]:
    """Notebook -> (alt text, PNG bytes) of each chart a ``--png-dir`` folder holds, in order."""
    alt_file = folder / "alt.json"
    alts = json.loads(alt_file.read_text(encoding="utf-8")) if alt_file.exists() else {}
    out: dict[str, list[tuple[str, bytes]]] = {}
    for png in sorted(folder.glob("[0-9][0-9]*_[0-9][0-9].png")):
        notebook = png.stem.rsplit("_", 1)[0]
        out.setdefault(notebook, []).append((alts.get(png.name, ""), png.read_bytes()))
    return out


def folder_charts(folder: Path) -> dict[str, list[tuple[str, bytes]]]:
    """Page (or notebook) -> its charts, from page HTML files or ``--png-dir`` PNGs."""
    pages = sorted(folder.glob("[0-9][0-9]_*.html"))
    if pages:
        return {p.stem: page_charts(p) for p in pages}
    return png_charts(folder)


def la_folders(root: Path) -> dict[str, Path]:
    """LA code -> folder of a reports folder (or the folder itself when it is one LA's)."""
    def holds_charts(p: Path) -> bool:
        return any(p.glob("[0-9][0-9]_*.html")) or any(p.glob("[0-9][0-9]*_[0-9][0-9].png"))

    if holds_charts(root):
        return {root.name: root}
    return {p.name: p for p in sorted(root.iterdir()) if p.is_dir() and holds_charts(p)}


def compare(a_root: Path, b_root: Path, las: list[str]) -> None:
    """Print the comparison of every chart of the LAs both folders hold."""
    a_las, b_las = la_folders(a_root), la_folders(b_root)
    common = [la for la in a_las if la in b_las and (not las or la in las)]
    totals = {"charts": 0, "identical": 0, "same ink": 0, "bytes_a": 0, "bytes_b": 0}
    print("LA page #: result | A width x height, bytes | B width x height, bytes | alt")
    for la in common:
        pages_a, pages_b = folder_charts(a_las[la]), folder_charts(b_las[la])
        for page in pages_a:
            if page not in pages_b:
                continue
            charts_a, charts_b = pages_a[page], pages_b[page]
            if len(charts_a) != len(charts_b):
                print(f"{la} {page}: {len(charts_a)} charts in A, {len(charts_b)} in B")
            for i, ((alt_a, png_a), (alt_b, png_b)) in enumerate(
                zip(charts_a, charts_b, strict=False), start=1
            ):
                pa, pb = pixels(png_a), pixels(png_b)
                same = pa.shape == pb.shape and np.array_equal(pa, pb)
                result = "identical" if same else f"{differing_share(pa, pb):6.1%} differ"
                if not same:
                    inked = ink_result(pa, pb)
                    result += f" ({inked})"
                    totals["same ink"] += inked == "same ink"
                totals["charts"] += 1
                totals["identical"] += same
                totals["bytes_a"] += len(png_a)
                totals["bytes_b"] += len(png_b)
                print(
                    f"{la} {page[:2]} {i:2d}: {result} | "
                    f"{pa.shape[1]}x{pa.shape[0]}, {len(png_a):,} | "
                    f"{pb.shape[1]}x{pb.shape[0]}, {len(png_b):,} | "
                    f"{'same' if alt_a == alt_b else 'CHANGED'}"
                )
    print(
        f"{totals['charts']} charts, {totals['identical']} identical, "
        f"{totals['same ink']} with the same ink in other margins; PNG bytes "
        f"A {totals['bytes_a']:,}, B {totals['bytes_b']:,}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("reports_a", type=Path)
    parser.add_argument("reports_b", type=Path)
    parser.add_argument("--la", nargs="*", default=[], help="only these LA codes")
    args = parser.parse_args()
    compare(args.reports_a, args.reports_b, args.la)


if __name__ == "__main__":
    main()
