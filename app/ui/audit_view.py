"""The 审核 tab: each document's consistency findings by severity, with their page and a CSV download."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import streamlit as st

from app.audit import Finding
from app.ui.audit_report import audit_html
from app.ui.facts import csv_bytes, excel_bytes
from app.ui.findings import (
    ORDER,
    SEVERITY,
    finding_cell,
    findings_frame,
    fmt_value,
    grouped,
    pages_label,
    rounding_word,
    summary_line,
)
from app.ui.labels import doc_label, md_escape
from app.ui.sidebar import Sidebar
from app.ui.state import findings_for, page_png, source_png
from store.models import PROSE, REVIEW_MARKS, Document, Fact, Review


def page_key(doc_id: str, index: int) -> str:
    """The page expander of a document's index-th finding (open when its session-state value is True)."""
    return f"audit_page_{doc_id[:16]}_{index}"


def audit_tab(side: Sidebar) -> None:
    """Every document in the scope: a summary line, then its findings by severity; one CSV for all of them."""
    if not side.selected:
        st.info("问答范围内没有文件。请先在左侧加载文件或调整问答范围。")
        return
    st.caption("逐表核对勾稽关系：合计是否等于各项之和、表与表之间的同一数字是否一致、说明文字是否与表格相符。"
               "“应为”是按勾稽关系算出的数，“实为”是文件中印的数，差额 = 实为 − 应为。")
    home = str(side.settings.home)
    pairs: list[tuple[Document, list[Finding]]] = []
    for d in side.selected:
        try:
            pairs.append((d, findings_for(side.service, home, d.doc_id)))
        except Exception as exc:  # noqa: BLE001 — one document's odd data must not hide the others
            st.error(f"{doc_label(d)}：核对时出错（{type(exc).__name__}: {exc}）", icon=":material/error:")
    reviews = side.service.reviews()
    frame = findings_frame(pairs, reviews)
    name = f"{doc_label(pairs[0][0]).replace(' · ', '_')}_审核结果" if len(pairs) == 1 else "审核结果"
    row = st.container(horizontal=True)
    row.download_button(f"下载核对结果 CSV（{len(frame)} 条）", lambda: csv_bytes(frame), file_name=f"{name}.csv",
                        mime="text/csv", icon=":material/download:", key="audit_csv", disabled=frame.empty)
    row.download_button("下载 Excel", lambda: excel_bytes(frame) or b"", file_name=f"{name}.xlsx",
                        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        icon=":material/table_view:", key="audit_xlsx", disabled=frame.empty)
    # the report renders page images: only when asked for (a callable runs on the click, not on every rerun)
    row.download_button("下载审核报告（可打印）", lambda: audit_html(side.service, pairs, reviews).encode("utf-8"),
                        file_name=f"{name}.html", mime="text/html", icon=":material/print:", key="audit_html")
    for d, findings in pairs:
        _document(side, d, findings, reviews)


def _document(side: Sidebar, doc: Document, findings: Sequence[Finding], reviews: Mapping[str, Review]) -> None:
    st.markdown(f"#### {md_escape(doc_label(doc))}")
    groups = grouped(findings)
    if not findings:
        st.success(summary_line(findings), icon=":material/check_circle:")
        return
    show = st.error if groups["error"] else st.warning if groups["warning"] else st.info
    show(summary_line(findings), icon=":material/fact_check:")
    st.markdown("  ".join(f":{SEVERITY[s][1]}-badge[{SEVERITY[s][2]} {SEVERITY[s][0]} {len(groups[s])}]" for s in ORDER))
    index = {id(f): i for i, f in enumerate(findings)}  # stable keys for the page expanders
    for severity in ("error", "warning"):
        items = groups[severity]
        if items:
            label, color, icon, meaning = SEVERITY[severity]
            st.markdown(f"##### :{color}[{icon} {label}（{len(items)} 处）]", help=meaning)
            for f in items:
                _finding(side, doc, f, index[id(f)], reviews.get(f.key))
    items = groups["rounding"]
    if items:
        with st.expander(f"{rounding_word(findings)}（{len(items)} 处）：各项分别取整后再相加造成，一般无需处理",
                         icon=SEVERITY["rounding"][2], expanded=False):
            for f in items:
                _finding(side, doc, f, index[id(f)], reviews.get(f.key))


