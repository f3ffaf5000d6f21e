"""Counts the prose states of what it then lists ("设10个内设机构，包括：（一）…（十）…"), with what it lists."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ingest.numbers import chinese_number
from store.models import Chunk

# "设9个内设机构，包括：A、B、C", "下设3个二级单位，分别是：…", "纳入编制范围的单位共2家，包括："
_STATED = re.compile(r"(?:设|有|下设|内设|共|包括|含)(?P<n>\d{1,3}|[一二两三四五六七八九十]{1,3})(?:个|家|项)"
                     r"(?P<what>[\u4e00-\u9fff]{0,8}?(?:内设机构|机构|科室|处室|部门|单位|中心|项目))"
                     r"[^。：:]{0,12}?(?:包括|分别是|分别为|即|为|有)[:：]?")
# an enumerated entry at the start of a line: （一） (1) 1. 1、 一、
_ENTRY = re.compile(r"^\s*(?:[（(](?P<a>[一二三四五六七八九十]{1,3}|\d{1,2})[)）]|(?P<b>\d{1,2})[.、．]|(?P<c>[一二三四五六七八九十]{1,3})、)")
_ENDS = "。；;\n"


@dataclass(frozen=True)
class Listed:
    """A stated count and how many items follow it."""

    said: int
    listed: int
    what: str
    page: int
    sentence: str


def listed_counts(chunks: Sequence[Chunk]) -> list[Listed]:
    """Each stated count whose list follows it, inline (A、B、C) or as numbered lines (（一）…（十）)."""
    text_chunks = [c for c in chunks if c.kind == "text"]
    out: list[Listed] = []
    for i, chunk in enumerate(text_chunks):
        for m in _STATED.finditer(chunk.text):
            said = _count(m.group("n"))
            rest = chunk.text[m.end():]
            inline = re.split(f"[{_ENDS}]", rest, maxsplit=1)[0]
            if "、" in inline or "，" in inline and not rest.startswith("\n"):
                items = [p for p in re.split(r"[、，,]", inline) if p.strip()]
                listed = len(items)
            else:
                following = rest + "".join("\n" + c.text for c in text_chunks[i + 1:i + 4]
                                           if c.metadata.get("headings") == chunk.metadata.get("headings"))
                listed = _enumerated(following)
            if said and listed >= 2:
                out.append(Listed(said, listed, m.group("what"), chunk.page, chunk.text[m.start():m.end() + 40]))
    return out


def _enumerated(text: str) -> int:
    """How many numbered lines follow in sequence (（一）（二）…), ignoring the section's running title lines."""
    expected = 1
    for line in text.split("\n"):
        m = _ENTRY.match(line)
        if not m:
            continue
        n = _count(m.group("a") or m.group("b") or m.group("c"))
        if n == expected:
            expected += 1
        elif n == 1 and expected > 1:
            break  # another list starts
    return expected - 1


def _count(word: str) -> int:
    if word.isdigit():
        return int(word)
    value = chinese_number(word.replace("两", "二"))
    return int(value) if value is not None else 0
