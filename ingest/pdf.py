"""Read a PDF into pages of text lines and ruled-table grids; the only module that imports pdfplumber."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.pdfparser import PDFSyntaxError
from pdfminer.psparser import PSException

from store.errors import BadInputError
from store.models import BBox

# A char whose text matrix is rotated is a watermark (仅供内部审核 drawn diagonally across
# the page); budget documents print all their real text upright.
_ROTATION_EPS = 0.01
_CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")


@dataclass(frozen=True)
class Line:
    """A line of text outside any table, in reading order."""

    text: str
    bbox: BBox
    size: float


@dataclass(frozen=True)
class Cell:
    """A table cell with its text and the grid rows/columns it spans."""

    text: str
    bbox: BBox
    row_span: int = 1
    col_span: int = 1


@dataclass(frozen=True)
class RawTable:
    """A ruled grid as drawn on one page; None marks a position covered by a merged cell."""

    page: int
    bbox: BBox
    rows: tuple[tuple[Cell | None, ...], ...]
    col_x: tuple[float, ...]  # left edge of each grid column, for matching continuations


@dataclass(frozen=True)
class Page:
    """One page: its lines and tables, each list in top-to-bottom order."""

    number: int
    width: float
    height: float
    lines: tuple[Line, ...]
    tables: tuple[RawTable, ...]
    char_count: int
    image_count: int


@dataclass(frozen=True)
class PdfInfo:
    """What the file says about itself before any page is read."""

    pages: int
    title: str


def _upright(obj: dict) -> bool:
    if obj.get("object_type") != "char":
        return True
    m = obj.get("matrix") or (1, 0, 0, 1, 0, 0)
    return abs(m[1]) < _ROTATION_EPS and abs(m[2]) < _ROTATION_EPS


_SPACE_BY_CJK = re.compile(r"(?<=[\u3000-\u9fff\uff00-\uffef.．、])\s+|\s+(?=[\u3000-\u9fff\uff00-\uffef])")


def join_wrapped(text: str) -> str:
    """Join a cell's wrapped lines: no space between Chinese characters, one between words."""
    parts = [_SPACE_BY_CJK.sub("", p.strip()) for p in text.split("\n") if p.strip()]
    if not parts:
        return ""
    out = parts[0]
    for part in parts[1:]:
        if _CJK.search(out[-1]) or _CJK.search(part[0]) or out[-1] in "/-（(" or part[0] in "）)%":
            out += part
        else:
            out += " " + part
    return out


QUOTED_LINE = 6  # characters a line must have to be said to be quoted (a bare "一、" or "。" is in every text)


class PdfFile:
    """An open PDF; pages are read lazily so callers can report progress page by page."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._pdf = _open(self.path)

    def __enter__(self) -> PdfFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the file."""
        self._pdf.close()

    @property
    def info(self) -> PdfInfo:
        """Page count and the title the producer recorded (never trusted for metadata)."""
        meta = self._pdf.metadata or {}
        title = meta.get("Title") if isinstance(meta.get("Title"), str) else ""
        return PdfInfo(pages=len(self._pdf.pages), title=title or "")

    def pages(self) -> Iterator[Page]:
        """Yield each page as lines and table grids, watermark removed."""
        for index, raw in enumerate(self._pdf.pages):
            try:
                yield _read_page(raw, index + 1)
            except (PSException, PDFSyntaxError, ValueError, KeyError, TypeError) as exc:
                raise BadInputError(
                    str(self.path), f"damaged PDF: page {index + 1} cannot be read ({exc})", "damaged"
                ) from exc
            finally:
                raw.flush_cache()

    def render_region(self, page: int, bbox: BBox | None, highlight: BBox | Sequence[BBox] | None = None,
                      resolution: int = 110):
        """A PIL image of a page region with a cell (or several lines) highlighted, for the UI's sources."""
        raw = self._pdf.pages[page - 1]
        region = raw.crop(_pad(bbox, raw), strict=False) if bbox else raw
        image = region.to_image(resolution=resolution)
        boxes = [highlight] if highlight and isinstance(highlight[0], (int, float)) else list(highlight or ())
        for box in boxes:  # drawn on the annotated copy: .original stays the plain render
            image.draw_rect(box, fill=(255, 230, 0, 90), stroke=(220, 40, 40), stroke_width=3 if len(boxes) == 1 else 1)
        return image.annotated if boxes else image.original

    def quoted_lines(self, page: int, quoted: str, shortest: int = QUOTED_LINE) -> list[BBox]:
        """The boxes of the page's text lines that the quoted text contains (a passage an answer cites)."""
        wanted = _squeezed(quoted)
        raw = self._pdf.pages[page - 1]
        try:
            lines = _read_page(raw, page).lines  # the lines as ingest read them: watermark gone, tables apart
        finally:
            raw.flush_cache()
        return [line.bbox for line in lines if len(text := _squeezed(line.text)) >= shortest and text in wanted]


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _pad(bbox: BBox, raw) -> BBox:
    x0, top, x1, bottom = bbox
    return (max(0, x0 - 20), max(0, top - 40), min(raw.width, x1 + 20), min(raw.height, bottom + 40))


