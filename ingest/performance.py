"""项目支出绩效目标表 → facts: the project's funds (元) and each indicator's target value."""

from __future__ import annotations

import re

from ingest.facts import fact_id
from ingest.numbers import parse_number
from ingest.pdf import Cell
from ingest.tables import TableBlock
from store.models import Fact

_TARGET = re.compile(r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s*(?P<unit>%|％|万元|元|[^\d\s/（(≥≤<>=]{0,3})")
_FUNDS = re.compile(r"资金|金额|总额")
_INDICATOR_HEAD = ("一级指标", "二级指标", "三级指标", "指标值")


def _t(cell: Cell | None) -> str:
    return cell.text.strip() if cell else ""


def _clean(label: str) -> str:
    return re.sub(r"^其中\s*[:：]\s*|[:：]\s*$", "", label).strip()


def project_name(table: TableBlock) -> str:
    """The project a 绩效目标表 is about (the cell after 项目名称)."""
    for row in (*table.header_cells, *(r.cells for r in table.rows)):
        texts = [_t(c) for c in row if _t(c)]
        if texts and texts[0].replace(" ", "") == "项目名称" and len(texts) > 1:
            return texts[1]
    return table.title


def performance_facts(doc_id: str, table_no: int, table: TableBlock) -> list[Fact]:
    """Funds per source and period, and indicator targets that carry a number."""
    project = project_name(table)
    rows = [(r.page, r.cells) for r in table.rows]
    facts: list[Fact] = []
    indicator_mode = False
    for r_index, (page, cells) in enumerate(rows):
        texts = [_t(c) for c in cells]
        if any(t in _INDICATOR_HEAD for t in texts) and "指标值" in texts:
            indicator_mode = True
            heads = texts
            continue
        if indicator_mode:
            facts.extend(_targets(doc_id, table_no, table, project, r_index, page, cells, heads))
        else:
            facts.extend(_funds(doc_id, table_no, table, project, r_index, page, cells))
    return facts


def _funds(doc_id, table_no, table, project, r_index, page, cells) -> list[Fact]:
    out, label, periods = [], "", ("实施期", "年度")
    pairs = 0
    for c, cell in enumerate(cells):
        text = _t(cell)
        if not text:
            continue
        value = parse_number(text)
        if value is None:
            label = _clean(text)
            continue
        if not label or not (_FUNDS.search(label) or pairs or "财政" in label or "自筹" in label or "其他" in label):
            continue
        out.append(_fact(doc_id, table_no, table, r_index, c, page, cell, project, label,
                         periods[min(pairs, 1)], value, "元", ("funds",)))
        pairs += 1
    return out


def _targets(doc_id, table_no, table, project, r_index, page, cells, heads) -> list[Fact]:
    out = []
    for c, cell in enumerate(cells):
        if c >= len(heads) or heads[c] != "指标值":
            continue
        text = _t(cell)
        m = _TARGET.search(text)
        indicator = _t(cells[c - 1]) if c else ""
        if not m or not indicator:
            continue
        value = parse_number(m.group("num"))
        unit = (m.group("unit") or "").replace("％", "%").strip() or "个"
        period = "实施期" if c == heads.index("指标值") else "年度"
        out.append(_fact(doc_id, table_no, table, r_index, c, page, cell, project, indicator,
                         f"指标值（{period}）", value, unit, ("target",)))
    return out


def _fact(doc_id, table_no, table, r_index, c, page, cell, project, label, column, value, unit, flags) -> Fact:
    return Fact(
        fact_id=fact_id(doc_id, table_no, r_index, c),
        doc_id=doc_id,
        table_kind=table.kind,
        table_title=f"{table.title}（{project}）",
        page=page,
        bbox=cell.bbox if cell else None,
        row_code=None,
        row_label=label,
        row_path=(project, label),
        column=column,
        value=value,
        unit=unit,
        raw_text=_t(cell),
        flags=flags,
    )
