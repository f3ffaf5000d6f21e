"""江苏省政协办公厅 2017–2019: each year a prose file and a tables file (no cover), the Jiangsu template."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.service import Service
from app.settings import Settings
from store.embedders import NgramEmbedder
from store.vectors import InMemoryIndex
from tests.conftest import SHARED

pytestmark = pytest.mark.slow
JIANGSU = SHARED / "jiangsu"


@pytest.fixture(scope="module")
def service(tmp_path_factory) -> Service:
    if not JIANGSU.exists():
        pytest.skip(f"{JIANGSU} is absent: the real samples live in ../shared, outside this repo")
    svc = Service(Settings(home=tmp_path_factory.mktemp("jiangsu")), vectors=InMemoryIndex(NgramEmbedder()))
    assert all(r.status == "ingested" for r in svc.ingest(sorted(JIANGSU.glob("*.pdf"))))
    return svc


def test_the_two_files_of_each_year_are_one_disclosure(service):
    by_year: dict[int, set[str]] = {}
    for d in service.documents():
        by_year.setdefault(d.year, set()).add(d.disclosure_id)
    assert {y: len(ids) for y, ids in by_year.items()} == {2017: 1, 2018: 1, 2019: 1}


def test_a_figure_both_files_state_is_given_once_from_the_tables(service):
    answer = service.ask("江苏省政协办公厅2017年的收入一共是多少")
    assert (answer.status, answer.value, answer.unit) == ("verified", Decimal("9146.79"), "万元"), answer.answer
    assert "《" in answer.answer  # a table is cited, not only the prose


def test_the_sangong_total_is_its_own_subtotal_not_the_table_total_with_meetings_and_training(service):
    # p9 of the 2019 tables file: 合计 2,224.43 = 三公 660.10 + 会议费 1,282.56 + 培训费 281.77
    answer = service.ask("政协办公厅2019年“三公”经费预算是多少")
    assert (answer.status, answer.value) == ("verified", Decimal("660.10")), answer.answer


def test_a_year_on_year_difference_from_two_loaded_years_has_the_asked_sign(service):
    more = service.ask("省政协办公厅2018年支出合计比2017年多了多少")
    assert (more.status, more.value) == ("verified", Decimal("1003.69")), more.answer  # 10,150.48 − 9,146.79
    less = service.ask("省政协办公厅2019年公务接待费比2017年减少多少")
    assert less.status == "verified" and less.value > 0, less.answer


def test_a_person_s_pay_is_never_a_figure(service):
    assert service.ask("省政协办公厅秘书长一年工资多少").status == "refused"


def test_tables_that_add_up_give_no_error_findings(service):
    # checked by hand: 收入 = 支出, 基本 = 人员 + 公用, 三公 = its parts, every subtotal; the 80.00 between the
    # all-sources 收支预算总表 and the 财政拨款 支出 table is 其他资金, not a defect
    errors = [f for f in service.audit() if f.severity == "error"]
    assert errors == [], [f.message for f in errors]


def test_a_change_the_prose_states_is_answered_with_its_figure(service):
    # 2019 prose p10: "基本支出预算数为 6,522.75 万元。与上年相比增加 844.58 万元，增长 14.87%"
    amount = service.ask("政协办公厅2019年基本支出与上年相比增加了多少")
    assert (amount.status, amount.value, amount.unit) == ("verified", Decimal("844.58"), "万元"), amount.answer
    rate = service.ask("政协办公厅2019年基本支出的增长率")
    assert rate.status != "verified" or (rate.value, rate.unit) == (Decimal("14.87"), "%"), rate.answer


def test_a_row_inside_a_column_that_is_a_table_of_its_own(service):
    """"基本支出当中的差旅费": 基本支出 names the table (财政拨款基本支出预算表), 差旅费 its row 30211."""
    answer = service.ask("江苏省政协办公厅2018年基本支出当中的差旅费有多少")
    assert (answer.status, answer.value, answer.unit) == ("verified", Decimal("200.00"), "万元"), answer.answer
    assert any(c.row == "差旅费" and "基本支出" in c.table for c in answer.citations)


def test_three_named_items_joined_are_summed(service):
    """The template's own table prints 三公 (660.10), 会议费 (1,282.56) and 培训费 (281.77) side by side."""
    answer = service.ask("2019年省政协办公厅的会议费、培训费以及三公经费一共多少")
    assert (answer.status, answer.value) == ("verified", Decimal("2224.43")), answer.answer
    assert "1282.56 + 281.77 + 660.10" in answer.answer