def _open(path: Path):
    if not path.exists():
        raise BadInputError(str(path), "no such file", "missing")
    if path.is_dir():
        raise BadInputError(str(path), "is a folder, not a PDF file", "not_pdf")
    with path.open("rb") as fh:
        head = fh.read(1024)
    if not head:
        raise BadInputError(str(path), "empty file (0 bytes)", "empty")
    if b"%PDF-" not in head:
        raise BadInputError(str(path), "not a PDF (no %PDF header)", "not_pdf")
    try:
        pdf = pdfplumber.open(path)
        _ = pdf.pages  # forces the page tree, where truncated files fail
    except (PDFPasswordIncorrect, PDFEncryptionError) as exc:
        raise BadInputError(str(path), "encrypted PDF: remove the password and ingest again", "encrypted") from exc
    except Exception as exc:  # pdfminer raises many types for broken files
        inner = exc.args[0] if exc.args else None  # pdfplumber wraps pdfminer's error as its first arg
        if isinstance(inner, (PDFPasswordIncorrect, PDFEncryptionError)) or "password" in str(exc).lower():
            raise BadInputError(
                str(path), "encrypted PDF: remove the password and ingest again", "encrypted"
            ) from exc
        raise BadInputError(str(path), f"damaged or truncated PDF ({type(exc).__name__})", "damaged") from exc
    if len(pdf.pages) == 0:
        pdf.close()
        raise BadInputError(str(path), "PDF has zero pages", "empty")
    return pdf


def _read_page(raw, number: int) -> Page:
    page = raw.filter(_upright)
    found = page.find_tables()  # line strategy: rulings drawn as lines or thin rects
    tables = [t for t in (_grid(t, number) for t in found) if t is not None]
    if not tables:
        tables = _unruled_tables(page, number)
    boxes = [t.bbox for t in tables]
    lines = [
        Line(text=ln["text"].strip(), bbox=(ln["x0"], ln["top"], ln["x1"], ln["bottom"]), size=_size(ln))
        for ln in page.extract_text_lines(strip=True, return_chars=True)
        if ln["text"].strip() and not any(_inside(ln, box) for box in boxes)
    ]
    return Page(
        number=number,
        width=float(raw.width),
        height=float(raw.height),
        lines=tuple(lines),
        tables=tuple(sorted(tables, key=lambda t: t.bbox[1])),
        char_count=len(page.chars),
        image_count=len(raw.images),
    )


_FIGURE_CELL = re.compile(r"^-?[\d,]+\.\d+$|^-?\d{1,3}(,\d{3})+$")
TEXT_SETTINGS = {"vertical_strategy": "text", "horizontal_strategy": "text", "min_words_vertical": 2}
_ISSUER_LINE = re.compile(r"单位\s*[:：]|编制(单位|部门)")
HEADER_BAND = 60  # points above an unruled table searched for its column headers


