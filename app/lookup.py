"""Exact fact lookup: the row, column and table a figure question means, in one document."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from difflib import SequenceMatcher
from functools import cached_property, lru_cache

from rapidfuzz import fuzz

from app.frame import STAGE_CARRIES, Frame
from app.lexicon import get_lexicon
from app.scope import aliases
from app.scope import places as place_names
from ingest.classification import bare, class_name
from store.models import PROSE, Document, Fact

# Which table answers an amount question when a label stands in several (三公 items sit in the
# 三公 table and in the economic table; totals in 收支总表 and 财政拨款收支总表).
TABLE_PRIORITY = ("三公经费表", "机关运行经费表", "支出总表", "收入总表", "收支总表", "一般公共预算支出表",
                  "财政拨款收支总表", "基本支出经济分类表", "项目支出表", "政府性基金支出表", "政府性基金收入表",
                  "国有资本经营表", "其他表", "绩效目标表", PROSE)
_GENERIC = {"合计", "小计", "总计", "部门合计", "项目", "其他", "金额", "预算数", "本年", "上年"}
GENERIC_LABELS = frozenset(_GENERIC)  # labels that name no item of their own
_TOTAL_LABELS = ("合计", "总计", "收入总计", "支出总计", "本年收入合计", "本年支出合计")
_COUNTERS = {"辆": ("车",), "个": ("个", "机构", "科室", "处室", "项目", "单位数"), "人": ("人", "名"), "名": ("人", "名"),
             "项": ("项",), "家": ("家", "单位数"), "次": ("次", "批"), "台": ("台",), "平方米": ("面积", "平方米"),
             "件": ("件",), "期": ("期",), "份": ("份",), "分": ("分", "得分", "评分")}


def norm(label: str) -> str:
    """A label reduced for matching: no ordinals, brackets or quotes unified, no spaces."""
    return get_lexicon().normalise(label)


def table_subject(table_kind: str) -> str:
    """What a kind of table is about: 三公经费表 → 三公经费, 收支总表 → 收支."""
    return table_kind.removesuffix("表").removesuffix("总")


@dataclass(frozen=True)
class Found:
    """The figure that answers a question, with the facts it comes from and how."""

    doc: Document
    facts: tuple[Fact, ...]
    value: Decimal
    unit: str
    label: str
    column: str
    how: str = "lookup"  # lookup | sum | share | prose
    inputs: tuple[Fact, ...] = field(default_factory=tuple)  # for derived figures: what they derive from
    # another file claiming the same unit, year and kind that states this figure differently
    dissent: tuple[Found, ...] = field(default_factory=tuple)
    base: str = ""  # for a share: the whole, as the question named it (基本支出), when its row is a 合计


class DocFacts:
    """One document's facts indexed by normalised row label and by code."""

    def __init__(self, doc: Document, facts: Sequence[Fact]) -> None:
        self.doc = doc
        self.facts = list(facts)
        self.by_label: dict[str, list[Fact]] = defaultdict(list)
        self.by_code: dict[str, list[Fact]] = defaultdict(list)
        self.by_alt: dict[str, list[Fact]] = defaultdict(list)  # second names (政府预算经济分类), matched last
        self.prose = [f for f in self.facts if f.table_kind == PROSE]
        skip = {norm(a) for a in aliases(doc.unit_name)}
        self.self_names = skip  # the document's own unit name, never a row it could be about
        places = sorted(place_names(doc.unit_name), key=len, reverse=True)
        for f in self.facts:
            if f.table_kind == PROSE:
                continue
            key = norm(f.row_label)
            if key and key not in skip:
                self.by_label[key].append(f)
            for name in _alternate_names(f):
                self.by_alt[norm(name)].append(f)
            if key and (short := _short_name(key, places)) != key:
                self.by_alt[short].append(f)  # 忻州市食品公司经费 is "食品公司" to its own staff
            if f.row_code:
                self.by_code[f.row_code].append(f)

    @cached_property
    def title_cores(self) -> list[str]:
        """The document's table titles as a question names them (no year or number), longest first."""
        cores = {_TITLE_NOISE.sub("", norm(f.table_title)) for f in self.facts if f.table_kind != PROSE}
        return sorted((c for c in cores if len(c) >= 6 and c.endswith("表")), key=len, reverse=True)

    @cached_property
    def table_stages(self) -> frozenset[str]:
        """The budget stages (年初预算数, 全年预算数, 决算数) some table column of the document carries."""
        columns = {norm(f.column) for f in self.facts if f.table_kind != PROSE}
        return frozenset(s for s, words in STAGE_CARRIES.items() if any(w in c for c in columns for w in words))

    @cached_property
    def labels_longest_first(self) -> list[str]:
        """Labels for verbatim matching, longest first, generic words left out."""
        names = {*self.by_label, *self.by_alt}
        return sorted((k for k in names if len(k) >= 2 and k not in _GENERIC), key=len, reverse=True)

    def subjects(self, query: Frame, text: str) -> list[str]:
        """Labels of this document the question names, in question order; at one place the most
        specific first (a synonym's own label before the generic 合计 it may also mean)."""
        text = norm(text)
        for core in self.title_cores:  # "收入支出决算总表里，上级补助收入": the table named is where, not what
            if core in text:
                text = text.replace(core, " " * len(core))
        found: list[tuple[int, int, str]] = []
        taken: list[tuple[int, int]] = []
        for label in self.labels_longest_first:
            start = text.find(label)
            if start >= 0 and not any(a < start + len(label) and start < b for a, b in taken):
                taken.append((start, start + len(label)))
                found.append((start, 0, label))
        for match in get_lexicon().scan(text):
            for rank, label in enumerate(norm(x) for x in match.labels):
                if (label in self.by_label or label in self.by_alt) and all(label != x for *_, x in found):
                    found.append((match.start, 1 + rank + (100 if label in _GENERIC else 0), label))
        return [label for *_, label in sorted(found)]


