"""Every number in an answer, classified: amounts the verifier must support vs years, dates, codes and ordinals."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal

from ingest.numbers import COUNTERS, MONEY, PERCENT, WIDE, chinese_number, convert, normalise_code, parse_number

KINDS = ("amount", "percent", "count", "area", "year", "date", "code", "ordinal", "plain")
AMOUNT_KINDS = frozenset({"amount", "percent", "count", "area"})
POINTS = "百分点"  # "下降2.5个百分点" is a difference of percentages, not a count of 个
AREAS = ("平方米", "平方公里")

# One-to-one replacements keep offsets valid; "，" stays out: in prose it is punctuation, not a thousands separator.
# Units prose also counts with, beyond the ones ingest knows.
_MORE_COUNTERS = ("人次", "个月", "场", "件", "份", "所", "座", "张", "批", "篇", "吨", "公顷", "立方米", "米", "㎡")
_COUNT_UNITS = sorted({*COUNTERS, *AREAS, *_MORE_COUNTERS}, key=len, reverse=True)
_CTR = "|".join(_COUNT_UNITS)
_MONEY = "|".join(sorted(MONEY, key=len, reverse=True))
_ANY_UNIT = f"%|个百分点|百分点|{_MONEY}|[万亿]|{_CTR}"
# After a unit, "-" joins a range ("5%-10%", "1万元-2万元"); it is a minus sign only after words.
_RANGE_END = "".join(sorted({u[-1] for u in (*MONEY, *_COUNT_UNITS, "%", "万", "亿")}))
_CN_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN = "零〇一二两三四五六七八九十百千万亿"
_LIST_CN = "一二三四五六七八九十"
_DASH = r"\s*[-—–~～至到]\s*"
_DAY = r"\d{4}[./-]\d{1,2}[./-]\d{1,2}|\d{4}年\d{1,2}月\d{1,2}[日号]"

_TOKEN = re.compile(
    rf"""
    (?P<date>(?<!\d)(?:(?:{_DAY})(?:{_DASH}(?:{_DAY}))?
        |\d{{4}}年\d{{1,2}}(?:{_DASH}\d{{1,2}})?月(?:份|底|末)?
        |\d{{1,2}}月\d{{1,2}}[日号]))
    |(?P<year>(?<![\d.,])(?:(?:19|20)\d{{2}}(?=(?:\s*(?:[-—–~～至到、和及与]|以及)\s*(?:19|20)\d{{2}})+\s*年)
        |(?:19|20)\d{{2}}\s*年度?|[〇零一二三四五六七八九]{{4}}年度?
        |(?<=[〔\[【（(])(?:19|20)\d{{2}}(?=[〕\]】）)])))
    |(?P<ordinal>第\s*(?:[{_CN}]+|\d+)(?:{_DASH}(?:[{_CN}]+|\d+))?(?:部分|季度|[项条章节款部个次名位期批级类页号轮届])?
        |[（(](?:[{_LIST_CN}]{{1,3}}|\d{{1,2}})[)）]
        |(?<![^\s。；;：:，,！!？?、“”"])(?:[{_LIST_CN}]{{1,3}}|\d{{1,2}})、
        |(?<![^\s。；;：:])\d{{1,2}}[.．](?![\d%])
        |(?<![\d.,])\d{{1,4}}号
        |(?:附表|附件|表|图)\s*(?:[{_LIST_CN}]{{1,3}}+(?!\s*(?:{_CTR}))|\d{{1,2}}+(?:-\d{{1,2}})?(?![\d.,%]|\s*(?:{_ANY_UNIT})))
        |(?<=公开|附表|部门)\s*\d{{1,2}}\s*(?=表))
    |(?:科目|编码|代码|分类|编号|(?i:code))\s*[：:为是]?\s*(?P<ctxcode>\d{{3}}(?:\s?\d{{2}}){{0,2}})(?![\d.,%])
    |(?<=[（(【\[])(?P<pcode>[1235]\d{{4}}(?:\d{{2}})?)(?=[)）】\]])
    |(?P<code>(?<![\d.,\-])[1235]\d{{2}}(?:\d{{4}}|\d{{2}}|(?:[ ]\d{{2}}){{1,2}})?(?![\d.,])
        (?=[ \t]*[\u4e00-\u9fff])(?![ \t]*(?:{_ANY_UNIT}|[余多年月日号])))
    |百分之(?P<cnpct>[{_CN}]+(?:点[〇零一二三四五六七八九]+)?)
    |(?P<cn>(?<![统唯之万单同逐其划专初第后{_CN}])(?=[零〇○一二两三四五六七八九十])[{_CN}○]+(?:点[〇○零一二三四五六七八九]+[万亿]?)?)
        [余多]?(?P<cnunit>元|{_CTR})(?!性)
    |(?P<num>(?:(?<![0-9A-Za-z.,)）\]{_RANGE_END}])-)?(?<![\d.,])(?:\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\.\d+)?)
        (?:[ ]?[余多])?[ ]?
        (?:(?P<pct>%|个百分点|百分点)|(?P<money>{_MONEY})|(?P<mult>[万亿])?(?P<ctr>{_CTR})|(?P<bare>[万亿])|(?P<dur>年(?!度)))?
    """,
    re.VERBOSE,
)
# Words that make a bare figure a sum of money, so it needs support even without a unit.
_MONEY_CONTEXT = re.compile(r"元|预算|决算|支出|收入|经费|费|资金|拨款|金额|合计|总计|结转|结余|采购")
_ARTICLE_UNITS = frozenset("个次项批件份场")
# Full-width text uses "，" as its thousands separator; elsewhere "，" is a comma.
_WIDE_SEP = re.compile(r"(?<=[０-９])，(?=[０-９]{3}(?![０-９]))")
_CLAUSE_END = "。；;！!？?\n"
_RANGE_GAP = re.compile(rf"^{_DASH}$")


@dataclass(frozen=True)
class Mention:
    """One number in a text, where it stands, its exact value and unit, and what kind of number it is."""

    text: str
    start: int
    end: int
    value: Decimal | None
    unit: str | None
    kind: str


def _cn_amount(run: str, unit: str) -> Decimal | None:
    """A Chinese numeral's value in the unit it will be shown with: 一亿二千万元 → 12000 (万元)."""
    scale = run[-1] if run[-1] in "万亿" and len(run) > 1 else ""
    if "点" in run:  # 零点一万: the fraction, then the multiplier
        return chinese_number(run[:-1] if scale else run)
    if not scale:
        return chinese_number(run)
    if not set(run[:-1]) & set("万亿"):
        return chinese_number(run[:-1])  # 一〇二四万, 一百二十万: the numeral, then its 万
    whole = chinese_number(run)  # 一亿二千万: composed, then shown in 万
    return None if whole is None else whole / (10_000 if scale == "万" else 100_000_000)


