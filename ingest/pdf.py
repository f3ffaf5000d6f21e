"""Read a PDF into pages of text lines and ruled-table grids; the only module that imports pdfplumber."""

from __future__ import annotations

import re
from collections.abc import Iterator
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

    def render_region(self, page: int, bbox: BBox | None, highlight: BBox | None = None, resolution: int = 110):
        """A PIL image of a page region with a cell highlighted (for the UI's sources)."""
        raw = self._pdf.pages[page - 1]
        region = raw.crop(_pad(bbox, raw), strict=False) if bbox else raw
        image = region.to_image(resolution=resolution)
        if highlight:
            image.draw_rect(highlight, fill=(255, 230, 0, 90), stroke=(220, 40, 40), stroke_width=2)
        return image.original


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