_FUNDS_WORD = re.compile(r"(专项经费|工作经费|经费|资金)$")


def _short_name(label: str, places: Sequence[str]) -> str:
    """A project row without the unit's place in front or the word 经费 behind (忻州市食品公司经费 → 食品公司);
    the label itself when nothing distinctive of four characters or more is left."""
    short = label
    for place in places:
        if short.startswith(place):
            short = short[len(place):]
            break
    short = _FUNDS_WORD.sub("", short)
    return short if len(short) >= 4 else label


def _alternate_names(f: Fact) -> tuple[str, ...]:
    """Names a row carries besides its label: the second name column of the Shanxi economic table."""
    path = f.row_path
    names = path[path.index(f.row_label) + 1:] if f.row_label in path else ()
    # 政府采购 rows carry the 品目 class letter (一、货物A, 三、服务C): the item is 货物, 服务
    item = class_item(f.row_label)
    return (*names, item) if item else names


_CLASS_LETTER = re.compile(r"^([\u4e00-\u9fff]{2,})[a-cA-C]$")


def class_item(label: str) -> str | None:
    """The item of a row labelled with its 政府采购品目 class letter (三、服务C → 服务), else None."""
    m = _CLASS_LETTER.match(norm(label))
    return m.group(1) if m else None


def _column_ok(f: Fact, column: str | None) -> bool:
    if not column:
        return True
    if column == "基本支出" and f.table_kind == "基本支出经济分类表":
        return f.column.split(" / ")[-1] in ("合计", "小计")
    return any(column in part for part in f.column.split(" / "))


def _rows(facts: Sequence[Fact]) -> dict[tuple, list[Fact]]:
    rows: dict[tuple, list[Fact]] = defaultdict(list)
    for f in facts:
        rows[(f.table_title, f.page, f.row_code, f.row_path, f.bbox[1] if f.bbox else 0)].append(f)
    return rows


_SOURCES = ("财政拨款", "一般公共预算", "政府性基金")  # funding sources a question may name; tables are titled by them
_CHANGE_COLUMN = re.compile(r"增减|增长|比上年|变动|变化|率|%|上年")


def default_cell(cells: Sequence[Fact], doc: Document | None) -> Fact:
    """The figure a row stands for when no column is asked: this year's, the 决算 of a 决算 document,
    never a change column; else the first (合计 comes first in every template seen)."""
    def score(f: Fact) -> tuple:
        col = f.column
        this_year = bool(doc and doc.year and f"{doc.year}" in col)
        other_year = bool(re.search(r"20\d{2}", col)) and not this_year
        kind = bool(doc and doc.kind == "决算" and "决算" in col)
        return (bool(_CHANGE_COLUMN.search(col)), other_year, not kind, not this_year)
    return min(cells, key=lambda f: (score(f), cells.index(f)))


_LAST_YEAR = re.compile(r"上年(?!结转|结余)")


