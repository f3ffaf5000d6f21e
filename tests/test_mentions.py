"""Numbers in answer texts: what they are, what they are worth, and when two of them agree."""

from decimal import Decimal

import pytest

from app.mentions import Mention, equal_figures, extract, is_amount, to_unit

D = Decimal

# text → [(mention text, kind, value, unit)], left to right.
EXTRACT = [
    # money, as prose prints it
    ("1,024.87", [("1,024.87", "plain", "1024.87", None)]),
    ("支出合计1,024.87", [("1,024.87", "amount", "1024.87", None)]),
    ("1.00万元", [("1.00万元", "amount", "1.00", "万元")]),
    ("60,100元", [("60,100元", "amount", "60100", "元")]),
    ("9,501,164元", [("9,501,164元", "amount", "9501164", "元")]),
    ("3136.40万元", [("3136.40万元", "amount", "3136.40", "万元")]),
    ("1720.00万", [("1720.00万", "amount", "1720.00", "万元")]),
    ("2.5亿元", [("2.5亿元", "amount", "2.5", "亿元")]),
    ("5千元", [("5千元", "amount", "5", "千元")]),
    ("358.46 万元", [("358.46 万元", "amount", "358.46", "万元")]),
    ("-5.20万元", [("-5.20万元", "amount", "-5.20", "万元")]),
    ("比上年减少-5.20万元", [("-5.20万元", "amount", "-5.20", "万元")]),
    ("１，０２４．８７万元", [("１，０２４．８７万元", "amount", "1024.87", "万元")]),
    ("公务接待费为３，１００元", [("３，１００元", "amount", "3100", "元")]),
    ("标准为≤7500元/人", [("7500元", "amount", "7500", "元")]),
    ("一百二十万元", [("一百二十万元", "amount", "120", "万元")]),
    ("一万二千元", [("一万二千元", "amount", "12000", "元")]),
    ("三亿元", [("三亿元", "amount", "3", "亿元")]),
    ("基本支出560.3万元，占54.67%", [("560.3万元", "amount", "560.3", "万元"), ("54.67%", "percent", "54.67", "%")]),
    # percentages
    ("18.63%", [("18.63%", "percent", "18.63", "%")]),
    ("增长18.63%", [("18.63%", "percent", "18.63", "%")]),
    ("增长18.63％", [("18.63％", "percent", "18.63", "%")]),
    ("≥95%", [("95%", "percent", "95", "%")]),
    ("下降-3.5%", [("-3.5%", "percent", "-3.5", "%")]),
    ("下降2.5个百分点", [("2.5个百分点", "percent", "2.5", "百分点")]),
    ("百分之十二点五", [("百分之十二点五", "percent", "12.5", "%")]),
    ("5%-10%", [("5%", "percent", "5", "%"), ("10%", "percent", "10", "%")]),
    ("1.00万元-2.00万元", [("1.00万元", "amount", "1.00", "万元"), ("2.00万元", "amount", "2.00", "万元")]),
    ("5-10%", [("5", "percent", "5", "%"), ("10%", "percent", "10", "%")]),
    # counts and areas
    ("3辆", [("3辆", "count", "3", "辆")]),
    ("共有车辆3辆，其中机要通信用车3辆", [("3辆", "count", "3", "辆"), ("3辆", "count", "3", "辆")]),
    ("1483.12平方米", [("1483.12平方米", "area", "1483.12", "平方米")]),
    ("120㎡", [("120㎡", "area", "120", "平方米")]),
    ("内设机构共10个", [("10个", "count", "10", "个")]),
    ("参训500人次", [("500人次", "count", "500", "人次")]),
    ("3万人", [("3万人", "count", "30000", "人")]),
    ("达到1.2万人次", [("1.2万人次", "count", "12000", "人次")]),
    ("3个月", [("3个月", "count", "3", "个月")]),
    ("120余人", [("120余人", "count", "120", "人")]),
    ("10-20人", [("10", "count", "10", "人"), ("20人", "count", "20", "人")]),
    ("1-3万人", [("1", "plain", "1", None), ("3万人", "count", "30000", "人")]),
    ("0台（套）", [("0台", "count", "0", "台")]),
    ("项目期1年", [("1年", "count", "1", "年")]),
    ("三辆", [("三辆", "count", "3", "辆")]),
    ("十个", [("十个", "count", "10", "个")]),
    ("两名", [("两名", "count", "2", "名")]),
    ("十二项", [("十二项", "count", "12", "项")]),
    ("三十余家", [("三十余家", "count", "30", "家")]),
    ("机要通信用车一辆", [("一辆", "count", "1", "辆")]),
    # years and dates
    ("2024年", [("2024年", "year", "2024", None)]),
    ("2024年度", [("2024年度", "year", "2024", None)]),
    ("2024预算数", [("2024", "year", "2024", None)]),
    ("二〇二四年", [("二〇二四年", "year", "2024", None)]),
    ("2023-2025年", [("2023", "year", "2023", None), ("2025年", "year", "2025", None)]),
    ("晋人工字〔2002〕10号", [("2002", "year", "2002", None), ("10号", "ordinal", None, None)]),
    ("截至2024年3月31日", [("2024年3月31日", "date", None, None)]),
    ("2025.1.1-2025.12.31", [("2025.1.1-2025.12.31", "date", None, None)]),
    ("2024-03-31", [("2024-03-31", "date", None, None)]),
    ("2024年1-12月", [("2024年1-12月", "date", None, None)]),
    ("3月31日", [("3月31日", "date", None, None)]),
    (
        "2024年公务接待费预算为1.00万元，比2023年增长0%。",
        [
            ("2024年", "year", "2024", None),
            ("1.00万元", "amount", "1.00", "万元"),
            ("2023年", "year", "2023", None),
            ("0%", "percent", "0", "%"),
        ],
    ),
    # classification codes
    ("2011301行政运行358.46万元", [("2011301", "code", "2011301", None), ("358.46万元", "amount", "358.46", "万元")]),
    ("科目208 05 02", [("208 05 02", "code", "2080502", None)]),
    ("功能分类科目：2011301", [("2011301", "code", "2011301", None)]),
    ("经济分类30217", [("30217", "code", "30217", None)]),
    ("公务接待费（30217）", [("30217", "code", "30217", None)]),
    ("201\t一般公共服务支出\t795.44", [("201", "code", "201", None), ("795.44", "amount", "795.44", None)]),
    ("20113 商贸事务", [("20113", "code", "20113", None)]),
    ("208 05 02 事业单位离退休", [("208 05 02", "code", "2080502", None)]),
    ("共201项", [("201项", "count", "201", "项")]),
    # ordinals and list numbering
    ("第十七项", [("第十七项", "ordinal", None, None)]),
    ("第一部分 概况", [("第一部分", "ordinal", None, None)]),
    ("第3条", [("第3条", "ordinal", None, None)]),
    ("见第3页", [("第3页", "ordinal", None, None)]),
    ("第一季度", [("第一季度", "ordinal", None, None)]),
    ("第1-3项", [("第1-3项", "ordinal", None, None)]),
    ("（一）负责本部门预算", [("（一）", "ordinal", None, None)]),
    ("(二) 其他", [("(二)", "ordinal", None, None)]),
    ("（3）其他", [("（3）", "ordinal", None, None)]),
    ("一、概况", [("一、", "ordinal", None, None)]),
    ("十一、国有资产占有使用情况", [("十一、", "ordinal", None, None)]),
    ("1、车辆情况", [("1、", "ordinal", None, None)]),
    ("1.部门职责", [("1.", "ordinal", None, None)]),
    ("表十一2024年财政拨款", [("表十一", "ordinal", None, None), ("2024年", "year", "2024", None)]),
    ("详见附表3", [("附表3", "ordinal", None, None)]),
    ("代表3人", [("3人", "count", "3", "人")]),
    # words that contain numerals but no quantity
    ("三公经费", []),
    ("“三公”经费", []),
    ("三资管理", []),
    ("一般公共预算", []),
    ("统一、规范", []),
    ("一次性项目", []),
    ("统一项目库", []),
    ("一个重要举措", []),
    ("开展一次培训", []),
    ("打通“最后一公里”", []),
    ("惠及千家万户", []),
    ("其中之一", []),
    ("两三个", []),
    ("", []),
    # plain numbers: no unit, no money nearby
    ("遗属人员6", [("6", "plain", "6", None)]),
]


