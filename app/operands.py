"""Operations on two or more operands of one document: each operand looked up on its own, then combined.

"人员经费和公用经费加起来" (a sum), "A比B多多少" (a difference), "A占B的比例" (a share), "A里的B" (a part)."""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal

from app import align
from app.frame import Frame
from app.lexicon import get_lexicon
from app.lookup import DocFacts, Found, find_amount, find_prose, key_phrases
from app.understand import understand
from ingest.prose import completion_column
from store.models import Document

_JOIN = re.compile(r"加上|[和与及、加]")
_ONLY_JOINERS = re.compile(r"\s*(加上|以及|[和与及、加])\s*")


def joined(facts: DocFacts, query: Frame, text: str) -> Found | None:
    """"区级和市级支持总部经济加起来": each item looked up on its own, then their sum (one document)."""
    columns = [c for c in get_lexicon().columns_in(text) if c != "合计"]  # 加起来 is the operation, not a column
    if len(columns) >= 2 and _JOIN.search(text) and not query.terms:
        # "人员经费和公用经费加起来": two columns of one total row
        summed = sum_of(facts.doc, [find_amount(facts, replace(query, total=False, column=c), c)
                                     for c in dict.fromkeys(columns)])
        if summed:
            return summed
    # "“三公”经费、会议费和培训费合计": the lexicon's measures, with only joining words between them
    folded = align.fold(text)
    measures = [m for m in get_lexicon().scan(text) if m.kind in ("term", "code")]
    if len(measures) >= 2 and all(_ONLY_JOINERS.fullmatch(folded[a.end:b.start])
                                  for a, b in zip(measures, measures[1:], strict=False)):
        summed = sum_of(facts.doc, [find_amount(facts, operand(query, m.text), m.text) for m in measures])
        if summed:
            return summed
    joined_labels = [x for x in facts.labels_longest_first if _JOIN.search(x)]  # 商品和服务支出 is one row
    for piece in key_phrases(text):
        parts = _split_items(piece, joined_labels)
        if len(parts) < 2:
            continue
        last = parts[-1]
        # A short first item borrows the last item's noun: 区级 + (市级)支持总部经济.
        items = [p + last[len(p):] if len(p) <= 3 < len(last) else p for p in parts[:-1]] + [last]
        return sum_of(facts.doc, [find_amount(facts, operand(query, item), item) for item in items])
    return None


def _split_items(piece: str, joined_labels: list[str]) -> list[str]:
    """A phrase split at its joining words, except those inside a row label ("商品和服务支出")."""
    kept: list[str] = []
    for label in joined_labels:
        if label in piece:
            piece = piece.replace(label, f"\0{len(kept)}\0")
            kept.append(label)
    parts = [p for p in _JOIN.split(piece) if p]
    return [re.sub(r"\0(\d+)\0", lambda m: kept[int(m.group(1))], p) for p in parts]


def sum_of(doc: Document, found: list[Found | None]) -> Found | None:
    """The sum of operands each looked up on its own: all found, all different cells, one unit."""
    if not all(found) or len({f.facts[0].fact_id for f in found}) != len(found) or len({f.unit for f in found}) != 1:
        return None
    cells = tuple(c for f in found for c in f.facts)
    return Found(doc, cells, sum((f.value for f in found), found[0].value * 0), found[0].unit,
                 "与".join(f.label for f in found), "合计", "sum")


def operand(query: Frame, item: str) -> Frame:
    """The frame of one operand: its own column word (人员经费 and 公用经费 are columns), no total."""
    own = understand(item)
    return replace(query, total=False, column=own.column, terms=own.terms, codes=own.codes,
                   table_kinds=own.table_kinds or query.table_kinds)


def part_of(query: Frame, text: str, part: str) -> Frame:
    """The frame of the part of "A里的B": B's own words, looked up first in the tables A names."""
    own = operand(query, part)
    whole = understand(text[: max(0, len(text) - len(part))])
    return replace(own, table_kinds=tuple(dict.fromkeys((*whole.table_kinds, *own.table_kinds))))


# "A比B多多少": two operands of one document, not "比上年" (a change) or "比2023年".
_TWO_OPERANDS = re.compile(r"^(?P<a>.+?)(?:比|较|减去|和|与)(?P<b>.+?)(?:多|少|高|低|相差|差)")
_NOT_OPERAND = re.compile(r"^(上年|去年|前年|上一年|20\d{2}年?|年初|预算数?|执行数?|决算数?)")


