"""The 审核 tab's helpers: audit findings grouped by severity, in Chinese, with their cell and a CSV export."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

import pandas as pd

from app.audit import Finding
from store.models import Document, Fact, Review

# severity → (label, colour, icon, what it means for the reader); shown in this order
SEVERITY = {
    "error": ("错误", "red", ":material/error:", "金额对不上，差额超出取整范围，需要核对原表。"),
    "warning": ("提示", "orange", ":material/warning:",
                "说明文字、项目名称、个数或年度与表格不一致，或按惯例应相等的数字不相等，需要人工确认。"),
    "rounding": ("取整尾差", "gray", ":material/more_horiz:",
                 "各项分别取整后再相加造成的尾差，在取整允许的范围内，一般无需处理。"),
}
ORDER = ("error", "warning", "rounding")
COLUMNS = ["单位名称", "年度", "文件", "类别", "规则", "页码", "表格", "行", "列", "应为", "实为", "差额", "说明", "复核",
           "复核意见"]


def grouped(findings: Sequence[Finding]) -> dict[str, list[Finding]]:
    """Findings by severity (error, warning, rounding), each group in page order; unknown severities count as warnings."""
    groups: dict[str, list[Finding]] = {s: [] for s in ORDER}
    for f in findings:
        groups[f.severity if f.severity in groups else "warning"].append(f)
    for items in groups.values():
        items.sort(key=lambda f: f.pages[:1] or [0])
    return groups


def rounding_word(findings: Sequence[Finding]) -> str:
    """取整尾差, named 万元取整尾差 when every one of them is in a 万元 table (the usual case)."""
    rounding = [f for f in findings if f.severity == "rounding"]
    return "万元取整尾差" if rounding and all("万元" in f.message for f in rounding) else "取整尾差"


def summary_line(findings: Sequence[Finding]) -> str:
    """One line per document: N 处需要核对, M 处万元取整尾差 — or 未发现不一致之处."""
    if not findings:
        return "未发现不一致之处：各表的合计、表与表之间、说明文字与表格之间都对得上。"
    groups = grouped(findings)
    real, rounding = len(groups["error"]) + len(groups["warning"]), len(groups["rounding"])
    parts = [f"{real} 处需要核对（错误 {len(groups['error'])} 处、提示 {len(groups['warning'])} 处）" if real
             else "没有需要核对的问题"]
    if rounding:
        parts.append(f"另有 {rounding} 处{rounding_word(findings)}（一般无需处理）")
    return "，".join(parts) + "。"


def pages_label(pages: Sequence[int]) -> str:
    """第24-29、31页: consecutive pages as a range."""
    if not pages:
        return "页码不详"
    runs: list[list[int]] = []
    for p in sorted(set(pages)):
        if runs and p == runs[-1][-1] + 1:
            runs[-1].append(p)
        else:
            runs.append([p])
    return "第" + "、".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else f"{r[0]}" for r in runs) + "页"


def fmt_value(value: Decimal | None, signed: bool = False) -> str:
    """A finding's figure with thousands separators and the document's digits; a sign for differences."""
    if value is None:
        return ""
    text = format(value, ",f")
    return f"+{text}" if signed and value > 0 else text


def finding_cell(finding: Finding, facts: Sequence[Fact]) -> Fact | None:
    """The stored figure a finding is about (its table, row and column on one of its pages), first page first."""
    def same_row(f: Fact) -> bool:
        return finding.row in (f.row_label, f"{f.row_code} {f.row_label}")

    found = [f for f in facts if f.table_title == finding.table and f.column == finding.column and same_row(f)
             and f.page in finding.pages and f.bbox is not None]
    if not found:
        return None
    return min(found, key=lambda f: finding.pages.index(f.page))


def findings_frame(pairs: Sequence[tuple[Document, Sequence[Finding]]],
                   reviews: Mapping[str, Review] | None = None) -> pd.DataFrame:
    """One row per finding with its document and the reviewer's mark; figures stay exact text (the document's
    digits)."""
    reviews = reviews or {}
    rows = []
    for d, findings in pairs:
        for f in findings:
            rows.append({
                "单位名称": f.unit_name or d.unit_name,
                "年度": f.year or d.year,
                "文件": f"{d.scope}{d.kind}",
                "类别": SEVERITY.get(f.severity, SEVERITY["warning"])[0],
                "规则": f.rule,
                "页码": "、".join(str(p) for p in f.pages),
                "表格": f.table,
                "行": f.row,
                "列": f.column,
                "应为": "" if f.expected is None else format(f.expected, "f"),
                "实为": "" if f.actual is None else format(f.actual, "f"),
                "差额": "" if f.difference is None else format(f.difference, "f"),
                "说明": f.message,
                "复核": reviews[f.key].mark if f.key in reviews else "",
                "复核意见": reviews[f.key].note if f.key in reviews else "",
            })
    return pd.DataFrame(rows, columns=COLUMNS)
