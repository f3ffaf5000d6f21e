"""Which rows of a table are largest or smallest, which pass a line, and where one row stands among its siblings.

"商品和服务支出下面排前三的是哪几项", "按项级科目看哪个支出最大", "超过100万元的项目有哪些", "公务接待费排第几":
the rows compared are siblings in one printed table (the children of the row the question names, the rows of
the level it names — 类/款/项 — or the named row's own siblings), ordered by the column it names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal

from app.compose import fmt
from app.frame import Frame
from app.lexicon import get_lexicon
from app.lookup import DocFacts, Found, find_amount, norm
from app.verify import explained_item, explained_project
from ingest.classification import bare
from ingest.numbers import MONEY, convert
from store.models import PROSE, Fact

# 类 3 digits, 款 5, 项 7, in the function classification; the economic one has 类 (301) and 款 (30101) only.
_CODE_LENGTH = {"类": 3, "款": 5, "项": 7}
_DEPTH = {"类": 1, "款": 2, "项": 3}  # rows without codes: their depth in the printed hierarchy
_TOTALS = re.compile(r"^(合计|小计|总计|共计|收入合计|支出合计|本年支出合计|本年收入合计|项目总额?)$|合计$")
# Words that ask for the order of rows, not for a figure: dropped before the named row is looked up.
_RANK_WORDS = re.compile(r"(排(?:在|名)?)?前[一二两三四五六七八九十\d]+(位|名|项|个|大)?|排(?:在)?第几(?:位|名)?|第几(?:位|名|大)|"
                         r"最(?:高|多|大|低|少|小)|哪(?:一|几)?(?:个|项|类|款|些|种|块|部分|方面)?|什么|是|的|有|"
                         r"(?:超过|高于|大于|多于|不低于|不少于|低于|少于|不足)\s*[\d,.]+\s*(?:万元|元|亿元)(?:以上|以下)?|"
                         r"[类款项]级|按[^，。？?]{0,8}看|科目|明细|下面|里面|里|中|金额")


@dataclass(frozen=True)
class Ranked:
    """Sibling rows of one table in the order asked, and the one the question named (for 排第几)."""

    rows: tuple[Fact, ...]  # every sibling, largest first (or smallest first for 最少)
    picked: tuple[Fact, ...]  # what the answer names: the top n, the rows past the line, or the named row
    group: str  # what the rows are: the parent's label, or "项级科目"
    named: Fact | None = None  # the row whose place is asked


def rank(doc_facts: DocFacts, frame: Frame, text: str) -> Ranked | None:
    """The rows the question ranks, ordered, with those it asks for; None when no table holds such rows."""
    words = _RANK_WORDS.sub(" ", text)
    plain = replace(frame, total=False, extreme=None)
    anchor = find_amount(doc_facts, plain, words) if frame.terms or frame.codes else None
    if frame.ranking == "position":
        named = _named_under(doc_facts, frame) or (anchor.facts[0] if anchor else None)
        if named is None:
            return None
        rows = _siblings(doc_facts, named)
        group = named.row_path[-2] if len(named.row_path) > 1 else named.table_title
        leveled = [f for f in _same_column(doc_facts, named) if _at_level(f, frame.level, True)] if frame.level else []
        if named in leveled and len(leveled) > 1:  # "在项级科目中排第几": among every row of that level, not its siblings
            rows, group = leveled, f"{frame.level}级科目"
        return _ordered(rows, frame, group, named) if len(rows) > 1 else None
    rows, group = _candidates(doc_facts, frame, anchor.facts[0] if anchor else None)
    if len(rows) < 2 and words.strip():
        # a name the tables do not break down ("贸易高质量发展专项里哪一块"): the budget lines its explanation
        # prints, when the prose has them (…经费情况说明 > 六、年度预算安排: 项目总额 and its parts)
        found = find_amount(doc_facts, replace(plain, terms=()), words)
        if found is not None and found.facts[0].table_kind == PROSE:
            rows, group = _candidates(doc_facts, frame, found.facts[0])
    if len(rows) < 2 and _SEVERAL_EXPLAINED.search(text):
        rows, group = _explained_projects(doc_facts), EXPLAINED  # "四个专项，哪个钱最少"
    return _ordered(rows, frame, group) if len(rows) > 1 else None


def _named_under(doc_facts: DocFacts, frame: Frame) -> Fact | None:
    """The row of one term printed under another term the question names ("商品和服务支出里的公务接待费")."""
    for term in frame.terms:
        for parent in frame.terms:
            if parent == term:
                continue
            for f in doc_facts.by_label.get(norm(term), []):
                if any(norm(p) == norm(parent) for p in f.row_path[:-1]):
                    return f
    return None


def _candidates(doc_facts: DocFacts, frame: Frame, anchor: Fact | None) -> tuple[list[Fact], str]:
    """The rows compared: of the level named, the anchor's children (or siblings), or a named table's rows."""
    if frame.level:
        tables = [t for t in (anchor, *_tables(doc_facts, frame)) if t is not None]
        for coded in (True, False):  # rows coded at the level are that level; uncoded ones only by their depth
            for table in tables:
                rows = [f for f in _same_column(doc_facts, table) if _at_level(f, frame.level, coded)]
                if len(rows) > 1:
                    return rows, f"{frame.level}级科目"
        return [], ""
    if anchor is not None and not _is_total(anchor) and norm(anchor.row_label) not in doc_facts.self_names:
        children = [f for f in _same_column(doc_facts, anchor)
                    if len(f.row_path) == len(anchor.row_path) + 1 and f.row_path[:-1] == anchor.row_path]
        if len(children) > 1:
            return children, anchor.row_label
        return _siblings(doc_facts, anchor), (anchor.row_path[-2] if len(anchor.row_path) > 1 else "")
    if classes := get_lexicon().column_classes.get(frame.column or ""):
        tables = _tables(doc_facts, frame)
        for table in tables:
            # "公用经费里哪项最多" where the table prints that column: its rows, in that column
            like = next((f for f in doc_facts.facts if f.table_title == table.table_title and f.page == table.page
                         and f.column.split(" / ")[-1] == frame.column), None)
            rows = [f for f in _same_column(doc_facts, like) if len(f.row_path) == 1] if like else []
            if len(rows) > 1:
                return rows, frame.column or ""
        for table in tables:
            # …in a table of economic classes that prints one column: the items of the classes that column is made of
            rows = [f for f in _same_column(doc_facts, table)
                    if len(code := f.row_code or "") == 5 and code.isdigit() and code.startswith(classes)]
            if len(rows) > 1:
                return rows, frame.column or ""
    # a table's total, or no row named: the top rows of the table the question names ("项目支出表里哪个项目")
    for table in ([anchor] if anchor is not None else []) + _tables(doc_facts, frame):
        # the rows beside the total (a table's top rows; a prose budget's lines under its own heading)
        rows = [f for f in _same_column(doc_facts, table) if len(f.row_path) == max(1, len(table.row_path))
                and norm(f.row_label) not in doc_facts.self_names]
        if len(rows) > 1:  # a prose budget's lines are those of the item its explanation is about
            return rows, explained_item(table) if table.table_kind == PROSE else ""
    return [], ""


# "那四个专项", "哪个专项的预算最多": the projects a 部门预算 explains one by one, not the rows of a table
EXPLAINED = "各专项经费情况说明"
_SEVERAL_EXPLAINED = re.compile(r"(?:几|[两二三四五六七八九十\d]+)个[\u4e00-\u9fff]{0,4}专项|哪(?:个|一个|项)专项")


def _explained_projects(doc_facts: DocFacts) -> list[Fact]:
    """Each project's total as its own explanation states it, named by the project; one per explanation."""
    found: dict[str, Fact] = {}
    for f in doc_facts.prose:
        if f.column == "金额" and (project := explained_project(f)):
            found.setdefault(project, replace(f, row_label=project))
    return list(found.values())