def test_the_funds_a_question_names_choose_the_table_not_the_row(service):
    """"财政拨款安排的一般公共服务支出": 财政拨款 is the 财政拨款支出预算表 (p5, 7,747.46), not the 财政拨款 row."""
    answer = service.ask("省政协办公厅2018年财政拨款安排的一般公共服务支出是多少")
    assert (answer.status, answer.value) == ("verified", Decimal("7747.46")), answer.answer


def test_a_table_the_question_names_is_the_one_read(service):
    """The all-sources 收支预算总表 (p1, 10,271.56) is asked, not the 财政拨款 table (10,191.56)."""
    answer = service.ask("江苏省政协办公厅2019年收支预算总表里一般公共服务支出合计多少")
    assert (answer.status, answer.value) == ("verified", Decimal("10271.56")), answer.answer


def test_the_same_body_of_another_province_is_not_loaded(service):
    answer = service.ask("浙江省政协办公厅2019年三公经费预算是多少")
    assert answer.status == "refused" and "浙江省政协办公厅" in answer.answer, answer.answer
    assert service.ask("江苏省政协办公厅2019年三公经费预算是多少").status == "verified"


def test_procurement_classes_are_read_without_their_class_letter(service):
    """The 政府采购预算表 (tables file p12) prints 一、货物A / 三、服务C: 服务 is 三、服务C, and 2019 − 2018 its change."""
    served = service.ask("省政协办公厅2018年政府采购预算中服务类是多少")
    assert (served.status, served.value) == ("verified", Decimal("926.09")), served.answer
    change = service.ask("省政协办公厅2019年政府采购服务类比2018年增加多少")
    assert (change.status, change.value) == ("verified", Decimal("348.33")), change.answer  # 1,274.42 − 926.09


def test_a_base_named_with_its_funds_is_that_funds_table_total(service):
    """一般公共预算基本支出 is the 合计 of the 一般公共预算基本支出预算表 (p8, 5,598.17), not the all-sources 5,678.17."""
    answer = service.ask("省政协办公厅2018年机关运行经费占一般公共预算基本支出的比例是多少")
    assert (answer.status, answer.value) == ("verified", Decimal("19.93")), answer.answer  # 1,115.85 ÷ 5,598.17
    assert service.ask("省政协办公厅2018年基本支出是多少").value == Decimal("5678.17")


def test_a_unit_named_short_of_its_name_still_finds_its_duties_not_its_contents_page(service):
    """"江苏省政协" is 江苏省政协办公厅 cut short; the 目录 cover names the unit and says nothing."""
    answer = service.ask("江苏省政协的主要职能是什么")
    assert "政治协商、民主监督、参政议政" in answer.answer and "目 录" not in answer.answer, answer.answer


# -- the audit of a prose file against its tables file and last year's documents (perturbed copies) --------


@pytest.fixture(scope="module")
def prose_2018(service):
    from app.audit import Stored

    stored = Stored(service.facts_store)
    doc = next(d for d in stored.documents if d.year == 2018 and "公开表" not in d.file_name)
    return doc, stored.facts(doc), stored.context(doc)


def _new_findings(prose_2018, pred, change=None, **changes):
    """The findings a copy of the 2018 prose file adds, its prose facts that pred picks replaced (by change(f), or
    with the changes given)."""
    import dataclasses

    from app.audit import audit_document

    doc, facts, context = prose_2018
    change = change or (lambda f: dataclasses.replace(f, **changes))
    changed = [change(f) if "prose" in f.flags and pred(f) else f for f in facts]
    assert changed != list(facts), "the perturbation must change a fact"
    before = {(f.rule, f.message) for f in audit_document(doc, facts, context)}
    return [f for f in audit_document(doc, changed, context) if (f.rule, f.message) not in before]


