"""The Service behind the page: one per data folder and settings, shared by every browser session."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app.llm import LLMError
from app.service import Service
from app.settings import Settings, load_settings


def settings_for(home: str | None = None) -> Settings:
    """Settings from BUDGETQA_* variables, with the data folder the page chose on top."""
    return load_settings(home=Path(home).expanduser() if home else None)


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


@st.cache_data(show_spinner=False, max_entries=256)
def source_png(_service: Service, key: str, doc_id: str, page: int, bbox: tuple[float, float, float, float]) -> bytes | None:
    """The highlighted page band of one cited cell as PNG bytes, rendered once per cell."""
    import io

    from app.answer import Citation
    from app.ui.sources import source_image

    image = source_image(_service, Citation(doc_id, "", None, page, "", "", "", None, None, bbox))
    if image is None:
        return None
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
