"""Rows of a table in order: the largest and smallest, the top few, the rows past a line, where a row stands."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.service import Service
from app.settings import Settings
from app.understand import understand
from store.embedders import NgramEmbedder
from store.vectors import InMemoryIndex
from tests.conftest import shared_sample
from tests.test_multiyear import service  # noqa: F401 - the module fixture: every sample loaded

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("question, ranking, n, level, threshold, extreme", [
    ("按项级科目看，哪个科目支出最大", "top", 1, "项", None, "max"),
    ("商品和服务支出里排前三的是哪几项", "top", 3, None, None, None),
    ("公务接待费在商品和服务支出里排第几", "position", 1, None, None, None),
    ("商品和服务支出里排第二的是哪一项", "nth", 2, None, None, None),
    ("项目支出表里金额第三大的项目是哪个", "nth", 3, None, None, None),
    ("超过50万元的项目有哪些", "over", 1, None, (Decimal("50"), "万元"), None),
    ("低于1万元的科目有哪些", "over", 1, None, (Decimal("1"), "万元"), "min"),
    ("按类来看哪一类最少", "top", 1, "类", None, "min"),
    ("2017、2018、2019年三公经费哪年最高", None, 1, None, None, "max"),  # years compared, not rows
    ("哪个科室的预算最多", None, 1, None, None, "max"),  # no table has a row per 科室
    ("公务接待费是多少", None, 1, None, None, None),
])
def test_the_frame_reads_which_rows_are_ranked(question, ranking, n, level, threshold, extreme):
    frame = understand(question)
    assert (frame.ranking, frame.top_n, frame.level, frame.threshold, frame.extreme) == \
        (ranking, n, level, threshold, extreme)


def test_a_threshold_is_no_code():
    assert understand("超过100万元的项目有哪些").codes == ()


@pytest.mark.parametrize("question, value, says", [
    # the 项 rows of the function table, p14: 一般行政管理事务 46,140,000.00 is the largest
    ("区政府办2025年功能分类项级科目中支出最多的是哪个", "46140000.00", "最多的是一般行政管理事务46140000.00元"),
    # the children of 商品和服务支出 (302) in the basic-expenditure table, p19
    ("区政府办2025年基本支出的商品和服务支出里，金额最大的两项是什么", "483840.00",
     "依次是福利费483840.00元，其他交通费用379600.00元"),
    # Xinzhou's 类 rows, p13: 卫生健康支出 18.33 is the smallest
    ("忻州市商务局2024年一般公共预算支出哪一类最少（按类）", "18.33", "最少的是卫生健康支出18.33万元"),
    # the 项目支出表, p20: the unit's own row is its total, not a project
    ("忻州市商务局2024年哪个项目预算最多", "140.26", "最多的是忻州市食品公司经费140.26万元"),
    ("忻州市商务局2024年项目支出表里金额第二大的项目是哪个", "114.00", "第2位是忻州市饮食服务公司经费114.00万元"),
])
def test_the_top_rows_of_a_table(service, question, value, says):  # noqa: F811
    answer = service.ask(question)
    assert (answer.status, answer.value) == ("verified", Decimal(value)), answer.answer
    assert says in answer.answer


def test_the_rows_past_a_line_are_each_named_with_its_figure(service):  # noqa: F811
    answer = service.ask("忻州市商务局2024年超过100万元的项目有哪些？")
    assert answer.status == "verified"
    for row in ("忻州市食品公司经费140.26万元", "忻州市饮食服务公司经费114.00万元", "外贸企业投保中国出口信用保险保费补贴104.70万元"):
        assert row in answer.answer
    assert "招商引资" not in answer.answer  # 60.00: below the line


def test_where_a_row_stands_among_its_siblings(service):  # noqa: F811
    answer = service.ask("区政府办2025年公务接待费在商品和服务支出各项里排第几？")
    assert (answer.status, answer.value, answer.unit) == ("verified", Decimal(6), "位"), answer.answer
    assert "公务接待费为185000.00元，排第6位" in answer.answer


def test_bodies_and_people_are_not_rows(service):  # noqa: F811
    assert service.ask("普陀区政府办2025年哪个科室的预算最多？").status == "refused"


def test_a_party_committee_department_not_loaded_is_another_body(service):  # noqa: F811
    # 区委组织部 is not 区委社会工作部: sharing the committee's name does not make it loaded
    answer = service.ask("中共上海市普陀区委组织部2024年支出总计是多少？")
    assert answer.status == "refused" and "组织部" in answer.answer


def test_which_of_two_bodies_spends_more_puts_the_larger_first(service):  # noqa: F811
    answer = service.ask("普陀区政府办和商务委2025年差旅费哪家多？")
    assert (answer.status, answer.value) == ("verified", Decimal("80000.00")), answer.answer


@pytest.fixture(scope="module")
def department(tmp_path_factory) -> Service:
    """商务委's 部门预算 alone: it explains each 专项 with its budget lines."""
    svc = Service(Settings(home=tmp_path_factory.mktemp("dept")), vectors=InMemoryIndex(NgramEmbedder()))
    assert [r.status for r in svc.ingest([shared_sample("putuo_commerce_dept_2025_budget")])] == ["ingested"]
    return svc


