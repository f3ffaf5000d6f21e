"""The verifier: every number in a draft must be a fact about what its sentence names, a quote, or derived."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from itertools import permutations

from app.answer import NumberCheck
from app.lookup import DocFacts, norm, table_subject
from app.mentions import Mention, equal_figures, extract, is_amount
from ingest.numbers import MONEY, convert
from store.models import PROSE, Chunk, Fact

MAX_DERIVATION_INPUTS = 40  # pairs over the evidence: enough for sums/shares, bounded for speed


@dataclass(frozen=True)
class Evidence:
    """What a draft may rely on: the documents' facts, the passages shown, and the facts cited."""

    docs: Sequence[DocFacts]
    passages: Sequence[Chunk] = ()
    cited: Sequence[Fact] = ()
    subjects: Sequence[str] = ()  # what the question is about, for sentences that name nothing


_SENTENCE_MARKS = "。；;！？\n"
_CLAUSE_MARKS = "，," + _SENTENCE_MARKS


def _span_at(text: str, start: int, marks: str = _SENTENCE_MARKS) -> str:
    """The sentence (or, with _CLAUSE_MARKS, the clause) of text that position start stands in."""
    left = max(text.rfind(ch, 0, start) for ch in marks) + 1
    ends = [i for i in (text.find(ch, start) for ch in marks) if i >= 0]
    return text[left: min(ends) if ends else len(text)]


def _named(doc_facts: DocFacts, sentence: str) -> list[str]:
    """Row labels of the document that a sentence names (longest first, no overlaps)."""
    return _tokens(sentence, doc_facts.labels_longest_first)


def _tokens(sentence: str, names_longest_first: Sequence[str]) -> list[str]:
    """The names a sentence contains, longest first and never overlapping: "政府采购服务" is one name,
    not also "政府采购"."""
    text = norm(sentence)
    out, taken = [], []
    for name in names_longest_first:
        start = 0
        while (i := text.find(name, start)) >= 0:
            if not any(a < i + len(name) and i < b for a, b in taken):
                out.append(name)
                taken.append((i, i + len(name)))
                break
            start = i + 1
    return out


def _all_names(doc_facts: DocFacts) -> list[str]:
    """Row labels and the subjects prose figures are about, longest first (cached on the index)."""
    cached = getattr(doc_facts, "_verify_names", None)
    if cached is None:
        prose = {norm(f.row_label) for f in doc_facts.prose if len(norm(f.row_label)) >= 2}
        prose |= {norm(p) for f in doc_facts.prose if (p := explained_project(f))}
        columns = {n for f in doc_facts.facts for part in f.column.split(" / ")
                   if f.table_kind != PROSE and not _GENERIC_COLUMN.match(norm(part)) for n in _with_stem(norm(part))}
        kinds = {kind_name(f.table_kind) for f in doc_facts.facts}
        cached = sorted({*doc_facts.labels_longest_first, *prose, *columns, *kinds} - doc_facts.self_names - {""},
                        key=len, reverse=True)
        doc_facts._verify_names = cached
    return cached


# Column words a sentence may use to say which figure of a row it means.
_COLUMN_WORDS = ("基本支出", "项目支出", "人员经费", "公用经费", "政府性基金", "国有资本经营", "财政专户", "单位资金",
                 "上年结转")


_TOTALS = ("合计", "总计", "小计")
# Column words too general to say what a total row is about ("支出 / 2024年合计").
_GENERIC_COLUMN = re.compile(r"^(\d{4}年?)?(预算数|决算数|合计|小计|金额|支出|收入|本年|上年|项目|预算|.)?$|^\d{4}年?.{0,2}$")


def _with_stem(column: str) -> tuple[str, ...]:
    """A column name, and without its 收入/支出 ("财政拨款收入" is what a sentence calls 财政拨款)."""
    stem = re.sub(r"(收入|支出)$", "", column)
    return (column, stem) if len(stem) >= 4 and stem != column else (column,)


@lru_cache(maxsize=100_000)
def _fact_names(f: Fact) -> frozenset[str]:
    """What a fact is about: its row label and path, and for a total row its column (基本支出 …)."""
    names = {norm(f.row_label), *(norm(p) for p in f.row_path)}
    if f.row_label.startswith(_TOTALS) or f.row_label.endswith(_TOTALS):
        names |= {n for part in f.column.split(" / ") if not _GENERIC_COLUMN.match(norm(part))
                  for n in _with_stem(norm(part))}
        names.add(kind_name(f.table_kind))  # the 三公经费表's 合计 is the 三公经费
    if f.table_kind == PROSE:
        names |= {n for n in (norm(w) for w in re.split(r"[，,、]", f.row_label)) if n}
        if project := explained_project(f):
            names.add(norm(project))  # "项目总预算1170.00万" under 生命健康专项经费情况说明 is that project's
    return frozenset(n for n in names if n)


