"""Exact fact lookup: the row, column and table a figure question means, in one document."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property

from app.lexicon import get_lexicon
from app.scope import aliases
from app.understand import Query
from store.models import PROSE, Document, Fact

# Which table answers an amount question when a label stands in several (三公 items sit in the
# 三公 table and in the economic table; totals in 收支总表 and 财政拨款收支总表).
TABLE_PRIORITY = ("三公经费表", "机关运行经费表", "支出总表", "收入总表", "收支总表", "一般公共预算支出表",
                  "财政拨款收支总表", "基本支出经济分类表", "项目支出表", "政府性基金支出表", "政府性基金收入表",
                  "国有资本经营表", "其他表", "绩效目标表", PROSE)
_GENERIC = {"合计", "小计", "总计", "项目", "其他", "金额", "预算数", "本年", "上年"}
_TOTAL_LABELS = ("合计", "总计", "收入总计", "支出总计", "本年收入合计", "本年支出合计")
_COUNTERS = {"辆": ("车",), "个": ("个", "机构", "科室", "处室"), "人": ("人", "名"), "名": ("人", "名"),
             "项": ("项",), "家": ("家",), "次": ("次", "批"), "台": ("台",), "平方米": ("面积", "平方米")}


def norm(label: str) -> str:
    """A label reduced for matching: no ordinals, brackets or quotes unified, no spaces."""
    return get_lexicon().normalise(label)


@dataclass(frozen=True)
class Found:
    """The figure that answers a question, with the facts it comes from and how."""

    doc: Document
    facts: tuple[Fact, ...]
    value: Decimal
    unit: str
    label: str
    column: str
    how: str = "lookup"  # lookup | sum | share | prose
    inputs: tuple[Fact, ...] = field(default_factory=tuple)  # for derived figures: what they derive from


class DocFacts:
    """One document's facts indexed by normalised row label and by code."""

    def __init__(self, doc: Document, facts: Sequence[Fact]) -> None:
        self.doc = doc
        self.facts = list(facts)
        self.by_label: dict[str, list[Fact]] = defaultdict(list)
        self.by_code: dict[str, list[Fact]] = defaultdict(list)
        self.prose = [f for f in self.facts if f.table_kind == PROSE]
        skip = {norm(a) for a in aliases(doc.unit_name)}
        for f in self.facts:
            if f.table_kind == PROSE:
                continue
            for name in {f.row_label, *f.row_path[-2:]}:
                key = norm(name)
                if key and key not in skip and (f.row_label == name or f.table_kind == "基本支出经济分类表"):
                    self.by_label[key].append(f)
            if f.row_code:
                self.by_code[f.row_code].append(f)

    @cached_property
    def labels_longest_first(self) -> list[str]:
        """Labels for verbatim matching, longest first, generic words left out."""
        return sorted((k for k in self.by_label if len(k) >= 2 and k not in _GENERIC), key=len, reverse=True)

    def subjects(self, query: Query, text: str) -> list[str]:
        """Labels of this document the question names, in question order, longest match first."""
        text = norm(text)
        found: list[tuple[int, str]] = []
        taken: list[tuple[int, int]] = []
        candidates = [t for t in (norm(t) for t in query.terms) if t in self.by_label]
        for label in candidates + self.labels_longest_first:
            start = text.find(label)
            if start < 0 and label in candidates:
                start = 10_000 + len(found)  # named through a synonym: after the verbatim ones
            if start < 0 or any(a <= start < b or a < start + len(label) <= b for a, b in taken):
                continue
            if start < 10_000:
                taken.append((start, start + len(label)))
            if label not in (x for _, x in found):
                found.append((start, label))
        return [label for _, label in sorted(found)]


def _column_ok(f: Fact, column: str | None) -> bool:
    if not column:
        return True
    if column == "基本支出" and f.table_kind == "基本支出经济分类表":
        return f.column.split(" / ")[-1] in ("合计", "小计")
    return any(column in part for part in f.column.split(" / "))


def _rows(facts: Sequence[Fact]) -> dict[tuple, list[Fact]]:
    rows: dict[tuple, list[Fact]] = defaultdict(list)
    for f in facts:
        rows[(f.table_title, f.page, f.row_code, f.row_path, f.bbox[1] if f.bbox else 0)].append(f)
    return rows


