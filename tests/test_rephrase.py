"""How people frame a question, and the plain question each framing is read as."""

from __future__ import annotations

import pytest

from app.rephrase import rephrased


@pytest.mark.parametrize(("asked", "plain"), [
    ("我们单位也在编预算，想参考下区政府办：政府办有政府采购预算吗？有的话多少万元",
     "政府办有政府采购预算，多少万元"),
    ("区政府办2025年养人的钱（人员经费）占全部支出的百分之几", "区政府办2025年人员经费占全部支出的百分之几"),
    ("江苏省政协2017年买电脑、复印机这些办公设备花多少万元", "江苏省政协2017年买办公设备花多少万元"),
    ("忻州商务局除了公车的钱，另外还有一笔“其他交通费用”是多少", "忻州商务局另外还有一笔“其他交通费用”是多少"),
    ("忻州市商务局基本支出精确到元", "忻州市商务局基本支出（元）"),
    ("商务委项目支出多少亿元，保留两位小数", "商务委项目支出多少亿元"),
])
def test_a_framing_is_read_as_the_plain_question(asked, plain):
    assert rephrased(asked) == plain


@pytest.mark.parametrize("asked", [
    "忻州市商务局2024年三公经费是多少",
    "除了三公经费以外的基本支出是多少",  # all but the first: a complement, not a framing
    "机关运行经费（含公用经费）有多少",  # the bracket narrows, it does not gloss one term
    "我想问：",  # a lead-in with nothing after it
    "政协办公厅公开12表里省政协业务工作经费（培训费）采购多少",  # a printed name and its 经济科目, not a gloss
])
def test_a_question_without_a_framing_is_left_as_asked(asked):
    assert rephrased(asked) == asked
