"""The sidebar: load PDFs, what is loaded (with remove), the chat's scope, and settings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import BinaryIO

import streamlit as st

from app.service import Service
from app.settings import Settings
from app.ui.labels import doc_label, doc_summary
from app.ui.model_settings import model_panel
from app.ui.scope import scoped
from app.ui.state import service_for, settings_for
from app.ui.upload import UploadOutcome, ingest_uploads
from store.errors import BudgetQAError
from store.models import Document

OUTCOMES = "upload_outcomes"
CONFIRM = "confirm_remove"


@dataclass(frozen=True)
class Sidebar:
    """What the sidebar decided: the service, the loaded documents and those in the chat's scope."""

    settings: Settings
    service: Service
    documents: list[Document]
    selected: list[Document]
    units: list[str]
    years: list[int]
    model: str | None = None  # this session's own model (its key with the service), else the server's


def render() -> Sidebar:
    """Draw the sidebar (settings are chosen first but drawn last) and return its choices."""
    bar = st.sidebar
    upload_box, docs_box, scope_box = bar.container(), bar.container(), bar.container()
    settings_box = bar.expander("设置", expanded=False, icon=":material/settings:")
    try:
        # The data folder is the server's (BUDGETQA_HOME, or `budgetqa ui --home`), never a browser user's
        # choice: a box here would let anyone create or open data folders anywhere on the server.
        settings = settings_for()
        settings_box.caption(f"数据文件夹：{settings.home}（由服务器设置，BUDGETQA_HOME）")
        service, problem = service_for(settings)
    except (BudgetQAError, ValueError) as exc:  # a bad BUDGETQA_* value or an unusable folder
        st.error(f"无法打开数据：{exc}", icon=":material/error:")
        st.stop()
    if problem:
        st.warning(problem, icon=":material/warning:")
    chosen = model_panel(settings_box, service)
    settings = service.settings if chosen is None else service.settings.model_copy(update={"llm": chosen.spec})
    upload_panel(upload_box, service)
    documents = service.documents()
    documents_panel(docs_box, service, documents)
    units, years = scope_panel(scope_box, documents)
    return Sidebar(settings, service, documents, scoped(documents, units, years), units, years,
                   chosen.key if chosen else None)


def upload_panel(box, service: Service) -> None:
    """File uploader → ingest with per-file and per-page progress; one line per file afterwards."""
    box.subheader("① 加载文件")
    generation = st.session_state.setdefault("uploader_generation", 0)
    _chinese_uploader(service.settings.max_upload_mb)
    files = box.file_uploader("上传预算/决算公开 PDF（可多选）", type=["pdf"], accept_multiple_files=True,
                              key=f"uploader_{generation}")
    if not files:
        box.caption("点“选择文件”，或把 PDF 拖进上面的框里；可以一次选多个。")
    if files and box.button(f"加载这 {len(files)} 个文件", type="primary", key="load_files"):
        st.session_state[OUTCOMES] = _ingest_with_progress(box, service, [(f.name, f) for f in files])
        st.session_state["uploader_generation"] = generation + 1  # a fresh, empty uploader
        st.rerun()
    show_outcomes(box, st.session_state.get(OUTCOMES, []))


# Streamlit prints its uploader's words in English (Upload, "200MB per file • PDF") and offers no setting for
# them: the page's own stylesheet writes them in Chinese over the hidden originals.
_UPLOADER_CSS = """<style>
[data-testid="stFileUploaderDropzone"] button > * {{ display: none !important; }}
[data-testid="stFileUploaderDropzone"] button::after {{ content: "选择文件"; font-size: 0.875rem; }}
[data-testid="stFileUploaderDropzoneInstructions"] * {{ font-size: 0 !important; }}
[data-testid="stFileUploaderDropzoneInstructions"]::after {{ content: "PDF，每个不超过 {mb} MB"; font-size: 0.8rem;
  opacity: 0.7; }}
</style>"""


def _chinese_uploader(max_mb: int) -> None:
    st.markdown(_UPLOADER_CSS.format(mb=max_mb), unsafe_allow_html=True)


def _ingest_with_progress(box, service: Service, files: list[tuple[str, BinaryIO]]) -> list[UploadOutcome]:
    bars = [box.progress(0.0, text=f"{name}：等待中") for name, _ in files]

    def progress(index: int, name: str, done: int, total: int) -> None:
        bars[index].progress(done / max(total, 1), text=f"{name}：正在读取第 {done}/{total} 页")

    return ingest_uploads(service, files, progress)  # the bars go with the rerun that follows


def show_outcomes(box, outcomes: Sequence[UploadOutcome]) -> None:
    """Each file's result: success, already loaded, or its one-line reason."""
    for o in outcomes:
        if o.status == "failed":
            box.error(o.message, icon=":material/error:")
        elif o.status == "skipped":
            box.info(o.message, icon=":material/info:")
        else:
            box.success(o.message, icon=":material/check_circle:")
        for w in o.warnings:
            box.warning(f"{o.name}：{w}", icon=":material/warning:")


def documents_panel(box, service: Service, documents: Sequence[Document]) -> None:
    """The loaded documents, each with a remove button that asks for confirmation."""
    box.subheader(f"② 已加载的文件（{len(documents)}）")
    if not documents:
        box.caption("还没有加载文件。")
        return
    for d in documents:
        card = box.container(border=True)
        card.markdown(f"**{d.unit_name or d.file_name}**  \n{f'{d.year}年' if d.year else '年度不详'} · {d.scope}{d.kind}")
        card.caption(doc_summary(d))
        if st.session_state.get(CONFIRM) == d.doc_id:
            card.warning(f"确定删除“{doc_label(d)}”吗？它的数字和段落都会移除，之后需要重新上传。")
            left, right = card.columns(2)
            if left.button("确定删除", type="primary", key=f"yes_{d.doc_id[:16]}"):
                service.remove(d.doc_id)
                st.session_state.pop(CONFIRM, None)
                st.session_state[OUTCOMES] = []
                st.toast(f"已删除：{doc_label(d)}")
                st.rerun()
            if right.button("取消", key=f"no_{d.doc_id[:16]}"):
                st.session_state.pop(CONFIRM, None)
                st.rerun()
        elif card.button("删除", key=f"rm_{d.doc_id[:16]}", icon=":material/delete:"):
            st.session_state[CONFIRM] = d.doc_id
            st.rerun()


def scope_panel(box, documents: Sequence[Document]) -> tuple[list[str], list[int]]:
    """The unit and year filter the chat, facts and charts obey; returns the chosen units and years."""
    box.subheader("③ 问答范围")
    units = sorted({d.unit_name for d in documents if d.unit_name})
    years = sorted({d.year for d in documents if d.year}, reverse=True)
    # A removed document's unit or year must not linger as a chosen option.
    for key, options in (("scope_units", units), ("scope_years", years)):
        if key in st.session_state:
            st.session_state[key] = [v for v in st.session_state[key] if v in options]
    chosen_units = box.multiselect("单位", units, key="scope_units", placeholder="全部单位")
    chosen_years = box.multiselect("年度", years, key="scope_years", placeholder="全部年度",
                                   format_func=lambda y: f"{y}年")
    selected = scoped(documents, chosen_units, chosen_years)
    if documents and not selected:
        box.warning("当前范围内没有文件，请调整单位或年度。")
    elif documents:
        box.caption(f"问答只在这 {len(selected)} 个文件中查找。" if len(selected) < len(documents)
                    else "不选即在全部已加载文件中查找。")
    return chosen_units, chosen_years
