"""The chat: history for the session, example questions, and each answer with badge, figure and sources."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Sequence

import streamlit as st

from app.answer import Answer
from app.llm import stream_text
from app.ui.export import Exchange, answer_markdown, conversation_excel, conversation_html, exchanges
from app.ui.labels import STATUS, flagged_markdown, fmt_amount, md_escape, status_line
from app.ui.scope import Target, ask_in_scope, scope_label, units_outside
from app.ui.sidebar import Sidebar
from app.ui.sources import citation_rows, figure_citation, side_by_side
from app.ui.state import passage_png, source_png
from app.ui.viewer import open_viewer, viewer_if_asked

# Generic phrasings that work on any loaded disclosure (one runs the consistency audit); the last shows
# what a refusal looks like.
EXAMPLES = ("公务接待费是多少？", "基本支出占比多少？", "三公经费指什么？", "这份文件有没有不一致的地方？",
            "2025年公务接待费是多少？")
MESSAGES = "messages"
PENDING = "pending_question"
MAX_IMAGES = 3  # page crops per answer: enough to check, few enough to stay fast


def render(side: Sidebar) -> None:
    """History above, the question box below; a new question is answered in place."""
    messages: list[dict] = st.session_state.setdefault(MESSAGES, [])
    # The welcome and the history are separate blocks, so a first answer never inherits the welcome's elements.
    intro, history = st.container(), st.container()
    typed = st.chat_input("在这里输入问题，例如：公务接待费是多少？", key="question")
    question = (typed or st.session_state.pop(PENDING, None) or "").strip()
    if not messages and not question:
        with intro:
            _welcome(bool(side.documents))
    with history:
        for message in messages:
            _show(side, message, latest=False)
        if question:
            user = {"role": "user", "text": question, "scope": scope_label(side.units, side.years)}
            _show(side, user, latest=True)
            with st.chat_message("assistant"):
                bot = _ask(side, question)
                _assistant(side, bot, latest=True)
            messages.extend([user, bot])
    if messages:
        _export_conversation(messages)
    viewer_if_asked(side.service)


def _export_conversation(messages: Sequence[dict]) -> None:
    """The whole conversation, for the file or for print: Excel (one row per answer) and an HTML report."""
    items = exchanges(messages)
    stamp = time.strftime("%Y%m%d-%H%M")
    row = st.container(horizontal=True)
    row.download_button(f"导出对话 Excel（{len(items)}条）", lambda: conversation_excel(items),
                        file_name=f"问答记录-{stamp}.xlsx", icon=":material/download:", key="export_xlsx", on_click="ignore",
                        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    row.download_button("导出对话报告（可打印 HTML）", lambda: conversation_html(items).encode("utf-8"),
                        file_name=f"问答记录-{stamp}.html", mime="text/html", icon=":material/print:",
                        key="export_html", on_click="ignore")  # a download needs no rerun of the page


def _welcome(loaded: bool) -> None:
    st.markdown("在下面输入问题，系统会在已加载的文件中查找，并把答案里的**每一个数字与原表核对**，"
                "同时给出它在PDF中的页码、表格、行和列。")
    cols = st.columns(3)
    for col, status in zip(cols, ("verified", "unverified", "refused"), strict=True):
        text, color, icon, meaning, _ = STATUS[status]
        col.badge(text, icon=icon, color=color)
        col.caption(meaning)
    if not loaded:
        st.info("还没有加载文件：请先在左侧“① 加载文件”中上传预算或决算公开 PDF。", icon=":material/upload_file:")
        return
    st.markdown("**可以这样问：**")
    row = st.container(horizontal=True)  # buttons as wide as their question, wrapping onto a second line if need be
    for i, q in enumerate(EXAMPLES):
        row.button(q, key=f"example_{i}", on_click=st.session_state.__setitem__, args=(PENDING, q))


def _ask(side: Sidebar, question: str) -> dict:
    """Ask within the scope; the assistant's message record."""
    with st.spinner("正在查找并核对数字…"):
        # one conversation per browser session: a follow-up (那2018年呢？) continues the question before it
        conversation = st.session_state.setdefault("conversation_id", uuid.uuid4().hex)
        results = ask_in_scope(side.service, question, side.documents, side.units, side.years, conversation,
                               side.model)
    outside = units_outside(question, side.documents, side.selected)
    note = ""
    if side.documents and not side.selected:
        note = "当前问答范围内没有文件，请在左侧“③ 问答范围”中调整单位或年度。"
    elif outside:
        note = f"问题提到的“{'、'.join(outside)}”不在当前问答范围内，答案只来自范围内的文件。"
    return {"role": "assistant", "results": results, "note": note}


def _show(side: Sidebar, message: dict, latest: bool) -> None:
    if message["role"] == "user":
        with st.chat_message("user"):
            st.markdown(md_escape(message["text"]))
            if message["scope"]:
                st.caption(f"问答范围：{message['scope']}")
    else:
        with st.chat_message("assistant"):
            _assistant(side, message, latest)


