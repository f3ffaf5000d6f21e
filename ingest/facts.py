"""Tables → facts: one per numeric cell, with its row label, code, hierarchy and column path."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from decimal import Decimal

from ingest.classification import is_class_label
from ingest.numbers import normalise_code, parse_number
from ingest.pdf import Cell
from ingest.tables import TableBlock, cover
from store.models import Fact

_CODE_HEADER = re.compile(r"编码|代码|^类$|^款$|^项$|科目代码")
_LABEL_HEADER = re.compile(r"项目|名称|科目|单位名称|功能分类|经济分类")
_SPLIT_CODE = re.compile(r"^\d{2,3}$")
_MISPRINT = re.compile(r"^\d{1,3}(\s+\d{1,2}){1,2}$")
# In the totals tables every printed line is an item of the accounting identity: a blank one is nought
# (年初结转和结余 left empty), so it is a figure a question may ask for, not a missing one.
_BLANK_IS_ZERO = frozenset({"收支总表", "财政拨款收支总表"})


def fact_id(*parts: object) -> str:
    """A stable id for a fact or chunk from its provenance."""
    return hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class _Roles:
    code: frozenset[int]
    label: frozenset[int]
    value: frozenset[int]


def _t(cell: Cell | None) -> str:
    return cell.text.strip() if cell else ""


def column_roles(table: TableBlock) -> _Roles:
    """Which grid columns hold codes, labels and values, judged by header and content."""
    code, label, value = set(), set(), set()
    for c in range(table.width):
        path = table.columns[c]
        leaf = path[-1] if path else ""
        texts = [_t(r.cells[c]) for r in table.rows if c < len(r.cells) and _t(r.cells[c])]
        numeric = [t for t in texts if parse_number(t) is not None]
        codes = [t for t in texts if normalise_code(t) or _SPLIT_CODE.match(t) or _MISPRINT.match(t)]
        if _CODE_HEADER.search(leaf) or (texts and len(codes) == len(texts) and not any("." in t for t in texts)
                                         and not any("," in t for t in texts)):
            code.add(c)
        elif texts and len(numeric) * 2 < len(texts):
            label.add(c)
        elif not texts and _LABEL_HEADER.search(leaf) and not any(w in leaf for w in ("支出", "收入", "合计")):
            label.add(c)
        else:
            value.add(c)
    return _Roles(frozenset(code), frozenset(label), frozenset(value))


def _groups(roles: _Roles, width: int) -> list[list[int]]:
    """Runs of adjacent code/label columns: each value column belongs to the run on its left."""
    runs: list[list[int]] = []
    for c in range(width):
        if c in roles.code or c in roles.label:
            if runs and runs[-1][-1] == c - 1:
                runs[-1].append(c)
            else:
                runs.append([c])
    return runs


Groups = dict[int, dict[int, str]]  # per run of label columns: grid column → the group row last begun there


def table_facts(doc_id: str, table_no: int, table: TableBlock, groups: Groups | None = None) -> list[Fact]:
    """Every numeric cell of a standard table as a Fact; blanks in rows with figures as zero.

    groups: the group rows open at the end of the table's previous page, when it was read as another block."""
    if table.kind == "绩效目标表":
        from ingest.performance import performance_facts

        return performance_facts(doc_id, table_no, table)
    roles = column_roles(table)
    runs = _groups(roles, table.width)
    unit = table.unit_of_amount or "元"
    grid = cover([r.cells for r in table.rows])
    parents: dict[int, dict[str, str]] = {}  # per run: code → label, for the hierarchy
    current_class: dict[int, str] = {}
    above: Groups = {} if groups is None else groups
    class_level: dict[int, int] = {}  # per run: the grid column the last class row began in
    facts: list[Fact] = []
    for r_index, row in enumerate(table.rows):
        covered = grid[r_index]
        for run_no, run in enumerate(runs or [[]]):
            end = runs[run_no + 1][0] if run_no + 1 < len(runs) else table.width
            values = [c for c in range(run[-1] + 1 if run else 0, end) if c in roles.value]
            if not values:
                continue
            code, flags, names = _row_identity(run, roles, covered, row.cells)
            figures = {c: parse_number(_t(row.cells[c]) if c < len(row.cells) else "") for c in values}
            label = names[0] if names else (code or "")
            groups, start = _groups_above([c for c in run if c in roles.label], row.cells, covered,
                                          above.setdefault(run_no, {}))
            if start is not None and start < class_level.get(run_no, 0):
                current_class.pop(run_no, None)  # a group to the left of the class row (三、服务C) is not under it
            if start is not None and is_class_label(label):
                class_level[run_no] = start
            blank_row = not any(v is not None for v in figures.values())
            if blank_row and not (table.kind in _BLANK_IS_ZERO and label):
                continue
            path = _hierarchy(run_no, code, label, names, parents, current_class)
            path = (*groups, *(p for p in path if p not in groups))
            for c, value in figures.items():
                cell = row.cells[c] if c < len(row.cells) else None
                if cell is None:
                    continue  # covered by a merged figure cell: the figure was counted once
                cell_flags = flags
                if value is None:
                    if _t(cell):
                        continue  # text in a value column (a note), not a figure
                    value, cell_flags = Decimal(0), (*flags, "blank", *(("blank_row",) if blank_row else ()))
                col_path = table.columns[c] if c < len(table.columns) else ()
                row_label, column = label, " / ".join(col_path)
                row_path = path
                if not run:  # no label column (a one-row table): the header names the item
                    items = [p for p in col_path[1:] if p not in ("小计", "合计")] or list(col_path[-1:])
                    row_label = items[-1] if items else table.title
                    row_path = tuple(col_path[1:]) or (row_label,)
                    column = col_path[0] if len(col_path) > 1 else "金额"
                facts.append(
                    Fact(
                        fact_id=fact_id(doc_id, table_no, r_index, c),
                        doc_id=doc_id,
                        table_kind=table.kind,
                        table_title=table.title,
                        page=row.page,
                        bbox=cell.bbox,
                        row_code=code,
                        row_label=row_label,
                        row_path=row_path,
                        column=column,
                        value=value,
                        unit=unit,
                        raw_text=_t(cell),
                        flags=cell_flags,
                    )
                )
    # A blank line whose label another line of the table prints with figures (年初结转 repeats the
    # funding sources) is a breakdown the grid does not place: leave it out rather than answer 0 for it.
    printed = {f.row_label for f in facts if "blank_row" not in f.flags}
    return [f for f in facts if "blank_row" not in f.flags or f.row_label not in printed]


