"""Follow-ups, as in any chat: "那2018年呢？", "其中基本支出呢？", "和上年比呢？" take their missing slots from
the previous question of the same conversation, and the answer says what it assumed.

A fresh question that names its own subject never inherits anything.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from app.lexicon import fold, get_lexicon

_YEAR = re.compile(r"20\d{2}\s*年度?")
_LEAD = re.compile(r"^(那么|那|还有|再看看|再问一下|再|另外)")
_PART = re.compile(r"^(其中|里面|里边|当中)(的)?")
_CHANGE = re.compile(r"^(和|跟|与)?(上年|去年|上一年)(比|相比|比较)(呢)?$|^(比|较)(上年|去年)(呢|怎么样|如何)?$")
_TAIL = re.compile(r"(呢|吗|的呢)?[？?。！!\s]*$")
_ASK_TAIL = re.compile(r"(是多少|有多少|多少万元|多少元|多少钱|多少|是什么|有哪些|[？?。！!\s])+$")
MAX_FRAGMENT = 24  # a follow-up is a fragment; a long question is a question of its own


def _measures(text: str) -> list:
    return [m for m in get_lexicon().scan(text) if m.kind in ("term", "code", "column")]


def follow_up(question: str, previous: str | None, unit_names: Iterable[str] = ()) -> tuple[str, str]:
    """(the question to answer, what was assumed — "" when the question stands on its own)."""
    q = question.strip()
    if not previous or len(q) > MAX_FRAGMENT or not (_LEAD.match(q) or _PART.match(q) or _TAIL.search(q).group(1)
                                                      or _CHANGE.match(_TAIL.sub("", q))):
        return q, ""
    body = _TAIL.sub("", _LEAD.sub("", q)).strip("，, ")
    base = _ASK_TAIL.sub("", previous).strip()
    if not body:
        return q, ""
    if _CHANGE.match(body) or _CHANGE.match(q):
        resolved = f"{base}比上年增长多少"
    elif _YEAR.fullmatch(body):
        year = body
        resolved = _YEAR.sub(year, previous, count=1) if _YEAR.search(previous) else f"{year}{previous}"
    elif any(u in body for u in unit_names) and not _measures(_strip_units(body, unit_names)):
        old = next((u for u in sorted(unit_names, key=len, reverse=True) if u in previous), "")
        resolved = previous.replace(old, body, 1) if old else f"{body}{previous}"
    elif _PART.match(body):
        resolved = f"{base}中的{_PART.sub('', body)}是多少"
    elif _measures(body) and (old := _measures(previous)):
        # "那公用经费呢": the new subject in the place of the old one
        folded, span = fold(previous), old[0]
        resolved = previous[:_index(previous, folded, span.start)] + body + previous[_index(previous, folded, span.end):]
    else:
        return q, ""
    return resolved, f"按上一问理解为：“{resolved}”"


def _strip_units(text: str, unit_names: Iterable[str]) -> str:
    for u in sorted(unit_names, key=len, reverse=True):
        text = text.replace(u, "")
    return text


def _index(original: str, folded: str, at: int) -> int:
    """The position in the original text of a position in its folded form (folding drops spaces and quotes)."""
    if original == folded:
        return at
    i = j = 0
    while i < len(original) and j < at:
        if fold(original[i]) == "":
            i += 1
            continue
        i += 1
        j += 1
    return i
