"""Several years and several units loaded together: spans of years, the highest year, sums over years,
a rate between two years, last year's figure from this year's document, and two-sided differences."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.service import Service
from app.settings import Settings
from app.understand import understand
from store.embedders import NgramEmbedder
from store.vectors import InMemoryIndex
from tests.conftest import SHARED, XINZHOU, shared_sample


@pytest.mark.parametrize("question, years, every, base, extreme", [
    ("江苏省政协办公厅2017—2019年三公经费加起来一共多少", (2017, 2018, 2019), False, None, None),
    ("2017、2018、2019年三公经费哪年最高", (2017, 2018, 2019), False, None, "max"),
    ("省政协办公厅2017年到2019年政府采购预算合计多少", (2017, 2018, 2019), False, None, None),
    ("这三年里机关运行经费最低的是哪一年", (), True, None, "min"),
    ("和2017年比，2019年退休费减少了多少", (2017, 2019), False, 2017, None),
    ("2019年收入总计比2017年增长了百分之几", (2019, 2017), False, 2017, None),
    ("城市最低生活保障支出是多少", (), False, None, None),  # 最低 of a name is no superlative
])
def test_the_frame_reads_spans_lists_bases_and_superlatives(question, years, every, base, extreme):
    frame = understand(question)
    assert (frame.years, frame.every_year, frame.base_year, frame.extreme) == (years, every, base, extreme)


@pytest.fixture(scope="module")
def service(tmp_path_factory) -> Service:
    jiangsu = SHARED / "jiangsu"
    if not jiangsu.exists():
        pytest.skip(f"{jiangsu} is absent: the real samples live in ../shared, outside this repo")
    files = [*sorted(jiangsu.glob("*.pdf")), XINZHOU, shared_sample("putuo_gov_office_2025_budget"),
             shared_sample("putuo_commerce_2025_budget"), shared_sample("putuo_social_work_dept_2024_final")]
    svc = Service(Settings(home=tmp_path_factory.mktemp("multiyear")), vectors=InMemoryIndex(NgramEmbedder()))
    assert all(r.status == "ingested" for r in svc.ingest(files))
    return svc


pytestmark = pytest.mark.slow


@pytest.mark.parametrize("question, value, says", [
    # 676.10 + 675.10 + 660.10, the 三公 subtotals of the three tables files
    ("江苏省政协办公厅2017—2019年三年三公经费预算加起来一共多少？", "2011.30", "合计2011.30万元"),
    ("2017、2018、2019年省政协办公厅三公经费哪年最高，是多少", "676.10", "最高的是江苏省政协办公厅2017年"),
    ("省政协办公厅这三年里机关运行经费最低的是哪一年，是多少？", "1115.85", "最低的是江苏省政协办公厅2018年"),
    ("和2017年比，2019年省政协办公厅的退休费减少了多少", "621.99", "相差621.99万元"),  # 1,329.42 − 707.43
    ("省政协办公厅2019年收入总计比2017年增长了百分之几？", "46.25", "增长46.25%"),  # 13,377.11 ÷ 9,146.79 − 1
    ("省政协办公厅2019年三公经费比2017年少了吗？差多少", "16.00", "相差16.00万元"),  # a yes/no, then the gap: 676.10 − 660.10
])
def test_figures_over_the_loaded_years(service, question, value, says):
    answer = service.ask(question)
    assert (answer.status, answer.value) == ("verified", Decimal(value)), answer.answer
    assert says in answer.answer


@pytest.mark.parametrize("question, value", [
    ("2016年省政协办公厅公务接待费预算是多少？", "444.30"),  # 2017 prose: 443.50, 与上年数相比，减少0.8
    ("2016年政协办公厅住房保障支出预算多少", "627.20"),  # 1,093.52, 与上年相比增加466.32
    ("江苏省政协办公厅2016年项目支出预算是多少？", "3123.68"),  # 3,123.68。与上年数一致
    ("忻州商务局2023年三公经费预算是多少", "10.00"),  # 预算10.00万元与2023年预算数相同
    # tables in 元 (91,016,775.35), prose in 万元: "财政拨款收入9,101.68万元，比2024年预算减少2,389.52万元"
    ("普陀区人民政府办公室2024年财政拨款收入预算是多少", "11491.20"),
])
def test_last_years_figure_from_this_years_document(service, question, value):
    answer = service.ask(question)
    assert (answer.status, answer.value) == ("verified", Decimal(value)), answer.answer
    assert "据" in answer.answer and "文件" in answer.answer  # says which document it was derived from


def test_a_name_with_growth_in_it_is_no_stated_change(service):
    # "支持商销稳增长30.00万" names a project; 2024 is not printed for the 专项
    assert service.ask("普陀区商务委生命健康专项2024年安排了多少").status == "refused"


def test_a_difference_of_two_units_uses_each_sides_own_figure(service):
    answer = service.ask("江苏省政协办公厅2019年的三公经费和普陀区政府办2025年的三公经费差多少？")
    assert (answer.status, answer.value) == ("verified", Decimal("207.40")), answer.answer  # 867.50 − 660.10
    more = service.ask("忻州市商务局2024年机关运行经费比普陀区社会工作部2024年多多少")
    assert (more.status, more.value) == ("verified", Decimal("103.00")), more.answer  # 113.23 − 10.23


def test_half_a_difference_is_refused_never_verified(service):
    answer = service.ask("忻州市商务局2024年机关运行经费比上海市普陀区商务委员会2025年的房租多多少")
    assert answer.status == "refused" and "只找到了其中一项" in answer.answer, answer.answer


def test_the_highest_of_many_units_comes_first(service):
    answer = service.ask("三家单位里出国经费最多的是多少")
    assert (answer.status, answer.value) == ("verified", Decimal("839.00")), answer.answer


def test_an_unscoped_total_is_each_documents_own_never_their_sum(service):
    # "收入总计" names no unit: each loaded document's total, not one sum across units and years
    answer = service.ask("收入总计是多少")
    assert "以上" not in answer.answer and "合计" not in answer.answer.split("。")[-2], answer.answer
    named = service.ask("忻州市商务局和普陀区政府办的三公经费一共多少")
    assert (named.status, named.value) == ("verified", Decimal("877.50")), named.answer  # 10.00 + 867.50


def test_which_of_two_units_spends_more_is_their_difference(service):
    # "谁家多" names no subject of its own: 退休费 is both units' (1,197,600.00 − 1,188,720.00)
    answer = service.ask("退休费预算，商务委和区府办谁家多？多多少元")
    assert (answer.status, answer.value) == ("verified", Decimal("8880.00")), answer.answer
    prose = service.ask("普陀区政府办和商务委2025年政府采购服务预算，哪家多，多多少？")  # stated in prose: 34 − 30.40
    assert (prose.status, prose.value) == ("verified", Decimal("3.60")), prose.answer


@pytest.mark.parametrize(("question", "says"), [
    ("社会工作部部门决算包括哪些单位", "编制范围的单位包括"),  # 二、部门决算单位构成 (the list itself is a table)
    ("省政协办公厅2019年部门预算包括哪些单位", "联谊俱乐部"),  # 二、部门机构设置及预算单位构成情况
])
def test_the_units_a_budget_covers_come_from_its_composition_passage(service, question, says):
    answer = service.ask(question)
    assert says in answer.answer.replace("\n", ""), answer.answer


def test_a_difference_of_figures_printed_in_yuan_and_in_wan_yuan_is_taken_in_one_unit(service):
    # 政府办 prints 元 (22,473,997.81), the 社工部 决算 万元 (95.36): 2,247.40 − 95.36, each 决算/预算 said as it is
    answer = service.ask("普陀区政府办2025年人员经费比区委社会工作部2024年决算的人员经费多多少万元？")
    assert (answer.status, answer.value, answer.unit) == ("verified", Decimal("2152.04"), "万元"), answer.answer
    assert "人员经费合计决算为95.36万元" in answer.answer


def test_two_units_set_against_each_other_without_a_year_use_each_ones_newest_document(service):
    answer = service.ask("省政协办公厅的三公经费比普陀区政府办的三公经费少多少")
    assert (answer.status, answer.value) == ("verified", Decimal("207.40")), answer.answer  # 867.50 − 660.10 (2019)


def test_a_share_of_a_sum_of_named_items_divides_by_their_sum(service):
    # 2018 公开09表: 三公 小计 675.10 + 会议费 884.16 + 培训费 97.60 = the printed 合计 1,656.86
    answer = service.ask("2018年省政协办公厅培训费占三公经费、会议费、培训费合计的比例")
    assert (answer.status, answer.value) == ("verified", Decimal("5.89")), answer.answer
    assert "(675.10 + 884.16 + 97.60)" in answer.answer


@pytest.mark.parametrize(("question", "value"), [
    ("江苏政协办2018年机动经费有多少", "1157.63"),  # 公开03表 单位预留机动经费
    ("普陀区政府办今年给职工交医保要交多少元？", "1097073.43"),  # 交 before a short word: 301 10
])
def test_everyday_words_for_reserve_funds_and_contributions(service, question, value):
    answer = service.ask(question)
    assert (answer.status, answer.value) == ("verified", Decimal(value)), answer.answer


def test_a_function_item_named_with_支出_is_its_项_of_the_prose(service):
    # 2019 prose: "2.政协事务（款）一般行政管理事务（项）3,159.78 万元，…增加 1,379.56 万元，增长 77.49%"
    answer = service.ask("2019年省政协办公厅一般行政管理事务支出增长率是多少")
    assert (answer.status, answer.value) == ("verified", Decimal("77.49")), answer.answer


def test_why_a_figure_changed_quotes_the_passage_that_gives_its_reason(service):
    # the tables file's 公开11表 note: "…下降66.69%。主要原因是今年此表统计口径发生变化"; with four files of
    # two years in scope, table rows must not crowd the prose out of the search
    answer = service.ask("政协办公厅2018年机关运行经费为什么比2017年少了那么多")
    assert "统计口径" in answer.answer.replace("\n", ""), answer.answer


@pytest.mark.parametrize(("typed", "value", "unit"), [
    ("二零二四年 区府办 收入预算", "11491.20", "万元"),  # a year in Chinese numerals: the 2025 document's 上年
    ("區府辦 因公出國經費 預算", "839.00", "万元"),  # traditional characters
    ("普陀区商务委２０２５年人员经费多少万", "1812.06", "万元"),  # full-width digits; 多少万 asks 万元
    ("区府办 201-03-01 基本支出", "11919501.84", "元"),  # a code typed in its printed groups
    ("区府办二〇二五年财政拨款收入多少万元", "9101.68", "万元"),  # 财政拨款 is the column 财政拨款收入 of 收入总计
])
def test_questions_typed_in_other_scripts(service, typed, value, unit):
    answer = service.ask(typed)
    assert (answer.status, answer.value, answer.unit) == ("verified", Decimal(value), unit), answer.answer
    assert answer.question == typed  # the answer repeats the question as it was asked


def test_a_year_in_chinese_numerals_that_is_not_loaded_is_refused(service):
    assert service.ask("二〇二三年区府办预算收入").status == "refused"


def test_keywords_typed_as_into_a_search_box(service):
    """No figure and no question word: a passage that has every keyword answers; one that lacks some does not."""
    answer = service.ask("商务委 加挂 牌子")
    assert answer.status == "verified" and "粮食和物资储备局" in answer.answer, answer.answer
    assert service.ask("普陀区商务委 办公用房 面积").status == "refused"


@pytest.mark.parametrize("typed", ["商务委 绩效目标 项目数", "商务委编报绩效目标的项目数"])
def test_a_number_of_things_asked_as_x_shu(service, typed):
    """"项目数" asks a count (p22: 本单位编报绩效目标的项目共25个), not a list of projects."""
    answer = service.ask(typed)
    assert (answer.status, answer.value, answer.unit) == ("verified", Decimal("25"), "个"), answer.answer


@pytest.mark.parametrize("question", [
    "你觉得忻州市商务局2024年的预算安排合理吗？",
    "普陀区政府办公室2025年因公出国（境）费839万元，这个是不是偏高了？",
    "江苏省政协办公厅2018年因公出国（境）具体去了哪些国家？",
    "忻州市商务局项目立项依据里提到的赵新年副市长，2024年年薪是多少？",
])
def test_what_no_disclosure_states_is_refused_before_any_search(service, question):
    """An opinion of the budget, where travel went, a person's pay: refused, not answered with passages near them."""
    answer = service.ask(question)
    assert answer.status == "refused" and "预算公开文件" in answer.answer, answer.answer


