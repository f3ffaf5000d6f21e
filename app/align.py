"""Does the figure answer the question? Its row, column and operation against what the question names.

The verifier proves that each number is a true fact; this proves that the fact is the one asked for.
A true figure of a sibling row (机关运行经费 asked, the 三公 total found), of the whole when a part was
asked (三公经费里的公务接待费), or a share when a rate of change was asked is a wrong answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz

from app.frame import STAGE_CARRIES, Frame
from app.lexicon import Match, fold, get_lexicon
from app.lookup import _GENERIC, Found, class_item, norm, table_subject, title_subject

# "A里的B", "A中的B", "A其中B": the part B is asked, A only says where to look.
PART_OF = re.compile(r"(里|中|当中|之中|其中|里面)的?")
_RATE = re.compile(r"(增长|增加|减少|下降|降低|上升|变化|变动|增减).{0,6}(百分之几|百分比|幅度|率|几成|%)|"
                   r"(百分之几|百分比|几成)")
# Bare totals say nothing of what they total: 合计 of the 三公 table is the 三公 total, not 机关运行经费.
_GENERIC_ROWS = {norm(x) for x in ("合计", "小计", "总计", "部门合计", "合计数", "本年合计", *_GENERIC)}


_SHARE = re.compile(r"占|比重|比例|百分比")
_JOINER = re.compile(r"^(和|与|及|、|加|加上|以及|同)$")


@dataclass(frozen=True)
class Misaligned:
    """Why a found figure does not answer the question, in words for the refusal."""

    asked: str  # the subject as the question names it
    found: str  # what the figure is
    reason: str


_ITEM_HEADING = re.compile(r"[（(]项[)）]")


def _names(found: Found) -> set[str]:
    """Every name the found figure's row is known by: label, path, code name, the table's subject for a total."""
    lex = get_lexicon()
    names: set[str] = {norm(found.label)}
    for f in found.facts:
        names |= {norm(f.row_label), *(norm(p) for p in f.row_path)}
        names |= {norm(p) for p in f.column.split(" / ")}
        if f.row_code and (name := lex.code_name(f.row_code)):
            names.add(norm(name))
        if norm(f.row_label) in _GENERIC_ROWS:
            names.add(norm(table_subject(f.table_kind)) + norm(f.row_label))
        if item := class_item(f.row_label):  # 三、服务C of the 政府采购预算表 is 政府采购服务
            names |= {item, title_subject(f.table_title) + item}
        if found.how == "prose":  # a prose figure is named by its subject and the heading it stands under
            headings = re.split(r"\s*>\s*", f.table_title)
            if _ITEM_HEADING.search(headings[-1]):  # "…社会工作事务（款）行政运行（项）": that item's own paragraph,
                headings = headings[-1:]  # not the whole its section heading names (一般公共预算财政拨款支出)
            names |= {norm(p) for p in headings}
    return {n for n in names if n}


def _generic_ok(found: Found, wanted: Iterable[str]) -> bool:
    """A total row (合计) answers for the subject of its own table only."""
    for f in found.facts:
        subject = norm(table_subject(f.table_kind))
        title = norm(f.table_title)
        columns = norm(f.column)
        for w in wanted:
            if w in columns or subject and (w == subject or w.startswith(subject) or subject.startswith(w)):
                return True
            # a title that names one subject ("机关运行经费预算表") speaks for its 合计 row
            if w in title and not re.search(r"[和及、]", title.replace(w, "", 1)):
                return True
    return False


def _satisfies(match: Match, found: Found, names: set[str]) -> bool:
    wanted = {norm(match.text), *(norm(x) for x in match.labels)}
    specific = {w for w in wanted if w not in _GENERIC_ROWS and len(w) >= 2}
    if match.code and any(f.row_code == match.code for f in found.facts):
        return True
    for w in specific:
        for n in names:
            if n in _GENERIC_ROWS:
                continue
            if w == n or len(n) >= 3 and (w in n or n in w) or min(len(w), len(n)) >= 6 and fuzz.ratio(w, n) >= 88:
                return True  # the same name, one inside the other, or a misprint (一般公共预算服务支出)
    if found.how == "prose" and _in_sentence(specific, found):
        return True
    generic_rows = [f for f in found.facts if norm(f.row_label) in _GENERIC_ROWS]
    return bool(generic_rows) and _generic_ok(found, specific)


PROSE_MATCH = 80  # a prose subject is a heuristic clause: the asked words, nearly verbatim, in its sentence


def _in_sentence(words: Iterable[str], found: Found) -> bool:
    """Whether a prose figure's own sentence names the asked subject (编报绩效目标的项目 for 绩效目标项目)."""
    sentence = norm(found.facts[0].raw_text)
    return any(len(w) >= 3 and fuzz.partial_ratio(w, sentence) >= PROSE_MATCH for w in words)