def _finding(side: Sidebar, doc: Document, f: Finding, i: int, review: Review | None) -> None:
    label, color, icon, _ = SEVERITY.get(f.severity, SEVERITY["warning"])
    with st.container(border=True):
        mark = f" :{'red' if review.mark == '确认' else 'gray'}-badge[复核：{review.mark}]" if review else ""
        st.markdown(f":{color}-badge[{icon} {label}]{mark} **{pages_label(f.pages)}** · {md_escape(f.table)}")
        st.markdown(md_escape(f.message))
        parts = [f":gray[行] {md_escape(f.row)}" if f.row else "", f":gray[列] {md_escape(f.column)}" if f.column else "",
                 f":gray[应为] **{fmt_value(f.expected)}**" if f.expected is not None else "",
                 f":gray[实为] **{fmt_value(f.actual)}**" if f.actual is not None else "",
                 f":gray[差额] :{color}[**{fmt_value(f.difference, signed=True)}**]" if f.difference is not None else ""]
        st.markdown("　·　".join(p for p in parts if p))
        if review and review.note:
            st.caption(f"复核意见（{review.marked_at[:10]}）：{review.note}")
        if f.pages:
            _page(side, doc, f, i)
        _review_form(side, doc, f, review)


def _review_form(side: Sidebar, doc: Document, f: Finding, review: Review | None) -> None:
    """确认 (a real defect) or 忽略 (not one), with a note: stored, and shown here next time."""
    with st.popover("复核", icon=":material/rate_review:"):
        note_key = f"review_note_{f.key}"
        st.text_input("复核意见", value=review.note if review else "", key=note_key)
        row = st.container(horizontal=True)
        for mark in (*REVIEW_MARKS, None):
            if mark is None and not review:
                continue
            row.button(mark or "清除", key=f"review_{mark or 'clear'}_{f.key}",
                       type="primary" if review and review.mark == mark else "secondary",
                       on_click=_mark, args=(side.service, f.key, doc.doc_id, mark, note_key))


def _mark(service, finding_key: str, doc_id: str, mark: str | None, note_key: str) -> None:
    # the note as typed when the button was pressed (the button's own args were bound on the run before)
    service.review(finding_key, doc_id, mark, st.session_state.get(note_key, ""))


def _page(side: Sidebar, doc: Document, f: Finding, i: int) -> None:
    """The finding's first page, rendered only once the expander is opened; its cell boxed when printed there."""
    first = f.pages[0]
    box = st.expander(f"PDF原文 第{first}页", icon=":material/description:", key=page_key(doc.doc_id, i),
                      on_change="rerun")
    with box:
        if not box.open:
            st.caption("展开后显示这一页。")
            return
        home = str(side.settings.home)
        cell = finding_cell(f, side.service.facts(doc.doc_id))
        what = _what(cell) if cell else ""
        if cell and cell.page == first:
            png = source_png(side.service, home, doc.doc_id, first, tuple(cell.bbox))
            caption = f"PDF原文 第{first}页：红框处为{what}"
        else:
            png = page_png(side.service, home, doc.doc_id, first)
            caption = f"PDF原文 第{first}页"
        if png is None:
            st.caption("这个文件的PDF原件不在数据文件夹中，无法显示原页。")
            return
        st.image(png, caption=caption)
        if cell and cell.page != first:  # the figure itself is printed further on: show it boxed as well
            png = source_png(side.service, home, doc.doc_id, cell.page, tuple(cell.bbox))
            if png:
                st.image(png, caption=f"PDF原文 第{cell.page}页：红框处为{what}")


def _what(cell: Fact) -> str:
    if cell.table_kind == PROSE:
        return f"说明中的这句话：{cell.raw_text}"
    return f"“{cell.row_label}”（{cell.column}）的数值 {cell.raw_text or format(cell.value, 'f')}"