def explained_total(doc_facts: DocFacts, text: str) -> Found | None:
    """"四个专项加起来多少": the sum of the projects a 部门预算 explains one by one, when the question names them so."""
    projects = _explained_projects(doc_facts) if _SEVERAL_EXPLAINED.search(text) else []
    if len(projects) < 2 or len({f.unit for f in projects}) != 1:
        return None
    total = sum((f.value for f in projects), projects[0].value * 0)
    return Found(doc_facts.doc, tuple(projects), total, projects[0].unit, EXPLAINED + "所列专项", "合计", "sum")


def _tables(doc_facts: DocFacts, frame: Frame) -> list[Fact]:
    """The first fact of each table of the kinds the question implies (a 项目 question: the project tables first)."""
    kinds = list(frame.table_kinds or ("一般公共预算支出表", "支出总表", "财政拨款支出表"))
    if "项目" in frame.question:
        kinds = ["项目支出表", *(k for k in kinds if k != "项目支出表")]
    firsts: dict[str, Fact] = {}
    for f in doc_facts.facts:
        if f.table_kind in kinds:
            firsts.setdefault(f"{f.table_kind}|{f.table_title}", f)
    return sorted(firsts.values(), key=lambda f: kinds.index(f.table_kind))


def _same_column(doc_facts: DocFacts, like: Fact) -> list[Fact]:
    """The facts of like's table and column, one per row, in printed order."""
    seen: dict[tuple[str, ...], Fact] = {}
    for f in doc_facts.facts:
        if f.table_title == like.table_title and f.column == like.column and f.table_kind == like.table_kind \
                and abs(f.page - like.page) <= 3:
            seen.setdefault((f.row_code or "", *f.row_path), f)
    return [f for f in seen.values() if not _is_total(f) and norm(f.row_label) not in doc_facts.self_names]


def _siblings(doc_facts: DocFacts, named: Fact) -> list[Fact]:
    return [f for f in _same_column(doc_facts, named) if f.row_path[:-1] == named.row_path[:-1]
            and len(f.row_path) == len(named.row_path)]


