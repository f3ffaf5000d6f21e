"""Follow-ups inherit the slots they leave out from the previous question of the same conversation."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.followup import follow_up
from app.service import Service
from app.settings import Settings
from store.embedders import NgramEmbedder
from store.vectors import InMemoryIndex
from tests.conftest import XINZHOU

UNITS = ("商务委", "政府办", "忻州市商务局")


@pytest.mark.parametrize(("previous", "question", "resolved"), [
    ("2024年三公经费是多少", "那2018年呢？", "2018年三公经费是多少"),
    ("三公经费是多少", "那2018年呢", "2018年三公经费是多少"),
    ("支出合计是多少", "其中基本支出呢？", "支出合计中的基本支出是多少"),
    ("三公经费是多少", "和上年比呢？", "三公经费比上年增长多少"),
    ("人员经费是多少", "那公用经费呢", "公用经费是多少"),
    ("商务委三公经费是多少", "那政府办呢？", "政府办三公经费是多少"),
])
def test_a_follow_up_takes_what_it_leaves_out(previous, question, resolved):
    assert follow_up(question, previous, UNITS) == (resolved, f"按上一问理解为：“{resolved}”")


@pytest.mark.parametrize("question", ["公务接待费是多少？", "机关运行经费是多少", "2018年三公经费是多少"])
def test_a_fresh_question_never_inherits(question):
    assert follow_up(question, "商务委2025年三公经费是多少", UNITS) == (question, "")


def test_without_a_previous_question_nothing_is_assumed():
    assert follow_up("那2018年呢", None, UNITS) == ("那2018年呢", "")


def test_the_service_follows_a_conversation_and_says_what_it_assumed(tmp_path):
    svc = Service(Settings(home=tmp_path), vectors=InMemoryIndex(NgramEmbedder()))
    assert all(r.status == "ingested" for r in svc.ingest([XINZHOU]))
    first = svc.ask("人员经费是多少", conversation="c1")
    assert first.value == Decimal("447.07")
    second = svc.ask("那公用经费呢？", conversation="c1")
    assert (second.status, second.value) == ("verified", Decimal("113.23"))
    assert second.notes[0] == "按上一问理解为：“公用经费是多少”"
    # another conversation, or none, has no previous question
    assert svc.ask("那公用经费呢？", conversation="c2").notes[:1] != ("按上一问理解为：“公用经费是多少”",)
