"""Lines outside tables → paragraphs with their section heading path, in reading order."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ingest.pdf import Page
from ingest.tables import TableBlock
from store.models import BBox

# Heading levels as the templates number them; the first pattern that matches wins.
_HEADINGS = (
    (0, re.compile(r"^第[一二三四五六七八九十]+部分")),
    (1, re.compile(r"^[一二三四五六七八九十]+、")),
    (2, re.compile(r"^[（(][一二三四五六七八九十]+[)）]")),
    (3, re.compile(r"^\d{1,2}[、.．](?!\d)")),
)
_TOC_LEADER = re.compile(r"\.{4,}|…{2,}|·{4,}")
_PAGE_NO = re.compile(r"^[-—\s]*\d{1,3}[-—\s]*$|^第\s*\d+\s*页")
# Lines that belong to a table's frame, not to prose: its 单位 line, its label, its year note.
_NOISE = re.compile(r"^(单位名称|编制单位|编制部门|金额单位|单位)\s*[:：]|^(预算|决算)?公开表\s*\d+$|^[（(]\d{4}年度?[)）]$")
_RUNS_ON = re.compile(r"[，。；：:,;]")
_SENTENCE_END = ("。", "：", ":", "；", "！", "？")


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of prose with the headings it sits under."""

    text: str
    page: int
    bbox: BBox
    headings: tuple[str, ...]


# Unnumbered section titles: "…经费情况说明", "…主要职能", "名词解释".
# A 决算 explanation's numbered item: "8、住房保障支出（类）住房改革支出（款）住房公积金（项）。"
_ITEM_TITLE = re.compile(r"^\d{1,2}、[^，。；：]*[（(]项[)）]。?$")
_TITLE = re.compile(r"(情况说明|编制说明|主要职能|机构设置|名词解释|相关情况说明|概况)$")


def _heading_level(text: str) -> int | None:
    if _ITEM_TITLE.match(text):
        return 3
    for level, pattern in _HEADINGS:
        if pattern.match(text):
            # A numbered line that runs on as a sentence ("一、基本支出：指为…") is a list item.
            return level if len(text) <= 40 and not _RUNS_ON.search(text[:-1]) and not text.endswith("。") else None
    if len(text) <= 40 and _TITLE.search(text) and not _RUNS_ON.search(text):
        return 0
    return None


def paragraphs(pages: Sequence[Page], tables: Sequence[TableBlock] = ()) -> list[Paragraph]:
    """Join wrapped lines into paragraphs; skip the table of contents, page numbers and table titles."""
    skip = {t.title for t in tables if t.title}
    out: list[Paragraph] = []
    headings: list[tuple[int, str]] = []
    buf: list[str] = []
    start: tuple[int, BBox] | None = None

    def flush() -> None:
        nonlocal buf, start
        if buf and start:
            text = "".join(buf).strip()
            if text:
                out.append(Paragraph(text, start[0], start[1], tuple(h for _, h in headings)))
        buf, start = [], None

    for page in pages:
        for line in page.lines:
            text = line.text.strip()
            if not text or _PAGE_NO.match(text) or _TOC_LEADER.search(text) or text in skip or _NOISE.match(text):
                continue
            level = _heading_level(text)
            if level is not None:
                flush()
                headings = [(lv, h) for lv, h in headings if lv < level] + [(level, text)]
                continue
            if start is None:
                start = (page.number, line.bbox)
            buf.append(text)
            if text.endswith(_SENTENCE_END):
                flush()
    flush()  # paragraphs run on across page breaks, as the documents wrap them
    return out


def sentences(text: str) -> list[str]:
    """Split a paragraph into sentences at 。；！？ (keeping the mark)."""
    parts = re.split(r"(?<=[。；！？])", text)
    return [p.strip() for p in parts if p.strip()]


_NOTE = re.compile(r"^(注|备注|说明)\s*\d?\s*[:：]")


def table_notes(tables: Sequence[TableBlock], paras: Sequence[Paragraph]) -> tuple[list[TableBlock], list[Paragraph]]:
    """The notes printed under a table ("注:本单位无政府性基金预算…故本表为空表") moved from the prose around it
    to the table (the last one on the note's page): they explain that table, not the section before it."""
    tables, rest = list(tables), []
    for para in paras:
        on_page = [i for i, t in enumerate(tables) if para.page in t.pages]
        if _NOTE.match(para.text) and on_page:
            i = on_page[-1]
            tables[i] = replace(tables[i], notes=(*tables[i].notes, para.text))
        else:
            rest.append(para)
    return tables, rest
