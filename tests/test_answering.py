"""Answering as a specification: how staff ask, what the documents say, and when to refuse."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from app.evaluate import number_matches
from app.service import Service
from app.settings import Settings
from store.embedders import NgramEmbedder
from store.vectors import InMemoryIndex
from tests.conftest import SHARED, XINZHOU

XZ = "忻州市商务局"


@pytest.fixture(scope="module")
def service(tmp_path_factory) -> Service:
    """Xinzhou, plus the three real Shanghai samples when ../shared is there, in one store."""
    svc = Service(Settings(home=tmp_path_factory.mktemp("answering")), vectors=InMemoryIndex(NgramEmbedder()))
    paths = [XINZHOU, *sorted(SHARED.glob("putuo*.pdf"))]
    assert all(r.status == "ingested" for r in svc.ingest(paths))
    return svc


def shanghai_loaded(service) -> bool:
    return any(d.unit_name.startswith("上海") for d in service.documents())


@pytest.fixture
def putuo(service) -> Service:
    """The service, for questions about the Putuo samples (skipped where ../shared is not there)."""
    if not shanghai_loaded(service):
        pytest.skip("the Shanghai samples are not there")
    return service


@pytest.mark.parametrize(
    ("question", "value", "unit"),
    [
        ("单位今年的招待费安排了多少钱？", "1.00", "万元"),
        ("公务接待费是多少", "1.00", "万元"),
        ("公务接待费多少元", "10000", "元"),
        ("出国经费多少？", "0", "万元"),
        ("公车运维费多少", "9.00", "万元"),
        ("三公经费多少？", "10.00", "万元"),
        ("2011301是多少", "358.46", "万元"),
        ("2011304对外贸易管理是多少", "114.70", "万元"),
        ("社保支出是多少？", "151.57", "万元"),
        ("公积金多少？", "39.94", "万元"),
        ("卫生健康支出多少万元", "18.33", "万元"),
        ("基本支出多少？", "560.30", "万元"),
        ("项目支出一共多少", "464.57", "万元"),
        ("人员经费多少？", "447.07", "万元"),
        ("公用经费是多少", "113.23", "万元"),
        ("培训费预算多少", "15.00", "万元"),
        ("办公费多少元？", "64100", "元"),
        ("机关运行经费多少", "113.23", "万元"),
        ("遗属补助多少元", "60100", "元"),
        ("人头经费今年安排了多少", "447.07", "万元"),  # a column word alone: the 合计 row's 人员经费
        ("冬天烧暖气的钱预算多少", "19.10", "万元"),
        ("车子的运行费一年给了多少", "9.00", "万元"),  # not the 购置费 0 of the same sentence
        ("公务用车购置费预算", "0", "万元"),  # a name the lexicon knows: not the longer row 公务用车购置及运行费 9.00
        ("去年的预算总盘子是多少", "863.90", "万元"),  # 1,024.87 less the stated increase 160.97
        # a project by the words staff use: abbreviated, or without the place and 经费 of its printed name
        ("外贸企业出口信保的保费补贴今年给了多少？", "104.70", "万元"),  # 外贸企业投保中国出口信用保险保费补贴
        ("食品公司和饮食服务公司的经费加起来多少", "254.26", "万元"),  # 忻州市食品公司经费 + 忻州市饮食服务公司经费
    ],
)
def test_lookup_by_name_synonym_and_code(service, question, value, unit):
    answer = service.ask(question, XZ)
    assert answer.status == "verified", answer.answer
    assert number_matches(value, unit, answer.value, answer.unit), (answer.value, answer.unit, answer.answer)
    assert answer.citations and answer.citations[0].page > 0


def test_answer_cites_table_page_row_and_column(service):
    answer = service.ask("单位今年的招待费安排了多少钱？", XZ)
    assert answer.answer.startswith("忻州市商务局2024年公务接待费") and "1.00万元" in answer.answer
    cite = answer.citations[0]
    assert (cite.page, cite.row, cite.value, cite.year) == (18, "公务接待费", "1.00", 2024)
    assert "三公" in cite.table and cite.column.endswith("合计")


@pytest.mark.parametrize(("question", "value", "parts"), [
    ("基本工资一共多少？", "132.06", 2),
    ("福利费合计", "7.47", 2),
])
def test_a_label_on_several_rows_is_their_sum_and_says_so(service, question, value, parts):
    answer = service.ask(question, XZ)
    assert answer.value == Decimal(value) and answer.status == "verified"
    assert "各行之和" in answer.answer and len(answer.citations) == parts


@pytest.mark.parametrize(
    ("question", "value", "unit"),
    [
        ("基本支出占比多少？", "54.67", "%"),
        ("项目支出占总支出的比重", "45.33", "%"),
        ("社保支出占比", "14.79", "%"),
        ("收入比上年增长了多少？", "160.97", "万元"),
        ("预算比上年增长率是多少", "18.63", "%"),
        ("机关运行经费比上年增加多少", "6.34", "万元"),
        ("内设机构几个", "10", "个"),
        ("实有几辆公车？", "3", "辆"),
        ("办公用房面积多大？", "1483.12", "平方米"),
        ("政府采购预算总额多少", "21.07", "万元"),
        ("那个出口信用保险补贴比去年涨了百分之几", "138.27", "%"),  # its sentence names it; parsed as 预算收入's
        ("公开了绩效目标的项目一共涉及多少钱", "359.87", "万元"),  # its heading also says 绩效目标: the sentence decides
    ],
)
def test_shares_changes_and_counts_from_prose(service, question, value, unit):
    answer = service.ask(question, XZ)
    assert number_matches(value, unit, answer.value, answer.unit), answer.answer
    assert answer.status == "verified"


@pytest.mark.parametrize(("question", "value", "unit"), [
    ("公用经费占基本支出的比例是多少", "20.21", "%"),  # 113.23 ÷ 560.30: two columns of the 表六 合计 row
    ("人员经费占基本支出的比重", "79.79", "%"),  # not the prose's 基本支出 share of the total (54.67%)
    ("政府采购里服务类占了多大比例？", "62.17", "%"),  # 13.10 ÷ 21.07: two figures of one prose sentence
    ("今年政府采购里服务类有多少", "13.10", "万元"),  # the part named after 里, not the 21.07 total
])
def test_a_share_or_part_the_documents_do_not_state_is_computed_from_its_operands(service, question, value, unit):
    answer = service.ask(question, XZ)
    assert (answer.status, answer.value, answer.unit) == ("verified", Decimal(value), unit), answer.answer


@pytest.mark.parametrize(
    "question",
    [
        "忻州市商务局2025年公务接待费是多少？",
        "忻州市商务局2025年预算收入总计多少",
        "太原市财政局2024年三公经费是多少",
        "忻州市商务局局长的工资是多少？",
        "忻州市商务局的局长是谁",
        "忻州市商务局2024年一共接待了多少批次公务接待？",
        "忻州市商务局2024年决算支出是多少",
        "忻州市商务局明年的预算是多少",
    ],
)
def test_refusals(service, question):
    answer = service.ask(question)
    assert answer.status == "refused" and answer.answer.startswith("文件中没有相关信息")
    assert answer.value is None and not answer.citations


def test_definition_from_the_glossary(service):
    answer = service.ask("三公经费指什么？", XZ)
    assert "因公出国" in answer.answer and "公务接待费" in answer.answer
    assert any(c.page == 34 for c in answer.citations)


def test_question_without_unit_is_answered_for_each_match_and_says_which(service):
    if not shanghai_loaded(service):
        pytest.skip("../shared samples absent: one document loaded")
    answer = service.ask("公务接待费是多少？")
    assert "忻州市商务局" in answer.answer and "上海市普陀区" in answer.answer


def test_cross_unit_total_and_difference(service):
    if not shanghai_loaded(service):
        pytest.skip("../shared samples absent")
    total = service.ask("普陀区政府办和普陀区商务委2025年三公经费加起来多少")
    assert total.value == Decimal("868.50") and total.unit == "万元" and total.status == "verified"
    diff = service.ask("普陀区政府办的三公经费比普陀区商务委多多少")
    assert diff.value == Decimal("866.50")


def test_shanghai_tables_in_yuan(service):
    if not shanghai_loaded(service):
        pytest.skip("../shared samples absent")
    answer = service.ask("行政运行多少", "上海市普陀区商务委员会")
    assert answer.value == Decimal("9389913.00") and answer.unit == "元"
    wan = service.ask("行政运行多少万元", "上海市普陀区商务委员会")
    assert number_matches("938.99", "万元", wan.value, wan.unit)


def test_json_contract(service):
    answer = service.ask("公务接待费是多少", XZ).to_json()
    assert set(answer) >= {"question", "status", "answer", "value", "unit", "numbers", "citations", "mode", "elapsed_ms"}
    assert answer["numbers"][0]["supported"] is True and answer["numbers"][0]["support"][0].startswith("fact:")
    assert set(answer["citations"][0]) >= {"doc_id", "unit_name", "year", "page", "table", "row", "column", "value"}


def test_home_default_is_documented(monkeypatch, tmp_path):
    monkeypatch.setenv("BUDGETQA_HOME", str(tmp_path / "x"))
    assert Settings().home == Path(tmp_path / "x")


class _Raising:
    """A chat model whose server is down."""

    def invoke(self, *args, **kwargs):
        raise TimeoutError("model did not answer")


def _with_model(service, model):
    previous = service.asker.llm
    service.asker.llm = model
    return previous


def test_llm_answer_that_cites_the_true_figure_is_verified(service):
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

    previous = _with_model(service, GenericFakeChatModel(messages=iter(["忻州市商务局2024年公务接待费预算为1.00万元[1]。"])))
    try:
        answer = service.ask("招待费是多少", XZ)
    finally:
        service.asker.llm = previous
    assert (answer.mode, answer.status, answer.value) == ("llm", "verified", Decimal("1.00"))
    assert answer.citations[0].row == "公务接待费"


def test_llm_that_lies_twice_is_replaced_by_the_offline_answer(service):
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

    lies = iter(["公务接待费预算为9.00万元[1]。", "公务接待费预算为10.0万元[1]。"])
    previous = _with_model(service, GenericFakeChatModel(messages=lies))
    try:
        answer = service.ask("招待费是多少", XZ)
    finally:
        service.asker.llm = previous
    assert answer.mode == "offline-fallback" and answer.status == "verified"
    assert "1.00万元" in answer.answer and "9.00" not in answer.answer


def test_llm_failure_falls_back_and_says_so(service):
    previous = _with_model(service, _Raising())
    try:
        answer = service.ask("招待费是多少", XZ)
    finally:
        service.asker.llm = previous
    assert answer.mode == "offline-fallback" and answer.notes and answer.value == Decimal("1.00")


def _row(*columns: str) -> list:
    from store.models import Fact

    return [Fact(f"f{i}", "d", "支出总表", "t", 1, None, None, "行政运行", ("行政运行",), c, Decimal(i + 1), "万元", "")
            for i, c in enumerate(columns)]


@pytest.mark.parametrize(("kind", "year", "columns", "expected"), [
    ("预算", 2024, ("2023年预算数", "2024年预算数", "增减额", "增长率"), "2024年预算数"),
    ("决算", 2023, ("年初预算数", "调整预算数", "决算数", "决算数为预算数的%"), "决算数"),
    ("预算", 2024, ("合计", "基本支出", "项目支出"), "合计"),
    ("预算", 2024, ("比上年增减", "合计"), "合计"),
])
def test_a_row_without_an_asked_column_means_this_years_figure(kind, year, columns, expected):
    from app.lookup import default_cell
    from store.models import Document

    doc = Document("d", "f.pdf", "某局", year, kind, "单位", 1)
    assert default_cell(_row(*columns), doc).column == expected


def test_a_row_named_like_a_salary_is_still_answered(service):
    answer = service.ask("基本工资是多少", XZ)
    assert answer.value == Decimal("132.06") and answer.status == "verified"


def test_a_figure_then_a_yes_no_question_answers_the_figure_and_says_what_it_left(service):
    answer = service.ask("行政运行这块有多少，里面有项目的钱吗", XZ)
    assert (answer.status, answer.value) == ("verified", Decimal("358.46")), answer.answer  # not 项目支出's 0
    assert any("里面有项目的钱吗" in n and "单独再问" in n for n in answer.notes)


@pytest.mark.parametrize(("question", "value", "unit", "printed"), [
    # Xinzhou 绩效目标表 p26, p31, p25: the indicator asked, as its table prints it, never the project's total
    ("忻州市商务局驻村干部补助，每个驻村工作队员一年的补助经费标准是多少万元？", "2.8", "万元", "2.8万元/人"),
    ("忻州市商务局招商引资（展会）工作经费的成本指标，举办一次招商活动成本上限是多少万元？", "20", "万元", "≤20万元"),
    ("市商务局招商引资工作经费的满意度指标定的多少？", "95", "%", "≥95%"),
    ("忻州市商务局遗属补助的数量指标，补助的遗属是几名？", "6", "名", "6名"),
])
def test_a_projects_indicator_is_read_from_its_performance_table(service, question, value, unit, printed):
    answer = service.ask(question)
    assert (answer.status, answer.value, answer.unit) == ("verified", Decimal(value), unit), answer.answer
    assert printed in answer.answer and "绩效目标表" in answer.answer


def test_an_indicator_of_a_project_without_a_performance_table_is_not_its_money(service):
    # 外贸企业投保…保费补贴 (104.70万元, 表十二) has no 绩效目标表 attached
    answer = service.ask("忻州市商务局外贸企业投保中国出口信用保险保费补贴项目的满意度指标是多少？")
    assert answer.status == "refused" and "绩效" in answer.answer, answer.answer


def test_a_share_stated_of_the_base_is_no_share_of_the_part(service):
    # the prose states 项目支出 占45.33% (of all spending); 食品公司经费 140.26 ÷ 项目支出 464.57 is asked
    answer = service.ask("忻州市商务局的食品公司经费占全部项目支出的百分之多少？")
    assert (answer.status, answer.value, answer.unit) == ("verified", Decimal("30.19"), "%"), answer.answer


def test_a_share_of_a_part_named_inside_its_whole(service):
    # p24: 政府采购预算总额21.07万元，其中…服务预算13.10万元 → 13.10 ÷ 21.07
    answer = service.ask("忻州市商务局政府采购预算中服务类占采购总额的比例是多少？")
    assert (answer.status, answer.value) == ("verified", Decimal("62.17")), answer.answer


def test_a_why_question_about_a_project_reads_its_performance_table(service):
    # p27 绩效目标表（忻州市食品公司经营） 总体目标: "因为食品公司为体制改革历史遗留单位,已无实际职能,但由财政供给…"
    answer = service.ask("为什么忻州市商务局还要给食品公司拨经费？这笔钱用来干什么？")
    assert "体制改革历史遗留单位" in answer.answer and "人员工资" in answer.answer, answer.answer


@pytest.mark.parametrize(("question", "value", "unit"), [
    ("忻州市商务局基本支出精确到元", "5603000", "元"),  # 560.30万元 in the tables
    ("忻州市商务局基本支出是多少万元，保留两位小数", "560.30", "万元"),
])
def test_how_a_figure_is_to_be_written_is_not_part_of_what_is_asked(service, question, value, unit):
    answer = service.ask(question)
    assert (answer.status, answer.value, answer.unit) == ("verified", Decimal(value), unit), answer.answer


@pytest.mark.parametrize("question", [
    "忻州市商务局零余额账户的开户银行是哪家",
    "忻州市商务局政府采购的中标供应商是谁",
    "忻州市商务局2024年3月份用款计划多少",
])
def test_what_no_disclosure_prints_is_refused_with_the_reason(service, question):
    assert service.ask(question).status == "refused"


def test_a_class_code_finds_the_row_a_table_prints_by_name_only(putuo):
    # 商务委 单位预算 p9 财务收支预算总表: 一、一般公共服务支出 (no code printed) 公用经费 1,467,842.00元
    answer = putuo.ask("普陀区商务委员会单位预算财务收支预算总表中201的公用经费是多少万元")
    assert (answer.status, answer.value) == ("verified", Decimal("146.78")), answer.answer


def test_why_a_table_is_empty_is_answered_by_the_note_under_it(putuo):
    # 政府办 p16: "注:本单位2025年无政府性基金预算财政拨款安排的预算，故本表为空表。" under the empty table
    answer = putuo.ask("普陀区政府办的政府性基金预算支出功能分类预算表怎么是空表")
    assert answer.status == "verified" and "无政府性基金预算财政拨款安排" in answer.answer.split("\n")[1], answer.answer


@pytest.mark.parametrize(("question", "value", "unit"), [
    # who is asking comes first; "有的话" asks the figure of the yes/no question before it (p21: 34万元)
    ("我们科室也在做预算，参考一下普陀区政府办：政府办有政府采购预算吗？有的话多少万元", "34", "万元"),
    # the part after 里 is itself a sum: 会议费 10,000.00 + 培训费 30,000.00 (p19)
    ("普陀区政府办基本支出里，会议费和培训费加起来多少元", "40000.00", "元"),
    # a yes/no about a 费 is its figure: the 三公 table's 公务用车购置费 cell is empty (p20)
    ("普陀区政府办有没有安排公务用车购置费", "0", "万元"),
])
def test_everyday_framings_of_a_figure_question(putuo, question, value, unit):
    answer = putuo.ask(question)
    assert (answer.status, answer.value, answer.unit) == ("verified", Decimal(value), unit), answer.answer


def test_a_count_asked_with_its_verb_is_the_sentence_of_that_verb(service):
    # p24: 纳入绩效目标管理的二级项目8个 …; 公开项目绩效目标7个
    answer = service.ask("忻州市商务局公开了几个项目的绩效目标")
    assert (answer.status, answer.value) == ("verified", Decimal("7")), answer.answer


def test_a_count_stated_by_its_verb_alone_is_of_what_the_clause_before_counted(service):
    # p32 (printed 29): "共有公务用车编制0辆，实有3辆，其中：…其他公务用车0辆"
    answer = service.ask("忻州市商务局有没有公务用车")
    assert (answer.status, answer.value, answer.unit) == ("verified", Decimal("3"), "辆"), answer.answer


def test_a_part_over_the_whole_budget_is_never_the_total_over_itself(putuo):
    # p8 财务收支预算总表: 人员经费 22,473,997.81 of 支出总计 91,016,775.35 = 24.69% (was "100.00%": 支出总计 ÷ 支出总计)
    answer = putuo.ask("普陀区政府办人员经费占全部支出的百分之几")
    assert (answer.status, answer.value) == ("verified", Decimal("24.69")), answer.answer


def test_money_asked_of_counted_things_is_money(putuo):
    # 商务委 p22: "本单位编报绩效目标的项目共25个，涉及项目预算资金11381.60万元" (was answered "25个")
    answer = putuo.ask("普陀区商务委员会单位预算编报绩效目标的项目涉及多少项目预算资金（万元）")
    assert (answer.status, answer.value, answer.unit) == ("verified", Decimal("11381.60"), "万元"), answer.answer


def test_a_change_of_people_in_a_sentence_about_money_is_the_people_s(service):
    # p22 (printed 19): "…增长18.63%，主要原因是一是2024年比上年在职人员增加2人" — 2 is 在职人员's, not 预算收入's
    answer = service.ask("忻州市商务局在职人员比上年多了几个")
    assert (answer.status, answer.value, answer.unit) == ("verified", Decimal("2"), "人"), answer.answer


def test_a_keyboard_typo_is_answered_as_meant_and_says_how_it_was_read(service):
    answer = service.ask("忻州市商务局2024年公物接待费预算多少万元")
    assert (answer.status, answer.value, answer.unit) == ("verified", Decimal("1.00"), "万元")
    assert "“公物接待费”按“公务接待费”理解" in answer.notes


def test_a_change_stated_as_none_is_said_so(service):
    # p23: "“三公”经费预算10.00万元与2023年预算数相同"
    answer = service.ask("忻州市商务局2024年三公经费跟上年比涨了还是降了")
    assert (answer.status, answer.value) == ("verified", Decimal("0")), answer.answer
    assert "与上年持平" in answer.answer and "与2023年预算数相同" in answer.answer
