"""Questions are read as the documents print them, whatever script or keyboard typed them."""

from __future__ import annotations

import pytest

from app.spelling import respelled
from app.understand import understand


@pytest.mark.parametrize(("typed", "printed"), [
    ("區府辦 因公出國經費 預算", "区府办 因公出国经费 预算"),
    ("社工部 機關運行經費 決算", "社工部 机关运行经费 决算"),
    ("普陀区商务委２０２５年人员经费", "普陀区商务委2025年人员经费"),
    ("３０２１７是什么科目？", "30217是什么科目？"),
    ("区府办二〇二五年财政拨款收入", "区府办2025年财政拨款收入"),
    ("二零二四年 区府办 收入预算", "2024年 区府办 收入预算"),
    ("区府办 201-03-01 基本支出", "区府办 2010301 基本支出"),
    ("215 08 99是什么", "2150899是什么"),
    ("201 13 是什么", "20113 是什么"),
])
def test_respelled_as_printed(typed, printed):
    assert respelled(typed) == printed


@pytest.mark.parametrize("kept", [
    "2017-2019年三公经费", "公务接待费是多少？", "增长10.97%，比上年多1,003.69万元", "收入 100 万元", "一百二十万元",
    "（一）人员经费", "2025年01月",
])
def test_what_is_already_printed_so_is_kept(kept):
    assert respelled(kept) == kept


def test_a_frame_of_a_respelled_question_has_its_year_code_and_unit():
    frame = understand(respelled("區府辦 二〇二五年 ２０１０３０１ 多少万"))
    assert (frame.years, frame.codes, frame.want_unit) == ((2025,), ("2010301",), "万元")