def previous_year_column(column: str, year: int) -> bool:
    """Whether a column header is of the year before the document's ("2016年预算数", "上年预算数"), not a
    change over it (比上年增减) nor 上年结转 (a source of this year's funds)."""
    return (str(year) in column or bool(_LAST_YEAR.search(column))) and not _CHANGE_COLUMN.search(
        column.replace("上年", ""))


def previous_year(query: Frame, doc: Document | None) -> int | None:
    """The year before the document's, when that is the year asked (2016 of the 2017 budget)."""
    if doc and doc.year and doc.year not in query.years and doc.year - 1 in query.years:
        return doc.year - 1
    return None


def pick(facts: Sequence[Fact], query: Frame, label: str, doc: Document | None = None) -> tuple[list[Fact], str] | None:
    """The cell(s) of the best table that answer: the asked column, else the row's default figure."""
    if query.column and query.column in label and query.column != label and label in norm(query.question):
        query = replace(query, column=None)  # "国有资本经营预算财政拨款收入": the row says 财政拨款 itself
    by_table: dict[str, list[Fact]] = defaultdict(list)
    for f in facts:
        by_table[f.table_title].append(f)
    hinted = [k for k in query.table_kinds if k in TABLE_PRIORITY]

    sources = [w for w in _SOURCES if w in query.question]

    def funds_titled(title: str) -> bool:  # "财政拨款安排的…": a table titled by the funds asked is that column
        return bool(query.column and query.column in _SOURCES and query.column in title)

    def rank(title: str) -> tuple:
        kind = by_table[title][0].table_kind
        has_col = any(_column_ok(f, query.column) for f in by_table[title]) or funds_titled(title)
        # "财政拨款基本支出" is the 财政拨款 table's figure, not the all-sources 支出总表's
        missing = sum(1 for w in sources if w not in title and not any(w in f.column + f.row_label for f in by_table[title]))
        titled = norm(label) in norm(title)  # "会议费" in "“三公”经费、会议费、培训费支出预算表": that table's own item
        return (not titled_in(title, query.question), missing, not has_col, not titled, kind not in hinted,
                TABLE_PRIORITY.index(kind) if kind in TABLE_PRIORITY else 99)

    earlier = previous_year(query, doc)
    for title in sorted(by_table, key=rank):
        rows = _rows(by_table[title])
        chosen: list[Fact] = []
        for cells in rows.values():
            if earlier:  # 2016 asked of the 2017 document: only its 上年 / 2016 column answers
                cells = [c for c in cells if previous_year_column(c.column, earlier)]
            if query.stage:  # "全年预算数" printed beside the 决算数: that column
                cells = [c for c in cells if has_stage(c, query.stage)] or cells
            if not cells:
                continue
            if (funds_titled(title) or (query.column and query.column in title)) and not any(
                    _column_ok(c, query.column) for c in cells):
                # "财政拨款安排的…": the 财政拨款支出预算表's own figure; 基本支出 of a row of the 基本支出 table
                cells = [default_cell(cells, doc)]
            elif query.column:
                cells = [c for c in cells if _column_ok(c, query.column)]
            else:
                cells = [default_cell(cells, doc)]
            if cells:
                chosen.append(cells[0])
        if not chosen:
            continue
        if len(chosen) > 1:
            chosen = under_named_groups(chosen, query.question)
        # A label carried down a merged cell over its 小计 and the lines of it: the 小计 is the figure, not a sum
        subtotals = [f for f in chosen if any(p in ("小计", "合计") for p in f.row_path[1:])]
        if len(chosen) > 1 and len(subtotals) == 1:
            chosen = subtotals
        codes = [f.row_code for f in chosen if f.row_code]
        if len(chosen) > 1 and len(codes) == len(chosen):
            # 款 and 项 can share a name (其他商业服务业等支出): the broader code is the answer.
            chosen = [min(chosen, key=lambda f: len(f.row_code or ""))]
        return chosen, title
    return None


_GROUP_MARKS = re.compile(r"[A-Z]$|类$")


def group_core(label: str) -> str:
    """A group row's name as a question says it: "三、服务C" → 服务."""
    return _GROUP_MARKS.sub("", bare(label).strip())


def under_named_groups(cells: list[Fact], question: str) -> list[Fact]:
    """Of rows printing one label in several groups, those under the groups the question names
    (服务类 › 省政协专项会议 › 住宿服务, not the 住宿服务 of the 培训费 group); all of them when it names none."""
    q = norm(question)

    def named(f: Fact) -> int:
        return sum(1 for p in set(f.row_path) if p != f.row_label and len(core := norm(group_core(p))) >= 2 and core in q)
    best = max(map(named, cells))
    return [f for f in cells if named(f) == best] if best else cells