def explained_item(f: Fact) -> str:
    """The item a prose explanation is about: "贸易高质量发展专项（政策资金）经费情况说明 > 六、…" → its name."""
    return re.sub(r"(经费|项目)?情况说明$", "", f.table_title.split(" > ")[0]).strip()


def explained_project(f: Fact) -> str | None:
    """The project whose own explanation states this total (…专项经费情况说明 > 六、年度预算安排: 项目总预算…)."""
    head, _, rest = f.table_title.partition(" > ")
    if f.table_kind != PROSE or not norm(f.row_label).startswith("项目总") or not rest or not head.endswith("情况说明"):
        return None
    return explained_item(f)


def _step(value: Decimal, unit: str | None) -> Decimal:
    """The worth of the last printed digit, in 元 for money, so precisions compare across units."""
    return Decimal(1).scaleb(value.as_tuple().exponent) * MONEY.get(unit or "", Decimal(1))


def same_figure(m: Mention, f: Fact) -> bool:
    """The mention states this fact: exactly after unit conversion, or rounded the way prose rounds.

    Only the mention may be the rounded side ("1万元" for 1.00万元): a draft more precise than the
    document (1.00元 against a printed 0万元) is not supported by it."""
    if m.value is None:
        return False
    unit = m.unit or f.unit
    try:
        value = convert(f.value, f.unit, unit) if unit != f.unit else f.value
    except ValueError:
        return False
    if value == m.value:
        return True
    return f.value != 0 and _step(m.value, unit) > _step(f.value, f.unit) and equal_figures(m.value, unit, f.value, f.unit)


class _ValueIndex:
    """A document's facts sorted by value in a base unit (元 for money), so a figure finds its equals
    and the facts it may be a rounding of without scanning every fact."""

    def __init__(self, facts: Sequence[Fact]) -> None:
        self.by_family: dict[str, tuple[list[Decimal], list[Fact]]] = {}
        self.by_raw: dict[Decimal, list[Fact]] = {}
        pairs: dict[str, list[tuple[Decimal, int, Fact]]] = {}
        for i, f in enumerate(facts):
            family, base = _base(f.value, f.unit)
            pairs.setdefault(family, []).append((base, i, f))
            self.by_raw.setdefault(f.value, []).append(f)
        for family, items in pairs.items():
            items.sort(key=lambda x: (x[0], x[1]))
            self.by_family[family] = ([b for b, _, _ in items], [f for _, _, f in items])

    def near(self, m: Mention) -> list[Fact]:
        """Facts equal to the figure, or within half its last printed digit (the candidates same_figure decides)."""
        if m.value is None:
            return []
        if m.unit is None:  # a bare figure is read in each fact's own unit
            return self.by_raw.get(m.value, [])
        family, base = _base(m.value, m.unit)
        values, facts = self.by_family.get(family, ([], []))
        half = _step(m.value, m.unit) / 2
        return facts[bisect_left(values, base - half): bisect_right(values, base + half)]


def _base(value: Decimal, unit: str) -> tuple[str, Decimal]:
    return ("money", value * MONEY[unit]) if unit in MONEY else (unit, value)


def _value_index(doc_facts: DocFacts) -> _ValueIndex:
    index = getattr(doc_facts, "_value_index", None)
    if index is None:
        index = doc_facts._value_index = _ValueIndex(doc_facts.facts)
    return index


def kind_name(table_kind: str) -> str:
    """What a table is about, from its kind: 三公经费表 → 三公经费 (empty for 其他表 and prose)."""
    return "" if table_kind in ("其他表", PROSE) else norm(table_subject(table_kind))


# A cited source in parentheses names tables and pages, not what the sentence says a figure is.
_SOURCE_NOTE = re.compile(r"（第\d+页[^）]*）|《[^》]*》")