def _shape(mentions: list[Mention]) -> list[tuple]:
    return [(m.text, m.kind, m.value, m.unit) for m in mentions]


@pytest.mark.parametrize(("text", "expected"), EXTRACT, ids=[t or "empty" for t, _ in EXTRACT])
def test_extract(text, expected):
    # Values compare as Decimals: "3万人" may hold 3E+4, which equals 30000.
    assert _shape(extract(text)) == [(t, k, None if v is None else D(v), u) for t, k, v, u in expected]


@pytest.mark.parametrize("text", [t for t, _ in EXTRACT if t])
def test_spans_point_into_the_original_text_in_order(text):
    mentions = extract(text)
    for m in mentions:
        assert text[m.start : m.end] == m.text
    assert all(a.end <= b.start for a, b in zip(mentions, mentions[1:], strict=False))


def test_a_disclosure_sentence():
    text = "2024年度忻州市商务局预算收入总计1,024.87万元，比上年增长160.97万元，增长18.63%，在职人员增加2人。"
    assert [(m.text, m.kind) for m in extract(text)] == [
        ("2024年度", "year"),
        ("1,024.87万元", "amount"),
        ("160.97万元", "amount"),
        ("18.63%", "percent"),
        ("2人", "count"),
    ]


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("1.00万元", True),
        ("18.63%", True),
        ("3辆", True),
        ("1483.12平方米", True),
        ("支出1,024.87", True),
        ("2024年", False),
        ("2024年3月31日", False),
        ("2011301行政运行", False),
        ("第十七项", False),
        ("（一）", False),
        ("一、", False),
    ],
)
def test_is_amount(text, amount):
    (m,) = extract(text)
    assert is_amount(m) is amount