def _assistant(side: Sidebar, message: dict, latest: bool) -> None:
    if message["note"]:
        st.warning(message["note"])
    results: Sequence[tuple[Target, Answer]] = message["results"]
    for i, (target, answer) in enumerate(results):
        if len(results) > 1:
            st.markdown(f"#### {target.label}")
        show_answer(side, answer, latest)
        markdown = answer_markdown(Exchange(answer.question, answer))
        st.download_button("导出本条（Markdown，可粘贴到Word）", markdown.encode("utf-8"), file_name="答案.md",
                           mime="text/markdown", icon=":material/content_copy:", type="tertiary",
                           key=f"export_{id(message)}_{i}", on_click="ignore")


def _stream(text: str) -> Iterator[str]:
    # The answer is verified before anything is shown; it is then streamed sentence by sentence.
    for piece in stream_text(text):
        time.sleep(0.03)
        yield piece


def show_answer(side: Sidebar, answer: Answer, latest: bool) -> None:
    """Badge, figure, text (unsupported numbers marked), and sources with the page crops."""
    loaded = {d.doc_id for d in side.documents}
    if gone := sorted({c.unit_name for c in answer.citations if c.doc_id not in loaded}):
        # an earlier answer from a document removed since: its figures can no longer be checked or shown
        st.warning(f"此答案引用的文件（{'、'.join(gone)}）已从已加载的文件中删除，数字无法再与原表核对，请勿直接引用。",
                   icon=":material/link_off:")
        st.markdown(md_escape(answer.answer))
        return
    st.markdown(status_line(answer.status), help=STATUS.get(answer.status, STATUS["unverified"])[3])
    bad = [n for n in answer.numbers if not n.supported]
    rows = side_by_side(answer)
    if answer.value is not None and answer.status != "refused":
        cited = figure_citation(answer)
        label = f"{cited.row}（{cited.column}）" if cited and cited.row else "答案中的数字"
        if cited and len({(c.unit_name, c.year) for c in answer.citations}) > 1:  # whose figure the card shows
            label = f"{cited.unit_name}{cited.year or ''}年 · {label}"
        st.metric(label, fmt_amount(answer.value, answer.unit), border=True, width="content",
                  help=f"出自《{cited.table}》{cited.page_text}" if cited else None)
    if rows:  # the same item of several years or units, side by side (the 图表 tab draws them across years)
        st.table(rows, hide_index=True)
    body = flagged_markdown(answer.answer, [n.text for n in bad])  # unsupported figures marked where they stand
    if latest and side.settings.llm != "none":
        st.write_stream(_stream(body))
    else:
        st.markdown(body)
    if answer.notes:
        st.caption("；".join(answer.notes))
    if bad:
        lines = "\n".join(f"- **{md_escape(n.text)}**：{md_escape(n.problem or '文件中找不到这个数字')}" for n in bad)
        st.warning(f"下列数字未能在文件中核实，请勿直接引用：\n{lines}", icon=":material/warning:")
    if answer.citations:
        _sources(side, answer, latest)


def _sources(side: Sidebar, answer: Answer, latest: bool) -> None:
    first = answer.citations[0]
    title = f"来源：{first.page_text}《{first.table}》" + (f" 等 {len(answer.citations)} 处" if len(answer.citations) > 1 else "")
    with st.expander(title, expanded=latest, icon=":material/description:"):
        st.table(citation_rows(answer.citations), hide_index=True)
        cells = [c for c in answer.citations if c.bbox is not None][:MAX_IMAGES]
        for i, c in enumerate(cells):
            png = source_png(side.service, str(side.settings.home), c.doc_id, c.page, tuple(c.bbox))
            if png:
                st.image(png, caption=f"PDF原文 {c.page_text}：红框处为“{c.row}”{('（' + c.column + '）') if c.column else ''}"
                                      f"的数值 {c.value}")
            st.button(f"查看整页：{c.page_text}", key=f"view_{id(answer)}_{i}", icon=":material/open_in_full:",
                      type="tertiary", on_click=open_viewer, args=(c.doc_id, c.page, tuple(c.bbox)))
        for i, c in enumerate(c for c in answer.citations if c.bbox is None):  # passages without a cell box
            if i < MAX_IMAGES:
                png = passage_png(side.service, str(side.settings.home), c.doc_id, c.page, answer.answer)
                if png:  # the lines of the page the answer quotes, marked line by line
                    st.image(png, caption=f"PDF原文 {c.page_text}：标出的是答案引用的文字")
                st.button(f"查看整页：{c.page_text}《{c.table}》", key=f"view_text_{id(answer)}_{i}",
                          icon=":material/open_in_full:", type="tertiary", on_click=open_viewer, args=(c.doc_id, c.page))