def _at_level(f: Fact, level: str, coded: bool) -> bool:
    code = f.row_code or ""
    if code.isdigit():
        return len(code) == _CODE_LENGTH[level]
    return not coded and not code and len(f.row_path) == _DEPTH[level]


def _is_total(f: Fact) -> bool:
    return bool(_TOTALS.search(norm(f.row_label)))


def _ordered(rows: list[Fact], frame: Frame, group: str, named: Fact | None = None) -> Ranked | None:
    smallest = frame.extreme == "min"
    ordered = tuple(sorted(rows, key=lambda f: f.value, reverse=not smallest))  # stable: printed order on ties
    if named is not None:
        return Ranked(ordered, (named,), group, named)
    if frame.threshold is not None:
        line, unit = frame.threshold
        def passes(f: Fact) -> bool:
            value = convert(f.value, f.unit, unit)
            return value < line if smallest else value > line

        past = tuple(f for f in ordered if f.unit in MONEY and passes(f))
        return Ranked(ordered, past, group)
    n = max(1, frame.top_n)
    if len(ordered) > n and ordered[n - 1].value == ordered[n].value:
        return None  # a tie at the cut: which rows are "the top n" the table does not say
    if frame.ranking == "nth":  # "排第二的": that row alone, unless it ties with the one before it
        if len(ordered) < n or ordered[n - 2].value == ordered[n - 1].value:
            return None
        return Ranked(ordered, (ordered[n - 1],), group)
    return Ranked(ordered, ordered[:n], group)


def ranked_sentence(ranked: Ranked, frame: Frame, where: str, whose: str) -> tuple[str, Decimal | None, str]:
    """The answer's sentence for ranked rows; returns (sentence, value asked, its unit)."""
    most, order = ("最少", "从少到多") if frame.extreme == "min" else ("最多", "从多到少")
    column = ranked.rows[0].column.split(" / ")[-1]
    column = "" if column in ("金额", "合计", ranked.group) else f"的{column}"  # not 公用经费各项的公用经费
    # the group in a clause of its own: "公用经费…办公费3.78万元" in one clause would read as 公用经费's figure
    head = f"{whose}{where}中的{ranked.group}各项，{column.removeprefix('的')}" if ranked.group else f"{whose}{where}中，各项{column}"
    if ranked.group == EXPLAINED:  # each project on its own pages: said once, each figure with its page
        head = f"{whose}{EXPLAINED}中，"

    def item(f: Fact) -> str:
        page = f"（第{f.page}页）" if ranked.group == EXPLAINED else ""
        return f"{bare(f.row_label)}{fmt(f.value)}{f.unit}{page}"

    if ranked.named is not None:
        place = ranked.rows.index(ranked.named) + 1
        return (f"{head}按金额{order}排，{ranked.named.row_label}为{fmt(ranked.named.value)}{ranked.named.unit}，"
                f"排第{place}位。", Decimal(place), "位")
    if frame.ranking == "over" and frame.threshold is not None:
        word = "低于" if frame.extreme == "min" else "超过"
        if not ranked.picked:
            return f"{head}没有{word}所问金额的。", None, ""
        # the line is the question's own figure, not the documents': named, not repeated
        return f"{head}{word}所问金额的有：{'；'.join(item(f) for f in ranked.picked)}。", None, ""
    top = ranked.picked[0]
    if frame.ranking == "nth":
        return f"{head}按金额{order}排，第{frame.top_n}位是{item(top)}。", top.value, top.unit
    if len(ranked.picked) == 1:
        return f"{head}{most}的是{item(top)}。", top.value, top.unit
    listed = "，".join(item(f) for f in ranked.picked)
    return f"{head}按金额{order}，排在前面的依次是{listed}。", top.value, top.unit


def children_of(doc_facts: DocFacts, frame: Frame, text: str) -> tuple[Fact, list[Fact]] | None:
    """The row the question names and the rows printed under it (its items), or None."""
    words = _RANK_WORDS.sub(" ", text)
    plain = replace(frame, total=False, extreme=None, ranking=None, level=None)
    anchor = find_amount(doc_facts, plain, words) if frame.terms or frame.codes else None
    if anchor is None or anchor.facts[0].table_kind == PROSE:
        return None
    row = anchor.facts[0]
    rows, _ = _candidates(doc_facts, plain, row)
    rows = [f for f in rows if f.row_path[:-1] == row.row_path]
    return (row, rows) if rows else None


def rows_changed(earlier: tuple[Fact, list[Fact]], later: tuple[Fact, list[Fact]], new: bool) -> list[Fact]:
    """The items printed under a row in one year and not the other: the later year's new ones (new), else the
    earlier year's that are gone; by label, since codes are renumbered between years."""
    (_, before), (_, after) = earlier, later
    names_before, names_after = {norm(bare(f.row_label)) for f in before}, {norm(bare(f.row_label)) for f in after}
    if new:
        return [f for f in after if norm(bare(f.row_label)) not in names_before]
    return [f for f in before if norm(bare(f.row_label)) not in names_after]
