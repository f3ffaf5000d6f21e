"""The consistency audit (勾稽关系): the defects checked by hand in the real samples, no false alarms on
tables that add up, each rule shown to fire on a perturbed copy of real data, odd data never raising."""

from __future__ import annotations

import dataclasses
import json
import time
import tomllib
from collections import Counter
from decimal import Decimal as D

import pytest

from app.audit import RULES_PATH, SEVERITIES, Finding, audit, audit_document
from store.facts import SQLiteFactStore
from store.models import TABLE_KINDS, Chunk, Document, Fact
from tests.conftest import parsed, shared_sample

SHANGHAI = ["putuo_commerce_2025_budget", "putuo_commerce_dept_2025_budget", "putuo_gov_office_2025_budget"]
CONTRACT = ["rule", "severity", "doc_id", "unit_name", "year", "pages", "table", "row", "column", "expected",
            "actual", "difference", "message"]


@pytest.fixture(scope="module")
def xz(xinzhou):
    return audit_document(xinzhou.document, xinzhou.facts)


def shanghai(stem: str):
    return parsed(shared_sample(stem))


def pick(findings, rule, **where) -> list[Finding]:
    return [f for f in findings if f.rule == rule and all(getattr(f, k) == v for k, v in where.items())]


def perturbed(result, pred, **changes) -> list[Finding]:
    """The findings a changed copy of a real document adds to those of the original."""
    facts = [dataclasses.replace(f, **changes) if pred(f) else f for f in result.facts]
    assert facts != list(result.facts), "the perturbation must change a fact"
    before = {(f.rule, f.message) for f in audit_document(result.document, result.facts)}
    return [f for f in audit_document(result.document, facts) if (f.rule, f.message) not in before]


# -- Xinzhou 2024: the defects verified by hand against the PDF ----------------------------------------


def test_xinzhou_publishes_fewer_performance_tables_than_the_prose_says(xz):
    # p24: 公开项目绩效目标7个，涉及项目金额359.87万元; only 6 绩效目标表 are attached (p25–31), 245.87万元
    (count,) = pick(xz, "prose_count")
    assert (count.severity, count.expected, count.actual, count.difference) == ("warning", 6, 7, 1)
    assert count.row == "公开项目绩效目标" and 24 in count.pages and {25, 26, 27, 28, 29, 31} <= set(count.pages)
    (amount,) = pick(xz, "prose_count_amount")
    assert (amount.expected, amount.actual, amount.difference) == (D("245.87"), D("359.87"), D("114.00"))
    assert "忻州市饮食服务公司经费" in amount.message and "114.00万元" in amount.message  # the project left out
    assert {20, 24} <= set(amount.pages)


def test_xinzhou_project_named_differently_in_its_performance_table(xz):
    # 表十二 (p20) 忻州市食品公司经费 140.26万元 vs its 绩效目标表 (p27) 忻州市食品公司经营 1,402,600元
    (name,) = pick(xz, "performance_name")
    assert name.severity == "warning" and name.row == "忻州市食品公司经费" and name.pages == [20, 27]
    assert "忻州市食品公司经营" in name.message
    assert not pick(xz, "performance_amount")  # the six amounts agree (元 vs 万元)
    assert not pick(xz, "performance_unpaired")


def test_xinzhou_goods_and_services_children_round_to_one_cent_more(xz):
    # p14: 商品和服务支出 110.10 while its 17 items add up to 110.11 (合计 and 公用经费 columns)
    found = pick(xz, "class_sum", row="商品和服务支出")
    assert {f.column.split(" / ")[-1] for f in found} == {"合计", "公用经费"}
    assert all((f.severity, f.expected, f.actual, f.difference, f.pages) == ("rounding", D("110.11"), D("110.10"),
                                                                           D("-0.01"), [14]) for f in found)


def test_xinzhou_function_classes_add_up_to_one_cent_more_than_the_total(xz):
    # 201 795.44 + 208 151.57 + 210 18.33 + 213 19.60 + 221 39.94 = 1,024.88 vs 合计 1,024.87, in every
    # table that lists the classes; the cent comes from 210 卫生健康支出 18.33 = 0.44 + 17.88 = 18.32
    totals = [f for f in xz if f.rule in ("total_row", "section_total") and f.expected == D("1024.88")]
    assert {f.table for f in totals} == {"2024年预算收支总表", "2024年预算收入总表", "2024年预算支出总表",
                                         "2024年财政拨款收支总表", "2024年一般公共预算支出预算表（不含上年结转）"}
    assert all((f.actual, f.difference, f.severity) == (D("1024.87"), D("-0.01"), "rounding") for f in totals)
    health = pick(xz, "code_sum", row="210 卫生健康支出")
    assert {(f.column.split(" / ")[-1], f.expected, f.actual) for f in health} == {
        ("合计", D("18.32"), D("18.33")), ("一般公共预算", D("18.32"), D("18.33")),
        ("基本支出", D("18.20"), D("18.21"))}
    assert {p for f in health for p in f.pages} == {8, 10, 13}