def test_the_prose_file_is_audited_with_its_tables_file_and_last_year(prose_2018):
    doc, _, context = prose_2018
    assert len(context.companions) == 1 and [p.year for p, _ in context.previous] == [2017, 2017]


def test_a_rate_copied_from_the_line_above(prose_2018):
    # p11: 行政运行 +1,199.75 (37.11%), 一般行政管理事务 1,780.22 +202.40 (12.83%): give the second the first's rate
    (f,) = _new_findings(prose_2018, lambda f: f.column == "增长率" and f.value == Decimal("12.83"), value=Decimal("37.11"))
    assert (f.rule, f.expected, f.actual) == ("prose_arithmetic", Decimal("12.83"), Decimal("37.11"))
    assert "疑为照抄" in f.message


def test_an_increase_larger_than_the_amount(prose_2018):
    # p15: 政府性基金支出预算支出0万元，与上年数一致 → "…0万元，比上年增加1,421.25万元"
    (f,) = _new_findings(prose_2018, lambda f: f.column == "增长额" and f.row_label == "政府性基金支出预算支出",
                         value=Decimal("1421.25"))
    assert (f.rule, f.actual) == ("prose_impossible", Decimal("-1421.25"))


def test_a_change_that_last_years_document_contradicts(prose_2018):
    # p8: 一般公共服务（类）支出 7,827.46, +1,283.91; the 2017 prose gives 6,543.55
    found = _new_findings(prose_2018, lambda f: f.column == "增长额" and f.value == Decimal("1283.91"),
                          value=Decimal("1293.91"))
    (last,) = [f for f in found if f.rule == "prose_last_year"]
    assert (last.expected, last.actual) == (Decimal("1283.91"), Decimal("1293.91")) and "6,543.55" in last.message


def test_a_prose_figure_that_its_tables_file_contradicts(prose_2018):
    # prose p15 机关运行经费 1,115.85 vs the tables file's 一般公共预算机关运行经费支出预算表 合计 1,115.85
    found = _new_findings(prose_2018, lambda f: f.column == "金额" and f.value == Decimal("1115.85"),
                          value=Decimal("1115.95"))
    assert [(f.expected, f.actual) for f in found if f.rule == "prose_table"] == [(Decimal("1115.85"), Decimal("1115.95"))]


def test_shares_on_the_wrong_base(prose_2018):
    # p14: 出国 106 (15.70%), 公车 156.60 (23.20%), 接待 412.50 (61.10%) of 三公 675.10; divide instead by
    # 三公 + 会议费 884.16 + 培训费 97.60 = 1,656.86
    import dataclasses

    wrong = {Decimal("15.70"): Decimal("6.40"), Decimal("23.20"): Decimal("9.45"), Decimal("61.10"): Decimal("24.90")}
    found = _new_findings(prose_2018, lambda f: f.column == "占比" and f.value in wrong and f.page == 14,
                          change=lambda f: dataclasses.replace(f, value=wrong[f.value],
                                                               raw_text=f.raw_text.replace(str(f.value), str(wrong[f.value]))))
    (f,) = [f for f in found if f.rule == "prose_share_base"]
    assert f.expected == Decimal("675.10") and abs(f.actual - Decimal("1656.86")) < 2, f.message


def test_consistent_prose_gives_no_claim_findings(service):
    rules = {"prose_arithmetic", "prose_impossible", "prose_last_year", "prose_share_base", "prose_table"}
    assert [f.message for f in service.audit() if f.rule in rules] == []


def test_a_table_named_by_its_subject_is_its_total(service):
    """"政府采购总额" of the tables file is the 合计 of its 2018年政府采购预算表 (p12, 1,281.76)."""
    answer = service.ask("省政协办公厅2018年政府采购中服务类占政府采购总额的比例")
    assert (answer.status, answer.value) == ("verified", Decimal("72.25")), answer.answer  # 926.09 ÷ 1,281.76