def _groups_above(label_cols: list[int], cells: tuple, covered: list,
                  above: dict[int, str]) -> tuple[tuple[str, ...], int | None]:
    """The group rows a row sits under when its label begins in a later label column than theirs
    (采购品目大类 › 专项名称 › 采购物品名称), and the grid column it begins in; the row itself becomes the
    group of the rows below it."""
    if len(label_cols) < 2:
        return (), None
    own = [c for c in label_cols if c < len(cells) and cells[c] is not None and _t(cells[c])]
    if not own:
        return (), None
    start = own[0]
    # A label a merged cell carries down (covered) is already among the row's own names.
    groups = tuple(above[c] for c in sorted(above) if c < start and not (c < len(covered) and _t(covered[c])))
    for c in [c for c in above if c >= start]:
        del above[c]
    text = _t(cells[start])
    if not text.startswith(("合计", "总计")):  # the total heads no group: every line is under it
        above[start] = text
    return groups, start


def _row_identity(run: list[int], roles: _Roles, covered: list, cells: tuple) -> tuple[str | None, tuple[str, ...], list[str]]:
    """The row's code (joined from split 类/款/项 columns), flags, and its label cells in order."""
    parts, names, flags = [], [], ()
    for c in run:
        cell = covered[c] if c < len(covered) else None
        text = _t(cell)
        if c in roles.code:
            if text and (c < len(cells) and cells[c] is not None):
                parts.append(text)
        elif text and text not in names:
            names.append(text)
    raw_code = " ".join(parts)
    code = normalise_code(raw_code) if raw_code else None
    if raw_code and code is None:
        code, flags = raw_code, ("code_misprint",)  # kept as printed ("7 11 02"), flagged for the audit
    if not names:
        # Some producers print "2011301 行政运行" in one cell.
        return code, flags, names
    m = re.match(r"^(\d{3}(?:\s?\d{2}){0,2})\s+(\S.*)$", names[0])
    if m and not code:
        code, names[0] = normalise_code(m.group(1)), m.group(2)
    return code, flags, names


def _hierarchy(run_no: int, code: str | None, label: str, names: list[str],
               parents: dict[int, dict[str, str]], current_class: dict[int, str]) -> tuple[str, ...]:
    """Ancestors by code prefix (类 ⊃ 款 ⊃ 项), else by the last class row; then every label cell."""
    known = parents.setdefault(run_no, {})
    if code and code.isdigit():
        known[code] = label
        ancestors = [known[code[:n]] for n in (3, 5) if len(code) > n and code[:n] in known]
        return (*ancestors, *names)
    if is_class_label(label):
        current_class[run_no] = label
        return tuple(names)
    if label.startswith(("合计", "总计")):
        current_class.pop(run_no, None)
        return tuple(names)
    parent = current_class.get(run_no)
    return (parent, *names) if parent and parent != label else tuple(names)
