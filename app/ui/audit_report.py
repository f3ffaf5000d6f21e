"""The audit as a printable HTML report: each finding with its figures, the reviewer's mark and the printed pages."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping, Sequence
from datetime import datetime

from app.audit import Finding
from app.ui.findings import ORDER, SEVERITY, fmt_value, grouped, pages_label, summary_line
from app.ui.findings import finding_cell as cell_of
from app.ui.sources import highlight_crop, page_image
from store.models import Document, Fact, Review

REPORT_RESOLUTION = 72  # enough to read a table's row on paper; keeps a 20-finding report to a few MB
MAX_PAGES_SHOWN = 3  # per finding: the cell's band, then the other pages it names (the prose side)

_STYLE = ("body{font-family:sans-serif;max-width:60em;margin:2em auto;color:#222}h2{margin-top:2em;border-bottom:"
          "1px solid #ccc}section{page-break-inside:avoid;margin:1.2em 0;padding:.6em .8em;border-left:4px solid #999}"
          "section.error{border-color:#c62828}section.warning{border-color:#ef6c00}section.rounding{border-color:#9e9e9e}"
          "table{border-collapse:collapse;font-size:90%;margin:.4em 0}td,th{border:1px solid #bbb;padding:2px 6px}"
          "img{max-width:100%;border:1px solid #ddd;margin:.3em 0}.mark{font-weight:bold}.muted{color:#666}"
          "@media print{body{margin:0}}")


def audit_html(service, pairs: Sequence[tuple[Document, Sequence[Finding]]],
               reviews: Mapping[str, Review] | None = None, title: str = "预算公开文件审核报告") -> str:
    """The report: per document its summary line, then each finding (most serious first) with page images."""
    e = html.escape
    reviews = reviews or {}
    parts = []
    for doc, findings in pairs:
        parts.append(f"<h2>{e(doc.unit_name)} {doc.year or ''}年 {e(doc.scope + doc.kind)}</h2>"
                     f"<p class='muted'>{e(doc.file_name)}</p><p>{e(summary_line(findings))}</p>")
        facts = service.facts(doc.doc_id)
        groups = grouped(findings)
        for severity in ORDER:
            for f in groups[severity]:
                parts.append(_finding(service, doc, f, facts, reviews.get(f.key)))
    stamp = datetime.now().strftime("%Y-%m-%d %H:%M")
    total = sum(len(f) for _, f in pairs)
    return (f"<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><title>{e(title)}</title>"
            f"<style>{_STYLE}</style></head><body><h1>{e(title)}</h1>"
            f"<p class='muted'>生成时间：{stamp}；{len(pairs)} 份文件，{total} 条核对结果。</p>"
            + "".join(parts) + "</body></html>")


def _finding(service, doc: Document, f: Finding, facts: Sequence[Fact], review: Review | None) -> str:
    e = html.escape
    label = SEVERITY.get(f.severity, SEVERITY["warning"])[0]
    figures = [(name, fmt_value(v, signed=name == "差额")) for name, v in
               (("应为", f.expected), ("实为", f.actual), ("差额", f.difference)) if v is not None]
    table = ("<table><tr>" + "".join(f"<th>{e(n)}</th>" for n, _ in figures) + "</tr><tr>"
             + "".join(f"<td>{e(v)}</td>" for _, v in figures) + "</tr></table>") if figures else ""
    mark = (f"<p class='mark'>复核：{e(review.mark)}" + (f"（{e(review.note)}）" if review.note else "") + "</p>"
            if review else "<p class='muted'>尚未复核</p>")
    where = " ".join(x for x in (pages_label(f.pages), f"《{f.table}》" if f.table else "", f.row, f.column) if x)
    images = "".join(f"<figure><img alt='{e(caption)}' src='data:image/png;base64,{data}'><figcaption class='muted'>"
                     f"{e(caption)}</figcaption></figure>" for caption, data in _images(service, doc, f, facts))
    return (f"<section class='{e(f.severity)}'><p><b>{e(label)}</b> {e(where)}</p><p>{e(f.message)}</p>{table}"
            f"{mark}{images}</section>")


def _images(service, doc: Document, f: Finding, facts: Sequence[Fact]) -> list[tuple[str, str]]:
    """(caption, base64 PNG) of the finding's cell (boxed) and of the other pages it names, at most a few."""
    out: list[tuple[str, str]] = []
    cell = cell_of(f, facts)
    if cell is not None and cell.bbox is not None:
        page = page_image(service, doc.doc_id, cell.page, REPORT_RESOLUTION)
        if page is not None:
            band = highlight_crop(page, cell.bbox, REPORT_RESOLUTION)
            out.append((f"第{cell.page}页：红框处为“{cell.row_label}”（{cell.column}）", _png64(band)))
    for p in f.pages:
        if len(out) >= MAX_PAGES_SHOWN:
            break
        if cell is not None and p == cell.page:
            continue
        image = page_image(service, doc.doc_id, p, REPORT_RESOLUTION)
        if image is not None:
            out.append((f"第{p}页", _png64(image)))
    return out


def _png64(image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return base64.b64encode(buffer.getvalue()).decode("ascii")

