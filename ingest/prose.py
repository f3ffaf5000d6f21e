"""Figures stated in prose → facts, when the sentence names what they are about."""

from __future__ import annotations

import re
from collections.abc import Sequence

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
_NOUN_AFTER = re.compile(r"([\u4e00-\u9fff]{2,10}?)(?=[，,。；;：:（(、]|包括|分别|其中|$)")
_CHANGE = re.compile(r"(增长|增加|减少|下降|降低|上升|提高)")
_SHARE = re.compile(r"占")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_BREAK = re.compile(r"[，,；;。：:]")


def _subject(before: str, unit_name: str = "") -> str:
    """The phrase a figure is about: the clause just before it, filler words removed."""
    clause = _BREAK.split(before)[-1] if _BREAK.search(before) else before
    if unit_name:
        clause = clause.replace(unit_name, "")
    clause = _FILLER.sub("", clause)
    clause = re.sub(r"^(\d{4})?年(度)?", "", clause)
    clause = re.sub(r"[”\"]?科目$", "", clause)
    clause = _LEAD.sub("", clause)
    clause = _SELF.sub("", clause)
    return clause.strip(" “”\"")[-24:]


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
    for p_index, para in enumerate(paras):
        for s_index, sentence in enumerate(sentences(para.text)):
            first_subject = last_subject = ""
            figures: list[Figure] = [f for f in find_figures(sentence) if f.amount.unit]
            for f_index, fig in enumerate(figures):
                unit = fig.amount.unit
                if unit is None:
                    continue
                before = sentence[: fig.start]
                prev_end = figures[f_index - 1].end if f_index else 0
                own = _subject(sentence[prev_end: fig.start], unit_name)
                column = _column(before, unit, sentence[prev_end: fig.start])
                if column == "数量" and (not own or own.endswith(_COUNT_VERBS)):
                    # "设9个内设机构": the thing counted follows the figure
                    after = _NOUN_AFTER.match(sentence[fig.end:])
                    if after:
                        own = after.group(1)
                subject = own if _CJK.search(own) and column in ("金额", "面积", "数量", "比率") else ""
                if column == "占比" and last_subject:
                    subject = last_subject  # "涉及金额359.87万元，占项目支出的77.46%": the share is the item's
                if not subject:
                    # A change is the sentence's subject's; a share is the item just named.
                    subject = (first_subject if column.endswith(("额", "率")) and column != "比率" else last_subject) or own
                if not _CJK.search(subject or ""):
                    continue
                if column in ("金额", "面积", "数量"):
                    last_subject = subject
                    first_subject = first_subject or subject
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
    return facts
