"""How the documents print figures and codes, and what they mean."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ingest.facts import column_roles, table_facts
from ingest.numbers import convert, find_figures, normalise_code, parse_number, unit_of_amounts
from ingest.pdf import Cell, join_wrapped
from ingest.tables import GridRow, TableBlock


@pytest.mark.parametrize(("text", "value"), [
    ("1,024.87", "1024.87"), ("60,100", "60100"), ("0", "0"), ("-5.20", "-5.20"), ("(12.00)", "-12.00"),
    ("371,514,655.00", "371514655.00"), ("", None), ("合计", None), ("1.2.3", None),
])
def test_parse_number_keeps_the_printed_digits(text, value):
    assert parse_number(text) == (Decimal(value) if value else None)
    if value:
        assert str(parse_number(text)) == value


@pytest.mark.parametrize(("text", "code"), [
    ("2011301", "2011301"), ("208 05 02", "2080502"), ("201 13", "20113"), ("201", "201"),
    ("7 11 02", None), ("12345678", None), ("行政运行", None),
])
def test_codes_printed_whole_or_split_are_one_code(text, code):
    assert normalise_code(text) == code


def test_units_and_exact_conversion():
    assert unit_of_amounts("单位名称：忻州市商务局 单位：万元") == "万元"
    assert unit_of_amounts("编制单位：上海市普陀区商务委员会 单位:元") == "元"
    assert convert(Decimal("9501164"), "元", "万元") == Decimal("950.1164")
    assert convert(Decimal("1.00"), "万元", "元") == Decimal("10000.00")


def test_figures_in_a_sentence():
    figures = find_figures("比上年增长160.97万元，增长18.63%，实有3辆，面积1483.12平方米，总预算1720.00万")
    assert [(f.amount.value, f.amount.unit) for f in figures] == [
        (Decimal("160.97"), "万元"), (Decimal("18.63"), "%"), (Decimal("3"), "辆"),
        (Decimal("1483.12"), "平方米"), (Decimal("1720.00"), "万元")]


def test_wrapped_cell_text_is_joined():
    assert join_wrapped("二十三、灾害防治及应急管理支\n出") == "二十三、灾害防治及应急管理支出"
    assert join_wrapped("1. 一般公共预算资金") == "1.一般公共预算资金"


def _cell(text: str, x: float) -> Cell:
    return Cell(text, (x, 0, x + 10, 10))


def test_a_misprinted_code_is_kept_as_printed_and_flagged():
    rows = (GridRow(3, (_cell("7 11 02", 0), _cell("其他支出", 10), _cell("5.00", 20))),
            GridRow(3, (_cell("2011301", 0), _cell("行政运行", 10), _cell("358.46", 20))))
    table = TableBlock("测试支出表", "支出总表", "万元", (("科目编码",), ("科目名称",), ("合计",)), (), rows, (3,),
                       (0, 0, 30, 20), False)
    assert column_roles(table).code == frozenset({0})
    facts = table_facts("d", 0, table)
    assert [(f.row_code, f.flags) for f in facts] == [("7 11 02", ("code_misprint",)), ("2011301", ())]


@pytest.mark.parametrize(("title", "kind"), [
    ("2024年预算收支总表", "收支总表"), ("2025年预算单位财务收支预算总表", "收支总表"),
    ("2023年收入支出决算总表", "收支总表"), ("财政拨款收入支出决算总表", "财政拨款收支总表"),
    ("2024年预算收入总表", "收入总表"), ("收入决算表", "收入总表"), ("2024年预算支出总表", "支出总表"),
    ("2024年一般公共预算支出预算表（不含上年结转）", "一般公共预算支出表"),
    ("2025年预算单位一般公共预算支出功能分类预算表", "一般公共预算支出表"),
    ("一般公共预算财政拨款基本支出决算表", "基本支出经济分类表"),
    ("2024年一般公共预算安排基本支出分经济科目表（不含上年结转）", "基本支出经济分类表"),
    ("2024年政府性基金预算收入表（不含上年结转）", "政府性基金收入表"),
    ("政府性基金预算财政拨款收入支出决算表", "政府性基金支出表"),
    ("2025年预算单位国有资本经营预算支出功能分类预算表", "国有资本经营表"),
    ("2024年财政拨款安排“三公”经费支出预算表", "三公经费表"), ("2025年单位“三公”经费和机关运行经费预算表", "三公经费表"),
    ("2024年财政拨款安排机关运行经费预算表", "机关运行经费表"), ("2024年项目支出预算表（本年预算）", "项目支出表"),
    ("忻州市市级预算部门（单位）项目支出绩效目标表", "绩效目标表"), ("某某情况统计表", "其他表"),
])
def test_table_kinds_by_meaning_for_both_templates_and_final_accounts(title, kind):
    from ingest.kinds import table_kind

    assert table_kind(title) == kind


@pytest.mark.parametrize(("cover", "expected"), [
    (("山西省财政厅2024年部门预算",), ("山西省财政厅", 2024, "预算", "部门")),
    (("上海市普陀区2025年区级单位预算", "预算单位：上海市普陀区商务委员会"), ("上海市普陀区商务委员会", 2025, "预算", "单位")),
    (("忻州市商务局", "2024年度单位预算公开"), ("忻州市商务局", 2024, "预算", "单位")),
    (("太原市教育局", "2023年度部门决算"), ("太原市教育局", 2023, "决算", "部门")),
])
def test_metadata_from_covers_of_several_templates(cover, expected):
    from ingest.metadata import read_metadata
    from ingest.pdf import Line, Page

    page = Page(1, 600, 800, tuple(Line(t, (0, i * 20, 100, i * 20 + 10), 12) for i, t in enumerate(cover)), (), 100, 0)
    meta = read_metadata([page], [])
    assert (meta.unit_name, meta.year, meta.kind, meta.scope) == expected


# --- one amount parser for ingest and verifier: Arabic, full-width, Chinese numerals ----------------------------
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from app.mentions import extract  # noqa: E402
from ingest.numbers import chinese_number  # noqa: E402

_DIGITS = "零一二三四五六七八九"


def _chinese(n: int) -> str:
    """A reference writer of Chinese numerals (万/亿 sections, 零 for gaps), for round trips."""
    if n == 0:
        return "零"

    def section(k: int) -> str:
        out, zero = "", False
        for unit, value in (("千", 1000), ("百", 100), ("十", 10), ("", 1)):
            d = k // value % 10
            if d:
                out += ("零" if zero else "") + _DIGITS[d] + unit
                zero = False
            elif out:
                zero = True
        return out

    parts = [(n // 10**8, "亿"), (n // 10**4 % 10**4, "万"), (n % 10**4, "")]
    text, gap = "", False
    for value, unit in parts:
        if value:
            text += ("零" if gap or (text and value < 1000) else "") + section(value) + unit
            gap = False
        elif text:
            gap = True
    return text


@given(st.integers(min_value=0, max_value=999_999_999_999))
def test_chinese_integers_round_trip(n):
    assert chinese_number(_chinese(n)) == n


@given(st.integers(min_value=1, max_value=99_999), st.integers(min_value=0, max_value=99))
def test_chinese_decimals_in_wan_round_trip(whole, cents):
    text = f"{_chinese(whole)}点{''.join(_DIGITS[int(c)] for c in f'{cents:02d}')}万元"
    [m] = extract(f"合计{text}。")
    assert (m.value, m.unit) == (Decimal(f"{whole}.{cents:02d}"), "万元")


@given(st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False))
def test_arabic_full_width_and_separated_forms_agree(value):
    plain = f"{value:.2f}"
    grouped = f"{value:,.2f}"
    wide = plain.translate(str.maketrans("0123456789.", "０１２３４５６７８９．"))
    assert parse_number(plain) == parse_number(grouped) == parse_number(wide) == value
    assert [f.amount.value for f in find_figures(f"支出{wide}万元")] == [value]


@pytest.mark.parametrize(("text", "expected"), [
    ("１２３．４５", Decimal("123.45")), ("12 3", None), ("（12.00）", Decimal("-12.00")), ("1，024.87", Decimal("1024.87")),
])
def test_cells_in_any_script(text, expected):
    assert parse_number(text) == expected


def test_prose_figures_in_any_script():
    assert [(f.amount.value, f.amount.unit) for f in find_figures("３８．５万元")] == [(Decimal("38.5"), "万元")]
    assert [(f.amount.value, f.amount.unit) for f in find_figures("约1.2万人")] == [(Decimal("1.2E+4"), "人")]
    assert [(m.value, m.unit) for m in extract("一亿二千万元")] == [(Decimal(12000), "万元")]


@given(st.text(alphabet="零〇一二两三四五六七八九十百千万亿点元万人个0123456789.,，%％ 年", max_size=40))
def test_any_text_parses_without_error(text):
    extract(text)
    find_figures(text)


def test_a_score_is_counted_in_points_and_a_fraction_is_not():
    assert [(f.amount.value, f.amount.unit) for f in find_figures("平均得分 100.00 分")] == [(Decimal("100.00"), "分")]
    assert all(f.amount.unit != "分" for f in find_figures("占3分之1，用时10分钟"))