_TITLE_NOISE = re.compile(r"^(20\d\d年度?)?(预算单位|单位|部门)?(公开)?\d*表?|[“”\"（）()]|（?[功经][能济](分类|科目)）?$")


def titled_in(title: str, question: str) -> bool:
    """Whether the question names this table ("收支预算总表里…"): its title without year and number."""
    core = _TITLE_NOISE.sub("", norm(title))
    return len(core) >= 4 and core in norm(question)


def _titled_total(doc_facts: DocFacts, query: Frame) -> Found | None:
    """The 合计 of the table titled by the asked column and every funding source asked (一般公共预算基本支出预算表),
    when the question names a source: the all-sources 支出总表's 基本支出 row is another, larger figure."""
    sources = [w for w in _SOURCES if w in query.question]
    if not sources or not query.column:
        return None
    cell = next((f for f in doc_facts.facts if f.table_kind != PROSE and norm(f.row_label) in ("合计", "总计")
                 and query.column in f.table_title and all(w in f.table_title for w in sources)
                 and f.column.split(" / ")[-1] in ("合计", "金额", "小计", query.column)), None)
    return _found(doc_facts.doc, [cell], "".join(sources) + query.column) if cell else None


_TABLE_WORDS = re.compile(r"^20\d\d年度?|(预算|决算)?(明细)?表$")


def title_subject(title: str) -> str:
    """What a table's title says it is of, without year and 预算表 (2018年政府采购预算表 → 政府采购)."""
    return _TABLE_WORDS.sub("", norm(title))


def _table_named(doc_facts: DocFacts, query: Frame, text: str) -> Found | None:
    """The 合计 row of a table whose subject the question names and no row does (政府采购 → 2018年政府采购预算表)."""
    asked = norm(text)
    for title in dict.fromkeys(f.table_title for f in doc_facts.facts if f.table_kind != PROSE):
        core = title_subject(title)
        if len(core) < 4 or core not in asked or _ASKING.sub("", re.sub(r"总额|总数|全部|所有", "", asked.replace(core, ""))):
            continue  # "财政拨款基本支出里人员经费": a row of the table is asked, not its total
        rows = [f for f in doc_facts.facts if f.table_title == title and norm(f.row_label) in ("合计", "总计")]
        if rows:
            cell = default_cell(rows, doc_facts.doc)
            return _found(doc_facts.doc, [cell], f"{core}{norm(cell.row_label)}")
    return None


def has_stage(f: Fact, stage: str) -> bool:
    """Whether a figure is of the budget stage named (年初预算数, 全年预算数 or its 调整预算数)."""
    return any(w in norm(f.column) for w in STAGE_CARRIES[stage])


