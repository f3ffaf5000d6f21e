"""Chart data from the fact table: function classes, 基本 vs 项目, 人员 vs 公用, 三公 — per year of one unit."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd

from store.models import Document, Fact

TO_WAN = {"万元": Decimal(1), "元": Decimal("0.0001"), "亿元": Decimal(10000)}
TOTAL_ROWS = {"合计", "总计"}
EXPENDITURE_TABLES = ("支出总表", "一般公共预算支出表")


@dataclass(frozen=True)
class Bar:
    """One bar: a category in one year's document, in 万元, with the page it was read from."""

    category: str
    series: str
    value: Decimal
    page: int
    table: str


@dataclass(frozen=True)
class Chart:
    """A titled set of bars; empty when the documents lack the table."""

    key: str
    title: str
    bars: tuple[Bar, ...]
    missing: str


def _wan(f: Fact) -> Decimal | None:
    rate = TO_WAN.get(f.unit)
    return None if rate is None else f.value * rate


def _leaf(column: str) -> str:
    return column.split(" / ")[-1].replace(" ", "").strip()


def _clean(label: str) -> str:
    return re.sub(r"\s+", "", label)


def _first_table(facts: Sequence[Fact], kind: str) -> list[Fact]:
    # A document may print a table kind twice (部门 and 单位 versions): the first one is charted.
    titles = [f.table_title for f in facts if f.table_kind == kind]
    return [f for f in facts if f.table_kind == kind and f.table_title == titles[0]] if titles else []


def _total_column(facts: Sequence[Fact], hint: str = "") -> str | None:
    columns = list(dict.fromkeys(f.column for f in facts))
    for test in (lambda c: _leaf(c) == "合计", lambda c: bool(hint) and hint in c, lambda c: "合计" in c):
        found = [c for c in columns if test(c)]
        if found:
            return found[0]
    return columns[0] if columns else None


def _bar(f: Fact, category: str, series: str) -> Bar | None:
    value = _wan(f)
    return None if value is None else Bar(category, series, value, f.page, f.table_title)


def function_classes(facts: Sequence[Fact], series: str) -> list[Bar]:
    """Expenditure by function class (3-digit codes, 合计 column) from the 支出总表, else the 一般公共预算支出表."""
    for kind in EXPENDITURE_TABLES:
        table = _first_table(facts, kind)
        rows = [f for f in table if f.row_code and len(f.row_code) == 3 and f.row_code.isdigit()]
        column = _total_column(rows)
        bars = [_bar(f, f"{f.row_code} {_clean(f.row_label)}", series) for f in rows if f.column == column]
        if any(bars):
            return [b for b in bars if b]
    return []


def _total_row_parts(facts: Sequence[Fact], kinds: Sequence[str], parts: Sequence[str], series: str) -> list[Bar]:
    for kind in kinds:
        totals = [f for f in _first_table(facts, kind) if _clean(f.row_label) in TOTAL_ROWS]
        bars = []
        for part in parts:
            match = next((f for f in totals if _leaf(f.column) == part), None)
            bar = _bar(match, part, series) if match else None
            if bar:
                bars.append(bar)
        if bars:
            return bars
    return []


def basic_vs_project(facts: Sequence[Fact], series: str) -> list[Bar]:
    """基本支出 and 项目支出 from the 合计 row of the expenditure table."""
    return _total_row_parts(facts, EXPENDITURE_TABLES, ("基本支出", "项目支出"), series)


def personnel_vs_public(facts: Sequence[Fact], series: str) -> list[Bar]:
    """人员经费 and 公用经费 from the 合计 row of the 基本支出经济分类表."""
    return _total_row_parts(facts, ("基本支出经济分类表",), ("人员经费", "公用经费"), series)


_MARKER = re.compile(r"^(?:[①-⑳⑴-⒇]|[（(][0-9一二三四五六七八九十]+[)）]|[0-9一二三四五六七八九十]+[、.．])")


def sangong_name(label: str) -> str | None:
    """The canonical 三公 component a row label names, or None (合计, 机关运行经费, …)."""
    label = _MARKER.sub("", _clean(label))
    if "机关运行" in label or label in TOTAL_ROWS:
        return None
    if "出国" in label:
        return "因公出国（境）费"
    if "接待" in label:
        return "公务接待费"
    if "购置" in label and "运行" in label:
        return "公务用车购置及运行费"
    if "购置" in label:
        return "公务用车购置费"
    if "运行" in label:
        return "公务用车运行维护费"
    return None


def sangong(facts: Sequence[Fact], series: str) -> list[Bar]:
    """三公 components from the 三公经费表 (the two car items instead of their sum when both are given)."""
    table = _first_table(facts, "三公经费表")
    named = [(sangong_name(f.row_label), f) for f in table]
    named = [(n, f) for n, f in named if n]
    column = _total_column([f for _, f in named], hint="三公")
    seen: dict[str, Bar] = {}
    for name, f in named:
        if f.column == column and name not in seen:
            bar = _bar(f, name, series)
            if bar:
                seen[name] = bar
    if "公务用车购置费" in seen or "公务用车运行维护费" in seen:
        seen.pop("公务用车购置及运行费", None)  # the parts are drawn; their sum would count the cars twice
    return list(seen.values())


CHARTS: tuple[tuple[str, str, Callable[[Sequence[Fact], str], list[Bar]], str], ...] = (
    ("function", "支出按功能分类", function_classes, "没有找到支出总表或一般公共预算支出表"),
    ("basic", "基本支出与项目支出", basic_vs_project, "没有找到支出表的合计行"),
    ("personnel", "人员经费与公用经费", personnel_vs_public, "没有找到基本支出经济分类表的合计行"),
    ("sangong", "“三公”经费构成", sangong, "没有找到“三公”经费表"),
)


def series_names(documents: Sequence[Document]) -> list[str]:
    """A legend name per document: its year, made unique when two documents share one."""
    names: list[str] = []
    for d in documents:
        name = f"{d.year}年" if d.year else d.file_name
        if name in names:
            name = f"{name}（{d.file_name}）"
        names.append(name)
    return names


def unit_charts(pairs: Sequence[tuple[Document, Sequence[Fact]]]) -> list[Chart]:
    """The four charts for documents of one unit and kind, one series per year (oldest first)."""
    pairs = sorted(pairs, key=lambda p: (p[0].year or 0))
    names = series_names([d for d, _ in pairs])
    charts = []
    for key, title, read, missing in CHARTS:
        bars = [b for (_, facts), name in zip(pairs, names, strict=True) for b in read(facts, name)]
        charts.append(Chart(key, title, tuple(bars), missing))
    return charts


def chart_frame(chart: Chart) -> pd.DataFrame:
    """The bars as a frame for plotting; Decimal becomes float here and nowhere else."""
    return pd.DataFrame(
        [{"项目": b.category, "年度": b.series, "金额（万元）": float(b.value), "页码": b.page, "表格": b.table}
         for b in chart.bars],
        columns=["项目", "年度", "金额（万元）", "页码", "表格"],
    )
