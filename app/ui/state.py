"""The Service behind the page: one per data folder and settings, shared by every browser session."""

from __future__ import annotations

import io

import streamlit as st

from app.llm import LLMError
from app.service import Service
from app.settings import Settings, load_settings


def settings_for() -> Settings:
    """Settings from the server's BUDGETQA_* variables (the data folder included)."""
    return load_settings()


@st.cache_resource(show_spinner="正在打开数据文件夹…")
def _open(key: str, _settings: Settings) -> Service:
    # Keyed by the settings' JSON: another folder or model gets its own Service, the same one is reused.
    return Service(_settings)


def service_for(settings: Settings) -> tuple[Service, str]:
    """The shared Service for these settings, and a warning when the LLM setting had to be dropped.

    A model that cannot be used (unknown spec, missing package or key) must not lock staff out:
    the page opens offline and says why."""
    try:
        return _open(settings.model_dump_json(), settings), ""
    except LLMError as exc:
        offline = settings.model_copy(update={"llm": "none"})
        return _open(offline.model_dump_json(), offline), f"大模型设置无法使用，已改用离线模式：{exc}"


def png_bytes(image) -> bytes | None:
    """A PIL image as PNG bytes (None stays None: no archived PDF)."""
    if image is None:
        return None
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@st.cache_data(show_spinner=False, max_entries=256)
def source_png(_service: Service, key: str, doc_id: str, page: int, bbox: tuple[float, float, float, float]) -> bytes | None:
    """The highlighted page band of one cited cell as PNG bytes, rendered once per cell."""
    from app.answer import Citation
    from app.ui.sources import source_image

    return png_bytes(source_image(_service, Citation(doc_id, "", None, page, "", "", "", None, None, bbox)))


@st.cache_data(show_spinner=False, max_entries=128)
def passage_png(_service: Service, key: str, doc_id: str, page: int, quoted: str) -> bytes | None:
    """The page band holding the lines an answer quotes, each line marked; None when none is found (or no PDF)."""
    return png_bytes(_service.quoted_band(doc_id, page, quoted))


@st.cache_data(show_spinner=False, max_entries=64)
def page_png(_service: Service, key: str, doc_id: str, page: int) -> bytes | None:
    """A whole page as PNG bytes, rendered once per page."""
    from app.ui.sources import page_image

    return png_bytes(page_image(_service, doc_id, page))


@st.cache_data(show_spinner="正在核对勾稽关系…", max_entries=64)
def findings_for(_service: Service, key: str, doc_id: str) -> list:
    """The consistency findings of one document (its doc_id is its content's hash: they never go stale)."""
    return _service.audit(doc_id)