def find_amount(doc_facts: DocFacts, query: Frame, text: str) -> Found | None:
    """An amount: by code, else by the label the question names, else a total the question implies."""
    doc = doc_facts.doc
    if query.stage and query.stage not in doc_facts.table_stages:
        # 决算 documents state 年初预算 and 全年预算 in their explanation, not in a table
        found = find_prose(doc_facts, query, text, (query.stage,))
        if found:
            return found
    for code in query.codes:
        # a 类 the table prints by name only (财务收支预算总表's 一、一般公共服务支出) is found by its national name
        rows = doc_facts.by_code.get(code, []) + doc_facts.by_label.get(norm(class_name(code) or ""), [])
        picked = pick(rows, query, code, doc) if rows else None
        if picked:
            return _found(doc, picked[0], picked[0][0].row_label)
    if query.column and query.column not in _SOURCES and not any(
            _column_ok(f, query.column) for f in doc_facts.facts if f.table_kind != PROSE):
        # 决算 templates print 人员经费 / 公用经费 as rows ("人员经费合计"), not as columns
        if titled := _titled_total(doc_facts, query):  # "一般公共预算基本支出": its own table's 合计
            return titled
        for label in (f"{query.column}合计", query.column):
            rows = doc_facts.by_label.get(norm(label))
            picked = pick(rows, replace(query, column=None), label, doc) if rows else None
            if picked:
                return _found(doc, picked[0], picked[0][0].row_label)
    for label in _children_first(_qualifiers_last(doc_facts.subjects(query, text), query.column), doc_facts, text):
        facts = doc_facts.by_label.get(label) or doc_facts.by_alt.get(label, [])
        if label in _GENERIC or label in _TOTAL_LABELS and label not in norm(text):
            # "合计" only through a synonym (三公经费 → its table's 合计 row), in the table it names.
            facts = [f for f in facts if f.table_kind in query.table_kinds]
            if query.table_kinds and query.table_kinds[0] not in _TOTAL_KINDS:
                # 机关运行经费 is its own table's 合计: a document without that table does not answer with
                # the 支出总表's 合计 (the question's 支出 hints at that table only as a fallback)
                facts = [f for f in facts if f.table_kind not in _TOTAL_KINDS]
            # A table whose 合计 also counts other items (三公 + 会议费 + 培训费) prints the subject's own
            # total under its column group ("“三公”经费 / 小计"): that one is the subject's.
            subject = [norm(t) for t in query.terms if norm(t) not in _GENERIC and norm(t) not in _TOTAL_LABELS]
            own = [f for f in doc_facts.facts if f.table_kind in query.table_kinds and norm(f.row_label) in _GENERIC
                   and any(s and s in norm(f.column) for s in subject)]
            facts = own or facts
        picked = pick(facts, query, label, doc) if facts else None
        if picked:
            name = picked[0][0].row_label
            if label in _GENERIC or label in _TOTAL_LABELS:  # "合计" of the 三公经费表 is the 三公经费合计
                subject = table_subject(picked[0][0].table_kind)
                # 合计 of the 三公经费表 is the 三公经费合计; 收入总计 names its side already
                name = subject + name if not re.sub(r"合计|总计|小计|部门|本年|[\s、]", "", name) else name
            return _found(doc, picked[0], name)
    if whole := _table_named(doc_facts, query, text):  # "政府采购总额": the 合计 of the 政府采购预算表
        return whole
    fuzzy = _fuzzy_label(doc_facts, text)
    if fuzzy:
        picked = pick(doc_facts.by_label[fuzzy], query, fuzzy, doc)
        if picked:
            return _found(doc, picked[0], picked[0][0].row_label)
    if not _specific(get_lexicon().without_columns(text)):  # "人头经费" names the column 人员经费, nothing more
        found = _total(doc_facts, query, text)
        if found:
            return found
    return find_prose(doc_facts, query, text, ("金额",), explain_all=True)


def _children_first(labels: list[str], doc_facts: DocFacts, text: str) -> list[str]:
    """The labels, one printed under another the question names first: "省政协专项会议的住宿服务" asks for the
    住宿服务 line of that group, not the group (both as printed: a synonym's labels are alternatives)."""
    asked = norm(text)
    verbatim = {x for x in labels if x in asked}

    def under_another(label: str) -> bool:
        rows = doc_facts.by_label.get(label, []) if label in verbatim else []
        return any(norm(p) in verbatim and norm(p) != label for f in rows for p in f.row_path)
    return sorted(labels, key=lambda x: not under_another(x))


def _qualifiers_last(labels: list[str], column: str | None) -> list[str]:
    """The labels, a row named like the asked column last: in "财政拨款安排的一般公共服务支出" 财政拨款 says
    which funds (the column), 一般公共服务支出 which row."""
    qualifier = {norm(column + end) for end in ("", "收入", "支出")} if column else set()
    rows = [x for x in labels if x not in qualifier]
    return rows + [x for x in labels if x in qualifier] if rows else labels


FUZZY_ROW = 85  # a project or item named a little differently ("投保出口信用保险" for "投保中国出口信用保险")


def _fuzzy_label(doc_facts: DocFacts, text: str) -> str | None:
    """A long row label the question names almost verbatim, when no label matched exactly."""
    best: tuple[float, str] | None = None
    for piece in key_phrases(text):
        if len(piece) < 6:
            continue
        for label in doc_facts.labels_longest_first:
            if len(label) < 6 or label not in doc_facts.by_label:
                continue
            score = fuzz.ratio(piece, label)
            if score >= FUZZY_ROW and (best is None or score > best[0]):
                best = (score, label)
    if best:
        return best[1]
    # An abbreviated long name ("外贸企业出口信保的保费补贴" for 外贸企业投保中国出口信用保险保费补贴): the
    # question's words, in order, nearly all in one long label that they cover for the most part
    asked = "".join(_FILLER.sub("", _SCOPE_WORDS.sub("", p)) for p in key_phrases(text))
    if len(asked) < 6 or _lexicon_named(asked):
        return None  # a name the lexicon knows (公务用车购置费) is that item, never a longer row around it
    scored = []
    for label in doc_facts.labels_longest_first:
        if len(label) < 8 or label not in doc_facts.by_label:
            continue
        covered = _covered(asked, label)
        if covered >= ABBREVIATED * len(asked) and covered >= len(label) / 2:
            scored.append((covered, label))
    scored.sort(reverse=True)
    if scored and (len(scored) == 1 or scored[0][0] > scored[1][0]):  # one label clearly best, else none
        return scored[0][1]
    return None


