"""忻州市商务局 2024年度单位预算公开 (Shanxi template): the whole document as a specification."""

from __future__ import annotations

import json
import re
from collections import Counter
from decimal import Decimal

import pytest

from tests.conftest import FIXTURES

CELLS = json.loads((FIXTURES / "xinzhou_commerce_2024_budget.cells.json").read_text(encoding="utf-8"))


def test_metadata_comes_from_the_cover(xinzhou):
    d = xinzhou.document
    assert (d.unit_name, d.year, d.kind, d.scope, d.pages) == ("忻州市商务局", 2024, "预算", "单位", 34)


def test_tables_found_per_kind(xinzhou):
    kinds = Counter(f.table_kind for f in xinzhou.facts if "prose" not in f.flags)
    titles = {f.table_title for f in xinzhou.facts if f.table_kind == "绩效目标表"}
    assert len(titles) == 6
    assert set(kinds) >= {"收支总表", "收入总表", "支出总表", "财政拨款收支总表", "一般公共预算支出表",
                          "基本支出经济分类表", "三公经费表", "机关运行经费表", "项目支出表", "绩效目标表"}
    assert xinzhou.document.table_count == 19  # 13 tables (表八 and 表九 empty ones included) + 6 绩效目标表


def _leaf(column: str) -> str:
    # The expectation file keeps a 栏次 number ("合计 / 2") that the parser drops as a header.
    return re.sub(r" / \d+$", "", column).split(" / ")[-1]


@pytest.mark.parametrize("cell", CELLS, ids=[f"{c['table'][:12]}-{c['row_labels'][-1]}-{_leaf(c['column'])}" for c in CELLS])
def test_every_table_cell_is_a_fact(xinzhou, cell):
    matches = [
        f for f in xinzhou.facts
        if f.table_title == cell["table"]
        and cell["row_labels"][-1] in (f.row_label, *f.row_path)
        and f.column.split(" / ")[-1] == _leaf(cell["column"])
        and f.value == Decimal(cell["value"]) and f.unit == cell["unit"]
        and "blank" not in f.flags
    ]
    assert matches, cell


def test_no_figure_is_invented(xinzhou):
    table_figures = [f for f in xinzhou.facts if f.table_kind not in ("说明", "绩效目标表") and "blank" not in f.flags]
    assert len(table_figures) == len(CELLS) == 325


def test_watermark_never_leaks_into_cells(xinzhou):
    assert not [f for f in xinzhou.facts if re.search(r"[仅供内部审核]", f.raw_text) and "prose" not in f.flags]
    labels = {f.row_label for f in xinzhou.facts if "prose" not in f.flags}
    assert {label for label in labels if "节能环保支出" in label} <= {"十一、节能环保支出"}  # no 部十一、…


def fact(xinzhou, table_kind, row_label, column_leaf):
    found = [f for f in xinzhou.facts if f.table_kind == table_kind and f.row_label == row_label
             and f.column.split(" / ")[-1] == column_leaf]
    assert found, (table_kind, row_label, column_leaf)
    return found


def test_three_public_expenses(xinzhou):
    assert fact(xinzhou, "三公经费表", "公务接待费", "合计")[0].value == Decimal("1.00")
    assert fact(xinzhou, "三公经费表", "②公务用车运行维护费", "合计")[0].value == Decimal("9.00")
    assert fact(xinzhou, "三公经费表", "合计", "合计")[0].value == Decimal("10.00")
    page = fact(xinzhou, "三公经费表", "公务接待费", "合计")[0].page
    assert page == 18


def test_blank_cell_in_a_row_with_figures_is_a_zero_fact(xinzhou):
    blank = fact(xinzhou, "三公经费表", "公务接待费", "政府性基金预算")[0]
    assert blank.value == 0 and "blank" in blank.flags


def test_codes_and_hierarchy(xinzhou):
    f = fact(xinzhou, "支出总表", "行政运行", "合计")[0]
    assert f.row_code == "2011301" and f.value == Decimal("358.46")
    assert f.row_path[:2] == ("一般公共服务支出", "商贸事务")


