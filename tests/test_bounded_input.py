"""Questions and drafts are bounded: nothing empty is answered, nothing huge is matched for seconds."""

from __future__ import annotations

import time

import pytest

from app.service import MAX_DRAFT_CHARS, MAX_QUESTION_CHARS, Service
from app.settings import Settings
from store.embedders import NgramEmbedder
from store.errors import BudgetQAError
from store.vectors import InMemoryIndex
from tests.conftest import XINZHOU


@pytest.fixture(scope="module")
def service(tmp_path_factory) -> Service:
    svc = Service(Settings(home=tmp_path_factory.mktemp("bounded")), vectors=InMemoryIndex(NgramEmbedder()))
    assert all(r.status == "ingested" for r in svc.ingest([XINZHOU]))
    return svc


@pytest.mark.parametrize("question", ["", "   ", "\n"])
def test_an_empty_question_asks_for_one(service, question):
    answer = service.ask(question)
    assert answer.status == "refused" and "请输入" in answer.answer and answer.value is None


def test_a_4000_character_question_is_refused_at_once(service):
    question = "公务接待费是多少" * 500
    started = time.perf_counter()
    answer = service.ask(question)
    assert time.perf_counter() - started < 0.1
    assert answer.status == "refused" and str(MAX_QUESTION_CHARS) in answer.answer


def test_a_question_at_the_limit_is_still_answered(service):
    question = "公务接待费是多少？" + "　" * (MAX_QUESTION_CHARS - 20)
    assert service.ask(question).status == "verified"


def test_a_huge_draft_is_an_error_that_says_what_to_do(service):
    with pytest.raises(BudgetQAError, match="split it"):
        service.verify("公务接待费是多少", "公务接待费为1.00万元。" * (MAX_DRAFT_CHARS // 10))
