"""Consistency audit (勾稽关系) of a budget disclosure over its stored facts: tables that must add up, tables
that must agree, prose that must say what the tables say. Words, identities and pairs: ``audit_rules.toml``.
Severity: ``error`` a real difference; ``rounding`` within one printed quantum per non-zero child (0.01 in 万元, 1
in 元 tables printed in whole 元, none in 元 tables printed to the 分: exact ledger figures); ``warning`` prose,
names, counts, years, template-dependent identities. Odd data never raises: what cannot be paired is skipped.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import logging
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz

from app.claims import Claim, claims, share_base, subject_key, without_total
from app.data import load_toml
from app.lexicon import normalise
from app.listed import Listed, listed_counts
from ingest.overlap import conflicts
from store.facts import FactStore
from store.models import PROSE, Chunk, Document, Fact

RULES_PATH = Path(__file__).with_name("audit_rules.toml")
SEVERITIES = ("error", "rounding", "warning")
_SCALE = {"元": Decimal(1), "万元": Decimal(10000), "亿元": Decimal(10**8)}
_NUMBERED = re.compile(r"^\s*[一二三四五六七八九十]+、")
_YEAR = re.compile(r"(20\d\d)\s*年")
_SEGMENT = re.compile(r"[-—－]|[（(][类款项][)）]")
_LEADJUNK = re.compile(r"^[^\u4e00-\u9fff]+")
_CENT, _ZERO = Decimal("0.01"), Decimal(0)
_SPENDING_TOTAL = re.compile(r"(本年|当年)?支出(合计|总计|小计)|合计|总计")


@dataclass(frozen=True)
class Finding:
    """One inconsistency; expected/actual/difference are Decimals in the unit the message names."""

    rule: str
    severity: str  # error | rounding | warning
    doc_id: str
    unit_name: str
    year: int | None
    pages: list[int]
    table: str
    row: str
    column: str
    expected: Decimal | None
    actual: Decimal | None
    difference: Decimal | None  # actual − expected
    message: str

    @property
    def key(self) -> str:
        """Stable across runs and sessions: the document, the rule and what it says (for a reviewer's mark)."""
        text = "|".join((self.doc_id, self.rule, self.table, self.row, self.column, self.message))
        return hashlib.sha256(text.encode()).hexdigest()[:20]

    def to_json(self) -> dict[str, Any]:
        """The contract's object; Decimals as strings (exact, as ``facts --format jsonl`` prints values)."""
        out = dataclasses.asdict(self)
        return out | {k: None if out[k] is None else str(out[k]) for k in ("expected", "actual", "difference")}


@functools.cache
def rules() -> dict[str, Any]:
    """The audit rules (audit_rules.toml), read once."""
    return load_toml(RULES_PATH)


def _word(key: str) -> re.Pattern[str]:
    return re.compile(rules()["words"][key])


@dataclass
class _Row:
    code: str | None
    label: str
    path: tuple[str, ...]
    cells: dict[str, Fact] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.norm, self.coded = normalise(self.label), bool(self.code and self.code.isdigit())
        self.name = f"{self.code} {self.label}" if self.coded else self.label


@dataclass
class _Table:
    kind: str
    title: str
    unit: str
    rows: list[_Row] = field(default_factory=list)
    decimals: int = 0

    @property
    def columns(self) -> list[str]:
        return list(dict.fromkeys(c for r in self.rows for c in r.cells))

    @property
    def q(self) -> Decimal:
        """Rounding allowance per child: one printed quantum; none for 元 printed to the 分."""
        return _ZERO if self.unit == "元" and self.decimals else Decimal(1).scaleb(-self.decimals)


def _leaf(column: str) -> str:
    return column.split(" / ")[-1]


def _cell(row: _Row, column: str | None = None) -> Fact | None:
    """The row's cell in a column (regex on the header's last word); by default its total cell."""
    if column and column != "合计":
        return next((f for c, f in row.cells.items() if re.search(column, normalise(_leaf(c)))), None)
    total = _word("total_column")
    return next((f for c, f in row.cells.items() if total.search(_leaf(c))), next(iter(row.cells.values()), None))


def _spending_total(t: _Table) -> Decimal | None:
    """A table's total spending (支出合计, else 合计), in its own unit."""
    rows = sorted((x for x in t.rows if _SPENDING_TOTAL.fullmatch(x.norm)), key=lambda x: "支出" not in x.norm)
    cell = _cell(rows[0]) if rows else None
    return cell.value if cell else None


def _same_total(a: _Table, b: _Table) -> bool:
    """Whether two tables total the same spending: only then do they cover the same funds."""
    ta, tb = _spending_total(a), _spending_total(b)
    return ta is not None and tb is not None and ta == _to(tb, b.unit, a.unit)


def _to(value: Decimal, unit: str, target: str) -> Decimal:
    return value if unit == target else value * _SCALE[unit] / _SCALE[target]


def _clean(v: Decimal | None) -> Decimal | None:
    return v.quantize(_CENT) if v is not None and v.as_tuple().exponent < -2 and v == v.quantize(_CENT) else v


def _n(v: Decimal) -> str:
    return f"{_clean(v):,}"


def _agrees(stated: Decimal, computed: Decimal, slack: Decimal = _ZERO) -> bool:
    """Equal up to the stated figure's own rounding (17,192万元 agrees with 171,915,169元)."""
    return abs(stated - computed) <= Decimal("0.5").scaleb(min(stated.as_tuple().exponent, 0)) + slack


def build_tables(facts: Iterable[Fact]) -> list[_Table]:
    """Table facts regrouped as tables of rows (a table continues over consecutive pages)."""
    tables: list[_Table] = []
    cur, last = None, 0
    for f in facts:
        if f.table_kind in (PROSE, "绩效目标表") or "prose" in f.flags or f.unit not in _SCALE:
            continue
        if cur is None or (cur.kind, cur.title) != (f.table_kind, f.table_title) or f.page > last + 1:
            tables.append(cur := _Table(f.table_kind, f.table_title, f.unit))
        last, row = f.page, cur.rows[-1] if cur.rows else None
        if not row or (row.code, row.path, row.label) != (f.row_code, f.row_path, f.row_label) or f.column in row.cells:
            cur.rows.append(row := _Row(f.row_code, f.row_label, f.row_path))
        row.cells[f.column] = f
        if "." in f.raw_text:
            cur.decimals = max(cur.decimals, len(f.raw_text.rsplit(".", 1)[1].strip()))
    return tables


@dataclass(frozen=True)
class Context:
    """What a document is audited against besides itself: the other files of its disclosure (a prose file's
    tables file), last year's files of the same unit, kind and scope, and the table kinds printed empty."""

    companions: Sequence[Sequence[Fact]] = ()
    previous: Sequence[tuple[Document, Sequence[Fact]]] = ()
    empty: frozenset[str] = frozenset()
    other_scope: Sequence[tuple[Document, Sequence[Fact]]] = ()  # the 单位 budget beside a 部门 budget, same year
    listed: Sequence[Listed] = ()  # counts the prose states of the items it lists right after (内设机构 …)


def _finite(facts: Iterable[Fact]) -> list[Fact]:
    return [f for f in facts if isinstance(f.value, Decimal) and f.value.is_finite()]  # odd values: skipped


class _Audit:
    def __init__(self, doc: Document, facts: Sequence[Fact], context: Context = Context()) -> None:
        self.doc, self.out, self.context = doc, [], context
        self.facts = _finite(facts)
        self.tables, self.prose = build_tables(self.facts), [f for f in self.facts if "prose" in f.flags]
        self.by_kind: dict[str, list[_Table]] = defaultdict(list)
        self.seen_kind: dict[str, list[_Table]] = defaultdict(list)  # and the disclosure's other files' tables
        self.sentences: dict[str, list[Fact]] = defaultdict(list)
        for t in self.tables:
            self.by_kind[t.kind].append(t)
        for t in [*self.tables, *(t for other in context.companions for t in build_tables(_finite(other)))]:
            self.seen_kind[t.kind].append(t)
        for f in self.prose:
            self.sentences[f.raw_text].append(f)

    def add(self, rule: str, severity: str, facts: Iterable[Fact], table: str, row: str, column: str,
            expected: Decimal | None, actual: Decimal | None, message: str) -> None:
        diff = actual - expected if expected is not None and actual is not None else None
        self.out.append(Finding(rule, severity, self.doc.doc_id, self.doc.unit_name, self.doc.year,
                                sorted({f.page for f in facts}), table, row, column, _clean(expected),
                                _clean(actual), _clean(diff), message))

    def run(self) -> list[Finding]:
        for check in (self.table_sums, self.cross_tables, self.performance, self.prose_amounts,
                      self.prose_sentences, self.prose_claims, self.one_unit_body, self.listed_counts):
            try:
                check()
            except Exception:  # odd data never stops the audit: this rule is skipped, the others run
                logging.getLogger(__name__).exception("audit: %s skipped on %s", check.__name__, self.doc.file_name)
        return self.out

    def sum_check(self, t: _Table, parent: _Row, kids: list[_Row], rule: str, what: str,
                  columns: Iterable[str] | None = None) -> None:
        for col in columns or list(parent.cells):
            if col not in parent.cells or not (cells := [k.cells[col] for k in kids if col in k.cells]):
                continue
            got, want = parent.cells[col].value, sum((c.value for c in cells), _ZERO)
            if diff := got - want:
                sev = "rounding" if abs(diff) <= t.q * max(1, sum(1 for c in cells if c.value)) else "error"
                self.add(rule, sev, [parent.cells[col], *cells], t.title, parent.name, col, want, got,
                         f"{what}：{parent.name}「{_leaf(col)}」为{_n(got)}{t.unit}，{len(kids)}项之和为{_n(want)}"
                         f"{t.unit}，相差{_n(diff)}{t.unit}" + ("（舍入误差）" if sev == "rounding" else ""))

    def table_sums(self) -> None:
        kinds, total_row, unit_self = rules()["kinds"], _word("total_row"), normalise(self.doc.unit_name)
        for t in self.tables:
            coded = [x for x in t.rows if x.coded]
            totals = [x for x in t.rows if total_row.search(x.norm)]
            for p in (p for p in coded if len(p.code) in (3, 5)):  # 类 = Σ款, 款 = Σ项
                if kids := [x for x in coded if len(x.code) == len(p.code) + 2 and x.code.startswith(p.code)]:
                    self.sum_check(t, p, kids, "code_sum", "上级科目应等于下级科目之和")
            top = [x for x in coded if len(x.code) == 3]
            if not coded and t.kind in kinds["path_hierarchy"]:  # Shanxi: no codes; class/item by row path
                top = [x for x in t.rows if len(x.path) == 1 and x not in totals]
                for p in top:
                    if kids := [x for x in t.rows if len(x.path) >= 2 and x.path[0] == p.path[0]]:
                        self.sum_check(t, p, kids, "class_sum", "经济分类类级应等于款级之和")
            if not coded and t.kind in kinds["listed_rows"] and t.rows and (
                    total_row.search(t.rows[0].norm) or t.rows[0].norm == unit_self):  # first row = Σ the others
                totals, top = t.rows[:1], [x for x in t.rows[1:] if not total_row.search(x.norm)]
                if (head := _cell(totals[0])) and sum(c.value for x in top if (c := _cell(x))) == 2 * head.value:
                    top = []  # units' subtotals listed among their projects: nothing to pair
            for tot in totals if top else []:
                self.sum_check(t, tot, top, "total_row", "合计行应等于各项之和")
            for col in t.columns if t.kind in kinds["numbered_sections"] else []:  # 本年支出合计 = 一、+ 二、+ …
                rows = [x for x in t.rows if col in x.cells]
                heads = [x for x in rows if _word("section_total").search(x.norm)] or [
                    x for x in rows if _word("grand_total").search(x.norm)]
                if heads and (kids := [x for x in rows if _NUMBERED.match(x.label)]):
                    self.sum_check(t, heads[0], kids, "section_total", "合计应等于各类之和", [col])
            for rule in (r for r in rules().get("identity", []) if r["kind"] == t.kind):  # 三公 = 出国 + 接待 + 公车
                head = next((x for x in t.rows if re.search(rule["total"], x.norm)), None)
                parts = [next((x for x in t.rows if re.search(p, x.norm)), None) for p in rule["parts"]]
                if head and (found := [p for p in parts if p]):
                    self.sum_check(t, head, found, "identity", rule["name"])
            a, b = (next((_cell(x) for x in t.rows if x.norm == w), None) for w in rules()["words"]["balance"])
            if a and b:  # 收入总计 = 支出总计, each in its own side's total column
                pa, pb = (_Row(None, f.row_label, (), {b.column: f}) for f in (a, b))
                self.sum_check(t, pa, [pb], "balance", "收入总计应等于支出总计")
            for year in sorted({int(m) for m in _YEAR.findall(t.title)} - {self.doc.year}) if self.doc.year else []:
                self.add("year", "warning", [_cell(t.rows[0])], t.title, "", "", Decimal(self.doc.year), Decimal(year),
                         f"表「{t.title}」标注{year}年，而文件为{self.doc.year}年")  # the cover gave the latter
            self.column_sums(t)

    def column_sums(self, t: _Table) -> None:
        """A 合计/小计 column = Σ its sibling columns (合计 = 基本支出 + 项目支出, 人员经费 + 公用经费, …)."""
        total, cols = _word("total_column"), t.columns
        for col in (c for c in cols if total.search(_leaf(c))):
            pre, groups = col.split(" / ")[:-1], defaultdict(list)
            for o in (o.split(" / ") for o in cols if o != col):
                if len(o) > len(pre) and o[: len(pre)] == pre:
                    groups[o[len(pre)]].append(o)
            parts = [" / ".join(m) for ms in groups.values()  # a group's own 小计 if printed, else its columns
                     for m in ([m for m in ms if len(m) == len(pre) + 2 and total.search(m[-1])][:1] or ms)]
            name = " + ".join(_leaf(p) for p in parts)
            for row in (r for r in t.rows if col in r.cells):
                if kids := [_Row(None, p, (), {col: row.cells[p]}) for p in parts if p in row.cells]:
                    self.sum_check(t, row, kids, "column_sum", f"{_leaf(col)} = {name}", [col])

    def pair(self, rule: str, sev: str, a: Fact, ta: _Table, b: Fact, tb: _Table, row: str, column: str,
             what: str, relation: str = "eq", extra: Sequence[Fact] = ()) -> None:
        """a (in ta's unit) must equal b — or, relation "ge", be at least b."""
        bv, q = _to(b.value, tb.unit, ta.unit), max(ta.q, _to(tb.q, tb.unit, ta.unit))
        tol = q / 2 if ta.unit != tb.unit else _ZERO  # a 元 figure printed in 万元 is rounded once
        if abs(diff := a.value - bv) <= tol or (relation == "ge" and diff > 0):
            return
        self.add(rule, "rounding" if sev == "error" and abs(diff) <= q else sev, [a, b, *extra],
                 f"{ta.title} ↔ {tb.title}", row, column, bv, a.value,
                 f"{what}：{ta.title}为{_n(a.value)}{ta.unit}，{tb.title}为{_n(bv)}{ta.unit}，相差{_n(diff)}{ta.unit}")

    def select(self, sel: dict[str, str], seen: bool = False) -> list[tuple[Fact, _Table]]:
        """Cells a rule's selector names: in this file's tables, or (seen) in any file of the disclosure."""
        return [(c, t) for t in (self.seen_kind if seen else self.by_kind).get(sel["kind"], []) for x in t.rows
                if re.search(sel["row"], x.norm) and (c := _cell(x, sel.get("column")))]

    def keyed(self, kind: str, key: str) -> dict[str, tuple[_Row, _Table]]:
        """Rows by code (and the 合计 row), or by class name (一、一般公共服务支出 ↔ 201 一般公共服务支出)."""
        return {k: (x, t) for t in reversed(self.by_kind.get(kind, [])) for x in reversed(t.rows)
                if (k := (x.code if x.coded else "合计" if x.norm == "合计" else "") if key == "code" else
                    x.norm if _NUMBERED.match(x.label) or (x.coded and len(x.code) == 3) else "")}

    def cross_tables(self) -> None:
        r, carry = rules(), _word("carry_over")
        for p in r.get("row_pair", []):
            ia, ib = self.keyed(p["a"], p["key"]), self.keyed(p["b"], p["key"])
            ta, tb = (_cell(i["合计"][0]) if "合计" in i else None for i in (ia, ib))
            if p["key"] == "code" and p.get("only_if_totals_agree") and not (
                    ta and tb and ta.value == _to(tb.value, tb.unit, ta.unit)):
                continue  # the tables may cover different funds: their rows cannot be paired
            for (ra, t1), (rb, t2) in ((ia[k], ib[k]) for k in ia if k in ib):
                if p["key"] == "class" and p.get("only_if_totals_agree") and not _same_total(t1, t2):
                    continue  # 财政拨款 only vs all sources (Jiangsu's 其他资金): different funds, rows unpaired
                for ca, cb in p["columns"]:
                    if (a := _cell(ra, ca)) and (b := _cell(rb, cb)):
                        if p.get("carry_over") and ca == "合计":  # 本年收入 + 上年结转 = what is spent
                            extra = [f.value for c, f in ra.cells.items() if " / " not in c and carry.search(c)]
                            a = dataclasses.replace(a, value=a.value + sum(extra, _ZERO))
                        col = _leaf(b.column)
                        self.pair(f"cross_{p['key']}", "error", a, t1, b, t2, ra.name, col, f"{ra.name}「{col}」两表不一致")
        for p in r.get("cell_pair", []):
            sa = next((s for sel in p["a"] if (s := self.select(sel))), [])
            sb = next((s for sel in p["b"] if (s := self.select(sel))), [])
            if sa and sb:
                (a, ta), (b, tb) = sa[0], sb[0]
                b = dataclasses.replace(b, value=sum((_to(f.value, t.unit, tb.unit) for f, t in sb), _ZERO))
                self.pair("cross_cell", p["severity"], a, ta, b, tb, a.row_label, _leaf(a.column), p["name"],
                          p["relation"], [f for f, _ in sb[1:]])

    def performance(self) -> None:
        cfg, total_row, unit_self = rules()["performance"], _word("total_row"), normalise(self.doc.unit_name)
        funds: dict[str, Fact] = {}  # project name → its 年度资金总额 (元), else its 实施期资金总额
        for pat in (cfg["fallback_row"], cfg["funds_row"]):  # the preferred row last, so that it wins
            funds |= {f.row_path[0]: f for f in self.facts if f.table_kind == "绩效目标表" and "funds" in f.flags
                      and f.row_path and re.search(pat, normalise(f.row_label))}
        projects, heads = [], []
        for t in self.by_kind.get("项目支出表", []):
            for x in (x for x in t.rows if _cell(x)):
                (heads if total_row.search(x.norm) or x.norm == unit_self else projects).append((_cell(x), t))
        used: set[int] = set()
        for name, f in ((n, f) for n, f in funds.items() if f.unit in _SCALE):
            scored = [(same, score, i) for i, (c, t) in enumerate(projects) if i not in used
                      for score in [fuzz.ratio(normalise(name), normalise(c.row_label))]
                      for same in [abs(_to(f.value, f.unit, t.unit) - c.value) <= t.q / 2]
                      if score >= cfg["min_score"] or (same and score >= 40)]
            if not scored:
                self.add("performance_unpaired", "warning", [f], f.table_title, name, f.column, None, f.value,
                         f"绩效目标表「{name}」在项目支出表中找不到对应项目")
                continue
            used.add(i := max(scored)[2])
            c, t = projects[i]
            self.pair("performance_amount", "error", c, t, f, _Table("绩效目标表", f.table_title, f.unit), c.row_label,
                      _leaf(c.column), f"项目「{c.row_label}」项目支出表与绩效目标表金额不一致")
            if normalise(name) != normalise(c.row_label):
                self.add("performance_name", "warning", [c, f], f"{t.title} ↔ {f.table_title}", c.row_label,
                         _leaf(c.column), None, None,
                         f"项目名称不一致：项目支出表为「{c.row_label}」，绩效目标表为「{name}」（金额相符）")
        against = {"performance": funds and ("所附项目绩效目标表", len(funds), list(funds.values()),
                                             [c for i, (c, _) in enumerate(projects) if i not in used]),
                   "projects": projects and heads and ("项目支出表所列项目", len(projects), [heads[0][0]], [])}
        for p in (p for p in rules().get("count", []) if against.get(p["against"])):
            what, n, figures, missing = against[p["against"]]
            for f in (f for f in self.prose if f.column == "数量" and re.search(p["subject"], normalise(f.row_label))):
                amount = next((g for g in self.sentences[f.raw_text] if g.column == "金额" and g.unit in _SCALE), None)
                if f.value != n:
                    self.add("prose_count", "warning", [f, *figures], f.table_title, f.row_label, f.column,
                             Decimal(n), f.value, f"说明称{f.row_label}{_n(f.value)}个，但{what}只有{n}个")
                total = amount and sum((_to(x.value, x.unit, amount.unit) for x in figures), _ZERO)
                if amount and not _agrees(amount.value, total):
                    gap = amount.value - total
                    hit = [c for c in missing if _to(c.value, c.unit, amount.unit) == gap][:1]
                    note = f"，差额与未附绩效目标表的项目「{hit[0].row_label}」{_n(hit[0].value)}{hit[0].unit}相符" if hit else ""
                    self.add("prose_count_amount", "warning", [amount, *hit], amount.table_title, amount.row_label,
                             amount.column, total, amount.value, f"说明称{f.row_label}涉及{_n(amount.value)}{amount.unit}，"
                             f"但{what}合计{_n(total)}{amount.unit}，相差{_n(gap)}{amount.unit}{note}")

    def by_name(self, subject: str) -> list[tuple[Fact, _Table]]:
        """Rows named like the subject's last segment (the one before must end the row's parent name)."""
        segs = [n for s in _SEGMENT.split(subject) if (n := _LEADJUNK.sub("", normalise(s)))]
        return [(c, t) for kind in rules()["kinds"]["prose_labels"] if segs for t in self.seen_kind.get(kind, [])
                for x in t.rows if x.norm == segs[-1] and (c := _cell(x))
                and (len(segs) == 1 or (len(x.path) >= 2 and normalise(x.path[-2]).endswith(segs[-2])))]

    def prose_amounts(self) -> None:
        specs = rules().get("prose", [])
        has_tables = any(self.seen_kind.values())
        for f in (f for f in self.prose if f.column == "金额" and f.unit in _SCALE):
            spec = _spec_for(specs, f.row_label)
            # the subject's own table (its rule's first target), not every table that may also print it
            kinds = {*spec.get("empty", []), spec["targets"][0]["kind"]} if spec and f.value else set()
            # printed empty (本表无数据), or — where the rule names it — not printed at all while other tables are
            empty = sorted(k for k in kinds if k in self.context.empty) or (
                spec.get("empty", []) if spec and f.value and has_tables else [])
            if empty and not any(t for k in empty for t in self.seen_kind.get(k, []) if any(
                    c.value for x in t.rows for c in x.cells.values())):
                self.add("prose_empty_table", "warning", [f], f.table_title, f.row_label, f.column, _ZERO, f.value,
                         f"说明给出{f.row_label}{_n(f.value)}{f.unit}，但{'/'.join(empty)}为空表")
            cands = [c for s in spec["targets"] for c in self.select(s, seen=True)] if spec else []
            cands = cands or self.by_name(f.row_label)  # a template that prints the subject as a row of its own
            if not cands or any(_agrees(f.value, _to(c.value, t.unit, f.unit), _to(t.q, t.unit, f.unit) / 2)
                                for c, t in cands):
                continue
            c, t = cands[0]
            conv = f"（即{_n(_to(c.value, t.unit, f.unit))}{f.unit}）" if t.unit != f.unit else ""
            self.add("prose_table", "warning", [f, c], f"{f.table_title} ↔ {t.title}", f.row_label, f.column,
                     _to(c.value, t.unit, f.unit), f.value,
                     f"说明中{f.row_label}为{_n(f.value)}{f.unit}，{t.title}「{c.row_label}」为{_n(c.value)}{t.unit}{conv}，不一致")

    def prose_sentences(self) -> None:
        """Within one sentence: 实有 ≤ 编制 车辆 (rates and shares are the claims' to check)."""
        cfg = rules()["vehicles"]
        for facts in self.sentences.values():
            cars = [f for f in facts if f.unit == "辆"]
            quota = next((f for f in cars if cfg["quota"] in f.row_label), None)
            actual = next((f for f in cars if f is not quota and re.search(cfg["actual"], f.row_label)), None)
            if quota and actual and actual.value > quota.value:
                self.add("prose_vehicles", "warning", [quota, actual], quota.table_title, actual.row_label, "数量",
                         quota.value, actual.value, f"公务用车实有{_n(actual.value)}辆，超过编制{_n(quota.value)}辆")

    def listed_counts(self) -> None:
        """"设10个内设机构，包括：（一）…": the count stated is the count of the items listed after it."""
        for item in self.context.listed:
            if item.said != item.listed:
                self.out.append(Finding(
                    "prose_list_count", "warning", self.doc.doc_id, self.doc.unit_name, self.doc.year, [item.page],
                    "", item.what, "数量", Decimal(item.said), Decimal(item.listed),
                    Decimal(item.listed - item.said),
                    f"说明称{item.said}个{item.what}，但随后列出的是{item.listed}个：“{item.sentence.strip()}…”"))

    def one_unit_body(self) -> None:
        """A 部门 budget whose totals are its one 单位's prints every cell as that 单位 budget does."""
        if self.doc.scope != "部门":
            return
        for other, theirs in self.context.other_scope:
            if not (mine := _grand_total(self.facts)) or _grand_total(theirs) != mine:
                continue  # a body of several units: its 部门 figures are their sums
            for c in conflicts(self.facts, _finite(theirs)):
                expected, actual = _to(c.old.value, c.old.unit, c.new.unit), c.new.value
                self.add("one_unit_body", "warning", [c.new], c.new.table_title, c.new.row_label, _leaf(c.new.column),
                         expected, actual, f"部门预算与其唯一单位的单位预算总额相同，但第{c.new.page}页写{_n(actual)}"
                         f"{c.new.unit}，单位预算《{other.file_name}》第{c.old.page}页写{_n(c.old.value)}{c.old.unit}")

    def prose_claims(self) -> None:
        """Each prose claim against itself (rate vs amounts), its share's base, and last year's documents."""
        said = claims(self.facts)
        last_year = []  # each earlier document's amounts by subject, read once
        for prev, facts in self.context.previous:
            amounts: dict[str, list[Fact]] = defaultdict(list)
            for o in claims(_finite(facts)):
                if o.amount is not None and o.amount.unit in _SCALE:
                    amounts[o.key].append(o.amount)
            last_year.append((prev, amounts))
        for i, c in enumerate(said):
            if c.amount is None or c.amount.unit not in _SCALE:
                continue
            self.claim_change(c, said[i - 1] if i else None)
            if c.share is not None:
                self.claim_share(c, said[:i], said[i + 1:])
            if c.delta is not None:
                self.claim_last_year(c, last_year)

    def claim_change(self, c: Claim, before: Claim | None) -> None:
        """增长Y% = 增长额 / (金额 − 增长额); an increase larger than the amount leaves last year below zero."""
        last, unit = c.last_year, c.amount.unit
        if last is None:
            return
        if last < 0:
            self.add("prose_impossible", "warning", c.facts, c.amount.table_title, c.subject, c.change.column,
                     _ZERO, last, f"说明称{c.subject}{_n(c.amount.value)}{unit}、比上年增加{_n(c.change.value)}"
                     f"{c.change.unit}，则上年为{_n(last)}{unit}，不可能")
            return
        if c.rate is None or not last or (c.pct or 0) * c.delta < 0:
            return
        want = abs(c.delta) / last * 100
        if not _agrees(c.rate.value, want, _CENT):
            copied = before is not None and before.rate is not None and before.rate.value == c.rate.value
            note = f"，与上一项「{before.subject}」的比率相同，疑为照抄" if copied else ""
            self.add("prose_arithmetic", "warning", [c.rate, c.change, c.amount], c.rate.table_title, c.subject,
                     c.rate.column, want.quantize(_CENT), c.rate.value,
                     f"{c.subject}{c.rate.column}按说明中的金额计算为{want:.2f}%，说明写{_n(c.rate.value)}%{note}")

    def claim_share(self, c: Claim, before: Sequence[Claim], after: Sequence[Claim]) -> None:
        """占X% = 金额 / the base the sentence names (or the total its list is of)."""
        base = self.base_amount(c, before, after)
        if base is None or not base[0]:
            return
        value, name, facts = base
        want = _to(c.amount.value, c.amount.unit, "元") / value * 100
        if _agrees(c.share.value, want, _CENT):
            return
        implied = _to(c.amount.value, c.amount.unit, "元") * 100 / c.share.value if c.share.value else None
        note = f"（按{_n(c.share.value)}%推算，基数约为{_n(_to(implied, '元', c.amount.unit).quantize(_CENT))}" \
               f"{c.amount.unit}）" if implied else ""
        self.add("prose_arithmetic", "warning", [c.share, c.amount, *facts], c.share.table_title, c.subject, "占比",
                 want.quantize(_CENT), c.share.value,
                 f"{c.subject}占{name}的比重按说明中的金额计算为{want:.2f}%，说明写{_n(c.share.value)}%{note}")

    def base_amount(self, c: Claim, before: Sequence[Claim], after: Sequence[Claim]) -> tuple[Decimal, str, list[Fact]] | None:
        """The base of a claim's share, in 元: named (占“三公”经费的) and found among the claims or the tables;
        unnamed, the sentence's first other amount or the total its list is of."""
        if c.base and (key := subject_key(c.base)):
            own = [o for o in before if o.amount is not None and o.key in (key, without_total(key))]
            if own:
                a = own[-1].amount
                return _to(a.value, a.unit, "元"), c.base, [a]
            # "A占“三公”经费的x%, B占…y%, C占…z%": parts whose shares make the whole base add up to it
            siblings = [o for o in [*before, c, *after] if o.share is not None and o.amount is not None
                        and o.share.value and o.base and subject_key(o.base) == key and o.page <= c.page + 1]
            if len(siblings) >= 2:
                total = sum((_to(o.amount.value, o.amount.unit, "元") for o in siblings), _ZERO)
                implied = [_to(o.amount.value, o.amount.unit, "元") * 100 / o.share.value for o in siblings]
                if abs(sum(o.share.value for o in siblings) - 100) > Decimal("0.1") and \
                        max(implied) - min(implied) <= max(implied) / 200:  # every share on one other base
                    if c is siblings[0]:
                        self.wrong_base(siblings, total, sum(implied) / len(implied), c.base)
                    return None
                return total, c.base, [o.amount for o in siblings]
            return None  # a base the audit cannot find for sure: nothing to check against
        first = next((f for f in self.sentences[c.share.raw_text] if f.column == "金额" and f.unit in _SCALE), None)
        if first is not None and first.row_label != c.subject:
            return _to(first.value, first.unit, "元"), first.row_label, [first]
        if (whole := share_base(c, before)) is not None:
            return _to(whole.amount.value, whole.amount.unit, "元"), whole.subject, [whole.amount]
        return None

    def wrong_base(self, parts: Sequence[Claim], total: Decimal, used: Decimal, base: str) -> None:
        """Shares of a whole's parts that all divide by one figure other than the parts' sum."""
        unit, shares = parts[0].amount.unit, sum(o.share.value for o in parts)
        used, total = _to(used, "元", unit).quantize(_CENT), _to(total, "元", unit)
        self.add("prose_share_base", "warning", [f for o in parts for f in (o.amount, o.share)],
                 parts[0].share.table_title, base, "占比", total, used,
                 f"说明中{len(parts)}项占{base}的比重合计{_n(shares)}%，按各项金额推算的基数约为{_n(used)}{unit}，"
                 f"而这{len(parts)}项之和为{_n(total)}{unit}：比重的基数不是{base}")

    def claim_last_year(self, c: Claim, last_year: Sequence[tuple[Document, dict[str, list[Fact]]]]) -> None:
        """金额 − 增长额 = what last year's document of the same unit, kind and scope says of the same subject."""
        for prev, amounts in last_year:
            theirs = amounts.get(c.key, [])
            if not theirs or any(_agrees(c.delta, c.amount.value - _to(t.value, t.unit, c.amount.unit))
                                 for t in theirs):
                continue
            t = theirs[0]
            want = c.amount.value - _to(t.value, t.unit, c.amount.unit)
            self.add("prose_last_year", "warning", [*c.facts, t], c.amount.table_title, c.subject, c.change.column,
                     want, c.delta, f"说明称{c.subject}比上年{'增加' if c.delta >= 0 else '减少'}{_n(abs(c.delta))}"
                     f"{c.amount.unit}，而{prev.year}年文件为{_n(t.value)}{t.unit}（第{t.page}页），按此应"
                     f"{'增加' if want >= 0 else '减少'}{_n(abs(want))}{c.amount.unit}")
            return


def _grand_total(facts: Iterable[Fact]) -> Decimal | None:
    """The 收入总计 of a document's 收支总表, in 元."""
    return next((f.value * _SCALE[f.unit] for f in facts if f.table_kind == "收支总表" and f.unit in _SCALE
                 and normalise(f.row_label) == "收入总计"), None)


_SPENT = re.compile(r"(财政拨款)?(预算)?(支出|收入)$")


def _spec_for(specs: Sequence[dict[str, Any]], subject: str) -> dict[str, Any] | None:
    """The prose rule of a subject, as printed or without its 财政拨款支出 ("三公经费财政拨款支出" is 三公经费)."""
    name = normalise(subject)
    # "公务接待费（款）支出" is the economic classification's line, not the 三公 item: only a plain name is shortened
    shorter = name if re.search(r"[（(][类款项][)）]", subject) else _SPENT.sub("", name)
    for candidate in dict.fromkeys((name, shorter)):
        if spec := next((s for s in specs if re.search(s["subject"], candidate)), None):
            return spec
    return None


def audit_document(doc: Document, facts: Sequence[Fact], context: Context = Context()) -> list[Finding]:
    """Every inconsistency found in one document, by page, then severity."""
    found = _Audit(doc, facts, context).run()
    return sorted(found, key=lambda f: (f.pages[:1] or [0], SEVERITIES.index(f.severity), f.rule))


class Stored:
    """A store's documents, their facts and their empty tables, each read once."""

    def __init__(self, store: FactStore) -> None:
        self.store, self.documents = store, store.documents()
        self._facts: dict[str, Sequence[Fact]] = {}
        self._empty: dict[str, frozenset[str]] = {}
        self._chunks: dict[str, Sequence[Chunk]] = {}

    def facts(self, d: Document) -> Sequence[Fact]:
        if d.doc_id not in self._facts:
            self._facts[d.doc_id] = self.store.facts(d.doc_id)
        return self._facts[d.doc_id]

    def chunks(self, d: Document) -> Sequence[Chunk]:
        if d.doc_id not in self._chunks:
            self._chunks[d.doc_id] = self.store.chunks(d.doc_id)
        return self._chunks[d.doc_id]

    def empty(self, d: Document) -> frozenset[str]:
        if d.doc_id not in self._empty:  # tables printed 本表无数据 are kept as chunks, not facts
            self._empty[d.doc_id] = frozenset(c.metadata.get("table_kind", "") for c in self.chunks(d)
                                              if c.kind == "table" and c.metadata.get("empty"))
        return self._empty[d.doc_id]

    def context(self, doc: Document) -> Context:
        same = [o for o in self.documents if o.disclosure_id == doc.disclosure_id and o.doc_id != doc.doc_id]
        previous = [(o, self.facts(o)) for o in self.documents if doc.year and o.year == doc.year - 1
                    and (o.unit_name, o.kind, o.scope) == (doc.unit_name, doc.kind, doc.scope)]
        other = [(o, self.facts(o)) for o in self.documents if doc.scope == "部门" and o.scope == "单位"
                 and o.year == doc.year and (o.unit_name, o.kind) == (doc.unit_name, doc.kind)]  # one_unit_body's
        return Context([self.facts(o) for o in same], previous,
                       frozenset().union(*(self.empty(o) for o in [doc, *same])), other,
                       listed_counts(self.chunks(doc)))


def audit_stored(store: FactStore, documents: Sequence[Document]) -> list[Finding]:
    """Findings for these stored documents, each checked with its disclosure's other files and last year's."""
    stored = Stored(store)
    return [f for d in documents for f in audit_document(d, stored.facts(d), stored.context(d))]


def audit(store: FactStore, doc_id: str | None = None) -> list[Finding]:
    """Findings for one stored document, or for every document, with the files of one disclosure compared."""
    stored = Stored(store)
    documents, facts_of = stored.documents, stored.facts
    chosen = [d for d in documents if doc_id is None or d.doc_id == doc_id]
    findings = [finding for d in chosen for finding in audit_document(d, facts_of(d), stored.context(d))]
    for d in chosen:
        findings += disclosure_conflicts(d, facts_of(d), [
            (o, facts_of(o)) for o in documents if o.disclosure_id == d.disclosure_id and o.doc_id != d.doc_id
            and (doc_id is not None or o.doc_id < d.doc_id)])  # each pair once when every document is audited
    return findings


def disclosure_conflicts(doc: Document, facts: Sequence[Fact],
                         others: Sequence[tuple[Document, Sequence[Fact]]]) -> list[Finding]:
    """Two files claiming one unit, year and kind that print the same cell with different figures."""
    out = []
    for other, theirs in others:
        for c in conflicts(facts, theirs):
            expected, actual = _to(c.old.value, c.old.unit, c.new.unit), c.new.value
            out.append(Finding("same_disclosure", "error", doc.doc_id, doc.unit_name, doc.year, [c.new.page],
                               c.new.table_title, c.new.row_label, c.new.column, expected, actual, actual - expected,
                               f"《{doc.file_name}》第{c.new.page}页写{_n(actual)}{c.new.unit}，同一单位、年度的"
                               f"《{other.file_name}》第{c.old.page}页写{_n(c.old.value)}{c.old.unit}"))
    return out
