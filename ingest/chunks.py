"""Paragraphs and table rows → retrievable chunks; a row carries its table title and column headers."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from ingest.facts import fact_id
from ingest.tables import TableBlock
from ingest.text import Paragraph
from store.models import Chunk, Fact

MAX_TEXT = 500  # characters: one paragraph or a few short ones under the same heading


def _fmt(fact: Fact) -> str:
    value = format(fact.value, "f")
    return f"{value}{fact.unit}"


def text_chunks(doc_id: str, scope: dict, paras: Sequence[Paragraph]) -> list[Chunk]:
    """Paragraphs, merged while short and under the same headings, each prefixed by its heading path."""
    out: list[Chunk] = []
    group: list[Paragraph] = []

    def flush() -> None:
        if not group:
            return
        heading = " > ".join(group[0].headings)
        body = "\n".join(p.text for p in group)
        text = f"{heading}\n{body}" if heading else body
        out.append(
            Chunk(
                chunk_id=fact_id(doc_id, "text", len(out)),
                doc_id=doc_id,
                page=group[0].page,
                kind="text",
                text=text,
                metadata={**scope, "headings": heading, "pages": sorted({p.page for p in group})},
            )
        )
        group.clear()

    for para in paras:
        if group and (para.headings != group[0].headings or sum(len(p.text) for p in group) + len(para.text) > MAX_TEXT):
            flush()
        group.append(para)
    flush()
    return out


def table_chunks(doc_id: str, scope: dict, tables: Sequence[TableBlock], facts: Sequence[Fact]) -> list[Chunk]:
    """One chunk per table row (title | row | column: value unit; …), and one per empty table."""
    by_row: dict[tuple[str, int, str, tuple[str, ...], str | None], list[Fact]] = defaultdict(list)
    for fact in facts:
        if "prose" in fact.flags:
            continue
        by_row[(fact.table_title, fact.page, fact.row_label, fact.row_path, fact.row_code)].append(fact)
    out: list[Chunk] = []
    for (title, page, label, path, code), row in by_row.items():
        figures = "; ".join(f"{f.column}: {_fmt(f)}" for f in row if "blank" not in f.flags)
        if not figures:
            continue
        name = " > ".join(path) if path else label
        text = f"{title} | {code + ' ' if code else ''}{name} | {figures}"
        out.append(
            Chunk(
                chunk_id=fact_id(doc_id, "row", len(out)),
                doc_id=doc_id,
                page=page,
                kind="table_row",
                text=text,
                metadata={**scope, "table": title, "table_kind": row[0].table_kind, "row": label,
                          "row_code": code or "", "fact_ids": [f.fact_id for f in row]},
            )
        )
    for t_index, table in enumerate(tables):
        if table.kind in ("绩效目标表", "其他表"):
            out += _form_rows(doc_id, scope, t_index, table)
        notes = "".join(dict.fromkeys(table.notes))
        if table.empty:
            out.append(
                Chunk(
                    chunk_id=fact_id(doc_id, "table", table.title, table.pages),
                    doc_id=doc_id,
                    page=table.pages[0],
                    kind="table",
                    text=f"{table.title}：本表无数据（空表），各项金额均为0。{notes}",
                    metadata={**scope, "table": table.title, "table_kind": table.kind, "empty": True},
                )
            )
        elif notes:  # what the note under a table says of it, found by the table's name
            out.append(Chunk(chunk_id=fact_id(doc_id, "note", t_index), doc_id=doc_id, page=table.pages[-1],
                             kind="text", text=f"{table.title}\n{notes}",
                             metadata={**scope, "table": table.title, "table_kind": table.kind,
                                       "headings": table.title}))
    return out


def _form_rows(doc_id: str, scope: dict, t_index: int, table: TableBlock) -> list[Chunk]:
    """The prose of a form-like table (项目概况, 立项依据 … of a 绩效目标表) as one passage per table."""
    from ingest.performance import project_name

    project = project_name(table) if table.kind == "绩效目标表" else ""
    title = f"{table.title}（{project}）" if project else table.title
    lines, label = [], ""
    for row in table.rows:
        texts = list(dict.fromkeys(c.text.strip() for c in row.cells if c and c.text.strip()))
        first = row.cells[0].text.strip() if row.cells and row.cells[0] else ""
        label = first or label
        if len(texts) >= 2 and any(len(t) >= 6 for t in texts[1:]):
            lines.append(f"{texts[0]}：{' '.join(texts[1:])}")
        elif len(texts) == 1 and not first and label and len(texts[0]) >= 6:
            # 总体目标's text sits in the row under its label (实施期目标 and 年度目标 alike, so printed once)
            lines.append(f"{label}：{texts[0]}")
    if not lines:
        return []
    return [Chunk(chunk_id=fact_id(doc_id, "form", t_index), doc_id=doc_id, page=table.pages[0], kind="text",
                  text=f"{title}\n" + "\n".join(lines),
                  metadata={**scope, "table": title, "table_kind": table.kind, "headings": title})]
