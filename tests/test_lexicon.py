"""The budget lexicon: colloquial terms, codes, columns, intents and table hints resolve as staff mean them."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from app.lexicon import DATA_PATH, TABLE_KINDS, Lexicon, fold, get_lexicon, lexicon, normalise

L = lexicon()
GOLD = Path(__file__).parent / "gold"


# ------------------------------------------------------------------ terms
@pytest.mark.parametrize(("question", "label"), [
    ("单位今年的招待费安排了多少钱？", "公务接待费"),
    ("接待费多少", "公务接待费"),
    ("出国经费", "因公出国（境）费"),
    ("出国费是多少", "因公出国(境)费"),
    ("出国(境)费", "因公出国（境）费"),
    ("因公出国花了多少", "因公出国（境）费"),
    ("公车运维费", "公务用车运行维护费"),
    ("车辆运行费多少", "公务用车运行维护费"),
    ("公车运行费", "运行费"),                          # the row under 公务用车购置及运行费 in some templates
    ("公车购置费", "公务用车购置费"),
    ("今年买车花了多少", "公务用车购置费"),
    ("公车费用为零的原因", "公务用车购置及运行费"),
    ("三公经费一共多少", "“三公”经费"),
    ("三公加起来", "“三公”经费"),
    ("社保支出占比", "社会保障和就业支出"),
    ("社保", "社会保障缴费"),
    ("养老保险缴了多少", "机关事业单位基本养老保险缴费"),
    ("养老保险缴费支出是多少", "机关事业单位基本养老保险缴费支出"),
    ("职业年金", "职业年金缴费"),
    ("职工医保缴费一共多少", "职工基本医疗保险缴费"),
    ("医保", "行政单位医疗"),
    ("公积金多少？", "住房公积金"),
    ("工资", "基本工资"),
    ("工资", "工资福利支出"),
    ("津贴补贴合计多少", "津贴补贴"),
    ("物业费", "物业管理费"),
    ("水电费", "电费"),
    ("维修费", "维修（护）费"),
    ("暖气费", "取暖费"),
    ("遗属补助多少元", "生活补助"),
    ("运行经费", "机关运行经费"),
    ("政府采购预算多少", "政府采购"),
    ("卫生健康支出", "医疗卫生与计划生育支出"),
    ("医疗卫生与计划生育支出", "卫生健康支出"),
    ("文化体育与传媒支出多少", "文化旅游体育与传媒支出"),
    ("科技支出", "科学技术支出"),
    ("农林水", "农林水支出"),
    ("住房保障支出占多少比例", "住房保障支出"),
    ("总预算折合多少元？", "收入总计"),
    ("总支出", "支出总计"),
    ("行政单位离退休是多少", "行政单位离退休"),
    ("一般行政管理事务多少万", "一般行政管理事务"),
    ("招商引资科目预算多少？", "招商引资"),
    ("商品和服务支出合计", "商品和服务支出"),
    ("办公设备购置费", "办公设备购置"),
    ("有几辆公车", "公务用车"),
    ("预留给小微企业的采购预算", "预留给小型和微型企业的政府采购项目"),  # a part of 中小企业, never the same figure
])
def test_terms_in_finds_canonical_label(question: str, label: str) -> None:
    assert label in L.terms_in(question)


@pytest.mark.parametrize(("question", "first"), [
    ("一般公共服务支出里人员经费多少", "一般公共服务支出"),
    ("其他社会保障缴费里公用经费多少", "其他社会保障缴费"),     # longest match beats 社会保障缴费
    ("养老保险缴费支出是多少", "机关事业单位基本养老保险缴费支出"),
    ("社保里面基本支出多少", "社会保障和就业支出"),
])
def test_longest_match_first_label(question: str, first: str) -> None:
    assert L.terms_in(question)[0] == first


def test_terms_in_keeps_question_order_and_does_not_overlap() -> None:
    terms = L.terms_in("公务接待费和出国经费加起来多少")
    assert terms.index("公务接待费") < terms.index("因公出国（境）费")
    spans = [(m.start, m.end) for m in L.scan("机关事业单位基本养老保险缴费和公积金")]
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in zip(spans, spans[1:], strict=False))
    assert L.terms_in("机关事业单位基本养老保险缴费")[0] == "机关事业单位基本养老保险缴费"


@pytest.mark.parametrize("question", [
    "外贸企业投保出口信用保险保费补贴多少",     # 补贴 inside 保费补贴 is not 津贴补贴
    "在职人员多少人",                           # 人员 is not the 人员经费 column
    "忻州市教育局的局长是谁",                   # 教育 in a unit name is not 教育支出
    "贸促会对参展企业交通费补助多少万元",       # 交通费 inside a project name
])
def test_weak_words_do_not_match_inside_other_words(question: str) -> None:
    found = L.terms_in(question) + L.columns_in(question)
    assert not {"津贴补贴", "人员经费", "教育支出", "其他交通费用"} & set(found)


def test_head_noun_after_a_term_is_not_a_separate_term() -> None:
    assert L.terms_in("支持中小企业发展的支出有多少") == ["支持中小企业发展和管理支出", "中小企业发展专项"]
    assert "支出总计" in L.terms_in("今年支出预算一共多少钱？")
    assert "收入总计" in L.terms_in("收入比上年增长了多少？")


def test_expand_puts_the_term_first() -> None:
    assert L.expand("招待费") == ["招待费", "公务接待费"]
    assert L.expand("出国经费")[:3] == ["出国经费", "因公出国（境）费", "因公出国(境)费"]
    assert L.expand("人员") == ["人员", "人员经费"]                   # a column word expands to its column
    assert L.expand("30217") == ["30217", "公务接待费"]
    assert L.expand("公务接待费") == ["公务接待费"]
    assert L.expand("办公楼的招待费用") == ["办公楼的招待费用", "公务接待费"]   # not a key: scanned
    assert L.expand("完全不相干") == ["完全不相干"]


# ------------------------------------------------------------------ codes
@pytest.mark.parametrize(("code", "name"), [
    ("201", "一般公共服务支出"),
    ("210", "卫生健康支出"),
    ("20113", "商贸事务"),
    ("2011301", "行政运行"),
    ("2011302", "一般行政管理事务"),
    ("2011350", "事业运行"),
    ("2011308", "招商引资"),
    ("2010301", "行政运行"),
    ("2120101", "行政运行"),                     # pattern under a 款 not listed
    ("201 13 01", "行政运行"),                   # Shanghai prints 类 款 项 in columns
    ("2011399", "其他商贸事务支出"),
    ("2010399", "其他政府办公厅（室）及相关机构事务支出"),
    ("2080599", "其他行政事业单位养老支出"),
    ("2089999", "其他社会保障和就业支出"),       # 99 under a 其他… 款 keeps its name
    ("20899", "其他社会保障和就业支出"),
    ("2080501", "行政单位离退休"),               # exact code beats the 01 pattern
    ("2080505", "机关事业单位基本养老保险缴费支出"),
    ("2210201", "住房公积金"),
    ("2050201", "学前教育"),
    ("30101", "基本工资"),
    ("30217", "公务接待费"),
    ("30231", "公务用车运行维护费"),
    ("30213", "维修（护）费"),
    ("30399", "其他对个人和家庭的补助"),
    ("31013", "公务用车购置"),
    ("50201", "办公经费"),
])
def test_code_name(code: str, name: str) -> None:
    assert L.code_name(code) == name


@pytest.mark.parametrize("code", ["1234567", "2210204", "2050206", "999", "20", "30250", "2019901x"])
def test_unknown_codes_have_no_name(code: str) -> None:
    # 2210204 / 2050206: 项 of 住房改革支出 / 普通教育 are not the 行政运行 … pattern
    assert L.code_name(code) is None if code != "2019901x" else L.code_name(code) == "行政运行"


@pytest.mark.parametrize(("question", "codes"), [
    ("2011301是多少", ["2011301"]),
    ("30201办公费", ["30201"]),
    ("基本支出里的公务接待费（30217）多少元", ["30217"]),
    ("2100799其他计划生育事务支出的项目支出", ["2100799"]),
    ("2024年公务接待费是多少", []),
    ("单位有201个人", []),
    ("收入1024.87万元", []),
])
def test_codes_in(question: str, codes: list[str]) -> None:
    assert L.codes_in(question) == codes


# ------------------------------------------------------------------ columns
@pytest.mark.parametrize(("question", "column"), [
    ("基本支出中人员经费多少", "人员经费"),
    ("一般公共服务支出里人员经费多少", "人员经费"),
    ("其他社会保障缴费里公用经费多少", "公用经费"),
    ("单位预算基本支出多少", "基本支出"),
    ("项目支出合计", "项目支出"),
    ("行政运行里的项目支出", "项目支出"),
    ("人员经费一共多少", "人员经费"),
    ("三公经费一共多少", "合计"),
    ("机关运行经费合计", "合计"),
    ("一般公共预算拨款多少", "一般公共预算"),
    ("政府性基金安排了多少", "政府性基金"),
    ("国有资本经营预算是什么", "国有资本经营"),
    ("上年结转多少", "上年结转"),
    ("当年预算安排多少", "当年预算安排"),
    ("事业收入指什么", "事业收入"),
    ("其他收入多少", "其他收入"),
    ("公务接待费多少", None),
])
def test_column_in(question: str, column: str | None) -> None:
    assert L.column_in(question) == column


def test_columns_in_lists_all_in_order() -> None:
    assert L.columns_in("一般公共预算基本支出中的人员经费") == ["一般公共预算", "基本支出", "人员经费"]


# ------------------------------------------------------------------ intents
@pytest.mark.parametrize(("question", "intent"), [
    ("单位今年的招待费安排了多少钱？", "amount"),
    ("公务接待费是多少", "amount"),
    ("社保支出占比", "share"),
    ("项目支出占总支出的比重", "share"),
    ("一般公共服务支出占一般公共预算支出的比例", "share"),
    ("三公经费比上年增长多少", "change"),
    ("财政拨款比2024年减少了多少", "change"),
    ("2025年比2024年三公经费减少多少", "change"),
    ("三公经费和去年比有什么变化", "change"),
    ("增长率是多少", "rate"),
    ("机关运行经费增长率", "rate"),
    ("出口信用保险保费补贴比上年增长多少百分比", "rate"),
    ("有几辆车", "count"),
    ("有几辆车", "vehicle"),
    ("内设机构几个？", "count"),
    ("实有几辆公车？", "vehicle"),
    ("三公经费一共多少", "total"),
    ("区级和市级支持总部经济加起来多少", "total"),
    ("普陀区政府办机关运行经费比商务委高多少", "compare"),
    ("部门预算和单位预算的收入总计差多少", "compare"),
    ("三公经费指什么", "definition"),
    ("基本支出是什么意思", "definition"),
    ("三公经费包括哪些", "definition"),
    ("收入增加的主要原因是什么", "reason"),
    ("出国经费为什么是0", "reason"),
    ("外事科负责什么", "duty"),
    ("商务局在招商引资方面的职责", "duty"),
    ("内设机构有哪些", "listing"),
    ("办公用房面积多大？", "area"),
    ("办公用房多少平方米", "area"),
    ("三家单位里出国经费最多的是多少", "rank"),
    ("总预算折合多少元？", "convert"),
    ("行政运行这笔钱主要用于什么", "purpose"),
    ("驻村干部补助的立项依据", "basis"),
])
def test_intents_in(question: str, intent: str) -> None:
    assert intent in L.intents_in(question)


@pytest.mark.parametrize(("question", "absent"), [
    ("社保支出占比", "compare"),                 # 比 inside 占比
    ("三公经费比上年增长多少", "compare"),       # 比 inside 比上年
    ("增长率是多少", "change"),                  # 增长 inside 增长率
    ("上年结转多少", "change"),                  # 上年 inside 上年结转
    ("公车运维费多少", "vehicle"),               # a cost, not the vehicles
    ("内设机构几个？", "amount"),
    ("出国经费为什么是0", "definition"),
    ("忻州市商务局2024年和普陀区商务委员会2025年的公务接待费加起来多少", "change"),
])
def test_intents_not_triggered_inside_other_phrases(question: str, absent: str) -> None:
    assert absent not in L.intents_in(question)


@pytest.mark.parametrize(("question", "primary"), [
    ("三公经费比上年增长多少", "change"),
    ("预算比上年增长率是多少", "rate"),
    ("基本支出占比多少？", "share"),
    ("有几辆车", "count"),
    ("三公经费指什么", "definition"),
    ("公务接待费", None),
])
def test_primary_intent(question: str, primary: str | None) -> None:
    assert L.primary_intent(question) == primary


def test_intents_in_question_order() -> None:
    assert L.intents_in("为什么三公经费比上年增长") == ["reason", "change"]


# ------------------------------------------------------------------ tables
@pytest.mark.parametrize(("question", "kind"), [
    ("三公经费多少", "三公经费表"),
    ("招待费多少", "三公经费表"),
    ("招待费多少", "基本支出经济分类表"),        # 30217 公务接待费 is also an economic item
    ("人员经费多少", "基本支出经济分类表"),
    ("按经济分类看公用经费", "基本支出经济分类表"),
    ("办公费多少", "基本支出经济分类表"),        # implied by the economic classification
    ("社保支出多少", "一般公共预算支出表"),      # implied by the functional classification
    ("2011301是多少", "支出总表"),
    ("收入预算多少", "收入总表"),
    ("功能分类里一般公共服务支出", "一般公共预算支出表"),
    ("满意度指标值是多少", "绩效目标表"),
    ("项目绩效目标", "绩效目标表"),
    ("驻村干部补助项目", "项目支出表"),
    ("机关运行经费", "机关运行经费表"),
    ("财政拨款收入多少", "财政拨款收支总表"),
    ("政府性基金收入", "政府性基金收入表"),
    ("国有资本经营预算支出", "国有资本经营表"),
])
def test_table_kinds_for(question: str, kind: str) -> None:
    assert kind in L.table_kinds_for(question)


def test_table_kinds_order_and_vocabulary() -> None:
    assert L.table_kinds_for("三公经费")[0] == "三公经费表"
    assert L.table_kinds_for("内设机构有哪些") == []
    for q in ("三公经费", "基本工资", "收入总计", "绩效", "2011301", "政府性基金支出"):
        assert set(L.table_kinds_for(q)) <= set(TABLE_KINDS)


# ------------------------------------------------------------------ normalise
@pytest.mark.parametrize(("label", "expected"), [
    ("八、社会保障和就业支出", "社会保障和就业支出"),
    ("二十、住房保障支出", "住房保障支出"),
    ("（一）一般公共预算", "一般公共预算"),
    ("①公务用车购置费", "公务用车购置费"),
    ("②公务用车运行维护费", "公务用车运行维护费"),
    ("1.一般公共预算资金", "一般公共预算资金"),
    ("1、一般公共预算资金", "一般公共预算资金"),
    ("其中：人员经费", "人员经费"),
    (" 基本 工资 ", "基本工资"),
    ("“三公”经费", "三公经费"),
    ("行政运行（项）", "行政运行"),
    ("维修（护）费", "维修(护)费"),
    ("2024年预算数", "2024年预算数"),
    ("3.5万元", "3.5万元"),
])
def test_normalise(label: str, expected: str) -> None:
    assert normalise(label) == expected


def test_normalise_unifies_brackets_and_quotes() -> None:
    assert normalise("因公出国(境)费") == normalise("因公出国（境）费")
    assert normalise('"三公"经费') == normalise("“三公”经费") == normalise("三公经费")
    assert L.normalise("三、卫生健康支出") == "卫生健康支出"
    assert fold("２０２４ 年") == "2024年"


# ------------------------------------------------------------------ the data itself
def test_data_file_is_consistent() -> None:
    with DATA_PATH.open("rb") as fh:
        data = tomllib.load(fh)
    for group in data["synonyms"]:
        assert group["labels"] and group["terms"], group
    assert {k for kinds in data["table_hints"].values() for k in kinds} <= set(TABLE_KINDS)
    assert set(data["intents"]["priority"]) == set(data["intents"]) - {"priority"}
    for classification in data["codes"].values():
        for code, name in classification.items():
            assert code.isdigit() and len(code) in (3, 5, 7) and name, code
            if len(code) > 3:
                assert code[:3] in classification, f"{code} has no 类 {code[:3]}"
    stats = L.stats()
    assert stats["synonym_terms"] >= 500 and stats["codes"] >= 250 and stats["columns"] >= 12


def test_loaded_once_and_loadable_from_json(tmp_path: Path) -> None:
    assert lexicon() is lexicon() is get_lexicon()
    with DATA_PATH.open("rb") as fh:
        data = tomllib.load(fh)
    path = tmp_path / "lexicon.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    other = Lexicon.load(path)
    assert other.terms_in("招待费多少") == ["公务接待费"]


def test_bad_table_kind_is_rejected() -> None:
    with pytest.raises(ValueError, match="table kinds"):
        Lexicon.from_data({"table_hints": {"三公": ["三公表"]}})


def test_known_labels_and_reverse_lookup() -> None:
    assert L.knows_label("十三、农林水支出")
    assert L.knows_label("因公出国(境)费")
    assert "招待费" in L.reverse("公务接待费")


def test_gold_numeric_questions_mostly_resolve() -> None:
    """Most numeric gold questions name something the lexicon knows (a term, column or code).
    The rest name document-specific projects (生命健康专项 …) that only the documents know."""
    questions = [json.loads(line)["question"] for f in sorted(GOLD.glob("*.jsonl"))
                 for line in f.read_text(encoding="utf-8").splitlines()
                 if line.strip() and json.loads(line)["kind"] == "number"]
    if not questions:
        pytest.skip("no gold questions")
    resolved = [q for q in questions if L.terms_in(q) or L.column_in(q) or L.codes_in(q)]
    assert len(resolved) / len(questions) >= 0.85


@pytest.mark.parametrize(("header", "column"), [
    ("本年支出 / 预算数 / 基本支出 / 人员经费", "人员经费"),
    ("一般公共预算基本支出 / 合计", "合计"),
    ("财政拨款支出 / 政府性基金预算", "政府性基金"),
    ("支出 / 金额 / 小计", "合计"),
    ("收入预算 / 财政拨款收入", "财政拨款"),
    ("支出 / 上年结转安排", "上年结转"),
    ("2024年预算数 / 项目支出", "项目支出"),
    ("收入 / 金额", None),
])
def test_header_column(header: str, column: str | None) -> None:
    assert L.header_column(header) == column


@pytest.mark.parametrize(("question", "label"), [
    ("其他商贸事务支出多少", "其他商贸事务支出"),
    ("其他城乡社区支出", "其他城乡社区支出"),          # 99-pattern names are terms for every known 款/类
    ("其他行政事业单位养老支出", "其他行政事业单位养老支出"),
])
def test_other_items_are_terms(question: str, label: str) -> None:
    assert L.terms_in(question)[0] == label
