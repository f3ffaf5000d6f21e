"""The chat's own choice of model, for this browser session: the server's setting, offline, or an
OpenAI-compatible endpoint (model, base URL, key from the server's environment or typed in — kept in this
session's memory only, never written to disk), with a connection test."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from app.llm import LLMError, make_chat_model, within
from app.service import Service
from app.ui.labels import llm_label

CHOICE = "session_model"  # this session's choice: a SessionModel, or absent for the server's setting
SERVER, OFFLINE, ENDPOINT = "服务器的设置", "离线（不用大模型）", "OpenAI 兼容接口"
TEST_TIMEOUT = 15  # seconds a connection test may take


@dataclass(frozen=True)
class SessionModel:
    """A model chosen in the page: registered with the service under a key of this session's own."""

    key: str
    spec: str  # none | openai:<model>
    model: Any = field(default=None, compare=False, repr=False)  # the chat model itself (its key inside)


def _model(name: str, base_url: str, api_key: str, timeout: float):
    """The chat model for an OpenAI-compatible endpoint (nothing is contacted yet)."""
    return make_chat_model(f"openai:{name.strip()}", base_url=base_url.strip() or None,
                           api_key=api_key.strip() or None, timeout=timeout)


def test_connection(name: str, base_url: str, api_key: str) -> tuple[bool, str]:
    """Whether the endpoint answers a one-word prompt, and what to tell the user."""
    try:
        model = _model(name, base_url, api_key, TEST_TIMEOUT)
        reply = within(TEST_TIMEOUT + 2, lambda: model.invoke("请只回复：OK"))  # a hanging client cannot hold the page
    except TimeoutError:
        return False, f"连接失败：{TEST_TIMEOUT} 秒内没有回复，请检查接口地址和网络"
    except LLMError as exc:
        return False, str(exc)
    except Exception as exc:  # any client error (unreachable, refused, bad key) is told, not raised
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return False, f"连接失败：{first[:200]}"
    return True, f"连接成功，模型回复：{str(getattr(reply, 'content', reply))[:40]}"


def model_panel(box, service: Service) -> SessionModel | None:
    """Draw the choice; register what is applied with the service. Returns this session's model, if any."""
    chosen: SessionModel | None = st.session_state.get(CHOICE)
    if chosen and not service.has_model(chosen.key):  # the service was reopened: register the choice again
        service.use_model(chosen.key, chosen.model)
    label = box.empty()  # filled last: what the session uses after this run's choice
    with box.form("model_form", border=False):
        mode = st.radio("回答方式", (SERVER, OFFLINE, ENDPOINT), key="model_mode", horizontal=False,
                        help="只对当前浏览器会话有效；答案中的每个数字仍会与文件核对")
        name = st.text_input("模型名", key="model_name", placeholder="例如 qwen2.5-7b-instruct")
        base_url = st.text_input("接口地址（Base URL）", key="model_base_url", placeholder="例如 http://127.0.0.1:8000/v1")
        api_key = st.text_input("API Key", key="model_api_key", type="password",
                                placeholder="留空则用服务器的 OPENAI_API_KEY；只保存在本次会话的内存中")
        row = st.container(horizontal=True)
        test = row.form_submit_button("测试连接", icon=":material/network_check:")
        apply = row.form_submit_button("应用", type="primary", icon=":material/check:")
    if test or apply:
        if mode == ENDPOINT and not name.strip():
            box.error("请填写模型名")
            test = apply = False
    if test:
        if mode == ENDPOINT:
            ok, message = test_connection(name, base_url, api_key)
            (box.success if ok else box.error)(message)
        else:
            box.info("离线模式不需要连接" if mode == OFFLINE else llm_label(service.settings.llm))
    if apply:
        if mode == SERVER:
            st.session_state.pop(CHOICE, None)
            chosen = None
        else:
            try:
                model = _model(name, base_url, api_key, service.settings.llm_timeout) if mode == ENDPOINT else None
            except LLMError as exc:
                box.error(str(exc))
                label.caption(llm_label(chosen.spec if chosen else service.settings.llm))
                return chosen
            chosen = SessionModel(uuid.uuid4().hex, f"openai:{name.strip()}" if mode == ENDPOINT else "none", model)
            service.use_model(chosen.key, model)
            st.session_state[CHOICE] = chosen
        box.success("已应用")
    label.caption(llm_label(chosen.spec if chosen else service.settings.llm))
    return chosen