@pytest.mark.parametrize(
    ("text", "unit", "expected"),
    [
        ("1.00万元", "元", D("10000")),
        ("9,501,164元", "万元", D("950.1164")),
        ("1.5亿元", "万元", D("15000")),
        ("5千元", "万元", D("0.5")),
        ("1720.00万", "元", D("17200000")),
        ("18.63%", "%", D("18.63")),
        ("3辆", "辆", D("3")),
        ("3辆", "万元", None),
        ("1.00万元", "%", None),
        ("2024年", "元", None),
        ("1,024.87", "万元", None),
    ],
)
def test_to_unit(text, unit, expected):
    (m,) = extract(text)
    assert to_unit(m, unit) == expected


@pytest.mark.parametrize(
    ("a", "a_unit", "b", "b_unit", "equal"),
    [
        ("10000", "元", "1.00", "万元", True),
        ("10,000", "元", "1", "万元", True),
        ("1.00", "万元", "1", "万元", True),
        ("9501164", "元", "950.12", "万元", True),
        ("950.12", "万元", "9501164", "元", True),
        ("17192", "万元", "171915169", "元", True),
        ("171915169", "元", "17192", "万元", True),
        ("17191", "万元", "171915169", "元", False),
        ("950.11", "万元", "9501164", "元", False),
        ("1.00", "万元", "1.00", "元", False),
        ("1.00", "元", "1.00", "万元", False),
        ("120.05", None, "12.01", None, False),
        ("120.05", "万元", "12.01", "万元", False),
        ("1.00", "万元", "1.00", "亿元", False),
        ("1.00", "亿元", "10000", "万元", True),
        ("18.63", "%", "18.6329", "%", True),
        ("18.63", "%", "18.6249", "%", False),
        ("3", "辆", "3", "辆", True),
        ("3", "辆", "3", "个", False),
        ("3", "辆", "3", "万元", False),
        ("1024.87", None, "1024.87", "万元", True),
        ("1024.87", "万元", "10248700", None, False),
        ("-5.20", "万元", "-52000", "元", True),
        ("-5.20", "万元", "-51950", "元", True),
        ("-5.20", "万元", "52000", "元", False),
        ("0", "万元", "0", "元", True),
    ],
)
def test_equal_figures(a, a_unit, b, b_unit, equal):
    a_value, b_value = D(a.replace(",", "")), D(b.replace(",", ""))
    assert equal_figures(a_value, a_unit, b_value, b_unit) is equal
    assert equal_figures(b_value, b_unit, a_value, a_unit) is equal  # symmetric


def test_equal_figures_at_given_places():
    assert equal_figures(D("950.1164"), "万元", D("950.12"), "万元", places=2)
    assert not equal_figures(D("950.1164"), "万元", D("950.12"), "万元", places=3)
    assert not equal_figures(None, "万元", D("1"), "万元")


def test_scaled_counts_keep_their_printed_precision():
    (m,) = extract("1.2万人次")
    assert equal_figures(m.value, m.unit, D("12345"), "人次")
    assert not equal_figures(m.value, m.unit, D("12567"), "人次")


def test_mentions_feed_equal_figures():
    prose, table = extract("公务用车运行维护费950.12万元")[0], extract("9,501,164元")[0]
    assert equal_figures(prose.value, prose.unit, table.value, table.unit)
    shifted = extract("120.05万元")[0]
    assert not equal_figures(shifted.value, shifted.unit, D("12.01"), "万元")