def check_number(m: Mention, draft: str, ev: Evidence) -> NumberCheck:
    """Whether one number is supported, and by what."""
    sentence = norm(_SOURCE_NOTE.sub("", _span_at(draft, m.start)))
    clause = norm(_SOURCE_NOTE.sub("", _span_at(draft, m.start, _CLAUSE_MARKS)))
    # The figure's own clause decides when it names a row ("公务接待费9.00万元，公务用车…1.00万元"
    # must not let each figure borrow the other's name); otherwise its sentence does.
    where = clause if any(_named(d, clause) for d in ev.docs) else sentence
    equal = [(d, f) for d in ev.docs for f in _value_index(d).near(m) if same_figure(m, f)]
    names_in_sentence = False
    if equal:
        names_in_sentence = any(_tokens(sentence, _all_names(d)) for d in ev.docs)
        columns = [w for w in _COLUMN_WORDS if w in where]
        tokens_of = {id(d): set(_tokens(where, _all_names(d))) for d in ev.docs}
        for d, f in equal:
            tokens = tokens_of[id(d)]
            names = _fact_names(f) - d.self_names  # "忻州市商务局" heads its own project table's total row
            if f.table_kind != PROSE and columns and not any(w in f.column or w in f.row_label for w in columns):
                continue  # "基本支出为…" is not the row's 合计 or 人员经费
            if names & tokens:
                if f.table_kind == PROSE and (table := _contradicted(m, where, ev)):
                    return _overruled(m, table)
                return NumberCheck(m.text, m.value, m.unit, True, (f"fact:{f.fact_id}",))
    rows = _sum_of_rows(m, ev, where)
    if rows:
        return NumberCheck(m.text, m.value, m.unit, True, (rows,))
    if equal:
        if not names_in_sentence:  # the sentence names nothing: it speaks of the question's subject
            about = {norm(s) for s in ev.subjects if s}
            for _, f in equal:
                names = _fact_names(f)
                if about & names:
                    return NumberCheck(m.text, m.value, m.unit, True, (f"fact:{f.fact_id}",))
    # A passage or a quoted sentence supports the figure, unless a table cell of the row it names says otherwise.
    quoted = next((f"passage:{c.chunk_id}" for c in ev.passages if m.text and m.text in c.text), "") or next(
        (f"quote:{f.fact_id}" for f in ev.cited
         if f.table_kind == PROSE and m.text and m.text in f.raw_text and m.text in _quoted(draft)), "")
    if quoted:
        table = _contradicted(m, where, ev)
        return _overruled(m, table) if table else NumberCheck(m.text, m.value, m.unit, True, (quoted,))
    if _in_derivation(draft, m.start):  # "（351684000.00元 ÷ 371514655.00元）": an operand, cited as such
        operand = next((f for f in ev.cited if same_figure(m, f)), None)
        if operand is not None:
            return NumberCheck(m.text, m.value, m.unit, True, (f"fact:{operand.fact_id}",))
    derived = _derive(m, ev.cited) if _OPERATION.search(sentence) else ""
    if derived:
        return NumberCheck(m.text, m.value, m.unit, True, (derived,))
    if equal:
        other = equal[0][1]
        return NumberCheck(m.text, m.value, m.unit, False, (),
                           f"这个数字属于“{other.row_label}”（第{other.page}页），不是句中所说的项目")
    return NumberCheck(m.text, m.value, m.unit, False, (), "文件中找不到这个数字")


# A clause about a change, last year or another column states figures no table cell of this year prints.
_NOT_THIS_YEAR = re.compile(r"比|较|增|减|降|上年|去年|同比|持平|结转|结余|年初|调整|执行|决算|预留|其中|占")


def _contradicted(m: Mention, where: str, ev: Evidence) -> Fact | None:
    """A table cell of the row the clause names that disagrees with the figure (and no cell of it agrees)."""
    if m.unit not in MONEY or m.value is None or _NOT_THIS_YEAR.search(where):
        return None
    at = where.find(norm(m.text))
    for d in ev.docs:
        for label in _named(d, where):
            start = where.rfind(label, 0, at if at >= 0 else len(where))
            # only a figure stated of the row itself ("公务接待费为999万元"), not of a longer phrase the
            # label begins ("一般公共预算服务支出795.44万元" is not the row 一般公共预算)
            if start < 0 or not _OF_ROW.fullmatch(where[start + len(label):at if at >= 0 else start + len(label)]):
                continue
            cells = [f for f in d.by_label.get(label, []) if f.table_kind != PROSE and f.unit in MONEY]
            if cells and not any(same_figure(m, f) for f in cells):
                return cells[0]
    return None


_OF_ROW = re.compile(r"的?(预算|支出|经费)?(数|金额)?(为|是|共|合计|安排)?了?")


def _overruled(m: Mention, table: Fact) -> NumberCheck:
    return NumberCheck(m.text, m.value, m.unit, False, (),
                       f"文件的表格中“{table.row_label}”为{table.value}{table.unit}（第{table.page}页），与此不同，以表格为准")