def test_xinzhou_has_more_cars_than_its_quota(xz):
    # p32: 共有公务用车编制0辆，实有3辆
    (cars,) = pick(xz, "prose_vehicles")
    assert (cars.severity, cars.expected, cars.actual, cars.pages) == ("warning", 0, 3, [32])


def test_xinzhou_has_nothing_else(xz):
    # Everything else adds up: no error anywhere; 18 one-cent rounding differences, 4 warnings.
    assert Counter(f.severity for f in xz) == {"rounding": 18, "warning": 4}
    assert all(abs(f.difference) == D("0.01") for f in xz if f.severity == "rounding")
    assert not pick(xz, "prose_table") and not pick(xz, "prose_arithmetic") and not pick(xz, "cross_cell")
    assert not [f for f in xz if f.rule.startswith("cross_")]  # every code/class/cell pair between tables agrees


# -- Shanghai 2025: tables that add up exactly yield nothing ----------------------------------------------


@pytest.mark.parametrize("stem", SHANGHAI)
def test_shanghai_samples_have_no_findings(stem):
    result = shanghai(stem)
    started = time.perf_counter()
    findings = audit_document(result.document, result.facts)
    elapsed = time.perf_counter() - started
    assert findings == []
    assert elapsed < 2.0, f"{stem}: audit took {elapsed:.3f}s"


def test_shanghai_basic_spending_cell_changed_by_one_yuan():
    # 2010301 行政运行 基本支出 11,919,501.84元 in 支出总表 (p11): 元 tables printed to the 分 allow no rounding
    result = shanghai("putuo_gov_office_2025_budget")
    new = perturbed(result, lambda f: f.table_kind == "支出总表" and f.row_code == "2010301"
                    and f.column.endswith("基本支出"), value=D("11919500.84"))
    assert {(f.rule, f.severity, f.row) for f in new} == {
        ("code_sum", "error", "20103 政府办公厅（室）及相关机构事务"), ("column_sum", "error", "2010301 行政运行"),
        ("cross_code", "error", "2010301 行政运行")}
    assert all(abs(f.difference) == 1 for f in new)


def test_shanghai_three_public_expenses_vs_economic_rows():
    # 三公 公务接待费 28.50万元 > the basic-spending 30217 row 185,000元: project spending, no finding (baseline).
    # Below the basic-spending row it cannot be.
    result = shanghai("putuo_gov_office_2025_budget")
    new = perturbed(result, lambda f: f.table_kind == "三公经费表" and f.row_label == "公务接待费", value=D("10.00"))
    (cell,) = pick(new, "cross_cell")
    assert (cell.severity, cell.expected, cell.actual, cell.difference) == ("error", D("18.50"), D("10.00"), D("-8.50"))
    (identity,) = pick(new, "identity")  # 合计 867.50 ≠ 839.00 + 10.00
    assert (identity.expected, identity.actual) == (D("849.00"), D("867.50"))
    (prose,) = pick(new, "prose_table")  # p21 still says 公务接待费28.50万元
    assert (prose.severity, prose.expected, prose.actual, prose.pages) == ("warning", D("10.00"), D("28.50"), [20, 21])


def test_shanghai_prose_in_wan_agrees_with_tables_in_yuan():
    # prose 1,202.95万元 for 行政运行 vs 12,029,501.84元: consistent; 1,212.95万元 is not
    result = shanghai("putuo_gov_office_2025_budget")
    new = perturbed(result, lambda f: "prose" in f.flags and f.value == D("1202.95"), value=D("1212.95"))
    (prose,) = new
    assert (prose.rule, prose.expected, prose.actual) == ("prose_table", D("1202.9501840"), D("1212.95"))
    assert "12,029,501.84元" in prose.message


def test_shanghai_balance_and_sections():
    result = shanghai("putuo_commerce_2025_budget")
    new = perturbed(result, lambda f: f.table_kind == "财政拨款收支总表" and f.row_label == "支出总计"
                    and f.column.endswith("合计"), value=D("371514656.00"))
    assert {f.rule for f in new} == {"balance", "column_sum", "section_total"}
    assert all(f.severity == "error" and abs(f.difference) == 1 for f in new)