def test_other_than_some_funds_is_the_whole_less_those_funds(service):
    """2019: 基本支出 6,522.75 (all sources, prose p10) − 财政拨款基本支出 6,442.75 (p14) = 其他资金 80.00."""
    answer = service.ask("省政协办公厅2019年基本支出中非财政拨款安排的部分有多少")
    assert (answer.status, answer.value) == ("verified", Decimal("80.00")), answer.answer
    assert "6522.75 − 6442.75" in answer.answer


def test_a_sum_over_listed_years_needs_every_year(service):
    """"2017、2018、2019三年": the last year of the list counts too (443.50 + 412.50 + 397.50)."""
    answer = service.ask("江苏省政协办公厅2017、2018、2019三年的公务接待费预算，三年合计是多少万元？")
    assert (answer.status, answer.value) == ("verified", Decimal("1253.50")), answer.answer


def test_growth_over_a_span_of_years_is_last_against_first(service):
    answer = service.ask("江苏省政协办公厅的部门预算收支总计，从2017年到2019年一共增长了百分之几？")
    assert (answer.status, answer.value, answer.unit) == ("verified", Decimal("46.25"), "%"), answer.answer  # 13,377.11 vs 9,146.79


def test_a_year_after_the_newest_loaded_is_refused_even_beside_a_loaded_base(service):
    answer = service.ask("江苏省政协办公厅2020年部门预算收支总计比2019年增长了多少？")
    assert answer.status == "refused" and "2020" in answer.answer, answer.answer


def test_a_named_tables_words_are_no_subject(service):
    """"支出预算总表里的基本支出": 基本支出 of that table (6,522.75 in 2019), not a missing item 支出预算."""
    answer = service.ask("江苏省政协办公厅2019年支出预算总表里的基本支出是多少")
    assert (answer.status, answer.value) == ("verified", Decimal("6522.75")), answer.answer


def test_figures_listed_over_years_are_each_years(service):
    """"列出…2017到2019年的三公经费": the three years' 三公 (676.10, 675.10, 660.10), not a passage."""
    answer = service.ask("列出江苏省政协办公厅2017到2019年的三公经费")
    assert answer.status == "verified" and answer.answer.startswith("各年的数字如下"), answer.answer
    assert {c.year: c.value for c in answer.citations} == {2017: "676.10", 2018: "675.10", 2019: "660.10"}


def test_a_procurement_line_is_read_under_its_category_and_project(service):
    # 2018 公开12表: 三、服务C › 省政协专项会议 (758.49) › 住宿服务 537.30; the 省政协业务工作经费 group has its own
    # 住宿服务 54.40 and 商品和服务支出 another 35.00
    line = service.ask("2018年政协办公厅政府采购，省政协专项会议下面的住宿服务多少万元")
    assert (line.status, line.value) == ("verified", Decimal("537.30")), line.answer
    # the same project buys goods (一、货物A, 55.67) and services: the category asked is the one answered
    services = service.ask("政协办公厅2018年省政协专项会议服务类采购预算")
    assert (services.status, services.value) == ("verified", Decimal("758.49")), services.answer


def test_a_procurement_table_continued_on_the_next_page_keeps_its_category(service):
    # 2017 表十二: the 服务C rows of 省政协全委会 (714.80) are on p13, the category row on p12; its goods are 140.20
    answer = service.ask("2017年省政协全委会的服务类政府采购是多少")
    assert (answer.status, answer.value) == ("verified", Decimal("714.80")), answer.answer


def test_words_before_a_loaded_name_are_not_another_body(service):
    # "…采购表里省政协…" names 省政协 after the table; 浙江省政协 is another province's body
    assert service.ask("2019年采购表里省政协业务工作经费是多少").status == "verified"
    assert service.ask("浙江省政协2019年三公经费").status == "refused"


