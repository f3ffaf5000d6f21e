"""Sources of an answer: the rows of the citation table and the page crop with the cited cell highlighted."""

from __future__ import annotations

from collections.abc import Sequence

from PIL import Image, ImageDraw

from app.answer import Answer, Citation

RESOLUTION = 144  # pixels per inch for page crops: table text stays legible at half the screen width
ABOVE, BELOW = 120, 60  # points of page kept above and below the cited cell: the header rows and a few rows after
HIGHLIGHT_FILL = (255, 214, 0, 110)
HIGHLIGHT_LINE = (214, 39, 40, 255)

BBox = tuple[float, float, float, float]


def citation_rows(citations: Sequence[Citation]) -> list[dict[str, str]]:
    """One row per source, in Chinese, for the table under each answer."""
    return [
        {
            "单位": c.unit_name,
            "年度": f"{c.year}" if c.year else "",
            "页码": c.page_text,
            "表格/章节": c.table,
            "行": c.row,
            "列": c.column,
            "数值": c.value or "",
        }
        for c in citations
    ]


def side_by_side(answer: Answer) -> list[dict[str, str]]:
    """One row per document when the answer gives the same item of several units or years (列出2017到2019年的
    三公经费), in document order; empty otherwise."""
    if answer.status == "refused" or answer.value is None:
        return []
    rows: dict[tuple[str, int | None], dict[str, str]] = {}
    for c in answer.citations:
        if c.value is not None and c.row:
            rows.setdefault((c.unit_name, c.year), {"单位": c.unit_name, "年度": f"{c.year}" if c.year else "",
                                                    "项目": c.row, "数值": c.value, "单位（金额）": c.unit or ""})
    items = {r["项目"] for r in rows.values()}
    return list(rows.values()) if len(rows) >= 2 and len(items) == 1 else []


def figure_citation(answer: Answer) -> Citation | None:
    """The citation the answer's own figure comes from (its value matches), else the first one."""
    if not answer.citations:
        return None
    if answer.value is not None:
        for c in answer.citations:
            try:
                if c.value is not None and float(c.value) == float(answer.value):  # equality of document digits
                    return c
            except ValueError:
                continue
    return answer.citations[0]


def region_around(bbox: BBox, page_width: float, page_height: float) -> BBox:
    """The band of the page shown for a cell: full width, from above its header rows to just below it."""
    _, top, _, bottom = bbox
    return (0.0, max(0.0, top - ABOVE), page_width, min(page_height, bottom + BELOW))


def highlight_crop(page: Image.Image, cell: BBox, resolution: int = RESOLUTION) -> Image.Image:
    """Crop a full-page render to the band around a cell and draw the cell's box on it."""
    scale = resolution / 72  # PDF points → pixels
    width, height = page.width / scale, page.height / scale
    x0, top, x1, bottom = region_around(cell, width, height)
    crop = page.convert("RGBA").crop((round(x0 * scale), round(top * scale), round(x1 * scale), round(bottom * scale)))
    overlay = Image.new("RGBA", crop.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    pad = 3
    box = ((cell[0] - x0) * scale - pad, (cell[1] - top) * scale - pad,
           (cell[2] - x0) * scale + pad, (cell[3] - top) * scale + pad)
    draw.rectangle(box, fill=HIGHLIGHT_FILL, outline=HIGHLIGHT_LINE, width=4)
    return Image.alpha_composite(crop, overlay).convert("RGB")


def page_image(service, doc_id: str, page: int, resolution: int = RESOLUTION) -> Image.Image | None:
    """A whole page of a loaded document; None when its PDF is not archived."""
    return service.page_image(doc_id, page, None, None, resolution)


def source_image(service, citation: Citation, resolution: int = RESOLUTION) -> Image.Image | None:
    """The page band around a cited cell with the cell highlighted; None when there is no cell or no PDF."""
    if citation.bbox is None:
        return None
    # The whole page is rendered and cropped here, so pixel offsets are ours to know exactly.
    page = page_image(service, citation.doc_id, citation.page, resolution)
    if page is None:
        return None
    return highlight_crop(page, citation.bbox, resolution)
