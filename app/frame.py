"""The question, parsed once: what it asks, about what, which column and stage, and where to look.

Every later stage (scope, lookup, alignment, composing, the LLM) reads the frame; none re-reads the
question with patterns of its own. The rule parser (`app.understand`) makes it; a configured LLM may
propose one (`app.frame_llm`), checked against the question before it is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

TEXT_INTENTS = ("who", "definition", "reason", "duty", "listing")
# The words a figure's column header carries when it is of a stage (决算 tables print 年初预算数 /
# 全年预算数 / 决算数 side by side; 调整预算 is the 全年 one).
STAGE_CARRIES = {"年初预算数": ("年初预算",), "全年预算数": ("全年预算", "调整预算", "调整后预算"), "决算数": ("决算", "执行")}


@dataclass(frozen=True)
class Frame:
    """What one question asks, resolved as far as words allow (the documents are consulted later)."""

    question: str
    intent: str  # the operation: amount, share, change, rate, compare, completion, count, area, or a text intent
    terms: tuple[str, ...]  # the subjects, as lexicon terms in question order
    codes: tuple[str, ...]
    column: str | None  # 基本支出, 人员经费, 一般公共预算 … (the most specific named)
    want_unit: str | None
    total: bool
    table_kinds: tuple[str, ...]
    stage: str | None = None  # 年初预算数 / 全年预算数 / 决算数 when named; else the document's own figure
    years: tuple[int, ...] = ()  # years named (2019年), in question order
    relative_years: tuple[int, ...] = ()  # 今年 0, 去年 -1 …, read against the newest loaded year
    every_year: bool = False  # 这三年, 历年, 各年: every loaded year of the unit
    base_year: int | None = None  # the year compared against ("比2017年", "和2017年比")
    extreme: str | None = None  # "max" (哪年最高) or "min" (最低) over the figures found
    comparing: bool = False  # 比, 增长, 变化: a year named may be the base of a change, not the document's
    kind: str | None = None  # 决算 when named (预算 is every budget's default)
    doc_scope: str | None = None  # 部门 or 单位 when the question says 部门预算/单位决算 …
    difference: bool = False  # 差, 多多少, 少多少: two figures and their difference
    less: bool = False  # 少多少, 减少: the difference is how far below, as a positive figure
    more: bool = False  # 多多少, 高多少, 增加: how far above (may be negative); neither: the gap
    audit: bool = False  # 有没有不一致: the consistency audit, told in sentences
    never_given: bool = False  # 人均, 执行进度, a person's pay: figures a disclosure never prints
    not_stated: str | None = None  # why no disclosure answers it at all (an opinion, travel destinations)
    # Rows of a table in order (app.ranking): "top" (哪项最多, 排前三), "position" (排第几), "nth" (排第二的是哪项), "over" (超过100万元的有哪些);
    # or the rows one year prints under a row and the other does not: "new" (比2018年多了哪个科目), "gone" (少了哪几项)
    ranking: str | None = None
    top_n: int = 1  # 前三 → 3
    level: str | None = None  # 类 / 款 / 项: the classification level whose rows are compared
    threshold: tuple[Decimal, str] | None = None  # the line of "over" (100, 万元), below it with extreme "min"
    source: str = "rules"  # "rules", or "llm" when a model's frame passed the checks

    @property
    def is_text(self) -> bool:
        """A question prose answers (what, why, who), not a figure."""
        return self.intent in TEXT_INTENTS