# -- each remaining rule fires on a perturbed copy of Xinzhou -------------------------------------------


def test_prose_share_and_growth_are_recomputed(xinzhou):
    share = perturbed(xinzhou, lambda f: "prose" in f.flags and f.column == "占比" and f.value == D("54.67"),
                      value=D("55.67"))  # 基本支出560.3 / 1024.87 = 54.67%
    assert [(f.rule, f.expected, f.actual) for f in share] == [("prose_arithmetic", D("54.67"), D("55.67"))]
    growth = perturbed(xinzhou, lambda f: "prose" in f.flags and f.column == "增长率" and f.value == D("5.93"),
                       value=D("6.93"))  # 6.34 / (113.23 − 6.34) = 5.93%
    assert [(f.rule, f.expected) for f in growth] == [("prose_arithmetic", D("5.93"))]


def test_running_costs_vs_public_funds_is_a_warning(xinzhou):
    new = perturbed(xinzhou, lambda f: f.table_kind == "机关运行经费表" and f.column.endswith("合计"), value=D("123.23"))
    (cell,) = pick(new, "cross_cell")
    assert (cell.severity, cell.expected, cell.actual) == ("warning", D("113.23"), D("123.23"))
    assert pick(new, "prose_table")  # p24: 机关运行经费财政拨款预算113.23万元


def test_performance_amount_mismatch_is_an_error(xinzhou):
    new = perturbed(xinzhou, lambda f: f.table_kind == "绩效目标表" and f.row_path[0] == "遗属补助"
                    and f.row_label == "年度资金总额", value=D("61100"))
    (amount,) = pick(new, "performance_amount")
    assert (amount.severity, amount.expected, amount.actual, amount.pages) == ("error", D("6.11"), D("6.01"), [20, 25])


def test_prose_figure_for_an_empty_table(xinzhou):
    # 表七/表八 政府性基金 are printed empty (注：本表无数据); a non-zero prose figure contradicts them
    new = perturbed(xinzhou, lambda f: "prose" in f.flags and f.row_label == "政府性基金预算拨款收入"
                    and f.column == "金额", value=D("5.00"))
    assert {f.rule for f in new} == {"prose_empty_table", "prose_table"}


def test_year_in_a_title(xinzhou):
    new = perturbed(xinzhou, lambda f: f.table_title == "2024年预算支出总表", table_title="2023年预算支出总表")
    assert [(f.rule, f.severity, f.expected, f.actual, f.pages) for f in new] == [("year", "warning", 2024, 2023, [10])]


# -- contract, store, odd data, speed ------------------------------------------------------------------


def test_to_json_is_the_contract(xz):
    obj = xz[0].to_json()
    assert list(obj) == CONTRACT
    assert isinstance(obj["pages"], list) and all(isinstance(p, int) for p in obj["pages"])
    assert all(obj[k] is None or isinstance(obj[k], str) for k in ("expected", "actual", "difference"))
    assert json.loads(json.dumps({"findings": [f.to_json() for f in xz]}))["findings"][0]["expected"] == str(xz[0].expected)
    assert all(f.severity in SEVERITIES and f.message and "\n" not in f.message for f in xz)


def test_audit_over_the_store(tmp_path, xinzhou, xz):
    with SQLiteFactStore(tmp_path / "facts.db") as store:
        store.add_document(xinzhou.document, xinzhou.facts, ())
        assert audit(store) == xz
        assert audit(store, xinzhou.document.doc_id) == xz
        assert audit(store, "no-such-doc") == []


def test_odd_data_never_raises(xinzhou):
    doc = xinzhou.document
    assert audit_document(doc, []) == []
    odd = [
        Fact("a", doc.doc_id, "支出总表", "x", 1, None, "201", "", (), "合计", D("1"), "万元", "1", ()),
        Fact("b", doc.doc_id, "支出总表", "x", 1, None, "20101", "y", ("y",), "", D("NaN"), "万元", "", ()),
        Fact("c", doc.doc_id, "绩效目标表", "t", 2, None, None, "年度资金总额", (), "年度", D("5"), "元", "5", ("funds",)),
        Fact("d", doc.doc_id, "说明", "s", 3, None, None, "", (), "占比", D("5"), "%", "", ("prose",)),
        Fact("e", doc.doc_id, "三公经费表", "2099年表", 4, None, "合计", "合计", ("合计",), "合计", D("1E+3"), "万元", "1", ()),
    ]
    odd.append(Fact("f", doc.doc_id, "支出总表", "x", 1, None, "20102", "z", ("z",), "合计", D("NaN"), "万元", "", ()))
    findings = audit_document(dataclasses.replace(doc, year=None), odd)
    assert all(isinstance(f, Finding) for f in findings)
    assert audit_document(doc, [*xinzhou.facts, *odd])  # the real figures are still audited