def difference(facts: DocFacts, query: Frame, text: str) -> Found | None:
    """"人员经费比公用经费多多少": each operand looked up on its own, then their difference."""
    m = _TWO_OPERANDS.search(text.strip())
    if not m and query.stage in ("全年预算数", "年初预算数"):
        # "支出是不是没用完全年预算？差了多少": one item, its 决算 against the stage named
        return _stage_difference(facts, query, _STAGE_WORDS.sub("", text), query.stage, magnitude=True)
    if not m or len(m.group("b").strip()) < 2 or len(m.group("a").strip()) < 2:
        return None
    a_text, b_text = m.group("a"), m.group("b")
    if _OWN_STAGE.fullmatch(b_text.strip()) and (named := _ENDS_IN_STAGE.search(a_text)):
        # "事业运行的全年预算比决算多多少", "…支出，全年预算数和决算数差多少": the stage first, the 决算 second
        subject = a_text[: named.start()].strip("，, 的")
        return _stage_difference(facts, replace(query, less=not query.less), subject, _STAGE_ONLY[named.group(1)])
    if _NOT_OPERAND.match(b_text.strip()):
        return None
    if stage := _STAGE_ONLY.get(b_text.strip()):
        return _stage_difference(facts, query, a_text, stage)
    a = find_amount(facts, operand(query, a_text), a_text)
    b = find_amount(facts, operand(query, b_text), b_text)
    if not a or not b or a.unit != b.unit or a.facts[0].fact_id == b.facts[0].fact_id or a.how == "prose" or b.how == "prose":
        return None
    gap = b.value - a.value if query.less else a.value - b.value
    return Found(facts.doc, a.facts[:1], gap, a.unit, f"{a.label}比{b.label}", "差额", "difference", b.facts[:1])


# "A占B的比例": what follows 占 names the base; words of asking are not part of it.
_SHARE_WORDS = re.compile(r"(的)?(比例|比重|百分之几|百分之多少|百分之|百分比|份额|几成|多大|多少|多少比例|是|了|为|约|％|%|[？?。，,\s])+")