def _kind_of(unit: str) -> str:
    """The kind a unit gives its figure."""
    if unit in MONEY:
        return "amount"
    if unit in (PERCENT, POINTS):
        return "percent"
    return "area" if unit in AREAS else "count"


def _clause(text: str, start: int, end: int) -> str:
    """The clause around a span: commas do not end it, full stops and semicolons do."""
    lo = max(text.rfind(c, 0, start) for c in _CLAUSE_END) + 1
    his = [i for i in (text.find(c, end) for c in _CLAUSE_END) if i >= 0]
    return text[lo : min(his, default=len(text))]


def _bare(norm: str, start: int, end: int, digits: str) -> str:
    """The kind of a figure printed without a unit."""
    if re.fullmatch(r"(19|20)\d{2}", digits) and re.match(r"[ \t]*[\u4e00-\u9fff]", norm[end:]):
        return "year"  # "2024预算": a year that lost its 年, never a sum of money
    return "amount" if _MONEY_CONTEXT.search(_clause(norm, start, end)) else "plain"


def _classify(m: re.Match[str], norm: str) -> tuple[int, int, Decimal | None, str | None, str] | None:
    """Span, value, unit and kind of one token match; None when it is not a number after all."""
    g = m.groupdict()
    if g["date"] or g["ordinal"]:
        return m.start(), m.end(), None, None, "date" if g["date"] else "ordinal"
    if g["year"]:
        digits = re.match(r"\d{4}|[〇零一二三四五六七八九]{4}", g["year"]).group(0)
        value = Decimal("".join(str(_CN_DIGIT.get(c, c)) for c in digits))
        return m.start(), m.end(), value, None, "year"
    for name in ("ctxcode", "pcode", "code"):
        if g[name]:
            code = normalise_code(g[name]) or re.sub(r"\s", "", g[name])
            return m.start(name), m.end(name), Decimal(code), None, "code"
    if g["cnpct"]:
        value = chinese_number(g["cnpct"])
        # a numeral nobody can read exactly is still a figure: unsupported, never silently skipped
        return m.start(), m.end(), value, PERCENT, "percent"
    if g["cn"]:
        run, unit = g["cn"], g["cnunit"]
        if run == "一" and unit in _ARTICLE_UNITS:
            return None  # "一个重要举措", "开展一次": an article, not a quantity anyone would verify
        value = _cn_amount(run, unit)
        if unit == "元" and run[-1] in "万亿" and len(run) > 1:
            unit = run[-1] + "元"  # 一百二十万元 is 120 万元, 零点一万元 0.1 万元, as a table would print it
        elif unit != "元" and run[-1] in "万亿" and value is not None:
            value *= 10_000 if run[-1] == "万" else 100_000_000  # 一万人
        unit = "平方米" if unit == "㎡" else unit
        if value is None and _kind_of(unit) != "amount" and not run.strip("一二两三四五六七八九"):
            return None  # "三四个", "两三次": a vague count, not a figure
        return m.start(), m.end(), value, unit, _kind_of(unit)
    value = parse_number(g["num"])
    if value is None:
        return None
    if g["pct"]:
        unit = PERCENT if g["pct"] == "%" else POINTS
    elif g["money"]:
        unit = g["money"]
    elif g["ctr"]:
        unit = "平方米" if g["ctr"] == "㎡" else g["ctr"]
        # scaleb keeps the printed precision: "1.2万人" is known to the thousand, not to the person.
        value = value.scaleb(8 if g["mult"] == "亿" else 4 if g["mult"] else 0)
    elif g["bare"]:
        unit = g["bare"] + "元"  # prose drops the 元: "1720.00万" is 万元
    elif g["dur"]:
        unit = "年"
    else:
        start, end = m.start("num"), m.end("num")
        return start, end, value, None, _bare(norm, start, end, g["num"].lstrip("-"))
    return m.start(), m.end(), value, unit, _kind_of(unit)