def pick(facts: Sequence[Fact], query: Query, label: str) -> tuple[list[Fact], str] | None:
    """The cell(s) of the best table that answer: the asked column, else the row's first figure."""
    by_table: dict[str, list[Fact]] = defaultdict(list)
    for f in facts:
        by_table[f.table_title].append(f)
    hinted = [k for k in query.table_kinds if k in TABLE_PRIORITY]

    def rank(title: str) -> tuple:
        kind = by_table[title][0].table_kind
        has_col = any(_column_ok(f, query.column) for f in by_table[title])
        return (not has_col, kind not in hinted, TABLE_PRIORITY.index(kind) if kind in TABLE_PRIORITY else 99)

    for title in sorted(by_table, key=rank):
        rows = _rows(by_table[title])
        chosen: list[Fact] = []
        for cells in rows.values():
            cells = [c for c in cells if _column_ok(c, query.column)] if query.column else cells[:1]
            if cells:
                chosen.append(cells[0])
        if not chosen:
            continue
        codes = [f.row_code for f in chosen if f.row_code]
        if len(chosen) > 1 and len(codes) == len(chosen):
            # 款 and 项 can share a name (其他商业服务业等支出): the broader code is the answer.
            chosen = [min(chosen, key=lambda f: len(f.row_code or ""))]
        return chosen, title
    return None


def find_amount(doc_facts: DocFacts, query: Query, text: str) -> Found | None:
    """An amount: by code, else by the label the question names, else a total the question implies."""
    doc = doc_facts.doc
    if query.codes:
        for code in query.codes:
            if code in doc_facts.by_code:
                picked = pick(doc_facts.by_code[code], query, code)
                if picked:
                    return _found(doc, picked[0], query, picked[0][0].row_label)
    for label in doc_facts.subjects(query, text):
        picked = pick(doc_facts.by_label[label], query, label)
        if picked:
            return _found(doc, picked[0], query, picked[0][0].row_label)
    if query.column or query.total:
        totals = [f for f in doc_facts.facts if f.table_kind != PROSE and norm(f.row_label) in _TOTAL_LABELS]
        side = "收入" if "收入" in text and "支出" not in text else "支出"
        kinds = ("支出总表", "一般公共预算支出表") if side == "支出" else ("收入总表", "收支总表")
        totals = [f for f in totals if f.table_kind in kinds and (side in f.column or side in f.row_label
                                                                    or f.table_kind != "收支总表")]
        picked = pick(totals, query, "合计")
        if picked:
            facts = picked[0][:1]
            return _found(doc, facts, query, f"{side}{query.column or '合计'}")
    return None


def _found(doc: Document, facts: list[Fact], query: Query, label: str) -> Found:
    unit = facts[0].unit
    value = sum((f.value for f in facts), Decimal(0))
    how = "sum" if len(facts) > 1 else "lookup"
    column = facts[0].column.split(" / ")[-1]
    return Found(doc, tuple(facts), value, unit, label, column, how)


def find_prose(doc_facts: DocFacts, query: Query, text: str, columns: tuple[str, ...]) -> Found | None:
    """A figure the prose states (a share, a change, a count) about the subject the question names."""
    subjects = doc_facts.subjects(query, text) + [norm(t) for t in query.terms]
    candidates = [f for f in doc_facts.prose if f.column in columns]
    if query.intent in ("count", "area"):
        candidates = [f for f in candidates if _counter_fits(f.unit, text)]
    best: tuple[int, Fact] | None = None
    for f in candidates:
        label = norm(f.row_label)
        score = 0
        for s in subjects:
            if s and (s in label or (label and label in s)):
                score = max(score, 3 + len(s))
            elif s and s in norm(f.raw_text):
                score = max(score, 1 + len(s) // 2)
        if not subjects and query.intent in ("change", "rate"):
            score = 1 if any(w in label for w in re.findall(r"收入|支出|三公|预算", text)) else 0
        if score and (best is None or score > best[0]):
            best = (score, f)
    if not best:
        return None
    f = best[1]
    return Found(doc_facts.doc, (f,), f.value, f.unit, f.row_label, f.column, "prose")


def _counter_fits(unit: str, text: str) -> bool:
    words = _COUNTERS.get(unit)
    return bool(words) and any(w in text for w in words)


def compute_share(doc_facts: DocFacts, query: Query, text: str) -> Found | None:
    """A share the prose does not state: the part over its table's total, same column, in %."""
    subjects = doc_facts.subjects(query, text)
    if not subjects:
        return None
    part = pick(doc_facts.by_label[subjects[0]], query, subjects[0])
    if not part:
        return None
    cell = part[0][0]
    whole_label = subjects[1] if len(subjects) > 1 else None
    pool = doc_facts.by_label.get(whole_label, []) if whole_label else [
        f for f in doc_facts.facts if f.table_title == cell.table_title and norm(f.row_label) in _TOTAL_LABELS]
    whole = [f for f in pool if f.column == cell.column and f.table_title == cell.table_title]
    if not whole or not whole[0].value:
        return None
    share = (sum(f.value for f in part[0]) / whole[0].value * 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return Found(doc_facts.doc, tuple(part[0]), share, "%", cell.row_label, "占比", "share", (whole[0],))
