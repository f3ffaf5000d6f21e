"""Figures as the documents print them: "1,024.87", "60,100元", "18.63%", "3辆" → exact Decimals."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# Money units and their exact factor to 元.
MONEY = {"元": Decimal(1), "千元": Decimal(1000), "万元": Decimal(10000), "亿元": Decimal(100000000)}
# Counting and measuring units that prose attaches to figures.
COUNTERS = ("平方米", "辆", "个", "人", "名", "项", "家", "次", "台", "套", "处", "户", "间", "亩", "公里", "天", "件", "期", "份")
PERCENT = "%"

_CELL = re.compile(r"^[-－−]?\d{1,3}(,\d{3})+(\.\d+)?$|^[-－−]?\d+(\.\d+)?$")
_PAREN_NEG = re.compile(r"^[（(]\s*([\d,]+(?:\.\d+)?)\s*[)）]$")
_UNIT_LINE = re.compile(r"(?:金额)?单位\s*[:：]\s*(千元|万元|亿元|元)")

# Prose sometimes drops the 元: "1720.00万" is 万元.
_ALIASES = {"％": PERCENT, "万": "万元", "亿": "亿元"}
_UNITS = "|".join(sorted([*MONEY, *COUNTERS, "万", "亿"], key=len, reverse=True))
FIGURE = re.compile(
    rf"(?<![\d.,])(?P<num>[-－−]?\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|[-－−]?\d+(?:\.\d+)?)\s*"
    rf"(?P<unit>%|％|(?:万|亿)(?={'|'.join(c for c in COUNTERS)})|{_UNITS}|分(?![之钟别配类散管解局行布析摊数]))?"
)


@dataclass(frozen=True)
class Amount:
    """A figure and the unit printed with it (None when the text gives none)."""

    value: Decimal
    unit: str | None


@dataclass(frozen=True)
class Figure:
    """A figure found in running text, with where it stands."""

    text: str
    start: int
    end: int
    amount: Amount


# Full-width digits and signs read as ASCII, one character for one (offsets stay valid). "，" stays out:
# in prose it is punctuation ("增长160.97万元，增长18.63%"); only a table cell reads it as a separator.
WIDE = str.maketrans("０１２３４５６７８９．－−＋（）％", "0123456789.--+()%")


def parse_number(text: str) -> Decimal | None:
    """The exact value of a cell such as "1,024.87", "１２３．４５", "-3.5" or "(12.00)"; None if it is not one number.

    "12 3" is two figures (or a misread), never 123."""
    s = (text or "").strip().translate(WIDE).replace("，", ",")
    if re.search(r"\d\s+\d", s):
        return None
    s = s.replace(" ", "")
    if not s:
        return None
    paren = _PAREN_NEG.match(s)
    if paren:
        s = "-" + paren.group(1)
    s = s.replace("－", "-").replace("−", "-")
    if not _CELL.match(s):
        return None
    try:
        return Decimal(s.replace(",", ""))
    except InvalidOperation:
        return None


_CN_DIGIT = {"零": 0, "〇": 0, "○": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
             "九": 9}
_CN_SMALL = {"十": 10, "百": 100, "千": 1000}
_CN_BIG = {"万": 10_000, "亿": 100_000_000}


def _cn_integer(s: str) -> int | None:
    """一百二十 → 120, 一万二千 → 12000, 一亿二千万 → 120000000, 一〇二四 / 九九九 → positional; None when vague.

    Two bare digits without 〇 ("二三十", "三四") are a vague "two or three", never a figure."""
    if not s or any(ch not in _CN_DIGIT and ch not in _CN_SMALL and ch not in _CN_BIG for ch in s):
        return None
    if all(ch in _CN_DIGIT for ch in s):
        if len(s) == 1 or len(s) >= 3 or set(s) & {"零", "〇", "○"}:
            return int("".join(str(_CN_DIGIT[ch]) for ch in s))  # 一〇二四, 五〇〇, 九九九: read digit by digit
        return None
    if re.search(r"[一二两三四五六七八九]{2}", s):
        return None
    total = section = number = 0
    for ch in s:
        if ch in _CN_DIGIT:
            number = _CN_DIGIT[ch]
        elif ch in _CN_SMALL:
            section += (number or 1) * _CN_SMALL[ch]
            number = 0
        elif ch == "万":
            total += (section + number or (1 if not total else 0)) * 10_000
            section = number = 0
        else:  # 亿 scales everything before it
            total = (total + section + number or 1) * 100_000_000
            section = number = 0
    return total + section + number


def chinese_number(text: str) -> Decimal | None:
    """The exact value of a Chinese numeral with an optional 点 fraction (十二点五 → 12.5, 零点一 → 0.1)."""
    whole, dot, frac = text.partition("点")
    n = _cn_integer(whole) if whole else (0 if dot else None)
    if n is None or (dot and (not frac or any(ch not in _CN_DIGIT for ch in frac))):
        return None
    return Decimal(f"{n}.{''.join(str(_CN_DIGIT[c]) for c in frac)}") if dot else Decimal(n)


def unit_of_amounts(text: str) -> str | None:
    """The money unit a table declares in a line like "单位名称：… 单位：万元"."""
    m = _UNIT_LINE.search(text.replace(" ", ""))
    return m.group(1) if m else None


def convert(value: Decimal, from_unit: str, to_unit: str) -> Decimal:
    """Convert exactly between money units (元 ↔ 万元 ↔ 亿元); other units must match."""
    if from_unit == to_unit:
        return value
    if from_unit in MONEY and to_unit in MONEY:
        return value * MONEY[from_unit] / MONEY[to_unit]
    raise ValueError(f"cannot convert {from_unit} to {to_unit}")


def find_figures(text: str) -> list[Figure]:
    """Every figure in a sentence with its unit, e.g. "增长160.97万元，增长18.63%"."""
    out = []
    text = (text or "").translate(WIDE)  # "３８．５万元" is one figure
    for m in FIGURE.finditer(text):
        value = parse_number(m.group("num"))
        if value is None:
            continue
        unit = m.group("unit")
        if unit in ("万", "亿") and (counter := next((c for c in COUNTERS if text.startswith(c, m.end())), None)):
            # "约1.2万人" is 12,000 people, not 1.2万元
            value, unit = value.scaleb(4 if unit == "万" else 8), counter
            out.append(Figure(text=text[m.start():m.end() + len(counter)].strip(), start=m.start(),
                              end=m.end() + len(counter), amount=Amount(value, unit)))
            continue
        unit = _ALIASES.get(unit, unit)
        out.append(Figure(text=m.group(0).strip(), start=m.start(), end=m.end(), amount=Amount(value, unit)))
    return out


def normalise_code(text: str) -> str | None:
    """A classification code printed whole or split ("208 05 02" → "2080502"); None if not a code."""
    s = re.sub(r"\s+", " ", (text or "").strip())
    if re.fullmatch(r"\d{3}(\d{2}){0,2}", s):
        return s
    parts = s.split(" ")
    if len(parts) in (2, 3) and len(parts[0]) == 3 and all(re.fullmatch(r"\d{2}", p) for p in parts[1:]):
        return "".join(parts)
    return None
