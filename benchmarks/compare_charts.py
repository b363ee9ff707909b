"""Compare the chart images of two renders of the pack, chart by chart (issue 16).

Usage::

    python benchmarks/compare_charts.py <reports_A> <reports_B> [--la E08000029 ...]

Each argument is a ``reports/`` folder (holding ``<LA>/<page>.html``) or one LA's folder. For every
page HTML present in both, the ``<img src="data:image/png;base64,...">`` charts are decoded in
order and compared: identical pixels, or the share of pixels that differ (over the larger of the
two images when their sizes differ), with each image's size in pixels and bytes and whether its
alt text is unchanged. The figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import base64
import html
import io
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


def la_folders(root: Path) -> dict[str, Path]:
    """LA code -> folder of a reports folder (or the folder itself when it is one LA's)."""
    if any(root.glob("[0-9][0-9]_*.html")):
        return {root.name: root}
    return {p.name: p for p in sorted(root.iterdir()) if p.is_dir() and any(p.glob("*.html"))}


def compare(a_root: Path, b_root: Path, las: list[str]) -> None:
    """Print the comparison of every chart of the LAs both folders hold."""
    a_las, b_las = la_folders(a_root), la_folders(b_root)
    common = [la for la in a_las if la in b_las and (not las or la in las)]
    totals = {"charts": 0, "identical": 0, "bytes_a": 0, "bytes_b": 0}
    print("LA page #: result | A width x height, bytes | B width x height, bytes | alt")
    for la in common:
        for page_a in sorted(a_las[la].glob("[0-9][0-9]_*.html")):
            page_b = b_las[la] / page_a.name
            if not page_b.exists():
                continue
            charts_a, charts_b = page_charts(page_a), page_charts(page_b)
            if len(charts_a) != len(charts_b):
                print(f"{la} {page_a.stem}: {len(charts_a)} charts in A, {len(charts_b)} in B")
            for i, ((alt_a, png_a), (alt_b, png_b)) in enumerate(
                zip(charts_a, charts_b, strict=False), start=1
            ):
                pa, pb = pixels(png_a), pixels(png_b)
                same = pa.shape == pb.shape and np.array_equal(pa, pb)
                result = "identical" if same else f"{differing_share(pa, pb):6.1%} differ"
                totals["charts"] += 1
                totals["identical"] += same
                totals["bytes_a"] += len(png_a)
                totals["bytes_b"] += len(png_b)
                print(
                    f"{la} {page_a.stem[:2]} {i:2d}: {result:>11} | "
                    f"{pa.shape[1]}x{pa.shape[0]}, {len(png_a):,} | "
                    f"{pb.shape[1]}x{pb.shape[0]}, {len(png_b):,} | "
                    f"{'same' if alt_a == alt_b else 'CHANGED'}"
                )
    print(
        f"{totals['charts']} charts, {totals['identical']} identical; PNG bytes "
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
