"""决算 documents: the stages a figure is of (年初预算, 全年预算, 决算), what is stated as none, blank lines.

The national 决算 template explains each item as "全年预算为X万元，支出决算为Y万元，完成全年预算数的Z%" under a
numbered "N、…（类）…（款）…（项）。" line; the 收支总表 leaves lines it has nothing for blank.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.service import Service
from app.settings import Settings
from ingest.prose import prose_facts
from ingest.text import Paragraph
from store.embedders import NgramEmbedder
from store.vectors import InMemoryIndex
from tests.conftest import parsed, shared_sample

STEM = "putuo_social_work_dept_2024_final"
BOX = (0.0, 0.0, 1.0, 1.0)


def _facts(*texts: str, headings: tuple[str, ...] = ("（三）一般公共预算财政拨款支出决算具体情况",)):
    paras = [Paragraph(t, 18, BOX, headings) for t in texts]
    return [(f.row_label, f.column, f.value, "stated_none" in f.flags) for f in prose_facts("d", paras)]


def test_a_sentence_of_stages_gives_each_figure_its_stage_and_the_sentence_subject():
    facts = _facts("一般公共预算财政拨款支出年初预算为 0 万元，全年预算为321.02 万元，支出决算为 307.82 万元，"
                   "完成年初预算的 95.89%。")
    assert facts == [
        ("一般公共预算财政拨款支出", "年初预算数", Decimal("0"), False),
        ("一般公共预算财政拨款支出", "全年预算数", Decimal("321.02"), False),
        ("一般公共预算财政拨款支出", "金额", Decimal("307.82"), False),  # the 决算 figure is the document's own
        ("一般公共预算财政拨款支出", "完成年初预算比例", Decimal("95.89"), False),
    ]


def test_an_item_paragraph_is_about_the_item_its_numbered_line_names():
    facts = _facts("1、一般公共服务支出（类）社会工作事务（款）行政运行（项）。",
                   "主要用于：行政单位人员支出、公用支出。全年预算为 52.00 万元，支出决算为 51.32 万元，完成全年预算数的 98.69%。")
    assert facts == [("行政运行", "全年预算数", Decimal("52.00"), False), ("行政运行", "金额", Decimal("51.32"), False),
                     ("行政运行", "完成全年预算比例", Decimal("98.69"), False)]


def test_an_item_line_cut_at_the_line_end_runs_on_into_the_paragraph():
    facts = _facts("事务支出（项）。主要用于：新建部门开办费。全年预算为 202.24 万元，支出决算为 202.24 万元。",
                   headings=("（三）…具体情况", "3、一般公共服务支出（类）社会工作事务（款）其他社会工作"))
    assert {label for label, *_ in facts} == {"其他社会工作事务支出"}


def test_none_stated_in_words_is_a_zero_figure_but_the_template_instruction_is_not():
    assert _facts("中共上海市普陀区委社会工作部 2024 年度无“三公”经费财政拨款支出。") == [
        ("三公经费财政拨款支出", "金额", Decimal("0"), True)]
    assert _facts("无政府性基金预算财政拨款收入支出的，仍保留该表格式，并在本表下方作下述说明：") == []
    assert not any(none for *_, none in _facts("本单位无偿划转资产2项，无形资产支出3万元。"))


def test_blank_lines_of_the_totals_table_are_nought_unless_another_line_prints_that_label():
    facts = parsed(shared_sample(STEM)).facts
    carried = [f for f in facts if f.table_kind == "收支总表" and f.row_label == "年初结转和结余"]
    assert [(f.value, f.flags) for f in carried] == [(Decimal(0), ("blank", "blank_row"))]
    # p11 repeats the funding sources under 年初财政拨款结转和结余, blank: not a second 一般公共预算财政拨款 line
    general = [f for f in facts if f.table_kind == "财政拨款收支总表" and f.row_label == "一、一般公共预算财政拨款"]
    assert [f.value for f in general] == [Decimal("307.82")]


@pytest.fixture(scope="module")
def service(tmp_path_factory) -> Service:
    path = shared_sample(STEM)
    svc = Service(Settings(home=tmp_path_factory.mktemp("final")), vectors=InMemoryIndex(NgramEmbedder()))
    assert [r.status for r in svc.ingest([path])] == ["ingested"]
    return svc


@pytest.mark.parametrize("question, value, says", [
    ("社会工作部一般公共预算财政拨款支出全年预算多少", "321.02", "全年预算数为321.02万元"),
    ("社会工作部一般公共预算财政拨款支出年初预算数是多少", "0", "年初预算数为0万元"),
    ("社工部行政运行全年预算数", "52.00", "行政运行全年预算数为52.00万元"),
    ("社会工作部行政运行完成全年预算的百分之多少", "98.69", "完成全年预算的98.69%"),
    ("社工部行政运行支出决算是多少", "51.32", "51.32万元"),
    ("普陀社工部年初结转和结余有多少？", "0", "表中该栏为空"),
    ("社会工作部2024年三公经费实际支出多少", "0", "无“三公”经费财政拨款支出"),
    ("区委社会工作部2024年机关运行经费支出多少万元", "10.23", "机关运行经费支出为10.23万元"),
    ("社会工作部2024年教育支出多少", "0", "教育支出决算为0万元"),
    ("社工部的一般公共预算财政拨款支出年初批复了多少", "0", "年初预算数为0万元"),  # 年初批复/安排 is the 年初预算
    # p21: "…涉及预算金额 175.52 万元，平均得分 100.00 分": the score, though 平均 is mostly never printed
    ("社会工作部2024年绩效自评的平均得分", "100.00", "平均得分为100.00分"),
    ("社工部项目的绩效自评打了几分", "100.00", "平均得分为100.00分"),
])
def test_stage_questions_answer_with_that_stage(service, question, value, says):
    answer = service.ask(question)
    assert (answer.status, answer.value) == ("verified", Decimal(value)), answer.answer
    assert says in answer.answer


def test_a_stage_the_document_does_not_state_for_an_item_is_refused(service):
    answer = service.ask("社工部住房公积金年初预算数是多少")  # only its 全年预算 and 决算 are stated
    assert answer.status == "refused" and "年初预算" in answer.answer, answer.answer


def test_another_years_figure_in_brackets_is_an_aside_and_the_change_is_the_compared_subjects():
    # Jiangsu 2017 prose: the 2016 total is said in passing; the change is the 2017 部门支出预算's
    facts = _facts("2017 年度部门支出预算安排与 2016 年度相比（2016 年度部门支出预算安排为8,648.07万元），"
                   "增加498.72万元，增长5.77%。")
    assert facts == [("部门支出", "增长额", Decimal("498.72"), False), ("部门支出", "增长率", Decimal("5.77"), False)]


def test_a_final_figure_against_its_own_budget_stage_is_the_gap_between_them(service):
    # p18: 行政运行 全年预算为 52.00 万元，支出决算为 51.32 万元 → 0.68 below, said as a positive gap
    answer = service.ask("社工部2024年行政运行决算比全年预算少多少")
    assert (answer.status, answer.value) == ("verified", Decimal("0.68")), answer.answer
    assert "少0.68万元" in answer.answer


def test_a_table_printed_empty_while_the_prose_states_its_figure(service):
    """p14 prints the 三公 table empty (本表无数据); p20 says 无“三公”经费财政拨款支出. Were it to say 47.91万元:"""
    import dataclasses

    from app.audit import Stored, audit_document

    stored = Stored(service.facts_store)
    (doc,) = stored.documents
    context, facts = stored.context(doc), stored.facts(doc)
    assert "三公经费表" in context.empty and not [f for f in audit_document(doc, facts, context)
                                               if f.rule == "prose_empty_table"]
    stated = [dataclasses.replace(f, value=Decimal("47.91")) if "prose" in f.flags and f.page == 20
              and f.row_label == "三公经费财政拨款支出" else f for f in facts]
    (empty,) = [f for f in audit_document(doc, stated, context) if f.rule == "prose_empty_table"]
    assert empty.actual == Decimal("47.91") and "三公经费表为空表" in empty.message


@pytest.mark.parametrize(("question", "value"), [
    ("社会工作部2024年“事业运行”（2013950）的全年预算比决算多多少万元？", "6.37"),  # 17.68 − 11.31
    ("社会工作部2024年一般公共预算财政拨款支出，全年预算数和决算数差多少万元？", "13.20"),  # 321.02 − 307.82
    ("社工部行政运行的全年预算比实际决算多出多少", "0.68"),  # 52.00 − 51.32
    ("社工部行政运行有没有花完全年预算，差多少", "0.68"),  # one item named, its 决算 against the stage
])
def test_a_stage_named_before_the_final_figure(service, question, value):
    answer = service.ask(question)
    assert (answer.status, answer.value) == ("verified", Decimal(value)), answer.answer


def test_a_completion_rate_not_printed_is_the_final_figure_over_the_stage(service):
    # p18: 事业运行 全年预算为 17.68 万元，支出决算为 11.31 万元 — no rate printed; 11.31 ÷ 17.68 = 63.97%
    answer = service.ask("社工部2024年事业运行的预算执行率是多少")
    assert (answer.status, answer.value, answer.unit) == ("verified", Decimal("63.97"), "%"), answer.answer
    assert "决算11.31 ÷ 全年预算17.68" in answer.answer


def test_an_items_own_paragraph_does_not_answer_for_the_whole_its_section_names(service):
    # p18 "…社会工作事务（款）行政运行（项）。…完成全年预算数的98.69%" stands under the section 一般公共预算财政拨款支出:
    # asked of that whole, 行政运行's rate is no answer (the whole's is printed as 完成年初预算的 95.89%)
    answer = service.ask("社工部2024年一般公共预算财政拨款支出决算，完成了全年预算的百分之多少？")
    assert "98.69" not in answer.answer or answer.status != "verified", answer.answer


def test_a_line_of_a_table_named_as_where_is_that_line_not_the_table_total(service):
    # p5 收入支出决算总表: 四、上级补助收入 is blank (0); its 收入合计 is 307.82
    answer = service.ask("社会工作部收入支出决算总表里的上级补助收入有多少")
    assert (answer.status, answer.value) == ("verified", Decimal("0")), answer.answer


def test_a_row_whose_label_names_the_funds_is_not_narrowed_by_them_again(service):
    # 三、国有资本经营预算财政拨款收入 is blank; 财政拨款收入 as a whole is 307.82
    answer = service.ask("社会工作部国有资本经营预算财政拨款收入多少")
    assert (answer.status, answer.value) == ("verified", Decimal("0")), answer.answer


def test_why_a_final_figure_is_below_its_budget_is_quoted_in_the_templates_words(service):
    # p18: "决算数小于预算数的主要原因：人员经费支出数小于预算数。"
    answer = service.ask("社工部一般公共预算财政拨款支出的决算为什么低于全年预算")
    assert answer.status == "verified" and "人员经费支出数小于预算数" in answer.answer, answer.answer
