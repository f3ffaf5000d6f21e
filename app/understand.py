"""Question → Query: what is asked (intent), about what (subject terms, codes), which column and unit."""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.lexicon import get_lexicon

# Intents in priority order: the first whose pattern matches wins.
_INTENTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("who", re.compile(r"是谁|叫什么|名字|姓名|地址|在哪|电话|联系方式")),
    ("definition", re.compile(r"是什么意思|指什么|是指|什么是|含义|定义|是什么|包括哪些|包含哪些|包括什么")),
    ("reason", re.compile(r"为什么|原因|为何|怎么回事|何故")),
    ("duty", re.compile(r"职责|职能|负责什么|负责哪些|主要工作|做什么|干什么|负责")),
    ("listing", re.compile(r"有哪些|哪些|列出|分别是|都有什么|牌子")),
    ("rate", re.compile(r"增长率|增幅|降幅|下降率|增长了?百分之|增长.{0,4}%|变化率|增长比例|减少.{0,2}百分")),
    ("share", re.compile(r"占比|比重|占.{0,12}(比例|多少|百分|几成)|百分之几")),
    ("compare", re.compile(r"比.{1,20}(多|少|高|低)|相差|差多少|差额|高多少|低多少|对比|哪个多|哪个高|一样吗")),
    ("change", re.compile(r"比上年|较上年|同比|比去年|增长|增加|减少|下降|变化|增减|持平")),
    ("count", re.compile(r"几个|多少个|几辆|多少辆|几名|多少名|多少人|几人|几项|多少项|几家|多少家|几次|多少次|"
                         r"批次|人次|数量|编制|在编|职工|人数|几处|多少处|几台|多少台")),
    ("area", re.compile(r"面积|平方米")),
)
_TEXT_INTENTS = ("who", "definition", "reason", "duty", "listing")
_WANT_UNIT = re.compile(r"多少(万元|元|亿元)|折合(万元|元|亿元)|(万元|元|亿元)[?？]?$|以(万元|元|亿元)计")
_CODE = re.compile(r"(?<!\d)(\d{3}\s?\d{2}\s?\d{2}|\d{3}\s\d{2}|\d{7}|\d{5}|\d{3})(?![\d年.%])")


@dataclass(frozen=True)
class Query:
    """What the question asks, resolved as far as words allow (documents are consulted later)."""

    question: str
    intent: str
    terms: tuple[str, ...]
    codes: tuple[str, ...]
    column: str | None
    want_unit: str | None
    total: bool
    table_kinds: tuple[str, ...]

    @property
    def is_text(self) -> bool:
        """A question prose answers (what, why, who), not a figure."""
        return self.intent in _TEXT_INTENTS


def intent_of(question: str) -> str:
    """The first intent whose phrasing the question uses; 'amount' otherwise."""
    for name, pattern in _INTENTS:
        if pattern.search(question):
            return name
    return "amount"


def understand(question: str) -> Query:
    """Parse a question into a Query using the budget lexicon."""
    lex = get_lexicon()
    q = question.strip()
    want = _WANT_UNIT.search(q)
    codes = tuple(re.sub(r"\s", "", m.group(1)) for m in _CODE.finditer(q) if not _is_year_like(m.group(1)))
    return Query(
        question=q,
        intent=intent_of(q),
        terms=tuple(lex.terms_in(q)),
        codes=codes,
        column=lex.column_in(q),
        want_unit=next((g for g in want.groups() if g), None) if want else None,
        total=bool(re.search(r"一共|合计|总共|总计|加起来|总额|共计|总数", q)),
        table_kinds=tuple(lex.table_kinds_for(q)),
    )


def _is_year_like(token: str) -> bool:
    return bool(re.fullmatch(r"20\d{2}", token))
