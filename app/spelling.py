"""A question spelled as the documents spell it: simplified characters, ASCII digits, years and codes in figures.

Staff type 預算 on a traditional-character keyboard, ２０２５ in full width, 二〇二五年, 201-03-01; the documents
print 预算, 2025, 2025年, 2010301. Every later stage reads the respelled question, so no pattern has to know.
"""

from __future__ import annotations

import functools
import re

from app.lexicon import get_lexicon

_FULL_WIDTH = {c: c - 0xFEE0 for c in range(0xFF10, 0xFF1A)}  # ０–９
_FULL_WIDTH |= {c: c - 0xFEE0 for c in (*range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B))}  # Ａ–Ｚ ａ–ｚ
_FULL_WIDTH |= {0xFF05: ord("%"), 0xFF0E: ord("."), 0x3000: ord(" ")}  # ％ ． and the ideographic space
_DIGIT = {"〇": "0", "○": "0", "零": "0", "一": "1", "二": "2", "三": "3", "四": "4", "五": "5", "六": "6",
          "七": "7", "八": "8", "九": "9"}
_CN_YEAR = re.compile(r"([〇○零一二三四五六七八九]{4})(?=\s*年)")
_SPOKEN = str.maketrans({"啥": "什么", "咋": "怎么"})
# "社工部24年", "25年预算": a year typed short, not a span of years (近10年, 过去20年, 第15年)
_SHORT_YEAR = re.compile(r"(?<![\d.近前后这第每满共约超逾去])(1[5-9]|[23]\d)(?=\s*年(?!代|前|后|来|间|以|内|里|多|左右))")
# 201-03-01, 201 03 01, 215—08—99: a classification code typed in its printed groups (类 款 项)
_SPLIT_CODE = re.compile(r"(?<![\d.])(\d{3})[-－—–\s](\d{2})(?:[-－—–\s](\d{2}))?(?![\d.%])")


@functools.cache
def _simplifier():
    import opencc  # loaded on first use: the CLI's --help need not pay for it

    return opencc.OpenCC("t2s")


@functools.cache
def _english() -> tuple[re.Pattern[str], dict[str, str]]:
    """English words of a mixed question and the Chinese they stand for (the lexicon's [english] table)."""
    words = get_lexicon().english
    alternatives = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<![A-Za-z])(?:{alternatives})(?![A-Za-z])", re.IGNORECASE), words


def _in_chinese(question: str) -> str:
    """"2025 budget of 普陀商务委, total 多少万" → "2025 预算 普陀商务委, 总计 多少万": English read as the documents' words."""
    if not re.search(r"[A-Za-z]{2}", question) or not re.search(r"[\u4e00-\u9fff]", question):
        return question  # all-English or no words: nothing to read
    pattern, words = _english()
    return pattern.sub(lambda m: words[re.sub(r"\s+", " ", m.group().lower())], question)


def respelled(question: str) -> str:
    """The question with traditional characters simplified, full-width digits and letters made ASCII, four-digit
    Chinese-numeral years (二〇二五年) and short ones (24年) in full, English words in Chinese and split codes (201-03-01) joined."""
    q = question.translate(_FULL_WIDTH)
    if re.search(r"[\u4e00-\u9fff]", q):
        q = _simplifier().convert(q)
    q = _in_chinese(_CN_YEAR.sub(lambda m: "".join(_DIGIT[c] for c in m.group(1)), q))
    q = _SHORT_YEAR.sub(r"20\1", q)
    q = q.translate(_SPOKEN)  # 啥 → 什么, 咋 → 怎么: the spoken question words, as the patterns know them
    return _SPLIT_CODE.sub(lambda m: "".join(g for g in m.groups() if g), q)