def _unruled_tables(page, number: int) -> list[RawTable]:
    """Tables drawn without rulings, found by text alignment; their headers read from the words above."""
    out = []
    for table in page.find_tables(TEXT_SETTINGS):
        rows = table.extract()
        figures = sum(1 for row in rows for cell in row if cell and _FIGURE_CELL.match(cell.strip()))
        if len(rows) < 2 or len(rows[0]) < 2 or figures < 3:
            continue  # aligned prose, not a table of figures
        grid = _grid(table, number)
        if grid is None:
            continue
        header = _header_from_words(page, grid, number)
        rows_out = ((header,) if header else ()) + tuple(r for r in grid.rows if any(c and c.text for c in r))
        out.append(RawTable(page=number, bbox=grid.bbox, rows=rows_out, col_x=grid.col_x))
    return out


def _header_from_words(page, grid: RawTable, number: int) -> tuple[Cell | None, ...] | None:
    """One header row: the words just above the table, each under the column its centre falls in."""
    x0, top, x1, _ = grid.bbox
    start = max(0, top - HEADER_BAND)
    for ln in page.extract_text_lines(strip=True):
        if start <= ln["top"] < top and _ISSUER_LINE.search(ln["text"]):
            start = ln["bottom"] + 0.5  # the header starts below the "单位名称：… 单位：万元" line
    band = page.within_bbox((0, start, page.width, top - 0.5), strict=False)
    words = band.extract_words(keep_blank_chars=False)
    if not words:
        return None
    edges = list(grid.col_x) + [x1]
    # Figures are right-aligned and headers centred: a header word belongs to the column whose cells'
    # centre is nearest to its own, among the columns it overlaps.
    centres = []
    for i in range(len(grid.col_x)):
        boxes = [r[i].bbox for r in grid.rows if i < len(r) and r[i] is not None and r[i].text]
        centres.append(sum((b[0] + b[2]) / 2 for b in boxes) / len(boxes) if boxes else (edges[i] + edges[i + 1]) / 2)
    texts: list[list[str]] = [[] for _ in grid.col_x]
    for w in sorted(words, key=lambda w: (round(w["top"]), w["x0"])):
        centre = (w["x0"] + w["x1"]) / 2
        if centre < x0 - 20 or centre > x1 + 40:
            continue
        texts[min(range(len(centres)), key=lambda i: abs(centres[i] - centre))].append(w["text"])
    if not any(texts):
        return None
    return tuple(Cell(text=join_wrapped(" ".join(t)), bbox=(edges[i], top - HEADER_BAND, edges[i + 1], top))
                 for i, t in enumerate(texts))


def _size(line: dict) -> float:
    chars = line.get("chars") or []
    return max((c.get("size", 0.0) for c in chars), default=0.0)


def _inside(line: dict, box: BBox) -> bool:
    cx = (line["x0"] + line["x1"]) / 2
    cy = (line["top"] + line["bottom"]) / 2
    return box[0] - 1 <= cx <= box[2] + 1 and box[1] - 1 <= cy <= box[3] + 1


def _grid(table, number: int) -> RawTable | None:
    texts = table.extract()
    if not texts or len(texts) < 1:
        return None
    row_tops = [r.bbox[1] for r in table.rows]
    col_x = sorted({c[0] for c in table.cells})  # as pdfplumber indexes row.cells
    rows: list[tuple[Cell | None, ...]] = []
    for r_index, row in enumerate(table.rows):
        cells: list[Cell | None] = []
        for c_index, bbox in enumerate(row.cells):
            if bbox is None:
                cells.append(None)
                continue
            text = texts[r_index][c_index] if c_index < len(texts[r_index]) else ""
            cells.append(
                Cell(
                    text=join_wrapped(text or ""),
                    bbox=tuple(bbox),
                    row_span=max(1, sum(1 for top in row_tops if bbox[1] - 0.5 <= top < bbox[3] - 1)),
                    col_span=max(1, sum(1 for x in col_x if bbox[0] - 0.5 <= x < bbox[2] - 1)),
                )
            )
        rows.append(tuple(cells))
    if len(col_x) < 2:
        return None
    return RawTable(page=number, bbox=tuple(table.bbox), rows=tuple(rows), col_x=tuple(col_x))
