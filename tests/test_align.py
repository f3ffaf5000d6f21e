"""已核验 means right for this question: the figure's row, column, operation and unit are the ones asked."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.scope import aliases, resolve
from app.service import Service
from app.settings import Settings
from app.understand import understand
from store.embedders import NgramEmbedder
from store.models import Document
from store.vectors import InMemoryIndex
from tests.conftest import XINZHOU

XZ = "忻州市商务局"


@pytest.fixture(scope="module")
def service(tmp_path_factory) -> Service:
    svc = Service(Settings(home=tmp_path_factory.mktemp("align")), vectors=InMemoryIndex(NgramEmbedder()))
    assert all(r.status == "ingested" for r in svc.ingest([XINZHOU]))
    return svc


# Sibling rows: swapping the subject gives that row's figure, never the original one as verified.
@pytest.mark.parametrize(("question", "value"), [
    ("机关运行经费是多少", "113.23"),
    ("三公经费合计是多少", "10.00"),
    ("三公经费里的公务接待费是多少", "1.00"),
    ("三公经费中的公务用车运行维护费是多少", "9.00"),
    ("公务接待费是多少", "1.00"),
    ("人员经费是多少", "447.07"),
    ("公用经费是多少", "113.23"),
])
def test_sibling_rows_give_their_own_figure(service, question, value):
    answer = service.ask(question, XZ)
    assert answer.status == "verified", answer.answer
    assert (answer.value, answer.unit) == (Decimal(value), "万元"), answer.answer


def test_two_columns_added_up(service):
    answer = service.ask("人员经费和公用经费加起来是多少", XZ)
    assert (answer.status, answer.value) == ("verified", Decimal("560.30")), answer.answer
    assert "447.07 + 113.23" in answer.answer


def test_a_difference_of_two_rows_is_computed_not_half_answered(service):
    answer = service.ask("人员经费比公用经费多多少", XZ)
    assert (answer.status, answer.value, answer.unit) == ("verified", Decimal("333.84"), "万元"), answer.answer
    assert "447.07 − 113.23" in answer.answer


def test_a_part_of_a_whole_is_only_that_wholes_part(service):
    # 培训费 is printed in the 三公/会议费/培训费 table, not as a part of 政府采购: no figure of 政府采购里的培训费
    answer = service.ask("政府采购预算里的培训费是多少", XZ)
    assert answer.status == "refused" and "政府采购" in answer.answer, answer.answer


@pytest.mark.parametrize(("question", "value"), [
    ("三公经费里公务接待费占一半以上吗？公务接待费是多少？", "1.00"),
    ("三公经费，公车运维费是不是占了大头？具体多少？", "9.00"),
])
def test_a_check_of_a_share_followed_by_its_figure_is_answered_with_the_figure(service, question, value):
    answer = service.ask(question, XZ)
    assert (answer.status, answer.value, answer.unit) == ("verified", Decimal(value), "万元"), answer.answer


def test_a_count_asked_by_its_counter_is_never_answered_with_money(service):
    answer = service.ask("因公出国安排了几批团组", XZ)
    assert answer.status == "refused", answer.answer


def test_a_rate_of_change_is_never_answered_with_a_share(service):
    answer = service.ask("公用经费比上年减少了百分之几", XZ)
    assert answer.unit != "%" or "占" not in answer.answer, answer.answer


def test_a_change_the_document_does_not_state_is_refused_not_passages(service):
    # The prose says "基本支出人员经费增加" as a reason, but states no change of 基本支出.
    answer = service.ask("基本支出比上年增长多少", XZ)
    assert answer.status == "refused", answer.answer


def _doc(unit: str, year: int = 2025, scope: str = "单位", kind: str = "预算") -> Document:
    return Document(f"{unit}{year}{scope}{kind}", "f.pdf", unit, year, kind, scope, 10)  # type: ignore[arg-type]


LOADED = [_doc("上海市普陀区人民政府万里街道办事处"), _doc("中共上海市普陀区委社会工作部", 2024, "部门", "决算"),
          _doc("上海市财政局"), _doc("江苏省政协办公厅", 2019, "部门"), _doc("江苏省人民检察院", 2019, "部门"),
          _doc("上海市普陀区商务委员会"), _doc("上海市静安区商务委员会"), _doc("上海市普陀区人力资源和社会保障局"),
          _doc("上海市普陀区人民政府办公室")]


@pytest.mark.parametrize(("question", "unit"), [
    ("万里街道2025年三公经费", "上海市普陀区人民政府万里街道办事处"),
    ("社会工作部2024年决算收入", "中共上海市普陀区委社会工作部"),
    ("区委社会工作部的三公经费", "中共上海市普陀区委社会工作部"),
    ("省政协办公厅2019年支出合计", "江苏省政协办公厅"),
    ("政协办公厅2019年三公经费", "江苏省政协办公厅"),
    ("省检察院2019年三公经费", "江苏省人民检察院"),
    ("普陀商务委三公经费", "上海市普陀区商务委员会"),
    ("社工部2024年财政拨款收入多少", "中共上海市普陀区委社会工作部"),  # each word's first character
    ("区人社局2025年收入", "上海市普陀区人力资源和社会保障局"),
    ("区府办2025年的退休费", "上海市普陀区人民政府办公室"),  # 区政府办, said 区府办
    ("区委社工部2024年机关运行经费", "中共上海市普陀区委社会工作部"),  # 区委 + 社工部
])
def test_units_by_their_everyday_short_names(question, unit):
    scope = resolve(understand(question), LOADED)
    assert [d.unit_name for d in scope.documents] == [unit], scope.refusal


@pytest.mark.parametrize("question", ["长征镇2023年三公经费多少", "省法院2019年三公经费", "省人大办公厅2019年三公经费"])
def test_a_unit_not_loaded_is_refused_never_widened(question):
    scope = resolve(understand(question), LOADED)
    assert not scope.documents and "没有加载" in scope.refusal


@pytest.mark.parametrize("question", ["上海市普陀区教育局2025年三公经费超过100万了吗？", "普陀区教育局的主要职能是什么"])
def test_a_passage_question_about_a_unit_not_loaded_is_refused_too(question):
    frame = understand(question)
    assert not resolve(frame, LOADED, mentions=lambda name, docs: False).documents


def test_a_passage_question_may_ask_of_a_body_the_documents_speak_of():
    scope = resolve(understand("南京近代史博物馆管理建设办公室是干什么的"), LOADED, mentions=lambda name, docs: True)
    assert scope.documents and not scope.refusal


@pytest.mark.parametrize(("question", "unit"), [
    ("听说省政协办公厅2019年的会议费有多少", "江苏省政协办公厅"),  # words before 省 are no place
    ("车改以后省政协办公厅2019年的交通补贴", "江苏省政协办公厅"),
    ("人员经费比区委社会工作部多多少", "中共上海市普陀区委社会工作部"),  # the name starts after 比
    ("区府办和区商务委现在一共有几辆公车", "上海市普陀区商务委员会"),  # jieba's word 办和区 is no place
])
def test_words_before_a_loaded_units_name_are_not_a_stranger(question, unit):
    scope = resolve(understand(question), LOADED)
    assert unit in [d.unit_name for d in scope.documents], scope.refusal


@pytest.mark.parametrize("question", ["太原市商务局2024年公务接待费", "上海市商务委员会的三公经费", "黄浦区财政局的人员经费",
                                      "大同市商务局2024年招待费预算多少"])  # 大同 is also a word: tagged a noun
def test_a_place_no_loaded_unit_belongs_to_is_a_stranger(question):
    scope = resolve(understand(question), LOADED)
    assert not scope.documents and "没有加载" in scope.refusal


def test_a_unit_the_named_departments_budget_covers_is_no_stranger():
    def covers(name, documents):
        return name.endswith("博物馆管理建设办公室") and documents[0].unit_name == "江苏省政协办公厅"

    question = understand("省政协办公厅2019年预算里包括的博物馆管理建设办公室有几名在职人员")
    assert not resolve(question, LOADED).documents  # on its own, a stranger
    assert {d.unit_name for d in resolve(question, LOADED, mentions=covers).documents} == {"江苏省政协办公厅"}


def test_a_place_narrows_the_documents_when_no_unit_is_named():
    scope = resolve(understand("普陀区哪家单位有公务用车"), LOADED, strict_units=False)
    assert scope.documents and all("普陀区" in d.unit_name for d in scope.documents)


def test_one_short_name_for_two_loaded_units_asks_which():
    scope = resolve(understand("商务委的三公经费是多少"), LOADED)
    assert not scope.documents
    assert "上海市普陀区商务委员会" in scope.refusal and "上海市静安区商务委员会" in scope.refusal


def test_short_names_drop_generic_words_but_not_to_nothing():
    assert {"万里街道", "普陀区万里街道"} <= aliases("上海市普陀区人民政府万里街道办事处")
    assert "办公室" not in aliases("上海市普陀区人民政府办公室")
    # initials only where people use them: not 政办厅 for 政协办公厅, not 中组部 for a province's 组织部
    assert not {"政办厅", "省办厅"} & aliases("江苏省政协办公厅")
    assert not {"中组部", "省组部"} & aliases("中共江苏省委组织部")


def test_a_year_named_for_one_of_two_units_is_that_units_alone():
    scope = resolve(understand("江苏省政协办公厅2019年的三公经费比普陀区商务委员会多多少"), LOADED)
    assert {(d.unit_name, d.year) for d in scope.documents} == {("江苏省政协办公厅", 2019), ("上海市普陀区商务委员会", 2025)}
    missing = resolve(understand("江苏省政协办公厅和普陀区商务委员会2023年三公经费合计"), LOADED)
    assert not missing.documents and "普陀区商务委员会2023年" in missing.refusal
    base = resolve(understand("普陀区商务委员会和社会工作部的三公经费跟2023年比怎么样"), LOADED)
    assert base.documents and not base.refusal  # a base year is every unit's


@pytest.mark.parametrize("question", ["局里那3辆车都是干啥用的车", "这笔钱干嘛用的", "食品公司都没职能了为啥还给它拨钱"])
def test_reasons_and_uses_asked_in_everyday_words_are_text_questions(question):
    assert understand(question).intent == "reason"


@pytest.mark.parametrize("question", ["商务局今年有盖房子、搞基建的钱吗？", "单位有出国的经费吗", "有没有安排会议费预算"])
def test_whether_there_is_money_for_something_asks_its_figure(question):
    assert understand(question).intent == "amount"  # its figure, or that the documents list none


@pytest.mark.parametrize(("question", "intent", "unit"), [
    ("行政运行科目里安排了多少项目支出（元）", "amount", "元"),  # 多少项目支出 is an amount, （元） its unit
    ("绩效目标涉及多少项目", "count", None),
])
def test_how_many_projects_is_a_count_but_how_much_project_spending_an_amount(question, intent, unit):
    frame = understand(question)
    assert (frame.intent, frame.want_unit) == (intent, unit)


@pytest.mark.parametrize(("question", "two"), [
    ("人员经费比公用经费多了多少", True), ("一般公共预算支出决算比全年预算少了多少万元", True),
    ("社会保障和就业支出比2017年减少了多少", False), ("比上年少了多少", False),  # a change, not two operands
])
def test_a_difference_of_two_operands_is_told_from_a_change(question, two):
    assert understand(question).difference is two
