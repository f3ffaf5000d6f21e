"""How people frame a question, read as what it asks: each rewrite says which framing it undoes and why.

"我们单位也在编2025年预算，想参考下区政府办：…", "养人的钱（人员经费）", "买电脑、复印机这些办公设备",
"除了公车的钱，另外还有一笔“其他交通费用”", "有…吗？有的话多少", "精确到元": each becomes the plain question
the rest of the pipeline reads. The answer keeps the question as asked.
"""

from __future__ import annotations

import re

from app.lexicon import fold, get_lexicon

# "除了公车的钱，另外还有一笔“其他交通费用”": the item named in quotes is asked, not everything but the first
_BESIDES_NAMED = re.compile(r"除了?[^，,。？?“”]{1,24}?(?:以外|之外)?[，,]\s*(?=[^，,。？?]*“[^”]{2,24}”)")
# "买电脑、复印机这些办公设备": the examples name the kind asked, which is the subject
_EXAMPLES = re.compile(r"(?<=[买给用花付交办])[^，,。：:？?\d]{1,16}?[、和及][^，,。：:？?\d]{1,12}?(?:这些|这类|之类的?|等等?)"
                       r"(?=[\u4e00-\u9fff]{2})")
# Everyday words glossed in brackets by the term they stand for; they run back to a pause, a year or a body
_GLOSS = re.compile(r"(?:(?<=[，,。：:？?\s])|(?<=\d年)|(?<=[局委办厅部])|^)(?P<words>[^，,。：:？?（()）\d]{1,16}?)"
                    r"[（(](?P<term>[^（()）]{2,14})[)）]")
# "我们单位也在编2025年预算，想参考下区政府办：…": who is asking and why, before the question itself
_LEAD_IN = re.compile(r"^[^：:？?]{0,40}(?:我们|我|咱们|本人)[^：:？?]{0,40}[：:]\s*")
_NAMES_SOMETHING = re.compile(r"\d{4}年|局|委|办|厅|部|街道|镇|中心")
# "有政府采购预算吗？有的话一共多少万元": the figure, if any, answers both
_IF_SO = re.compile(r"(?:吗|呢|没有)[？?，,。]\s*(?:如果|若|要是|假如)?有(?:的话)?[，,]?\s*(?=[^？?]*(?:多少|几))")
# "精确到元", "保留两位小数": how to write the figure (元 becomes the unit asked), not what it is about
_PRECISION = re.compile(r"[，,]?\s*(?:精确到(?:小数点后)?(?:万元|元|亿元|[一二两三四1-4]位(?:小数)?)|"
                        r"保留(?:到)?(?:小数点后)?[一二两三四1-4]位(?:小数)?|四舍五入)")
_TO_UNIT = re.compile(r"精确到(万元|元|亿元)")


def _glossed(question: str) -> str:
    """"X（term）" read as the term, when the bracket holds one known term or column word and nothing else."""
    def read(m: re.Match) -> str:
        found = get_lexicon().scan(m.group("term"))
        whole = len(found) == 1 and found[0].end - found[0].start == len(fold(m.group("term")))
        everyday = re.search(r"钱|的", m.group("words"))  # "养人的钱": not a printed name (省政协业务工作经费（培训费）)
        return m.group("term") if whole and everyday and found[0].kind in ("term", "column") else m.group(0)
    return _GLOSS.sub(read, question)


def _without_lead_in(question: str) -> str:
    lead = _LEAD_IN.match(question)
    rest = question[lead.end():] if lead else ""
    return rest if rest and _NAMES_SOMETHING.search(rest) else question


def _precision_as_unit(question: str) -> str:
    plain = _PRECISION.sub("", question)
    if plain == question or not plain.strip():
        return question
    unit = m.group(1) if (m := _TO_UNIT.search(question)) else ""
    return plain.rstrip("，,") + (f"（{unit}）" if unit else "")


def rephrased(question: str) -> str:
    """The question with each framing undone, in turn; the question itself when it has none."""
    out = _BESIDES_NAMED.sub("", question) or question
    out = _EXAMPLES.sub("", out) or out
    out = _glossed(out)
    out = _without_lead_in(out)
    out = _IF_SO.sub("，", out).strip("，") or out
    return _precision_as_unit(out)
