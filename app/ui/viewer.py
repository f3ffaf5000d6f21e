"""The page viewer: any source's whole page, the cited cell boxed, zoomable, stepping through the document,
with the original PDF to download."""

from __future__ import annotations

import streamlit as st

from app.answer import cite_page
from app.service import Service
from app.ui.labels import doc_label
from app.ui.state import png_bytes

VIEW = "page_viewer"  # what the viewer shows: {"doc": doc_id, "page": n, "cited": n, "bbox": (…) | None}
OPEN = "page_viewer_open"  # set by a 查看整页 button: the dialog opens on the run that follows
ZOOMS = {"适合宽度": 110, "放大": 160, "更大": 220}  # render resolutions (pixels per inch)


def open_viewer(doc_id: str, page: int, bbox: tuple | None = None) -> None:
    """Remember the page to show; the dialog opens on this run."""
    st.session_state[VIEW] = {"doc": doc_id, "page": page, "cited": page, "bbox": bbox}
    st.session_state[OPEN] = True


def viewer_if_asked(service: Service) -> None:
    """Open the dialog when a 查看整页 button asked for it on this run."""
    if st.session_state.pop(OPEN, False):
        show_viewer(service)


@st.dialog("整页查看", width="large")
def show_viewer(service: Service) -> None:
    """The dialog: document and page, previous/next, zoom, the page image, and the original PDF."""
    view = st.session_state.get(VIEW)
    doc = next((d for d in service.documents() if view and d.doc_id == view["doc"]), None)
    if doc is None:
        st.warning("这份文件已经删除，无法查看原页。")
        return
    page = view["page"]
    st.markdown(f"**{doc_label(doc)}** · {cite_page(page, doc.page_label(page))} / 共{doc.pages}页")
    row = st.container(horizontal=True)
    if row.button("上一页", icon=":material/chevron_left:", disabled=page <= 1, key="viewer_prev"):
        view["page"] = page - 1
        st.rerun(scope="fragment")
    if row.button("下一页", icon=":material/chevron_right:", disabled=page >= doc.pages, key="viewer_next"):
        view["page"] = page + 1
        st.rerun(scope="fragment")
    if page != view["cited"] and row.button("回到引用页", icon=":material/my_location:", key="viewer_back"):
        view["page"] = view["cited"]
        st.rerun(scope="fragment")
    zoom = row.segmented_control("缩放", list(ZOOMS), default="适合宽度", key="viewer_zoom", label_visibility="collapsed")
    box = view["bbox"] if page == view["cited"] else None
    png = png_bytes(service.page_image(doc.doc_id, page, None, tuple(box) if box else None,
                                       ZOOMS.get(zoom or "适合宽度", 110)))
    if png is None:
        st.info("没有保存这份文件的原件，无法显示页面。")
    else:
        st.image(png, caption="红框处为引用的数字" if box else None)
    pdf = service.pdf_path(doc.doc_id)
    if pdf is not None:
        st.download_button("下载原始PDF", pdf.read_bytes(), file_name=doc.file_name, mime="application/pdf",
                           icon=":material/download:", key="viewer_pdf")
