"""A configured LLM may parse the question into a frame; the rule frame is the default and the fallback.

The model's frame is structured output (pydantic, extra="forbid") and is used only where it is grounded
in the question: every subject it names must be words of the question, or a lexicon name of what the
question names; its years must be the question's. The same lookup and alignment check then apply.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.frame import Frame
from app.lexicon import fold, get_lexicon

FRAME_PROMPT_VERSION = "frame-1"
Operation = Literal["amount", "share", "change", "rate", "compare", "completion", "count", "area",
                    "listing", "duty", "definition", "reason"]

SYSTEM = """你把政府预算、决算公开文件的用户问题解析成结构化的问题框架，只输出一个 JSON 对象，不要输出其他文字。
字段：
- operation：amount（金额）、share（占比）、change（增减额）、rate（增减率）、compare（比较）、completion（预算完成率）、
  count（数量）、area（面积）、listing（列举）、duty（职能）、definition（名词解释）、reason（原因）之一；
- subjects：问题问的项目，按问题中的原词，列表（如["机关运行经费"]）；
- column：问到的列（如"基本支出"、"项目支出"、"人员经费"、"公用经费"），没有则为 null；
- stage："年初预算数"、"全年预算数"、"决算数" 之一，没有则为 null；
- years：问题中写出的年份（整数列表）；
- want_unit："元"、"万元"、"亿元" 之一，没有则为 null。"""


class FrameSpec(BaseModel):
    """The frame a model proposes, exactly these fields."""

    model_config = ConfigDict(extra="forbid")

    operation: Operation
    subjects: list[str] = Field(default_factory=list, max_length=6)
    column: str | None = None
    stage: Literal["年初预算数", "全年预算数", "决算数"] | None = None
    years: list[int] = Field(default_factory=list, max_length=10)
    want_unit: Literal["元", "万元", "亿元"] | None = None


_TOTAL = re.compile(r"(部门|本年|单位)?(合计|小计|总计)")
_FENCE = re.compile(r"^\s*```(?:json)?\s*|\s*```\s*$")


def parse_spec(reply: str) -> FrameSpec:
    """The model's reply as a FrameSpec (a ```json fence is allowed); ValueError when it is not one."""
    try:
        return FrameSpec.model_validate_json(_FENCE.sub("", reply.strip()))
    except (ValidationError, json.JSONDecodeError) as exc:
        raise ValueError(f"not a frame: {str(exc).splitlines()[0]}") from exc


def grounded(spec: FrameSpec, rules: Frame) -> str:
    """"" when the model's frame keeps to the question; else what it named that the question does not."""
    lex = get_lexicon()
    question = fold(rules.question)
    # shared labels count only when they name something: every table has a 合计
    known = {t for t in rules.terms if not _TOTAL.fullmatch(t)} | ({rules.column} if rules.column else set())
    for subject in spec.subjects:
        folded = fold(subject)
        if not folded:
            continue
        if folded not in question and not (set(lex.terms_in(subject)) & known) and subject not in known:
            return subject
    if spec.column and spec.column != rules.column and fold(spec.column) not in question:
        return spec.column
    if set(spec.years) - set(rules.years):
        return "、".join(f"{y}年" for y in sorted(set(spec.years) - set(rules.years)))
    return ""


def merge(spec: FrameSpec, rules: Frame) -> Frame:
    """The rule frame with the model's reading of what is asked (operation, subjects, column, stage, unit)."""
    lex = get_lexicon()
    terms = tuple(dict.fromkeys(t for s in spec.subjects for t in (lex.terms_in(s) or [s]))) or rules.terms
    return replace(rules, intent=spec.operation, terms=terms, column=spec.column or rules.column,
                   stage=spec.stage or rules.stage, want_unit=spec.want_unit or rules.want_unit, source="llm")


def llm_frame(model, rules: Frame, timeout: float) -> tuple[Frame, str]:
    """(the frame to answer with, a note when the model's frame was not used)."""
    from langchain_core.messages import HumanMessage, SystemMessage

    from app.llm import _invoke

    try:
        reply = _invoke(model, [SystemMessage(SYSTEM), HumanMessage(rules.question)], timeout)
        spec = parse_spec(reply)
    except Exception as exc:  # a model that fails, times out or answers badly leaves the rule frame
        return rules, f"模型未给出可用的问题结构（{type(exc).__name__}），按规则理解问题"
    if stray := grounded(spec, rules):
        return rules, f"模型理解的“{stray}”不在问题中，按规则理解问题"
    return merge(spec, rules), ""