# A derived figure counts only where the sentence says it is derived (a sum, a difference, a share).
_OPERATION = re.compile(r"合计|合共|共计|总计|之和|加起来|相加|\+|＋|相差|差额|差|多|少|减|−|-|占|比重|比例|÷|/|增长|减少|增加|下降")
# the operands of a computed figure, in parentheses that may hold a page's own "（PDF第20页）"
_DERIVATION = re.compile(r"（(?:[^（）]|（[^（）]*）)*?[÷−+](?:[^（）]|（[^（）]*）)*）")


def _in_derivation(draft: str, start: int) -> bool:
    return any(d.start() < start < d.end() for d in _DERIVATION.finditer(draft))


_MARKER = re.compile(r"\[\d+(?:[,，、]\s*\d+)*\]|【\d+】")


def _sum_of_rows(m: Mention, ev: Evidence, where: str) -> str:
    """A label printed on several rows of one table stands for their sum (基本工资 120.05 + 12.01)."""
    for d in ev.docs:
        for label in _named(d, where):
            groups: dict[tuple[str, str], list[Fact]] = {}
            for f in d.by_label.get(label, []):
                groups.setdefault((f.table_title, f.column), []).append(f)
            for facts in groups.values():
                if len(facts) > 1:
                    total = Fact(**{**facts[0].__dict__, "value": sum(f.value for f in facts)})
                    if same_figure(m, total):
                        return "derived:sum-of-rows:" + "+".join(f.fact_id for f in facts)
    return ""


def _quoted(text: str) -> str:
    """The parts of a draft inside “…” quotation marks."""
    return " ".join(re.findall(r"“([^”]*)”", text))


def _derive(m: Mention, cited: Sequence[Fact]) -> str:
    """One explicit operation over cited facts that gives the number: sum, difference, share."""
    facts = [f for f in cited if f.unit not in ("%",)][:MAX_DERIVATION_INPUTS]
    if len(facts) > 2 and len({f.unit for f in facts}) == 1 and m.unit != "%":
        # "三年合计": every cited figure added up
        if equal_figures(m.value, m.unit, sum((f.value for f in facts), Decimal(0)), facts[0].unit):
            return "derived:sum:" + "+".join(f.fact_id for f in facts)
    if len(facts) > 2 and len({f.unit for f in facts}) == 1 and m.unit == "%":
        # "会议费占“三公”经费、会议费、培训费合计的比例": one figure over the sum of the cited ones
        unique = list({f.fact_id: f for f in facts}.values())
        whole = sum((f.value for f in unique), Decimal(0))
        for a in unique:
            for base in (whole, whole - a.value):
                if base and equal_figures(m.value, "%", (a.value / base * 100).quantize(Decimal("0.01")), "%"):
                    return f"derived:share:{a.fact_id}/sum"
    for a, b in permutations(facts, 2):
        if a.unit != b.unit and not (a.unit in ("元", "万元", "亿元") and b.unit in ("元", "万元", "亿元")):
            continue
        bv = convert(b.value, b.unit, a.unit) if a.unit != b.unit else b.value
        if m.unit == "%" and bv:
            share = a.value / bv * 100
            if equal_figures(m.value, "%", share.quantize(Decimal("0.01")), "%"):
                return f"derived:share:{a.fact_id}/{b.fact_id}"
            rate = (a.value - bv) / bv * 100  # "比2017年增长46.25%": the change over the base
            if equal_figures(m.value, "%", abs(rate).quantize(Decimal("0.01")), "%"):
                return f"derived:rate:{a.fact_id}/{b.fact_id}"
            if a.column in ("增长额", "减少额"):  # a stated change over last year's figure (now ∓ the change)
                last = bv + a.value if a.column == "减少额" else bv - a.value
                if last > 0 and equal_figures(m.value, "%", (a.value / last * 100).quantize(Decimal("0.01")), "%"):
                    return f"derived:change_rate:{a.fact_id}/{b.fact_id}"
            continue
        if equal_figures(m.value, m.unit, a.value + bv, a.unit) and a.fact_id < b.fact_id:
            return f"derived:sum:{a.fact_id}+{b.fact_id}"
        if equal_figures(m.value, m.unit, a.value - bv, a.unit):
            return f"derived:difference:{a.fact_id}-{b.fact_id}"
    return ""


def verify(draft: str, ev: Evidence) -> tuple[NumberCheck, ...]:
    """Check every amount, share, count and area in a draft; years, dates, codes, ordinals are skipped."""
    # Citation markers [1] are not figures; blank them out, keeping every other offset in place.
    draft = _MARKER.sub(lambda m: " " * len(m.group(0)), draft)
    return tuple(check_number(m, draft, ev) for m in extract(draft) if is_amount(m))