# verbs of giving beside the asking words (给了, 安排了 are cut already); never a single character, which
# would cut 用 out of 公务用车
_FILLER = re.compile(r"用了|发了|拨付")
ABBREVIATED = 0.85  # of the question's words a long label must contain, in order, to be named by them


_SCOPE_WORDS = re.compile(r"今年|本年|当年|全年|全部|所有|支出|收入|^总|部门|单位|^本|财政拨款|一般公共预算|基本|项目|人员|公用")


def _specific(text: str) -> bool:
    """Whether the question names something beyond a total (a project, an item) that was not found."""
    return any(_SCOPE_WORDS.sub("", piece) for piece in key_phrases(text))


_TOTAL_KINDS = ("支出总表", "一般公共预算支出表", "基本支出经济分类表", "收支总表", "财政拨款收支总表", "收入总表")


def _total(doc_facts: DocFacts, query: Frame, text: str) -> Found | None:
    """The 合计 row of the table that has the asked column (人员经费, 基本支出 …) or total."""
    side = "收入" if "收入" in text and "支出" not in text else "支出"
    totals = [f for f in doc_facts.facts if f.table_kind in _TOTAL_KINDS and norm(f.row_label) in _TOTAL_LABELS
              and _column_ok(f, query.column)]
    if side == "收入":
        totals = [f for f in totals if "收入" in f.row_label + f.column or f.table_kind == "收入总表"]
    else:
        totals = [f for f in totals if f.table_kind != "收入总表" and "收入" not in f.row_label + f.column]
    for kind in _TOTAL_KINDS:
        rows = [f for f in totals if f.table_kind == kind]
        if rows:
            cell = rows[0] if query.column else min(rows, key=lambda f: f.bbox[0] if f.bbox else 0)
            return _found(doc_facts.doc, [cell], query.column or f"{side}合计")
    return None


def _found(doc: Document, facts: list[Fact], label: str) -> Found:
    value = sum((f.value for f in facts), Decimal(0))
    how = "sum" if len(facts) > 1 else "lookup"
    return Found(doc, tuple(facts), value, facts[0].unit, label, facts[0].column.split(" / ")[-1], how)


# Words of a question that say what is asked, not what it is about.
_ASKING = re.compile(r"(?:多少|几)(?:个(?!人)|件|期|份|套|处|间|户|台|辆|名|项(?!目)|家|次|人(?!员))|(?:比|较|与|和|跟)\s*\d{4}\s*年度?(?:相比|比)?|[多少高低]了|多出|了(?=[几多哪什])|相当于|约合|大概|大约|差不多|左右|那个|这个|哪家|哪个|谁家|一年|每年|给了|拨了|花了|要交|多少万元|多少万|多少元|多少钱|是多少|有多少|多少|一共|总共|合计|加起来|安排了|安排|年初预算数|全年预算数|"
                     r"预算数|预算|决算数|决算|执行数|实际支出|支出了|金额|"
                     r"资金|经费|钱|万元|元|吗|呢|是|(?<![实共拥占])有|的|总|占比|比重|比例|比上年|较上年|比去年|同比|增长率|增长|增加|"
                     r"减少|下降|百分比|百分之几|几个|几辆|几名|几项|几家|多大|面积|数量|数(?=$|[？?])|占|其中|之中|当中|里|中的|"
                     r"[？?，,。！!\s]")


# "服务类", "货物这块", "人员方面": the kind of thing named, not part of its name
_KIND_OF = re.compile(r"(?<=..)(类|方面|这块|这一块|那块|部分|这部分|这项|一项)$")


def key_phrases(text: str) -> list[str]:
    """What the question is about, in pieces: the text with asking words cut out ("生命健康专项")."""
    pieces = (_KIND_OF.sub("", p) for p in _ASKING.split(norm(text)))
    return [p for p in pieces if len(p) >= 2]


def overlap(a: str, b: str) -> int:
    """The length of the longest run of characters two texts share."""
    m = SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b))
    return m.size