# "支出预算总表里的基本支出": the table named says where to look; its words are no measure asked
_NAMED_TABLE = re.compile(r"[\u4e00-\u9fff“”\"]{2,16}?表(?=里|中|上|内|的)")


# A line a question sets on the items it asks about ("单价50万元以上", "20万元（含）以上"): part of their name
_STATED_LINE = re.compile(r"(?:单价|原值)?(?P<num>\d+(?:\.\d+)?)\s*(?:万元|元)(?:[（(]含[)）])?\s*(?:及|或)?以[上下]")


def _prints_line(found: Found, number: str) -> bool:
    """Whether the figure's own text names that line: its label, its row path or its sentence."""
    return any(re.search(rf"(?<![\d.]){re.escape(number)}(?![\d.])", " ".join((f.row_label, *f.row_path, f.raw_text or "")))
               for f in found.facts)


def check(query: Frame, found: Found, text: str) -> Misaligned | None:
    """None when the figure answers the frame the question names; else what is wrong with it."""
    if (line := _STATED_LINE.search(query.question)) and not _prints_line(found, line.group("num")):
        # "单价50万元以上的设备": a count of those over another line (单价20万元以上) is not the one asked
        return Misaligned(line.group(0), found.label, "问的分界线与文件所列的不同")
    text = _NAMED_TABLE.sub(" ", text)
    scanned = get_lexicon().scan(text)
    measures = [m for m in scanned if m.kind in ("term", "code")]
    folded = fold(text)
    joins = sum(1 for a, b in zip(measures, measures[1:], strict=False) if _JOINER.match(folded[a.end:b.start]))
    if found.how == "sum":
        # "三公经费、会议费和培训费合计": every joined item must be among the operands
        if 1 + joins > len(found.facts):
            return Misaligned("、".join(m.text for m in measures), found.label, "问的是几项之和，只找到了其中几项")
        return None
    if found.how in ("difference", "remainder"):
        return None  # an operation over two operands, each looked up by its own name
    if query.intent == "rate" or _RATE.search(query.question) and query.intent != "share":  # 占…百分之几: a share
        if found.how == "share" or found.column == "占比":
            subject = measures[0].text if measures else text.strip("？?。 ")
            return Misaligned(subject, f"{found.label}的占比", "问的是变化的幅度，不是占比")
    if (column := _column_slot(query, found)) is not None:
        return column
    if query.total and joins and found.how != "share":  # a share's base may be the sum ("占A、B、C合计的比例")
        return Misaligned("、".join(m.text for m in measures), found.label, "问的是几项之和，找到的只是其中一项")
    named = [m for m in scanned if m.kind != "column" or m.column not in (None, "合计")]
    at = folded.find("占")
    part_named = [m for m in named if at < 0 or m.start < at]  # "食品公司经费占全部项目支出": 项目支出 is the base
    if at > 0:  # "基本支出决算里，人员经费占…": the part is in the clause of 占, the whole before it
        bounds = [b.end() for b in re.finditer(r"[，,；;：:]|里面?|之中|当中", folded[:at])]
        part_named = [m for m in part_named if not bounds or m.start >= bounds[-1]] or part_named
    if query.intent == "share" and part_named and _SHARE.search(text):
        # "A占B的比重": the share must be A's (a row or a column such as 人员经费), not B's share of another whole
        asked = part_named[0]
        names = _names(found)
        if asked.kind == "column":
            ok = any(norm(asked.text) in n or norm(asked.column or "") in n for n in names)
        else:
            ok = _satisfies(asked, found, names)
        return None if ok else Misaligned(asked.text, f"{found.label}的占比", "找到的是另一项的占比")
    if not measures:
        return None
    names = _names(found)
    labels = {norm(f.row_label) for f in found.facts} - _GENERIC_ROWS
    part = part_break(folded, scanned)
    if not part and any(len(label) >= 2 and label in norm(text) for label in labels):
        return None  # the question names the row as printed
    if part and not query.total and any(len(label) >= 2 and label in folded[part.end():] for label in labels) and all(
            _satisfies(m, found, names) or norm(m.text) in norm(found.facts[0].table_title)
            for m in measures if m.end <= part.start()):
        return None  # "政府采购里，家具用具": the row named as printed, under the whole named before it
    if part and len(measures) >= 2:
        # the part named after 里/中 must be what the figure is
        after = [m for m in measures if m.start >= part.end()]
        if after and not _satisfies(after[0], found, names):
            return Misaligned(after[0].text, found.label, "找到的是整体的数字，不是问的那一项")
        # …and it must be the part of the whole named before: 政府采购里的培训费 is not the 三公 table's 培训费
        whole = next((m for m in measures if m.end <= part.start() and m.column is None), None)
        if after and whole and not _within(whole, found, names):
            return Misaligned(f"{whole.text}中的{after[0].text}", found.label, f"找到的{after[0].text}不在{whole.text}之中")
        return None
    if any(_satisfies(m, found, names) for m in measures):
        return None
    return Misaligned(measures[0].text, found.label, "找到的数字属于另一项")


