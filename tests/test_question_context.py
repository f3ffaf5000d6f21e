"""What a question's own context says: the part in the clause of 占, the newest year, the figure it already gives."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.understand import understand
from tests.test_multiyear import service  # noqa: F401 - the module fixture: every sample loaded

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("question, value", [
    # the whole first, then the part in the clause of 占: 人员经费 ÷ 基本支出, not 基本支出's own share of the total
    ("忻州市商务局基本支出里，人员经费占多少比例？", "79.79"),  # 447.07 ÷ 560.30
    ("社工部2024年的基本支出中，人员经费占基本支出的百分之几", "90.32"),  # 95.36 ÷ 105.58 (决算: rows, not columns)
])
def test_a_share_asked_of_the_part_named_in_the_clause_of_zhan(service, question, value):  # noqa: F811
    answer = service.ask(question)
    assert (answer.status, answer.value, answer.unit) == ("verified", Decimal(value), "%"), answer.answer


@pytest.mark.parametrize("words", ["最新一年", "最近一年"])
def test_the_newest_year_is_the_newest_loaded(words):
    assert understand(f"省政协办公厅{words}的机关运行经费是多少").relative_years == (0,)


def test_the_newest_year_of_a_unit_answers_alone(service):  # noqa: F811
    answer = service.ask("省政协办公厅最新一年的一般公共预算机关运行经费比上年增长了百分之几？")
    assert (answer.status, answer.value) == ("verified", Decimal("1.33")), answer.answer  # 2019's, stated
    assert "2017" not in answer.answer


def test_a_figure_the_question_gives_is_no_answer_to_it(service):  # noqa: F811
    # 60万元 is the project's budget, stated by the question; its target investment is printed nowhere
    answer = service.ask("忻州市商务局招商引资（展会）工作经费60万元，计划吸引的投资总额是多少亿元？")
    assert answer.status == "refused" and "问题里已经给出了60.00万元" in answer.answer


def test_a_figure_the_question_asks_to_confirm_is_not_set_aside(service):  # noqa: F811
    answer = service.ask("忻州市商务局招商引资（展会）工作经费是60万元吗？")
    assert "问题里已经给出" not in answer.answer


def test_a_change_never_stated_is_computed_from_last_years_document_when_it_is_loaded(service):  # noqa: F811
    # 2019's prose states no change of the 三公 subtotal; 2018's tables file is loaded: 660.10 − 675.10
    answer = service.ask("省政协办公厅的“三公”经费，最新一年比上一年是涨了还是降了？差额是多少万元？")
    assert (answer.status, answer.value) == ("verified", Decimal("15.00")), answer.answer
    assert "660.10" in answer.answer and "675.10" in answer.answer


def test_a_figure_then_a_yes_no_question_after_a_question_mark_answers_the_figure(service):  # noqa: F811
    answer = service.ask("区政府办2025年财政拨款安排的机关运行经费预算是多少万元？这个数和经济分类表里的公用经费对得上吗？")
    assert (answer.status, answer.value) == ("verified", Decimal("213.28")), answer.answer
    assert any("请单独再问" in n for n in answer.notes)
