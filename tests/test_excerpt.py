"""Text answers quote the sentences that answer, not whole passages."""

from __future__ import annotations

from app.excerpt import excerpts, sentences
from app.scope import places
from store.models import Chunk

THREE_PUBLIC = ("其他相关情况说明 > 一、2025年“三公”经费预算情况说明\n"
                "2025年“三公”经费预算数为1.00万元，与2024年预算持平。其中：\n"
                "（一）因公出国（境）费0万元，与2024年预算持平，主要原因是此部分预算由区外办统一安排。\n"
                "（二）公务用车购置及运行费0万元，与2024年预算持平，主要原因是无公务用车车辆。\n")
DUTIES = ("上海市某区商务委员会主要职能\n上海市某区商务委员会是主管全区产业经济的区政府工作部门。\n主要职能包括：\n"
          "1、贯彻执行国家有关工商业的方针。\n（内容较多，另起一行。）\n2、负责本区工商业运行的监测。\n")


def _chunk(text: str, n: int = 0, doc: str = "d") -> Chunk:
    return Chunk(f"{doc}:c{n}", doc, 3, "text", text, {"headings": text.split("\n", 1)[0]})


def test_sentences_keep_their_marks_and_line_breaks():
    assert sentences("甲。乙；\n丙\n丁") == ["甲。", "乙；\n", "丙\n", "丁"]


def test_a_reason_question_gets_the_sentence_with_its_reason():
    [cut] = excerpts([_chunk(THREE_PUBLIC)], ["因公出国(境)费", "由谁"])
    assert cut.sentences == ("（一）因公出国（境）费0万元，与2024年预算持平，主要原因是此部分预算由区外办统一安排。\n",)
    assert cut.text.startswith("其他相关情况说明 > 一、2025年“三公”经费预算情况说明\n（一）")  # under its heading


def test_a_sentence_that_opens_a_list_keeps_the_list():
    [cut] = excerpts([_chunk(DUTIES)], ["主要职能"])
    assert cut.sentences == ("主要职能包括：\n", "1、贯彻执行国家有关工商业的方针。\n", "（内容较多，另起一行。）\n",
                             "2、负责本区工商业运行的监测。\n")  # the list runs to the passage's end


def test_the_same_sentence_of_the_departments_and_the_units_budget_is_quoted_once():
    unit = _chunk(THREE_PUBLIC, 0, "unit")
    dept = _chunk(THREE_PUBLIC.replace("本单位", "本部门"), 1, "dept")
    assert [e.chunk.doc_id for e in excerpts([unit, dept], ["因公出国(境)费"])] == ["unit"]


def test_a_list_item_keeps_its_description_up_to_the_next_item():
    text = "机构设置\n（四）秘书科。\n承担机要、办文等职责。\n（五）调研科。\n参与调查研究。\n起草《政府工作报告》。\n（六）督查科。\n"
    [cut] = excerpts([_chunk(text)], ["调研科"])
    assert cut.sentences == ("（五）调研科。\n", "参与调查研究。\n", "起草《政府工作报告》。\n")


def test_a_reason_given_in_parts_keeps_every_part():
    text = "说明\n收入比上年增长18.63%，主要原因是一是在职人员增加2人；\n二是新增出口信用保险项目。\n另有其他情况。\n"
    [cut] = excerpts([_chunk(text)], ["收入", "增长"])
    assert "出口信用保险" in cut.text and "另有" not in cut.text


def test_passages_that_match_nothing_of_the_question_are_quoted_whole():
    [cut] = excerpts([_chunk(DUTIES)], ["绩效目标"])
    assert cut.text == DUTIES.strip()


def test_a_passage_far_from_the_best_match_is_dropped():
    near, far = _chunk(THREE_PUBLIC, 0), _chunk("附表 > 说明\n本表无数据。\n", 1)
    assert [e.chunk.chunk_id for e in excerpts([near, far], ["因公出国(境)费"])] == ["d:c0"]


def test_places_of_a_unit_name():
    assert places("上海市普陀区商务委员会") == {"上海市", "上海", "普陀区", "普陀"}
    assert places("中共上海市普陀区委社会工作部") >= {"普陀区"}
    assert places("江苏省政协办公厅") == {"江苏省", "江苏"}


def test_a_passage_whose_heading_names_the_subject_is_quoted_whole():
    titled = Chunk("d:c0", "d", 30, "text", "项目支出绩效目标表（忻州市食品公司经营）\n项目概况：保障单位人员工资。\n立项依据：某文件。\n",
                   {"headings": "项目支出绩效目标表（忻州市食品公司经营）"})
    other = _chunk("支出情况说明\n一般公共预算当年支出主要用于以下方面：一般公共服务支出。\n", 1)
    cut = excerpts([other, titled], ["食品公司", "主要用于什么"])
    assert any("人员工资" in e.text for e in cut)
