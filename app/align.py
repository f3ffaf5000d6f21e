"""Does the figure answer the question? Its row, column and operation against what the question names.

The verifier proves that each number is a true fact; this proves that the fact is the one asked for.
A true figure of a sibling row (机关运行经费 asked, the 三公 total found), of the whole when a part was
asked (三公经费里的公务接待费), or a share when a rate of change was asked is a wrong answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from app.lexicon import Match, get_lexicon
from app.lookup import _GENERIC, Found, norm, table_subject
from app.understand import Query

# "A里的B", "A中的B", "A其中B": the part B is asked, A only says where to look.
_PART_OF = re.compile(r"(里|中|当中|之中|其中|里面)的?")
_RATE = re.compile(r"(增长|增加|减少|下降|降低|上升|变化|变动|增减).{0,6}(百分之几|百分比|幅度|率|几成|%)|"
                   r"(百分之几|百分比|几成)")
# Bare totals say nothing of what they total: 合计 of the 三公 table is the 三公 total, not 机关运行经费.
_GENERIC_ROWS = {norm(x) for x in ("合计", "小计", "总计", "部门合计", "合计数", "本年合计", *_GENERIC)}


@dataclass(frozen=True)
class Misaligned:
    """Why a found figure does not answer the question, in words for the refusal."""

    asked: str  # the subject as the question names it
    found: str  # what the figure is
    reason: str


def _measures(text: str) -> list[Match]:
    """The lexicon terms the question names (row subjects, not pure column words), in order."""
    return [m for m in get_lexicon().scan(text) if m.kind in ("term", "code")]


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
        if found.how == "prose":  # a prose figure is named by its subject and the heading it stands under
            names |= {norm(p) for p in re.split(r"\s*>\s*", f.table_title)}
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
            if w == n or len(n) >= 3 and (w in n or n in w):
                return True
    generic_rows = [f for f in found.facts if norm(f.row_label) in _GENERIC_ROWS]
    return bool(generic_rows) and _generic_ok(found, specific)


def check(query: Query, found: Found, text: str) -> Misaligned | None:
    """None when the figure answers the frame the question names; else what is wrong with it."""
    if found.how in ("sum", "difference"):
        return None  # an operation over operands, each looked up by its own name
    if query.intent == "rate" or _RATE.search(query.question):
        if found.how == "share" or found.column == "占比":
            return Misaligned(_subject_text(text), f"{found.label}的占比", "问的是变化的幅度，不是占比")
    measures = _measures(text)
    if not measures or found.how == "prose" and query.intent != "amount":
        return None
    names = _names(found)
    labels = {norm(f.row_label) for f in found.facts} - _GENERIC_ROWS
    if any(len(label) >= 2 and label in norm(text) for label in labels) and not _PART_OF.search(fold_text(text)):
        return None  # the question names the row as printed
    part = _PART_OF.search(fold_text(text))
    if part and len(measures) >= 2:
        # the part named after 里/中 must be what the figure is
        after = [m for m in measures if m.start >= part.end()]
        if after and not _satisfies(after[0], found, names):
            return Misaligned(after[0].text, found.label, "找到的是整体的数字，不是问的那一项")
        return None
    if any(_satisfies(m, found, names) for m in measures):
        return None
    return Misaligned(measures[0].text, found.label, "找到的数字属于另一项")


def focus(text: str) -> str | None:
    """The part a "A里的B" question asks for (the text from B on), when it names two measures."""
    folded = fold_text(text)
    part = _PART_OF.search(folded)
    if not part:
        return None
    measures = _measures(text)
    after = [m for m in measures if m.start >= part.end()]
    if after and len(measures) > len(after):
        return folded[after[0].start:]
    return None


def fold_text(text: str) -> str:
    """The folded question, as lexicon spans index it."""
    from app.lexicon import fold

    return fold(text)


def _subject_text(text: str) -> str:
    measures = _measures(text)
    return measures[0].text if measures else text.strip("？?。 ")