def extract(text: str) -> list[Mention]:
    """Every number in a text, left to right and non-overlapping, with its value, unit and kind."""
    text = text or ""
    norm = _WIDE_SEP.sub(",", text).translate(WIDE)
    out: list[Mention] = []
    for m in _TOKEN.finditer(norm):
        found = _classify(m, norm)
        if found is None:
            continue
        start, end, value, unit, kind = found
        end = start + len(text[start:end].rstrip())
        out.append(Mention(text[start:end], start, end, value, unit, kind))
    return _inherit_ranges(out, norm)


def _inherit_ranges(mentions: list[Mention], norm: str) -> list[Mention]:
    """In "10-20人" or "5%～10%" the first figure takes the unit the range prints once, at its end."""
    out = list(mentions)
    for i in range(len(out) - 1, 0, -1):
        a, b = out[i - 1], out[i]
        if a.unit is None and a.kind in ("amount", "plain") and b.unit and b.kind in AMOUNT_KINDS:
            scaled = b.unit not in MONEY and re.search("[万亿]", b.text)  # "1-3万人": the 1 is not 1 人
            if not scaled and _RANGE_GAP.match(norm[a.end : b.start]):
                out[i - 1] = replace(a, unit=b.unit, kind=b.kind)
    return out


def is_amount(m: Mention) -> bool:
    """Whether the verifier must support this figure (money, percentages, counts, areas)."""
    return m.kind in AMOUNT_KINDS


def to_unit(m: Mention, unit: str) -> Decimal | None:
    """The mention's value in another unit, exactly; None when the units do not convert."""
    if m.value is None or m.unit is None:
        return None
    if m.unit == unit or (m.unit in MONEY and unit in MONEY):
        return convert(m.value, m.unit, unit)
    return None


def _step(value: Decimal, unit: str | None) -> Decimal:
    """The size of the last printed digit, in 元 for money, so precisions compare across units."""
    return Decimal(1).scaleb(value.as_tuple().exponent) * MONEY.get(unit or "", Decimal(1))


def _rounded_like(exact: Decimal, printed: Decimal) -> Decimal:
    """The exact figure rounded half-up to as many decimals as the printed one shows."""
    return exact.quantize(Decimal(1).scaleb(printed.as_tuple().exponent), rounding=ROUND_HALF_UP)


def equal_figures(
    a_value: Decimal | None,
    a_unit: str | None,
    b_value: Decimal | None,
    b_unit: str | None,
    places: int | None = None,
) -> bool:
    """Equal after exact unit conversion, or equal at the precision the coarser (rounded) side prints."""
    if a_value is None or b_value is None:
        return False
    # A figure printed without a unit is read in the other side's unit.
    a_unit, b_unit = a_unit or b_unit, b_unit or a_unit
    try:
        b_as_a = convert(b_value, b_unit, a_unit) if a_unit else b_value
        a_as_b = convert(a_value, a_unit, b_unit) if b_unit else a_value
    except ValueError:
        return False
    if places is not None:
        q = Decimal(1).scaleb(-places)
        return a_value.quantize(q, rounding=ROUND_HALF_UP) == b_as_a.quantize(q, rounding=ROUND_HALF_UP)
    if a_value == b_as_a:
        return True
    a_step, b_step = _step(a_value, a_unit), _step(b_value, b_unit)
    if a_step > b_step:
        return a_value == _rounded_like(b_as_a, a_value)
    if b_step > a_step:
        return b_value == _rounded_like(a_as_b, b_value)
    return False
