"""The LLM may parse the question into a frame: used when it keeps to the question, else the rule frame.

Fake chat models stand in for the provider: one that reads the question right, one that returns the
frame of another subject, one that returns malformed JSON, one with fields the schema forbids.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from app.frame_llm import grounded, llm_frame, parse_spec
from app.service import Service
from app.settings import Settings
from app.understand import understand
from store.embedders import NgramEmbedder
from store.vectors import InMemoryIndex
from tests.conftest import XINZHOU

XZ = "忻州市商务局"


def _frame(**fields) -> str:
    return json.dumps({"operation": "amount", "subjects": [], "column": None, "stage": None, "years": [],
                       "want_unit": None, **fields}, ensure_ascii=False)


@pytest.fixture(scope="module")
def service(tmp_path_factory) -> Service:
    svc = Service(Settings(home=tmp_path_factory.mktemp("frames")), vectors=InMemoryIndex(NgramEmbedder()))
    assert [r.status for r in svc.ingest([XINZHOU])] == ["ingested"]
    return svc


def _ask(service: Service, reply: str, question: str):
    service.asker.frame_model = FakeListChatModel(responses=[reply])
    try:
        return service.ask(question, XZ)
    finally:
        service.asker.frame_model = None


def test_a_frame_that_keeps_to_the_question_is_used(service):
    rules = understand("2024年招待费是多少")
    frame, note = llm_frame(FakeListChatModel(responses=[_frame(subjects=["招待费"], years=[2024])]), rules, 5.0)
    assert (frame.source, note) == ("llm", "")
    answer = _ask(service, _frame(subjects=["招待费"], years=[2024]), "2024年招待费是多少")
    assert (answer.status, answer.value) == ("verified", Decimal("1.00")), answer.answer


def test_a_frame_for_another_subject_is_not_used(service):
    # asked 机关运行经费; the model says 三公经费 (a sibling of the same table): the rule frame answers
    answer = _ask(service, _frame(subjects=["“三公”经费"]), "机关运行经费是多少")
    assert (answer.status, answer.value) == ("verified", Decimal("113.23")), answer.answer
    assert any("不在问题中" in n for n in answer.notes)


def test_malformed_json_leaves_the_rule_frame(service):
    answer = _ask(service, "好的，这个问题问的是公务接待费。", "2024年公务接待费是多少")
    assert (answer.status, answer.value) == ("verified", Decimal("1.00"))
    assert any("按规则理解" in n for n in answer.notes)


def test_fields_beyond_the_schema_are_refused():
    with pytest.raises(ValueError):
        parse_spec(_frame(subjects=["公务接待费"], answer="1.00万元"))  # extra="forbid"
    assert parse_spec(f"```json\n{_frame(subjects=['公务接待费'])}\n```").subjects == ["公务接待费"]


def test_a_year_the_question_does_not_name_is_not_grounded():
    rules = understand("2024年公务接待费是多少")
    assert grounded(parse_spec(_frame(subjects=["公务接待费"], years=[2023])), rules) == "2023年"
    assert grounded(parse_spec(_frame(subjects=["公务接待费"], years=[2024])), rules) == ""