def find_prose(doc_facts: DocFacts, query: Frame, text: str, columns: tuple[str, ...],
               explain_all: bool = False) -> Found | None:
    """A figure the prose states (an amount, share, change, count) about the subject the question names.

    Subjects are tried in question order, so "A占B的比例" finds A's share; the first that matches wins."""
    candidates = [f for f in doc_facts.prose if f.column in columns]
    if query.intent in ("count", "area") or query.intent == "change" and _COUNTED_CHANGE.search(text):
        candidates = [f for f in candidates if _counter_fits(f.unit, text)]  # "增加了几人": people, not money
        if asked := _ASKED_COUNTER.search(text):  # "打了多少分": a score, not the 1个 project scored
            same = {"人": ("人", "名"), "名": ("人", "名")}.get(asked.group(1), (asked.group(1),))
            fitting = [f for f in candidates if f.unit in same]
            if len(fitting) == 1 and overlap(norm(text), norm(fitting[0].raw_text)) >= 4:
                # the one figure in that counter, in a sentence the question names ("绩效自评…平均得分100.00分")
                f = fitting[0]
                return Found(doc_facts.doc, (f,), f.value, f.unit, f.row_label, f.column, "prose")
            candidates = fitting or candidates
    if not candidates:
        return None
    if query.intent in ("change", "rate") and not key_phrases(text) and not query.terms:
        f = candidates[0]  # "预算比上年增长率是多少": the document's own headline change comes first
        return Found(doc_facts.doc, (f,), f.value, f.unit, f.row_label, f.column, "prose")
    shortest = 3 if explain_all else 2  # a two-character piece (收入) may pick a share or a change, not an amount
    # 人员经费 is known as a column word only, and 经费 is an asking word: the column names the subject
    named_column = [norm(query.column)] if query.column and query.column in text else []
    pieces = _in_question_order(norm(text), doc_facts.subjects(query, text) + key_phrases(text)
                                + [norm(t) for t in query.terms] + named_column)
    # "政协会议支出" names the item 政协会议: a function item is said with or without 支出
    pieces += [p.removesuffix("支出") for p in pieces if p.endswith("支出") and len(p) >= 6]
    # Each fact scores by how well it matches each piece; the pieces it matches add up, so a figure
    # that answers "生命健康专项里支持企业规模化发展" beats the 专项's total, and at equal scores the
    # piece named first wins ("A占B的比例" is A's share).
    # a name no lexicon term covers (a project, a subsidy): its figure's sentence may be found by it
    free = {p for p in pieces if not _lexicon_named(p)}
    best: tuple | None = None
    for order, f in enumerate(candidates):
        if explain_all and not _explains(f, text):
            continue  # an amount read from prose must account for every part of the question
        label = norm(f.row_label)
        # "政协事务（款）政协会议（项）" is the 项 政协会议 (its 款 says where it stands)
        item = _ITEM.search(f.row_label)
        label = norm(item.group(1)) if item and len(norm(item.group(1))) >= 2 else label
        heading = norm(f.table_title)
        total, first, detail, named = 0, len(pieces), (0, 0), ""
        # a short word is a qualifier of a matched name ("政府采购里货物" → 政府采购货物), never a match alone
        qualifiers = [p for p in pieces if len(p) < shortest and label and p in label and p != label]
        for index, piece in enumerate(pieces):
            if piece in qualifiers:
                continue
            if label and (label == piece or min(len(label), len(piece)) >= shortest and (label in piece or piece in label)):
                # the same name, then a name ending in it (its head noun), then a longer phrase
                exact = 2 if label == piece else 1 if label.endswith(piece) or piece.endswith(label) else 0
                tier, here = 3, (exact, -abs(len(label) - len(piece)))
            elif label and (fuzz.ratio(label, piece) >= FUZZY_LABEL or len(piece) >= 3 and _abbreviates(piece, label)):
                tier, here = 2, (0, 0)  # a misprint, or an abbreviation (运行费 of 公务用车运行维护费)
            elif (common := overlap(piece, heading)) >= 4:
                tier, here = 1, (0, common)
            elif (piece in free and len(piece) >= SENTENCE_NAMES and overlap(piece, sentence := norm(f.raw_text)) >= 4
                  and (common := _covered(piece, sentence)) >= 0.8 * len(piece)):
                tier, here = 1, (0, common)  # the sentence names it, though its parsed subject is another
                named = named or piece
            else:
                continue
            named = "" if tier > 1 else named
            total += tier
            if index < first:
                first, detail = index, here
        if total:
            key = (len(qualifiers) if total >= 3 else 0, total, -first, detail, -order)
            if best is None or key > best[0]:
                best = (key, f, named)
    if best is None:
        return None
    _, f, named = best
    # found by its sentence, not its parsed subject: the figure is named as asked, not as "预算收入"
    return Found(doc_facts.doc, (f,), f.value, f.unit, named or f.row_label, f.column, "prose")