def test_repeated_labels_keep_both_names(xinzhou):
    rows = fact(xinzhou, "基本支出经济分类表", "基本工资", "合计")
    assert sorted(f.value for f in rows) == [Decimal("12.01"), Decimal("120.05")]
    assert {f.row_path[-1] for f in rows} == {"工资奖金津补贴", "工资福利支出"}
    assert all(f.row_path[0] == "工资福利支出" for f in rows)


def test_table_continued_on_next_page_is_joined(xinzhou):
    f = fact(xinzhou, "收支总表", "收入总计", "2024年")[0]
    assert (f.page, f.value) == (7, Decimal("1024.87"))
    assert {x.table_title for x in xinzhou.facts if x.page == 7 and "prose" not in x.flags} == {"2024年预算收支总表"}


def test_performance_tables(xinzhou):
    perf = [f for f in xinzhou.facts if f.table_kind == "绩效目标表"]
    total = [f for f in perf if f.row_label == "年度资金总额" and "遗属补助" in f.table_title]
    assert [(f.value, f.unit) for f in total] == [(Decimal("60100"), "元")]
    target = [f for f in perf if f.row_label == "遗属满意度" and f.column == "指标值（年度）"]
    assert target[0].value == Decimal("95") and target[0].unit == "%" and target[0].raw_text == "≥95%"
    assert len({f.table_title for f in perf if f.row_label == "年度资金总额"}) == 6


@pytest.mark.parametrize(
    ("subject", "column", "value", "unit"),
    [
        ("“三公”经费", "金额", "10.00", "万元"),
        ("公务接待费", "金额", "1.00", "万元"),
        ("基本支出", "占比", "54.67", "%"),
        ("办公用房建筑总面积", "面积", "1483.12", "平方米"),
        ("内设机构", "数量", "10", "个"),
        ("实有", "数量", "3", "辆"),
    ],
)
def test_prose_figures_are_facts(xinzhou, subject, column, value, unit):
    prose = [f for f in xinzhou.facts if "prose" in f.flags]
    assert any(subject in f.row_label + f.raw_text and f.column == column and f.value == Decimal(value)
               and f.unit == unit for f in prose), subject


def test_growth_is_attributed_to_the_sentence_subject(xinzhou):
    prose = [f for f in xinzhou.facts if "prose" in f.flags and f.column == "增长率" and f.value == Decimal("18.63")]
    assert prose and all("支出" in f.row_label or "收入" in f.row_label for f in prose)


def test_table_rows_are_chunked_with_title_and_headers(xinzhou):
    rows = [c for c in xinzhou.chunks if c.kind == "table_row" and "公务接待费" in c.text and "三公" in c.text]
    assert rows and "合计: 1.00万元" in rows[0].text
    assert rows[0].metadata["unit_name"] == "忻州市商务局" and rows[0].page == 18


def test_empty_tables_are_recorded(xinzhou):
    empty = [c for c in xinzhou.chunks if c.kind == "table" and c.metadata.get("empty")]
    assert {c.metadata["table_kind"] for c in empty} >= {"政府性基金收入表", "政府性基金支出表", "国有资本经营表"}


def test_paragraphs_keep_their_headings(xinzhou):
    duties = [c for c in xinzhou.chunks if c.kind == "text" and "本单位职责" in c.metadata.get("headings", "")]
    assert duties and any("贯彻执行国家国内外贸易" in c.text for c in duties)


def test_a_performance_tables_overall_goal_is_in_its_passage(xinzhou):
    """p27 总体目标: the text sits in the row under its label, printed once for 实施期 and 年度 alike."""
    (form,) = [c for c in xinzhou.chunks if c.kind == "text" and c.metadata.get("table_kind") == "绩效目标表"
               and "食品公司经营" in c.text.splitlines()[0]]
    goal = next(line for line in form.text.splitlines() if line.startswith("总体目标："))
    assert "食品公司为体制改革历史遗留单位" in goal and "人员工资" in goal
