"""A project's performance targets (绩效目标表): "驻村干部补助每个队员一年补助标准多少" is the indicator
每年驻村工作队（选调生）补助经费 of that project's table (2.8万元/人), never the project's total."""

from __future__ import annotations

import re

from rapidfuzz import fuzz

from app.frame import Frame
from app.lookup import DocFacts, Found, norm
from store.models import Fact

# Words that ask for an indicator (a target, a standard, a cap), not for the project's money
ASKS_TARGET = re.compile(r"指标|标准|上限|下限|满意度|完成率|及时率|发放率|达标率|覆盖率|合格率|目标值|定的多少|人数|几名|多少名|多少人|"
                         r"每个|每家|每名|每人|每次|每场|一次|最多|最高|不超过|至少|资金总额")
# Words that name an indicator itself: without a matching target, the answer is "not listed", never the project's money
NAMES_INDICATOR = re.compile(r"指标|满意度|目标值")  # not 完成率 alone: a 决算's 预算完成率 is no indicator
_PROJECT_WORDS = re.compile(r"(项目|工作经费|专项经费|经费|经营|补助|资金)$")
_PLACE = re.compile(r"^[\u4e00-\u9fff]{2,4}?[省市县区]")
PROJECT_MATCH = 80  # partial ratio of a project's short name within the question
INDICATOR_MATCH = 2  # characters of an indicator's name the question must share beyond the project's own


def short_project_name(project: str) -> str:
    """A project's distinctive name: without its place, brackets and 经费/项目 ending (忻州市食品公司经营 → 食品公司,
    招商引资（展会）工作经费 → 招商引资)."""
    name = re.sub(r"\([^)]*\)", "", norm(project))
    return _PROJECT_WORDS.sub("", _PLACE.sub("", name)) or norm(project)


def named_project(projects: list[str], text: str) -> str | None:
    """The project the question names: of the short names found (nearly) whole, the longest stretch matched."""
    scored = [(r * len(short), p) for p in projects if len(short := short_project_name(p)) >= 2
              for r in [fuzz.partial_ratio(short, text)] if r >= PROJECT_MATCH]
    return max(scored)[1] if scored else None


# What a question's wording says the indicator's figure is: a count of people, money, or a rate
_WANTS = ((re.compile(r"几名|多少名|多少人|几个人|人数"), ("名", "人", "位")),
          (re.compile(r"多少元|多少万|补多少|几元|多少钱|资金总额|金额"), ("元", "万元", "亿元")),
          (re.compile(r"率|满意度|百分之|%"), ("%",)))
_GENERIC = re.compile(r"补助|经费|资金|项目|指标|工作|目标|数量|质量|成本|时效|效益|企业|单位|人员")


def _overlap(indicator: str, text: str) -> int:
    """Characters of the indicator's name found in the question, as runs of two or more."""
    name, hits = norm(indicator), 0
    i = 0
    while i < len(name) - 1:
        n = 2
        while i + n <= len(name) and name[i:i + n] in text:
            n += 1
        if n > 2:
            hits += n - 1
            i += n - 1
        else:
            i += 1
    return hits


def find_target(doc_facts: DocFacts, query: Frame, text: str) -> Found | None:
    """The indicator (or funds line) of the named project's 绩效目标表 that the question asks, or None."""
    if not ASKS_TARGET.search(text):
        return None
    rows = [f for f in doc_facts.facts if f.table_kind == "绩效目标表" and len(f.row_path) == 2]
    project = named_project(sorted({f.row_path[0] for f in rows}), norm(text))
    if project is None:
        return None
    rest = _GENERIC.sub("", norm(text))
    units = next((u for word, u in _WANTS if word.search(text)), None)
    own = [f for f in rows if f.row_path[0] == project and (units is None or f.unit in units)]
    scored = [(_overlap(_GENERIC.sub("", f.row_label), rest), f) for f in own]
    best = max((s for s, _ in scored), default=0)
    if best < INDICATOR_MATCH:
        return None
    cells = [f for s, f in scored if s == best]
    label = cells[0].row_label
    cell = _this_year(c for c in cells if c.row_label == label)
    name = f"{project}绩效目标“{label}”"
    return Found(doc_facts.doc, (cell,), cell.value, cell.unit, name, cell.column, "target")


def _this_year(cells) -> Fact:
    """The year's value (指标值（年度）, 年度资金总额) before the implementation period's."""
    cells = list(cells)
    return next((c for c in cells if "年度" in c.column), cells[0])