def _lexicon_named(text: str) -> bool:
    """Whether one lexicon term covers the text but for two characters at most."""
    return any(m.end - m.start >= len(text) - 2 for m in get_lexicon().scan(text))


def _abbreviates(short: str, name: str) -> bool:
    """Whether short's characters stand in name in order, as a Chinese abbreviation's do (公车运维费)."""
    rest = iter(name)
    return len(short) < len(name) and all(ch in rest for ch in short)


def _covered(piece: str, context: str) -> int:
    """How many characters of piece the context shares in runs of two or more, in order."""
    blocks = SequenceMatcher(None, piece, context, autojunk=False).get_matching_blocks()
    return sum(b.size for b in blocks if b.size >= 2)


def _explains(f: Fact, text: str) -> bool:
    parts = [norm(x) for x in (f.row_label, f.table_title, f.raw_text)]
    context = "".join(parts)
    for piece in key_phrases(text):
        piece = _SCOPE_WORDS.sub("", piece)
        # covered in one part, in order (a heading's 绩效目标 must not hide the sentence's 公开…绩效目标)
        covered = max(_covered(piece, part) for part in (*parts, context))
        if len(piece) >= 2 and piece not in context and covered < max(3, len(piece) * 0.8) and not _synonym_in(piece, context):
            return False
    return True


def _synonym_in(piece: str, context: str) -> bool:
    """Whether the piece is a lexicon term (车子) one of whose printed labels (公务用车) the context has."""
    return any(label in context for label in _term_labels(piece))


@lru_cache(maxsize=4096)
def _term_labels(piece: str) -> tuple[str, ...]:
    """The printed labels of the lexicon term that is the whole piece (scanned once per piece, not per fact)."""
    return tuple(n for m in get_lexicon().scan(piece) if m.end - m.start == len(piece)
                 for n in map(norm, m.labels) if len(n) >= 2)


_ITEM = re.compile(r"[（(]款[)）]\s*([^（）()]+?)\s*[（(]项[)）]$")
SENTENCE_NAMES = 6  # characters of a long name a prose figure's own sentence must print to be about it
FUZZY_LABEL = 88  # prose names a row a little differently (一般公共预算服务支出 for 一般公共服务支出)


def _in_question_order(text: str, pieces: list[str]) -> list[str]:
    """Pieces sorted by where they stand in the question (synonyms last), longer first at one place."""
    unique = list(dict.fromkeys(p for p in pieces if p))
    where = {p: (text.find(p) if p in text else 10_000 + i, -len(p)) for i, p in enumerate(unique)}
    return sorted(unique, key=where.__getitem__)


_ASKED_COUNTER = re.compile(r"(?:多少|几)(件|期|份|辆|台|人|名|家|次|分)(?![之钟])")
_COUNTED_CHANGE = re.compile(r"几(?:个|人|名|辆|台|项|家)|多少(?:个|人|名|辆|台|项|家)")


def _counter_fits(unit: str, text: str) -> bool:
    words = _COUNTERS.get(unit)
    return bool(words) and any(w in text for w in words)


def compute_share(doc_facts: DocFacts, query: Frame, text: str) -> Found | None:
    """A share the prose does not state: the part over its table's total, same column, in %."""
    subjects = doc_facts.subjects(query, text)
    if not subjects:
        return None
    part = pick(doc_facts.by_label[subjects[0]], query, subjects[0], doc_facts.doc)
    if not part:
        return None
    cell = part[0][0]
    whole_label = subjects[1] if len(subjects) > 1 else None
    pool = doc_facts.by_label.get(whole_label, []) if whole_label else [
        f for f in doc_facts.facts if f.table_title == cell.table_title and norm(f.row_label) in _TOTAL_LABELS]
    whole = [f for f in pool if f.column == cell.column and f.table_title == cell.table_title]
    if not whole or not whole[0].value or whole[0].fact_id in {f.fact_id for f in part[0]}:
        return None  # a total over itself is no share
    share = (sum(f.value for f in part[0]) / whole[0].value * 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return Found(doc_facts.doc, tuple(part[0]), share, "%", cell.row_label, "占比", "share", (whole[0],))
