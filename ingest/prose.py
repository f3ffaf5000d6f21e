"""Figures stated in prose → facts, when the sentence names what they are about."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

from ingest.facts import fact_id
from ingest.numbers import MONEY, PERCENT, Figure, find_figures
from ingest.text import Paragraph, sentences
from store.models import PROSE, Fact

# Words between a subject and its figure that say what the figure is, not what it is about.
_FILLER = re.compile(
    r"(预算数|预算|决算数|安排|合计|共计|总计|总额|为|是|共|(?<![实占拥])有|计|达到|达|约|其中|主要|分别|全年|本年度|本年|年度|"
    r"比上年|较上年|与上年|同比|上年|比|较|数|:|：|，|,|“|”|\"|、|\s)+$"
)
_LEAD = re.compile(r"^(其中|主要|包括|以及|和|及|与|、|，|,|：|:|\s|[（(]?[一二三四五六七八九十\d]+[)）、.．])+")
# "本单位政府采购", "年度本部门…": the document speaking of itself, not the subject.
_SELF = re.compile(r"^(本年度|年度|本(部门|单位)|该(部门|单位)|我(局|委|办|单位))+")
_COUNT_VERBS = ("设", "设有", "有", "共有", "配备", "拥有", "下设", "内设", "包括", "共")
_BARE_HOLDING = ("实有", "现有", "在用", "实际", "实际拥有", "编制")  # a count's verb without the thing counted
_COUNTED = re.compile(r"^(?:共有|共|有|拥有|现有|实有)|(?:编制|数)$")
_NOUN_AFTER = re.compile(r"([\u4e00-\u9fff]{2,10}?)(?=[，,。；;：:（(、]|包括|分别|其中|$)")
_ENUM = re.compile(r"[（(][一二三四五六七八九十]{1,3}[)）]")
_CHANGE_ONLY = re.compile(r"^(?:增长|增加|减少|下降|降低|上升|提高)$")  # "与上年相比，增加…": no subject of its own
_UNCHANGED = re.compile(r"(?:与|和|同|较|比)(?:上年|去年|上一年度?|20\d{2}\s*年度?)(?:预算数?|决算数?|数)?(?:相比)?[，,]?"
                        r"(?:相同|一致|持平|没有变化|无变化|未变|不变)")
_CHANGE = re.compile(r"(增长|增加|减少|下降|降低|上升|提高)")
_CHANGE_TAIL = re.compile(_CHANGE.pattern + r"了?$")  # "在职人员增加": the change word closing a clause
# An aside in brackets that opens with a year: its figures are that year's, not the sentence's subject's
_ANOTHER_YEAR_ASIDE = re.compile(r"[（(]\s*\d{4}\s*年[^）)]*$")
_ASIDE = re.compile(r"[（(][^）)]*[）)]")
_AGAINST = re.compile(r"(?:与|和|同|较|比)\s*(?:上年|去年|上一年度?|\d{4}\s*年度?)")
_AGAINST_LEAD = re.compile(r"^.*?" + _AGAINST.pattern + r"(?:相比)?[，,]?")  # "2024年比上年": up to what is compared
_SHARE = re.compile(r"占")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_BREAK = re.compile(r"[，,；;。：:]")
# The budget stage a figure is of, named just before it: 决算 explanations print "年初预算为0万元，全年预算为
# 321.02万元，支出决算为307.82万元，完成年初预算的95.89%". A 决算 figure is the document's own amount (金额).
_STAGE = re.compile(r"(?P<stage>年初预算|全年预算|调整后?预算|(?:支出|全年)?决算|执行)数?(?:为|是|达到|达|共计|合计)?\s*$")
_COMPLETION = re.compile(r"完成(?:了)?(?P<stage>年初|全年|调整后?)?预算(?:数)?的?\s*$")
# "2024年度无“三公”经费财政拨款支出", "本单位没有政府性基金预算拨款收入": a figure stated as none, i.e. 0.
_NONE = re.compile(r"(?:^|[，,。；;：:\s]|年度?|本(?:部门|单位)|部门|单位)(?:没有|无)(?:安排)?"
                   r"(?P<what>[^，,。；;：:\d无没]{2,30}(?:支出|收入|经费|拨款))(?=[，,。；;：:）)\s]|$)")
STAGE_COLUMNS = {"年初": "年初预算数", "全年": "全年预算数", "调整": "全年预算数", "调整后": "全年预算数"}
# The item a 决算 explanation's numbered paragraph is about: "…社会工作事务（款）行政运行（项）。主要用于：…"
_ITEM = re.compile(r"([^（）()，,。；;、：:\s\d]+)[（(]项[)）]")


def _subject(before: str, unit_name: str = "") -> str:
    """The phrase a figure is about: the clause just before it, filler words removed."""
    clause = _BREAK.split(before)[-1] if _BREAK.search(before) else before
    if unit_name:
        clause = clause.replace(unit_name, "")
    # "…填写）（二）公用经费": a numbered item starts the subject afresh
    clause = _ENUM.split(clause)[-1] or clause
    clause = _FILLER.sub("", clause)
    clause = re.sub(r"^\s*(\d{4})?\s*年(度)?\s*", "", clause)
    clause = re.sub(r"[”\"]?科目$", "", clause)
    clause = _LEAD.sub("", clause)
    clause = _SELF.sub("", clause)
    return clause.strip(" “”\"")[-24:]


def completion_column(stage: str) -> str:
    """The column of a "完成…预算的…%" figure: 全年预算数 → 完成全年预算比例."""
    return f"完成{stage.removesuffix('数')}比例"


def _stage_column(own: str, unit: str | None) -> tuple[str | None, str]:
    """The stage column a clause names for its figure (全年预算数, 完成年初预算比例), and the clause without it."""
    if unit == PERCENT and (m := _COMPLETION.search(own)):
        return completion_column(STAGE_COLUMNS.get(m.group("stage") or "", "预算数")), own[: m.start()]
    if unit in MONEY and (m := _STAGE.search(own)):
        word = m.group("stage")
        return (None if "决算" in word or word == "执行" else STAGE_COLUMNS[word[:-2]]), own[: m.start()]
    return None, own


def _column(before: str, unit: str | None, own: str = "") -> str:
    tail = before[-8:]
    if unit == PERCENT and (_SHARE.search(tail[-3:]) or _SHARE.search(own)):
        return "占比"
    if _CHANGE.search(tail):
        verb = _CHANGE.findall(tail)[-1]
        sign = "减少" if verb in ("减少", "下降", "降低") else "增长"
        return f"{sign}率" if unit == PERCENT else f"{sign}额"
    if unit in MONEY:
        return "金额"
    if unit == PERCENT:
        return "比率"
    if unit == "平方米":
        return "面积"
    return "数量"


def prose_facts(doc_id: str, paras: Sequence[Paragraph], unit_name: str = "") -> list[Fact]:
    """Facts for figures with a unit whose sentence names their subject (三公经费10.00万元, 增长18.63%)."""
    facts: list[Fact] = []
    topic, under = "", None
    for p_index, para in enumerate(paras):
        if para.headings != under:
            under, topic = para.headings, ""
        para_subject = ""  # a change in the next sentence ("与上年相比，增加…") is this sentence's subject's
        last_amount: Fact | None = None
        for s_index, sentence in enumerate(sentences(para.text)):
            start = len(facts)
            first_subject = last_subject = ""
            figures: list[Figure] = [f for f in find_figures(sentence) if f.amount.unit]
            # a heading cut at the line end ("…（款）其他社会工作") runs on into the text ("事务支出（项）。")
            lead = (para.headings[-1] if para.headings and s_index == 0 else "") + sentence
            items = [m.group(1) for m in _ITEM.finditer(lead) if not figures or m.start() < len(lead) - len(sentence) + figures[0].start]
            topic = items[-1] if items else topic
            for f_index, fig in enumerate(figures):
                unit = fig.amount.unit
                if unit is None:
                    continue
                before = sentence[: fig.start]
                if _ANOTHER_YEAR_ASIDE.search(before):
                    continue  # "（2016年度部门支出预算安排为8,648.07万元）": another year's figure, said in passing
                prev_end = figures[f_index - 1].end if f_index else 0
                stage, clause = _stage_column(sentence[prev_end: fig.start], unit)
                own = _subject(clause, unit_name)
                column = stage or _column(before, unit, sentence[prev_end: fig.start])
                if stage and not _CJK.search(own):
                    # "全年预算为52.00万元，支出决算为51.32万元": the sentence's subject, else the item it is under
                    own = first_subject or topic
                if column == "数量" and (not own or own.endswith(_COUNT_VERBS)):
                    # "设9个内设机构": the thing counted follows the figure
                    after = _NOUN_AFTER.match(sentence[fig.end:])
                    if after:
                        own = after.group(1)
                if column == "数量" and own in _BARE_HOLDING and last_subject:
                    # "共有公务用车编制0辆，实有3辆": what 实有 counts is what the clause before counted
                    own += _COUNTED.sub("", last_subject)
                subject = own if _CJK.search(own) and (stage or column in ("金额", "面积", "数量", "比率")) else ""
                if column == "占比" and last_subject:
                    subject = last_subject  # "涉及金额359.87万元，占项目支出的77.46%": the share is the item's
                changing = column.endswith(("额", "率")) and column != "比率"
                if changing and _CHANGE_ONLY.match(subject or own):
                    subject = own = ""
                if not subject and changing and not first_subject and (against := _AGAINST.search(before)):
                    # "2017年度部门支出预算安排与2016年度相比（…），增加498.72万元": what is compared is the subject
                    subject = _subject(_ASIDE.sub("", before[: against.start()]), unit_name)
                    subject = subject if _CJK.search(subject) and not _CHANGE_ONLY.match(subject) else ""
                if not subject and changing and unit not in MONEY and unit != PERCENT and (
                        counted := _CHANGE_TAIL.sub("", _AGAINST_LEAD.sub("", own))) and _CJK.search(counted):
                    # "在职人员增加2名" in a sentence about money: people change, not the money's subject
                    subject = counted
                if not subject:
                    # A change is the sentence's subject's; a share is the item just named.
                    subject = (first_subject or para_subject if changing else last_subject) or own
                subject = subject if _CJK.search(subject or "") else topic
                if not _CJK.search(subject or ""):
                    continue
                if column in ("金额", "面积", "数量") or stage and unit in MONEY:
                    last_subject = subject
                    first_subject = first_subject or subject
                    para_subject = first_subject
                facts.append(
                    Fact(
                        fact_id=fact_id(doc_id, "prose", para.page, p_index, s_index, f_index),
                        doc_id=doc_id,
                        table_kind=PROSE,
                        table_title=" > ".join(para.headings) or "正文",
                        page=para.page,
                        bbox=para.bbox,
                        row_code=None,
                        row_label=subject,
                        row_path=(*para.headings[-1:], subject),
                        column=column,
                        value=fig.amount.value,
                        unit=unit,
                        raw_text=sentence,
                        flags=("prose",),
                    )
                )
                if column == "金额" and unit in MONEY:
                    gap = sentence[fig.end: figures[f_index + 1].start if f_index + 1 < len(figures) else len(sentence)]
                    if _UNCHANGED.search(gap):  # "公务接待费1.00万元,与上年预算数相同;…"
                        facts.append(_unchanged(facts[-1], sentence, (p_index, s_index, f_index)))
            facts += _stated_none(doc_id, para, sentence, (p_index, s_index))
            if not figures and _UNCHANGED.match(sentence) and last_amount:
                # "…3,123.68万元。与上年数一致。": the previous sentence's last amount did not change
                facts.append(_unchanged(last_amount, f"{last_amount.raw_text}{sentence}", (p_index, s_index, 0)))
            mine = facts[start:] if figures else []
            last_amount = mine[-1] if mine and mine[-1].column == "金额" and mine[-1].unit in MONEY else None
    return facts


def _unchanged(amount: Fact, sentence: str, where: tuple[int, ...]) -> Fact:
    """A change of nought for an amount the text says is the same as last year's."""
    return replace(amount, fact_id=fact_id(amount.doc_id, "same", amount.page, *where), column="增长额",
                   value=Decimal(0), raw_text=sentence, flags=("prose", "stated_unchanged"))


def _stated_none(doc_id: str, para: Paragraph, sentence: str, where: tuple[int, int]) -> list[Fact]:
    """Facts of 0 for what a sentence says there was none of (无“三公”经费财政拨款支出)."""
    out = []
    for n, m in enumerate(_NONE.finditer(sentence)):
        what = re.sub(r"[“”\"\s]", "", m.group("what"))
        if not _CJK.search(what):
            continue
        out.append(Fact(
            fact_id=fact_id(doc_id, "none", para.page, *where, n), doc_id=doc_id, table_kind=PROSE,
            table_title=" > ".join(para.headings) or "正文", page=para.page, bbox=para.bbox, row_code=None,
            row_label=what, row_path=(*para.headings[-1:], what), column="金额", value=Decimal(0), unit="万元",
            raw_text=sentence, flags=("prose", "stated_none"),
        ))
    return out