def test_the_budget_lines_a_projects_explanation_prints_are_ranked(department):
    # 部门预算 p24 "生命健康专项（政策资金）经费情况说明 > 六、年度预算安排": 项目总额 1170 and four lines under it
    answer = department.ask("普陀区商务委2025年生命健康专项里，哪一块钱最多？")
    assert (answer.status, answer.value) == ("verified", Decimal("870.00")), answer.answer
    assert "生命健康专项（政策资金）各项，最多的是支持企业规模化发展870.00万元" in answer.answer


def test_a_column_of_basic_spending_ranks_its_own_rows(service):  # noqa: F811
    # Xinzhou's economic table prints 人员经费 and 公用经费 columns: 公用经费's largest line is 商品和服务支出
    answer = service.ask("忻州市商务局公用经费里哪项最多")
    assert (answer.status, answer.value) == ("verified", Decimal("110.10")), answer.answer
    assert "公用经费各项，最多的是商品和服务支出" in answer.answer


def test_a_place_among_every_row_of_the_level_named(service):  # noqa: F811
    # 忻州 2024 一般公共预算支出表: 行政运行 is the largest 项 of the whole table, not only of its 款
    answer = service.ask("忻州市商务局行政运行在项级科目中排第几")
    assert (answer.status, answer.value, answer.unit) == ("verified", Decimal("1"), "位"), answer.answer
    assert "项级科目各项" in answer.answer


def test_the_projects_a_department_budget_explains_one_by_one_are_ranked(department):
    # p23–p26: 科技创新 1720.00, 生命健康 1170.00, 商业创新 1410.00, 贸易高质量发展 2921.00 (each 项目总预算)
    answer = department.ask("商务委2025年部门预算说明的几个专项中，哪个专项钱最多")
    assert (answer.status, answer.value) == ("verified", Decimal("2921.00")), answer.answer
    assert "最多的是贸易高质量发展专项（政策资金）2921.00万元（第26页）" in answer.answer


def test_which_units_a_department_budget_covers_is_its_own_passage(department):
    answer = department.ask("商务委部门预算是由哪些单位组成")
    assert answer.status == "verified" and "中小企业服务中心，不单列预算" in answer.answer, answer.answer


def test_the_projects_a_department_budget_explains_add_up_each_named(department):
    answer = department.ask("商务委部门预算里说明的那几个专项一共多少钱")
    assert (answer.status, answer.value) == ("verified", Decimal("7221.00")), answer.answer
    assert "（1720.00 + 1170.00 + 1410.00 + 2921.00）" in answer.answer
