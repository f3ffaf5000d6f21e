"""Questions are read as the documents print them, whatever script or keyboard typed them."""

from __future__ import annotations

import pytest

from app.homophones import Homophones
from app.lexicon import lexicon
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
    ("2024 budget of 区府办, total 多少万", "2024 预算   区府办, 总计 多少万"),
    ("区府办 final accounts 2024 how much", "区府办 决算 2024 多少"),
    ("社工部24年项目支出", "社工部2024年项目支出"),
    ("25年预算比上年少了多少", "2025年预算比上年少了多少"),
    ("商务委加挂了啥牌子，咋回事", "商务委加挂了什么牌子，怎么回事"),
])
def test_respelled_as_printed(typed, printed):
    assert respelled(typed) == printed


@pytest.mark.parametrize("kept", [
    "2017-2019年三公经费", "公务接待费是多少？", "增长10.97%，比上年多1,003.69万元", "收入 100 万元", "一百二十万元",
    "（一）人员经费", "2025年01月", "budget", "附件.pdf的第3页", "近20年的变化", "第15年", "30年代", "工作了20多年",
])
def test_what_is_already_printed_so_is_kept(kept):
    assert respelled(kept) == kept


def test_a_frame_of_a_respelled_question_has_its_year_code_and_unit():
    frame = understand(respelled("區府辦 二〇二五年 ２０１０３０１ 多少万"))
    assert (frame.years, frame.codes, frame.want_unit) == ((2025,), ("2010301",), "万元")


@pytest.fixture(scope="module")
def homophones() -> Homophones:
    """The respeller over the lexicon and a few row labels and unit names, as a store would give them."""
    return Homophones([*lexicon().entries, "商品和服务支出", "办公费", "上海市某区文化旅游局", "文旅局"], ("辆", "个", "人"))


@pytest.mark.parametrize(("typed", "meant"), [
    ("文旅局三工经费多少", "文旅局三公经费多少"),  # 工 for 公
    ("文旅局的公物接待费", "文旅局的公务接待费"),  # 公物 is a word, 公物接待费 is not
    ("文旅局机关运型经费预算", "文旅局机关运行经费预算"),
    ("文旅局人元经费和公用经废", "文旅局人员经费和公用经费"),  # two in one question
    ("文旅局住房公基金是多少", "文旅局住房公积金是多少"),
    ("文旅局商品和服物支出", "文旅局商品和服务支出"),  # a row label of the documents
    ("文旅局有几俩公车", "文旅局有几辆公车"),  # the counter after 几
])
def test_a_wrong_pick_of_the_keyboard_is_read_as_the_word_it_sounds_like(homophones, typed, meant):
    respelled, picks = homophones.respell(typed)
    assert respelled == meant and picks


@pytest.mark.parametrize("kept", [
    "文旅局津贴补贴多少", "文旅局商务委生命健康专项",  # 年津/委生 straddle two words
    "文旅局收入合计多少亿元", "绩效自评打了多少分", "项目涉及多少资金",  # units and words after 多少
    "因公出国方面有什么职能", "友好城市有几个", "文旅局三公经费",
])
def test_real_words_are_never_respelled(homophones, kept):
    assert homophones.respell(kept) == (kept, ())