def test_what_an_item_is_used_for_is_a_reason_not_a_person_s_address(service):
    answer = service.ask("省政协2017年机关运行经费里的差旅费主要用在哪")
    assert answer.status != "refused" and "差旅费" in answer.answer, answer.answer


def test_a_row_of_the_basic_expenditure_table_named_with_its_column_and_a_label_with_and(service):
    # 2017 表六 (one 金额 column): 302 商品和服务支出 1,131.92; the table's total is 5,836.27
    answer = service.ask("省政协办公厅2017年财政拨款基本支出里302商品和服务支出是多少")
    assert (answer.status, answer.value) == ("verified", Decimal("1131.92")), answer.answer


def test_a_span_of_years_without_the_last_nian_is_a_change_from_its_first_to_its_last_year(service):
    # 2010202 一般行政管理事务: 1,577.82 (2017) → 3,159.78 (2019) = +100.26%
    answer = service.ask("政协办公厅一般行政管理事务2017-2019涨了百分之多少")
    assert (answer.status, answer.value) == ("verified", Decimal("100.26")), answer.answer


def test_a_fund_the_prose_says_there_is_none_of_is_nought_with_its_sentence(service):
    # 2018 prose p15: "国有资本经营预算收入为 0 万元，与上年数一致，本部门无此项预算收支安排"
    answer = service.ask("政协办公厅2018年有国有资本经营预算吗")
    assert (answer.status, answer.value) == ("verified", Decimal("0")), answer.answer
    assert "无此项预算收支安排" in answer.answer


def test_a_count_over_another_line_than_the_one_asked_is_no_answer(service):
    # 2019 prose p17: "单价20 万元（含）以上的设备 4 台（套）"; nothing is said of a 50万元 line
    assert service.ask("政协办公厅2019年单价50万元以上的设备几台").status == "refused"
    counted = service.ask("政协办公厅2019年单价20万元以上的设备几台")
    assert (counted.status, counted.value) == ("verified", Decimal("4")), counted.answer


def test_a_row_named_as_printed_under_the_whole_named_before_it(service):
    # 2019 公开12表: 家具用具 198.00 (2017: 48.00)
    answer = service.ask("省政协2019年政府采购里，家具用具多少万元")
    assert (answer.status, answer.value) == ("verified", Decimal("198.00")), answer.answer


def test_the_items_one_year_lists_under_a_row_and_the_other_does_not(service):
    # 公开06表: 2019 drops 30215 会议费 70.00, 30216 培训费 16.00, 30217 公务接待费 15.00 from 302; adds 30199 in 301
    gone = service.ask("政协办公厅2019年商品和服务支出比2018年少了哪些科目")
    assert gone.status == "verified", gone.answer
    assert all(w in gone.answer for w in ("会议费", "培训费", "公务接待费")) and "2018年的数" in gone.answer
    new = service.ask("政协办公厅2019年工资福利支出比2018年新增了哪个科目")
    assert new.status == "verified" and "其他工资福利支出（9.60万元）" in new.answer, new.answer


def test_whether_there_are_projects_is_how_many(service):
    # 2019 prose p17: "2019 年本部门共 0 个项目实行绩效目标管理"
    answer = service.ask("省政协2019年有没有项目实行绩效目标管理")
    assert (answer.status, answer.value, answer.unit) == ("verified", Decimal("0"), "个"), answer.answer


def test_the_budget_as_a_whole_against_another_loaded_year(service):
    # 公开03表 支出合计: 13,377.11 (2019) − 10,150.48 (2018) = 3,226.63
    answer = service.ask("省政协2019年的预算比2018年多了多少")
    assert (answer.status, answer.value) == ("verified", Decimal("3226.63")), answer.answer


def test_a_count_of_things_other_than_money_in_the_prose(service):
    # 2019 prose p5: "预计办理提案约 900 件"
    answer = service.ask("江苏省政协2019年打算办理几件提案")
    assert (answer.status, answer.value, answer.unit) == ("verified", Decimal("900"), "件"), answer.answer