def test_a_failing_rule_does_not_stop_the_others(xinzhou, xz, monkeypatch, caplog):
    import app.audit

    def boom(self):
        raise RuntimeError("boom")

    monkeypatch.setattr(app.audit._Audit, "performance", boom)
    findings = audit_document(xinzhou.document, xinzhou.facts)
    assert findings == [f for f in xz if not f.rule.startswith(("performance", "prose_count"))]
    assert "boom skipped on xinzhou" in caplog.text


def test_rules_name_known_table_kinds():
    data = tomllib.loads(RULES_PATH.read_text(encoding="utf-8"))
    kinds = {p[k] for p in data["row_pair"] for k in ("a", "b")}
    kinds |= {s["kind"] for p in data["cell_pair"] for k in ("a", "b") for s in p[k]}
    kinds |= {t["kind"] for p in data["prose"] for t in p["targets"]} | {i["kind"] for i in data["identity"]}
    assert kinds <= set(TABLE_KINDS)


def test_audit_time_per_document(xinzhou, capsys):
    timings = {}
    for name, result in [("xinzhou", xinzhou), *[(s, shanghai(s)) for s in SHANGHAI]]:
        started = time.perf_counter()
        audit_document(result.document, result.facts)
        timings[name] = time.perf_counter() - started
    with capsys.disabled():
        print("\naudit time per document: " + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in timings.items()))
    assert max(timings.values()) < 2.0


def test_a_department_of_one_unit_prints_what_that_unit_prints():
    """普陀区商务委员会 2025: its 部门预算 and 单位预算 total alike (one unit) and agree cell for cell."""
    from app.audit import Context

    dept, unit = shanghai("putuo_commerce_dept_2025_budget"), shanghai("putuo_commerce_2025_budget")
    context = Context(other_scope=[(unit.document, unit.facts)])
    assert pick(audit_document(dept.document, dept.facts, context), "one_unit_body") == []
    changed = [dataclasses.replace(f, value=f.value + 1) if f.table_kind == "三公经费表" and f.row_label == "公务接待费"
               else f for f in unit.facts]
    found = pick(audit_document(dept.document, dept.facts, Context(other_scope=[(unit.document, changed)])),
                 "one_unit_body")
    assert found and all(f.row == "公务接待费" and f.difference == -1 for f in found), [f.message for f in found]


# -- counts the prose states of the items it lists --------------------------------------------------------


def _text(page: int, text: str, headings: str = "机构设置") -> Chunk:
    return Chunk(f"c{page}-{len(text)}", "d", page, "text", text, {"headings": headings})


def test_a_stated_count_is_checked_against_the_items_listed_inline_and_numbered():
    from app.listed import listed_counts

    inline = _text(5, "上海市普陀区商务委员会机关设9个内设机构，包括：办公室、综合调研科、商业发展科、市场秩序科（粮食和物资储备科）、"
                      "产业发展科、企业服务科、经济运行科、外经促进科、贸易发展科。")
    numbered = [_text(4, "上海市普陀区人民政府办公室设10个内设机构，包括：\n（一）秘书科。承担机要。\n（二）组织人事科。承担党建。"),
                _text(4, "（三）督查科。负责督查。\n（四）综合科。负责简报。")]  # the list runs on into the next chunk
    assert [(x.said, x.listed, x.what) for x in listed_counts([inline, *numbered])] == \
        [(9, 9, "内设机构"), (10, 4, "内设机构")]


def test_an_audit_warns_when_the_count_stated_is_not_the_count_listed():
    from app.audit import Context, audit_document
    from app.listed import Listed

    doc = Document("d", "d.pdf", "上海市普陀区人民政府办公室", 2025, "预算", "单位", 22, "", 0, 0, 0, ())
    listed = [Listed(10, 9, "内设机构", 4, "设10个内设机构，包括："), Listed(9, 9, "内设机构", 5, "设9个内设机构，包括：")]
    found = [f for f in audit_document(doc, [], Context(listed=listed)) if f.rule == "prose_list_count"]
    assert [(f.severity, f.pages, f.expected, f.actual) for f in found] == [("warning", [4], 10, 9)]
    assert "说明称10个内设机构，但随后列出的是9个" in found[0].message