def _within(whole: Match, found: Found, names: set[str]) -> bool:
    """Whether the figure stands within the whole a question names: its row or path, its table, its sentence."""
    if _satisfies(whole, found, names):
        return True
    lex = get_lexicon()
    wanted = [w for w in {norm(whole.text), *(norm(x) for x in whole.labels)} if len(w) >= 2]
    hinted = {k for x in (whole.text, *whole.labels) for k in lex.table_hints.get(fold(x), ())}
    return any(w in norm(f.table_title) for f in found.facts for w in wanted) or any(
        f.table_kind in hinted for f in found.facts)


def _column_slot(frame: Frame, found: Found) -> Misaligned | None:
    """A named figure column (全年预算数, 年初预算数, 决算数) the found figure's column does not carry."""
    if not frame.stage:
        return None
    asked, carried = frame.stage.removesuffix("数"), STAGE_CARRIES[frame.stage]
    for f in found.facts:
        # a prose amount's stage is in its sentence ("2023年决算数为…"); 年初/全年 figures carry it as their column
        header = norm(f.column) + (norm(f.raw_text) if found.how == "prose" and frame.stage == "决算数" else "")
        if frame.stage == "决算数" and found.doc.kind == "决算" and "预算" not in header:
            continue  # a 决算 document's figures are 决算数 unless their column says 预算
        if not any(c in header for c in carried):
            return Misaligned(asked, f"{found.label}（{f.column}）", f"问的是{asked}这一列")
    return None


# "三公经费，公车运维费是不是占了大头": a clause that names a whole alone, then a clause that opens with its part
_CLAUSE = re.compile(r"[,;:]")
_SEVERAL = re.compile(r"分别|各自|各是|和|与|及|、|以及|加")


def part_break(folded: str, named: list[Match]) -> re.Match[str] | None:
    """Where a question turns from the whole it names to the part it asks: 里/中, or the pause after a clause
    that is nothing but the whole ("…的三公经费，出国费…"); None when it names no whole."""
    if part := PART_OF.search(folded):
        return part
    pause = _CLAUSE.search(folded)
    if not pause or _SEVERAL.search(folded):
        return None
    before = [m for m in named if m.end <= pause.start()]
    after = [m for m in named if m.start >= pause.end() and m.kind in ("term", "code")]
    if len(before) == 1 and before[0].end == pause.start() and after and after[0].start - pause.end() <= 2:
        return pause
    return None


def focus(text: str) -> str | None:
    """The part a "A里的B" question asks for (the text from B on), when it names two measures."""
    folded = fold(text)
    named = get_lexicon().scan(text)
    part = part_break(folded, named)
    if not part:
        return None
    after = [m for m in named if m.kind in ("term", "code") and m.start >= part.end()]
    # the whole may be a row ("三公经费里的公务接待费") or a column that is a table of its own ("基本支出里的差旅费")
    whole = [m for m in named if m.end <= part.start()]
    if after and whole:
        return folded[after[0].start:]
    return None