def share(facts: DocFacts, query: Frame, text: str) -> Found | None:
    """"A占B的比例": A over B, each looked up on its own; "A里B占多少": B over A. None unless both are
    found, in one unit, distinct, and the part no larger than the base."""
    at = text.find("占")
    if at <= 0:
        return None
    part_text, base_text = text[:at], _SHARE_WORDS.sub("", text[at + 1:])
    inside = align.PART_OF.search(part_text)
    if not base_text and inside and inside.start() >= 2:
        base_text = part_text[: inside.start()]  # "政府采购里服务类占多少": of 政府采购
    if len(base_text) < 2:
        return None
    part = _inner(facts, query, part_text) or find_amount(facts, operand(query, part_text), part_text)
    of = operand(query, base_text)
    # "占“三公”经费、会议费、培训费合计的比例": a base of several items is their sum
    base = (joined(facts, of, base_text) if _JOIN.search(base_text) else None) or find_amount(facts, of, base_text)
    if not part or not base or part.unit != base.unit or not base.value or part.unit == "%":
        return None
    if part.facts[0].fact_id == base.facts[0].fact_id or part.value > base.value:
        return None
    value = (part.value / base.value * 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
    inputs = base.facts if base.how == "sum" else base.facts[:1]  # a sum's base: each of its items
    return Found(facts.doc, part.facts, value, "%", part.label, "占比", "share", inputs, base=base.label)


def _inner(facts: DocFacts, query: Frame, text: str) -> Found | None:
    """"政府采购预算中服务类": the part after 中/里, looked up in the tables and sentences of its whole."""
    inside = align.PART_OF.search(text)
    if not inside or inside.start() < 2 or len(piece := text[inside.end():].strip()) < 2:
        return None
    whole = text[: inside.start()]
    return find_amount(facts, part_of(query, text, piece), piece) or find_amount(
        facts, operand(query, whole + piece), whole + piece)


def rate_of_stated_change(facts: DocFacts, query: Frame, text: str) -> Found | None:
    """A rate the prose does not state, from the amount and change it does: 减少2,389.52 of 9,101.68 now is
    2,389.52 ÷ (9,101.68 + 2,389.52) = 20.79%."""
    change = find_prose(facts, query, text, ("增长额", "减少额"))
    if change is None or change.how != "prose" or not change.facts:
        return None
    moved = change.facts[0]
    amount = next((f for f in facts.prose if f.raw_text == moved.raw_text and f.row_label == moved.row_label
                   and f.column == "金额" and f.unit == moved.unit), None)
    if amount is None:
        return None
    last = amount.value + moved.value if moved.column == "减少额" else amount.value - moved.value
    if last <= 0 or not moved.value:
        return None
    rate = (moved.value / last * 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
    column = "减少率" if moved.column == "减少额" else "增长率"
    return Found(facts.doc, (moved,), rate, "%", moved.row_label, column, "change_rate", (amount,))


# "非财政拨款安排的": other than these funds — the whole less their part
OTHER_THAN = re.compile(r"非(财政拨款|一般公共预算|政府性基金)(资金)?(安排的?|的)?")


def complement(facts: DocFacts, query: Frame, text: str) -> Found | None:
    """"基本支出中非财政拨款安排的部分": the item from all sources less the same item from those funds."""
    m = OTHER_THAN.search(text)
    if not m:
        return None
    rest = re.sub(r"(中|里|当中)?的?部分", "", text[: m.start()] + text[m.end():])
    funds = m.group(1)
    # each side's own words are its question too: the whole must not read the 财政拨款 of "非财政拨款" as its funds
    whole = find_amount(facts, replace(operand(query, rest), question=rest), rest)
    part_text = funds + rest
    part = find_amount(facts, replace(operand(query, part_text), question=part_text), part_text)
    if not whole or not part or whole.unit != part.unit or whole.facts[0].fact_id == part.facts[0].fact_id:
        return None
    if part.value > whole.value:
        return None
    return Found(facts.doc, whole.facts[:1], whole.value - part.value, whole.unit, f"{whole.label}中非{funds}安排的部分",
                 "差额", "remainder", part.facts[:1])


# "支出决算比全年预算少多少": the other side is the same item at another stage of the budget
_STAGE_ONLY = {"全年预算": "全年预算数", "全年预算数": "全年预算数", "调整预算": "全年预算数", "调整后预算": "全年预算数",
               "年初预算": "年初预算数", "年初预算数": "年初预算数"}
_OWN_STAGE = re.compile(r"(的)?(实际)?(支出)?(决算数?|执行数?)$|(的)?实际支出$")
_ENDS_IN_STAGE = re.compile(r"[，,的]?\s*(全年预算数?|调整后?预算|年初预算数?)\s*$")


_STAGE_WORDS = re.compile(r"全年预算数?|调整后?预算数?|年初(?:预算|安排|批复|下达)数?")


def _stages(facts: DocFacts, query: Frame, a_text: str, stage: str) -> tuple[Found, Found] | None:
    """The item's own figure (its 决算) and the same item's figure of the stage named, as a 决算 explanation states both."""
    subject = _OWN_STAGE.sub("", a_text.strip())
    own = operand(query, subject)
    a = find_amount(facts, replace(own, stage=None), subject)
    b = find_amount(facts, replace(own, stage=stage), subject)
    if not a or not b or a.unit != b.unit or a.facts[0].fact_id == b.facts[0].fact_id:
        return None
    if b.facts[0].column != stage and not any(stage.removesuffix("数") in f.column for f in b.facts):
        return None  # the other figure must be of the stage asked, not the item's own figure again
    return a, b


def completion(facts: DocFacts, query: Frame, text: str) -> Found | None:
    """A completion rate the 决算 explanation does not print, from the two figures it does: 决算 ÷ 全年预算."""
    pair = _stages(facts, query, _STAGE_WORDS.sub("", text), query.stage or "全年预算数")
    if pair is None or not pair[1].value or pair[0].unit == "%":
        return None
    done, planned = pair
    rate = (done.value / planned.value * 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
    stage = planned.facts[0].column
    return Found(facts.doc, done.facts[:1], rate, "%", done.label, completion_column(stage), "completion", planned.facts[:1])


def _stage_difference(facts: DocFacts, query: Frame, a_text: str, stage: str, magnitude: bool = False) -> Found | None:
    """The item's figure (its 决算) less the same item's figure of the stage named, as a 决算 explanation states both."""
    if (pair := _stages(facts, query, a_text, stage)) is None:
        return None
    a, b = pair
    gap = b.value - a.value if query.less else a.value - b.value  # "少多少" is how far below, as a positive figure
    gap = abs(gap) if magnitude else gap
    return Found(facts.doc, a.facts[:1], gap, a.unit, f"{a.label}比{stage}", "差额", "difference", b.facts[:1])

