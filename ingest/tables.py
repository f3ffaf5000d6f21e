"""Ruled grids → tables that know their title, kind, unit, header paths and continuation pages."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ingest.issuer import issuer
from ingest.kinds import looks_like_title, table_kind
from ingest.numbers import parse_number, unit_of_amounts
from ingest.pdf import Cell, Line, Page, RawTable
from store.models import BBox

MAX_HEADER_ROWS = 5
_TOTAL = re.compile(r"^(合计|总计|本年(收入|支出)合计|收入总计|支出总计|部门合计)")
_CODEISH = re.compile(r"^\d{3}(\d{2}){0,2}$|^\d{2}$")
_YEAR_NOTE = re.compile(r"^[（(]?\s*\d{4}\s*年度?\s*[)）]?$")


@dataclass(frozen=True)
class GridRow:
    """A data row as printed, with the page it sits on."""

    page: int
    cells: tuple[Cell | None, ...]


@dataclass(frozen=True)
class TableBlock:
    """A whole table, joined across pages, with one header path per grid column."""

    title: str
    kind: str
    unit_of_amount: str | None
    columns: tuple[tuple[str, ...], ...]  # header path per grid column
    header_cells: tuple[tuple[Cell | None, ...], ...]
    rows: tuple[GridRow, ...]
    pages: tuple[int, ...]
    bbox: BBox
    empty: bool
    notes: tuple[str, ...] = ()
    issuer: str = ""  # the body its 部门：/单位名称： line names
    issuer_scope: str = ""  # 部门 | 单位, by that line's key

    @property
    def width(self) -> int:
        """Number of grid columns."""
        return len(self.columns)


def cover(rows: list[tuple[Cell | None, ...]]) -> list[list[Cell | None]]:
    """For every grid position, the cell that covers it (merged cells repeat over their span)."""
    height = len(rows)
    width = max((len(r) for r in rows), default=0)
    grid: list[list[Cell | None]] = [[None] * width for _ in range(height)]
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            if cell is None:
                continue
            for rr in range(r, min(height, r + cell.row_span)):
                for cc in range(c, min(width, c + cell.col_span)):
                    if grid[rr][cc] is None:
                        grid[rr][cc] = cell
    return grid


def _text(cell: Cell | None) -> str:
    return cell.text.strip() if cell else ""


def _is_numbering(row: tuple[Cell | None, ...]) -> bool:
    """A 栏次 row: 1 2 3 … printed under the header."""
    texts = [_text(c) for c in row if _text(c)]
    return len(texts) >= 3 and texts == [str(i) for i in range(int(texts[0]), int(texts[0]) + len(texts))] \
        if texts and texts[0].isdigit() else False


def _is_data(row: tuple[Cell | None, ...]) -> bool:
    texts = [_text(c) for c in row]
    if not any(texts):
        return True
    if _is_numbering(row):
        return False
    first = next(t for t in texts if t)
    if _TOTAL.match(first) and all(not t or parse_number(t) is not None for t in texts[texts.index(first) + 1:]):
        return True
    return any(parse_number(t) is not None and ("." in t or "," in t or not _CODEISH.match(t)) for t in texts if t) \
        or any(re.fullmatch(r"\d{3}(\d{2}){0,2}", t) for t in texts[:3] if t)


def _title_rows(rows: list[tuple[Cell | None, ...]]) -> tuple[list[str], int]:
    """Leading grid rows that hold the title or the 单位 line (some producers rule them in)."""
    lines, n = [], 0
    for row in rows[:6]:
        texts = [_text(c) for c in row if _text(c)]
        joined = " ".join(texts)
        if not texts:
            n += 1
            continue
        if len(texts) <= 3 and (looks_like_title(joined) or unit_of_amounts(joined) or issuer(joined)):
            lines.append(joined)
            n += 1
            continue
        break
    return lines, n


def _label_only(row: tuple[Cell | None, ...]) -> bool:
    """A row naming an item whose figures are all blank: real cells, one label, nothing else."""
    texts = [_text(c) for c in row]
    filled = [i for i, t in enumerate(texts) if t]
    return len(filled) == 1 and filled[0] <= 1 and all(c is not None for c in row[filled[0] + 1:])


def _header_depth(rows: list[tuple[Cell | None, ...]]) -> int:
    for i, row in enumerate(rows[:MAX_HEADER_ROWS + 1]):
        if _is_data(row) or (i > 0 and _label_only(row)):
            return i
    return min(len(rows), 2)


def _paths(header: list[tuple[Cell | None, ...]], width: int) -> tuple[tuple[str, ...], ...]:
    grid = cover(header) if header else []
    paths = []
    for c in range(width):
        path: list[str] = []
        seen: set[int] = set()
        for r in range(len(grid)):
            cell = grid[r][c] if c < len(grid[r]) else None
            if cell is None or id(cell) in seen:
                continue
            seen.add(id(cell))
            text = _text(cell)
            if text and not text.isdigit():
                path.append(text)
        paths.append(tuple(path))
    return tuple(paths)


def _context(lines: Iterable[Line], top: float, bottom: float) -> list[Line]:
    return [ln for ln in lines if top <= ln.bbox[1] and ln.bbox[3] <= bottom + 1]


def read_tables(pages: Iterable[Page]) -> list[TableBlock]:
    """Every table in the document, continuations joined, titles and units attached."""
    out: list[_Building] = []
    last_unit: str | None = None
    for page in pages:
        prev_bottom = 0.0
        for raw in page.tables:
            above = _context(page.lines, prev_bottom, raw.bbox[1])
            prev_bottom = raw.bbox[3]
            rows = list(raw.rows)
            inner, skip = _title_rows(rows)
            rows = rows[skip:]
            texts = [ln.text for ln in above[-5:]] + inner
            named = [i for i in map(issuer, texts) if i]
            # A title glued to its issuer line ("收支预算总表部门：…单位：万元") is the part before the key.
            unit = next((u for u in (unit_of_amounts(t) for t in texts) if u), None)
            texts = [t for t in texts if not issuer(t)] + [before for before, _, _ in named if before]
            title = next((t for t in reversed(texts) if looks_like_title(t)), "")
            prev = out[-1] if out else None
            # A grid with no title of its own carries the table before it on: when it is as wide,
            # or when nothing but a year note stands above it at the top of a page.
            tops_page = not [ln for ln in above if not _YEAR_NOTE.match(ln.text)] and raw is page.tables[0]
            if not title and prev is not None and (prev.width == len(raw.col_x) or tops_page):
                prev.extend(raw, rows)
                continue
            if not rows:
                continue
            last_unit = unit or last_unit
            out.append(_Building(title, unit or last_unit, raw, rows))
            if named:
                out[-1].issuer, out[-1].issuer_scope = named[-1][1], named[-1][2]
    return [b.finish() for b in out]


class _Building:
    """A table being assembled from its first grid and any continuations."""

    def __init__(self, title: str, unit: str | None, raw: RawTable, rows: list[tuple[Cell | None, ...]]) -> None:
        self.title = title
        self.unit = unit
        self.width = len(raw.col_x)
        self.col_x = raw.col_x
        depth = _header_depth(rows)
        self.header = rows[:depth]
        self.rows: list[GridRow] = [GridRow(raw.page, r) for r in rows[depth:] if not _is_numbering(r)]
        self.pages = [raw.page]
        self.bbox = raw.bbox
        self.notes: list[str] = []
        self.issuer = self.issuer_scope = ""

    def extend(self, raw: RawTable, rows: list[tuple[Cell | None, ...]]) -> None:
        """Append a continuation page, dropping a repeated header."""
        header_texts = [[_text(c) for c in r] for r in self.header]
        while rows and ([_text(c) for c in rows[0]] in header_texts or _is_numbering(rows[0])):
            rows = rows[1:]
        if len(raw.col_x) != self.width:
            rows = [self._realign(r, raw.col_x) for r in rows]
        self.rows.extend(GridRow(raw.page, r) for r in rows)
        if raw.page not in self.pages:
            self.pages.append(raw.page)

    def _realign(self, row: tuple[Cell | None, ...], col_x: tuple[float, ...]) -> tuple[Cell | None, ...]:
        """Place a continuation's cells under the first page's columns by their left edges."""
        out: list[Cell | None] = [None] * self.width
        for x, cell in zip(col_x, row, strict=False):
            if cell is None:
                continue
            target = min(range(self.width), key=lambda i: abs(self.col_x[i] - x))
            if out[target] is None:
                out[target] = cell
        return tuple(out)

    def finish(self) -> TableBlock:
        """Freeze into a TableBlock."""
        columns = _paths(self.header, self.width)
        has_figures = any(parse_number(_text(c)) is not None for r in self.rows for c in r.cells)
        return TableBlock(
            title=self.title,
            kind=table_kind(self.title) if self.title else "其他表",
            unit_of_amount=self.unit,
            columns=columns,
            header_cells=tuple(self.header),
            rows=tuple(self.rows),
            pages=tuple(self.pages),
            bbox=self.bbox,
            empty=not has_figures,
            notes=tuple(self.notes),
            issuer=self.issuer,
            issuer_scope=self.issuer_scope,
        )

