"""Which standard table a title names, matched by meaning: keywords as data, first rule wins."""

from __future__ import annotations

import re

# (kind, every keyword group must match one of its alternatives, none of these may appear).
# Order matters: the specific titles come before the general ones they contain.
KIND_RULES: tuple[tuple[str, tuple[tuple[str, ...], ...], tuple[str, ...]], ...] = (
    ("绩效目标表", (("绩效目标", "绩效指标"),), ()),
    ("三公经费表", (("三公",),), ()),
    ("机关运行经费表", (("机关运行经费",),), ()),
    ("政府性基金收入表", (("政府性基金",), ("收入",)), ("收支", "支出")),
    ("政府性基金支出表", (("政府性基金",),), ()),
    ("国有资本经营表", (("国有资本经营",),), ()),
    ("财政拨款收支总表", (("财政拨款",), ("收支", "收入支出")), ()),
    ("基本支出经济分类表", (("经济分类", "经济科目", "基本支出"),), ()),
    ("项目支出表", (("项目支出", "项目预算", "项目决算"),), ()),
    ("一般公共预算支出表", (("一般公共预算",), ("支出", "功能分类")), ()),
    ("收支总表", (("收支总表", "收支预算总表", "收支决算总表", "财务收支", "收入支出决算总表", "收入支出预算总表"),), ()),
    ("收入总表", (("收入总表", "收入预算总表", "收入决算表", "收入决算总表", "收入预算表"),), ()),
    ("支出总表", (("支出总表", "支出预算总表", "支出决算表", "支出决算总表", "支出预算表"),), ()),
)

_NOISE = re.compile(r"[\s“”\"'‘’《》（）()]")
# Labels printed beside a title that are not the title itself ("预算公开表1", "表一", "附表3").
_LABEL = re.compile(r"^(?:(?:预算|决算)?公开表|附表|表)\s*[0-9一二三四五六七八九十]+$")


def table_kind(title: str) -> str:
    """The standard table kind a title names, or 其他表 for a title we do not recognise."""
    t = _NOISE.sub("", title)
    for kind, groups, excluded in KIND_RULES:
        if all(any(word in t for word in group) for group in groups) and not any(x in t for x in excluded):
            return kind
    return "其他表"


def looks_like_title(text: str) -> bool:
    """A line that names a table: ends in 表 (maybe with a note in brackets) and is not a bare label."""
    t = _NOISE.sub("", text)
    if not t or _LABEL.match(t) or len(t) < 5 or len(t) > 60:
        return False
    core = re.sub(r"[（(][^）)]*[）)]$", "", text.strip()).strip()
    return core.endswith("表") or table_kind(t) != "其他表" and "表" in t