@pytest.mark.parametrize(("question", "value"), [
    ("忻州市商务局实际有几辆公务用车？", "3"),  # 编制0辆，实有3辆: the vehicles held
    ("忻州市商务局有几辆车", "3"),
    ("江苏省政协办公厅2019年有多少辆公车", "46"),  # 本部门共有车辆 46 辆
])
def test_vehicles_held_are_the_count_of_cars(service, question, value):
    answer = service.ask(question)
    assert (answer.status, answer.value, answer.unit) == ("verified", Decimal(value), "辆"), answer.answer


def test_a_rate_the_prose_does_not_state_is_computed_from_its_stated_change(service):
    """p6: 支出预算9,101.68万元…比2024年预算减少2,389.52万元 → 2,389.52 ÷ (9,101.68 + 2,389.52) = 20.79%."""
    answer = service.ask("上海市普陀区人民政府办公室2025年财政拨款支出预算比2024年预算下降了百分之几？")
    assert (answer.status, answer.value, answer.unit) == ("verified", Decimal("20.79"), "%"), answer.answer
    assert "2389.52 ÷ (9101.68 + 2389.52)" in answer.answer


def test_a_change_stated_in_a_passage_is_that_passages_figure_not_a_rule_of_consistency(service):
    # 2018 prose p7: "…预算总计 10,150.48万元，与上年相比收、支预算总计各增加 1,003.69 万元"; the passage before it says
    # the 财政拨款 figures "应与《收支预算总表》数对应一致" — a rule of the template, no change
    answer = service.ask("省政协办公厅2018年收支预算总计比上年多了多少")
    assert (answer.status, answer.value, answer.unit) == ("verified", Decimal("1003.69"), "万元"), answer.answer
