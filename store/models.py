"""The records every layer shares: documents, facts, chunks — each carrying its provenance."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

BBox = tuple[float, float, float, float]  # x0, top, x1, bottom in PDF points, as pdfplumber gives

DocKind = Literal["预算", "决算"]
DocScope = Literal["部门", "单位"]
IdentitySource = Literal["document", "file_name", "user"]
# Warnings about a document's identity start with this, so a user's correction can clear them.
IDENTITY_WARNING = "identity:"
ChunkKind = Literal["text", "table_row", "table"]

# Table kinds, matched by meaning from the title (ingest/tables.py). Strings, not an Enum,
# so they travel through SQLite, JSON and Chroma metadata unchanged.
TABLE_KINDS = (
    "收支总表",
    "收入总表",
    "支出总表",
    "财政拨款收支总表",
    "一般公共预算支出表",
    "基本支出经济分类表",
    "政府性基金收入表",
    "政府性基金支出表",
    "国有资本经营表",
    "三公经费表",
    "机关运行经费表",
    "项目支出表",
    "绩效目标表",
    "其他表",
)
PROSE = "说明"  # table_kind of facts read from sentences


@dataclass(frozen=True)
class Document:
    """One ingested PDF, identified by the sha256 of its bytes."""

    doc_id: str
    file_name: str
    unit_name: str
    year: int | None
    kind: DocKind
    scope: DocScope
    pages: int
    title: str = ""
    table_count: int = 0
    fact_count: int = 0
    chunk_count: int = 0
    warnings: tuple[str, ...] = ()
    identity_source: IdentitySource = "document"  # where unit/year/kind/scope were read
    page_labels: tuple[str | None, ...] = ()  # the number printed on each page, None where none is

    def page_label(self, page: int) -> str | None:
        """The printed page number of a 1-based PDF page, or None."""
        return self.page_labels[page - 1] if 0 < page <= len(self.page_labels) else None

    @property
    def identity(self) -> tuple[str, int | None, str, str]:
        """(unit, year, kind, scope): what makes two files parts of one disclosure."""
        return (self.unit_name, self.year, self.kind, self.scope)

    @property
    def disclosure_id(self) -> str:
        """Shared by the files of one disclosure (a prose file and its tables file): same unit, year, kind, scope."""
        if not self.unit_name or self.year is None:
            return self.doc_id  # an unknown identity joins nothing
        return hashlib.sha256("|".join(map(str, self.identity)).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Fact:
    """One figure: a numeric table cell, or a figure a sentence states about a named subject."""

    fact_id: str
    doc_id: str
    table_kind: str
    table_title: str
    page: int  # 1-based
    bbox: BBox | None
    row_code: str | None
    row_label: str
    row_path: tuple[str, ...]
    column: str
    value: Decimal
    unit: str  # 万元 | 元 | 亿元 | % | 平方米 | 辆 | 个 | 人 | …
    raw_text: str
    flags: tuple[str, ...] = ()  # blank | prose | code_misprint | …


@dataclass(frozen=True)
class Chunk:
    """A retrievable passage: a paragraph with its headings, or a table row with its headers."""

    chunk_id: str
    doc_id: str
    page: int
    kind: ChunkKind
    text: str
    metadata: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


REVIEW_MARKS = ("确认", "忽略")  # a real defect of the document / not one (a reading the reviewer accepts)


@dataclass(frozen=True)
class Review:
    """A reviewer's mark on one audit finding, with a note and when it was made."""

    finding_key: str
    doc_id: str
    mark: str  # one of REVIEW_MARKS
    note: str = ""
    marked_at: str = ""
